package rules

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

func dep(name string, count int, st endpoint.ProvisioningState) endpoint.Deployment {
	return endpoint.Deployment{
		Name:          name,
		Type:          endpoint.Managed,
		Model:         endpoint.Reference{Name: "m", Version: "1"},
		Environment:   endpoint.Environment{Reference: endpoint.Reference{Name: "env", Version: "1"}},
		InstanceType:  "Standard_DS3_v2",
		InstanceCount: count,
		Status:        endpoint.Status{ProvisioningState: st},
	}
}

// state is my-endpoint with blue=100 on blue, green idle, both Succeeded
// unless changed.
func state(change ...func(*endpoint.Endpoint)) *endpoint.Endpoint {
	e := &endpoint.Endpoint{
		Name:        "my-endpoint",
		AuthMode:    endpoint.AuthKey,
		Traffic:     traffic.MustParse("blue=100"),
		Deployments: []endpoint.Deployment{dep("blue", 2, endpoint.Succeeded), dep("green", 1, endpoint.Succeeded)},
		Status:      endpoint.Status{ProvisioningState: endpoint.Succeeded},
	}
	for _, c := range change {
		c(e)
	}
	return e
}

func withState(name string, st endpoint.ProvisioningState) func(*endpoint.Endpoint) {
	return func(e *endpoint.Endpoint) {
		if name == "" {
			e.Status.ProvisioningState = st
			return
		}
		i, _ := FindDeployment(e, name)
		e.Deployments[i].Status.ProvisioningState = st
	}
}

// withProperties gives the endpoint (name "") or its deployment a
// property, as the service or another client may have added it.
func withProperties(name, key, value string) func(*endpoint.Endpoint) {
	return func(e *endpoint.Endpoint) {
		p := &e.Properties
		if name != "" {
			i, _ := FindDeployment(e, name)
			p = &e.Deployments[i].Properties
		}
		*p = map[string]string{key: value}
	}
}

// hasProperties checks the properties of the endpoint (name "") or its
// deployment, written as sorted key=value pairs.
func hasProperties(name, want string) func(*endpoint.Endpoint) string {
	return func(e *endpoint.Endpoint) string {
		p := e.Properties
		if name != "" {
			i, _ := FindDeployment(e, name)
			p = e.Deployments[i].Properties
		}
		var got []string
		for _, k := range slices.Sorted(maps.Keys(p)) {
			got = append(got, k+"="+p[k])
		}
		if strings.Join(got, " ") != want {
			return "properties " + strings.Join(got, " ") + ", want " + want
		}
		return ""
	}
}

func splits(live, mirror string) *endpoint.Endpoint {
	w := state()
	w.Traffic, w.Mirror = traffic.MustParse(live), traffic.MustParse(mirror)
	return w
}

