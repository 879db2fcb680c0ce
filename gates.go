package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rolloutkit/rollout/backend"
)

// ErrNotApproved is returned by the gates of [Approval] and
// [ApprovalFunc] when the answer is no.
var ErrNotApproved = errors.New("rollout: not approved")

// Pause returns a gate that waits d and passes: a bake time, during which
// the traffic of the stage before it runs and monitoring outside the
// rollout may stop it by cancelling the context.
func Pause(d time.Duration) Gate {
	return GateFunc(func(ctx context.Context, _ GateContext) error {
		return sleep(ctx, d)
	})
}

// SmokeTest returns a gate that sends request to the gate's deployment
// alone (the service's azureml-model-deployment header), which reaches it
// whatever the traffic split: the tutorial's "test the new deployment in
// isolation" before it takes live traffic. check judges the answer; nil
// accepts any 2xx status. The gate needs a deployment: bind it to gates
// named smoke:DEPLOYMENT, as the planner's strategies name them.
func SmokeTest(request []byte, check func(status int, body []byte) error) Gate {
	return GateFunc(func(ctx context.Context, g GateContext) error {
		if g.Deployment == "" {
			return fmt.Errorf("smoke test %q names no deployment; name the gate smoke:DEPLOYMENT", g.Name)
		}
		resp, err := g.Backend.Invoke(ctx, g.Endpoint, backend.InvokeRequest{Deployment: g.Deployment, Body: request})
		if err != nil {
			return fmt.Errorf("smoke test of %s/%s: %w", g.Endpoint, g.Deployment, err)
		}
		if check == nil {
			if resp.Status < 200 || resp.Status > 299 {
				return fmt.Errorf("smoke test of %s/%s: status %d", g.Endpoint, g.Deployment, resp.Status)
			}
			return nil
		}
		if err := check(resp.Status, resp.Body); err != nil {
			return fmt.Errorf("smoke test of %s/%s: %w", g.Endpoint, g.Deployment, err)
		}
		return nil
	})
}

// MetricSample is what a deployment did over a window of time.
type MetricSample struct {
	Endpoint, Deployment string
	// Requests counts the requests the deployment answered; Errors those
	// it answered with a status of 500 or more.
	Requests, Errors int64
	// Window is the time the counts cover.
	Window time.Duration
}

// ErrorRate returns Errors/Requests, or 0 without requests.
func (m MetricSample) ErrorRate() float64 {
	if m.Requests == 0 {
		return 0
	}
	return float64(m.Errors) / float64(m.Requests)
}

// MetricSource reads a deployment's counters, as monitoring exposes them:
// totals since some start, which only grow (Window is ignored). Azure
// Monitor, Prometheus or the in-memory service's statistics can stand
// behind it.
type MetricSource interface {
	Counters(ctx context.Context, endpointName, deployment string) (MetricSample, error)
}

// MetricSourceFunc adapts a function to [MetricSource].
type MetricSourceFunc func(ctx context.Context, endpointName, deployment string) (MetricSample, error)

// Counters calls f.
func (f MetricSourceFunc) Counters(ctx context.Context, endpointName, deployment string) (MetricSample, error) {
	return f(ctx, endpointName, deployment)
}

// Metric returns a gate that reads deployment counters from source,
// waits window while the stage's traffic runs, reads them again, and
// passes the difference (what happened during the window) to condition,
// which refuses with an error. A gate about one deployment (canary:green)
// watches that deployment; a gate about the whole endpoint (bake, between
// canary stages) watches every deployment that has live traffic when the
// gate starts, each on its own, and refuses if condition refuses any.
func Metric(source MetricSource, condition func(MetricSample) error, window time.Duration) Gate {
	return GateFunc(func(ctx context.Context, g GateContext) error {
		deps := []string{g.Deployment}
		if g.Deployment == "" {
			e, err := g.Backend.GetEndpoint(ctx, g.Endpoint)
			if err != nil {
				return fmt.Errorf("metric gate %q: %w", g.Name, err)
			}
			deps = e.Traffic.Names()
		}
		before := make([]MetricSample, len(deps))
		for i, d := range deps {
			var err error
			if before[i], err = source.Counters(ctx, g.Endpoint, d); err != nil {
				return fmt.Errorf("metric gate %q: %w", g.Name, err)
			}
		}
		if err := sleep(ctx, window); err != nil {
			return err
		}
		for i, d := range deps {
			after, err := source.Counters(ctx, g.Endpoint, d)
			if err != nil {
				return fmt.Errorf("metric gate %q: %w", g.Name, err)
			}
			m := MetricSample{
				Endpoint:   g.Endpoint,
				Deployment: d,
				Requests:   after.Requests - before[i].Requests,
				Errors:     after.Errors - before[i].Errors,
				Window:     window,
			}
			if err := condition(m); err != nil {
				return fmt.Errorf("metric gate %q on %s/%s: %w", g.Name, g.Endpoint, d, err)
			}
		}
		return nil
	})
}

// MaxErrorRate returns a condition for [Metric] that refuses an error
// rate above rate, once at least minRequests requests were seen; with
// fewer, it refuses too, since a canary that got no traffic proves
// nothing.
func MaxErrorRate(rate float64, minRequests int64) func(MetricSample) error {
	return func(m MetricSample) error {
		if m.Requests < minRequests {
			return fmt.Errorf("only %d requests in %v, want at least %d", m.Requests, m.Window, minRequests)
		}
		if r := m.ErrorRate(); r > rate {
			return fmt.Errorf("error rate %.4f (%d of %d) is above %.4f", r, m.Errors, m.Requests, rate)
		}
		return nil
	}
}

// Approval returns a gate that waits for one value from ch: true lets
// the rollout go on, false (or a closed channel) stops it with
// [ErrNotApproved]. Each gate step takes one value, so a channel shared by
// several gates answers them one by one.
func Approval(ch <-chan bool) Gate {
	return GateFunc(func(ctx context.Context, g GateContext) error {
		select {
		case ok := <-ch:
			if !ok {
				return fmt.Errorf("%w: %s on %s", ErrNotApproved, g.Name, g.Endpoint)
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}

// ApprovalFunc returns a gate that asks f, which blocks until somebody
// has answered (a chat message, a ticket, a web form): true lets the
// rollout go on, false stops it with [ErrNotApproved], an error stops it
// with that error.
func ApprovalFunc(f func(ctx context.Context) (bool, error)) Gate {
	return GateFunc(func(ctx context.Context, g GateContext) error {
		ok, err := f(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: %s on %s", ErrNotApproved, g.Name, g.Endpoint)
		}
		return nil
	})
}
