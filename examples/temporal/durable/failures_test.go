package durable_test

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/examples/temporal/durable"
	"github.com/rolloutkit/rollout/fakes"
)

// attempts counts the attempts of the ApplyStep activity in env.
func attempts(env *testsuite.TestWorkflowEnvironment) func() int {
	var mu sync.Mutex
	n := 0
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == "rollout.ApplyStep" {
			mu.Lock()
			n++
			mu.Unlock()
		}
	})
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// TestRetried throttles the first two traffic writes: Temporal retries
// the step, after the 30 seconds the service asked for each time, and the
// rollout finishes.
func TestRetried(t *testing.T) {
	svc := newService(t, load(t, "2-scale-blue.yaml"))
	faults := fakes.NewFaults(1, fakes.Rule{
		Ops: []fakes.Op{fakes.OpCreateOrUpdateEndpoint}, Count: 2,
		Fault: fakes.Fault{Kind: fakes.Throttle, RetryAfter: 30 * time.Second},
	})
	env := newEnv(faults.Wrap(svc))
	count := attempts(env)
	start := env.Now()

	env.ExecuteWorkflow(durable.WorkflowRollout, tutorial(t, "canary:10"))

	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("the workflow failed: %v", err)
	}
	if got := count(); got != 5+2 {
		t.Errorf("%d attempts of steps, want 7: five write or smoke steps, two of them twice more", got)
	}
	if took := env.Now().Sub(start); took < 10*time.Minute+time.Minute {
		t.Errorf("the rollout took %v of workflow time, want the bake and two waits of 30s", took)
	}
	holds(t, svc, "my-endpoint", "green=100", "green")
}

// TestWorkerCrash loses the worker right after green's create reached
// the service: the attempt fails as a panic does, Temporal runs the step
// again, and the repeated write is an update to the same spec, so the
// service ends as if the step had run once.
func TestWorkerCrash(t *testing.T) {
	svc := newService(t, load(t, "2-scale-blue.yaml"))
	crashed := false
	b := fakes.Intercept(svc, fakes.Interceptor{
		CreateOrUpdateDeployment: func(ctx context.Context, next backend.Backend, ep string, d endpoint.Deployment) error {
			err := next.CreateOrUpdateDeployment(ctx, ep, d)
			if !crashed {
				crashed = true
				panic("the worker is gone, after its write reached the service")
			}
			return err
		},
	})
	env := newEnv(b)
	count := attempts(env)

	env.ExecuteWorkflow(durable.WorkflowRollout, tutorial(t, "canary:10"))

	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("the workflow failed: %v", err)
	}
	if got := count(); got != 5+1 {
		t.Errorf("%d attempts of steps, want 6: the create twice", got)
	}
	holds(t, svc, "my-endpoint", "green=100", "green")
	if got, want := liveSplits(svc, "my-endpoint"), []string{"blue=100", "blue=90 green=10", "green=100"}; !slices.Equal(got, want) {
		t.Errorf("live traffic went %v, want %v", got, want)
	}
	var writes int
	for _, st := range svc.History() {
		if st.Op == "CreateOrUpdateDeployment" && st.Target == "my-endpoint/green" && st.End {
			writes++
			if d := st.Endpoint("my-endpoint").Deployment("green"); d == nil || d.Model.Version != "2" || d.InstanceCount != 2 {
				t.Errorf("green after a write: %+v, want version 2 of the model on two instances", d)
			}
		}
	}
	if writes != 2 {
		t.Errorf("green was written %d times, want twice: the lost attempt and its repetition", writes)
	}
}

