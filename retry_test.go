package rollout

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rolloutkit/rollout/backend"
)

func TestBackoff(t *testing.T) {
	throttled := func(d time.Duration) error { return &backend.Error{Kind: backend.Throttled, RetryAfter: d} }
	tests := []struct {
		reason  string
		opts    []Option
		attempt int
		err     error
		want    time.Duration
	}{
		{"the first retry waits the base", nil, 1, nil, time.Second},
		{"each retry doubles the wait", nil, 4, nil, 8 * time.Second},
		{"the doubling stops at the cap", nil, 7, nil, time.Minute},
		{"a huge attempt count does not overflow", nil, 1000, nil, time.Minute},
		{"a longer Retry-After wins", nil, 1, throttled(20 * time.Second), 20 * time.Second},
		{"a shorter Retry-After does not shorten the backoff", nil, 3, throttled(time.Second), 4 * time.Second},
		{"Retry-After wins even beyond the cap: the service knows when it will answer", nil, 9, throttled(5 * time.Minute), 5 * time.Minute},
		{"Backoff sets base and cap", []Option{Backoff(100*time.Millisecond, 300*time.Millisecond)}, 3, nil, 300 * time.Millisecond},
		{"a cap below the base is raised to it", []Option{Backoff(2*time.Second, time.Second)}, 5, nil, 2 * time.Second},
		{"zero values restore the defaults", []Option{Backoff(0, 0)}, 2, nil, 2 * time.Second},
	}
	for _, tc := range tests {
		if got := newConfig(tc.opts).backoff(tc.attempt, tc.err); got != tc.want {
			t.Errorf("%s: backoff(%d) = %v, want %v", tc.reason, tc.attempt, got, tc.want)
		}
	}
}

func TestRetry(t *testing.T) {
	unavailable := &backend.Error{Kind: backend.Unavailable}
	invalid := &backend.Error{Kind: backend.Invalid}
	boom := errors.New("boom")
	tests := []struct {
		reason string
		opts   []Option
		errs   []error // what each call returns; nil after the last
		calls  int
		want   error
		waited time.Duration
	}{
		{"success needs one call", nil, nil, 1, nil, 0},
		{"retryable failures are retried with growing waits", nil, []error{unavailable, unavailable}, 3, nil, 3 * time.Second},
		{"a permanent failure is not retried", nil, []error{invalid}, 1, invalid, 0},
		{"an unclassified error is not taken for a retryable one", nil, []error{boom}, 1, boom, 0},
		{"attempts are bounded", []Option{MaxAttempts(3)}, []error{unavailable, unavailable, unavailable, unavailable}, 3, unavailable, 3 * time.Second},
		{"one attempt disables retries", []Option{MaxAttempts(1)}, []error{unavailable}, 1, unavailable, 0},
	}
	for _, tc := range tests {
		synctest.Test(t, func(t *testing.T) {
			c := newConfig(tc.opts)
			n := 0
			var attempts []int
			start := time.Now()
			err := c.retry(t.Context(), func(attempt int, prev error) { attempts = append(attempts, attempt) }, func(context.Context) error {
				n++
				if n <= len(tc.errs) {
					return tc.errs[n-1]
				}
				return nil
			})
			if n != tc.calls || len(attempts) != n {
				t.Errorf("%s: %d calls, %d reported, want %d", tc.reason, n, len(attempts), tc.calls)
			}
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("%s: err = %v, want %v", tc.reason, err, tc.want)
			}
			if got := time.Since(start); got != tc.waited {
				t.Errorf("%s: waited %v, want %v", tc.reason, got, tc.waited)
			}
		})
	}
}

// TestRetryCancelled: a retry wait ends with the context, without making
// another call.
func TestRetryCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		n := 0
		err := newConfig(nil).retry(ctx, nil, func(context.Context) error {
			n++
			cancel()
			return &backend.Error{Kind: backend.Throttled, RetryAfter: time.Hour}
		})
		if n != 1 || !errors.Is(err, backend.ErrThrottled) && !errors.Is(err, context.Canceled) {
			t.Errorf("%d calls, err %v; want 1 call and the last error or the context's", n, err)
		}
	})
}
