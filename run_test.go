package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/gen"
	"github.com/rolloutkit/rollout/plan"
	"github.com/rolloutkit/rollout/traffic"
)

// crashSeeds is how many generated (desired, actual) pairs the crash and
// fault tests try; -short tries fewer.
func crashSeeds() int {
	if testing.Short() {
		return 40
	}
	return 200
}

// generatedCase is a generated pair the planner accepts, with the
// service seeded to its actual state.
type generatedCase struct {
	seed    int
	desired []*endpoint.Endpoint
	actual  []*endpoint.Endpoint
}

var deleteUnlisted = plan.Options{DeleteUnlisted: true}

// generated returns the settled generated pairs that plan without a
// refusal, for the seeds 0..n-1.
func generated(n int) []generatedCase {
	var out []generatedCase
	for seed := range n {
		p := gen.Pairs().Example(seed)
		if !gen.Settled(p.Actual) {
			continue
		}
		if _, err := plan.Compute(p.Desired, gen.Provisioned(p.Actual), deleteUnlisted); err != nil {
			continue
		}
		out = append(out, generatedCase{seed: seed, desired: p.Desired, actual: p.Actual})
	}
	return out
}

// seeded returns a service holding c's actual state, and the number of
// states its history had when it got there.
func seeded(t *testing.T, c generatedCase, opts fakes.Options) (*fakes.Service, int) {
	t.Helper()
	svc := fakes.New(opts)
	if _, err := rollout.Run(t.Context(), svc, c.actual, plan.Options{}); err != nil {
		t.Fatalf("seed %d: seeding the actual state: %v", c.seed, err)
	}
	return svc, len(svc.History())
}

// historian is what keeps the states a service went through.
type historian interface{ History() []fakes.State }

// history is a historian of recorded states.
type history struct{ states []fakes.State }

func (h *history) History() []fakes.State { return h.states }

// checkSince checks the safety rules on every state of svc after the
// first skip ones. s must be fresh: it learns from every state it sees.
func checkSince(t *testing.T, s *safety, svc historian, skip int) {
	t.Helper()
	h := svc.History()
	for i, st := range h {
		s.capacityFirst = i >= skip
		bad := s.check(st)
		if i >= skip && len(bad) > 0 {
			t.Fatalf("safety rule broken:\n%s", strings.Join(bad, "\n"))
		}
	}
}

// crashAfter returns b with every write after the first k replaced by a
// cancellation of ctx: the process dies as it is about to make its
// (k+1)-th write, with the writes before it possibly still in flight.
func crashAfter(b backend.Backend, k int, cancel context.CancelFunc) backend.Backend {
	var mu sync.Mutex
	n := 0
	gate := func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if n++; n > k {
			cancel()
			return ctx.Err()
		}
		return nil
	}
	return fakes.Intercept(b, fakes.Interceptor{
		CreateOrUpdateEndpoint: func(ctx context.Context, next backend.Backend, e *endpoint.Endpoint) error {
			if err := gate(ctx); err != nil {
				return err
			}
			return next.CreateOrUpdateEndpoint(ctx, e)
		},
		DeleteEndpoint: func(ctx context.Context, next backend.Backend, name string) error {
			if err := gate(ctx); err != nil {
				return err
			}
			return next.DeleteEndpoint(ctx, name)
		},
		CreateOrUpdateDeployment: func(ctx context.Context, next backend.Backend, ep string, d endpoint.Deployment) error {
			if err := gate(ctx); err != nil {
				return err
			}
			return next.CreateOrUpdateDeployment(ctx, ep, d)
		},
		ScaleDeployment: func(ctx context.Context, next backend.Backend, ep, dep string, n int) error {
			if err := gate(ctx); err != nil {
				return err
			}
			return next.ScaleDeployment(ctx, ep, dep, n)
		},
		DeleteDeployment: func(ctx context.Context, next backend.Backend, ep, dep string) error {
			if err := gate(ctx); err != nil {
				return err
			}
			return next.DeleteDeployment(ctx, ep, dep)
		},
	})
}