// TestPermanentFailure fails green's provisioning: the kind is not
// retryable, so the step is tried once and the workflow fails, with the
// endpoint serving blue as before.
func TestPermanentFailure(t *testing.T) {
	svc := newService(t, load(t, "2-scale-blue.yaml"))
	svc.FailProvisioning("my-endpoint", "green", "OutOfQuota", "Not enough quota for Standard_DS3_v2")
	env := newEnv(svc)
	count := attempts(env)

	env.ExecuteWorkflow(durable.WorkflowRollout, tutorial(t, "canary:10"))

	if err := env.GetWorkflowError(); errorType(err) != durable.ErrorStepFailed {
		t.Fatalf("the workflow ended with %v, want an error of type %s", err, durable.ErrorStepFailed)
	}
	if got := count(); got != 1 {
		t.Errorf("%d attempts, want 1: provisioning failures are not retried", got)
	}
	holds(t, svc, "my-endpoint", "blue=100", "blue", "green")
	if st := query(t, env); st.Phase != durable.PhaseFailed || st.Error == "" || len(st.RolledBack) != 0 {
		t.Errorf("status: phase %s, error %q, rolled back %v; want failed, with the error, nothing to roll back", st.Phase, st.Error, st.RolledBack)
	}
}

// TestFailedGateRollsBack refuses a metric gate at 10%: green answered
// half its requests with errors. The traffic goes back to blue=100, the
// split before the plan: the smoke gate tested green alone and approved
// none.
func TestFailedGateRollsBack(t *testing.T) {
	svc := newService(t, load(t, "2-scale-blue.yaml"))
	var mu sync.Mutex
	reads := map[string]int64{}
	metrics := rollout.MetricSourceFunc(func(_ context.Context, ep, d string) (rollout.MetricSample, error) {
		mu.Lock()
		defer mu.Unlock()
		n := reads[d]
		reads[d]++
		s := rollout.MetricSample{Endpoint: ep, Deployment: d, Requests: 100 * n}
		if d == "green" {
			s.Errors = 50 * n
		}
		return s, nil
	})
	env := newEnvWith(&durable.Activities{Backend: svc, Metrics: metrics})
	req := tutorial(t, "canary:10:check")
	req.Gates["check"] = durable.GateSpec{Kind: durable.Metric, Duration: time.Millisecond, MaxErrorRate: 0.01, MinRequests: 10}

	env.ExecuteWorkflow(durable.WorkflowRollout, req)

	if err := env.GetWorkflowError(); errorType(err) != durable.ErrorStepFailed {
		t.Fatalf("the workflow ended with %v, want an error of type %s", err, durable.ErrorStepFailed)
	}
	holds(t, svc, "my-endpoint", "blue=100", "blue", "green")
	if got, want := liveSplits(svc, "my-endpoint"), []string{"blue=100", "blue=90 green=10", "blue=100"}; !slices.Equal(got, want) {
		t.Errorf("live traffic went %v, want %v", got, want)
	}
	if st := query(t, env); !slices.Equal(st.RolledBack, []string{"my-endpoint"}) {
		t.Errorf("rolled back %v, want my-endpoint", st.RolledBack)
	}
}

// TestUnboundGate refuses a plan with a gate nothing binds before any
// write.
func TestUnboundGate(t *testing.T) {
	svc := newService(t, load(t, "2-scale-blue.yaml"))
	before := len(svc.History())
	env := newEnv(svc)

	env.ExecuteWorkflow(durable.WorkflowRollout, tutorial(t, "canary:10:verify"))

	if err := env.GetWorkflowError(); errorType(err) != durable.ErrorRefused {
		t.Fatalf("the workflow ended with %v, want an error of type %s", err, durable.ErrorRefused)
	}
	if after := len(svc.History()); after != before {
		t.Errorf("the service changed %d times, want none", after-before)
	}
}

