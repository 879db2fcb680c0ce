package rest_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
)

// BenchmarkGetEndpoint measures a GET through the in-process transport,
// the call a client's reads and polls make most.
func BenchmarkGetEndpoint(b *testing.B) {
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency(), NoHistory: true})
	if err := svc.CreateOrUpdateEndpoint(context.Background(), &endpoint.Endpoint{Name: "bench-ep"}); err != nil {
		b.Fatal(err)
	}
	tr := rest.New(svc, rest.Options{}).Transport()
	req, err := http.NewRequest(http.MethodGet, "https://arm.example"+ws+"/onlineEndpoints/bench-ep?api-version=2024-10-01", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer t")
	b.ReportAllocs()
	for b.Loop() {
		resp, err := tr.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatal(resp, err)
		}
	}
}
