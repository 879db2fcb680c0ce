package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/internal/cputime"
	"github.com/rolloutkit/rollout/plan"
	"github.com/rolloutkit/rollout/traffic"
)

// deployment returns a managed deployment of the tutorial's shape.
func deployment(name string, version, count int) endpoint.Deployment {
	return endpoint.Deployment{
		Name:  name,
		Model: endpoint.Reference{Name: "credit-risk", Version: fmt.Sprint(version)},
		CodeConfiguration: endpoint.CodeConfiguration{
			Code:          endpoint.Reference{Name: "credit-risk-scorer", Version: "1"},
			ScoringScript: "score.py",
		},
		Environment:   endpoint.Environment{Reference: endpoint.Reference{Name: "sklearn-serving", Version: "4"}},
		InstanceType:  "Standard_DS3_v2",
		InstanceCount: count,
	}
}

// desiredEndpoint returns an endpoint with the given live split ("blue=90
// green=10") and deployments.
func desiredEndpoint(name, live string, deps ...endpoint.Deployment) *endpoint.Endpoint {
	return &endpoint.Endpoint{
		Name:        name,
		AuthMode:    endpoint.AuthKey,
		Traffic:     traffic.MustParse(live),
		Deployments: deps,
	}
}

// tutorial returns the six desired states of the service's safe-rollout
// tutorial: blue, blue scaled, green at 0%, green at 10%, green at 100%,
// blue deleted.
func tutorial() [][]*endpoint.Endpoint {
	const name = "my-endpoint"
	return [][]*endpoint.Endpoint{
		{desiredEndpoint(name, "blue=100", deployment("blue", 1, 1))},
		{desiredEndpoint(name, "blue=100", deployment("blue", 1, 2))},
		{desiredEndpoint(name, "blue=100", deployment("blue", 1, 2), deployment("green", 2, 2))},
		{desiredEndpoint(name, "blue=90 green=10", deployment("blue", 1, 2), deployment("green", 2, 2))},
		{desiredEndpoint(name, "green=100", deployment("blue", 1, 2), deployment("green", 2, 2))},
		{desiredEndpoint(name, "green=100", deployment("green", 2, 2))},
	}
}

// safety checks the safety rules a state must keep (DESIGN §3) that can be
// seen in one state and the one before it: S1 (traffic totals 100 or 0,
// and an endpoint that served keeps serving unless allowed to go dark),
// S2 (live and mirror traffic name existing deployments, and a share
// grows only on a deployment that provisioned successfully), S3 (the
// mirror's limits), S4 (no deployment is deleted while it has traffic), S5
// (a share grows only on a deployment with its desired capacity; live
// traffic only on one with instances), S6 (no instance_type changes in
// place), and that no resource exists twice.
type safety struct {
	// mayGoDark names (in lower case) the endpoints the desired state
	// leaves dark or deletes.
	mayGoDark map[string]bool
	served    map[string]bool
	prev      map[string]*endpoint.Endpoint
	// capacity is the capacity of each desired deployment, by
	// "endpoint/deployment" in lower case; capacityFirst checks that a
	// share grows only on a deployment that has it, which holds only for
	// states on the way to desired.
	capacity      map[string]int
	capacityFirst bool
}

func newSafety(desired []*endpoint.Endpoint, actual []*endpoint.Endpoint) *safety {
	s := &safety{mayGoDark: map[string]bool{}, served: map[string]bool{}, prev: map[string]*endpoint.Endpoint{}, capacity: map[string]int{}}
	for _, e := range actual {
		s.mayGoDark[strings.ToLower(e.Name)] = true
	}
	for _, e := range desired {
		s.mayGoDark[strings.ToLower(e.Name)] = e.Traffic.IsZero()
		n := endpoint.Normalized(e)
		for i := range n.Deployments {
			s.capacity[strings.ToLower(e.Name+"/"+n.Deployments[i].Name)] = n.Deployments[i].Capacity()
		}
	}
	return s
}

// check returns the rules st breaks, given the states before it.
func (s *safety) check(st fakes.State) []string {
	var bad []string
	fail := func(format string, args ...any) {
		bad = append(bad, fmt.Sprintf("state %d (%s %s end=%v): ", st.Seq, st.Op, st.Target, st.End)+fmt.Sprintf(format, args...))
	}
	seen := map[string]bool{}
	next := map[string]*endpoint.Endpoint{}
	for _, e := range st.Endpoints {
		k := strings.ToLower(e.Name)
		if seen[k] {
			fail("endpoint %s exists twice", e.Name)
		}
		seen[k] = true
		next[k] = e
		deps := map[string]bool{}
		for _, d := range e.Deployments {
			if deps[d.Name] {
				fail("deployment %s/%s exists twice", e.Name, d.Name)
			}
			deps[d.Name] = true
		}
		if t := e.Traffic.Total(); t != 0 && t != 100 {
			fail("S1: %s traffic %q totals %d", e.Name, e.Traffic, t)
		}
		serving := !e.Traffic.IsZero()
		if s.served[k] && !serving && !s.mayGoDark[k] {
			fail("S1: %s served and went dark", e.Name)
		}
		if serving {
			s.served[k] = true
		}
		prev := s.prev[k]
		for _, sp := range []traffic.Split{e.Traffic, e.Mirror} {
			for name, pct := range sp.All() {
				d := e.Deployment(name)
				if d == nil {
					fail("S2: %s sends %d%% to deployment %s, which does not exist", e.Name, pct, name)
					continue
				}
				grew := prev == nil || pct > prev.Traffic.Get(name)+prev.Mirror.Get(name)
				if grew && d.Status.ProvisioningState != endpoint.Succeeded {
					fail("S2: %s gives %d%% to deployment %s, which is %s", e.Name, pct, name, d.Status.ProvisioningState)
				}
				if want, ok := s.capacity[strings.ToLower(e.Name+"/"+name)]; s.capacityFirst && grew && prev != nil && ok && d.Capacity() < want {
					fail("S5: %s gives %d%% to deployment %s with %d instances of the %d desired", e.Name, pct, name, d.Capacity(), want)
				}
			}
		}
		for name, pct := range e.Traffic.All() {
			if d := e.Deployment(name); d != nil && d.Capacity() < 1 {
				fail("S5: %s serves %d%% on deployment %s, which has no instances", e.Name, pct, name)
			}
		}
		if !e.Mirror.IsZero() && (e.Mirror.Len() > 1 || e.Mirror.Total() > 50 || e.Compute != "") {
			fail("S3: %s has mirror traffic %v", e.Name, e.Mirror)
		}
		for name := range e.Mirror.All() {
			if e.Traffic.Get(name) > 0 {
				fail("S3: %s mirrors to %s, which has live traffic", e.Name, name)
			}
		}
		if prev != nil {
			for _, d := range e.Deployments {
				if p := prev.Deployment(d.Name); p != nil && !strings.EqualFold(p.InstanceType, d.InstanceType) {
					fail("S6: %s/%s changed instance_type in place", e.Name, d.Name)
				}
			}
		}
		// Deleting an endpoint deletes its deployments, traffic and all.
		for _, d := range e.Deployments {
			if e.Status.ProvisioningState != endpoint.Deleting && d.Status.ProvisioningState == endpoint.Deleting && e.Traffic.Get(d.Name)+e.Mirror.Get(d.Name) > 0 {
				fail("S4: %s/%s is being deleted with traffic", e.Name, d.Name)
			}
		}
		if prev != nil && prev.Status.ProvisioningState != endpoint.Deleting {
			for _, d := range prev.Deployments {
				if e.Deployment(d.Name) == nil && prev.Traffic.Get(d.Name)+prev.Mirror.Get(d.Name) > 0 {
					fail("S4: %s/%s was deleted with traffic", e.Name, d.Name)
				}
			}
		}
	}
	for k := range s.prev {
		if next[k] == nil {
			// Deleted: one created again under the name starts dark.
			delete(s.served, k)
		}
	}
	s.prev = next
	return bad
}

