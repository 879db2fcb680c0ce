package durable

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
	"github.com/rolloutkit/rollout/traffic"
)

// WorkflowRollout is the name [Register] gives [Rollout].
const WorkflowRollout = "Rollout"

// Rollout is the workflow that takes the service to req.Desired.
//
// It observes the endpoints through an activity and computes the plan
// inside the workflow: plan.Compute is pure and deterministic, which is
// what workflow code must be, so a replay computes the same plan from the
// observation recorded in the history. Then it runs each write step as an
// activity through rollout.ApplyStep, a step once the steps it depends on
// have finished, as rollout.Apply does: at most req.Parallelism writes at
// once, a write to the endpoint itself alone on its endpoint, writes to
// different deployments of one endpoint side by side unless
// req.SerializePerEndpoint. Retries are Temporal's, by [RetryPolicy].
//
// Gates wait durably: a bake is a workflow timer, an approval waits for
// the approve signal, smoke and metric gates are activities; none holds a
// write slot. The promote signal skips every gate from then on. The abort
// signal, a refused gate and a step that fails for good stop the rollout:
// nothing new starts, the gates that wait refuse, the writes in flight
// end, and the rollback of rollout.Apply follows: each endpoint's traffic
// goes back to the split its last passing gate approved (before the plan,
// without one; a smoke test, a gate for one deployment and a gate that
// promote skipped approve none), if every deployment that split names can
// still take it. An endpoint past its last traffic step keeps its final
// split, unless one of its own gates refused (an abort refuses those that
// wait). Deployments are left as they are. The workflow then fails with
// an application error of type [ErrorAborted] or [ErrorStepFailed];
// [ErrorRefused] means nothing was written. Cancelling the workflow is
// taken for the abort signal. The status query answers throughout, and
// after the end.
func Rollout(ctx workflow.Context, req Request) (*Result, error) {
	r := newRun(ctx, req)
	if err := workflow.SetQueryHandler(ctx, QueryStatus, r.query); err != nil {
		return nil, err
	}
	ctx = r.abortOnCancel(ctx)
	r.listen(ctx)
	if err := req.check(); err != nil {
		return nil, r.end(temporal.NewNonRetryableApplicationError(err.Error(), ErrorRefused, nil))
	}
	actual, err := r.observe(ctx)
	if err != nil {
		return nil, r.end(err)
	}
	desired, err := r.resolveLabels(ctx)
	if err != nil {
		return nil, r.end(err)
	}
	p, err := plan.Compute(desired, actual, req.planOptions())
	if err != nil {
		return nil, r.end(temporal.NewNonRetryableApplicationError("planning: "+err.Error(), ErrorRefused, nil))
	}
	if names := req.unbound(p); len(names) > 0 {
		msg := fmt.Sprintf("no gate bound to %s", strings.Join(names, ", "))
		return nil, r.end(temporal.NewNonRetryableApplicationError(msg, ErrorRefused, nil))
	}
	r.start(p, actual)
	r.walk(ctx)
	if r.failErr != nil || r.aborted {
		r.rollback(ctx)
		return nil, r.end(r.stopError())
	}
	return &Result{Steps: len(p.Steps), Completed: r.status.Done, Promoted: r.promoted}, r.end(nil)
}

// run is one execution of the Rollout workflow.
type run struct {
	req    Request
	p      *plan.Plan
	status Status

	waiting    []int   // unfinished dependencies of each step
	dependents [][]int // steps that wait for each step
	ready      []int   // steps free to start, in plan order
	approved   []bool  // approval gates the approve signal passed
	skipped    []bool  // gates the promote signal passed unchecked
	inFlight   []bool  // steps started and not finished
	eps        map[string]*endpointState
	keys       []string // the keys of eps, sorted
	running    int
	writes     int
	pass       int
	results    workflow.Channel

	failed  int // the first step that failed, or -1
	failErr error
	// rollbackErr says which endpoints the rollback could not restore.
	rollbackErr error
	aborted     bool
	reason      string
	promoted    bool
	// halted is set when a step failed for good, in workflows that end
	// the gates that wait then (see changeFailureStopsGates).
	halted bool
}

// changeFailureStopsGates is the change after which a step that fails
// for good ends the gates that wait, as abort does: before it, a bake ran
// on and approved its split, and an approval waited for an answer. Runs
// recorded before it replay as they ran.
const changeFailureStopsGates = "failure-stops-gates"

