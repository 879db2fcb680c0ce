package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/internal/rules"
	"github.com/rolloutkit/rollout/plan"
	"github.com/rolloutkit/rollout/traffic"
)

// Result is what a rollout did. Apply and Run return it with their error
// too, whenever the plan was started, so that a failed rollout still says
// how far it got.
type Result struct {
	// Plan is the plan that was applied: the one given to Apply, or the
	// one Run computed.
	Plan *plan.Plan
	// Completed lists the ids of the steps that finished, in the order
	// they finished.
	Completed []string
	// Calls counts the writes sent to the service, retries included;
	// reads are not counted.
	Calls int
	// Retries counts the calls that repeated one that had failed.
	Retries int
	// Elapsed is how long the rollout took, from the first observation to
	// the end (the rollback included).
	Elapsed time.Duration
	// RolledBack lists the endpoints whose traffic was restored by
	// [Rollback], sorted.
	RolledBack []string
}

// Apply executes plan p through backend b.
//
// It first observes every endpoint b holds (one ListEndpoints) and
// resolves again the asset labels the plan lists (plan.Plan.Labels), and
// refuses the plan with a [*StalePlanError] unless the observation has
// the plan's fingerprint: the same state plan.Compute was given, as the
// rollout command and [Run] give it every endpoint of the backend, and
// labels that still point at the versions the plan writes.
// Malformed plans ([ErrInvalidPlan]) and gate names that no [Gates] entry
// binds ([ErrUnboundGate]) are refused before that, so a refused plan has
// sent nothing to the service.
//
// A plan may have been saved and edited since it was computed, so before
// the first write Apply replays it through the service's rules with
// [plan.Check] against the observed state, and refuses a plan that would
// break one with [ErrUnsafePlan], wrapping the [*plan.ViolationError] that
// names the rule and the step. A plan that plan.Compute returned in this
// process and that has not changed since ([plan.Computed]) keeps the rules
// by construction from the state the fingerprint matched, and is not
// replayed again; every other plan (decoded, built, copied or changed) is.
// ([Run] computes its plans itself and does not check them again.)
//
// Then it walks the step graph: a step starts once every step it depends
// on has finished, steps start in plan order, and at most [Parallelism]
// (default 200) backend operations are in flight at once. On one
// endpoint, a write to the endpoint itself (create, update, delete, set
// traffic) runs alone, because the service answers 409 to a second
// operation; writes to different deployments of one endpoint overlap
// unless [SerializePerEndpoint] is given. Gates run beside anything and
// hold no slot: a bake, a pause or an approval that is waiting never keeps
// another endpoint's write from starting.
//
// Each step is one call to the service, made after an event
// ([StepStarted], [StepRetrying]) has reported it:
//
//   - create_endpoint and update_endpoint: CreateOrUpdateEndpoint with the
//     step's endpoint and its full live and mirror splits;
//   - set_traffic: CreateOrUpdateEndpoint with the endpoint's settings as
//     they are (observed at the start, or as the plan last wrote them) and
//     the step's full splits, since the service replaces both maps;
//   - create_deployment and update_deployment: CreateOrUpdateDeployment
//     with the full spec, or ScaleDeployment when only instance_count
//     changes on a deployment that provisioned successfully;
//   - delete_endpoint and delete_deployment: DeleteEndpoint or
//     DeleteDeployment; a resource already gone counts as deleted;
//   - register_asset: the backend's [backend.Assets] RegisterAsset, which
//     uploads what the service lacks, with [StepProgress] events;
//   - gate: the bound [Gate]'s Check.
//
// Local files are checked before anything is written: a plan that writes a
// deployment with a local path is refused with [ErrInvalidPlan] when the
// backend cannot register local files, or when the path's files were not
// found as the spec was loaded and the backend would have to upload them
// (any backend but one that keeps such paths, [backend.LocalPathKeeper]).
// [Run] places that refusal at the field in its file.
//
// Writes are unconditional (no If-Match): the fingerprint check stands for
// the whole plan. A call that fails with a retryable error (throttling,
// 5xx, 409) is made again after a backoff that doubles from 1s up to 1m
// and honours the service's Retry-After, at most five times in all (see
// [MaxAttempts] and [Backoff]); writes are idempotent, so repeating one
// whose answer was lost is safe.
//
// When a step fails for good or a gate refuses, nothing new starts, the
// steps in flight are allowed to finish, and Apply returns a [*StepError]
// naming the step, the cause and the state the service was left in. Every
// state between two steps keeps the safety rules, so that state is safe;
// [Run] continues from it once the cause is fixed.
//
// # Rollback
//
// With [Rollback], the stop is followed by a rollback of traffic, with
// these semantics:
//
//   - Approved splits. Each endpoint's first approved split is the live
//     and mirror traffic observed before the first step. Each time one of
//     its gates that watched live traffic passes (a bake, a metric check,
//     an approval), the split the endpoint then has is approved too. A
//     smoke test (a gate named smoke:DEPLOYMENT, or any gate for one
//     deployment) invokes one deployment in isolation and approves no
//     split, whenever it passes. Endpoints the plan creates have no
//     approved split until such a gate passes.
//   - What is restored. Each endpoint whose traffic is not an approved
//     split gets back the latest approved split that keeps the rules in
//     the state the service holds now: every deployment it names exists
//     and provisioned successfully (S2), and every deployment whose share
//     it raises has at least the instances it had when the split was
//     approved (S5). Later approved splits that fail this are passed over;
//     [StepError.Restored] says which split each endpoint got and which
//     were passed over and why. When none is safe, the endpoint is left as
//     it is and [StepError.RollbackErr] says why, as it does when a
//     restore fails. Writes go out in parallel across endpoints, with the
//     endpoint's settings as the service holds them.
//   - After the final stage. Once all of an endpoint's endpoint writes
//     have finished, its final split is in place and only cleanup is left
//     (deletes, scale-downs). A failed cleanup stops the rollout with a
//     [*StepError] and leaves the final split; only a refusal by one of
//     the endpoint's own gates after it rolls it back.
//
// The rollback restores traffic and nothing else. It leaves deployments
// the plan created (at zero traffic, for inspection), deployments it
// updated or scaled (it does not scale them back up, or down), and the
// endpoint settings it changed; deleted deployments are not recreated.
//
// # Cancellation
//
// When ctx ends, nothing new starts, the calls in flight return with ctx's
// error (the service carries on with their operations) and Apply returns
// ctx's error, wrapped, without a rollback. Every write sent to the
// service was reported by an event first, so a log of events is a
// complete record of what may have changed. Cancelling while no step is
// in flight stops the rollout without a call. Run, given the same desired
// state, continues from whatever the service then holds.
//
// # Panics
//
// Apply runs steps on its caller's goroutine and on goroutines of its
// own, and returns once every goroutine it started has ended. When a step
// panics (its backend call, its gate or an event listener called for it),
// wherever it ran, nothing new starts, the steps in flight finish, and
// once every goroutine Apply started has ended, Apply panics on its
// caller's goroutine with a [*PanicError] that holds the step, the value
// and the stack of the first panic. When a step calls runtime.Goexit
// instead, as t.FailNow does in a test, Apply likewise ends its caller's
// goroutine with runtime.Goexit. The rollback runs on goroutines of its
// own too, and a panic in it (a backend call, or a listener told of it)
// reaches the caller the same way, as a [*PanicError] that names the step
// that stopped the rollout.
func Apply(ctx context.Context, b backend.Backend, p *plan.Plan, opts ...Option) (*Result, error) {
	if b == nil {
		return nil, errNoBackend
	}
	cfg := newConfig(opts)
	sealed := plan.Computed(p)
	if err := cfg.check(p, sealed); err != nil {
		return nil, err
	}
	if err := checkAssets(b, p, nil); err != nil {
		return nil, err
	}
	start := time.Now()
	actual, err := cfg.observe(ctx, b)
	if err != nil {
		return nil, err
	}
	labels, moved, err := cfg.labelsNow(ctx, b, p)
	if err != nil {
		return nil, err
	}
	// A label that points elsewhere than the plan lists is stale even
	// when the fingerprint matches: the plan's list may have been edited.
	if got := plan.Fingerprint(actual, labels...); got != p.Fingerprint || len(moved) > 0 {
		return nil, &StalePlanError{Want: p.Fingerprint, Got: got, Moved: moved}
	}
	if !sealed {
		if err := plan.Check(actual, p); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnsafePlan, err)
		}
	}
	return cfg.walk(ctx, b, p, actual, start)
}

