package azureml

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
	"github.com/rolloutkit/rollout/traffic"
)

func BenchmarkEncodeDeployment(b *testing.B) {
	d := richDeployment()
	b.ReportAllocs()
	for b.Loop() {
		w, err := testScope.encodeDeployment(&d, "westeurope")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(w); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeDeployment(b *testing.B) {
	d := richDeployment()
	w, err := testScope.encodeDeployment(&d, "westeurope")
	if err != nil {
		b.Fatal(err)
	}
	data, err := json.Marshal(w)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var back onlineDeployment
		if err := json.Unmarshal(data, &back); err != nil {
			b.Fatal(err)
		}
		if _, err := testScope.decodeDeployment(&back, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkThrottleTake is the cost the throttle adds to every call when
// its bucket has tokens.
func BenchmarkThrottleTake(b *testing.B) {
	bk := newBucket(1<<30, 1e12)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := bk.take(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetEndpoint reads an endpoint with two deployments through the
// whole pipeline and the emulator in process: one list and two GETs.
func BenchmarkGetEndpoint(b *testing.B) {
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency(), NoHistory: true})
	srv := rest.New(svc, rest.Options{BaseURL: "https://management.test"})
	o := emulatorOptions(srv.Transport(), "https://management.test")
	o.Throttle.Disabled = true
	be, err := New(testScope, &fake.TokenCredential{}, o)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := be.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: "churn"}); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"blue", "green"} {
		d := blue
		d.Name = name
		if err := be.CreateOrUpdateDeployment(ctx, "churn", d); err != nil {
			b.Fatal(err)
		}
	}
	if err := be.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: "churn", Traffic: traffic.MustNew(map[string]int{"blue": 90, "green": 10})}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := be.GetEndpoint(ctx, "churn"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInvoke is one scoring request with the endpoint's scoring URI
// and key cached: the data plane alone.
func BenchmarkInvoke(b *testing.B) {
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency(), NoHistory: true})
	srv := rest.New(svc, rest.Options{BaseURL: "https://management.test"})
	o := emulatorOptions(srv.Transport(), "https://management.test")
	be, err := New(testScope, &fake.TokenCredential{}, o)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := be.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: "churn"}); err != nil {
		b.Fatal(err)
	}
	if err := be.CreateOrUpdateDeployment(ctx, "churn", blue); err != nil {
		b.Fatal(err)
	}
	if err := be.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: "churn", Traffic: traffic.MustNew(map[string]int{"blue": 100})}); err != nil {
		b.Fatal(err)
	}
	req := backend.InvokeRequest{Body: []byte(`{"data": [[1, 2, 3]]}`)}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := be.Invoke(ctx, "churn", req)
		if err != nil || resp.Status != 200 {
			b.Fatal(resp, err)
		}
	}
}
