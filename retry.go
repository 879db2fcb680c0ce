package rollout

import (
	"context"
	"time"

	"github.com/rolloutkit/rollout/backend"
)

// backoff returns the wait before call number attempt+1, after call
// number attempt failed with err: base doubled for each earlier retry,
// capped, and never shorter than the Retry-After the service asked for.
func (c *config) backoff(attempt int, err error) time.Duration {
	d := c.backoffBase
	for i := 1; i < attempt && d < c.backoffCap; i++ {
		d *= 2
	}
	d = min(d, c.backoffCap)
	if ra, ok := backend.RetryAfter(err); ok && ra > d {
		d = ra
	}
	return d
}

// sleep waits d or until ctx ends. It uses a timer rather than
// time.After so that nothing outlives an early return, and so that it
// runs on the fake clock of a testing/synctest bubble.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retry makes call until it succeeds, fails with an error that is not
// retryable, has been made maxAttempts times, or ctx ends. before is told
// the number of each attempt just before it is made, so that every call
// to the service is reported first.
func (c *config) retry(ctx context.Context, before func(attempt int, prev error), call func(context.Context) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		if before != nil {
			before(attempt, err)
		}
		err = call(ctx)
		if err == nil || !backend.IsRetryable(err) || attempt >= c.maxAttempts || ctx.Err() != nil {
			return err
		}
		if serr := sleep(ctx, c.backoff(attempt, err)); serr != nil {
			return serr
		}
	}
}