// TestFailureStopsGates fails, for good, the first write to one of two
// endpoints while the other's gate waits at 10%: the gate refuses at
// once, as on abort, and the rollback puts the other endpoint back on
// blue=100, the split its last passing gate approved.
func TestFailureStopsGates(t *testing.T) {
	for _, c := range []struct {
		strategy, reason string
	}{
		{"canary:10:approve", "an approval nobody answers held the rollback back for good"},
		{"canary:10", "a bake that ran on approved the canary split, which the rollback then kept"},
	} {
		t.Run(c.strategy, func(t *testing.T) {
			svc := newService(t, twoEndpoints(t, "2-scale-blue.yaml"))
			faults := fakes.NewFaults(1, fakes.Rule{
				Ops: []fakes.Op{fakes.OpCreateOrUpdateDeployment}, Endpoint: "other-endpoint", Count: 100,
				Fault: fakes.Fault{Kind: fakes.Throttle, RetryAfter: time.Minute},
			})
			env := newEnv(faults.Wrap(svc))
			start := env.Now()
			// Only for the failing case: without an answer, the approval
			// would wait for ever.
			env.RegisterDelayedCallback(func() { env.SignalWorkflow(durable.SignalAbort, durable.Signal{}) }, 24*time.Hour)
			req := durable.Request{Desired: twoEndpoints(t, "6-delete-blue.yaml"), Strategy: c.strategy, Gates: durable.DefaultGates(time.Hour), MaxAttempts: 3}

			env.ExecuteWorkflow(durable.WorkflowRollout, req)

			if err := env.GetWorkflowError(); errorType(err) != durable.ErrorStepFailed {
				t.Fatalf("the workflow ended with %v, want an error of type %s", err, durable.ErrorStepFailed)
			}
			if took := env.Now().Sub(start); took >= time.Hour {
				t.Errorf("the rollout took %v of workflow time, want the few minutes of the failing write: %s", took, c.reason)
			}
			holds(t, svc, "my-endpoint", "blue=100", "blue", "green")
			if st := query(t, env); !slices.Equal(st.RolledBack, []string{"my-endpoint"}) || len(st.Waiting) != 0 {
				t.Errorf("status: rolled back %v, waiting %v; want my-endpoint rolled back, nothing waiting: %s", st.RolledBack, st.Waiting, c.reason)
			}
		})
	}
}

// TestRollbackRestoresApprovedSplit fails a step after a gate that, by
// rollout.Apply's rules, approves no split: the rollback restores what
// Apply's would, the split before the plan or none at all.
func TestRollbackRestoresApprovedSplit(t *testing.T) {
	final := &backend.Error{Kind: backend.Invalid, Message: "refused"}
	for _, c := range []struct {
		name, strategy string
		fail           fakes.Interceptor
		gates          map[string]durable.GateSpec
		live, mirror   string
		rolledBack     []string
		reason         string
	}{{
		name: "cleanup", strategy: "canary:10",
		fail: fakes.Interceptor{DeleteDeployment: func(context.Context, backend.Backend, string, string) error { return final }},
		live: "green=100", rolledBack: nil,
		reason: "past the last traffic step only cleanup is left, and a failed cleanup leaves the final split",
	}, {
		name: "after shadow", strategy: "shadow:10",
		fail: fakes.Interceptor{CreateOrUpdateEndpoint: func(ctx context.Context, next backend.Backend, e *endpoint.Endpoint) error {
			if e.Traffic.String() == "green=100" {
				return final
			}
			return next.CreateOrUpdateEndpoint(ctx, e)
		}},
		live: "blue=100", mirror: "", rolledBack: []string{"my-endpoint"},
		reason: "a shadow gate checks one deployment and approves no split, so the mirror goes with the rest",
	}, {
		name: "own gate after the switch", strategy: "bluegreen",
		gates: map[string]durable.GateSpec{"bake": {Kind: durable.Approval, Timeout: time.Minute}},
		live:  "blue=100", rolledBack: []string{"my-endpoint"},
		reason: "past the last traffic step, a refusal by the endpoint's own gate still rolls it back",
	}} {
		t.Run(c.name, func(t *testing.T) {
			svc := newService(t, load(t, "2-scale-blue.yaml"))
			env := newEnv(fakes.Intercept(svc, c.fail))
			req := tutorial(t, c.strategy)
			req.Gates["shadow"] = durable.GateSpec{Kind: durable.Bake, Duration: time.Minute}
			maps.Copy(req.Gates, c.gates)

			env.ExecuteWorkflow(durable.WorkflowRollout, req)

			if err := env.GetWorkflowError(); errorType(err) != durable.ErrorStepFailed {
				t.Fatalf("the workflow ended with %v, want an error of type %s", err, durable.ErrorStepFailed)
			}
			e, _ := svc.Peek("my-endpoint")
			if e.Traffic.String() != c.live || e.Mirror.String() != c.mirror {
				t.Errorf("my-endpoint serves %s mirroring %q, want %s mirroring %q: %s", e.Traffic, e.Mirror, c.live, c.mirror, c.reason)
			}
			if st := query(t, env); !slices.Equal(st.RolledBack, c.rolledBack) {
				t.Errorf("rolled back %v, want %v: %s", st.RolledBack, c.rolledBack, c.reason)
			}
		})
	}
}