// checkHistory checks every state svc went through.
func checkHistory(t *testing.T, s *safety, svc *fakes.Service) {
	t.Helper()
	for _, st := range svc.History() {
		if bad := s.check(st); len(bad) > 0 {
			t.Fatalf("safety rule broken:\n%s", strings.Join(bad, "\n"))
		}
	}
}

// calls returns the service's call counts as a map, for diffs.
func calls(svc *fakes.Service) map[string]int {
	m := map[string]int{}
	for _, c := range svc.Calls() {
		m[c.Op] = c.N
	}
	return m
}

// delta returns after minus before, leaving out what did not change.
func delta(before, after map[string]int) map[string]int {
	d := map[string]int{}
	for k, v := range after {
		if v != before[k] {
			d[k] = v - before[k]
		}
	}
	return d
}

// observe returns the service's state, normalized for comparison with a
// desired state.
func observe(t *testing.T, b backend.Backend) []*endpoint.Endpoint {
	t.Helper()
	eps, err := b.ListEndpoints(t.Context())
	if err != nil {
		t.Fatalf("ListEndpoints: %v", err)
	}
	return eps
}

// converged fails the test unless b holds the desired state: planning it
// again gives an empty plan.
func converged(t *testing.T, b backend.Backend, desired []*endpoint.Endpoint, opts plan.Options) {
	t.Helper()
	p, err := plan.Compute(desired, observe(t, b), opts)
	if err != nil {
		t.Fatalf("planning again: %v", err)
	}
	if !p.Empty() {
		t.Fatalf("not converged; planning again gives:\n%s", p)
	}
}

// TestTutorial applies the six desired states of the tutorial in turn with
// Run and checks, after each, the state, the calls made to the service and
// the simulated time taken, and every state in between for the safety
// rules.
func TestTutorial(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := fakes.New(fakes.Options{})
		states := tutorial()
		s := newSafety(states[len(states)-1], nil)
		tests := []struct {
			reason  string
			traffic string
			calls   map[string]int
			elapsed time.Duration
		}{
			{"create the endpoint (1m), then blue (10m), then its traffic (30s)", "blue=100",
				map[string]int{"ListEndpoints": 1, "CreateOrUpdateEndpoint": 2, "CreateOrUpdateDeployment": 1}, 11*time.Minute + 30*time.Second},
			{"scaling alone is the scale operation, not a full update", "blue=100",
				map[string]int{"ListEndpoints": 1, "ScaleDeployment": 1}, 12 * time.Minute},
			{"green is created with no traffic and the endpoint is not written", "blue=100",
				map[string]int{"ListEndpoints": 1, "CreateOrUpdateDeployment": 1}, 10 * time.Minute},
			{"a traffic change is one endpoint update with the full split", "blue=90 green=10",
				map[string]int{"ListEndpoints": 1, "CreateOrUpdateEndpoint": 1}, 30 * time.Second},
			{"all traffic to green, one update", "green=100",
				map[string]int{"ListEndpoints": 1, "CreateOrUpdateEndpoint": 1}, 30 * time.Second},
			{"blue has no traffic left and is deleted", "green=100",
				map[string]int{"ListEndpoints": 1, "DeleteDeployment": 1}, 2 * time.Minute},
		}
		for i, tc := range tests {
			before := calls(svc)
			start := time.Now()
			res, err := rollout.Run(t.Context(), svc, states[i], plan.Options{})
			if err != nil {
				t.Fatalf("state %d: Run: %v", i+1, err)
			}
			if got := time.Since(start); got != tc.elapsed {
				t.Errorf("state %d (%s): took %v, want %v", i+1, tc.reason, got, tc.elapsed)
			}
			if diff := cmp.Diff(tc.calls, delta(before, calls(svc))); diff != "" {
				t.Errorf("state %d (%s): calls (-want +got):\n%s", i+1, tc.reason, diff)
			}
			if res.Calls != len(res.Plan.Steps) || res.Retries != 0 {
				t.Errorf("state %d: %d calls and %d retries for %d steps, want one call per step", i+1, res.Calls, res.Retries, len(res.Plan.Steps))
			}
			e, err := svc.GetEndpoint(t.Context(), "my-endpoint")
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Traffic.String(); got != tc.traffic {
				t.Errorf("state %d (%s): traffic %q, want %q", i+1, tc.reason, got, tc.traffic)
			}
			converged(t, svc, states[i], plan.Options{})
		}
		checkHistory(t, s, svc)
	})
}

// TestApplyStale: a plan computed from a state the service no longer holds
// is refused before anything is written.
func TestApplyStale(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := fakes.New(fakes.Options{})
		states := tutorial()
		if _, err := rollout.Run(t.Context(), svc, states[0], plan.Options{}); err != nil {
			t.Fatal(err)
		}
		p, err := plan.Compute(states[2], observe(t, svc), plan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		// Somebody scales blue in the meantime.
		if err := svc.ScaleDeployment(t.Context(), "my-endpoint", "blue", 3); err != nil {
			t.Fatal(err)
		}
		before := calls(svc)
		_, err = rollout.Apply(t.Context(), svc, p)
		made := delta(before, calls(svc))
		var stale *rollout.StalePlanError
		if !errors.As(err, &stale) || !errors.Is(err, rollout.ErrStalePlan) {
			t.Fatalf("Apply of a stale plan: got %v, want a *StalePlanError", err)
		}
		if stale.Want != p.Fingerprint || stale.Got != plan.Fingerprint(observe(t, svc)) {
			t.Errorf("StalePlanError{Want: %.12s, Got: %.12s} does not name the plan's and the service's fingerprints", stale.Want, stale.Got)
		}
		if len(made) != 1 || made["ListEndpoints"] != 1 {
			t.Errorf("a stale plan made calls %v, want one ListEndpoints", made)
		}
	})
}

