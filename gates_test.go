package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/plan"
)

// stats is a metric source over the in-memory service's per-deployment
// request counters.
func stats(svc *fakes.Service) rollout.MetricSource {
	return rollout.MetricSourceFunc(func(_ context.Context, ep, dep string) (rollout.MetricSample, error) {
		for _, s := range svc.Stats(ep) {
			if s.Deployment == dep {
				return rollout.MetricSample{Endpoint: ep, Deployment: dep, Requests: int64(s.Requests - s.Direct), Errors: int64(s.Errors)}, nil
			}
		}
		return rollout.MetricSample{}, fmt.Errorf("no counters for %s/%s", ep, dep)
	})
}

// liveTraffic sends a request through the endpoint's split every second
// until the returned function is called.
func liveTraffic(b backend.Backend, ep string) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			_, _ = b.Invoke(ctx, ep, backend.InvokeRequest{Body: []byte("live")})
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
			}
		}
	})
	return func() { cancel(); wg.Wait() }
}

// greenAnswers makes green answer smoke requests with smoke and live
// requests with live.
func greenAnswers(smoke, live int) fakes.Handler {
	return func(_ context.Context, _ string, body []byte) (int, []byte) {
		if string(body) == "smoke" {
			return smoke, []byte("v2")
		}
		return live, []byte("v2")
	}
}

// toGreen sets up the tutorial after its second state (blue alone, scaled)
// and returns the desired state that moves everything to green.
func toGreen(t *testing.T, svc *fakes.Service) []*endpoint.Endpoint {
	t.Helper()
	states := tutorial()
	for _, s := range states[:2] {
		if _, err := rollout.Run(t.Context(), svc, s, plan.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	return states[4]
}

// TestSmokeTestFails: a canary whose smoke test fails (green answers 500)
// stops before green gets any live traffic, with a StepError naming the
// gate, and green is kept for inspection.
func TestSmokeTestFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := fakes.New(fakes.Options{Handlers: map[string]fakes.Handler{"green": fakes.Respond(http.StatusInternalServerError, "boom")}})
		desired := toGreen(t, svc)
		s := newSafety(desired, observe(t, svc))
		gates := rollout.Gates(map[string]rollout.Gate{
			"smoke": rollout.SmokeTest([]byte("smoke"), nil),
			"bake":  rollout.Pause(5 * time.Minute),
		})
		_, err := rollout.Run(t.Context(), svc, desired, plan.Options{Strategy: plan.Canary([]int{10})}, gates)
		var se *rollout.StepError
		if !errors.As(err, &se) {
			t.Fatalf("Run: got %v, want a *StepError", err)
		}
		if se.Step != "my-endpoint/gate/smoke:green" || se.Action != plan.Gate {
			t.Errorf("StepError names step %q (%s), want the smoke gate", se.Step, se.Action)
		}
		if len(se.State) != 1 || se.State[0].Traffic.String() != "blue=100" || se.State[0].Deployment("green") == nil {
			t.Errorf("State %v: want blue=100 with green kept", se.State)
		}
		for _, st := range svc.History() {
			if e := st.Endpoint("my-endpoint"); e != nil && e.Traffic.Get("green")+e.Mirror.Get("green") > 0 {
				t.Fatalf("state %d gives green traffic %v after a failed smoke test", st.Seq, e.Traffic)
			}
		}
		checkHistory(t, s, svc)
	})
}