// ApplyStep executes the one step of p with the given id, and nothing
// else: no fingerprint check, no dependencies, no rollback. It is for
// drivers that keep their own record of progress, such as a durable
// workflow engine (Temporal, Argo Workflows) or a Kubernetes controller,
// which run the steps of a saved plan in the order of their DependsOn,
// one activity each, across machines and restarts.
//
// Every step is idempotent against the service: running it again, as such
// an engine does after a crash or a lost acknowledgement, before the steps
// that depend on it have started, leaves the service as running it once.
// Creates and updates write the full spec (a finished create becomes an
// update to the same spec), traffic steps write the full maps, and
// deleting what is already gone succeeds. A create_endpoint step run
// against an endpoint that exists keeps its current traffic rather than
// writing the new endpoint's empty one, so that repeating it late never
// takes an endpoint dark. set_traffic reads the endpoint first, to write
// its current settings with the step's maps.
//
// Before a write, ApplyStep reads the endpoint and refuses, with
// [ErrUnsafePlan], a step that [plan.CheckStep] refuses in the state the
// service holds: a write the service would refuse, or a traffic step whose
// deployments lack the instances the plan gives them because the steps it
// depends on have not run.
//
// A plan decoded from JSON has its secret values redacted: steps that
// would write them are refused with [ErrInvalidPlan]. Retries, gates and
// events work as for [Apply]; a failure is a [*StepError] without State.
func ApplyStep(ctx context.Context, b backend.Backend, p *plan.Plan, id string, opts ...Option) error {
	if b == nil {
		return errNoBackend
	}
	cfg := newConfig(opts)
	if p == nil {
		return fmt.Errorf("%w: no plan", ErrInvalidPlan)
	}
	// The graph is checked whatever the step: in a plan that is not one,
	// an id may name two steps, or a step wait for one that never runs.
	index, err := p.StepIndex()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidPlan, err)
	}
	i, ok := index[id]
	if !ok {
		return fmt.Errorf("%w: the plan has no step %q", ErrInvalidPlan, id)
	}
	s := &p.Steps[i]
	if err := checkStep(s); err != nil {
		return err
	}
	if err := cfg.checkGates([]plan.Step{*s}); err != nil {
		return err
	}
	if err := checkAssets(b, &plan.Plan{Steps: []plan.Step{*s}}, nil); err != nil {
		return err
	}
	cur, err := cfg.checkAlone(ctx, b, p, s)
	if err != nil {
		return err
	}
	r := &runner{b: b, cfg: cfg, em: newEmitter(cfg.onEvent, 1), standalone: true}
	_, err = r.exec(ctx, s, nil, notSucceeded(cur, s.Deployment))
	if err != nil {
		r.em.step(failedKind(s), s, 0, err)
		return &StepError{Step: s.ID, Action: s.Action, Err: err}
	}
	r.em.done.Add(1)
	r.em.step(finishedKind(s), s, 0, nil)
	return nil
}

// checkAlone reads the endpoint a write step of p is about to change and
// refuses the step as plan.CheckStep does, before it is sent. It returns
// the endpoint it read, nil when it read none.
func (c *config) checkAlone(ctx context.Context, b backend.Backend, p *plan.Plan, s *plan.Step) (*endpoint.Endpoint, error) {
	if !s.Action.IsWrite() || s.Action == plan.DeleteEndpoint || s.Action == plan.RegisterAsset {
		return nil, nil
	}
	cur, err := c.getEndpoint(ctx, b, s.Endpoint)
	if errors.Is(err, backend.ErrNotFound) {
		cur, err = nil, nil
	}
	if err != nil {
		return nil, &StepError{Step: s.ID, Action: s.Action, Err: err}
	}
	err = plan.CheckStep(cur, p, s.ID)
	var v *plan.ViolationError
	switch {
	case errors.As(err, &v):
		return nil, fmt.Errorf("%w: %w", ErrUnsafePlan, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrInvalidPlan, err)
	}
	return cur, nil
}

