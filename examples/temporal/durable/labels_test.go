package durable_test

import (
	"context"
	"testing"
	"time"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/examples/temporal/durable"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/traffic"
)

// labelled is an endpoint whose blue takes the latest taxi-model.
func labelled() []*endpoint.Endpoint {
	return []*endpoint.Endpoint{{
		Name:     "my-endpoint",
		AuthMode: endpoint.AuthKey,
		Traffic:  traffic.MustParse("blue=100"),
		Deployments: []endpoint.Deployment{{
			Name:          "blue",
			Model:         endpoint.Reference{Name: "taxi-model", Label: endpoint.LatestLabel},
			InstanceType:  "Standard_DS3_v2",
			InstanceCount: 1,
		}},
	}}
}

// TestLabels: the workflow resolves the labels of the desired state in an
// activity after observing, and writes the version the label points at.
func TestLabels(t *testing.T) {
	svc := newService(t, nil)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, v := range []string{"6", "10", "7"} {
		if err := svc.AddAssetVersion(fakes.AssetVersion{Kind: endpoint.ModelAsset, Name: "taxi-model", Version: v, Content: v, Created: at.Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	env := newEnv(svc)
	env.ExecuteWorkflow(durable.WorkflowRollout, durable.Request{Desired: labelled()})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("the workflow failed: %v", err)
	}
	e, err := svc.GetEndpoint(context.Background(), "my-endpoint")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Deployment("blue").Model.String(); got != "azureml:taxi-model:7" {
		t.Errorf("blue written with %s, want the version created last, azureml:taxi-model:7", got)
	}
}

// TestLabelResolvesToNothing: a label that selects no version refuses the
// rollout before anything is written.
func TestLabelResolvesToNothing(t *testing.T) {
	svc := newService(t, nil)
	env := newEnv(svc)
	env.ExecuteWorkflow(durable.WorkflowRollout, durable.Request{Desired: labelled()})
	err := env.GetWorkflowError()
	if got := errorType(err); got != durable.ErrorRefused {
		t.Fatalf("the workflow ended with %v (type %q), want %s", err, got, durable.ErrorRefused)
	}
	if n := len(svc.History()); n != 0 {
		t.Errorf("the refused rollout changed the service %d times", n)
	}
}
