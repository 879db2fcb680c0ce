package plan

import (
	"crypto/sha256"
	"maps"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes/gen"
)

func TestDesiredFingerprint(t *testing.T) {
	base := func() []*endpoint.Endpoint {
		es := list(tutorial(4), mk("b-endpoint", "blue=100", "", dep("blue", 1, "m")))
		es[1].Deployments[0].EnvironmentVariables = map[string]string{"DB_PASSWORD": "hunter2", "MODE": "fast"}
		return es
	}
	fp := DesiredFingerprint(base())
	for _, tc := range []struct {
		reason string
		edit   func([]*endpoint.Endpoint) []*endpoint.Endpoint
		same   bool
	}{
		{"the order of the files does not matter",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint { return list(es[1], es[0]) }, true},
		{"a secret value is left out: a plan with the fingerprint may be posted where people read it",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint {
				es[1].Deployments[0].EnvironmentVariables["DB_PASSWORD"] = "other"
				return es
			}, true},
		{"a variable that is not secret counts",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint {
				es[1].Deployments[0].EnvironmentVariables["MODE"] = "slow"
				return es
			}, false},
		{"a secret variable added counts, by name",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint {
				es[1].Deployments[0].EnvironmentVariables["API_KEY"] = "k"
				return es
			}, false},
		{"the desired traffic counts",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint {
				es[0].Traffic = mustParse("blue=80 green=20")
				return es
			}, false},
		{"an instance count counts",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint { es[1].Deployments[0].InstanceCount = 3; return es }, false},
		{"an endpoint left out counts",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint { return es[:1] }, false},
	} {
		if got := DesiredFingerprint(tc.edit(base())); (got == fp) != tc.same {
			t.Errorf("%s: same fingerprint = %v, want %v", tc.reason, got == fp, tc.same)
		}
	}
	if fp == Fingerprint(base()) {
		t.Error("DesiredFingerprint equals Fingerprint on a state with a secret: the secret was hashed")
	}
}

// TestPlanRecordsDesiredFingerprint: Compute records the fingerprint of
// the desired state as given, whatever the case of names the service
// reports, so that the specs loaded again give the same one.
func TestPlanRecordsDesiredFingerprint(t *testing.T) {
	desired := list(tutorial(4))
	actual := list(tutorial(3))
	actual[0].Name = strings.ToUpper(actual[0].Name)
	p := mustCompute(t, desired, actual, Options{})
	if p.DesiredFingerprint != DesiredFingerprint(desired) {
		t.Errorf("plan's desired fingerprint %s, want DesiredFingerprint(desired) %s", p.DesiredFingerprint, DesiredFingerprint(desired))
	}
	q := mustCompute(t, list(tutorial(5)), actual, Options{})
	if q.DesiredFingerprint == p.DesiredFingerprint {
		t.Error("two desired states, one fingerprint")
	}

	// An endpoint whose spec the service already holds takes the planner's
	// fast path; its desired fingerprint must not differ for it.
	held := list(tutorial(4), mk("b-endpoint", "blue=100", "", dep("blue", 1, "m")))
	held[1].Status = endpoint.Status{ProvisioningState: endpoint.Succeeded, ETag: "7"}
	want := list(tutorial(5), mk("b-endpoint", "blue=100", "", dep("blue", 1, "m")))
	r := mustCompute(t, want, held, Options{})
	if r.DesiredFingerprint != DesiredFingerprint(want) {
		t.Errorf("with an unchanged endpoint, the plan's desired fingerprint %s differs from DesiredFingerprint(desired) %s", r.DesiredFingerprint, DesiredFingerprint(want))
	}
}

