package durable_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/examples/temporal/durable"
	"github.com/rolloutkit/rollout/fakes"
)

// fleetOf returns n copies of the walk-through's endpoint in the given
// file, named ep-00, ep-01, ...
func fleetOf(t testing.TB, n int, file string) []*endpoint.Endpoint {
	base := load(t, file)[0]
	eps := make([]*endpoint.Endpoint, n)
	for i := range eps {
		eps[i] = base.Clone()
		eps[i].Name = fmt.Sprintf("ep-%02d", i)
	}
	return eps
}

// TestFleet rolls green out to 50 endpoints, ten at a time, each through
// the tutorial's canary with its 10-minute bake: five waves of bakes, in
// workflow time, and every endpoint ends on green.
func TestFleet(t *testing.T) {
	const n, limit = 50, 10
	// Without a history: it copies every endpoint at every change.
	svc := seed(t, fakes.New(fakes.Options{Latency: fakes.NoLatency(), NoHistory: true}), fleetOf(t, n, "2-scale-blue.yaml"))
	env := newEnv(svc)
	var mu sync.Mutex
	running, most := 0, 0
	env.SetOnChildWorkflowStartedListener(func(*workflow.Info, workflow.Context, converter.EncodedValues) {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
	})
	env.SetOnChildWorkflowCompletedListener(func(*workflow.Info, converter.EncodedValue, error) {
		mu.Lock()
		running--
		mu.Unlock()
	})
	req := tutorial(t, "canary:10")
	req.Desired = fleetOf(t, n, "6-delete-blue.yaml")
	start, began := env.Now(), time.Now()

	env.ExecuteWorkflow(durable.WorkflowFleet, durable.FleetRequest{Rollout: req, MaxConcurrent: limit})

	simulated, real := env.Now().Sub(start), time.Since(began)
	t.Logf("fleet of %d, %d at a time: %v of workflow time in %v", n, limit, simulated, real.Round(time.Millisecond))
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("the fleet failed: %v", err)
	}
	var st durable.FleetStatus
	if err := env.GetWorkflowResult(&st); err != nil {
		t.Fatal(err)
	}
	if st.Succeeded != n || st.Failed != 0 || st.Pending != 0 || len(st.Endpoints) != n {
		t.Errorf("fleet status %+v, want %d succeeded", st, n)
	}
	for _, e := range req.Desired {
		holds(t, svc, e.Name, "green=100", "green")
	}
	if most != limit {
		t.Errorf("at most %d endpoints rolled out at once, want %d", most, limit)
	}
	if waves := time.Duration(n/limit) * 10 * time.Minute; simulated < waves {
		t.Errorf("the fleet took %v of workflow time, want %v at least: %d waves of bakes", simulated, waves, n/limit)
	}
}
