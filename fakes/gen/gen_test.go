package gen_test

import (
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes/gen"
)

// validateAll fails t for every endpoint of eps that endpoint.Validate
// rejects, and for endpoint names that repeat ignoring case.
func validateAll(t *rapid.T, what string, eps []*endpoint.Endpoint) {
	t.Helper()
	seen := map[string]bool{}
	for _, e := range eps {
		if err := endpoint.Validate(e); err != nil {
			t.Fatalf("%s endpoint %s is invalid: %v", what, e.Name, err)
		}
		if seen[strings.ToLower(e.Name)] {
			t.Fatalf("%s endpoint name %s repeats, ignoring case", what, e.Name)
		}
		seen[strings.ToLower(e.Name)] = true
	}
}

func TestEndpointValid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		validateAll(t, "generated", []*endpoint.Endpoint{gen.Endpoint().Draw(t, "endpoint")})
	})
}

func TestDeploymentValid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		kind := rapid.SampledFrom([]endpoint.Kind{endpoint.Managed, endpoint.Kubernetes}).Draw(t, "kind")
		d := gen.Deployment(kind).Draw(t, "deployment")
		e := &endpoint.Endpoint{Name: "host", Deployments: []endpoint.Deployment{d}}
		if kind == endpoint.Kubernetes {
			e.Compute = "k8s"
		}
		validateAll(t, "host of a generated deployment", []*endpoint.Endpoint{e})
	})
}

// TestActual checks what a planner may assume of an observed state: valid
// specs, a status on every resource, and no traffic to a deployment that is
// still being created or already being deleted.
func TestActual(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		eps := gen.Actual().Draw(t, "actual")
		validateAll(t, "actual", eps)
		for _, e := range eps {
			if e.Status.ProvisioningState == "" || e.Status.ETag == "" || e.Status.ScoringURI == "" {
				t.Fatalf("endpoint %s has an incomplete status %+v", e.Name, e.Status)
			}
			for _, d := range e.Deployments {
				if d.Status.ProvisioningState == "" || d.Status.ETag == "" {
					t.Fatalf("deployment %s/%s has an incomplete status %+v", e.Name, d.Name, d.Status)
				}
				switch d.Status.ProvisioningState {
				case endpoint.Creating, endpoint.Deleting:
					if e.Traffic.Get(d.Name)+e.Mirror.Get(d.Name) > 0 {
						t.Fatalf("deployment %s/%s is %s but has traffic", e.Name, d.Name, d.Status.ProvisioningState)
					}
				}
			}
		}
	})
}

// TestPairsValid checks both sides of every pair, and that the desired
// side is a spec as a user writes it, with no observed status.
func TestPairsValid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := gen.Pairs().Draw(t, "pair")
		validateAll(t, "desired", p.Desired)
		validateAll(t, "actual", p.Actual)
		for _, e := range p.Desired {
			if e.Status != (endpoint.Status{}) {
				t.Fatalf("desired endpoint %s has a status %+v", e.Name, e.Status)
			}
			for _, d := range e.Deployments {
				if d.Status != (endpoint.Status{}) {
					t.Fatalf("desired deployment %s/%s has a status %+v", e.Name, d.Name, d.Status)
				}
			}
		}
	})
}

// TestPairsCoverage draws a fixed set of pairs and counts the situations
// the planner must handle, so that a change to the generators that stops
// producing one of them (no more immutable changes, no unsettled states)
// fails here instead of silently weakening every property built on them.
func TestPairsCoverage(t *testing.T) {
	const draws = 2000
	counts := map[string]int{}
	for seed := range draws {
		p := gen.Pairs().Example(seed)
		for name, ok := range classify(p) {
			if ok {
				counts[name]++
			}
		}
	}
	for _, tc := range []struct {
		situation string
		least     int
		reason    string
	}{
		{"unchanged", draws / 50, "idempotence needs pairs with nothing to do"},
		{"changed", draws / 2, "most pairs should need a plan"},
		{"unsettled", draws / 20, "busy and failed resources must be planned around or refused"},
		{"failed", draws / 50, "no traffic to a failed deployment"},
		{"kubernetes", draws / 10, "Kubernetes endpoints have no mirror and other instance types"},
		{"endpoint_created", draws / 20, "new endpoints take an extra level of depth"},
		{"endpoint_unlisted", draws / 20, "DeleteUnlisted decides what happens to them"},
		{"deployment_created", draws / 10, "creates come before traffic grows"},
		{"deployment_deleted", draws / 10, "deletes come after traffic leaves"},
		{"instance_type_changed", draws / 20, "immutable changes are replaced or refused (S6)"},
		{"traffic_shifted", draws / 5, "the core of a rollout"},
		{"mirror_changed", draws / 20, "the mirror is removed before its deployment goes"},
		{"scaled", draws / 10, "capacity first (S5)"},
		{"secret_changed", draws / 100, "secret values must never be printed"},
		{"reordered", draws / 5, "plans must not depend on input order"},
		{"respelled", draws / 20, "names and enumerations as users write them must not show as changes"},
		{"kind_changed", draws / 100, "moving between managed and Kubernetes replaces the endpoint or is refused"},
	} {
		if counts[tc.situation] < tc.least {
			t.Errorf("%s: %d of %d pairs, want at least %d (%s)", tc.situation, counts[tc.situation], draws, tc.least, tc.reason)
		}
	}
}

