package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/plan"
	"github.com/rolloutkit/rollout/traffic"
)

// model returns a deployment of version v of a model.
func model(name string, v int) endpoint.Deployment {
	return endpoint.Deployment{
		Name:          name,
		Model:         endpoint.Reference{Name: "credit-risk", Version: fmt.Sprint(v)},
		InstanceType:  "Standard_DS3_v2",
		InstanceCount: 1,
	}
}

// Run takes the service to a desired state: first an endpoint with blue,
// then green through a canary, smoke-tested in isolation before it takes
// any live traffic.
func Example() {
	ctx := context.Background()
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})

	desired := []*endpoint.Endpoint{{
		Name:        "my-endpoint",
		AuthMode:    endpoint.AuthKey,
		Traffic:     traffic.MustParse("blue=100"),
		Deployments: []endpoint.Deployment{model("blue", 1)},
	}}
	res, err := rollout.Run(ctx, svc, desired, plan.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Completed)

	desired[0].Traffic = traffic.MustParse("green=100")
	desired[0].Deployments = append(desired[0].Deployments, model("green", 2))
	gates := rollout.Gates(map[string]rollout.Gate{
		"smoke": rollout.SmokeTest([]byte(`{"data": [[1, 2]]}`), nil),
		// A real bake lasts minutes; the example's is short.
		"bake": rollout.Pause(10 * time.Millisecond),
	})
	showTraffic := rollout.OnEvent(func(e rollout.Event) {
		if e.Kind == rollout.StepFinished && e.Action == plan.SetTraffic {
			ep, err := svc.GetEndpoint(ctx, e.Endpoint)
			if err != nil {
				log.Fatal(err)
			}
			fmt.Printf("%d/%d %s: %s\n", e.Done, e.Total, e.Step, ep.Traffic)
		}
	})
	if _, err := rollout.Run(ctx, svc, desired, plan.Options{Strategy: plan.Canary([]int{10})}, gates, showTraffic); err != nil {
		log.Fatal(err)
	}
	// Output:
	// [my-endpoint/create my-endpoint/blue/create my-endpoint/traffic]
	// 3/5 my-endpoint/traffic/1: blue=90 green=10
	// 5/5 my-endpoint/traffic/2: green=100
}

// A workflow engine runs each step of a saved plan as an activity of its
// own; ApplyStep is that activity, safe to retry.
func ExampleApplyStep() {
	ctx := context.Background()
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	desired := []*endpoint.Endpoint{{
		Name:        "my-endpoint",
		Traffic:     traffic.MustParse("blue=100"),
		Deployments: []endpoint.Deployment{model("blue", 1)},
	}}
	actual, err := svc.ListEndpoints(ctx)
	if err != nil {
		log.Fatal(err)
	}
	p, err := plan.Compute(desired, actual, plan.Options{})
	if err != nil {
		log.Fatal(err)
	}
	// Steps in plan order respect DependsOn; an engine may also run
	// independent steps side by side.
	for _, s := range p.Steps {
		for attempt := range 2 { // the second run is a retried activity
			if err := rollout.ApplyStep(ctx, svc, p, s.ID); err != nil {
				log.Fatal(err)
			}
			fmt.Println(s.ID, "attempt", attempt+1, "done")
		}
	}
	ep, err := svc.GetEndpoint(ctx, "my-endpoint")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ep.Traffic)
	// Output:
	// my-endpoint/create attempt 1 done
	// my-endpoint/create attempt 2 done
	// my-endpoint/blue/create attempt 1 done
	// my-endpoint/blue/create attempt 2 done
	// my-endpoint/traffic attempt 1 done
	// my-endpoint/traffic attempt 2 done
	// blue=100
}

// A gate is any function. This one stands for a latency check that
// refuses after the first canary stage; with Rollback, the traffic goes
// back to the last split a gate approved, and green stays for inspection.
func ExampleGateFunc() {
	ctx := context.Background()
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	desired := []*endpoint.Endpoint{{
		Name:        "my-endpoint",
		Traffic:     traffic.MustParse("blue=100"),
		Deployments: []endpoint.Deployment{model("blue", 1)},
	}}
	if _, err := rollout.Run(ctx, svc, desired, plan.Options{}); err != nil {
		log.Fatal(err)
	}

	desired[0].Traffic = traffic.MustParse("green=100")
	desired[0].Deployments = append(desired[0].Deployments, model("green", 2))
	latency := rollout.GateFunc(func(ctx context.Context, g rollout.GateContext) error {
		return fmt.Errorf("p99 latency of %s is 480ms, above 300ms", g.Endpoint)
	})
	gates := rollout.Gates(map[string]rollout.Gate{"smoke": rollout.SmokeTest(nil, nil), "bake": latency})
	_, err := rollout.Run(ctx, svc, desired, plan.Options{Strategy: plan.Canary([]int{10})}, gates, rollout.Rollback())
	fmt.Println(err)

	ep, err := svc.GetEndpoint(ctx, "my-endpoint")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ep.Traffic, len(ep.Deployments), "deployments")
	// Output:
	// rollout: step my-endpoint/gate/bake/1 (gate) failed: p99 latency of my-endpoint is 480ms, above 300ms; traffic rolled back on my-endpoint
	// blue=100 2 deployments
}

// A deployment takes the latest version of its model: observing resolves
// the label, the plan shows the version and writes it, and a saved plan
// becomes stale once a newer version is created.
func ExampleResolveLabels() {
	ctx := context.Background()
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, v := range []string{"6", "7"} {
		created = created.Add(time.Hour)
		if err := svc.AddAssetVersion(fakes.AssetVersion{Kind: endpoint.ModelAsset, Name: "taxi-model", Version: v, Created: created, Content: "model " + v}); err != nil {
			log.Fatal(err)
		}
	}
	blue := model("blue", 0)
	blue.Model = endpoint.Reference{Name: "taxi-model", Label: endpoint.LatestLabel}
	desired := []*endpoint.Endpoint{{Name: "my-endpoint", AuthMode: endpoint.AuthKey, Traffic: traffic.MustParse("blue=100"), Deployments: []endpoint.Deployment{blue}}}

	resolved, err := rollout.ResolveLabels(ctx, svc, desired)
	if err != nil {
		log.Fatal(err)
	}
	p, err := plan.Compute(resolved, nil, plan.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Labels[0].String(), "→", p.Labels[0].Version)

	if err := svc.AddAssetVersion(fakes.AssetVersion{Kind: endpoint.ModelAsset, Name: "taxi-model", Version: "8", Created: created.Add(time.Hour), Content: "model 8"}); err != nil {
		log.Fatal(err)
	}
	_, err = rollout.Apply(ctx, svc, p)
	var stale *rollout.StalePlanError
	if errors.As(err, &stale) {
		fmt.Println("stale:", stale.Moved)
	}
	// Output:
	// azureml:taxi-model@latest → 7
	// stale: [azureml:taxi-model@latest moved from 7 to 8]
}
