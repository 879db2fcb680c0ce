package rollout_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"pgregory.net/rapid"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/gen"
	"github.com/rolloutkit/rollout/plan"
)

var convergeCases = flag.Int("converge.cases", 1000, "cases of TestReachableConvergence")

// reachRound is one run on the way to a reached state: a desired state,
// the writes that fail to provision, and where the run is cancelled.
type reachRound struct {
	desired  []*endpoint.Endpoint
	opts     plan.Options
	failSeed uint64
	failRate float64
	// crash is the number of writes after which the run is cancelled, or
	// -1 for none.
	crash int
}

// reachCase is a generated state to start from, the rounds that reach
// another from it, and the desired state to converge to.
type reachCase struct {
	start  []*endpoint.Endpoint
	rounds []reachRound
	final  []*endpoint.Endpoint
	opts   plan.Options
}

func drawOptions(t *rapid.T, label string) plan.Options {
	strategies := []plan.Strategy{plan.Direct(), plan.Canary([]int{10, 50}), plan.BlueGreen(false), plan.BlueGreen(true), plan.Shadow(10)}
	return plan.Options{
		Strategy:       rapid.SampledFrom(strategies).Draw(t, label+"_strategy"),
		DeleteUnlisted: rapid.Bool().Draw(t, label+"_delete_unlisted"),
	}
}

func reachCases() *rapid.Generator[reachCase] {
	return rapid.Custom(func(t *rapid.T) reachCase {
		first := gen.SettledPairs().Draw(t, "start")
		c := reachCase{start: first.Actual}
		desired := []([]*endpoint.Endpoint){first.Desired}
		for i, n := 0, rapid.IntRange(0, 2).Draw(t, "more"); i < n; i++ {
			desired = append(desired, gen.Pairs().Draw(t, "round").Desired)
		}
		for i, d := range desired {
			c.rounds = append(c.rounds, reachRound{
				desired:  d,
				opts:     drawOptions(t, fmt.Sprint("round", i)),
				failSeed: rapid.Uint64().Draw(t, "fail_seed"),
				failRate: rapid.SampledFrom([]float64{0, 0.2, 0.5, 1}).Draw(t, "fail_rate"),
				crash:    rapid.IntRange(-1, 8).Draw(t, "crash"),
			})
		}
		if rapid.Bool().Draw(t, "back") {
			c.final = first.Actual
		} else {
			c.final = gen.Pairs().Draw(t, "final").Desired
		}
		c.opts = drawOptions(t, "final")
		return c
	})
}

// provisioningFaults fails the creates, updates and scales of endpoints and
// deployments, serving or idle, at the given rate.
func provisioningFaults(seed uint64, rate float64) *fakes.Faults {
	return fakes.NewFaults(seed, fakes.Rule{
		Ops:         []fakes.Op{fakes.OpCreateOrUpdateDeployment, fakes.OpScaleDeployment, fakes.OpCreateOrUpdateEndpoint},
		Probability: rate,
		Fault:       fakes.Fault{Kind: fakes.FailProvisioning, Code: "OutOfQuota", Message: "not enough quota"},
	})
}

// reach runs the rounds of c on svc, ignoring how each ends: the states
// they leave (failed resources, operations in flight) are the point.
func reach(ctx context.Context, svc *fakes.Service, c reachCase) {
	for _, r := range c.rounds {
		var b backend.Backend = svc
		if r.failRate > 0 {
			b = provisioningFaults(r.failSeed, r.failRate).Wrap(b)
		}
		rctx, cancel := context.WithCancel(ctx)
		if r.crash >= 0 {
			b = crashAfter(b, r.crash, cancel)
		}
		_, _ = rollout.Run(rctx, b, r.desired, r.opts, passGates, rollout.MaxAttempts(2))
		cancel()
	}
}