func classify(p gen.Pair) map[string]bool {
	c := map[string]bool{"unsettled": !gen.Settled(p.Actual), "unchanged": true}
	actual := map[string]*endpoint.Endpoint{}
	for _, a := range p.Actual {
		actual[strings.ToLower(a.Name)] = endpoint.Normalized(a)
		for i, d := range a.Deployments {
			c["failed"] = c["failed"] || d.Status.ProvisioningState == endpoint.Failed
			c["reordered"] = c["reordered"] || i > 0 && d.Name < a.Deployments[i-1].Name
		}
	}
	listed := map[string]bool{}
	for _, e := range p.Desired {
		key := strings.ToLower(e.Name)
		listed[key] = true
		n := endpoint.Normalized(e)
		a := actual[key]
		c["kubernetes"] = c["kubernetes"] || n.Kind() == endpoint.Kubernetes
		if a == nil {
			c["endpoint_created"] = true
			c["unchanged"] = false
			continue
		}
		c["respelled"] = c["respelled"] || n.Name != a.Name || e.AuthMode != a.AuthMode
		c["kind_changed"] = c["kind_changed"] || n.Kind() != a.Kind()
		n.Name = a.Name
		if !endpoint.Equal(n, a) {
			c["unchanged"] = false
		}
		c["traffic_shifted"] = c["traffic_shifted"] || !n.Traffic.Equal(a.Traffic)
		c["mirror_changed"] = c["mirror_changed"] || !n.Mirror.Equal(a.Mirror)
		for _, d := range n.Deployments {
			ad := a.Deployment(d.Name)
			if ad == nil {
				c["deployment_created"] = true
				continue
			}
			c["instance_type_changed"] = c["instance_type_changed"] || d.InstanceType != ad.InstanceType
			c["scaled"] = c["scaled"] || d.InstanceCount != ad.InstanceCount
			for k, v := range d.EnvironmentVariables {
				c["secret_changed"] = c["secret_changed"] || endpoint.IsSecretName(k) && ad.EnvironmentVariables[k] != v
			}
		}
		for _, ad := range a.Deployments {
			c["deployment_deleted"] = c["deployment_deleted"] || n.Deployment(ad.Name) == nil
		}
	}
	for name := range actual {
		if !listed[name] {
			c["endpoint_unlisted"] = true
			c["unchanged"] = false
		}
	}
	c["changed"] = !c["unchanged"]
	return c
}

func TestSettledPairs(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		if p := gen.SettledPairs().Draw(t, "pair"); !gen.Settled(p.Actual) {
			t.Fatalf("SettledPairs gave an unsettled actual state")
		}
	})
}

// TestProvisioned checks that a desired state becomes a settled actual one
// without the desired state itself changing.
func TestProvisioned(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		desired := gen.Endpoints(gen.MaxEndpoints).Draw(t, "desired")
		actual := gen.Provisioned(desired)
		if !gen.Settled(actual) {
			t.Fatalf("Provisioned state is not settled")
		}
		if len(desired) > 0 && gen.Settled(desired) {
			t.Fatalf("Provisioned changed the status of its input")
		}
		for i := range desired {
			if !endpoint.Equal(desired[i], actual[i]) {
				t.Fatalf("Provisioned changed the spec of %s", desired[i].Name)
			}
		}
	})
}

// TestSpecs: Specs undoes Provisioned: the specs are equal, the statuses gone.
func TestSpecs(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		eps := gen.Endpoints(4).Draw(t, "endpoints")
		specs := gen.Specs(gen.Provisioned(eps))
		for i := range eps {
			if !endpoint.Equal(specs[i], eps[i]) || specs[i].Status != (endpoint.Status{}) {
				t.Fatalf("Specs(Provisioned(e)) = %+v, want %+v", specs[i], eps[i])
			}
			for j := range specs[i].Deployments {
				if specs[i].Deployments[j].Status != (endpoint.Status{}) {
					t.Fatalf("%s/%s keeps its status %+v", specs[i].Name, specs[i].Deployments[j].Name, specs[i].Deployments[j].Status)
				}
			}
		}
	})
}
