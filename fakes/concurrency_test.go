package fakes

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

// canary walks one endpoint through the tutorial's flow: blue, green at 0,
// 10%, 100%, delete blue, invoking as it goes.
func canary(ctx context.Context, b backend.Backend, name string) error {
	steps := []func() error{
		func() error { return b.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: name}) },
		func() error { return b.CreateOrUpdateDeployment(ctx, name, dep("blue", "1")) },
		func() error {
			return b.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: name, Traffic: traffic.MustNew(map[string]int{"blue": 100})})
		},
		func() error { return b.CreateOrUpdateDeployment(ctx, name, dep("green", "2")) },
		func() error {
			return b.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: name, Traffic: traffic.MustNew(map[string]int{"blue": 90, "green": 10})})
		},
		func() error {
			return b.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: name, Traffic: traffic.MustNew(map[string]int{"green": 100})})
		},
		func() error { return b.DeleteDeployment(ctx, name, "blue") },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("%s step %d: %w", name, i+1, err)
		}
		for range 10 {
			resp, err := b.Invoke(ctx, name, backend.InvokeRequest{Body: []byte("{}")})
			if err != nil {
				return err
			}
			if i >= 2 && resp.Status != 200 {
				return fmt.Errorf("%s step %d: answered %d", name, i+1, resp.Status)
			}
		}
	}
	return nil
}

// checkSafety checks the invariants that every state must keep.
func checkSafety(t *testing.T, st State) {
	t.Helper()
	for _, e := range st.Endpoints {
		if err := e.Traffic.Validate(); err != nil {
			t.Errorf("state %d: %s: %v", st.Seq, e.Name, err)
		}
		for name := range e.Traffic.All() {
			d := e.Deployment(name)
			if d == nil || d.Status.ProvisioningState == endpoint.Failed || d.Status.ProvisioningState == endpoint.Creating {
				t.Errorf("state %d: %s sends traffic to %s, which does not serve", st.Seq, e.Name, name)
			}
		}
	}
}

// TestConcurrentEndpoints runs many endpoints' flows at once in real time,
// for the race detector.
func TestConcurrentEndpoints(t *testing.T) {
	var mu sync.Mutex
	states := 0
	s := New(Options{Latency: NoLatency(), NoHistory: true, OnState: func(st State) {
		checkSafety(t, st)
		mu.Lock()
		states++
		mu.Unlock()
	}})
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() { errs <- canary(context.Background(), s, fmt.Sprintf("ep-%02d", i)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	list, err := s.ListEndpoints(context.Background())
	must(t, err)
	if len(list) != n {
		t.Fatalf("%d endpoints, want %d", len(list), n)
	}
	for _, e := range list {
		if !e.Traffic.Equal(traffic.MustNew(map[string]int{"green": 100})) || len(e.Deployments) != 1 {
			t.Errorf("%s ended with %v and %d deployments", e.Name, e.Traffic, len(e.Deployments))
		}
	}
	// Seven writes of two states each per endpoint.
	if states != n*14 {
		t.Errorf("OnState saw %d states, want %d", states, n*14)
	}
}

// TestConcurrentEndpointsSimulated runs the flows in a bubble with the real
// latencies: different endpoints proceed in parallel, so 50 flows take as
// long as one.
func TestConcurrentEndpointsSimulated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Options{NoHistory: true, OnState: func(st State) { checkSafety(t, st) }})
		start := time.Now()
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() { must(t, canary(context.Background(), s, fmt.Sprintf("ep-%02d", i))) })
		}
		wg.Wait()
		// 1m + 10m + 30s + 10m + 30s + 30s + 2m.
		if got, want := time.Since(start), 24*time.Minute+30*time.Second; got != want {
			t.Errorf("50 flows took %v, want %v (one flow's time)", got, want)
		}
	})
}