// TestApplyRefusesBeforeAnything: plans that cannot be executed are
// refused without a single call to the service.
func TestApplyRefusesBeforeAnything(t *testing.T) {
	gateStep := plan.Step{ID: "e/gate/smoke:green", Action: plan.Gate, Endpoint: "e", Gate: "smoke:green"}
	secret := deployment("green", 2, 1)
	secret.EnvironmentVariables = map[string]string{"API_KEY": endpoint.Redacted}
	tests := []struct {
		reason string
		plan   *plan.Plan
		opts   []rollout.Option
		want   error
	}{
		{"no plan at all", nil, nil, rollout.ErrInvalidPlan},
		{"a gate nothing binds would stop the rollout half-way",
			&plan.Plan{Steps: []plan.Step{gateStep}}, nil, rollout.ErrUnboundGate},
		{"a gate bound under another prefix does not count",
			&plan.Plan{Steps: []plan.Step{gateStep}}, []rollout.Option{rollout.Gates(map[string]rollout.Gate{"bake": rollout.Pause(0)})}, rollout.ErrUnboundGate},
		{"a dependency on a later step would stall the walk",
			&plan.Plan{Steps: []plan.Step{{ID: "a", Action: plan.DeleteEndpoint, Endpoint: "e", DependsOn: []string{"b"}}, {ID: "b", Action: plan.DeleteEndpoint, Endpoint: "e"}}}, nil, rollout.ErrInvalidPlan},
		{"duplicate ids make dependencies ambiguous",
			&plan.Plan{Steps: []plan.Step{{ID: "a", Action: plan.DeleteEndpoint, Endpoint: "e"}, {ID: "a", Action: plan.DeleteEndpoint, Endpoint: "e"}}}, nil, rollout.ErrInvalidPlan},
		{"a secret redacted in a saved plan must not be written as the redaction text",
			&plan.Plan{Steps: []plan.Step{{ID: "e/green/create", Action: plan.CreateDeployment, Endpoint: "e", Deployment: "green", DeploymentAfter: &secret}}}, nil, rollout.ErrInvalidPlan},
		{"a create without its spec has nothing to write",
			&plan.Plan{Steps: []plan.Step{{ID: "e/create", Action: plan.CreateEndpoint, Endpoint: "e"}}}, nil, rollout.ErrInvalidPlan},
		{"an unknown action is not guessed at",
			&plan.Plan{Steps: []plan.Step{{ID: "e/x", Action: "restart", Endpoint: "e"}}}, nil, rollout.ErrInvalidPlan},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
			_, err := rollout.Apply(t.Context(), svc, tc.plan, tc.opts...)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Apply: got %v, want %v", err, tc.want)
			}
			if c := svc.Calls(); len(c) != 0 {
				t.Errorf("Apply made calls %v before refusing", c)
			}
		})
	}
}

// TestApplyEmpty: an empty plan of the current state does nothing but
// observe, and reports start and finish.
func TestApplyEmpty(t *testing.T) {
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	p, err := plan.Compute(nil, nil, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []rollout.EventKind
	res, err := rollout.Apply(t.Context(), svc, p, rollout.OnEvent(func(e rollout.Event) { kinds = append(kinds, e.Kind) }))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Completed) != 0 || res.Calls != 0 {
		t.Errorf("empty plan: %+v", res)
	}
	if want := []rollout.EventKind{rollout.PlanStarted, rollout.PlanFinished}; !slices.Equal(kinds, want) {
		t.Errorf("events %v, want %v", kinds, want)
	}
}

// TestApplyEvents: every call is reported before it is made, retries
// carry the failure that caused them, and progress counts add up.
func TestApplyEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := fakes.New(fakes.Options{})
		faults := fakes.NewFaults(1, fakes.Rule{Ops: []fakes.Op{fakes.OpCreateOrUpdateDeployment}, Count: 1,
			Fault: fakes.Fault{Kind: fakes.Throttle, RetryAfter: 7 * time.Second}})
		b := faults.Wrap(svc)
		var mu sync.Mutex
		var events []rollout.Event
		var made []string
		// A call is "made" when it reaches the service; the event must
		// already be there.
		reported := fakes.Intercept(b, fakes.Interceptor{
			CreateOrUpdateDeployment: func(ctx context.Context, next backend.Backend, ep string, d endpoint.Deployment) error {
				mu.Lock()
				made = append(made, fmt.Sprintf("deployment %s after %d events", d.Name, len(events)))
				last := events[len(events)-1]
				mu.Unlock()
				if last.Deployment != d.Name || (last.Kind != rollout.StepStarted && last.Kind != rollout.StepRetrying) {
					t.Errorf("CreateOrUpdateDeployment(%s) made after event %v, not after its report", d.Name, last)
				}
				return next.CreateOrUpdateDeployment(ctx, ep, d)
			},
		})
		onEvent := func(e rollout.Event) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, e)
		}
		res, err := rollout.Run(t.Context(), reported, tutorial()[0], plan.Options{}, rollout.OnEvent(onEvent))
		if err != nil {
			t.Fatal(err)
		}
		if res.Retries != 1 || res.Calls != 4 {
			t.Errorf("Retries = %d, Calls = %d; want 1 retry among 4 calls", res.Retries, res.Calls)
		}
		var got []string
		for _, e := range events {
			s := fmt.Sprintf("%s %s %d/%d", e.Kind, e.Step, e.Done, e.Total)
			if e.Kind == rollout.StepRetrying {
				s += fmt.Sprintf(" attempt %d after %s", e.Attempt, backend.KindOf(e.Err))
			}
			got = append(got, s)
		}
		want := []string{
			"plan started  0/3",
			"step started my-endpoint/create 0/3",
			"step finished my-endpoint/create 1/3",
			"step started my-endpoint/blue/create 1/3",
			"step retrying my-endpoint/blue/create 1/3 attempt 2 after throttled",
			"step finished my-endpoint/blue/create 2/3",
			"step started my-endpoint/traffic 2/3",
			"step finished my-endpoint/traffic 3/3",
			"plan finished  3/3",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		// The retry waited the 7s the service asked for, more than the 1s
		// of the first backoff: 1m + 7s + 10m + 30s.
		if got, want := events[len(events)-1].Elapsed, 11*time.Minute+37*time.Second; got != want {
			t.Errorf("elapsed %v, want %v", got, want)
		}
		if len(made) != 2 {
			t.Errorf("deployment calls %v, want the throttled one and its retry", made)
		}
	})
}

// TestApplyStep drives the tutorial's plan from blue alone to green alone
// one step at a time, the way a workflow engine would, running every step
// twice (an activity retried after its acknowledgement was lost): the
// second run leaves the specs as the first left them, the service ends in
// the desired state, and every state keeps the safety rules.
// errBackendBug is what a panicking backend panics with.
var errBackendBug = errors.New("backend bug")

// backendBug panics as a backend with a bug does, in a function whose name
// the stack of the panic shows.
//
//go:noinline
func backendBug() { panic(errBackendBug) }

