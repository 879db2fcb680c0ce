package fakes

import (
	"context"
	"errors"
	"testing"

	"github.com/rolloutkit/rollout/backend"
)

// TestDeploymentNamesIgnoreCase: the service's deployment names are
// case-insensitive, for deletes and writes alike.
func TestDeploymentNamesIgnoreCase(t *testing.T) {
	ctx := context.Background()
	s := New(Options{Latency: NoLatency()})
	setup(t, s, map[string]int{"blue": 100}, "blue", "green")

	if err := s.DeleteDeployment(ctx, ep, "BLUE"); !errors.Is(err, backend.ErrInvalid) {
		t.Errorf("DeleteDeployment(BLUE) of serving blue = %v, want the refusal for a deployment with traffic", err)
	}
	must(t, s.DeleteDeployment(ctx, ep, "GREEN"))
	e, err := s.GetEndpoint(ctx, ep)
	must(t, err)
	if len(e.Deployments) != 1 || e.Deployments[0].Name != "blue" {
		t.Fatalf("after DeleteDeployment(GREEN): deployments %v, want only blue", e.Deployments)
	}

	d := dep("BLUE", "7")
	must(t, s.CreateOrUpdateDeployment(ctx, ep, d))
	e, err = s.GetEndpoint(ctx, ep)
	must(t, err)
	if len(e.Deployments) != 1 || e.Deployments[0].Name != "blue" || e.Deployments[0].Model.Version != "7" {
		t.Fatalf("writing BLUE: deployments %+v, want blue updated in place, keeping its name", e.Deployments)
	}
	must(t, s.ScaleDeployment(ctx, ep, "Blue", 3))
	if e, _ := s.GetEndpoint(ctx, ep); e.Deployments[0].InstanceCount != 3 {
		t.Errorf("ScaleDeployment(Blue) left %d instances, want 3", e.Deployments[0].InstanceCount)
	}
}

// TestFailProvisioningRuleIsForItsCall: a provisioning failure injected
// into a call the service refuses does not fire on a later call.
func TestFailProvisioningRuleIsForItsCall(t *testing.T) {
	ctx := context.Background()
	s := New(Options{Latency: NoLatency()})
	setup(t, s, map[string]int{"blue": 100}, "blue")
	f := NewFaults(1, Rule{Ops: []Op{OpCreateOrUpdateDeployment}, Count: 1,
		Fault: Fault{Kind: FailProvisioning, Code: "OutOfQuota", Message: "not enough quota"}})
	bad := dep("blue", "2")
	bad.InstanceType = "Standard_F4s_v2"
	if err := f.Wrap(s).CreateOrUpdateDeployment(ctx, ep, bad); !errors.Is(err, backend.ErrInvalid) {
		t.Fatalf("changing instance_type: %v, want the refusal", err)
	}
	if err := s.CreateOrUpdateDeployment(ctx, ep, dep("blue", "3")); err != nil {
		t.Fatalf("a later write failed: %v", err)
	}
}
