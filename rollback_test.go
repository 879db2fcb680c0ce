package rollout_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/plan"
)

// failSecondBake is a bake gate that passes once and then refuses.
func failSecondBake() rollout.Gate {
	var n atomic.Int32
	return rollout.GateFunc(func(context.Context, rollout.GateContext) error {
		if n.Add(1) > 1 {
			return errors.New("p99 latency above 300ms")
		}
		return nil
	})
}

// TestRollback moves blue=100 to green=100 through a canary of 10% and 50%
// and stops it at the second stage; the rollback, when enabled, returns
// traffic to the split the first bake approved (blue=90 green=10), and
// keeps green.
func TestRollback(t *testing.T) {
	passAll := rollout.GateFunc(func(context.Context, rollout.GateContext) error { return nil })
	dropSecondStage := func(b backend.Backend) backend.Backend {
		// The second endpoint write of the plan is the 50% stage: it
		// happens, but its answer is lost.
		return fakes.NewFaults(1, fakes.Rule{Ops: []fakes.Op{fakes.OpCreateOrUpdateEndpoint}, Skip: 1, Count: 1,
			Fault: fakes.Fault{Kind: fakes.DropResponse}}).Wrap(b)
	}
	tests := []struct {
		reason   string
		bake     rollout.Gate
		wrap     func(backend.Backend) backend.Backend
		rollback bool
		failed   string
		traffic  string
	}{
		{"a gate refuses at 50%: back to the split the first bake approved", failSecondBake(), nil, true,
			"my-endpoint/gate/bake/2", "blue=90 green=10"},
		{"the 50% write fails for good after it happened: back to 10%", passAll, dropSecondStage, true,
			"my-endpoint/traffic/2", "blue=90 green=10"},
		{"without Rollback the safe state is left as it is", failSecondBake(), nil, false,
			"my-endpoint/gate/bake/2", "blue=50 green=50"},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				svc := fakes.New(fakes.Options{})
				desired := toGreen(t, svc)
				s := newSafety(desired, observe(t, svc))
				var b backend.Backend = svc
				if tc.wrap != nil {
					b = tc.wrap(svc)
				}
				opts := []rollout.Option{
					rollout.Gates(map[string]rollout.Gate{"smoke": passAll, "bake": tc.bake}),
					rollout.MaxAttempts(1),
				}
				if tc.rollback {
					opts = append(opts, rollout.Rollback())
				}
				_, err := rollout.Run(t.Context(), b, desired, plan.Options{Strategy: plan.Canary([]int{10, 50})}, opts...)
				var se *rollout.StepError
				if !errors.As(err, &se) {
					t.Fatalf("got %v, want a *StepError", err)
				}
				if se.Step != tc.failed {
					t.Errorf("failed step %q, want %q", se.Step, tc.failed)
				}
				if se.RollbackErr != nil {
					t.Errorf("rollback error: %v", se.RollbackErr)
				}
				if len(se.State) != 1 || se.State[0].Traffic.String() != tc.traffic || se.State[0].Deployment("green") == nil {
					t.Fatalf("state left %v, want traffic %s with green kept", se.State, tc.traffic)
				}
				if tc.rollback != (len(se.RolledBack) == 1) || tc.rollback != strings.Contains(err.Error(), "rolled back on my-endpoint") {
					t.Errorf("rolled back %v, error %q; want a rollback: %v", se.RolledBack, err, tc.rollback)
				}
				checkHistory(t, s, svc)
			})
		})
	}
}

// TestRollbackCannotRestore: when the stable split names a deployment
// that can no longer take traffic, the rollback leaves the endpoint as it
// is and says why.
func TestRollbackCannotRestore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := fakes.New(fakes.Options{})
		desired := toGreen(t, svc)
		// Keep blue, scaled down to one instance once green has all
		// traffic; that scale fails and leaves blue Failed.
		desired[0] = desiredEndpoint("my-endpoint", "green=100", deployment("blue", 1, 1), deployment("green", 2, 2))
		faults := fakes.NewFaults(1, fakes.Rule{Ops: []fakes.Op{fakes.OpScaleDeployment}, Deployment: "blue",
			Fault: fakes.Fault{Kind: fakes.FailProvisioning, Code: "OutOfQuota", Message: "not enough quota"}})
		pass := rollout.GateFunc(func(context.Context, rollout.GateContext) error { return nil })
		_, err := rollout.Run(t.Context(), faults.Wrap(svc), desired, plan.Options{Strategy: plan.Canary([]int{10})},
			rollout.Gates(map[string]rollout.Gate{"smoke": pass, "bake": pass}), rollout.Rollback())
		var se *rollout.StepError
		if !errors.As(err, &se) || se.Step != "my-endpoint/blue/update" {
			t.Fatalf("got %v, want blue's scale to fail", err)
		}
		if se.RollbackErr == nil || !strings.Contains(se.RollbackErr.Error(), "deployment blue is Failed") || len(se.RolledBack) != 0 {
			t.Errorf("rollback: restored %v, error %v; want none restored because blue failed", se.RolledBack, se.RollbackErr)
		}
		if len(se.State) != 1 || se.State[0].Traffic.String() != "green=100" {
			t.Errorf("state left %v, want green=100 untouched", se.State)
		}
	})
}
