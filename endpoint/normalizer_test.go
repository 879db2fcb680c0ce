package endpoint

import (
	"reflect"
	"testing"
)

func TestNormalizerMatchesNormalized(t *testing.T) {
	collecting := fullEndpoint()
	collecting.Deployments[0].DataCollector.SamplingRate = 0.2
	collecting.Deployments[0].DataCollector.Collections["model_outputs"] = Collection{Data: Reference{Path: "file:./out/"}}
	normal := fullEndpoint()
	normal.Deployments[0].DataCollector.Collections["model_inputs"] = Collection{Data: Reference{Name: "inputs", Version: "1"}, SamplingRate: 0.5}
	tests := []struct {
		name   string
		e      *Endpoint
		reason string
	}{
		{"full", fullEndpoint(), "every field of the model is set"},
		{"collector normal", normal, "collections already normal are shared with the input and must not be written to"},
		{"collector rewritten", collecting, "normalization rewrites collections in place, so the input's map must not be the one rewritten"},
		{"empty", &Endpoint{Name: "e"}, "defaults only, with no identity and no deployments"},
		{"spelled differently", &Endpoint{Name: "e", AuthMode: " Key", PublicNetworkAccess: "ENABLED",
			Identity:    &Identity{Type: "System_Assigned, User_Assigned", UserAssignedIdentities: []string{" b", "a", "b"}},
			Deployments: []Deployment{{Name: "green", Type: "Managed", Model: Reference{Path: "file:x/"}}, {Name: "blue"}}},
			"identities are sorted and deduplicated in place and deployments reordered, in the normalizer's storage only"},
		{"empty identity list", &Endpoint{Name: "e", Identity: &Identity{Type: "user_assigned", UserAssignedIdentities: []string{}}},
			"an empty list becomes nil as Normalized makes it"},
		{"kubernetes", &Endpoint{Name: "e", Compute: " k8s", Tags: map[string]string{}, Deployments: []Deployment{{Name: "a", EnvironmentVariables: map[string]string{}}}},
			"the deployment type follows the compute, and empty maps become nil"},
		{"nil", nil, "Normalize(nil) is nil, as Normalized(nil) is"},
	}
	var n Normalizer
	// Twice over the list, so that every case also runs on storage a
	// different endpoint used before.
	for range 2 {
		for _, tt := range tests {
			before := tt.e.Clone()
			got, want := n.Normalize(tt.e), Normalized(tt.e)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: Normalizer gave\n%+v\nNormalized gave\n%+v\n(%s)", tt.name, got, want, tt.reason)
			}
			if !reflect.DeepEqual(tt.e, before) {
				t.Errorf("%s: Normalizer changed its input to %+v (%s)", tt.name, tt.e, tt.reason)
			}
		}
	}
}

func BenchmarkNormalizer(b *testing.B) {
	e := fullEndpoint()
	var n Normalizer
	b.ReportAllocs()
	for b.Loop() {
		n.Normalize(e)
	}
}