// TestMetricGateRollsBack: green passes its smoke test but fails live
// requests; the metric gate after the 10% stage sees it and the rollback
// gives blue all traffic again.
func TestMetricGateRollsBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := fakes.New(fakes.Options{Handlers: map[string]fakes.Handler{"green": greenAnswers(200, 500)}})
		desired := toGreen(t, svc)
		s := newSafety(desired, observe(t, svc))
		stop := liveTraffic(svc, "my-endpoint")
		defer stop()
		var events []rollout.Event
		gates := rollout.Gates(map[string]rollout.Gate{
			"smoke": rollout.SmokeTest([]byte("smoke"), nil),
			"bake":  rollout.Metric(stats(svc), rollout.MaxErrorRate(0.01, 10), 5*time.Minute),
		})
		res, err := rollout.Run(t.Context(), svc, desired, plan.Options{Strategy: plan.Canary([]int{10})}, gates,
			rollout.Rollback(), rollout.OnEvent(func(e rollout.Event) { events = append(events, e) }))
		var se *rollout.StepError
		if !errors.As(err, &se) {
			t.Fatalf("Run: got %v, want a *StepError", err)
		}
		if se.Step != "my-endpoint/gate/bake/1" {
			t.Errorf("failed step %q, want the bake gate after the first stage", se.Step)
		}
		if se.RollbackErr != nil || len(se.RolledBack) != 1 || len(res.RolledBack) != 1 {
			t.Errorf("rollback: restored %v (result %v), error %v; want my-endpoint restored", se.RolledBack, res.RolledBack, se.RollbackErr)
		}
		e, err := svc.GetEndpoint(t.Context(), "my-endpoint")
		if err != nil {
			t.Fatal(err)
		}
		if e.Traffic.String() != "blue=100" || e.Deployment("green") == nil {
			t.Errorf("after rollback: traffic %v, green kept: %v; want blue=100 with green kept", e.Traffic, e.Deployment("green") != nil)
		}
		var kinds []rollout.EventKind
		for _, ev := range events[len(events)-3:] {
			kinds = append(kinds, ev.Kind)
		}
		if want := []rollout.EventKind{rollout.GateFailed, rollout.RollingBack, rollout.PlanFinished}; fmt.Sprint(kinds) != fmt.Sprint(want) {
			t.Errorf("last events %v, want %v", kinds, want)
		}
		checkHistory(t, s, svc)
	})
}

// TestMetricGatePasses: a healthy canary passes its metric gates and the
// rollout finishes; a gate about the whole endpoint watches every
// deployment with live traffic.
func TestMetricGatePasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := fakes.New(fakes.Options{})
		desired := toGreen(t, svc)
		stop := liveTraffic(svc, "my-endpoint")
		defer stop()
		var watched []string
		var mu sync.Mutex
		src := stats(svc)
		spy := rollout.MetricSourceFunc(func(ctx context.Context, ep, dep string) (rollout.MetricSample, error) {
			mu.Lock()
			watched = append(watched, dep)
			mu.Unlock()
			return src.Counters(ctx, ep, dep)
		})
		gates := rollout.Gates(map[string]rollout.Gate{
			"smoke": rollout.SmokeTest([]byte("smoke"), func(status int, body []byte) error {
				if !strings.Contains(string(body), "credit-risk:2") {
					return fmt.Errorf("answered %q", body)
				}
				return nil
			}),
			"bake": rollout.Metric(spy, rollout.MaxErrorRate(0, 1), 5*time.Minute),
		})
		if _, err := rollout.Run(t.Context(), svc, desired, plan.Options{Strategy: plan.Canary([]int{10, 50})}, gates); err != nil {
			t.Fatal(err)
		}
		converged(t, svc, desired, plan.Options{})
		// Two bakes (after 10% and after 50%), each reading blue and green
		// before and after its window.
		if want := "[blue green blue green blue green blue green]"; fmt.Sprint(watched) != want {
			t.Errorf("metric reads %v, want %s", watched, want)
		}
	})
}

// TestMaxErrorRate checks the condition's thresholds.
func TestMaxErrorRate(t *testing.T) {
	tests := []struct {
		reason string
		sample rollout.MetricSample
		ok     bool
	}{
		{"no errors passes", rollout.MetricSample{Requests: 100}, true},
		{"errors at the rate pass", rollout.MetricSample{Requests: 100, Errors: 1}, true},
		{"errors above the rate fail", rollout.MetricSample{Requests: 100, Errors: 2}, false},
		{"too few requests prove nothing", rollout.MetricSample{Requests: 9}, false},
	}
	cond := rollout.MaxErrorRate(0.01, 10)
	for _, tc := range tests {
		if err := cond(tc.sample); (err == nil) != tc.ok {
			t.Errorf("%s: got %v", tc.reason, err)
		}
	}
}