// TestApplyPanics: a panic or runtime.Goexit in a step ends the walk,
// whether the caller of Apply ran the step or a goroutine Apply started,
// and reaches the caller once every goroutine Apply started has ended: a
// panic as a *rollout.PanicError that holds the step, the value and the
// stack it was raised on. The bubble fails the test if any goroutine is
// still blocked when it ends; without the panic carried over, one on a
// helper crashes the test binary.
func TestApplyPanics(t *testing.T) {
	cases := []struct {
		name    string
		helper  bool // the step that ends runs beside the caller's
		goexit  bool // it calls runtime.Goexit rather than panic
		latency *fakes.Latency
		why     string
	}{
		{"caller, idle workers", false, false, fakes.NoLatency(), "the calls end at once, so the other workers wait for steps when the panic comes"},
		{"caller, workers in calls", false, false, nil, "the other workers are in calls when the panic comes, and look for steps when they return"},
		{"helper, idle workers", true, false, fakes.NoLatency(), "the caller waits in its own call when a helper panics"},
		{"helper, workers in calls", true, false, nil, "the caller and other helpers are in calls when a helper panics"},
		{"caller goexit", false, true, nil, "runtime.Goexit on the caller's goroutine ends it, after the helpers"},
		{"helper goexit", true, true, nil, "runtime.Goexit on a helper, as t.FailNow in a fake, ends the caller's goroutine too"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := createPlan(t, 4)
				// The caller takes the first step before any other worker
				// starts; the other creates are queued with it, and helpers
				// take them. Every create waits until all have started, so
				// that the caller and the other helpers are in calls when
				// the step ends.
				var ready []plan.Step
				for _, s := range p.Steps {
					if len(s.DependsOn) == 0 {
						ready = append(ready, s)
					}
				}
				if len(ready) < 2 || p.Steps[0].Action != plan.CreateEndpoint || ready[1].Action != plan.CreateEndpoint {
					t.Fatalf("plan %v, want two create_endpoints that depend on nothing first", p)
				}
				ending := ready[0]
				if tc.helper {
					ending = ready[1]
				}
				var entered, inFlight atomic.Int64
				all := make(chan struct{})
				b := fakes.Intercept(fakes.New(fakes.Options{Latency: tc.latency}), fakes.Interceptor{
					CreateOrUpdateEndpoint: func(ctx context.Context, next backend.Backend, e *endpoint.Endpoint) error {
						inFlight.Add(1)
						defer inFlight.Add(-1)
						if entered.Add(1) == int64(len(ready)) {
							close(all)
						}
						<-all
						if e.Name == ending.Endpoint {
							if tc.goexit {
								runtime.Goexit()
							}
							backendBug()
						}
						return next.CreateOrUpdateEndpoint(ctx, e)
					},
				})
				var recovered any
				var err error
				returned, left := false, make(chan struct{})
				go func() {
					defer close(left)
					defer func() {
						recovered = recover()
						if n := inFlight.Load(); n != 0 {
							t.Errorf("%d calls in flight when Apply ended, want none (%s)", n, tc.why)
						}
					}()
					_, err = rollout.Apply(t.Context(), b, p)
					returned = true
				}()
				<-left
				if returned {
					t.Fatalf("Apply returned %v, want it to end as its step did (%s)", err, tc.why)
				}
				if tc.goexit {
					if recovered != nil {
						t.Errorf("recovered %v, want runtime.Goexit (%s)", recovered, tc.why)
					}
					return
				}
				checkPanic(t, recovered, ending.ID, tc.why)
			})
		})
	}
}

// checkPanic checks that recovered is the panic of backendBug in step id.
func checkPanic(t *testing.T, recovered any, id, why string) {
	t.Helper()
	pe, ok := recovered.(*rollout.PanicError)
	if !ok {
		t.Fatalf("recovered %v (%T), want a *rollout.PanicError (%s)", recovered, recovered, why)
	}
	if pe.Step != id || pe.Value != errBackendBug || !errors.Is(pe, errBackendBug) {
		t.Errorf("recovered step %q, value %v; want step %q and the backend's panic, matched by errors.Is (%s)", pe.Step, pe.Value, id, why)
	}
	if !strings.Contains(string(pe.Stack), "backendBug") {
		t.Errorf("stack does not show the function that panicked (%s):\n%s", why, pe.Stack)
	}
}

// TestApplyQuickCallsStillOverlap: once writes return at once, a worker
// takes the queue itself rather than hand steps off, and yet a write that
// does wait, here for another write of the plan, gets that write started
// beside it. Without a worker called for it, the walk would wait forever.
func TestApplyQuickCallsStillOverlap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		desired := []*endpoint.Endpoint{desiredEndpoint("shop", "blue=50 green=50", deployment("blue", 1, 1), deployment("green", 1, 1))}
		p, err := plan.Compute(desired, nil, plan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Steps {
			if s.Action == plan.CreateDeployment && len(s.DependsOn) != 1 {
				t.Fatalf("step %s depends on %v; the test needs the two deployments to depend on the endpoint only", s.ID, s.DependsOn)
			}
		}
		// The first deployment write waits for the second to be made.
		var calls atomic.Int32
		second := make(chan struct{})
		b := fakes.Intercept(fakes.New(fakes.Options{Latency: fakes.NoLatency()}), fakes.Interceptor{
			CreateOrUpdateDeployment: func(ctx context.Context, next backend.Backend, ep string, d endpoint.Deployment) error {
				if calls.Add(1) == 1 {
					select {
					case <-second:
					case <-ctx.Done():
						return ctx.Err()
					}
				} else {
					close(second)
				}
				return next.CreateOrUpdateDeployment(ctx, ep, d)
			},
		})
		res, err := rollout.Apply(t.Context(), b, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Completed) != len(p.Steps) {
			t.Errorf("completed %v, want every step of %d", res.Completed, len(p.Steps))
		}
	})
}

