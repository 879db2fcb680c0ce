package rollout

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/internal/rules"
	"github.com/rolloutkit/rollout/plan"
)

// approval is a split a rollback may restore: the capacity each
// deployment had then, and the gate step that approved it ("" for the
// split observed before the plan).
type approval struct {
	split
	capacity capacities
	gate     string
}

func (a approval) String() string {
	by := "observed before the plan"
	if a.gate != "" {
		by = "approved by " + a.gate
	}
	if a.mirror.IsZero() {
		return fmt.Sprintf("%s, %s", a.live, by)
	}
	return fmt.Sprintf("%s mirror %s, %s", a.live, a.mirror, by)
}

// watchesLive reports whether gate step s looked at live traffic, and so
// approves the split it saw: a smoke test (smoke:DEPLOYMENT, or any gate
// for one deployment, as its GateContext names it) invokes one deployment
// in isolation and approves none.
func watchesLive(s *plan.Step) bool {
	kind, _, _ := strings.Cut(s.Gate, ":")
	return gateContext(nil, s).Deployment == "" && kind != "smoke"
}

// rollback restores an approved split of every endpoint whose traffic has
// moved away from it (see Apply), in parallel across endpoints up to the
// configured parallelism; failed is the step that stopped the plan. It
// returns the endpoints it restored, sorted, what each got, and the reasons
// it left others as they were.
func (w *walker) rollback(ctx context.Context, failed *plan.Step) ([]string, []string, error) {
	keys := make([]string, 0, len(w.eps))
	for k, ep := range w.eps {
		if len(ep.approved) == 0 {
			continue
		}
		// Past the last endpoint write, the final split is in place and
		// only cleanup (deletes, scale-downs) remains: a failure there
		// leaves the final split, unless the endpoint's own gate refused
		// it.
		if ep.endpointWrites == 0 && !(failed.Action == plan.Gate && key(failed.Endpoint) == k) {
			continue
		}
		keys = append(keys, k)
	}
	// Sorted by name, as Result.RolledBack lists them; the keys of two
	// endpoints differ, so their names do too.
	slices.SortFunc(keys, func(a, b string) int { return strings.Compare(w.eps[a].name, w.eps[b].name) })

	notes := make([]string, len(keys))
	errs := make([]error, len(keys))
	sem := make(chan struct{}, w.cfg.parallelism)
	var wg sync.WaitGroup
	var end abnormalEnd
	for i, k := range keys {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			end.guard(failed.ID, func() { notes[i], errs[i] = w.restore(ctx, w.eps[k]) })
		})
	}
	wg.Wait()
	end.rethrow()

	var names, restored []string
	for i, k := range keys {
		if notes[i] != "" {
			names = append(names, w.eps[k].name)
			restored = append(restored, notes[i])
		}
	}
	return names, restored, errors.Join(errs...)
}

// abnormalEnd records how goroutines that left otherwise than by
// returning left: by a panic, or by runtime.Goexit.
type abnormalEnd struct {
	mu       sync.Mutex
	ended    bool
	panicked *PanicError // the first panic
}

// record notes, from a deferred function, that its goroutine is leaving
// the step with id step by a panic with value r, or by runtime.Goexit when
// r is nil. The first panic is kept, with the stack it was raised on.
func (a *abnormalEnd) record(step string, r any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ended = true
	if r != nil && a.panicked == nil {
		a.panicked = &PanicError{Step: step, Value: r, Stack: debug.Stack()}
	}
}

// guard runs f, which is about the step with id step, and records a panic
// or runtime.Goexit in it, which then ends the goroutine without
// reaching the program.
func (a *abnormalEnd) guard(step string, f func()) {
	returned := false
	defer func() {
		if !returned {
			a.record(step, recover())
		}
	}()
	f()
	returned = true
}

// rethrow makes its caller leave as a recorded goroutine did: it panics
// with the first panic, or calls runtime.Goexit when none panicked. It
// returns when none left. Call it once they have all ended.
func (a *abnormalEnd) rethrow() {
	a.mu.Lock()
	ended, panicked := a.ended, a.panicked
	a.mu.Unlock()
	if !ended {
		return
	}
	if panicked != nil {
		panic(panicked)
	}
	runtime.Goexit()
}

// restore writes back the latest split approved for ep that is safe in the
// state the service holds now, unless the service holds an approved split
// already. It returns what it restored, or "" when it wrote nothing.
func (w *walker) restore(ctx context.Context, ep *endpointState) (string, error) {
	cur, err := w.cfg.getEndpoint(ctx, w.b, ep.name)
	if errors.Is(err, backend.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", ep.name, err)
	}
	var passed []string
	for i := len(ep.approved) - 1; i >= 0; i-- {
		a := ep.approved[i]
		if cur.Traffic.Equal(a.live) && cur.Mirror.Equal(a.mirror) {
			return "", nil
		}
		if why := unsafeNow(cur, a); why != "" {
			passed = append(passed, fmt.Sprintf("%s (%s)", a, why))
			continue
		}
		if err := w.write(ctx, ep.name, withSplits(cur, a.live, a.mirror)); err != nil {
			return "", fmt.Errorf("%s: restoring traffic %s: %w", ep.name, a.live, err)
		}
		note := fmt.Sprintf("%s: %s", ep.name, a)
		if len(passed) > 0 {
			note += "; passed over " + strings.Join(passed, "; ")
		}
		return note, nil
	}
	return "", fmt.Errorf("%s: cannot restore any approved split: %s", ep.name, strings.Join(passed, "; "))
}

// unsafeNow says why writing the approved split a to endpoint e, as the
// service holds it now, would break a rule, or is "": every deployment it
// names must exist and have provisioned successfully (S2), and one whose
// share grows must have the instances it had when a was approved (S5).
func unsafeNow(e *endpoint.Endpoint, a approval) string {
	for _, n := range append(a.live.Names(), a.mirror.Names()...) {
		i, found := rules.FindDeployment(e, n)
		if !found {
			return "deployment " + n + " no longer exists"
		}
		d := &e.Deployments[i]
		if st := d.Status.ProvisioningState; !st.Succeeded() {
			return fmt.Sprintf("deployment %s is %s", n, st)
		}
		grows := a.live.Get(n) > e.Traffic.Get(n) || a.mirror.Get(n) > e.Mirror.Get(n)
		if had := a.capacity.get(n); grows && d.Capacity() < had {
			return fmt.Sprintf("deployment %s has %d instances, fewer than the %d it had then", n, d.Capacity(), had)
		}
	}
	return ""
}

// write makes a rollback's endpoint write, retrying as for steps.
func (w *walker) write(ctx context.Context, name string, e *endpoint.Endpoint) error {
	return w.cfg.retry(ctx, func(attempt int, prev error) {
		if attempt > 1 {
			w.retries.Add(1)
		}
		w.calls.Add(1)
		w.em.emit(Event{Kind: RollingBack, Endpoint: name, Attempt: attempt, Err: prev})
	}, func(ctx context.Context) error {
		return w.b.CreateOrUpdateEndpoint(ctx, e)
	})
}

// getEndpoint reads one endpoint, retrying as for writes.
func (c *config) getEndpoint(ctx context.Context, b backend.Backend, name string) (*endpoint.Endpoint, error) {
	var e *endpoint.Endpoint
	err := c.retry(ctx, nil, func(ctx context.Context) error {
		var err error
		e, err = b.GetEndpoint(ctx, name)
		return err
	})
	return e, err
}