// notSucceeded reports whether endpoint e, as the service holds it, has a
// deployment of that name whose last operation did not succeed.
func notSucceeded(e *endpoint.Endpoint, name string) bool {
	if e == nil || name == "" {
		return false
	}
	i, found := rules.FindDeployment(e, name)
	return found && !e.Deployments[i].Status.ProvisioningState.Succeeded()
}

// check refuses what cannot be executed, before anything is sent. The
// graph of a plan that Compute returned unchanged (sealed) is sound by
// construction: every id is unique and every dependency an earlier step.
func (c *config) check(p *plan.Plan, sealed bool) error {
	if p == nil {
		return fmt.Errorf("%w: no plan", ErrInvalidPlan)
	}
	if !sealed {
		if _, err := p.StepIndex(); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidPlan, err)
		}
	}
	for i := range p.Steps {
		if err := checkStep(&p.Steps[i]); err != nil {
			return err
		}
	}
	if err := checkLabels(p); err != nil {
		return err
	}
	return c.checkGates(p.Steps)
}

// checkStep refuses a step that lacks what its action writes, or would
// write a secret that was redacted when the plan was saved.
func checkStep(s *plan.Step) error {
	switch s.Action {
	case plan.CreateEndpoint, plan.UpdateEndpoint:
		if s.EndpointAfter == nil {
			return fmt.Errorf("%w: step %q has no endpoint to write", ErrInvalidPlan, s.ID)
		}
	case plan.CreateDeployment, plan.UpdateDeployment:
		if s.DeploymentAfter == nil {
			return fmt.Errorf("%w: step %q has no deployment to write", ErrInvalidPlan, s.ID)
		}
		for _, v := range s.DeploymentAfter.EnvironmentVariables {
			if v == endpoint.Redacted {
				return fmt.Errorf("%w: step %q would write a secret environment variable that was redacted when the plan was saved; compute the plan again from the desired state", ErrInvalidPlan, s.ID)
			}
		}
	case plan.RegisterAsset:
		if s.Asset == nil {
			return fmt.Errorf("%w: step %q has no asset to register", ErrInvalidPlan, s.ID)
		}
	case plan.DeleteEndpoint, plan.DeleteDeployment, plan.SetTraffic, plan.Gate:
	default:
		return fmt.Errorf("%w: step %q has unknown action %q", ErrInvalidPlan, s.ID, s.Action)
	}
	return nil
}