// TestApplyQuickCallsThatStall holds what the walk does when, once calls
// have returned at once, one stops returning: the first look that finds
// no step taken adds one worker, which takes the steps queued beside the
// waiting call; only a second look that finds none taken either (that
// worker's call waits too) adds a worker for every step from then on. A
// process that stands still for a moment (a collection, a busy machine)
// then costs one worker, not one per step queued, all of which would take
// turns with each other at the service.
func TestApplyQuickCallsThatStall(t *testing.T) {
	const wait = time.Millisecond
	cases := []struct {
		name    string
		waits   func(call int32) bool // whether the n-th deployment write waits
		helpers int
		elapsed time.Duration
		why     string
	}{
		{"one call waits", func(n int32) bool { return n == 1 }, 1, wait,
			"one worker takes the other writes 100µs into the first, and the traffic follows the first"},
		{"every call waits", func(int32) bool { return true }, 5, wait + 200*time.Microsecond,
			"the second write starts 100µs in, and when it waits too the other four start together 100µs later"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				deps := make([]endpoint.Deployment, 6)
				for i := range deps {
					deps[i] = deployment(fmt.Sprintf("dep%d", i+1), 1, 1)
				}
				p, err := plan.Compute([]*endpoint.Endpoint{desiredEndpoint("shop", "dep1=100", deps...)}, nil, plan.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Steps) != 8 || p.Steps[0].Action != plan.CreateEndpoint || p.Steps[7].Action != plan.SetTraffic {
					t.Fatalf("the plan has steps %v; the test needs an endpoint, six deployments, then the traffic", p.Steps)
				}
				var calls atomic.Int32
				helpers := -1
				b := fakes.Intercept(fakes.New(fakes.Options{Latency: fakes.NoLatency()}), fakes.Interceptor{
					CreateOrUpdateDeployment: func(ctx context.Context, next backend.Backend, ep string, d endpoint.Deployment) error {
						if tc.waits(calls.Add(1)) {
							time.Sleep(wait)
						}
						return next.CreateOrUpdateDeployment(ctx, ep, d)
					},
					CreateOrUpdateEndpoint: func(ctx context.Context, next backend.Backend, e *endpoint.Endpoint) error {
						if !e.Traffic.IsZero() {
							helpers = walkGoroutines(t, "rollout.(*walker).helper(")
						}
						return next.CreateOrUpdateEndpoint(ctx, e)
					},
				})
				start := time.Now()
				if _, err := rollout.Apply(t.Context(), b, p); err != nil {
					t.Fatal(err)
				}
				if got := time.Since(start); got != tc.elapsed {
					t.Errorf("the walk took %v, want %v: %s", got, tc.elapsed, tc.why)
				}
				if helpers != tc.helpers {
					t.Errorf("%d workers beside the caller at the traffic step, want %d: %s", helpers, tc.helpers, tc.why)
				}
			})
		})
	}
}

// walkGoroutines counts the goroutines in the caller's testing/synctest
// bubble whose stack holds a function whose name starts with frame.
func walkGoroutines(t *testing.T, frame string) int {
	t.Helper()
	buf := make([]byte, 1<<20)
	own := string(buf[:runtime.Stack(buf, false)])
	bubble := own[:strings.Index(own, "]")]
	bubble = bubble[strings.LastIndex(bubble, ", ")+2:]
	if !strings.HasPrefix(bubble, "synctest bubble ") {
		t.Fatalf("no bubble in %q", own[:strings.Index(own, "\n")])
	}
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		header, _, _ := strings.Cut(g, "\n")
		if strings.HasSuffix(header, ", "+bubble+"]:") && strings.Contains(g, frame) {
			n++
		}
	}
	return n
}

// TestApplyLeavesNoGoroutine holds that Apply returns once every goroutine
// it started has ended, its workers and its timer's, however the walk
// ended: a program that checks for leaks right after it finds none.
func TestApplyLeavesNoGoroutine(t *testing.T) {
	cases := []struct {
		name    string
		latency *fakes.Latency
		fail    bool
		reason  string
	}{
		{"quick calls", fakes.NoLatency(), false, "the first worker beside the caller is idle when the walk ends, and is woken to leave"},
		{"calls that wait", nil, false, "workers are in calls together and idle when the walk ends"},
		{"a failed step", fakes.NoLatency(), true, "the walk ends early, with steps still queued"},
	}
	// On one processor, a goroutine the walk woke at its end runs only
	// when the caller blocks: by waiting for it, or not at all before the
	// count.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := createPlan(t, 8)
				var b backend.Backend = fakes.New(fakes.Options{Latency: tc.latency})
				if tc.fail {
					b = fakes.Intercept(b, fakes.Interceptor{
						CreateOrUpdateDeployment: func(ctx context.Context, next backend.Backend, ep string, d endpoint.Deployment) error {
							if ep == "ep-03" {
								return errors.New("refused")
							}
							return next.CreateOrUpdateDeployment(ctx, ep, d)
						},
					})
				}
				_, err := rollout.Apply(t.Context(), b, p)
				if (err != nil) != tc.fail {
					t.Fatalf("Apply: %v", err)
				}
				if n := walkGoroutines(t, "rollout.(*walker)."); n != 0 {
					t.Errorf("%d goroutines of the walk left after Apply returned: %s", n, tc.reason)
				}
			})
		})
	}
}

func TestApplyStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := fakes.New(fakes.Options{})
		states := tutorial()
		if _, err := rollout.Run(t.Context(), svc, states[1], plan.Options{}); err != nil {
			t.Fatal(err)
		}
		desired := states[5]
		s := newSafety(desired, observe(t, svc))
		p, err := plan.Compute(desired, observe(t, svc), plan.Options{Strategy: plan.Canary([]int{10})})
		if err != nil {
			t.Fatal(err)
		}
		pass := rollout.Gates(map[string]rollout.Gate{"smoke": rollout.SmokeTest(nil, nil), "bake": rollout.Pause(0)})
		for _, st := range p.Steps {
			var once []*endpoint.Endpoint
			for run := range 2 {
				if err := rollout.ApplyStep(t.Context(), svc, p, st.ID, pass); err != nil {
					t.Fatalf("ApplyStep(%s), run %d: %v", st.ID, run+1, err)
				}
				if run == 0 {
					once = observe(t, svc)
				}
			}
			twice := observe(t, svc)
			if len(once) != len(twice) || !endpoint.Equal(endpoint.Normalized(once[0]), endpoint.Normalized(twice[0])) {
				t.Errorf("running %s again changed the service", st.ID)
			}
		}
		converged(t, svc, desired, plan.Options{})
		checkHistory(t, s, svc)
	})
}

// TestApplyStepCreateEndpointKeepsTraffic: a create_endpoint step run
// again late, after the endpoint took traffic, must not take it dark.
func TestApplyStepCreateEndpointKeepsTraffic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := fakes.New(fakes.Options{})
		desired := tutorial()[0]
		p, err := plan.Compute(desired, nil, plan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range p.Steps {
			if err := rollout.ApplyStep(t.Context(), svc, p, st.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := rollout.ApplyStep(t.Context(), svc, p, "my-endpoint/create"); err != nil {
			t.Fatal(err)
		}
		e, err := svc.GetEndpoint(t.Context(), "my-endpoint")
		if err != nil {
			t.Fatal(err)
		}
		if e.Traffic.String() != "blue=100" {
			t.Errorf("after a late create: traffic %q, want blue=100", e.Traffic)
		}
	})
}

// TestApplyStepErrors: unknown steps and unbound gates are refused
// without a call; a failing step is a StepError that names it.
func TestApplyStepErrors(t *testing.T) {
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	p := &plan.Plan{Steps: []plan.Step{
		{ID: "e/gate/smoke:green", Action: plan.Gate, Endpoint: "e", Gate: "smoke:green"},
		{ID: "e/traffic", Action: plan.SetTraffic, Endpoint: "e", Traffic: traffic.MustParse("blue=100")},
	}}
	if err := rollout.ApplyStep(t.Context(), svc, p, "e/nope"); !errors.Is(err, rollout.ErrInvalidPlan) {
		t.Errorf("unknown step: got %v", err)
	}
	if err := rollout.ApplyStep(t.Context(), svc, nil, "e/traffic"); !errors.Is(err, rollout.ErrInvalidPlan) {
		t.Errorf("no plan: got %v", err)
	}
	if err := rollout.ApplyStep(t.Context(), svc, p, "e/gate/smoke:green"); !errors.Is(err, rollout.ErrUnboundGate) {
		t.Errorf("unbound gate: got %v", err)
	}
	if c := svc.Calls(); len(c) != 0 {
		t.Errorf("refusals made calls %v", c)
	}
	err := rollout.ApplyStep(t.Context(), svc, p, "e/traffic")
	var se *rollout.StepError
	if !errors.As(err, &se) || se.Step != "e/traffic" || !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("traffic of a missing endpoint: got %v, want a StepError for e/traffic wrapping NotFound", err)
	}
}

