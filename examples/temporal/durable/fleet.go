package durable

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rolloutkit/rollout/endpoint"
)

// WorkflowFleet is the name [Register] gives [Fleet].
const WorkflowFleet = "RolloutFleet"

// DefaultMaxConcurrent bounds the endpoints a fleet rolls out at once
// unless FleetRequest.MaxConcurrent says otherwise.
const DefaultMaxConcurrent = 10

// FleetRequest is the input of the [Fleet] workflow.
type FleetRequest struct {
	// Rollout is the request each endpoint's child workflow gets, with
	// Desired cut down to that endpoint. Its Desired lists the fleet.
	Rollout Request `json:"rollout"`
	// MaxConcurrent bounds the child workflows that run at once; zero is
	// DefaultMaxConcurrent.
	MaxConcurrent int `json:"max_concurrent,omitempty"`
	// MaxFailures is how many endpoints may fail before no new one
	// starts; zero stops starting at the first failure, as rollout.Apply
	// stops at its first failed step.
	MaxFailures int `json:"max_failures,omitempty"`
}

// FleetStatus is what the status query of a fleet returns.
type FleetStatus struct {
	// Endpoints are the fleet's endpoints, sorted by name.
	Endpoints []FleetEndpoint `json:"endpoints"`
	// Counts of Endpoints by phase.
	Pending   int `json:"pending"`
	Running   int `json:"running"`
	Succeeded int `json:"succeeded"`
	// Failed counts the endpoints that failed or were aborted.
	Failed   int  `json:"failed"`
	Aborted  bool `json:"aborted,omitempty"`
	Promoted bool `json:"promoted,omitempty"`
}

// FleetEndpoint is one endpoint of a fleet.
type FleetEndpoint struct {
	Endpoint string `json:"endpoint"`
	// WorkflowID is the child workflow's id: query it for the details.
	WorkflowID string `json:"workflow_id"`
	// Phase is pending until the child starts, then the child's phase
	// once it has ended: succeeded, failed or aborted.
	Phase Phase  `json:"phase"`
	Error string `json:"error,omitempty"`
}

// PhasePending is the phase of an endpoint of a fleet whose child
// workflow has not started.
const PhasePending Phase = "pending"

// Fleet is the workflow that rolls out many endpoints, one [Rollout]
// child workflow each, at most req.MaxConcurrent at once: the children's
// activities spread over every worker that polls the task queue. The
// approve, abort and promote signals are passed on to the children that
// run (promote to those started later too); after abort or too many
// failures no new child starts. The fleet fails with an application error
// of type [ErrorFleet] unless every endpoint succeeded.
func Fleet(ctx workflow.Context, req FleetRequest) (*FleetStatus, error) {
	f := &fleet{req: req}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, f.query); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrorRefused, nil)
	}
	f.setUp(workflow.GetInfo(ctx).WorkflowExecution.ID)
	f.run(ctx)
	st, _ := f.query()
	if st.Succeeded < len(st.Endpoints) {
		msg := fmt.Sprintf("%d of %d endpoints did not finish: %s", len(st.Endpoints)-st.Succeeded, len(st.Endpoints), strings.Join(f.unfinished(), ", "))
		return nil, temporal.NewNonRetryableApplicationError(msg, ErrorFleet, nil)
	}
	return &st, nil
}

func (r *FleetRequest) check() error {
	if r.Rollout.DeleteUnlisted {
		return errors.New("durable: fleet: delete_unlisted needs one view of every endpoint: use one Rollout workflow")
	}
	if err := r.Rollout.check(); err != nil {
		return err
	}
	seen := make(map[string]bool)
	for _, e := range r.Rollout.Desired {
		k := strings.ToLower(e.Name)
		if seen[k] {
			return fmt.Errorf("durable: fleet: endpoint %q is listed twice", e.Name)
		}
		seen[k] = true
	}
	return nil
}

// fleet is one execution of the Fleet workflow.
type fleet struct {
	req      FleetRequest
	desired  []*endpoint.Endpoint // sorted by name
	status   FleetStatus
	children []workflow.ChildWorkflowFuture
	abort    bool
	promoted bool
}

type childEnd struct {
	i   int
	err error
}