// observe reads every endpoint, retrying as for writes.
func (c *config) observe(ctx context.Context, b backend.Backend) ([]*endpoint.Endpoint, error) {
	var actual []*endpoint.Endpoint
	err := c.retry(ctx, nil, func(ctx context.Context) error {
		var err error
		actual, err = b.ListEndpoints(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("rollout: observe: %w", err)
	}
	return actual, nil
}

// runner executes single steps; the walker and ApplyStep share it.
type runner struct {
	b   backend.Backend
	cfg *config
	em  *emitter
	// standalone makes steps read the service before writing, where Apply
	// relies on its own observation instead.
	standalone bool

	calls, retries atomic.Int64
}

// exec runs step s. cur is the endpoint's settings as the service holds
// them, for set_traffic; when nil, they are read. failed says that the
// deployment s writes did not provision successfully, as observed, which
// the plan's own record of it may not say. It returns the endpoint
// written, for steps that write one.
func (r *runner) exec(ctx context.Context, s *plan.Step, cur *endpoint.Endpoint, failed bool) (*endpoint.Endpoint, error) {
	if s.Action == plan.Gate {
		r.em.step(GateWaiting, s, 0, nil)
		g, _ := r.cfg.gate(s.Gate)
		return nil, g.Check(ctx, gateContext(r.b, s))
	}
	var wrote *endpoint.Endpoint
	switch s.Action {
	case plan.CreateEndpoint, plan.UpdateEndpoint:
		wrote = withSplits(s.EndpointAfter, s.Traffic, s.Mirror)
		if s.Action == plan.CreateEndpoint && r.standalone {
			existing, err := r.read(ctx, s.Endpoint)
			if err != nil && !errors.Is(err, backend.ErrNotFound) {
				return nil, err
			}
			if existing != nil {
				wrote = withSplits(s.EndpointAfter, existing.Traffic, existing.Mirror)
			}
		}
	case plan.SetTraffic:
		if cur == nil {
			var err error
			if cur, err = r.read(ctx, s.Endpoint); err != nil {
				return nil, err
			}
		}
		wrote = withSplits(cur, s.Traffic, s.Mirror)
	}
	err := r.cfg.retry(ctx, func(attempt int, prev error) {
		if attempt == 1 {
			r.em.step(StepStarted, s, attempt, nil)
		} else {
			r.retries.Add(1)
			r.em.step(StepRetrying, s, attempt, prev)
		}
		r.calls.Add(1)
	}, func(ctx context.Context) error {
		if s.Action == plan.RegisterAsset {
			return r.register(ctx, s)
		}
		return call(ctx, r.b, s, wrote, failed)
	})
	return wrote, err
}

// read returns the endpoint's own settings as the service holds them.
func (r *runner) read(ctx context.Context, name string) (*endpoint.Endpoint, error) {
	e, err := r.cfg.getEndpoint(ctx, r.b, name)
	if err != nil {
		return nil, err
	}
	return withSplits(e, e.Traffic, e.Mirror), nil
}

// call makes the one backend call of a write step; e is the endpoint to
// write, for the steps that write one, and failed says that the
// deployment it writes did not provision successfully.
func call(ctx context.Context, b backend.Backend, s *plan.Step, e *endpoint.Endpoint, failed bool) error {
	switch s.Action {
	case plan.CreateEndpoint, plan.UpdateEndpoint, plan.SetTraffic:
		return b.CreateOrUpdateEndpoint(ctx, e)
	case plan.DeleteEndpoint:
		return b.DeleteEndpoint(ctx, s.Endpoint)
	case plan.CreateDeployment, plan.UpdateDeployment:
		if s.Action == plan.UpdateDeployment && !failed && scaleOnly(s.DeploymentBefore, s.DeploymentAfter) {
			return b.ScaleDeployment(ctx, s.Endpoint, s.DeploymentAfter.Name, s.DeploymentAfter.InstanceCount)
		}
		// A copy without status, for an unconditional write; its maps are
		// the plan's, which backends copy and never change. Labels are
		// written as the versions they resolved to, as the service's CLI
		// writes them. The spec is large: it is copied once, here, and
		// changed in place.
		d := s.DeploymentAfter.Pinned()
		d.Status = endpoint.Status{}
		if err := useRegistered(ctx, b, &d); err != nil {
			return err
		}
		return b.CreateOrUpdateDeployment(ctx, s.Endpoint, d)
	case plan.DeleteDeployment:
		err := b.DeleteDeployment(ctx, s.Endpoint, s.Deployment)
		if errors.Is(err, backend.ErrNotFound) {
			// Deleting a missing deployment succeeds, so NotFound is about
			// the endpoint: gone, and its deployments with it.
			return nil
		}
		return err
	}
	return fmt.Errorf("%w: step %q has unknown action %q", ErrInvalidPlan, s.ID, s.Action)
}

// scaleOnly reports whether the update from before to after changes only
// the instance count of a deployment that provisioned successfully: the
// service's scale operation, which leaves the running code alone. A failed
// deployment needs its full spec again. A plan file does not keep the
// state of before, so call is told too what the executor observed.
func scaleOnly(before, after *endpoint.Deployment) bool {
	if before == nil || before.InstanceCount == after.InstanceCount {
		return false
	}
	if st := before.Status.ProvisioningState; st != "" && st != endpoint.Succeeded {
		return false
	}
	b := *before
	b.InstanceCount = after.InstanceCount
	return endpoint.DeploymentEqual(b, *after)
}

// withSplits returns a copy of e's own settings, without deployments or
// status, carrying the given splits: what an endpoint write sends. The
// status is cleared so that the write is unconditional. The copy shares
// e's maps: backends copy what they are given, and nothing the walk keeps
// is ever changed.
func withSplits(e *endpoint.Endpoint, live, mirror traffic.Split) *endpoint.Endpoint {
	c := *e
	c.Deployments = nil
	c.Status = endpoint.Status{}
	c.Traffic, c.Mirror = live, mirror
	return &c
}

func finishedKind(s *plan.Step) EventKind {
	if s.Action == plan.Gate {
		return GatePassed
	}
	return StepFinished
}

func failedKind(s *plan.Step) EventKind {
	if s.Action == plan.Gate {
		return GateFailed
	}
	return StepFailed
}

// key is how endpoints are told apart: the service's names are
// case-insensitive.
func key(name string) string { return strings.ToLower(name) }

// split is an endpoint's live and mirror traffic.
type split struct{ live, mirror traffic.Split }

// endpointState is what the walk knows about one endpoint.
type endpointState struct {
	name string
	// fields are the endpoint's own settings as the service holds them;
	// nil while it does not exist.
	fields *endpoint.Endpoint
	// approved are the splits a rollback may restore, oldest first: the
	// one observed before the first step, then each one a gate that
	// watched live traffic passed; none while the endpoint does not exist.
	approved []approval
	// capacity is each deployment's instances, as the observation and
	// the plan's finished writes leave them.
	capacity capacities
	// failed holds the keys of the deployments whose last operation did
	// not succeed, as observed, until the plan writes them again.
	failed []string
	// endpointWrites counts the plan's endpoint writes not yet finished.
	endpointWrites int
	// planned is set when the plan has a step for the endpoint: the ones
	// a StepError's State holds.
	planned bool
	// busy marks an endpoint-level write in flight; deployments counts
	// the deployment writes in flight.
	busy        bool
	deployments int
	// held is the number of the scheduling pass in which an earlier
	// endpoint-level step was found waiting for this endpoint, so that
	// later deployment steps do not overtake it.
	held int
}

// capacities are the instances of an endpoint's deployments, one entry
// for each, in no particular order: an endpoint has few deployments, and
// a list of them costs one allocation where a map costs two.
type capacities []deploymentCapacity

type deploymentCapacity struct {
	key       string // the deployment's name, as key gives it
	instances int
}

// get returns the instances of the named deployment, 0 for one not listed.
func (c capacities) get(name string) int {
	if i := c.find(name); i >= 0 {
		return c[i].instances
	}
	return 0
}

// set records the instances of the named deployment.
func (c *capacities) set(name string, instances int) {
	if i := c.find(name); i >= 0 {
		(*c)[i].instances = instances
		return
	}
	*c = append(*c, deploymentCapacity{key: key(name), instances: instances})
}

// remove forgets the named deployment.
func (c *capacities) remove(name string) {
	if i := c.find(name); i >= 0 {
		*c = slices.Delete(*c, i, i+1)
	}
}

// find returns the index of the named deployment, or -1.
func (c capacities) find(name string) int {
	k := key(name)
	for i := range c {
		if c[i].key == k {
			return i
		}
	}
	return -1
}

// outcome is the end of one step.
type outcome struct {
	i     int
	wrote *endpoint.Endpoint
	err   error
}

// walker runs a plan's step graph.
//
// There is no scheduling goroutine: the worker that finishes a step
// records it and starts what became ready, by putting it in a queue, and
// goes on with the first queued step itself, so a chain of steps runs on
// one goroutine without a hand-off per step. The goroutine that called
// Apply is a worker too.
//
// A worker that takes a step while others wait in the queue makes sure
// that one more worker is on its way (an idle one woken, or a new one)
// before its call, and that one does the same. When calls wait, for the
// service's operations or a lock inside the backend, every queued step is
// taken within a few hand-offs, and the writes go out together; when they
// do not, the workers already running drain the queue themselves and the
// next one finds nothing left to do. So a walk has one worker more than
// calls were waiting at once, rather than one for each step that was
// ready; workers stay for the rest of the walk once started, since their
// stacks have grown to what a backend call needs.
//
// Once a write has returned within quickCall, as an in-memory service's
// do, that hand-off costs more than the calls it would overlap: a worker
// that takes a step then arms a timer instead (nudge), which calls a
// worker only if no step was taken for quickCall, and goes back to a
// worker per step only when that worker's call waits too; helpers whose
// calls return make way for a newer call's worker or the caller's. The first
// calls of a walk are not known to be quick, so the writes of a service
// with latency still go out together from the start, in a
// testing/synctest bubble too, where the timer would add simulated time.
//
// However a worker leaves, the others end with the walk: a panic or
// runtime.Goexit in a step abandons it, and the caller of Apply leaves
// the same way once the helpers have ended (work).
type walker struct {
	*runner
	p *plan.Plan

	// mu guards everything below; workers hold it between steps only,
	// never during a backend call or a gate.
	mu         sync.Mutex
	waiting    []int   // unfinished dependencies of each step
	dependents [][]int // steps that wait for each step
	ready      []int   // steps free to start, in plan order
	eps        map[string]*endpointState
	at         []*endpointState // the state of each step's endpoint
	states     []endpointState  // the block newState allocates from
	capacities capacities       // and the block of their capacities
	// running counts the writes started and not finished, which
	// Parallelism bounds, and gating the gates, which it does not; both
	// count the steps still queued.
	running int
	gating  int
	pass    int
	// queue[head:] holds the steps started and not yet taken by a
	// worker, in the order they started.
	queue []job
	head  int
	// coming counts the workers woken or started for the queue that have
	// not yet looked at it; idle counts the workers waiting on wake, which
	// has room for every one of them, so a wake-up never blocks.
	coming   int
	idle     int
	wake     chan struct{}
	stopping bool
	// quick is set while the writes return within quickCall, as an
	// in-memory service's do. Workers are then added by nudge, when a
	// call has not returned in that time, rather than for every step
	// taken: a hand-off costs more than such a call, and a worker that
	// returns at once takes the next step itself.
	quick bool
	nudge *time.Timer
	// armed is set while nudge is; takes counts the steps taken, and
	// seen is takes when it was armed.
	armed       bool
	takes, seen int
	// taken numbers the writes taken; latest is the number of the newest
	// one while it is in flight, else 0.
	taken, latest int
	// callerCall is the number of the write the caller of Apply is in,
	// else 0; slowCall is the number of the newest write in flight when
	// nudge last found no step taken, and suspect is set while that was
	// the last time it looked.
	callerCall, slowCall int
	suspect              bool
	// over is set, and wake closed, when the last step in flight has
	// ended and nothing is left to start.
	over bool
	res  *Result

	failed    int // index of the first step that failed, or -1
	failedErr error

	// helpers counts the workers started beside the caller of Apply that
	// have not ended; ends records those that left the walk by a panic or
	// runtime.Goexit.
	helpers sync.WaitGroup
	ends    abnormalEnd
}

// walk executes p, whose graph config.check accepted, from the observed
// state actual.
func (c *config) walk(ctx context.Context, b backend.Backend, p *plan.Plan, actual []*endpoint.Endpoint, start time.Time) (*Result, error) {
	w := newWalker(b, c, p, actual)
	w.em.start = start
	res := &Result{Plan: p, Completed: make([]string, 0, len(p.Steps))}
	w.res = res
	w.em.emit(Event{Kind: PlanStarted})

	w.mu.Lock()
	w.stopping = ctx.Err() != nil
	w.startReady()
	w.work(ctx, true)
	w.rethrow()

	var err error
	switch {
	case w.failed >= 0 && !(ctx.Err() != nil && isContextErr(w.failedErr)):
		s := &p.Steps[w.failed]
		se := &StepError{Step: s.ID, Action: s.Action, Err: w.failedErr}
		if c.rollback && ctx.Err() == nil {
			se.RolledBack, se.Restored, se.RollbackErr = w.rollback(ctx, s)
			res.RolledBack = se.RolledBack
		}
		if ctx.Err() == nil {
			se.State = w.state(ctx)
		}
		err = se
	case ctx.Err() != nil && len(res.Completed) < len(p.Steps):
		err = fmt.Errorf("rollout: stopped after %d of %d steps: %w", len(res.Completed), len(p.Steps), stopCause(ctx))
	}
	res.Calls = int(w.calls.Load())
	res.Retries = int(w.retries.Load())
	res.Elapsed = time.Since(start)
	w.em.emit(Event{Kind: PlanFinished, Err: err})
	return res, err
}

// stopCause returns why ctx ended: its error, and with it the cause its
// cancellation gave when that is another error, so that errors.Is finds
// both context.Canceled (or DeadlineExceeded) and the cause.
func stopCause(ctx context.Context) error {
	err, cause := ctx.Err(), context.Cause(ctx)
	if cause == nil || errors.Is(cause, err) {
		return err
	}
	return fmt.Errorf("%w (%w)", cause, err)
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func newWalker(b backend.Backend, c *config, p *plan.Plan, actual []*endpoint.Endpoint) *walker {
	n := len(p.Steps)
	gates := 0
	for i := range p.Steps {
		if p.Steps[i].Action == plan.Gate {
			gates++
		}
	}
	// At most this many steps are in flight, or queued, at once.
	inFlight := min(n-gates, c.parallelism) + gates
	w := &walker{
		runner:  &runner{b: b, cfg: c, em: newEmitter(c.onEvent, n)},
		p:       p,
		waiting: make([]int, n),
		at:      make([]*endpointState, n),
		ready:   make([]int, 0, n),
		queue:   make([]job, 0, inFlight),
		// A plan has a few steps for each endpoint it writes.
		eps:    make(map[string]*endpointState, len(actual)+n/2),
		wake:   make(chan struct{}, inFlight),
		failed: -1,
	}
	for j, e := range actual {
		capacity := make(capacities, 0, len(e.Deployments))
		ep := w.newState(e.Name, len(actual)-j+len(p.Steps))
		for i := range e.Deployments {
			d := &e.Deployments[i]
			capacity.set(d.Name, d.Capacity())
			if !d.Status.ProvisioningState.Succeeded() {
				ep.failed = append(ep.failed, key(d.Name))
			}
		}
		ep.fields = withSplits(e, e.Traffic, e.Mirror)
		ep.capacity = capacity
		ep.approved = []approval{{split: split{e.Traffic, e.Mirror}, capacity: slices.Clone(capacity)}}
		w.eps[key(e.Name)] = ep
	}
	w.dependents = dependents(p.Steps)
	for i := range p.Steps {
		s := &p.Steps[i]
		ep, ok := w.eps[key(s.Endpoint)]
		if !ok {
			ep = w.newState(s.Endpoint, len(p.Steps)-i)
			w.eps[key(s.Endpoint)] = ep
		}
		w.at[i] = ep
		ep.planned = true
		if endpointLevel(s.Action) && s.Action != plan.DeleteEndpoint {
			ep.endpointWrites++
		}
		w.waiting[i] = len(s.DependsOn)
		if w.waiting[i] == 0 {
			w.ready = append(w.ready, i)
		}
	}
	return w
}

// newState returns a new endpointState for the endpoint named name.
// They are allocated a block at a time, as a walk of a fleet has
// thousands; more is an upper bound on the states still to come,
// this one included.
//
// Each state has room for the capacity of one deployment in a block too,
// for an endpoint the plan creates with its first deployment; one
// observed replaces it with its own list.
func (w *walker) newState(name string, more int) *endpointState {
	if len(w.states) == cap(w.states) {
		size := min(more, 64)
		w.states = make([]endpointState, 0, size)
		w.capacities = make(capacities, size)
	}
	i := len(w.states)
	w.states = append(w.states, endpointState{name: name, capacity: w.capacities[i : i : i+1]})
	return &w.states[i]
}

// dependents returns, for each step, the steps that depend on it, in plan
// order, all in one backing array. The steps' ids are unique, and each
// dependency is an earlier step.
func dependents(steps []plan.Step) [][]int {
	edges := 0
	for i := range steps {
		edges += len(steps[i].DependsOn)
	}
	// count, then the dependencies' positions, in one array.
	scratch := make([]int, len(steps)+edges)
	count, on := scratch[:len(steps)], scratch[len(steps):len(steps)]
	f := stepFinder{steps: steps}
	for i := range steps {
		for _, d := range steps[i].DependsOn {
			j := f.find(d, i)
			count[j]++
			on = append(on, j)
		}
	}
	all := make([]int, 0, edges)
	out := make([][]int, len(steps))
	for j, c := range count {
		out[j] = all[len(all) : len(all) : len(all)+c]
		all = all[:len(all)+c]
	}
	for i := range steps {
		for range steps[i].DependsOn {
			out[on[0]] = append(out[on[0]], i)
			on = on[1:]
		}
	}
	return out
}

// A stepFinder finds the position of a step by its id among the steps
// before another. A step most often depends on steps just before it, its
// endpoint's, so it looks there first, and indexes every id only for a
// dependency further back.
type stepFinder struct {
	steps []plan.Step
	index map[string]int
}

// nearSteps is how many steps before a step stepFinder looks at first.
const nearSteps = 8

func (f *stepFinder) find(id string, before int) int {
	for j := before - 1; j >= max(0, before-nearSteps); j-- {
		if f.steps[j].ID == id {
			return j
		}
	}
	if f.index == nil {
		f.index = make(map[string]int, len(f.steps))
		for j := range f.steps {
			f.index[f.steps[j].ID] = j
		}
	}
	return f.index[id]
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

// startReady queues the ready steps that parallelism and endpoint
// exclusivity allow, in plan order, unless the walk is stopping. Gates
// start as soon as they are ready: they wait rather than call the
// service, so they take no slot from the writes. When nothing is in
// flight after that, the walk is over. w.mu is held.
func (w *walker) startReady() {
	w.queueReady()
	if w.running+w.gating == 0 {
		w.end()
	}
}

// queueReady queues the ready steps that may start, for startReady.
func (w *walker) queueReady() {
	if w.stopping {
		return
	}
	w.pass++
	kept := w.ready[:0]
	for _, i := range w.ready {
		s := &w.p.Steps[i]
		var cur *endpoint.Endpoint
		failed := false
		if s.Action == plan.Gate {
			w.gating++
		} else {
			ep := w.at[i]
			if !w.reserve(s, ep) {
				kept = append(kept, i)
				continue
			}
			w.running++
			cur = ep.fields
			failed = slices.Contains(ep.failed, key(s.Deployment))
		}
		w.queue = append(w.queue, job{i: i, cur: cur, failed: failed})
	}
	w.ready = kept
}

// reserve takes a slot for write step s on its endpoint ep, or reports
// that the step must wait: for the parallelism, for an operation on the
// endpoint, or behind an earlier endpoint-level step found waiting in the
// same pass, so that later deployment steps do not overtake it.
func (w *walker) reserve(s *plan.Step, ep *endpointState) bool {
	if w.running >= w.cfg.parallelism {
		return false
	}
	if s.Action == plan.RegisterAsset {
		// Assets belong to the workspace, not to the endpoint: an upload
		// takes a slot of the parallelism and holds no endpoint.
		return true
	}
	if endpointLevel(s.Action) {
		if ep.busy || ep.deployments > 0 || ep.held == w.pass {
			ep.held = w.pass
			return false
		}
		ep.busy = true
		return true
	}
	if ep.busy || ep.held == w.pass || w.cfg.serialize && ep.deployments > 0 {
		return false
	}
	ep.deployments++
	return true
}

// job is a step handed to a worker, with the endpoint's settings for
// set_traffic, and whether the deployment it writes has failed.
type job struct {
	i      int
	cur    *endpoint.Endpoint
	failed bool
	// call numbers the writes in the order workers took them, from 1;
	// gates have 0.
	call int
}

// quickCall is how long a write may take and still count as one that
// returned at once. A service across a network takes milliseconds at
// least, so its writes never count, and a worker is added for the queue
// as soon as a step is taken; an in-memory service's take microseconds.
const quickCall = 100 * time.Microsecond

// work takes queued steps and runs them until the walk is over. It is
// called with w.mu held and returns without it. The caller of Apply never
// makes way for a helper: it is the one that has to be woken at the end.
//
// A worker that leaves otherwise, by a panic or runtime.Goexit in a step
// or an event listener, abandons the walk on its way out, so that the
// other workers end rather than wait for steps that will never come, and
// records how it left for the caller of Apply (rethrow), which waits for
// the helpers to end before it leaves the same way.
func (w *walker) work(ctx context.Context, caller bool) {
	reserveStack(false)
	held, done := true, false
	var j job
	defer func() {
		if done {
			return
		}
		w.leave(held, j.i, recover())
		if caller {
			w.rethrow()
		}
	}()
	// A helper that arrives while a quick call is in flight makes way at
	// first too: the worker in that call takes the queue when it returns.
	yield := !caller && w.callReturnsSoon()
	for {
		ok := false
		if !yield {
			j, ok = w.take(ctx)
		}
		if !ok {
			if w.over {
				done, held = true, false
				w.mu.Unlock()
				return
			}
			held = false
			if !w.wait(ctx, yield) {
				done = true
				return
			}
			held, yield = true, false
			continue
		}
		yield = w.run(ctx, j, caller, &held)
	}
}

// wait makes an idle worker of one that found nothing to take, or made
// way (yield) for steps still queued, until it is woken, and reports
// whether the walk goes on. It is called with w.mu held, and returns with
// it when it reports true.
func (w *walker) wait(ctx context.Context, yield bool) bool {
	if yield && w.head < len(w.queue) && w.coming == 0 {
		w.armNudge(ctx)
	}
	w.idle++
	w.mu.Unlock()
	if _, ok := <-w.wake; !ok {
		return false
	}
	w.mu.Lock()
	w.coming--
	return true
}

// run makes the call of job j without w.mu, records its end, and queues
// what became ready; it reports whether its worker should make way. It is
// called with w.mu held and returns with it, keeping held, for work,
// true exactly while it holds it.
func (w *walker) run(ctx context.Context, j job, caller bool, held *bool) bool {
	s := &w.p.Steps[j.i]
	if caller {
		w.callerCall = j.call
	}
	// Only nudge finds calls slow again: once they are quick, they need
	// not be timed.
	timed := !w.quick
	*held = false
	w.mu.Unlock()
	var start time.Time
	if timed {
		start = time.Now()
	}
	wrote, err := w.exec(ctx, s, j.cur, j.failed)
	quick := timed && time.Since(start) < quickCall
	w.mu.Lock()
	*held = true
	yield := w.returned(j, quick, caller)
	if !w.finish(outcome{i: j.i, wrote: wrote, err: err}, w.res) || ctx.Err() != nil {
		w.stopping = true
	}
	w.startReady()
	return yield
}

// leave abandons the walk for a worker that leaves it otherwise than at
// its end, in step i, with the value r it panicked with, nil for
// runtime.Goexit; held says whether it holds w.mu. The first panic is
// kept, with the stack it was raised on, for rethrow.
func (w *walker) leave(held bool, i int, r any) {
	if !held {
		w.mu.Lock()
	}
	w.ends.record(w.p.Steps[i].ID, r)
	w.abandon()
	w.mu.Unlock()
}

// rethrow waits for every goroutine the walk started to end, and then
// makes the caller of Apply leave as a worker did, if one did: it panics
// with the first panic, or calls runtime.Goexit for a worker that called
// it. It returns when every worker ended with the walk.
func (w *walker) rethrow() {
	w.helpers.Wait()
	w.ends.rethrow()
}

// returned records that the call of job j returned, within quickCall
// when quick is set, and reports whether its worker, a helper, should
// make way (callReturnsSoon). w.mu is held.
func (w *walker) returned(j job, quick, caller bool) bool {
	if j.call == 0 {
		return false
	}
	if quick {
		w.quick = true
	}
	if w.latest == j.call {
		w.latest = 0
	}
	if caller {
		w.callerCall = 0
		return false
	}
	return w.callReturnsSoon()
}

// callReturnsSoon reports whether calls return at once and one is in
// flight that will: a newer one than any that returned, or the one the
// caller of Apply is in, if it started after the last call that nudge
// found waiting. Its worker takes the queue when it returns, so another
// would only take turns with it at the service. w.mu is held.
func (w *walker) callReturnsSoon() bool {
	return w.quick && (w.latest > w.slowCall || w.callerCall > w.slowCall)
}

// helper is a worker started for the queue.
func (w *walker) helper(ctx context.Context) {
	defer w.helpers.Done()
	w.mu.Lock()
	w.coming--
	w.work(ctx, false)
}

// take returns the first queued step. When more are queued and no worker
// is on its way, it makes sure one comes, so that they start even if
// this step's call blocks: at once, or, while calls return at once, once
// this one has not. w.mu is held.
func (w *walker) take(ctx context.Context) (job, bool) {
	if w.head == len(w.queue) {
		return job{}, false
	}
	j := w.queue[w.head]
	w.head++
	w.takes++
	gate := w.p.Steps[j.i].Action == plan.Gate
	if !gate {
		w.taken++
		j.call, w.latest = w.taken, w.taken
	}
	if w.head == len(w.queue) {
		// The queue is empty: it fills its array from the front again.
		w.queue, w.head = w.queue[:0], 0
	}
	if w.head < len(w.queue) && w.coming == 0 {
		if w.quick && !gate {
			w.armNudge(ctx)
		} else {
			w.callWorker(ctx)
		}
	}
	return j, true
}

// callWorker wakes an idle worker for the queue, or starts one. w.mu is
// held.
func (w *walker) callWorker(ctx context.Context) {
	w.coming++
	if w.idle > 0 {
		w.idle--
		w.wake <- struct{}{}
		return
	}
	w.helpers.Add(1)
	go w.helper(ctx)
}

// armNudge has nudged run in quickCall, unless it is armed already. One
// timer serves the walk, and it is not moved for every step taken, which
// would cost more than such a step. w.mu is held.
func (w *walker) armNudge(ctx context.Context) {
	if w.armed {
		return
	}
	w.armed, w.seen = true, w.takes
	// The goroutine the timer starts is the walk's too: Apply waits for it.
	w.helpers.Add(1)
	if w.nudge == nil {
		w.nudge = time.AfterFunc(quickCall, func() { defer w.helpers.Done(); w.nudged(ctx) })
		return
	}
	w.nudge.Reset(quickCall)
}

// nudged calls a worker for steps still queued when none was taken since
// the timer was armed, quickCall to twice that ago: the calls in flight
// are waiting, or the process stood still (a collection, a machine busy
// with other programs). The first time, the worker takes the next step
// beside them; only when that finds no step taken either does the walk
// stop counting on calls that return at once, and add a worker for every
// step it takes from then on. A stall of the process alone then costs one
// worker rather than one for every step queued, which would each take
// turns with the others at the service and make every call slow. While
// steps are taken, it looks again in quickCall.
func (w *walker) nudged(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.armed = false
	if w.over || w.head == len(w.queue) || w.coming > 0 {
		return
	}
	if w.takes != w.seen {
		w.suspect = false
		w.armNudge(ctx)
		return
	}
	w.slowCall = max(w.latest, w.callerCall)
	if w.suspect {
		w.quick, w.suspect = false, false
	} else {
		w.suspect = true
	}
	w.callWorker(ctx)
}

// end marks the walk over and releases the idle workers. w.mu is held.
func (w *walker) end() {
	if w.over {
		return
	}
	w.over = true
	close(w.wake)
	if w.nudge != nil && w.nudge.Stop() {
		// It will not fire: no goroutine to wait for.
		w.helpers.Done()
	}
}

// abandon ends the walk at once: nothing more starts and the steps queued
// are dropped. The steps in flight end on their own. w.mu is held.
func (w *walker) abandon() {
	w.stopping = true
	w.queue, w.head = w.queue[:0], 0
	w.end()
}

// finish records the end of a step and frees what waited for it. It
// reports false when the step failed.
func (w *walker) finish(o outcome, res *Result) bool {
	s := &w.p.Steps[o.i]
	ep := w.at[o.i]
	switch {
	case s.Action == plan.Gate:
		w.gating--
	case s.Action == plan.RegisterAsset:
		w.running--
	case endpointLevel(s.Action):
		w.running--
		ep.busy = false
	default:
		w.running--
		ep.deployments--
	}
	if o.err != nil {
		if w.failed < 0 {
			w.failed, w.failedErr = o.i, o.err
		}
		w.em.step(failedKind(s), s, 0, o.err)
		return false
	}
	switch s.Action {
	case plan.CreateEndpoint, plan.UpdateEndpoint, plan.SetTraffic:
		ep.fields = o.wrote
		ep.endpointWrites--
	case plan.DeleteEndpoint:
		ep.fields, ep.approved, ep.failed = nil, nil, nil
		ep.capacity = ep.capacity[:0]
	case plan.CreateDeployment, plan.UpdateDeployment:
		ep.capacity.set(s.Deployment, s.DeploymentAfter.Capacity())
		ep.failed = slices.DeleteFunc(ep.failed, func(k string) bool { return k == key(s.Deployment) })
	case plan.DeleteDeployment:
		ep.capacity.remove(s.Deployment)
		ep.failed = slices.DeleteFunc(ep.failed, func(k string) bool { return k == key(s.Deployment) })
	case plan.Gate:
		if ep.fields != nil && watchesLive(s) {
			ep.approved = append(ep.approved, approval{split: split{ep.fields.Traffic, ep.fields.Mirror},
				capacity: slices.Clone(ep.capacity), gate: s.ID})
		}
	}
	res.Completed = append(res.Completed, s.ID)
	w.em.done.Add(1)
	w.em.step(finishedKind(s), s, 0, nil)
	for _, j := range w.dependents[o.i] {
		if w.waiting[j]--; w.waiting[j] == 0 {
			at, _ := slices.BinarySearch(w.ready, j)
			w.ready = slices.Insert(w.ready, at, j)
		}
	}
	return true
}

// state observes the plan's endpoints after a stop, for the error.
func (w *walker) state(ctx context.Context) []*endpoint.Endpoint {
	all, err := w.cfg.observe(ctx, w.b)
	if err != nil {
		return nil
	}
	out := all[:0]
	for _, e := range all {
		if ep, ok := w.eps[key(e.Name)]; ok && ep.planned {
			out = append(out, e)
		}
	}
	return out
}

// workerStack is the stack a worker reserves before its first step:
// about what a call to the in-memory service takes (fakes), whose frames
// hold specs by value, 1.4 KB a deployment. The runtime takes a new
// goroutine's stack from 2 KB to 32 KB for it in one copy.
const workerStack = 24 << 10

// reserveStack grows the calling goroutine's stack to hold workerStack
// bytes more in one step, while it is shallow and cheap to copy, rather
// than doubling it several times in the middle of a backend call, each
// time copying the frames of the call and, in an in-memory service, while
// holding its lock.
//
// The frame is only reserved, not written: with use false, as workers
// call it, the function returns at once, after its entry has grown the
// stack.
//
//go:noinline
func reserveStack(use bool) {
	if use {
		var frame [workerStack]byte
		touch(frame[:])
	}
}

//go:noinline
func touch(b []byte) { b[len(b)-1] = 0 }