// endpointState is what the workflow knows about one endpoint.
type endpointState struct {
	name string
	// current is the split as observed and then as the steps wrote it;
	// nil while the endpoint does not exist.
	current *split
	// stable is the split a rollback restores: the last one a gate that
	// watched live traffic approved (see watchesLive), not skipped by
	// promote; nil when there is none.
	stable *split
	// gated is the split at the last gate that passed, whatever it
	// checked: what the rollback restored before changeRollbackAsApply.
	gated *split
	// endpointWrites counts the plan's writes to the endpoint itself
	// (deletion aside) that have not finished: at zero, its final split is
	// in place.
	endpointWrites int
	// refused marks an endpoint one of whose gates refused, or was
	// refused by abort.
	refused bool
	// busy marks an endpoint-level write in flight; deployments counts the
	// deployment writes in flight; held is the scheduling pass in which an
	// endpoint-level step was found waiting, so that later deployment
	// steps do not overtake it.
	busy        bool
	deployments int
	held        int
}

type split struct{ live, mirror traffic.Split }

// outcome is the end of one step.
type outcome struct {
	i   int
	err error
}

func newRun(ctx workflow.Context, req Request) *run {
	return &run{
		req:     req,
		status:  Status{Phase: PhaseObserving, Strategy: req.strategy(), Done: []string{}, Running: []string{}, Traffic: []EndpointTraffic{}, Waiting: []Wait{}},
		eps:     make(map[string]*endpointState),
		results: workflow.NewChannel(ctx),
		failed:  -1,
	}
}

func (r *run) query() (Status, error) { return r.status, nil }

// listen handles the signals for as long as the workflow runs.
func (r *run) listen(ctx workflow.Context) {
	approve := workflow.GetSignalChannel(ctx, SignalApprove)
	abort := workflow.GetSignalChannel(ctx, SignalAbort)
	promote := workflow.GetSignalChannel(ctx, SignalPromote)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var sig Signal
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(approve, func(c workflow.ReceiveChannel, _ bool) {
				c.Receive(ctx, &sig)
				r.approve(sig.Step)
			})
			sel.AddReceive(abort, func(c workflow.ReceiveChannel, _ bool) {
				c.Receive(ctx, &sig)
				r.abort(sig.Reason)
			})
			sel.AddReceive(promote, func(c workflow.ReceiveChannel, _ bool) {
				c.Receive(ctx, &sig)
				r.promoted = true
				r.status.Promoted = true
			})
			sel.Select(ctx)
		}
	})
}

// abort stops the rollout, for the first reason given.
func (r *run) abort(reason string) {
	if !r.aborted {
		r.aborted, r.reason = true, reason
	}
}

// changeCancelAborts is the change after which cancelling the workflow
// aborts the rollout, rollback included: before it, the cancellation
// cancelled the rollback's activities too, and the traffic stayed where
// it was. Runs recorded before it replay as they ran.
const changeCancelAborts = "cancel-aborts"

// abortOnCancel returns the context the rollout runs in: one that the
// workflow's cancellation (temporal workflow cancel) does not cancel,
// which takes that cancellation for the abort signal instead, so that the
// rollback can still run.
func (r *run) abortOnCancel(ctx workflow.Context) workflow.Context {
	if workflow.GetVersion(ctx, changeCancelAborts, workflow.DefaultVersion, 1) < 1 {
		return ctx
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		ctx.Done().Receive(ctx, nil)
		r.abort("the workflow was cancelled")
	})
	detached, _ := workflow.NewDisconnectedContext(ctx)
	return detached
}

// approve passes the approval gates that wait, or the one of step id.
func (r *run) approve(id string) {
	for _, w := range r.status.Waiting {
		if w.Kind != Approval || id != "" && id != w.Step {
			continue
		}
		if i := r.index(w.Step); i >= 0 {
			r.approved[i] = true
		}
	}
}

func (r *run) index(id string) int {
	for i := range r.p.Steps {
		if r.p.Steps[i].ID == id {
			return i
		}
	}
	return -1
}

// observe reads the endpoints the plan is about.
func (r *run) observe(ctx workflow.Context) ([]*endpoint.Endpoint, error) {
	in := ObserveInput{All: r.req.DeleteUnlisted}
	if !in.All {
		for _, e := range r.req.Desired {
			in.Names = append(in.Names, e.Name)
		}
	}
	var snaps []Snapshot
	ctx = workflow.WithActivityOptions(ctx, r.activityOptions(0))
	if err := workflow.ExecuteActivity(ctx, activityObserve, in).Get(ctx, &snaps); err != nil {
		return nil, err
	}
	actual := make([]*endpoint.Endpoint, len(snaps))
	for i, s := range snaps {
		actual[i] = s.observed()
	}
	return actual, nil
}

