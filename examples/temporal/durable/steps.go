package durable

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
)

// errAborted is how a gate that waited ends on abort, and errHalted how
// it ends when another step failed for good: then it refused nothing of
// its own.
var (
	errAborted = errors.New("aborted")
	errHalted  = errors.New("halted: another step failed")
)

// exec runs step i: a write as an activity, a gate as a durable wait.
func (r *run) exec(ctx workflow.Context, i int) error {
	s := &r.p.Steps[i]
	if s.Action != plan.Gate {
		in := StepInput{Plan: r.onePlan(s), Desired: r.secretsFor(s)}
		ctx = workflow.WithActivityOptions(ctx, r.activityOptions(0))
		return workflow.ExecuteActivity(ctx, activityStep, in).Get(ctx, nil)
	}
	if r.promoted {
		r.skipped[i] = true
		return nil
	}
	g, _ := r.req.gate(s.Gate)
	w := Wait{Step: s.ID, Gate: s.Gate, Endpoint: s.Endpoint, Kind: g.Kind, Since: workflow.Now(ctx)}
	r.wait(i, w)
	defer r.unwait(s.ID)
	switch g.Kind {
	case Bake:
		cut, err := workflow.AwaitWithTimeout(ctx, g.Duration, r.interrupted)
		r.skipped[i] = cut && r.promoted
		return r.gateEnd(err)
	case Approval:
		return r.approval(ctx, i, g)
	}
	return r.checkGate(ctx, i, g)
}

// interrupted reports whether every wait ends: promote passes gates, a
// stop refuses them.
func (r *run) interrupted() bool { return r.promoted || r.stopped() }

// stopped reports whether the rollout stops: abort, or a step that
// failed for good.
func (r *run) stopped() bool { return r.aborted || r.halted }

// gateEnd is the end of a wait: refused on a stop, passed otherwise.
func (r *run) gateEnd(err error) error {
	switch {
	case err != nil:
		return err
	case r.aborted:
		return errAborted
	case r.halted:
		return errHalted
	}
	return nil
}

// approval waits for the approve signal of gate step i, or promote, or
// abort, at most g.Timeout when it is set.
func (r *run) approval(ctx workflow.Context, i int, g GateSpec) error {
	cond := func() bool { return r.approved[i] || r.interrupted() }
	defer func() { r.skipped[i] = !r.approved[i] && r.promoted }()
	if g.Timeout <= 0 {
		return r.gateEnd(workflow.Await(ctx, cond))
	}
	ok, err := workflow.AwaitWithTimeout(ctx, g.Timeout, cond)
	if err == nil && !ok {
		return fmt.Errorf("gate %s: no approval within %v", r.p.Steps[i].Gate, g.Timeout)
	}
	return r.gateEnd(err)
}

// checkGate runs a smoke or metric gate as an activity, cancelled when a
// signal or a stop interrupts it: promote passes the gate, a stop refuses
// it.
func (r *run) checkGate(ctx workflow.Context, i int, g GateSpec) error {
	s := &r.p.Steps[i]
	actx, cancel := workflow.WithCancel(ctx)
	actx = workflow.WithActivityOptions(actx, r.activityOptions(g.Duration))
	f := workflow.ExecuteActivity(actx, activityStep, StepInput{Plan: r.onePlan(s), Gate: &g})
	ended := false
	workflow.Go(ctx, func(ctx workflow.Context) {
		if workflow.Await(ctx, func() bool { return ended || r.interrupted() }) == nil && !ended {
			cancel()
		}
	})
	err := f.Get(ctx, nil)
	ended = true
	if temporal.IsCanceledError(err) && r.interrupted() {
		r.skipped[i] = r.promoted
		return r.gateEnd(nil)
	}
	return err
}

// wait adds gate step i to the status's waiting list, in plan order:
// gates start waiting in the order their dependencies finish.
func (r *run) wait(i int, w Wait) {
	at := slices.IndexFunc(r.status.Waiting, func(v Wait) bool { return r.index(v.Step) > i })
	if at < 0 {
		at = len(r.status.Waiting)
	}
	r.status.Waiting = slices.Insert(r.status.Waiting, at, w)
}

