package plan

import (
	"encoding/hex"
	"testing"

	"github.com/rolloutkit/rollout/endpoint"
)

func TestFingerprint(t *testing.T) {
	base := func() []*endpoint.Endpoint {
		return list(tutorial(4), mk("b-endpoint", "blue=100", "", dep("blue", 1, "m")))
	}
	fp := Fingerprint(base())
	if b, err := hex.DecodeString(fp); err != nil || len(b) != 32 {
		t.Fatalf("Fingerprint = %q, want 64 hex digits of SHA-256", fp)
	}
	for _, tc := range []struct {
		name, reason string
		edit         func([]*endpoint.Endpoint) []*endpoint.Endpoint
		same         bool
	}{
		{"endpoint order", "the service lists endpoints in no promised order",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint { return list(es[1], es[0]) }, true},
		{"deployment order", "nor deployments",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint {
				d := es[0].Deployments
				d[0], d[1] = d[1], d[0]
				return es
			}, true},
		{"defaults written out", "server defaults are normalized away",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint {
				es[0].PublicNetworkAccess = endpoint.Enabled
				es[0].Deployments[0].RequestSettings.RequestTimeoutMS = 5000
				return es
			}, true},
		{"nil endpoints", "nil entries are skipped",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint { return append(es, nil) }, true},
		{"etag", "a write gives a new ETag",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint { es[0].Status.ETag = "2"; return es }, false},
		{"deployment etag", "also for a deployment",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint { es[0].Deployments[1].Status.ETag = "2"; return es }, false},
		{"provisioning state", "a deployment that finished creating",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint {
				es[0].Deployments[1].Status.ProvisioningState = endpoint.Creating
				return es
			}, false},
		{"spec", "an instance count changed behind the plan's back",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint { es[1].Deployments[0].InstanceCount = 3; return es }, false},
		{"traffic", "traffic moved",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint {
				es[0].Traffic = mustParse("blue=80 green=20")
				return es
			}, false},
		{"endpoint gone", "an endpoint deleted",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint { return es[:1] }, false},
	} {
		got := Fingerprint(tc.edit(base()))
		if (got == fp) != tc.same {
			t.Errorf("%s: same fingerprint = %v, want %v", tc.reason, got == fp, tc.same)
		}
	}
	if Fingerprint(nil) != Fingerprint([]*endpoint.Endpoint{}) {
		t.Error("nothing is nothing, whatever the slice")
	}
}

func TestPlanRecordsFingerprint(t *testing.T) {
	actual := list(tutorial(3))
	p := mustCompute(t, list(tutorial(4)), actual, Options{})
	if p.Fingerprint != Fingerprint(actual) {
		t.Errorf("plan fingerprint %s, want Fingerprint(actual) %s", p.Fingerprint, Fingerprint(actual))
	}
}
