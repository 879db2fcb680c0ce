package fakes

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

// TestStartAccepts checks that every Start method returns as soon as the
// service accepted the write, with an Operation that ends when the write's
// latency has passed and reports its outcome.
func TestStartAccepts(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		start  func(s *Service) (*Operation, error)
		took   time.Duration
		state  func(s *Service) endpoint.ProvisioningState
		reason string
	}{
		{"create endpoint", func(s *Service) (*Operation, error) {
			return s.StartCreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: "other-ep"})
		}, time.Minute, func(s *Service) endpoint.ProvisioningState { return endpointState(s, "other-ep") }, "a new endpoint is Creating for a minute"},
		{"update endpoint", func(s *Service) (*Operation, error) {
			return s.StartCreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: ep, Traffic: traffic.MustNew(map[string]int{"blue": 100})})
		}, 30 * time.Second, func(s *Service) endpoint.ProvisioningState { return endpointState(s, ep) }, "a traffic change is an endpoint update"},
		{"delete endpoint", func(s *Service) (*Operation, error) {
			return s.StartDeleteEndpoint(ctx, ep)
		}, 2 * time.Minute, func(s *Service) endpoint.ProvisioningState { return endpointState(s, ep) }, "the endpoint shows Deleting until it is gone"},
		{"create deployment", func(s *Service) (*Operation, error) {
			return s.StartCreateOrUpdateDeployment(ctx, ep, dep("green", "2"))
		}, 10 * time.Minute, func(s *Service) endpoint.ProvisioningState { return deploymentState(s, "green") }, "the slowest write: ten minutes"},
		{"update deployment", func(s *Service) (*Operation, error) {
			return s.StartCreateOrUpdateDeployment(ctx, ep, dep("blue", "2"))
		}, 5 * time.Minute, func(s *Service) endpoint.ProvisioningState { return deploymentState(s, "blue") }, "a new model version is a rolling update"},
		{"scale deployment", func(s *Service) (*Operation, error) {
			return s.StartScaleDeployment(ctx, ep, "blue", 3)
		}, 12 * time.Minute, func(s *Service) endpoint.ProvisioningState { return deploymentState(s, "blue") }, "scaling has its own latency"},
		{"delete deployment", func(s *Service) (*Operation, error) {
			return s.StartDeleteDeployment(ctx, ep, "blue")
		}, 2 * time.Minute, func(s *Service) endpoint.ProvisioningState { return deploymentState(s, "blue") }, "blue has no traffic, so it can go"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := New(Options{})
				setup(t, s, nil, "blue")
				begin := time.Now()
				op, err := tt.start(s)
				if err != nil {
					t.Fatalf("refused: %v (%s)", err, tt.reason)
				}
				if d := time.Since(begin); d != 0 {
					t.Errorf("Start took %v of simulated time; it must not wait for the operation", d)
				}
				select {
				case <-op.Done():
					t.Fatalf("the operation ended at once; want it running for %v", tt.took)
				default:
				}
				if op.Err() != nil || !op.EndTime().IsZero() {
					t.Errorf("a running operation reports Err %v and EndTime %v; want nil and zero", op.Err(), op.EndTime())
				}
				if st := tt.state(s); st == endpoint.Succeeded {
					t.Errorf("while running the resource is %s; want the operation's state (%s)", st, tt.reason)
				}
				if err := op.Wait(ctx); err != nil {
					t.Fatal(err)
				}
				if got := op.EndTime().Sub(begin); got != tt.took || time.Since(begin) != tt.took {
					t.Errorf("ended after %v (waited %v); want %v (%s)", got, time.Since(begin), tt.took, tt.reason)
				}
			})
		})
	}
}

func endpointState(s *Service, name string) endpoint.ProvisioningState {
	if e, ok := s.Peek(name); ok {
		return e.Status.ProvisioningState
	}
	return "gone"
}

func deploymentState(s *Service, name string) endpoint.ProvisioningState {
	if e, ok := s.Peek(ep); ok && e.Deployment(name) != nil {
		return e.Deployment(name).Status.ProvisioningState
	}
	return "gone"
}