// resolveLabels returns the desired state with its asset labels resolved
// by an activity, after the observation, as the service's CLI resolves
// them before it writes. A desired state without labels needs no activity,
// so the histories of such rollouts are what they were before labels
// were resolved.
func (r *run) resolveLabels(ctx workflow.Context) ([]*endpoint.Endpoint, error) {
	if !slices.ContainsFunc(r.req.Desired, func(e *endpoint.Endpoint) bool { return e != nil && e.UsesLabels() }) {
		return r.req.Desired, nil
	}
	var resolved []*endpoint.Endpoint
	ctx = workflow.WithActivityOptions(ctx, r.activityOptions(0))
	if err := workflow.ExecuteActivity(ctx, activityResolve, r.req.Desired).Get(ctx, &resolved); err != nil {
		return nil, err
	}
	return resolved, nil
}

// activityOptions are those of every activity: the step timeout (plus a
// metric gate's window), a heartbeat timeout that notices a dead worker in
// a minute, and the retry policy.
func (r *run) activityOptions(extra time.Duration) workflow.ActivityOptions {
	timeout := r.req.StepTimeout
	if timeout <= 0 {
		timeout = DefaultStepTimeout
	}
	return workflow.ActivityOptions{
		StartToCloseTimeout: timeout + extra,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy:         RetryPolicy(r.req.MaxAttempts),
	}
}

// start sets up the walk of p from the observed state.
func (r *run) start(p *plan.Plan, actual []*endpoint.Endpoint) {
	n := len(p.Steps)
	r.p = p
	r.waiting, r.dependents = make([]int, n), make([][]int, n)
	r.approved, r.skipped, r.inFlight = make([]bool, n), make([]bool, n), make([]bool, n)
	for _, e := range actual {
		cur := &split{e.Traffic, e.Mirror}
		ep := r.endpoint(e.Name)
		ep.current, ep.stable, ep.gated = cur, cur, cur
	}
	index := make(map[string]int, n)
	for i := range p.Steps {
		s := &p.Steps[i]
		index[s.ID] = i
		if ep := r.endpoint(s.Endpoint); endpointLevel(s.Action) && s.Action != plan.DeleteEndpoint {
			ep.endpointWrites++
		}
		r.waiting[i] = len(s.DependsOn)
		for _, d := range s.DependsOn {
			r.dependents[index[d]] = append(r.dependents[index[d]], i)
		}
		if r.waiting[i] == 0 {
			r.ready = append(r.ready, i)
		}
	}
	r.status.Phase, r.status.Plan, r.status.Steps = PhaseRunning, p.String(), n
	r.status.Strategy = p.Strategy
	r.showTraffic()
}

// endpoint returns the state of the named endpoint, made on first use.
func (r *run) endpoint(name string) *endpointState {
	k := strings.ToLower(name)
	ep, ok := r.eps[k]
	if !ok {
		ep = &endpointState{name: name}
		r.eps[k] = ep
		at, _ := slices.BinarySearch(r.keys, k)
		r.keys = slices.Insert(r.keys, at, k)
	}
	return ep
}

// walk runs the plan until every step finished or the rollout stops, and
// the steps in flight have ended.
func (r *run) walk(ctx workflow.Context) {
	for {
		if r.failed < 0 && !r.aborted {
			r.startReady(ctx)
		}
		if r.running == 0 {
			return
		}
		var o outcome
		r.results.Receive(ctx, &o)
		r.finish(o)
		if o.err != nil && r.failed == o.i {
			r.halted = workflow.GetVersion(ctx, changeFailureStopsGates, workflow.DefaultVersion, 1) >= 1
		}
	}
}

// startReady starts the ready steps that the bound on writes and the rule
// of one endpoint-level write per endpoint allow, in plan order.
func (r *run) startReady(ctx workflow.Context) {
	r.pass++
	kept := r.ready[:0]
	for _, i := range r.ready {
		if !r.admit(&r.p.Steps[i]) {
			kept = append(kept, i)
			continue
		}
		r.running++
		r.inFlight[i] = true
		workflow.Go(ctx, func(ctx workflow.Context) {
			r.results.Send(ctx, outcome{i: i, err: r.exec(ctx, i)})
		})
	}
	r.ready = kept
	r.status.Running = r.runningIDs()
}

