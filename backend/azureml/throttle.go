package azureml

import (
	"context"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// ThrottleOptions bound the rate of calls of one [Backend] to the service
// with two token buckets, as Azure Resource Manager throttles each
// principal: one for reads (GET, HEAD) and one for writes (everything
// else, POST actions included). A call takes a token, waiting for one when
// the bucket is empty, so that a fleet of rollouts through one Backend
// slows down before the service answers 429.
//
// The zero value matches the service: writes 200 burst refilling 10 per
// second, reads 250 refilling 25 per second. The service counts per
// principal and region, the buckets per Backend: a program that runs
// several Backends as one principal should share one Backend, or divide
// the rates between them.
type ThrottleOptions struct {
	// Disabled sends every call at once.
	Disabled bool
	// WriteBurst and WritesPerSecond size the write bucket.
	WriteBurst      int
	WritesPerSecond float64
	// ReadBurst and ReadsPerSecond size the read bucket.
	ReadBurst      int
	ReadsPerSecond float64
}

// throttle is the pipeline policy holding the buckets.
type throttle struct {
	disabled      bool
	reads, writes *bucket
}

func newThrottle(o ThrottleOptions) *throttle {
	if o.WriteBurst <= 0 {
		o.WriteBurst = 200
	}
	if o.WritesPerSecond <= 0 {
		o.WritesPerSecond = 10
	}
	if o.ReadBurst <= 0 {
		o.ReadBurst = 250
	}
	if o.ReadsPerSecond <= 0 {
		o.ReadsPerSecond = 25
	}
	return &throttle{
		disabled: o.Disabled,
		reads:    newBucket(o.ReadBurst, o.ReadsPerSecond),
		writes:   newBucket(o.WriteBurst, o.WritesPerSecond),
	}
}

// Do implements policy.Policy.
func (t *throttle) Do(req *policy.Request) (*http.Response, error) {
	if !t.disabled {
		b := t.writes
		if m := req.Raw().Method; m == http.MethodGet || m == http.MethodHead {
			b = t.reads
		}
		if err := b.take(req.Raw().Context()); err != nil {
			return nil, err
		}
	}
	return req.Next()
}

// bucket is a token bucket. Tokens may go below zero: each waiter reserves
// its token when it arrives, so waiters are served in arrival order and
// none waits longer than the rate requires.
type bucket struct {
	burst float64
	rate  float64 // tokens per second

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newBucket(burst int, rate float64) *bucket {
	return &bucket{burst: float64(burst), rate: rate, tokens: float64(burst)}
}

// take waits for a token, or until ctx ends, in which case the reserved
// token is given back.
func (b *bucket) take(ctx context.Context) error {
	b.mu.Lock()
	now := time.Now()
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	b.tokens--
	deficit := -b.tokens
	b.mu.Unlock()
	if deficit <= 0 {
		return nil
	}
	// A timer, not a sleep loop, so that waits are exact inside
	// testing/synctest bubbles and end with ctx. Rounded up: a call a
	// nanosecond early finds the service's bucket a fraction short.
	timer := time.NewTimer(time.Duration(math.Ceil(deficit / b.rate * float64(time.Second))))
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		b.tokens++
		b.mu.Unlock()
		return ctx.Err()
	}
}