// TestCrashAnywhere: for generated (desired, actual) pairs, a run that
// dies after k writes, for every k, leaves a state from which Run finishes
// the job: it converges, and no state along the way breaks a safety rule
// or holds a resource twice.
func TestCrashAnywhere(t *testing.T) {
	cases := generated(crashSeeds())
	if len(cases) < 10 {
		t.Fatalf("only %d usable generated pairs", len(cases))
	}
	runs := 0
	for _, c := range cases {
		var writes int
		synctest.Test(t, func(t *testing.T) {
			svc, _ := seeded(t, c, fakes.Options{})
			res, err := rollout.Run(t.Context(), svc, c.desired, deleteUnlisted)
			if err != nil {
				t.Fatalf("seed %d: uninterrupted run: %v", c.seed, err)
			}
			writes = res.Calls
		})
		for k := 0; k <= writes; k++ {
			runs++
			synctest.Test(t, func(t *testing.T) {
				svc, skip := seeded(t, c, fakes.Options{})
				s := newSafety(c.desired, c.actual)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				_, err := rollout.Run(ctx, crashAfter(svc, k, cancel), c.desired, deleteUnlisted)
				if k < writes && !errors.Is(err, context.Canceled) {
					t.Fatalf("seed %d, crash after %d of %d writes: got %v, want the cancellation", c.seed, k, writes, err)
				}
				if _, err := rollout.Run(t.Context(), svc, c.desired, deleteUnlisted); err != nil {
					t.Fatalf("seed %d, crash after %d of %d writes: Run again: %v", c.seed, k, writes, err)
				}
				converged(t, svc, c.desired, deleteUnlisted)
				checkSince(t, s, svc, skip)
			})
		}
	}
	t.Logf("%d generated pairs, %d crashed runs resumed", len(cases), runs)
}

// TestTransientFaults: with one call in five failing transiently
// (throttled, 500, dropped before or after the service acted), runs
// converge and every state keeps the safety rules.
func TestTransientFaults(t *testing.T) {
	kinds := []fakes.FaultKind{fakes.Throttle, fakes.ServerError, fakes.DropRequest, fakes.DropResponse}
	retried := 0
	for _, c := range generated(crashSeeds()) {
		kind := kinds[c.seed%len(kinds)]
		synctest.Test(t, func(t *testing.T) {
			svc, skip := seeded(t, c, fakes.Options{})
			s := newSafety(c.desired, c.actual)
			faults := fakes.NewFaults(uint64(c.seed), fakes.Rule{Probability: 0.2, Fault: fakes.Fault{Kind: kind, RetryAfter: 3 * time.Second}})
			res, err := rollout.Run(t.Context(), faults.Wrap(svc), c.desired, deleteUnlisted, rollout.MaxAttempts(12))
			if err != nil {
				t.Fatalf("seed %d with %s faults %v: %v", c.seed, kind, faults.Injected(), err)
			}
			retried += res.Retries
			converged(t, svc, c.desired, deleteUnlisted)
			checkSince(t, s, svc, skip)
		})
	}
	if retried == 0 {
		t.Fatal("no call was retried: the faults did not fire")
	}
}

// TestPermanentFaults: when one write in five leaves its resource Failed,
// the run stops with a StepError that names the step and carries a safe
// state, and a run without the faults finishes the job from there.
func TestPermanentFaults(t *testing.T) {
	failures := 0
	for _, c := range generated(crashSeeds()) {
		synctest.Test(t, func(t *testing.T) {
			svc, skip := seeded(t, c, fakes.Options{})
			s := newSafety(c.desired, c.actual)
			faults := fakes.NewFaults(uint64(c.seed), fakes.Rule{Probability: 0.2,
				Fault: fakes.Fault{Kind: fakes.FailProvisioning, Code: "OutOfQuota", Message: "not enough quota"}})
			_, err := rollout.Run(t.Context(), faults.Wrap(svc), c.desired, deleteUnlisted)
			if err != nil {
				failures++
				var se *rollout.StepError
				if !errors.As(err, &se) || !errors.Is(err, backend.ErrProvisioningFailed) {
					t.Fatalf("seed %d: got %v, want a *StepError with the provisioning failure", c.seed, err)
				}
				if se.Step == "" || !strings.Contains(err.Error(), se.Step) || !strings.Contains(err.Error(), "OutOfQuota") {
					t.Errorf("seed %d: the error %q does not name the step and the cause", c.seed, err)
				}
				for _, e := range se.State {
					if tot := e.Traffic.Total(); tot != 0 && tot != 100 {
						t.Errorf("seed %d: the state left has traffic %v", c.seed, e.Traffic)
					}
				}
			}
			if _, err := rollout.Run(t.Context(), svc, c.desired, deleteUnlisted); err != nil {
				t.Fatalf("seed %d: Run again without faults: %v", c.seed, err)
			}
			converged(t, svc, c.desired, deleteUnlisted)
			checkSince(t, s, svc, skip)
		})
	}
	if failures == 0 {
		t.Fatal("no run failed: the faults did not fire")
	}
}