// unwait removes a gate from the status's waiting list.
func (r *run) unwait(id string) {
	for j, w := range r.status.Waiting {
		if w.Step == id {
			r.status.Waiting = append(r.status.Waiting[:j:j], r.status.Waiting[j+1:]...)
			return
		}
	}
}

// onePlan returns a plan of step s alone, without its dependencies, which
// the workflow has waited for: what the activity executes.
func (r *run) onePlan(s *plan.Step) *plan.Plan {
	one := *s
	one.DependsOn = []string{}
	return &plan.Plan{FormatVersion: r.p.FormatVersion, Fingerprint: r.p.Fingerprint, Strategy: r.p.Strategy, Steps: []plan.Step{one}}
}

// secretsFor returns the desired endpoint of a step that writes secret
// values, which the plan's JSON form redacts, or nil.
func (r *run) secretsFor(s *plan.Step) *endpoint.Endpoint {
	d := s.DeploymentAfter
	if d == nil {
		return nil
	}
	for name := range d.EnvironmentVariables {
		if endpoint.IsSecretName(name) {
			return r.desired(s.Endpoint)
		}
	}
	return nil
}

// desired returns the request's endpoint of the given name.
func (r *run) desired(name string) *endpoint.Endpoint {
	for _, e := range r.req.Desired {
		if strings.EqualFold(e.Name, name) {
			return e
		}
	}
	return nil
}

// changeRollbackAsApply is the change after which the rollback keeps
// rollout.Apply's rules (see restorable), and a gate that promote skipped
// approves nothing: before it, any gate that passed approved the
// endpoint's split, and every endpoint went back to it.
// Runs recorded before it replay as they ran.
const changeRollbackAsApply = "rollback-as-apply"

// rollback restores, after a stop, the traffic of every endpoint that has
// a split to restore, at most req.Parallelism endpoints at once.
func (r *run) rollback(ctx workflow.Context) {
	r.status.Phase = PhaseRollingBack
	asApply := workflow.GetVersion(ctx, changeRollbackAsApply, workflow.DefaultVersion, 1) >= 1
	var todo []*endpointState
	var to []*split
	for _, k := range r.keys {
		ep := r.eps[k]
		s := ep.gated
		if asApply {
			s = r.restorable(ep)
		}
		if s != nil {
			todo, to = append(todo, ep), append(to, s)
		}
	}
	ctx = workflow.WithActivityOptions(ctx, r.activityOptions(0))
	var errs []error
	for len(todo) > 0 {
		batch, splits := todo[:min(len(todo), r.req.parallelism())], to
		todo, to = todo[len(batch):], to[len(batch):]
		futures := make([]workflow.Future, len(batch))
		for j, ep := range batch {
			in := RestoreInput{Endpoint: ep.name, Live: splits[j].live, Mirror: splits[j].mirror}
			futures[j] = workflow.ExecuteActivity(ctx, activityRestore, in)
		}
		for j, f := range futures {
			var restored bool
			if err := f.Get(ctx, &restored); err != nil {
				errs = append(errs, err)
				continue
			}
			if restored {
				ep := batch[j]
				ep.current = splits[j]
				r.status.RolledBack = append(r.status.RolledBack, ep.name)
			}
		}
	}
	r.showTraffic()
	r.rollbackErr = errors.Join(errs...)
}

// restorable returns the split the rollback gives ep back, as
// rollout.Apply's does: the last one approved, unless ep is past its last
// traffic step, where only cleanup was left and the final split stays,
// unless one of its own gates refused (an abort refuses them all).
func (r *run) restorable(ep *endpointState) *split {
	if ep.endpointWrites > 0 || ep.refused {
		return ep.stable
	}
	return nil
}

// watchesLive reports whether gate step s watched the endpoint's live
// traffic, and so approved its split, as rollout.Apply decides: a smoke
// test (smoke:DEPLOYMENT), or any gate for one deployment, invokes that
// deployment alone.
func watchesLive(s *plan.Step) bool {
	kind, dep, _ := strings.Cut(s.Gate, ":")
	return s.Deployment == "" && dep == "" && kind != "smoke"
}
