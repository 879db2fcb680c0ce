package fakes

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

const ep = "my-endpoint"

func dep(name, version string) endpoint.Deployment {
	return endpoint.Deployment{
		Name:          name,
		Model:         endpoint.Reference{Name: "model", Version: version},
		InstanceType:  "Standard_DS3_v2",
		InstanceCount: 1,
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// setup creates ep with the deployments and the live split.
func setup(t testing.TB, s *Service, live map[string]int, deployments ...string) {
	t.Helper()
	ctx := context.Background()
	must(t, s.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: ep}))
	for i, d := range deployments {
		must(t, s.CreateOrUpdateDeployment(ctx, ep, dep(d, fmt.Sprint(i+1))))
	}
	if live != nil {
		must(t, setSplit(s, live, nil))
	}
}

func setSplit(s *Service, live, mirror map[string]int) error {
	return s.CreateOrUpdateEndpoint(context.Background(), &endpoint.Endpoint{Name: ep, Traffic: traffic.MustNew(live), Mirror: traffic.MustNew(mirror)})
}

func TestLatency(t *testing.T) {
	tests := []struct {
		name   string
		scale  float64
		op     func(s *Service) error
		want   time.Duration
		reason string
	}{
		{"create endpoint", 0, func(s *Service) error {
			return s.CreateOrUpdateEndpoint(context.Background(), &endpoint.Endpoint{Name: "other-ep"})
		}, time.Minute, "DESIGN §6: endpoint create 1 min"},
		{"update endpoint", 0, func(s *Service) error { return setSplit(s, map[string]int{"blue": 100}, nil) }, 30 * time.Second, "traffic updates are endpoint updates"},
		{"create deployment", 0, func(s *Service) error {
			return s.CreateOrUpdateDeployment(context.Background(), ep, dep("green", "2"))
		}, 10 * time.Minute, "deployment create about 10 min"},
		{"update deployment", 0, func(s *Service) error {
			return s.CreateOrUpdateDeployment(context.Background(), ep, dep("blue", "2"))
		}, 5 * time.Minute, "rolling update"},
		{"scale deployment", 0, func(s *Service) error { return s.ScaleDeployment(context.Background(), ep, "blue", 3) }, 12 * time.Minute, "scaling out is the slowest"},
		{"delete deployment", 0, func(s *Service) error { return s.DeleteDeployment(context.Background(), ep, "blue") }, 2 * time.Minute, "delete 2 min"},
		{"delete endpoint", 0, func(s *Service) error { return s.DeleteEndpoint(context.Background(), ep) }, 2 * time.Minute, "delete 2 min"},
		{"scaled create", 1e-3, func(s *Service) error {
			return s.CreateOrUpdateDeployment(context.Background(), ep, dep("green", "2"))
		}, 600 * time.Millisecond, "TimeScale shortens every latency"},
		{"scale of one", 1, func(s *Service) error {
			return s.CreateOrUpdateDeployment(context.Background(), ep, dep("green", "2"))
		}, 10 * time.Minute, "TimeScale 1 is real time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := New(Options{TimeScale: tt.scale})
				setup(t, s, nil, "blue")
				start := time.Now()
				must(t, tt.op(s))
				if got := time.Since(start); got != tt.want {
					t.Errorf("took %v, want %v (%s)", got, tt.want, tt.reason)
				}
			})
		})
	}
}

func TestNoLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Options{Latency: NoLatency()})
		start := time.Now()
		setup(t, s, map[string]int{"blue": 100}, "blue")
		must(t, s.ScaleDeployment(context.Background(), ep, "blue", 2))
		if d := time.Since(start); d != 0 {
			t.Errorf("operations took %v of simulated time, want none", d)
		}
	})
}

func TestDeploymentsOverlap(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprint("strict=", strict), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := New(Options{Strict: strict})
				setup(t, s, nil)
				start := time.Now()
				errs := make(chan error, 2)
				for _, d := range []string{"blue", "green"} {
					go func() { errs <- s.CreateOrUpdateDeployment(context.Background(), ep, dep(d, "1")) }()
					synctest.Wait()
				}
				e1, e2 := <-errs, <-errs
				if !strict {
					if e1 != nil || e2 != nil {
						t.Fatalf("creates on different deployments: %v, %v; want both to succeed", e1, e2)
					}
					if d := time.Since(start); d != 10*time.Minute {
						t.Errorf("two overlapping creates took %v, want 10m", d)
					}
					return
				}
				// The second create started while the first ran, so it is the
				// one refused; the first ends normally.
				if e2 != nil || !errors.Is(e1, backend.ErrConflict) {
					t.Fatalf("strict creates: %v, %v; want a Conflict and a success", e1, e2)
				}
				if !strings.Contains(e1.Error(), "operation in progress on deployment blue") {
					t.Errorf("conflict message %q does not name the busy deployment", e1)
				}
			})
		})
	}
}