// TestCancelBetweenSteps: cancelling while nothing is in flight stops the
// rollout without another call, and the error says how far it got.
func TestCancelBetweenSteps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := fakes.New(fakes.Options{})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		stopAfterFirst := rollout.OnEvent(func(e rollout.Event) {
			if e.Kind == rollout.StepFinished {
				cancel()
			}
		})
		res, err := rollout.Run(ctx, svc, tutorial()[0], plan.Options{}, stopAfterFirst)
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "1 of 3 steps") {
			t.Fatalf("got %v, want the cancellation after 1 of 3 steps", err)
		}
		if res.Calls != 1 || !slices.Equal(res.Completed, []string{"my-endpoint/create"}) {
			t.Errorf("calls %d, completed %v; want only the endpoint's create", res.Calls, res.Completed)
		}
		if d := calls(svc); d["CreateOrUpdateDeployment"] != 0 {
			t.Errorf("a deployment write was made after the cancellation: %v", d)
		}
	})
}

// TestRunWaitsForBusy: a run that finds a resource still being written by
// an earlier, cancelled run waits for it, then finishes.
func TestRunWaitsForBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := fakes.New(fakes.Options{})
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		if _, err := rollout.Run(ctx, svc, tutorial()[0], plan.Options{}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("first run: got %v, want the deadline in the middle of blue's create", err)
		}
		var waits int
		res, err := rollout.Run(t.Context(), svc, tutorial()[0], plan.Options{}, rollout.OnEvent(func(e rollout.Event) {
			if e.Kind == rollout.Waiting {
				waits++
				if !errors.Is(e.Err, plan.ErrBusy) {
					t.Errorf("Waiting event with %v, want the busy resource", e.Err)
				}
			}
		}))
		if err != nil {
			t.Fatal(err)
		}
		if waits == 0 {
			t.Error("the second run did not wait for blue's create")
		}
		if want := []string{"my-endpoint/traffic"}; !slices.Equal(res.Completed, want) {
			t.Errorf("second run completed %v, want only %v", res.Completed, want)
		}
		converged(t, svc, tutorial()[0], plan.Options{})
	})
}