// TestApplyStepRefusesMalformedPlans: a plan whose graph is not one is
// refused before anything is sent, whatever the action of the step asked
// for, since the step an id names, and what it waits for, are ambiguous.
func TestApplyStepRefusesMalformedPlans(t *testing.T) {
	pause := rollout.Gates(map[string]rollout.Gate{"bake": rollout.Pause(0)})
	tests := []struct {
		reason string
		steps  []plan.Step
		id     string
	}{
		{"two steps share the id: which endpoint to delete is ambiguous",
			[]plan.Step{{ID: "a", Action: plan.DeleteEndpoint, Endpoint: "ep-e"}, {ID: "a", Action: plan.DeleteEndpoint, Endpoint: "ep-f"}}, "a"},
		{"a gate depends on a step the plan does not have",
			[]plan.Step{{ID: "ep-e/gate/bake/1", Action: plan.Gate, Endpoint: "ep-e", Gate: "bake", DependsOn: []string{"ep-e/traffic"}}}, "ep-e/gate/bake/1"},
		{"a delete depends on a later step",
			[]plan.Step{{ID: "a", Action: plan.DeleteEndpoint, Endpoint: "ep-e", DependsOn: []string{"b"}}, {ID: "b", Action: plan.DeleteEndpoint, Endpoint: "ep-f"}}, "a"},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
			runTo(t, svc, []*endpoint.Endpoint{desiredEndpoint("ep-e", "blue=100", deployment("blue", 1, 1)), desiredEndpoint("ep-f", "blue=100", deployment("blue", 1, 1))}, plan.Options{})
			before := calls(svc)
			err := rollout.ApplyStep(t.Context(), svc, &plan.Plan{Steps: tc.steps}, tc.id, pause)
			if !errors.Is(err, rollout.ErrInvalidPlan) {
				t.Errorf("ApplyStep(%s) = %v, want ErrInvalidPlan", tc.id, err)
			}
			if d := delta(before, calls(svc)); len(d) != 0 {
				t.Errorf("ApplyStep made calls %v before refusing", d)
			}
		})
	}
}

// latencies are the fake's default durations, for lower bounds.
var latencies = fakes.DefaultLatency()

// stepDuration is how long step s takes on the fake with its default
// latencies, with bake gates pausing bake and other gates deciding at once.
func stepDuration(s *plan.Step, bake time.Duration) time.Duration {
	switch s.Action {
	case plan.CreateEndpoint:
		return latencies.CreateEndpoint
	case plan.UpdateEndpoint, plan.SetTraffic:
		return latencies.UpdateEndpoint
	case plan.DeleteEndpoint:
		return latencies.DeleteEndpoint
	case plan.CreateDeployment:
		return latencies.CreateDeployment
	case plan.UpdateDeployment:
		b, a := *s.DeploymentBefore, *s.DeploymentAfter
		b.InstanceCount = a.InstanceCount
		if endpoint.DeploymentEqual(b, a) {
			return latencies.ScaleDeployment
		}
		return latencies.UpdateDeployment
	case plan.DeleteDeployment:
		return latencies.DeleteDeployment
	case plan.Gate:
		if strings.HasPrefix(s.Gate, "bake") {
			return bake
		}
	}
	return 0
}

// criticalPath is the longest dependency chain of p under the fake's
// latencies: no executor can finish p sooner.
func criticalPath(p *plan.Plan, bake time.Duration) time.Duration {
	end := map[string]time.Duration{}
	var longest time.Duration
	for i := range p.Steps {
		s := &p.Steps[i]
		var start time.Duration
		for _, d := range s.DependsOn {
			start = max(start, end[d])
		}
		end[s.ID] = start + stepDuration(s, bake)
		longest = max(longest, end[s.ID])
	}
	return longest
}

// makespanScenario is a sequence of desired states applied in turn, from
// a start state.
type makespanScenario struct {
	name     string
	start    []*endpoint.Endpoint
	states   [][]*endpoint.Endpoint
	strategy plan.Strategy
}

const bakeTime = 5 * time.Minute

func makespanScenarios() []makespanScenario {
	// reshuffle: four deployments change at once; ash scales up, birch
	// gets a new model, cedar goes away, elm comes in with cedar's share
	// and more.
	dep := func(name string, version, count int) endpoint.Deployment { return deployment(name, version, count) }
	reshuffleFrom := desiredEndpoint("shop", "ash=40 birch=30 cedar=30", dep("ash", 1, 1), dep("birch", 1, 1), dep("cedar", 1, 1))
	reshuffleTo := desiredEndpoint("shop", "ash=50 birch=20 elm=30", dep("ash", 1, 3), dep("birch", 2, 1), dep("elm", 3, 1))

	var fleetFrom, fleetTo []*endpoint.Endpoint
	for i := range 50 {
		name := fmt.Sprintf("fleet-%02d", i)
		fleetFrom = append(fleetFrom, desiredEndpoint(name, "blue=100", dep("blue", 1, 1)))
		fleetTo = append(fleetTo, desiredEndpoint(name, "green=100", dep("blue", 1, 1), dep("green", 2, 1)))
	}
	return []makespanScenario{
		{name: "tutorial", states: tutorial()},
		{name: "reshuffle", start: []*endpoint.Endpoint{reshuffleFrom}, states: [][]*endpoint.Endpoint{{reshuffleTo}}},
		{name: "fleet-50", start: fleetFrom, states: [][]*endpoint.Endpoint{fleetTo}, strategy: plan.Canary([]int{10})},
	}
}

