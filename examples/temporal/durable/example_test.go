package durable_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/examples/temporal/durable"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/plan"
)

// The tutorial's canary as a workflow: green replaces blue through 10%,
// smoke-tested on its own first and baked for ten minutes, which the
// SDK's test environment skips in workflow time. A deployment would run
// the same workflow on a Temporal server, with workers that Register it
// against backend/azureml.
func ExampleRollout() {
	ctx := context.Background()
	blue, err := endpoint.Load("../../canary/flow/2-scale-blue.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	desired, err := endpoint.Load("../../canary/flow/6-delete-blue.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	if _, err := rollout.Run(ctx, svc, blue, plan.Options{}); err != nil {
		fmt.Println(err)
		return
	}

	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))))
	env := suite.NewTestWorkflowEnvironment()
	durable.Register(env, &durable.Activities{Backend: svc})
	env.ExecuteWorkflow(durable.WorkflowRollout, durable.Request{
		Desired:  desired,
		Strategy: "canary:10",
		Gates:    durable.DefaultGates(10 * time.Minute),
	})
	var res durable.Result
	if err := env.GetWorkflowResult(&res); err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range res.Completed {
		fmt.Println(id)
	}
	e, err := svc.GetEndpoint(ctx, "my-endpoint")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("traffic:", e.Traffic)
	// Output:
	// my-endpoint/green/create
	// my-endpoint/gate/smoke:green
	// my-endpoint/traffic/1
	// my-endpoint/gate/bake/1
	// my-endpoint/traffic/2
	// my-endpoint/blue/delete
	// traffic: green=100
}
