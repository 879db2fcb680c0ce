package rollout

import (
	"context"
	"errors"
	"time"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
)

// Run takes the service to the desired state: it observes every endpoint
// b holds, resolves the asset labels desired uses ([ResolveLabels]),
// computes a plan with planOpts, and applies it as [Apply] does.
// The Result carries the plan it computed.
//
// Run keeps no state of its own between calls, and needs none: after a
// crash, a cancellation or a failure, calling Run again with the same
// desired state plans from whatever the service holds and does only what
// is left. A resource still in the middle of an operation that an earlier
// run started (plan.ErrBusy) is waited for, with the retry backoff between
// observations and a [Waiting] event for each, until it settles or ctx
// ends: every endpoint of desired (and, with DeleteUnlisted, every other
// one) and its deployments, even when the spec the operation writes is
// already the desired one, since the operation may still fail. So Run
// returns nil only on a settled service that holds the desired state.
func Run(ctx context.Context, b backend.Backend, desired []*endpoint.Endpoint, planOpts plan.Options, opts ...Option) (*Result, error) {
	if b == nil {
		return nil, errNoBackend
	}
	cfg := newConfig(opts)
	start := time.Now()
	em := newEmitter(cfg.onEvent, 0)
	em.start = start
	for attempt := 1; ; attempt++ {
		actual, err := cfg.observe(ctx, b)
		if err != nil {
			return nil, err
		}
		resolved, err := cfg.resolveLabels(ctx, b, desired)
		if err != nil {
			return nil, err
		}
		p, err := plan.Compute(resolved, actual, planOpts)
		if err == nil {
			err = unsettled(desired, actual, planOpts)
		}
		if errors.Is(err, plan.ErrBusy) {
			em.emit(Event{Kind: Waiting, Err: err})
			if sleep(ctx, cfg.backoff(attempt, nil)) != nil {
				return nil, stopCause(ctx)
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		// The plan was just computed: its graph is sound.
		if err := cfg.check(p, true); err != nil {
			return nil, err
		}
		if err := checkAssets(b, p, desired); err != nil {
			return nil, err
		}
		return cfg.walk(ctx, b, p, actual, start)
	}
}

// unsettled returns a *plan.BusyError for the first resource Run manages
// (the desired endpoints, or every endpoint with DeleteUnlisted) that has
// an operation in progress, or nil.
func unsettled(desired, actual []*endpoint.Endpoint, opts plan.Options) error {
	managed := make(map[string]bool, len(desired))
	for _, e := range desired {
		managed[endpoint.NameKey(e.Name)] = true
	}
	for _, a := range actual {
		if !opts.DeleteUnlisted && !managed[endpoint.NameKey(a.Name)] {
			continue
		}
		if st := a.Status.ProvisioningState; st.Busy() {
			return &plan.BusyError{Endpoint: a.Name, State: st}
		}
		for i := range a.Deployments {
			if st := a.Deployments[i].Status.ProvisioningState; st.Busy() {
				return &plan.BusyError{Endpoint: a.Name, Deployment: a.Deployments[i].Name, State: st}
			}
		}
	}
	return nil
}
