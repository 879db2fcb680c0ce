package rollout_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
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

// TestRollbackCannotRestore: the rollback restores the latest approved
// split that is safe in the state left; when a deployment the later one
// names failed meanwhile, it passes over that split, says so, and restores
// an earlier one.
func TestRollbackCannotRestore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := fakes.New(fakes.Options{})
		desired := toGreen(t, svc)
		pass := rollout.GateFunc(func(context.Context, rollout.GateContext) error { return nil })
		var bakes int
		bake := rollout.GateFunc(func(ctx context.Context, g rollout.GateContext) error {
			if bakes++; bakes == 1 {
				return nil
			}
			// Green fails under load, from outside the rollout.
			svc.FailProvisioning("my-endpoint", "green", "OutOfQuota", "not enough quota")
			if err := svc.ScaleDeployment(ctx, "my-endpoint", "green", 3); err == nil {
				t.Error("green's scale did not fail")
			}
			return errors.New("green is failing")
		})
		_, err := rollout.Run(t.Context(), svc, desired, plan.Options{Strategy: plan.Canary([]int{10, 50})},
			rollout.Gates(map[string]rollout.Gate{"smoke": pass, "bake": bake}), rollout.Rollback())
		var se *rollout.StepError
		if !errors.As(err, &se) || se.Step != "my-endpoint/gate/bake/2" {
			t.Fatalf("got %v, want bake/2 to refuse", err)
		}
		if se.RollbackErr != nil || len(se.RolledBack) != 1 || len(se.Restored) != 1 {
			t.Fatalf("rollback: restored %v (%v), error %v; want my-endpoint restored", se.RolledBack, se.Restored, se.RollbackErr)
		}
		if note := se.Restored[0]; !strings.Contains(note, "blue=100, observed before the plan") || !strings.Contains(note, "passed over blue=90 green=10") || !strings.Contains(note, "green is Failed") {
			t.Errorf("restored %q, want blue=100 and why blue=90 green=10 was passed over", note)
		}
		if len(se.State) != 1 || se.State[0].Traffic.String() != "blue=100" {
			t.Errorf("state left %v, want blue=100", se.State)
		}
	})
}

// TestRollbackPanics: the rollback runs on goroutines of its own, and a
// panic or runtime.Goexit there, in the backend or in an event listener,
// reaches the caller of Apply as one in a step does, rather than end the
// program: a panic as a *rollout.PanicError naming the step that stopped
// the rollout.
func TestRollbackPanics(t *testing.T) {
	tests := []struct {
		reason  string
		backend bool // the backend's rollback write panics, else the listener
		goexit  bool
	}{
		{"the listener told of the rollback panics", false, false},
		{"the backend panics in the rollback's write", true, false},
		{"the listener calls runtime.Goexit, as t.FailNow does", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				svc := fakes.New(fakes.Options{})
				desired := toGreen(t, svc)
				var rollingBack atomic.Bool
				end := func() {
					if tc.goexit {
						runtime.Goexit()
					}
					backendBug()
				}
				b := fakes.Intercept(svc, fakes.Interceptor{
					CreateOrUpdateEndpoint: func(ctx context.Context, next backend.Backend, e *endpoint.Endpoint) error {
						if tc.backend && rollingBack.Load() {
							end()
						}
						return next.CreateOrUpdateEndpoint(ctx, e)
					},
				})
				listen := rollout.OnEvent(func(e rollout.Event) {
					if e.Kind == rollout.RollingBack {
						rollingBack.Store(true)
						if !tc.backend {
							end()
						}
					}
				})
				var recovered any
				returned, left := false, make(chan struct{})
				go func() {
					defer close(left)
					defer func() { recovered = recover() }()
					rollout.Run(t.Context(), b, desired, plan.Options{Strategy: plan.Canary([]int{10, 50})}, listen, rollout.Rollback(),
						rollout.Gates(map[string]rollout.Gate{"smoke": rollout.Pause(0), "bake": failSecondBake()}))
					returned = true
				}()
				<-left
				if returned {
					t.Fatal("Run returned, want it to end as the rollback did")
				}
				if tc.goexit {
					if recovered != nil {
						t.Errorf("recovered %v, want runtime.Goexit", recovered)
					}
					return
				}
				checkPanic(t, recovered, "my-endpoint/gate/bake/2", "the rollback that followed the step panicked")
			})
		})
	}
}

// TestRolledBackSorted: the endpoints a rollback restored are listed
// sorted, as Result.RolledBack says, whatever the case of their names.
func TestRolledBackSorted(t *testing.T) {
	tests := []struct {
		reason string
		names  []string
	}{
		{"lower-case names", []string{"beta-ep", "alpha-ep"}},
		{"a capital sorts before every lower-case letter", []string{"beta-ep", "Gamma-ep"}},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				svc := fakes.New(fakes.Options{})
				var from, to []*endpoint.Endpoint
				for _, n := range tc.names {
					from = append(from, desiredEndpoint(n, "blue=100", deployment("blue", 1, 2)))
					to = append(to, desiredEndpoint(n, "green=100", deployment("blue", 1, 2), deployment("green", 2, 2)))
				}
				runTo(t, svc, from, plan.Options{})
				refuse := rollout.GateFunc(func(context.Context, rollout.GateContext) error {
					return errors.New("p99 latency above 300ms")
				})
				res, err := rollout.Run(t.Context(), svc, to, plan.Options{Strategy: plan.Canary([]int{10})}, rollout.Rollback(),
					rollout.Gates(map[string]rollout.Gate{"smoke": rollout.Pause(0), "bake": refuse}))
				if err == nil {
					t.Fatal("Run passed a refusing gate")
				}
				if len(res.RolledBack) != 2 || !slices.IsSorted(res.RolledBack) {
					t.Errorf("RolledBack %v, want both endpoints, sorted", res.RolledBack)
				}
			})
		})
	}
}