func (f *fleet) setUp(id string) {
	f.desired = slices.Clone(f.req.Rollout.Desired)
	slices.SortFunc(f.desired, func(a, b *endpoint.Endpoint) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	f.children = make([]workflow.ChildWorkflowFuture, len(f.desired))
	f.status.Endpoints = make([]FleetEndpoint, len(f.desired))
	for i, e := range f.desired {
		f.status.Endpoints[i] = FleetEndpoint{Endpoint: e.Name, WorkflowID: id + "/" + strings.ToLower(e.Name), Phase: PhasePending}
	}
}

func (f *fleet) query() (FleetStatus, error) {
	st := f.status
	st.Pending, st.Running, st.Succeeded, st.Failed = 0, 0, 0, 0
	for _, e := range st.Endpoints {
		switch e.Phase {
		case PhasePending:
			st.Pending++
		case PhaseRunning:
			st.Running++
		case PhaseSucceeded:
			st.Succeeded++
		default:
			st.Failed++
		}
	}
	st.Aborted, st.Promoted = f.abort, f.promoted
	return st, nil
}

// run starts the children, at most MaxConcurrent at once, and passes the
// signals on, until every child started has ended.
func (f *fleet) run(ctx workflow.Context) {
	limit := f.req.MaxConcurrent
	if limit <= 0 {
		limit = DefaultMaxConcurrent
	}
	ends := workflow.NewChannel(ctx)
	approve := workflow.GetSignalChannel(ctx, SignalApprove)
	abort := workflow.GetSignalChannel(ctx, SignalAbort)
	promote := workflow.GetSignalChannel(ctx, SignalPromote)
	next, running, failed := 0, 0, 0
	for {
		for running < limit && next < len(f.desired) && !f.abort && failed <= f.req.MaxFailures {
			f.startChild(ctx, next, ends)
			next, running = next+1, running+1
		}
		if running == 0 {
			return
		}
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(ends, func(c workflow.ReceiveChannel, _ bool) {
			var e childEnd
			c.Receive(ctx, &e)
			running--
			if f.ended(e) != PhaseSucceeded {
				failed++
			}
		})
		sel.AddReceive(approve, func(c workflow.ReceiveChannel, _ bool) { f.forward(ctx, c, SignalApprove) })
		sel.AddReceive(abort, func(c workflow.ReceiveChannel, _ bool) { f.forward(ctx, c, SignalAbort); f.abort = true })
		sel.AddReceive(promote, func(c workflow.ReceiveChannel, _ bool) { f.forward(ctx, c, SignalPromote); f.promoted = true })
		sel.Select(ctx)
	}
}

// startChild starts the child workflow of endpoint i.
func (f *fleet) startChild(ctx workflow.Context, i int, ends workflow.Channel) {
	child := f.req.Rollout
	child.Desired = []*endpoint.Endpoint{f.desired[i]}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: f.status.Endpoints[i].WorkflowID})
	fut := workflow.ExecuteChildWorkflow(cctx, WorkflowRollout, child)
	f.children[i] = fut
	f.status.Endpoints[i].Phase = PhaseRunning
	if f.promoted {
		f.signal(ctx, i, SignalPromote, Signal{})
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		ends.Send(ctx, childEnd{i: i, err: fut.Get(ctx, nil)})
	})
}

// ended records the end of a child and returns its phase.
func (f *fleet) ended(e childEnd) Phase {
	st := &f.status.Endpoints[e.i]
	var app *temporal.ApplicationError
	switch {
	case e.err == nil:
		st.Phase = PhaseSucceeded
	case errors.As(e.err, &app) && app.Type() == ErrorAborted:
		st.Phase, st.Error = PhaseAborted, app.Error()
	default:
		st.Phase, st.Error = PhaseFailed, e.err.Error()
	}
	return st.Phase
}

// forward receives a signal and passes it on to every running child.
func (f *fleet) forward(ctx workflow.Context, c workflow.ReceiveChannel, name string) {
	var sig Signal
	c.Receive(ctx, &sig)
	for i := range f.children {
		if f.status.Endpoints[i].Phase == PhaseRunning {
			f.signal(ctx, i, name, sig)
		}
	}
}

// signal sends a signal to child i once it has started, without waiting
// for it; a child that ended meanwhile does not need it.
func (f *fleet) signal(ctx workflow.Context, i int, name string, sig Signal) {
	workflow.Go(ctx, func(ctx workflow.Context) {
		_ = f.children[i].SignalChildWorkflow(ctx, name, sig).Get(ctx, nil)
	})
}

// unfinished names the endpoints that did not succeed.
func (f *fleet) unfinished() []string {
	var names []string
	for _, e := range f.status.Endpoints {
		if e.Phase != PhaseSucceeded {
			names = append(names, e.Endpoint)
		}
	}
	return names
}
