package fakes_test

import (
	"context"
	"fmt"
	"log"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/traffic"
)

func Example() {
	ctx := context.Background()
	svc := fakes.New(fakes.Options{
		Latency:  fakes.NoLatency(),
		Handlers: map[string]fakes.Handler{"blue": fakes.Respond(200, "v1")},
	})
	if err := svc.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: "my-endpoint"}); err != nil {
		log.Fatal(err)
	}
	blue := endpoint.Deployment{
		Name:          "blue",
		Model:         endpoint.Reference{Name: "model-1", Version: "1"},
		InstanceType:  "Standard_DS3_v2",
		InstanceCount: 1,
	}
	if err := svc.CreateOrUpdateDeployment(ctx, "my-endpoint", blue); err != nil {
		log.Fatal(err)
	}
	// The service replaces the whole split on every endpoint update.
	err := svc.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{
		Name:    "my-endpoint",
		Traffic: traffic.MustNew(map[string]int{"blue": 100}),
	})
	if err != nil {
		log.Fatal(err)
	}
	resp, err := svc.Invoke(ctx, "my-endpoint", backend.InvokeRequest{Body: []byte(`{"data": [1, 2]}`)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Deployment, resp.Status, string(resp.Body))

	e, err := svc.GetEndpoint(ctx, "my-endpoint")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.Traffic, e.Status.ProvisioningState, e.Deployments[0].Status.ProvisioningState)

	err = svc.DeleteDeployment(ctx, "my-endpoint", "blue")
	fmt.Println(backend.KindOf(err))
	fmt.Println(err)
	// Output:
	// blue 200 v1
	// blue=100 Succeeded Succeeded
	// invalid
	// backend: invalid: BadArgument: Deployment blue in endpoint my-endpoint has 100% of the live traffic and cannot be deleted; set its traffic to 0 first
}