// TestAbortDuringFailingWrite aborts while a write is retried, and the
// write then fails for good: the workflow fails with the step's error,
// and the status says failed, as the error's type does and as a fleet
// counts it.
func TestAbortDuringFailingWrite(t *testing.T) {
	svc := newService(t, load(t, "2-scale-blue.yaml"))
	faults := fakes.NewFaults(1, fakes.Rule{
		Ops: []fakes.Op{fakes.OpCreateOrUpdateDeployment}, Count: 100,
		Fault: fakes.Fault{Kind: fakes.Throttle, RetryAfter: time.Minute},
	})
	env := newEnv(faults.Wrap(svc))
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(durable.SignalAbort, durable.Signal{Reason: "wrong version"}) }, 30*time.Second)
	req := tutorial(t, "canary:10")
	req.MaxAttempts = 3

	env.ExecuteWorkflow(durable.WorkflowRollout, req)

	if err := env.GetWorkflowError(); errorType(err) != durable.ErrorStepFailed {
		t.Fatalf("the workflow ended with %v, want an error of type %s", err, durable.ErrorStepFailed)
	}
	if st := query(t, env); st.Phase != durable.PhaseFailed {
		t.Errorf("status: phase %s, want %s, as the error's type says", st.Phase, durable.PhaseFailed)
	}
}

// TestPromotedGatesApproveNothing promotes a minute into the first of two
// 10-minute bakes, and the last traffic write then fails for good: the
// gates that promote skipped checked nothing, so the rollback goes back
// to blue=100, not to a stage no gate watched through, as Argo Rollouts
// goes back to its stable version on an abort after promote --full.
func TestPromotedGatesApproveNothing(t *testing.T) {
	svc := newService(t, load(t, "2-scale-blue.yaml"))
	final := &backend.Error{Kind: backend.Invalid, Message: "refused"}
	env := newEnv(fakes.Intercept(svc, fakes.Interceptor{CreateOrUpdateEndpoint: func(ctx context.Context, next backend.Backend, e *endpoint.Endpoint) error {
		if e.Traffic.String() == "green=100" {
			return final
		}
		return next.CreateOrUpdateEndpoint(ctx, e)
	}}))
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(durable.SignalPromote, durable.Signal{}) }, time.Minute)

	env.ExecuteWorkflow(durable.WorkflowRollout, tutorial(t, "canary:10,50"))

	if err := env.GetWorkflowError(); errorType(err) != durable.ErrorStepFailed {
		t.Fatalf("the workflow ended with %v, want an error of type %s", err, durable.ErrorStepFailed)
	}
	holds(t, svc, "my-endpoint", "blue=100", "blue", "green")
	if got, want := liveSplits(svc, "my-endpoint"), []string{"blue=100", "blue=90 green=10", "blue=50 green=50", "blue=100"}; !slices.Equal(got, want) {
		t.Errorf("live traffic went %v, want %v", got, want)
	}
}