// TestSafetyChecker makes sure the checker the other tests rely on does
// catch each broken rule.
func TestSafetyChecker(t *testing.T) {
	ok := func(traffic string, deps ...endpoint.Deployment) *endpoint.Endpoint {
		e := desiredEndpoint("e", traffic, deps...)
		for i := range e.Deployments {
			e.Deployments[i].Status.ProvisioningState = endpoint.Succeeded
		}
		return e
	}
	blue, green := deployment("blue", 1, 1), deployment("green", 2, 1)
	creating := green
	creating.Status.ProvisioningState = endpoint.Creating
	tests := []struct {
		reason string
		before *endpoint.Endpoint
		after  []*endpoint.Endpoint
		rule   string
	}{
		{"a total of 90 is neither serving nor dark", ok("blue=100", blue), []*endpoint.Endpoint{ok("blue=90", blue)}, "S1"},
		{"a serving endpoint went dark", ok("blue=100", blue), []*endpoint.Endpoint{ok("", blue)}, "S1"},
		{"traffic to a missing deployment", ok("blue=100", blue), []*endpoint.Endpoint{ok("blue=90 green=10", blue)}, "S2"},
		{"traffic to a deployment still being created", ok("blue=100", blue, green), []*endpoint.Endpoint{{Name: "e", Traffic: ok("blue=90 green=10").Traffic, Deployments: []endpoint.Deployment{ok("", blue).Deployments[0], creating}}}, "S2"},
		{"a deployment with traffic vanished", ok("blue=100", blue), []*endpoint.Endpoint{ok("green=100", green)}, "S4"},
		{"an endpoint twice", ok("blue=100", blue), []*endpoint.Endpoint{ok("blue=100", blue), ok("blue=100", blue)}, "twice"},
		{"a mirror above 50%", ok("blue=100", blue, green), []*endpoint.Endpoint{mirrored(ok("blue=100", blue, green), "green=60")}, "S3"},
		{"a mirror on a deployment with live traffic", ok("blue=100", blue, green), []*endpoint.Endpoint{mirrored(ok("blue=100", blue, green), "blue=10")}, "S3"},
		{"live traffic on no instances", ok("blue=100", blue, green), []*endpoint.Endpoint{ok("blue=90 green=10", blue, deployment("green", 2, 0))}, "S5"},
		{"a share grows before the capacity", ok("blue=100", blue, green), []*endpoint.Endpoint{ok("blue=90 green=10", blue, deployment("green", 2, 1))}, "S5"},
		{"instance_type changed in place", ok("blue=100", blue), []*endpoint.Endpoint{ok("blue=100", otherType(blue))}, "S6"},
	}
	for _, tc := range tests {
		s := newSafety([]*endpoint.Endpoint{tc.before}, []*endpoint.Endpoint{tc.before})
		s.mayGoDark["e"] = false
		s.capacityFirst = true
		s.capacity["e/green"] = 3
		if bad := s.check(fakes.State{Seq: 1, Endpoints: []*endpoint.Endpoint{tc.before}}); len(bad) > 0 {
			t.Fatalf("%s: the state before is flagged: %v", tc.reason, bad)
		}
		bad := s.check(fakes.State{Seq: 2, Endpoints: tc.after})
		if !strings.Contains(fmt.Sprint(bad), tc.rule) {
			t.Errorf("%s: got %v, want %s", tc.reason, bad, tc.rule)
		}
	}
}

func mirrored(e *endpoint.Endpoint, mirror string) *endpoint.Endpoint {
	e.Mirror = traffic.MustParse(mirror)
	return e
}

func otherType(d endpoint.Deployment) endpoint.Deployment {
	d.InstanceType = "Standard_F4s_v2"
	return d
}

// TestCancelWithCause: a rollout stopped by its context returns the
// context's error, wrapped, and the cause given to the cancellation too,
// so that errors.Is finds either.
func TestCancelWithCause(t *testing.T) {
	stopped := errors.New("stopped by the operator")
	tests := []struct {
		reason string
		ctx    func(parent context.Context) (context.Context, context.CancelFunc)
		want   []error
	}{
		{"a plain cancellation", func(parent context.Context) (context.Context, context.CancelFunc) {
			return context.WithCancel(parent)
		}, []error{context.Canceled}},
		{"a cancellation with a cause", func(parent context.Context) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancelCause(parent)
			return ctx, func() { cancel(stopped) }
		}, []error{context.Canceled, stopped}},
		{"a deadline with a cause", func(parent context.Context) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithTimeoutCause(parent, time.Hour, stopped)
			return ctx, func() { time.Sleep(2 * time.Hour); cancel() }
		}, []error{context.DeadlineExceeded, stopped}},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				svc := fakes.New(fakes.Options{})
				ctx, cancel := tc.ctx(t.Context())
				defer cancel()
				stopAfterFirst := rollout.OnEvent(func(e rollout.Event) {
					if e.Kind == rollout.StepFinished {
						cancel()
					}
				})
				_, err := rollout.Run(ctx, svc, tutorial()[0], plan.Options{}, stopAfterFirst)
				for _, want := range tc.want {
					if !errors.Is(err, want) {
						t.Errorf("Run = %v, want it to match %v", err, want)
					}
				}
			})
		})
	}
}
