package rollout

import (
	"maps"
	"time"
)

// The defaults that apply when no [Option] says otherwise.
const (
	// DefaultParallelism bounds the backend operations in flight at once.
	// It is the burst of Azure Resource Manager's write throttling (a
	// bucket of 200 writes per principal and region, refilling 10 per
	// second), so that the first writes of a fleet's rollout, all sent at
	// once, fit in the bucket, while the operations themselves last
	// minutes, which keeps the writes that follow far below the refill
	// rate. Below it, the service's own limits decide: one operation at a
	// time per endpoint, and the dependencies of the plan.
	DefaultParallelism = 200
	// DefaultMaxAttempts is how many times one backend call is made
	// before a retryable failure is taken as final.
	DefaultMaxAttempts = 5
	// DefaultBackoffBase is the wait before the first retry; each later
	// retry waits twice as long, up to DefaultBackoffCap.
	DefaultBackoffBase = time.Second
	// DefaultBackoffCap bounds the exponential wait between retries. A
	// longer Retry-After from the service still wins.
	DefaultBackoffCap = time.Minute
)

// Option changes how [Apply], [ApplyStep] and [Run] execute a plan.
// Options are applied in order; a later option overrides an earlier one,
// except [Gates], whose maps are merged. No option at all is a working
// configuration: parallelism 200, five attempts per call, backoff from 1s
// to 1m, no rollback, no gates, no events.
type Option func(*config)

// config is the resolved set of options.
type config struct {
	parallelism int
	maxAttempts int
	backoffBase time.Duration
	backoffCap  time.Duration
	serialize   bool
	rollback    bool
	gates       map[string]Gate
	onEvent     func(Event)
}

func newConfig(opts []Option) *config {
	c := &config{
		parallelism: DefaultParallelism,
		maxAttempts: DefaultMaxAttempts,
		backoffBase: DefaultBackoffBase,
		backoffCap:  DefaultBackoffCap,
	}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// Parallelism bounds how many backend operations (the writes of the
// plan's steps) are in flight at once: 1 sends them one at a time, the way
// the service's tutorial script does. Gates are not operations and do not
// count: a gate that is waiting holds no slot. Values below 1 restore
// [DefaultParallelism].
func Parallelism(n int) Option {
	return func(c *config) {
		if n < 1 {
			n = DefaultParallelism
		}
		c.parallelism = n
	}
}

// MaxAttempts sets how many times one backend call is made before a
// retryable failure (throttling, a 5xx, a 409 from an operation in
// progress) is taken as final. 1 disables retries; values below 1 restore
// [DefaultMaxAttempts].
func MaxAttempts(n int) Option {
	return func(c *config) {
		if n < 1 {
			n = DefaultMaxAttempts
		}
		c.maxAttempts = n
	}
}

// Backoff sets the wait before the first retry (base) and the bound of the
// exponential growth after it (limit). The wait is deterministic, without
// jitter, so that a rollout replays the same way in tests; a Retry-After
// from the service longer than the computed wait replaces it, even beyond
// limit, since the service knows best when it will answer. Values below or
// equal to zero restore the defaults.
func Backoff(base, limit time.Duration) Option {
	return func(c *config) {
		if base <= 0 {
			base = DefaultBackoffBase
		}
		if limit <= 0 {
			limit = DefaultBackoffCap
		}
		c.backoffBase, c.backoffCap = base, max(base, limit)
	}
}

// SerializePerEndpoint sends at most one write per endpoint at a time. By
// default, writes to different deployments of one endpoint overlap, which
// the service allows; use this against a service (or a fake in strict
// mode) that does not. Endpoint-level writes (create, update, delete, set
// traffic) never overlap any other write to their endpoint either way;
// gates send no writes and are not held back.
func SerializePerEndpoint() Option {
	return func(c *config) { c.serialize = true }
}

// Rollback enables automatic rollback: when a step fails or a gate
// refuses, after the steps in flight have ended, each endpoint's live and
// mirror traffic is restored to its last stable split. See [Apply] for
// what is restored and what is left.
func Rollback() Option {
	return func(c *config) { c.rollback = true }
}

// Gates binds gate names to gates. A plan's gate step named "smoke:green"
// binds to the gate registered under exactly that name, or else to the
// one registered under the part before the first colon ("smoke"), so one
// entry serves every deployment. Several Gates options merge; a later
// entry for the same name wins.
func Gates(gates map[string]Gate) Option {
	return func(c *config) {
		if c.gates == nil {
			c.gates = make(map[string]Gate, len(gates))
		}
		maps.Copy(c.gates, gates)
	}
}

// OnEvent registers a function that is told about the progress of the
// rollout. It is called from one goroutine at a time, in the order the
// events happen, and the rollout waits for it to return: a slow function
// slows the rollout.
func OnEvent(f func(Event)) Option {
	return func(c *config) { c.onEvent = f }
}
