package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
)

// rollback restores the stable split of every endpoint whose traffic has
// moved away from it (see Apply), in parallel across endpoints up to the
// configured parallelism. It returns the endpoints it restored, sorted,
// and the reasons it left others as they were.
func (w *walker) rollback(ctx context.Context) ([]string, error) {
	keys := make([]string, 0, len(w.eps))
	for k, ep := range w.eps {
		if ep.stable != nil {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)

	restored := make([]bool, len(keys))
	errs := make([]error, len(keys))
	sem := make(chan struct{}, w.cfg.parallelism)
	var wg sync.WaitGroup
	for i, k := range keys {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			restored[i], errs[i] = w.restore(ctx, w.eps[k])
		})
	}
	wg.Wait()

	var names []string
	for i, k := range keys {
		if restored[i] {
			names = append(names, w.eps[k].name)
		}
	}
	return names, errors.Join(errs...)
}

// restore writes ep's stable split back, if the service holds another
// one and every deployment the stable split names can take traffic.
func (w *walker) restore(ctx context.Context, ep *endpointState) (bool, error) {
	cur, err := w.cfg.getEndpoint(ctx, w.b, ep.name)
	if errors.Is(err, backend.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", ep.name, err)
	}
	st := ep.stable
	if cur.Traffic.Equal(st.live) && cur.Mirror.Equal(st.mirror) {
		return false, nil
	}
	for _, name := range append(st.live.Names(), st.mirror.Names()...) {
		d := cur.Deployment(name)
		switch {
		case d == nil:
			return false, fmt.Errorf("%s: cannot restore traffic %s: deployment %s no longer exists", ep.name, st.live, name)
		case d.Status.ProvisioningState != "" && d.Status.ProvisioningState != endpoint.Succeeded:
			return false, fmt.Errorf("%s: cannot restore traffic %s: deployment %s is %s", ep.name, st.live, name, d.Status.ProvisioningState)
		}
	}
	e := withSplits(cur, st.live, st.mirror)
	err = w.cfg.retry(ctx, func(attempt int, prev error) {
		if attempt > 1 {
			w.retries.Add(1)
		}
		w.calls.Add(1)
		w.em.emit(Event{Kind: RollingBack, Endpoint: ep.name, Attempt: attempt, Err: prev})
	}, func(ctx context.Context) error {
		return w.b.CreateOrUpdateEndpoint(ctx, e)
	})
	if err != nil {
		return false, fmt.Errorf("%s: restoring traffic %s: %w", ep.name, st.live, err)
	}
	return true, nil
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