// TestStartRefuses checks that a refusal comes back from Start itself, with
// no Operation and no simulated time passing, while another operation
// holds the endpoint.
func TestStartRefuses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := New(Options{})
		setup(t, s, nil, "blue")
		busy, err := s.StartCreateOrUpdateDeployment(ctx, ep, dep("green", "2"))
		must(t, err)
		begin := time.Now()
		for _, tc := range []struct {
			name   string
			start  func() (*Operation, error)
			kind   backend.Kind
			reason string
		}{
			{"busy endpoint", func() (*Operation, error) {
				return s.StartCreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: ep})
			}, backend.Conflict, "green is being created"},
			{"missing endpoint", func() (*Operation, error) {
				return s.StartCreateOrUpdateDeployment(ctx, "nope", dep("blue", "1"))
			}, backend.NotFound, "deployments need their endpoint"},
			{"scale missing", func() (*Operation, error) { return s.StartScaleDeployment(ctx, ep, "red", 2) }, backend.NotFound, "only existing deployments scale"},
			{"delete busy", func() (*Operation, error) { return s.StartDeleteDeployment(ctx, ep, "green") }, backend.Conflict, "green is Creating"},
			{"delete endpoint busy", func() (*Operation, error) { return s.StartDeleteEndpoint(ctx, ep) }, backend.Conflict, "one endpoint operation at a time"},
		} {
			op, err := tc.start()
			if op != nil || backend.KindOf(err) != tc.kind {
				t.Errorf("%s: got %v, %v; want no operation and %v (%s)", tc.name, op, err, tc.kind, tc.reason)
			}
		}
		if d := time.Since(begin); d != 0 {
			t.Errorf("refusals took %v of simulated time; want none", d)
		}
		must(t, busy.Wait(ctx))
	})
}

// TestOperationOutcome checks the outcome an Operation reports: a
// provisioning failure through Err and Wait, and the end of deletes of
// what does not exist, which succeed at once.
func TestOperationOutcome(t *testing.T) {
	ctx := context.Background()
	s := New(Options{Latency: NoLatency()})
	setup(t, s, nil, "blue")
	s.FailProvisioning(ep, "green", "OutOfQuota", "not enough cores")
	op, err := s.StartCreateOrUpdateDeployment(ctx, ep, dep("green", "1"))
	must(t, err)
	<-op.Done()
	if e, ok := errors.AsType[*backend.Error](op.Err()); !ok || e.Kind != backend.ProvisioningFailed || e.Code != "OutOfQuota" {
		t.Errorf("Err() = %v, want the armed provisioning failure", op.Err())
	}
	if !errors.Is(op.Wait(ctx), op.Err()) {
		t.Errorf("Wait() = %v, want Err()", op.Wait(ctx))
	}
	for name, start := range map[string]func() (*Operation, error){
		"endpoint":   func() (*Operation, error) { return s.StartDeleteEndpoint(ctx, "never-was") },
		"deployment": func() (*Operation, error) { return s.StartDeleteDeployment(ctx, ep, "never-was") },
	} {
		op, err := start()
		if err != nil || op.Err() != nil || op.EndTime().IsZero() {
			t.Errorf("deleting a missing %s: %v, %v; want an operation that already succeeded", name, op, err)
		}
	}
}

// TestWaitLeavesEarly checks that Wait returns the context's error when it
// ends first, and that the operation carries on.
func TestWaitLeavesEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Options{})
		setup(t, s, nil)
		op, err := s.StartCreateOrUpdateDeployment(context.Background(), ep, dep("blue", "1"))
		must(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := op.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait = %v, want the context's error", err)
		}
		if err := op.Wait(context.Background()); err != nil || deploymentState(s, "blue") != endpoint.Succeeded {
			t.Errorf("after waiting again: %v, blue %s; want the operation to have carried on", err, deploymentState(s, "blue"))
		}
	})
}

// TestPeekIsNotACall checks that Peek and PeekKeys neither count nor
// change anything, while Start and its blocking form count once each.
func TestPeekIsNotACall(t *testing.T) {
	ctx := context.Background()
	var states int
	s := New(Options{Latency: NoLatency(), OnState: func(State) { states++ }})
	setup(t, s, nil, "blue")
	calls, seen := fmt.Sprint(s.Calls()), states
	e, ok := s.Peek("MY-ENDPOINT")
	if !ok || e.Name != ep || e.Deployment("blue") == nil {
		t.Fatalf("Peek = %v, %v; want the endpoint with blue, names ignoring case", e, ok)
	}
	e.Deployments[0].InstanceCount = 99
	if k, ok := s.PeekKeys(ep); !ok || k.Primary() == "" {
		t.Error("PeekKeys found no keys")
	}
	if _, ok := s.Peek("nope"); ok {
		t.Error("Peek found an endpoint that does not exist")
	}
	if _, ok := s.PeekKeys("nope"); ok {
		t.Error("PeekKeys found keys of an endpoint that does not exist")
	}
	if got := fmt.Sprint(s.Calls()); got != calls || states != seen {
		t.Errorf("after peeking Calls() = %s and %d states; want %s and %d", got, states, calls, seen)
	}
	if again, _ := s.Peek(ep); again.Deployment("blue").InstanceCount != 1 {
		t.Error("changing what Peek returned changed the service")
	}
	op, err := s.StartScaleDeployment(ctx, ep, "blue", 2)
	must(t, err)
	must(t, op.Wait(ctx))
	must(t, s.ScaleDeployment(ctx, ep, "blue", 3))
	want := "[{CreateOrUpdateDeployment 1} {CreateOrUpdateEndpoint 1} {ScaleDeployment 2}]"
	if got := fmt.Sprint(s.Calls()); got != want {
		t.Errorf("Calls() = %s, want %s: a Start and a blocking call count once each", got, want)
	}
}