// TestApproval: approvals from a channel and from a function let the
// rollout go on or stop it with ErrNotApproved; a gate waiting for an
// answer ends with its context.
func TestApproval(t *testing.T) {
	yes := make(chan bool, 1)
	yes <- true
	no := make(chan bool, 1)
	no <- false
	closed := make(chan bool)
	close(closed)
	failing := errors.New("ticket system down")
	tests := []struct {
		reason string
		gate   rollout.Gate
		want   error
	}{
		{"a yes on the channel passes", rollout.Approval(yes), nil},
		{"a no on the channel refuses", rollout.Approval(no), rollout.ErrNotApproved},
		{"a closed channel refuses: nobody can approve any more", rollout.Approval(closed), rollout.ErrNotApproved},
		{"a function saying yes passes", rollout.ApprovalFunc(func(context.Context) (bool, error) { return true, nil }), nil},
		{"a function saying no refuses", rollout.ApprovalFunc(func(context.Context) (bool, error) { return false, nil }), rollout.ErrNotApproved},
		{"a function's error stops the rollout with that error", rollout.ApprovalFunc(func(context.Context) (bool, error) { return false, failing }), failing},
	}
	for _, tc := range tests {
		err := tc.gate.Check(t.Context(), rollout.GateContext{Name: "approve", Endpoint: "e"})
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.reason, err, tc.want)
		}
	}
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		err := rollout.Approval(make(chan bool)).Check(ctx, rollout.GateContext{Name: "approve"})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("unanswered approval: got %v, want the context's deadline", err)
		}
	})
}

// TestGateBinding: gates bind by exact name first, then by the part
// before the colon; the gate sees the step's endpoint and deployment.
func TestGateBinding(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := fakes.New(fakes.Options{})
		desired := toGreen(t, svc)
		var mu sync.Mutex
		var seen []string
		record := func(label string) rollout.Gate {
			return rollout.GateFunc(func(_ context.Context, g rollout.GateContext) error {
				mu.Lock()
				defer mu.Unlock()
				seen = append(seen, fmt.Sprintf("%s %s %s/%s %s", label, g.Name, g.Endpoint, g.Deployment, g.Step))
				if g.Backend == nil {
					return errors.New("no backend")
				}
				return nil
			})
		}
		gates := rollout.Gates(map[string]rollout.Gate{"smoke": record("prefix"), "bake": record("bake")})
		exact := rollout.Gates(map[string]rollout.Gate{"smoke:green": record("exact")})
		if _, err := rollout.Run(t.Context(), svc, desired, plan.Options{Strategy: plan.Canary([]int{10})}, gates, exact); err != nil {
			t.Fatal(err)
		}
		want := "[exact smoke:green my-endpoint/green my-endpoint/gate/smoke:green bake bake my-endpoint/ my-endpoint/gate/bake/1]"
		if fmt.Sprint(seen) != want {
			t.Errorf("gates checked: %v\nwant %s", seen, want)
		}
	})
}

// TestPause waits its duration on the clock and ends early with the
// context.
func TestPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if err := rollout.Pause(5*time.Minute).Check(t.Context(), rollout.GateContext{}); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != 5*time.Minute {
			t.Errorf("Pause(5m) took %v", got)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		if err := rollout.Pause(time.Hour).Check(ctx, rollout.GateContext{}); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Pause cut short: got %v", err)
		}
	})
}

// TestSmokeTestNeedsDeployment: a smoke test bound to a gate about no
// deployment refuses instead of testing the whole endpoint.
func TestSmokeTestNeedsDeployment(t *testing.T) {
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	err := rollout.SmokeTest(nil, nil).Check(t.Context(), rollout.GateContext{Name: "smoke", Endpoint: "e", Backend: svc})
	if err == nil {
		t.Fatal("a smoke test without a deployment passed")
	}
}