// TestMakespan measures, in simulated time, how long each scenario takes
// with the default options and one write at a time, against the longest
// dependency chain of its plans. At the default parallelism every
// scenario takes exactly its chain, the fleet of 50 too: its bake gates
// wait without holding a slot, so that only the plan's dependencies and
// one operation per endpoint order its writes.
func TestMakespan(t *testing.T) {
	modes := []struct {
		name string
		opts []rollout.Option
	}{
		{"parallel", nil},
		{"sequential", []rollout.Option{rollout.Parallelism(1)}},
	}
	for _, sc := range makespanScenarios() {
		got := map[string]time.Duration{}
		var bound time.Duration
		for _, m := range modes {
			synctest.Test(t, func(t *testing.T) {
				svc := fakes.New(fakes.Options{})
				if sc.start != nil {
					if _, err := rollout.Run(t.Context(), svc, sc.start, plan.Options{}); err != nil {
						t.Fatal(err)
					}
				}
				s := newSafety(sc.states[len(sc.states)-1], observe(t, svc))
				gates := rollout.Gates(map[string]rollout.Gate{"smoke": rollout.SmokeTest(nil, nil), "bake": rollout.Pause(bakeTime)})
				var total, lower time.Duration
				writes, retries := 0, 0
				for _, desired := range sc.states {
					start := time.Now()
					res, err := rollout.Run(t.Context(), svc, desired, plan.Options{Strategy: sc.strategy}, append(m.opts, gates)...)
					if err != nil {
						t.Fatalf("%s/%s: %v", sc.name, m.name, err)
					}
					total += time.Since(start)
					lower += criticalPath(res.Plan, bakeTime)
					writes += res.Calls
					retries += res.Retries
				}
				if retries != 0 {
					t.Errorf("%s/%s: %d retries: the executor ran into the service's exclusivity", sc.name, m.name, retries)
				}
				checkHistory(t, s, svc)
				got[m.name], bound = total, lower
				t.Logf("makespan scenario=%s mode=%s virtual_min=%g lower_bound_min=%g writes=%d",
					sc.name, m.name, total.Minutes(), lower.Minutes(), writes)
			})
		}
		if got["parallel"] != bound {
			t.Errorf("%s: parallel took %v, want the longest chain %v", sc.name, got["parallel"], bound)
		}
		if sc.name == "fleet-50" && bound != 16*time.Minute {
			t.Errorf("%s: the longest chain is %v, want 16m (create 10m, traffic 30s, bake 5m, traffic 30s)", sc.name, bound)
		}
		if sc.name == "fleet-50" && got["parallel"]*10 > got["sequential"] {
			t.Errorf("%s: parallel took %v, more than a tenth of sequential %v", sc.name, got["parallel"], got["sequential"])
		}
		if got["sequential"] < got["parallel"] {
			t.Errorf("%s: sequential %v beat parallel %v", sc.name, got["sequential"], got["parallel"])
		}
	}
}

// armThrottle models how Azure Resource Manager throttles one principal
// (writes from a bucket of 200 refilling 10 per second, reads from one of
// 250 refilling 25 per second): a call that finds its bucket empty is
// refused with 429 and counted, as the service does, instead of waiting.
type armThrottle struct {
	mu            sync.Mutex
	writes, reads armBucket
	throttled     int
}

type armBucket struct {
	burst, rate, tokens float64
	last                time.Time
}

func newARMThrottle() *armThrottle {
	now := time.Now()
	return &armThrottle{
		writes: armBucket{burst: 200, rate: 10, tokens: 200, last: now},
		reads:  armBucket{burst: 250, rate: 25, tokens: 250, last: now},
	}
}

// take spends a token of b, or reports the 429 the service would answer.
func (a *armThrottle) take(b *armBucket) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		a.throttled++
		return &backend.Error{Kind: backend.Throttled, Code: "TooManyRequests", RetryAfter: time.Second}
	}
	b.tokens--
	return nil
}

// wrap returns svc behind the throttle.
func (a *armThrottle) wrap(svc backend.Backend) backend.Backend {
	read := func() error { return a.take(&a.reads) }
	write := func(call func() error) error {
		if err := a.take(&a.writes); err != nil {
			return err
		}
		return call()
	}
	return fakes.Intercept(svc, fakes.Interceptor{
		GetEndpoint: func(ctx context.Context, next backend.Backend, name string) (*endpoint.Endpoint, error) {
			if err := read(); err != nil {
				return nil, err
			}
			return next.GetEndpoint(ctx, name)
		},
		ListEndpoints: func(ctx context.Context, next backend.Backend) ([]*endpoint.Endpoint, error) {
			if err := read(); err != nil {
				return nil, err
			}
			return next.ListEndpoints(ctx)
		},
		CreateOrUpdateEndpoint: func(ctx context.Context, next backend.Backend, e *endpoint.Endpoint) error {
			return write(func() error { return next.CreateOrUpdateEndpoint(ctx, e) })
		},
		DeleteEndpoint: func(ctx context.Context, next backend.Backend, name string) error {
			return write(func() error { return next.DeleteEndpoint(ctx, name) })
		},
		CreateOrUpdateDeployment: func(ctx context.Context, next backend.Backend, name string, d endpoint.Deployment) error {
			return write(func() error { return next.CreateOrUpdateDeployment(ctx, name, d) })
		},
		ScaleDeployment: func(ctx context.Context, next backend.Backend, name, dep string, n int) error {
			return write(func() error { return next.ScaleDeployment(ctx, name, dep, n) })
		},
		DeleteDeployment: func(ctx context.Context, next backend.Backend, name, dep string) error {
			return write(func() error { return next.DeleteDeployment(ctx, name, dep) })
		},
	})
}

// TestFleetUnderThrottle rolls a canary out to 200 endpoints with the
// default options through a model of the service's throttling: every
// endpoint's first write goes out at once, which the write bucket's burst
// holds, the bake gates wait side by side, and the rollout takes exactly
// its longest chain without a single throttled call.
func TestFleetUnderThrottle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var from, to []*endpoint.Endpoint
		for i := range 200 {
			name := fmt.Sprintf("fleet-%03d", i)
			from = append(from, desiredEndpoint(name, "blue=100", deployment("blue", 1, 1)))
			to = append(to, desiredEndpoint(name, "green=100", deployment("blue", 1, 1), deployment("green", 2, 1)))
		}
		// Without history, which copies the whole fleet at every change.
		svc := fakes.New(fakes.Options{NoHistory: true})
		if _, err := rollout.Run(t.Context(), svc, from, plan.Options{}); err != nil {
			t.Fatal(err)
		}
		arm := newARMThrottle()
		start := time.Now()
		res, err := rollout.Run(t.Context(), arm.wrap(svc), to, plan.Options{Strategy: plan.Canary([]int{10})},
			rollout.Gates(map[string]rollout.Gate{"smoke": rollout.SmokeTest(nil, nil), "bake": rollout.Pause(bakeTime)}))
		if err != nil {
			t.Fatal(err)
		}
		if arm.throttled != 0 || res.Retries != 0 {
			t.Errorf("%d calls throttled, %d retries; want none", arm.throttled, res.Retries)
		}
		if got, want := time.Since(start), criticalPath(res.Plan, bakeTime); got != want {
			t.Errorf("the fleet took %v, want its longest chain %v", got, want)
		}
		if res.Calls != 600 {
			t.Errorf("%d writes, want 600 (a create and two traffic steps per endpoint)", res.Calls)
		}
	})
}