// TestReachableConvergence: from every state that running random plans
// with failing provisioning and cancellations reaches, planning to a
// random desired state and applying it without faults converges, and
// every state on the way keeps the safety rules. A final desired state the
// planner refuses (rule S6) proves nothing and is counted apart.
func TestReachableConvergence(t *testing.T) {
	n := *convergeCases
	if testing.Short() {
		n /= 10
	}
	start := time.Now()
	converged, refused, withFailed, withBusy := 0, 0, 0, 0
	gen := reachCases()
	for seed := range n {
		c := gen.Example(seed)
		synctest.Test(t, func(t *testing.T) {
			svc := fakes.New(fakes.Options{})
			if _, err := rollout.Run(t.Context(), svc, c.start, plan.Options{}); err != nil {
				t.Fatalf("seed %d: seeding: %v", seed, err)
			}
			reach(t.Context(), svc, c)
			reached := observe(t, svc)
			f, b := reachedKinds(reached)
			withFailed += f
			withBusy += b
			s := newSafety(c.final, reached)
			skip := len(svc.History())
			ctx, cancel := context.WithTimeout(t.Context(), 72*time.Hour)
			defer cancel()
			res, err := rollout.Run(ctx, svc, c.final, c.opts, passGates)
			t.Cleanup(func() {
				if t.Failed() && res != nil {
					t.Logf("seed %d: from the reached state\n%s\nthe plan was\n%s", seed, describe(reached), res.Plan)
				}
			})
			if errors.Is(err, plan.ErrRefused) {
				refused++
				return
			}
			if err != nil {
				t.Fatalf("seed %d: from the reached state\n%s\nRun: %v", seed, describe(reached), err)
			}
			convergedTo(t, seed, svc, c.final, c.opts)
			// The safety rules hold from the reached state on: learn it,
			// then check every state after it.
			h := svc.History()[max(skip-1, 0):]
			checkSince(t, s, &history{h}, min(skip, 1))
			converged++
		})
		if t.Failed() {
			return
		}
	}
	t.Logf("%d cases in %v: %d converged, %d refused by the planner; %d reached states had a failed resource, %d one in flight",
		n, time.Since(start).Round(time.Millisecond), converged, refused, withFailed, withBusy)
	if converged < n/2 || withFailed < n/10 || withBusy < n/20 {
		t.Errorf("the generator reaches too few interesting states")
	}
}

// convergedTo is converged with the seed in the message.
func convergedTo(t *testing.T, seed int, b backend.Backend, desired []*endpoint.Endpoint, opts plan.Options) {
	t.Helper()
	p, err := plan.Compute(desired, observe(t, b), opts)
	if err != nil {
		t.Fatalf("seed %d: planning again: %v", seed, err)
	}
	for _, s := range p.Steps {
		// A blue-green plan that keeps the old deployments leaves them,
		// without traffic, for the next plan to delete.
		if s.Action == plan.DeleteDeployment && opts.Strategy.String() == plan.BlueGreen(true).String() {
			continue
		}
		t.Fatalf("seed %d: not converged; planning again gives:\n%s", seed, p)
	}
}

// describe prints the endpoints with the provisioning states, for failures.
func describe(eps []*endpoint.Endpoint) string {
	var out string
	for _, e := range eps {
		out += fmt.Sprintf("  %s %s traffic %v mirror %v\n", e.Name, e.Status.ProvisioningState, e.Traffic, e.Mirror)
		for _, d := range e.Deployments {
			out += fmt.Sprintf("    %s %s instances %d\n", d.Name, d.Status.ProvisioningState, d.Capacity())
		}
	}
	return out
}

// reachedKinds reports whether a reached state has a resource whose
// provisioning failed, and one with an operation in flight, as 0 or 1.
func reachedKinds(eps []*endpoint.Endpoint) (failed, busy int) {
	for _, e := range eps {
		states := []endpoint.ProvisioningState{e.Status.ProvisioningState}
		for _, d := range e.Deployments {
			states = append(states, d.Status.ProvisioningState)
		}
		for _, st := range states {
			if st.Failed() {
				failed = 1
			}
			if st.Busy() {
				busy = 1
			}
		}
	}
	return failed, busy
}
