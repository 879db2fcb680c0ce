package durable_test

import (
	"slices"
	"testing"
	"time"

	"github.com/rolloutkit/rollout/examples/temporal/durable"
	"github.com/rolloutkit/rollout/fakes"
)

// TestTutorial runs the walk-through's canary as a workflow: green is
// created beside a scaled-out blue, smoke-tested alone, given 10% for a
// 10-minute bake on a workflow timer, then all traffic, and blue is
// deleted. The bake takes ten minutes of workflow time and none of real
// time; the status query tells, in the middle of it, which gate waits
// since when and what the traffic is.
func TestTutorial(t *testing.T) {
	svc := newService(t, load(t, "2-scale-blue.yaml"))
	env := newEnv(svc)
	start := env.Now()
	var during durable.Status
	env.RegisterDelayedCallback(func() { during = query(t, env) }, 5*time.Minute)

	env.ExecuteWorkflow(durable.WorkflowRollout, tutorial(t, "canary:10"))

	if !env.IsWorkflowCompleted() {
		t.Fatal("the workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("the workflow failed: %v", err)
	}
	var res durable.Result
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"my-endpoint/green/create", "my-endpoint/gate/smoke:green", "my-endpoint/traffic/1",
		"my-endpoint/gate/bake/1", "my-endpoint/traffic/2", "my-endpoint/blue/delete",
	}
	if !slices.Equal(res.Completed, want) {
		t.Errorf("completed %v, want %v", res.Completed, want)
	}
	if took := env.Now().Sub(start); took < 10*time.Minute {
		t.Errorf("the rollout took %v of workflow time, want the 10-minute bake at least", took)
	}
	holds(t, svc, "my-endpoint", "green=100", "green")
	if got, want := liveSplits(svc, "my-endpoint"), []string{"blue=100", "blue=90 green=10", "green=100"}; !slices.Equal(got, want) {
		t.Errorf("live traffic went %v, want %v", got, want)
	}

	if during.Phase != durable.PhaseRunning || len(during.Waiting) != 1 {
		t.Fatalf("status during the bake: phase %s, waiting %+v; want running, one gate", during.Phase, during.Waiting)
	}
	w := during.Waiting[0]
	if w.Gate != "bake" || w.Kind != durable.Bake || !w.Since.Equal(start) {
		t.Errorf("waiting %+v, want the bake since %v", w, start)
	}
	if len(during.Traffic) != 1 || during.Traffic[0].Live.String() != "blue=90 green=10" {
		t.Errorf("traffic during the bake %+v, want blue=90 green=10", during.Traffic)
	}
	if during.Stage != "my-endpoint/traffic/1" || len(during.Done) != 3 || during.Steps != 6 || during.Plan == "" {
		t.Errorf("status during the bake: stage %q, done %v of %d, plan %q", during.Stage, during.Done, during.Steps, during.Plan)
	}
	if after := query(t, env); after.Phase != durable.PhaseSucceeded || len(after.Done) != 6 {
		t.Errorf("status after the end: phase %s, done %v", after.Phase, after.Done)
	}
}

// TestApproval waits for the approve signal for as long as it takes (an
// hour of workflow time here), then finishes the rollout.
func TestApproval(t *testing.T) {
	svc := newService(t, load(t, "2-scale-blue.yaml"))
	env := newEnv(svc)
	start := env.Now()
	var during durable.Status
	env.RegisterDelayedCallback(func() {
		during = query(t, env)
		env.SignalWorkflow(durable.SignalApprove, durable.Signal{})
	}, time.Hour)

	env.ExecuteWorkflow(durable.WorkflowRollout, tutorial(t, "canary:10:approve"))

	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("the workflow failed: %v", err)
	}
	if took := env.Now().Sub(start); took < time.Hour {
		t.Errorf("the rollout took %v of workflow time, want the hour the approval took", took)
	}
	if len(during.Waiting) != 1 || during.Waiting[0].Kind != durable.Approval || during.Waiting[0].Gate != "approve" {
		t.Errorf("waiting before the approval: %+v, want the approve gate", during.Waiting)
	}
	holds(t, svc, "my-endpoint", "green=100", "green")
}

// TestAbortRollsBack aborts while the approval waits at 10%: the traffic
// goes back to blue, the split before the plan since no gate approved a
// later one, and green stays, without traffic, for inspection.
func TestAbortRollsBack(t *testing.T) {
	svc := newService(t, load(t, "2-scale-blue.yaml"))
	env := newEnv(svc)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(durable.SignalAbort, durable.Signal{Reason: "errors in the logs"})
	}, 30*time.Minute)

	env.ExecuteWorkflow(durable.WorkflowRollout, tutorial(t, "canary:10,50:approve"))

	err := env.GetWorkflowError()
	if errorType(err) != durable.ErrorAborted {
		t.Fatalf("the workflow ended with %v, want an error of type %s", err, durable.ErrorAborted)
	}
	holds(t, svc, "my-endpoint", "blue=100", "blue", "green")
	if got, want := liveSplits(svc, "my-endpoint"), []string{"blue=100", "blue=90 green=10", "blue=100"}; !slices.Equal(got, want) {
		t.Errorf("live traffic went %v, want %v", got, want)
	}
	st := query(t, env)
	if st.Phase != durable.PhaseAborted || !slices.Equal(st.RolledBack, []string{"my-endpoint"}) || len(st.Waiting) != 0 {
		t.Errorf("status after the abort: phase %s, rolled back %v, waiting %v", st.Phase, st.RolledBack, st.Waiting)
	}
	if len(st.Traffic) != 1 || st.Traffic[0].Live.String() != "blue=100" {
		t.Errorf("status traffic after the abort: %+v, want blue=100", st.Traffic)
	}
}