// TestPropAddBothIsTwoAdds: the one encoding Compute hashes an unchanged
// endpoint from gives both fingerprints exactly as encoding it twice
// would, statuses, secret values and labels' versions (drawn here beside
// the generator's) included.
func TestPropAddBothIsTwoAdds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h1, hd1 := hasher{h: sha256.New()}, desiredHasher()
		h2, hd2 := hasher{h: sha256.New()}, desiredHasher()
		for _, a := range gen.Actual().Draw(t, "actual") {
			for i := range a.Deployments {
				if rapid.Bool().Draw(t, "label") {
					m := &a.Deployments[i].Model
					m.Label, m.Version, m.Asset.Version = "latest", "", rapid.SampledFrom([]string{"1", "2"}).Draw(t, "resolved")
				}
				if rapid.Bool().Draw(t, "secret") {
					a.Deployments[i].EnvironmentVariables = maps.Clone(a.Deployments[i].EnvironmentVariables)
					if a.Deployments[i].EnvironmentVariables == nil {
						a.Deployments[i].EnvironmentVariables = map[string]string{}
					}
					a.Deployments[i].EnvironmentVariables[rapid.SampledFrom([]string{"API_KEY", "DB_PASSWORD", "A_TOKEN"}).Draw(t, "name")] = rapid.String().Draw(t, "value")
				}
			}
			n := endpoint.Normalized(a)
			addBoth(&h1, &hd1, n)
			h2.add(n)
			hd2.add(n)
		}
		if h1.sum() != h2.sum() || hd1.sum() != hd2.sum() {
			t.Fatal("addBoth gives other fingerprints than add on each hasher")
		}
	})
}

// TestUnchangedDesiredFingerprintReadsTheSpec: an endpoint that Equal
// finds unchanged though its references are written otherwise than the
// service reports them (a registered version with the hash observing
// found, a local folder that registers as the version the service holds)
// still records the fingerprint of the desired specs as written.
func TestUnchangedDesiredFingerprintReadsTheSpec(t *testing.T) {
	for _, tc := range []struct {
		name            string
		desired, actual endpoint.Reference
	}{
		{"observed hash", endpoint.Reference{Name: "code", Version: "1"},
			endpoint.Reference{Name: "code", Version: "1", Asset: endpoint.Asset{Hash: "h1"}}},
		{"local folder", endpoint.Reference{Path: "src", Asset: endpoint.Asset{Hash: "h1", Files: 2, Size: 10}},
			endpoint.Reference{Name: "code", Version: "1", Asset: endpoint.Asset{Hash: "h1"}}},
	} {
		want := list(mk("b-endpoint", "blue=100", "", dep("blue", 1, "m")))
		held := list(mk("b-endpoint", "blue=100", "", dep("blue", 1, "m")))
		want[0].Deployments[0].CodeConfiguration.Code = tc.desired
		held[0].Deployments[0].CodeConfiguration.Code = tc.actual
		if !endpoint.Equal(want[0], held[0]) {
			t.Fatalf("%s: the specs are not Equal; the case tests nothing", tc.name)
		}
		p := mustCompute(t, want, held, Options{})
		if len(p.Steps) > 0 {
			t.Fatalf("%s: %d steps for an unchanged endpoint", tc.name, len(p.Steps))
		}
		if p.DesiredFingerprint != DesiredFingerprint(want) {
			t.Errorf("%s: the plan's desired fingerprint %s differs from DesiredFingerprint(desired) %s", tc.name, p.DesiredFingerprint, DesiredFingerprint(want))
		}
		if p.Fingerprint != Fingerprint(held) {
			t.Errorf("%s: the plan's fingerprint %s differs from Fingerprint(actual) %s", tc.name, p.Fingerprint, Fingerprint(held))
		}
	}
}

// TestPropPlanRecordsBothFingerprints: whatever path Compute takes for an
// endpoint (compared as given, after normalization, planned), the plan
// records Fingerprint(actual) and DesiredFingerprint(desired), also when
// the desired state is what the service reports and observing found the
// identities of the registered assets.
func TestPropPlanRecordsBothFingerprints(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pair := gen.Pairs().Draw(t, "pair")
		if rapid.Bool().Draw(t, "as_reported") {
			pair.Desired = gen.Specs(pair.Actual)
		}
		for _, a := range pair.Actual {
			for i := range a.Deployments {
				if rapid.Bool().Draw(t, "observed") {
					a.Deployments[i].CodeConfiguration.Code.Asset.Hash = rapid.SampledFrom([]string{"h1", "h2"}).Draw(t, "hash")
				}
			}
		}
		p, err := Compute(pair.Desired, pair.Actual, Options{})
		if err != nil {
			return
		}
		if p.DesiredFingerprint != DesiredFingerprint(pair.Desired) {
			t.Fatalf("the plan's desired fingerprint %s, DesiredFingerprint(desired) %s", p.DesiredFingerprint, DesiredFingerprint(pair.Desired))
		}
		if p.Fingerprint != Fingerprint(pair.Actual) {
			t.Fatalf("the plan's fingerprint %s, Fingerprint(actual) %s", p.Fingerprint, Fingerprint(pair.Actual))
		}
	})
}