func TestRules(t *testing.T) {
	renamedType := dep("blue", 2, "")
	renamedType.InstanceType = "Standard_F4s_v2"
	lowerType := dep("blue", 2, "")
	lowerType.InstanceType = "standard_ds3_v2"
	full := func(e *endpoint.Endpoint) {
		for i := len(e.Deployments); i < endpoint.MaxDeployments; i++ {
			e.Deployments = append(e.Deployments, dep("d"+string(rune('a'+i)), 1, endpoint.Succeeded))
		}
	}
	invalid := dep("red", 0, "")
	unresolved := dep("green", 1, "")
	unresolved.Model = endpoint.Reference{Name: "m", Label: endpoint.LatestLabel}
	resolved := unresolved
	resolved.Model = resolved.Model.WithVersion("8")
	k8s := state()
	k8s.Compute = "azureml:k8s"
	for _, tc := range []struct {
		reason string
		op     func() (*endpoint.Endpoint, *Refusal)
		rule   string // "" when the service accepts
		code   string
		check  func(*endpoint.Endpoint) string
	}{
		{"a new deployment is created, in name order", func() (*endpoint.Endpoint, *Refusal) { d := dep("cyan", 1, ""); return PutDeployment(state(), &d) }, "", "",
			func(e *endpoint.Endpoint) string {
				if len(e.Deployments) != 3 || e.Deployments[1].Name != "cyan" || !e.Deployments[1].Status.ProvisioningState.Succeeded() {
					return "cyan not inserted second, Succeeded"
				}
				return ""
			}},
		{"names are case-insensitive: BLUE updates blue, which keeps its name", func() (*endpoint.Endpoint, *Refusal) { d := dep("BLUE", 3, ""); return PutDeployment(state(), &d) }, "", "",
			func(e *endpoint.Endpoint) string {
				if len(e.Deployments) != 2 || e.Deployments[0].Name != "blue" || e.Deployments[0].InstanceCount != 3 {
					return "blue not updated in place"
				}
				return ""
			}},
		{"instance types compare without regard to case", func() (*endpoint.Endpoint, *Refusal) { return PutDeployment(state(), &lowerType) }, "", "", nil},
		{"instance_type cannot change in place", func() (*endpoint.Endpoint, *Refusal) { return PutDeployment(state(), &renamedType) }, "S6", BadArgument, nil},
		{"a type left out is the endpoint's kind, no change", func() (*endpoint.Endpoint, *Refusal) {
			d := dep("blue", 3, "")
			d.Type = endpoint.Managed
			return PutDeployment(state(), &d)
		}, "", "", nil},
		{"a type changed from the endpoint's kind left out cannot change in place", func() (*endpoint.Endpoint, *Refusal) {
			d := dep("blue", 3, "")
			d.Type = endpoint.Kubernetes
			return PutDeployment(state(), &d)
		}, "S6", BadArgument, nil},
		{"at most 20 deployments", func() (*endpoint.Endpoint, *Refusal) { d := dep("zz", 1, ""); return PutDeployment(state(full), &d) }, "limit", BadArgument, nil},
		{"a spec the static rules reject", func() (*endpoint.Endpoint, *Refusal) { return PutDeployment(state(), &invalid) }, "spec", BadArgument, nil},
		{"a label no one resolved", func() (*endpoint.Endpoint, *Refusal) { return PutDeployment(state(), &unresolved) }, "spec", BadArgument, nil},
		{"a label resolved, which the client writes as its version", func() (*endpoint.Endpoint, *Refusal) { return PutDeployment(state(), &resolved) }, "", "", nil},
		{"a label resolved and pinned", func() (*endpoint.Endpoint, *Refusal) { p := resolved.Pinned(); return PutDeployment(state(), &p) }, "", "",
			func(e *endpoint.Endpoint) string {
				if m := e.Deployments[1].Model; m.Label != "" || m.Version != "8" {
					return "green does not hold version 8: " + m.String()
				}
				return ""
			}},
		{"no create while the endpoint is busy", func() (*endpoint.Endpoint, *Refusal) {
			d := dep("cyan", 1, "")
			return PutDeployment(state(withState("", endpoint.Updating)), &d)
		}, "busy", Conflict, nil},
		{"no update of a busy deployment", func() (*endpoint.Endpoint, *Refusal) {
			d := dep("green", 3, "")
			return PutDeployment(state(withState("green", endpoint.Scaling)), &d)
		}, "busy", Conflict, nil},
		{"a create beside a busy deployment is allowed", func() (*endpoint.Endpoint, *Refusal) {
			d := dep("cyan", 1, "")
			return PutDeployment(state(withState("green", endpoint.Creating)), &d)
		}, "", "", nil},
		{"scaling what does not exist", func() (*endpoint.Endpoint, *Refusal) { return ScaleDeployment(state(), "red", 2) }, "P1", NotFound, nil},
		{"scaling sets the count", func() (*endpoint.Endpoint, *Refusal) { return ScaleDeployment(state(), "Green", 4) }, "", "",
			func(e *endpoint.Endpoint) string {
				if e.Deployments[1].InstanceCount != 4 {
					return "green not scaled"
				}
				return ""
			}},
		{"deleting what does not exist changes nothing", func() (*endpoint.Endpoint, *Refusal) { return DeleteDeployment(state(), "red") }, "", "", nil},
		{"no delete with live traffic, whatever the case", func() (*endpoint.Endpoint, *Refusal) { return DeleteDeployment(state(), "BLUE") }, "S4", BadArgument, nil},
		{"no delete with live traffic that the split names in another case", func() (*endpoint.Endpoint, *Refusal) {
			return DeleteDeployment(state(func(e *endpoint.Endpoint) { e.Traffic = traffic.MustParse("BLUE=100") }), "blue")
		}, "S4", BadArgument, nil},
		{"no delete with mirror traffic", func() (*endpoint.Endpoint, *Refusal) {
			return DeleteDeployment(state(func(e *endpoint.Endpoint) { e.Mirror = traffic.MustParse("green=10") }), "green")
		}, "S4", BadArgument, nil},
		{"GREEN deletes green", func() (*endpoint.Endpoint, *Refusal) { return DeleteDeployment(state(), "GREEN") }, "", "",
			func(e *endpoint.Endpoint) string {
				if len(e.Deployments) != 1 {
					return "green not deleted"
				}
				return ""
			}},
		{"traffic to a deployment that does not exist", func() (*endpoint.Endpoint, *Refusal) { return PutEndpoint(state(), splits("red=100", "")) }, "S2", NotFound, nil},
		{"traffic to a Failed deployment, even re-sent as it was", func() (*endpoint.Endpoint, *Refusal) {
			return PutEndpoint(state(withState("blue", endpoint.Failed)), splits("blue=100", ""))
		}, "S2", BadArgument, nil},
		{"live traffic totals 100 or 0", func() (*endpoint.Endpoint, *Refusal) { return PutEndpoint(state(), splits("blue=90", "")) }, "S1", BadArgument, nil},
		{"a mirror of at most 50 percent", func() (*endpoint.Endpoint, *Refusal) { return PutEndpoint(state(), splits("blue=100", "green=60")) }, "S3", BadArgument, nil},
		{"no mirror to a live deployment", func() (*endpoint.Endpoint, *Refusal) { return PutEndpoint(state(), splits("blue=100", "blue=10")) }, "S3", BadArgument, nil},
		{"compute cannot change in place", func() (*endpoint.Endpoint, *Refusal) { return PutEndpoint(state(), k8s) }, "S6", BadArgument, nil},
		{"no endpoint write while a deployment is busy", func() (*endpoint.Endpoint, *Refusal) {
			return PutEndpoint(state(withState("green", endpoint.Updating)), splits("blue=100", ""))
		}, "busy", Conflict, nil},
		{"splits name deployments as the endpoint does, and the endpoint keeps its name", func() (*endpoint.Endpoint, *Refusal) {
			w := splits("BLUE=50 Green=50", "")
			w.Name = "MY-ENDPOINT"
			return PutEndpoint(state(), w)
		}, "", "",
			func(e *endpoint.Endpoint) string {
				if e.Name != "my-endpoint" || e.Traffic.String() != "blue=50 green=50" || len(e.Deployments) != 2 {
					return "got " + e.Name + " " + e.Traffic.String()
				}
				return ""
			}},
		{"a new endpoint has no deployments for traffic to name", func() (*endpoint.Endpoint, *Refusal) { return PutEndpoint(nil, splits("blue=100", "")) }, "S2", NotFound, nil},
		{"deleting a busy endpoint", func() (*endpoint.Endpoint, *Refusal) {
			return nil, DeleteEndpoint(state(withState("", endpoint.Deleting)))
		}, "busy", Conflict, nil},
		{"a deployment's property a write leaves out is kept: properties can be added, not removed", func() (*endpoint.Endpoint, *Refusal) {
			d := dep("green", 1, "")
			d.Properties = map[string]string{"team": "ml"}
			return PutDeployment(state(withProperties("green", "owner", "svc")), &d)
		}, "", "", hasProperties("green", "owner=svc team=ml")},
		{"a deployment's property cannot be altered", func() (*endpoint.Endpoint, *Refusal) {
			d := dep("green", 1, "")
			d.Properties = map[string]string{"owner": "me"}
			return PutDeployment(state(withProperties("green", "owner", "svc")), &d)
		}, "S6", BadArgument, nil},
		{"an endpoint's property a write leaves out is kept", func() (*endpoint.Endpoint, *Refusal) {
			return PutEndpoint(state(withProperties("", "owner", "svc")), splits("blue=100", ""))
		}, "", "", hasProperties("", "owner=svc")},
		{"an endpoint's property cannot be altered", func() (*endpoint.Endpoint, *Refusal) {
			w := splits("blue=100", "")
			w.Properties = map[string]string{"owner": "me"}
			return PutEndpoint(state(withProperties("", "owner", "svc")), w)
		}, "S6", BadArgument, nil},
	} {
		next, r := tc.op()
		switch {
		case tc.rule == "" && r != nil:
			t.Errorf("%s: refused: %v", tc.reason, r)
		case tc.rule != "" && (r == nil || r.Rule != tc.rule || r.Code != tc.code):
			t.Errorf("%s: got %v (%+v), want rule %s with code %s", tc.reason, r, r, tc.rule, tc.code)
		case tc.check != nil:
			if msg := tc.check(next); msg != "" {
				t.Errorf("%s: %s", tc.reason, msg)
			}
		}
	}
}