// createPlan plans n endpoints from nothing, ep-00 onwards, each with a
// deployment blue that takes all traffic: three steps an endpoint.
func createPlan(tb testing.TB, n int) *plan.Plan {
	tb.Helper()
	var desired []*endpoint.Endpoint
	for i := range n {
		desired = append(desired, desiredEndpoint(fmt.Sprintf("ep-%02d", i), "blue=100", deployment("blue", 1, 1)))
	}
	p, err := plan.Compute(desired, nil, plan.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// BenchmarkApplyOverhead measures the executor's own cost per step: a
// plan that creates 50 endpoints with a deployment each and their traffic
// (150 steps), applied to an in-memory service with no latency. The same
// plan's operations called on the same kind of service in plan order,
// without the executor, are the floor: x-direct is the ratio of the two,
// timed in the same run, and cpu-x-direct the ratio of the CPU time the
// process spent on each (all goroutines, the runtime's included), which
// time others hold a loaded machine inflates less. An iteration is one
// Apply and one direct pass, each on a fresh service: ns/op, B/op and
// allocs/op count both.
//
// Allocations are counted before the timed loop, and the timer is never
// stopped inside it: reading the allocator's counters stops the world and
// empties every processor's allocation cache, which would slow whichever
// pass followed, the one that allocates in more size classes most.
func BenchmarkApplyOverhead(b *testing.B) {
	p := createPlan(b, 50)
	ctx := context.Background()
	fresh := func() *fakes.Service { return fakes.New(fakes.Options{Latency: fakes.NoLatency(), NoHistory: true}) }
	applyOnce := func(svc *fakes.Service) {
		res, err := rollout.Apply(ctx, svc, p)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Completed) != len(p.Steps) {
			b.Fatalf("completed %d of %d steps", len(res.Completed), len(p.Steps))
		}
	}
	directOnce := func(svc *fakes.Service) {
		if err := callDirectly(ctx, svc, p); err != nil {
			b.Fatal(err)
		}
	}
	extra := allocsPerPass(fresh, applyOnce) - allocsPerPass(fresh, directOnce)

	var apply, direct, applyCPU, directCPU time.Duration
	passes := 0
	b.ReportAllocs()
	for b.Loop() {
		svc := fresh()
		start, startCPU := time.Now(), cputime.Process()
		applyOnce(svc)
		apply += time.Since(start)
		applyCPU += cputime.Process() - startCPU

		svc = fresh()
		start, startCPU = time.Now(), cputime.Process()
		directOnce(svc)
		direct += time.Since(start)
		directCPU += cputime.Process() - startCPU
		passes++
	}
	b.ReportMetric(float64(passes*len(p.Steps))/apply.Seconds(), "steps/s")
	b.ReportMetric(float64(apply)/float64(direct), "x-direct")
	if directCPU > 0 {
		b.ReportMetric(float64(applyCPU)/float64(directCPU), "cpu-x-direct")
	}
	b.ReportMetric(extra/float64(len(p.Steps)), "executor-allocs/step")
}

// allocsPerPass returns the allocations of one call of pass, each on a
// service of its own that fresh made beforehand.
func allocsPerPass(fresh func() *fakes.Service, pass func(*fakes.Service)) float64 {
	const runs = 20
	svcs := make([]*fakes.Service, runs+1) // AllocsPerRun makes one call more, to warm up
	for i := range svcs {
		svcs[i] = fresh()
	}
	next := 0
	return testing.AllocsPerRun(runs, func() { pass(svcs[next]); next++ })
}

// callDirectly makes the backend calls of p's steps in plan order, as a
// program that needs no executor would: what Apply adds is measured
// against it. It knows the steps of plans that create endpoints.
func callDirectly(ctx context.Context, b backend.Backend, p *plan.Plan) error {
	settings := map[string]*endpoint.Endpoint{}
	for i := range p.Steps {
		s := &p.Steps[i]
		var err error
		switch s.Action {
		case plan.CreateEndpoint, plan.SetTraffic:
			e := settings[s.Endpoint]
			if s.Action == plan.CreateEndpoint {
				e = s.EndpointAfter
				settings[s.Endpoint] = e
			}
			c := *e
			c.Traffic, c.Mirror = s.Traffic, s.Mirror
			err = b.CreateOrUpdateEndpoint(ctx, &c)
		case plan.CreateDeployment:
			err = b.CreateOrUpdateDeployment(ctx, s.Endpoint, *s.DeploymentAfter)
		default:
			err = fmt.Errorf("step %s: %s is not called directly here", s.ID, s.Action)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkApplyCheck measures what checking a plan it did not compute
// costs Apply: the canary of the tutorial (blue to green through 10% and
// 50%, bake gates between, blue deleted) on ten endpoints at once, against
// an in-memory service without latency. check/apply is the share of
// Apply's time spent in plan.Check, measured in the same run.
func BenchmarkApplyCheck(b *testing.B) {
	var from, to []*endpoint.Endpoint
	for i := range 10 {
		name := fmt.Sprintf("ep-%02d", i)
		from = append(from, desiredEndpoint(name, "blue=100", deployment("blue", 1, 2)))
		to = append(to, desiredEndpoint(name, "green=100", deployment("green", 2, 2)))
	}
	opts := plan.Options{Strategy: plan.Canary([]int{10, 50})}
	ctx := context.Background()
	seed := func() (*fakes.Service, []*endpoint.Endpoint) {
		svc := fakes.New(fakes.Options{Latency: fakes.NoLatency(), NoHistory: true})
		// One step at a time, so that every seeding hands out the same
		// ETags and the plan stays current.
		if _, err := rollout.Run(ctx, svc, from, plan.Options{}, rollout.Parallelism(1)); err != nil {
			b.Fatal(err)
		}
		eps, err := svc.ListEndpoints(ctx)
		if err != nil {
			b.Fatal(err)
		}
		return svc, eps
	}
	_, actual := seed()
	p, err := plan.Compute(to, actual, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var checking, applying time.Duration
	for b.Loop() {
		b.StopTimer()
		svc, actual := seed()
		b.StartTimer()
		start := time.Now()
		if err := plan.Check(actual, p); err != nil {
			b.Fatal(err)
		}
		checking += time.Since(start)
		start = time.Now()
		if _, err := rollout.Apply(ctx, svc, p, passGates); err != nil {
			b.Fatal(err)
		}
		applying += time.Since(start)
	}
	b.ReportMetric(float64(checking.Nanoseconds())/float64(b.N), "check-ns/op")
	b.ReportMetric(checking.Seconds()/applying.Seconds(), "check/apply")
}

// TestNoBackend: a nil backend is refused with an error, not a panic at
// the first request.
func TestNoBackend(t *testing.T) {
	p := &plan.Plan{Steps: []plan.Step{{ID: "e/delete", Action: plan.DeleteEndpoint, Endpoint: "e"}}}
	tests := []struct {
		reason string
		call   func() error
	}{
		{"Apply", func() error { _, err := rollout.Apply(t.Context(), nil, p); return err }},
		{"ApplyStep", func() error { return rollout.ApplyStep(t.Context(), nil, p, "e/delete") }},
		{"Run", func() error { _, err := rollout.Run(t.Context(), nil, nil, plan.Options{}); return err }},
	}
	for _, tc := range tests {
		if err := tc.call(); err == nil || !strings.Contains(err.Error(), "no backend") {
			t.Errorf("%s with a nil backend: got %v, want an error saying there is no backend", tc.reason, err)
		}
	}
}