// admit reports whether step s may start now, and counts it in if so.
func (r *run) admit(s *plan.Step) bool {
	if s.Action == plan.Gate {
		return true
	}
	ep := r.endpoint(s.Endpoint)
	switch {
	case r.writes >= r.req.parallelism():
		return false
	case endpointLevel(s.Action):
		if ep.busy || ep.deployments > 0 || ep.held == r.pass {
			ep.held = r.pass
			return false
		}
		ep.busy = true
	default:
		if ep.busy || ep.held == r.pass || r.req.SerializePerEndpoint && ep.deployments > 0 {
			return false
		}
		ep.deployments++
	}
	r.writes++
	return true
}

// endpointLevel reports whether the action writes the endpoint itself,
// which the service runs alone.
func endpointLevel(a plan.Action) bool {
	switch a {
	case plan.CreateEndpoint, plan.UpdateEndpoint, plan.DeleteEndpoint, plan.SetTraffic:
		return true
	}
	return false
}

// finish records the end of a step and frees the steps that waited for it.
func (r *run) finish(o outcome) {
	s := &r.p.Steps[o.i]
	ep := r.endpoint(s.Endpoint)
	r.running--
	r.inFlight[o.i] = false
	if s.Action != plan.Gate {
		r.writes--
		if endpointLevel(s.Action) {
			ep.busy = false
		} else {
			ep.deployments--
		}
	}
	defer func() { r.status.Running = r.runningIDs() }()
	if o.err != nil {
		if r.failed < 0 {
			r.failed, r.failErr = o.i, o.err
		}
		ep.refused = ep.refused || s.Action == plan.Gate && !errors.Is(o.err, errHalted)
		return
	}
	switch s.Action {
	case plan.CreateEndpoint, plan.UpdateEndpoint, plan.SetTraffic:
		ep.current = &split{s.Traffic, s.Mirror}
		ep.endpointWrites--
		r.status.Stage = s.ID
		r.showTraffic()
	case plan.DeleteEndpoint:
		ep.current, ep.stable, ep.gated = nil, nil, nil
		r.showTraffic()
	case plan.Gate:
		ep.gated = ep.current
		if watchesLive(s) && !r.skipped[o.i] {
			ep.stable = ep.current
		}
	}
	r.status.Done = append(r.status.Done, s.ID)
	for _, j := range r.dependents[o.i] {
		if r.waiting[j]--; r.waiting[j] == 0 {
			at, _ := slices.BinarySearch(r.ready, j)
			r.ready = slices.Insert(r.ready, at, j)
		}
	}
}

// runningIDs lists the steps in flight, in plan order.
func (r *run) runningIDs() []string {
	ids := []string{}
	for i, in := range r.inFlight {
		if in {
			ids = append(ids, r.p.Steps[i].ID)
		}
	}
	return ids
}

// showTraffic copies each endpoint's current split into the status.
func (r *run) showTraffic() {
	r.status.Traffic = r.status.Traffic[:0]
	for _, k := range r.keys {
		ep := r.eps[k]
		if ep.current != nil {
			r.status.Traffic = append(r.status.Traffic, EndpointTraffic{Endpoint: ep.name, Live: ep.current.live, Mirror: ep.current.mirror})
		}
	}
}

// stopError is the error the workflow ends with after a stop.
func (r *run) stopError() error {
	typ, msg := ErrorAborted, "aborted"
	if r.reason != "" {
		msg += ": " + r.reason
	}
	if r.failErr != nil && !(r.aborted && errors.Is(r.failErr, errAborted)) {
		typ, msg = ErrorStepFailed, fmt.Sprintf("step %s failed: %v", r.p.Steps[r.failed].ID, r.failErr)
	}
	if r.rollbackErr != nil {
		msg += fmt.Sprintf("; rollback incomplete: %v", r.rollbackErr)
	}
	return temporal.NewNonRetryableApplicationError(msg, typ, nil)
}

// end records how the workflow ended in the status, and returns err. The
// phase is the error's: a rollout aborted while a step failed for good
// failed, as its error's type says and a fleet counts it.
func (r *run) end(err error) error {
	r.status.Waiting = []Wait{}
	var app *temporal.ApplicationError
	switch {
	case err == nil:
		r.status.Phase = PhaseSucceeded
	case errors.As(err, &app) && app.Type() == ErrorAborted:
		r.status.Phase, r.status.Error = PhaseAborted, err.Error()
	default:
		r.status.Phase, r.status.Error = PhaseFailed, err.Error()
	}
	return err
}
