package durable_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/examples/temporal/durable"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/plan"
	"github.com/rolloutkit/rollout/traffic"
)

// flow is the canary example's walk-through: the same files the
// service's safe-rollout tutorial takes an endpoint through.
const flow = "../../canary/flow"

// load reads one file of the walk-through.
func load(t testing.TB, name string) []*endpoint.Endpoint {
	t.Helper()
	eps, err := endpoint.Load(filepath.Join(flow, name))
	if err != nil {
		t.Fatal(err)
	}
	return eps
}

// newService returns an in-memory service whose operations end at once,
// holding state.
func newService(t testing.TB, state []*endpoint.Endpoint) *fakes.Service {
	t.Helper()
	return seed(t, fakes.New(fakes.Options{Latency: fakes.NoLatency()}), state)
}

// seed makes svc hold state.
func seed(t testing.TB, svc *fakes.Service, state []*endpoint.Endpoint) *fakes.Service {
	t.Helper()
	if len(state) > 0 {
		if _, err := rollout.Run(context.Background(), svc, state, plan.Options{}); err != nil {
			t.Fatalf("seeding the service: %v", err)
		}
	}
	return svc
}

// newEnv returns a workflow test environment with the workflows and the
// activities registered against b.
func newEnv(b backend.Backend) *testsuite.TestWorkflowEnvironment {
	return newEnvWith(&durable.Activities{Backend: b})
}

// newEnvWith returns a workflow test environment with the workflows and
// the activities a registered.
func newEnvWith(a *durable.Activities) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	env := s.NewTestWorkflowEnvironment()
	// The SDK takes a workflow task that runs for a second of wall-clock
	// time for a deadlock. On a machine shared by many builds a task can
	// wait that long for a CPU, so the tests allow more.
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 30 * time.Second})
	durable.Register(env, a)
	return env
}

// tutorial is the request of the walk-through's canary: green in place of
// blue through 10%, with a smoke test and a 10-minute bake.
func tutorial(t testing.TB, strategy string) durable.Request {
	return durable.Request{
		Desired:  load(t, "6-delete-blue.yaml"),
		Strategy: strategy,
		Gates:    durable.DefaultGates(10 * time.Minute),
	}
}

// query returns the workflow's status.
func query(t testing.TB, env *testsuite.TestWorkflowEnvironment) durable.Status {
	t.Helper()
	v, err := env.QueryWorkflow(durable.QueryStatus)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	var st durable.Status
	if err := v.Get(&st); err != nil {
		t.Fatalf("query: %v", err)
	}
	return st
}

// liveSplits returns the distinct live splits of an endpoint through the
// service's history, in order.
func liveSplits(svc *fakes.Service, name string) []string {
	var out []string
	for _, st := range svc.History() {
		e := st.Endpoint(name)
		if e == nil || e.Traffic.IsZero() {
			continue
		}
		if s := e.Traffic.String(); len(out) == 0 || out[len(out)-1] != s {
			out = append(out, s)
		}
	}
	return out
}

// errorType returns the type of the application error in err's chain.
func errorType(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type()
	}
	return ""
}

// holds reports whether the service's endpoint has exactly the live split
// and deployments given.
func holds(t testing.TB, svc *fakes.Service, name, live string, deployments ...string) {
	t.Helper()
	e, ok := svc.Peek(name)
	if !ok {
		t.Fatalf("%s does not exist", name)
	}
	if !e.Traffic.Equal(traffic.MustParse(live)) {
		t.Errorf("%s serves %s, want %s", name, e.Traffic, live)
	}
	var got []string
	for _, d := range e.Deployments {
		got = append(got, d.Name)
	}
	if len(got) != len(deployments) {
		t.Errorf("%s has deployments %v, want %v", name, got, deployments)
		return
	}
	for i := range got {
		if got[i] != deployments[i] {
			t.Errorf("%s has deployments %v, want %v", name, got, deployments)
			return
		}
	}
}

// twoEndpoints returns the endpoint of one file of the walk-through and
// a copy of it named other-endpoint.
func twoEndpoints(t testing.TB, name string) []*endpoint.Endpoint {
	t.Helper()
	a := load(t, name)[0]
	b := a.Clone()
	b.Name = "other-endpoint"
	return []*endpoint.Endpoint{a, b}
}