// TestPromote skips the remaining gates: promoted a minute into the first
// of two 10-minute bakes, the rollout finishes at once.
func TestPromote(t *testing.T) {
	svc := newService(t, load(t, "2-scale-blue.yaml"))
	env := newEnv(svc)
	start := env.Now()
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(durable.SignalPromote, durable.Signal{}) }, time.Minute)

	env.ExecuteWorkflow(durable.WorkflowRollout, tutorial(t, "canary:10,50"))

	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("the workflow failed: %v", err)
	}
	if took := env.Now().Sub(start); took != time.Minute {
		t.Errorf("the rollout took %v of workflow time, want the minute before the promotion", took)
	}
	var res durable.Result
	if err := env.GetWorkflowResult(&res); err != nil || !res.Promoted {
		t.Errorf("result %+v (%v), want promoted", res, err)
	}
	holds(t, svc, "my-endpoint", "green=100", "green")
	if got, want := liveSplits(svc, "my-endpoint"), []string{"blue=100", "blue=90 green=10", "blue=50 green=50", "green=100"}; !slices.Equal(got, want) {
		t.Errorf("live traffic went %v, want %v: promote skips gates, not stages", got, want)
	}
}

// TestWaitingInPlanOrder slows the first write of my-endpoint, first in
// plan order, so that other-endpoint's bake starts waiting a minute
// before its own: the status lists both, in plan order all the same.
func TestWaitingInPlanOrder(t *testing.T) {
	svc := newService(t, twoEndpoints(t, "2-scale-blue.yaml"))
	faults := fakes.NewFaults(1, fakes.Rule{
		Ops: []fakes.Op{fakes.OpCreateOrUpdateDeployment}, Endpoint: "my-endpoint", Count: 2,
		Fault: fakes.Fault{Kind: fakes.Throttle, RetryAfter: 30 * time.Second},
	})
	env := newEnv(faults.Wrap(svc))
	var during durable.Status
	env.RegisterDelayedCallback(func() { during = query(t, env) }, 5*time.Minute)

	env.ExecuteWorkflow(durable.WorkflowRollout, durable.Request{Desired: twoEndpoints(t, "6-delete-blue.yaml"), Strategy: "canary:10", Gates: durable.DefaultGates(time.Hour)})

	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("the workflow failed: %v", err)
	}
	var got []string
	for _, w := range during.Waiting {
		got = append(got, w.Step)
	}
	if want := []string{"my-endpoint/gate/bake/1", "other-endpoint/gate/bake/1"}; !slices.Equal(got, want) {
		t.Errorf("waiting %v, want %v", got, want)
	}
	if len(during.Waiting) == 2 && !during.Waiting[0].Since.After(during.Waiting[1].Since) {
		t.Errorf("my-endpoint's bake waits since %v, other-endpoint's since %v: want my-endpoint's later", during.Waiting[0].Since, during.Waiting[1].Since)
	}
}

// TestCancelRollsBack cancels the workflow while the approval waits at
// 10%, as temporal workflow cancel does: the cancellation is taken for
// an abort, and the traffic goes back to blue=100 as it does on abort,
// where it stayed at 10% with the rollback's activities cancelled too.
func TestCancelRollsBack(t *testing.T) {
	svc := newService(t, load(t, "2-scale-blue.yaml"))
	env := newEnv(svc)
	env.RegisterDelayedCallback(env.CancelWorkflow, 30*time.Minute)

	env.ExecuteWorkflow(durable.WorkflowRollout, tutorial(t, "canary:10,50:approve"))

	if err := env.GetWorkflowError(); errorType(err) != durable.ErrorAborted {
		t.Fatalf("the workflow ended with %v, want an error of type %s", err, durable.ErrorAborted)
	}
	holds(t, svc, "my-endpoint", "blue=100", "blue", "green")
	st := query(t, env)
	if st.Phase != durable.PhaseAborted || !slices.Equal(st.RolledBack, []string{"my-endpoint"}) {
		t.Errorf("status after the cancellation: phase %s, rolled back %v; want aborted, my-endpoint", st.Phase, st.RolledBack)
	}
}

// TestAbortDuringFinalBakes aborts while two endpoints bake after their
// blue-green switch: the abort refuses both bakes, so both endpoints go
// back to blue, not only the one whose refusal the workflow saw first.
func TestAbortDuringFinalBakes(t *testing.T) {
	svc := newService(t, twoEndpoints(t, "2-scale-blue.yaml"))
	env := newEnv(svc)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(durable.SignalAbort, durable.Signal{}) }, 5*time.Minute)

	env.ExecuteWorkflow(durable.WorkflowRollout, durable.Request{Desired: twoEndpoints(t, "6-delete-blue.yaml"), Strategy: "bluegreen", Gates: durable.DefaultGates(10 * time.Minute)})

	if err := env.GetWorkflowError(); errorType(err) != durable.ErrorAborted {
		t.Fatalf("the workflow ended with %v, want an error of type %s", err, durable.ErrorAborted)
	}
	holds(t, svc, "my-endpoint", "blue=100", "blue", "green")
	holds(t, svc, "other-endpoint", "blue=100", "blue", "green")
	if st := query(t, env); !slices.Equal(st.RolledBack, []string{"my-endpoint", "other-endpoint"}) {
		t.Errorf("rolled back %v, want both endpoints", st.RolledBack)
	}
}