func TestRules(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		call   func(s *Service) error
		kind   backend.Kind
		code   string
		msg    string
		reason string
	}{
		{"21st deployment", func(s *Service) error {
			for i := range 20 {
				if err := s.CreateOrUpdateDeployment(ctx, ep, dep(fmt.Sprintf("d%02d", i), "1")); err != nil {
					return err
				}
			}
			return s.CreateOrUpdateDeployment(ctx, ep, dep("d20", "1"))
		}, backend.Invalid, "BadArgument", "at most 20 deployments", "DESIGN §6: at most 20 deployments per endpoint"},
		{"compute", func(s *Service) error {
			return s.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: ep, Compute: "k8s"})
		}, backend.Invalid, "BadArgument", "compute of endpoint my-endpoint cannot change", "endpoint compute is immutable"},
		{"deployment kind", func(s *Service) error {
			d := dep("k", "1")
			d.Type = endpoint.Kubernetes
			return s.CreateOrUpdateDeployment(ctx, ep, d)
		}, backend.Invalid, "BadArgument", "type", "a managed endpoint takes managed deployments"},
		{"unresolved label", func(s *Service) error {
			d := dep("green", "1")
			d.Model = endpoint.Reference{Name: "m", Label: endpoint.LatestLabel}
			return s.CreateOrUpdateDeployment(ctx, ep, d)
		}, backend.Invalid, "BadArgument", "model of deployment green in endpoint my-endpoint is azureml:m@latest, a label the service does not resolve", "the service takes versions; clients resolve labels"},
		{"bad auth mode", func(s *Service) error {
			return s.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: ep, AuthMode: "password"})
		}, backend.Invalid, "BadArgument", "auth_mode", "key, aml_token or aad_token"},
		{"traffic to unknown", func(s *Service) error { return setSplit(s, map[string]int{"ghost": 100}, nil) },
			backend.NotFound, "NotFound", "Deployment ghost not found in endpoint my-endpoint", "the service's own message"},
		{"create endpoint with traffic", func(s *Service) error {
			return s.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: "new-ep", Traffic: traffic.MustNew(map[string]int{"blue": 100})})
		}, backend.NotFound, "NotFound", "Deployment blue not found in endpoint new-ep", "a new endpoint has no deployments yet"},
		{"scale to zero", func(s *Service) error { return s.ScaleDeployment(ctx, ep, "blue", 0) },
			backend.Invalid, "BadArgument", "instance_count", "a managed deployment needs an instance"},
		{"stale deployment etag", func(s *Service) error {
			d := dep("blue", "2")
			d.Status.ETag = `"1"`
			return s.CreateOrUpdateDeployment(ctx, ep, d)
		}, backend.Precondition, "PreconditionFailed", "changed since it was read", "If-Match"},
		{"etag on create", func(s *Service) error {
			d := dep("green", "2")
			d.Status.ETag = `"1"`
			return s.CreateOrUpdateDeployment(ctx, ep, d)
		}, backend.Precondition, "PreconditionFailed", "does not exist", "If-Match never matches a missing resource"},
		{"nil endpoint", func(s *Service) error { return s.CreateOrUpdateEndpoint(ctx, nil) },
			backend.Invalid, "BadArgument", "no endpoint", "nothing to write"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{Latency: NoLatency()})
			setup(t, s, nil, "blue")
			err := tt.call(s)
			var e *backend.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want a %v error (%s)", err, tt.kind, tt.reason)
			}
			if e.Kind != tt.kind || e.Code != tt.code || !strings.Contains(e.Message, tt.msg) {
				t.Errorf("err = %v, want %v %s containing %q (%s)", err, tt.kind, tt.code, tt.msg, tt.reason)
			}
		})
	}
}

// TestBusy checks the conflicts between operations in progress, with the
// first operation held in flight inside a bubble.
func TestBusy(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		first  func(s *Service) error
		second func(s *Service) error
		msg    string
		reason string
	}{
		{"deployment during endpoint create", func(s *Service) error {
			return s.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: "new-ep"})
		}, func(s *Service) error {
			return s.CreateOrUpdateDeployment(ctx, "new-ep", dep("blue", "1"))
		}, "Cannot create a deployment in endpoint new-ep because it is in Creating provisioning state", "the endpoint must exist first"},
		{"traffic during deployment create", func(s *Service) error {
			return s.CreateOrUpdateDeployment(ctx, ep, dep("green", "1"))
		}, func(s *Service) error {
			return setSplit(s, map[string]int{"blue": 100}, nil)
		}, "operation in progress on deployment green (Creating", "one endpoint-level operation at a time"},
		{"same deployment twice", func(s *Service) error {
			return s.ScaleDeployment(ctx, ep, "blue", 2)
		}, func(s *Service) error {
			return s.CreateOrUpdateDeployment(ctx, ep, dep("blue", "2"))
		}, "Deployment blue in endpoint my-endpoint is in Scaling provisioning state", "one operation per deployment"},
		{"scale during endpoint update", func(s *Service) error {
			return setSplit(s, map[string]int{"blue": 100}, nil)
		}, func(s *Service) error {
			return s.ScaleDeployment(ctx, ep, "blue", 2)
		}, "Cannot scale deployment blue in endpoint my-endpoint because the endpoint is in Updating provisioning state", "deployments wait for the endpoint"},
		{"write during endpoint delete", func(s *Service) error {
			return s.DeleteEndpoint(ctx, ep)
		}, func(s *Service) error {
			return s.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: ep})
		}, "is in Deleting provisioning state", "a deleting endpoint takes no writes"},
		{"delete during deployment delete", func(s *Service) error {
			return s.DeleteDeployment(ctx, ep, "blue")
		}, func(s *Service) error {
			return s.DeleteDeployment(ctx, ep, "blue")
		}, "is in Deleting provisioning state", "a second delete conflicts until the first ends"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := New(Options{})
				setup(t, s, nil, "blue")
				done := make(chan error, 1)
				go func() { done <- tt.first(s) }()
				synctest.Wait()
				err := tt.second(s)
				if !errors.Is(err, backend.ErrConflict) || !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("err = %v, want a Conflict containing %q (%s)", err, tt.msg, tt.reason)
				}
				must(t, <-done)
			})
		})
	}
}

func TestCancelLeavesOperationRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Options{})
		setup(t, s, nil)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err := s.CreateOrUpdateDeployment(ctx, ep, dep("blue", "1"))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the context's error", err)
		}
		e, _ := s.GetEndpoint(context.Background(), ep)
		if st := e.Deployment("blue").Status.ProvisioningState; st != endpoint.Creating {
			t.Errorf("state after the caller left = %s, want Creating: the service carries on", st)
		}
		time.Sleep(9*time.Minute + time.Second)
		e, _ = s.GetEndpoint(context.Background(), ep)
		if st := e.Deployment("blue").Status.ProvisioningState; st != endpoint.Succeeded {
			t.Errorf("state once the 10 min passed = %s, want Succeeded", st)
		}
		dead, stop := context.WithCancel(context.Background())
		stop()
		before := s.Calls()
		if err := s.ScaleDeployment(dead, ep, "blue", 2); !errors.Is(err, context.Canceled) {
			t.Errorf("call with an ended context: %v", err)
		}
		if fmt.Sprint(s.Calls()) != fmt.Sprint(before) {
			t.Error("a call whose context had ended was counted, but it never reached the service")
		}
	})
}

func TestFailProvisioning(t *testing.T) {
	ctx := context.Background()
	s := New(Options{Latency: NoLatency()})
	s.FailProvisioning(ep, "", "", "")
	err := s.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: ep})
	var e *backend.Error
	if !errors.As(err, &e) || e.Kind != backend.ProvisioningFailed || e.Code != "ProvisioningFailed" {
		t.Fatalf("err = %v, want ProvisioningFailed with the default code", err)
	}
	got, _ := s.GetEndpoint(ctx, ep)
	if got.Status.ProvisioningState != endpoint.Failed {
		t.Errorf("state = %s, want Failed", got.Status.ProvisioningState)
	}
	// The failure fires once: writing again repairs the endpoint.
	must(t, s.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: ep}))
	must(t, s.CreateOrUpdateDeployment(ctx, ep, dep("blue", "1")))
	s.FailProvisioning("MY-ENDPOINT", "blue", "OutOfQuota", "not enough cores")
	err = s.ScaleDeployment(ctx, ep, "blue", 5)
	if !errors.As(err, &e) || e.Code != "OutOfQuota" || e.Message != "not enough cores" {
		t.Fatalf("scale err = %v, want the armed failure (endpoint names ignore case)", err)
	}
	must(t, s.ScaleDeployment(ctx, ep, "blue", 2))
}

func TestETagsCount(t *testing.T) {
	s := New(Options{Latency: NoLatency()})
	setup(t, s, nil, "blue")
	e, _ := s.GetEndpoint(context.Background(), ep)
	// Create endpoint: "1" on accept, "2" at the end; blue: "3" and "4".
	if e.Status.ETag != `"2"` || e.Deployments[0].Status.ETag != `"4"` {
		t.Errorf("ETags = %s, %s; want \"2\" and \"4\": a counter, so runs repeat", e.Status.ETag, e.Deployments[0].Status.ETag)
	}
}

func TestCalls(t *testing.T) {
	ctx := context.Background()
	s := New(Options{Latency: NoLatency()})
	setup(t, s, map[string]int{"blue": 100}, "blue")
	_ = s.DeleteDeployment(ctx, ep, "blue") // refused: it has traffic
	_, _ = s.GetEndpoint(ctx, "missing")
	_, _ = s.Invoke(ctx, ep, backend.InvokeRequest{})
	want := "[{CreateOrUpdateDeployment 1} {CreateOrUpdateEndpoint 2} {DeleteDeployment 1} {GetEndpoint 1} {Invoke 1}]"
	if got := fmt.Sprint(s.Calls()); got != want {
		t.Errorf("Calls() = %s, want %s (sorted, refused calls included)", got, want)
	}
}