// TestWrittenDeploymentsOwnTheirArray: the deployments a write's result
// holds share no array with the state written to, even one with room to
// spare, so that a caller may keep the written deployment in place.
func TestWrittenDeploymentsOwnTheirArray(t *testing.T) {
	e := state()
	e.Deployments = append(make([]endpoint.Deployment, 0, 8), e.Deployments...)
	room := e.Deployments[:cap(e.Deployments)]
	create, update := dep("cyan", 1, ""), dep("green", 3, "")
	for _, tc := range []struct {
		reason string
		write  func() (*endpoint.Endpoint, *Refusal)
	}{
		{"a create", func() (*endpoint.Endpoint, *Refusal) { return PutDeployment(e, &create) }},
		{"an update", func() (*endpoint.Endpoint, *Refusal) { return PutDeployment(e, &update) }},
		{"a scale", func() (*endpoint.Endpoint, *Refusal) { return ScaleDeployment(e, "green", 4) }},
	} {
		next, r := tc.write()
		if r != nil {
			t.Fatalf("%s: %v", tc.reason, r)
		}
		for i := range next.Deployments {
			for j := range room {
				if &next.Deployments[i] == &room[j] {
					t.Errorf("%s: deployment %d of the result is in the array of the state written to", tc.reason, i)
				}
			}
		}
	}
}

// TestRulesDoNotModify: the functions copy on write, so that a checker can
// keep every state it has seen.
func TestRulesDoNotModify(t *testing.T) {
	e := state()
	before := e.Clone()
	d := dep("blue", 5, "")
	_, _ = PutDeployment(e, &d)
	_, _ = ScaleDeployment(e, "green", 3)
	_, _ = DeleteDeployment(e, "green")
	_, _ = PutEndpoint(e, splits("blue=50 green=50", ""))
	if !endpoint.Equal(e, before) || e.Deployments[0].Status != before.Deployments[0].Status {
		t.Fatal("a rule modified its argument")
	}
	if r := DeploymentNotFound("e", "d"); !strings.Contains(r.Error(), "Deployment d not found in endpoint e") {
		t.Errorf("message %q", r.Error())
	}
}
