package azureml

import (
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/backend/backendtest"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
)

// services remembers which in-memory service stands behind each Backend a
// harness made, for the harness's FailProvisioning.
type services struct {
	mu sync.Mutex
	m  map[backend.Backend]*fakes.Service
}

func (s *services) add(b backend.Backend, svc *fakes.Service) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[backend.Backend]*fakes.Service{}
	}
	s.m[b] = svc
}

func (s *services) failProvisioning(t *testing.T, b backend.Backend, ep, dep string) {
	s.mu.Lock()
	svc := s.m[b]
	s.mu.Unlock()
	if svc == nil {
		t.Fatal("backend not made by this harness")
	}
	svc.FailProvisioning(ep, dep, "ImageBuildFailure", "the image did not build")
}

func emulatorOptions(transport policy.Transporter, endpointURL string) *Options {
	return &Options{
		Location:      "westeurope",
		PollFrequency: time.Second,
		ClientOptions: &arm.ClientOptions{
			ClientOptions: policy.ClientOptions{
				Transport: transport,
				Cloud:     CloudFor(endpointURL, "https://management.core.windows.net/"),
			},
			DisableRPRegistration: true,
		},
	}
}

// TestConformanceInProcess runs the conformance suite through the whole
// client (pipeline, pollers, throttle) against the emulator called in
// process, inside synctest bubbles, with the service's real latencies.
func TestConformanceInProcess(t *testing.T) {
	var svcs services
	backendtest.TestBackend(t, backendtest.Harness{
		NoETags: true,
		New: func(t *testing.T) backend.Backend {
			svc := fakes.New(fakes.Options{})
			// Polling every 10 s of a 10-minute create keeps the bubble
			// quick; the client honours the emulator's Retry-After.
			srv := rest.New(svc, rest.Options{
				Subscription: testScope.Subscription, ResourceGroup: testScope.ResourceGroup, Workspace: testScope.Workspace,
				RetryAfter: 10 * time.Second,
				BaseURL:    "https://management.test",
			})
			b, err := New(testScope, &fake.TokenCredential{}, emulatorOptions(srv.Transport(), "https://management.test"))
			if err != nil {
				t.Fatal(err)
			}
			svcs.add(b, svc)
			return b
		},
		Synctest:         true,
		FailProvisioning: svcs.failProvisioning,
		ExactRouting:     true,
		Kubernetes:       true,
	})
}

// TestConformanceTLS runs the conformance suite over a real TLS server, with
// operations short enough for a test and long enough to be seen in
// progress on a loaded machine under -race: every operation the suite
// watches in flight takes at least 300 ms of real time (at the service's
// own proportions scaled a thousand times, an endpoint update took 30 ms,
// which a busy machine could miss).
func TestConformanceTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time waits; -short skips them")
	}
	var svcs services
	backendtest.TestBackend(t, backendtest.Harness{
		NoETags: true,
		New: func(t *testing.T) backend.Backend {
			svc := fakes.New(fakes.Options{Latency: &fakes.Latency{
				CreateEndpoint:   300 * time.Millisecond,
				UpdateEndpoint:   300 * time.Millisecond,
				DeleteEndpoint:   300 * time.Millisecond,
				CreateDeployment: 600 * time.Millisecond,
				UpdateDeployment: 300 * time.Millisecond,
				ScaleDeployment:  300 * time.Millisecond,
				DeleteDeployment: 300 * time.Millisecond,
			}})
			srv := httptest.NewTLSServer(rest.New(svc, rest.Options{}))
			t.Cleanup(srv.Close)
			o := emulatorOptions(srv.Client(), srv.URL)
			o.PollFrequency = time.Millisecond
			// The suite polls as fast as it can to see operations in
			// progress; ARM's read rate would slow it past them.
			o.Throttle.Disabled = true
			b, err := New(testScope, &fake.TokenCredential{}, o)
			if err != nil {
				t.Fatal(err)
			}
			svcs.add(b, svc)
			return b
		},
		FailProvisioning: svcs.failProvisioning,
		ExactRouting:     true,
		PollInterval:     2 * time.Millisecond,
	})
}

// TestResumeAfterRestart: a 10-minute deployment create started by one
// process is finished by another from the resume token alone.
func TestResumeAfterRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := fakes.New(fakes.Options{NoHistory: true})
		srv := rest.New(svc, rest.Options{RetryAfter: 10 * time.Second, BaseURL: "https://management.test"})
		newBackend := func() *Backend {
			b, err := New(testScope, &fake.TokenCredential{}, emulatorOptions(srv.Transport(), "https://management.test"))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		ctx := t.Context()
		first := newBackend()
		if err := first.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: "churn"}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		op, err := first.BeginCreateOrUpdateDeployment(ctx, "churn", blue)
		if err != nil {
			t.Fatal(err)
		}
		token, err := op.ResumeToken()
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Minute)

		resumed, err := newBackend().Resume(token)
		if err != nil {
			t.Fatal(err)
		}
		if err := resumed.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < 10*time.Minute || took > 10*time.Minute+10*time.Second {
			t.Errorf("resumed operation ended after %v, want the create's 10 minutes (polled every 10 s)", took)
		}
		e, err := newBackend().GetEndpoint(ctx, "churn")
		if err != nil {
			t.Fatal(err)
		}
		if d := e.Deployment("blue"); d == nil || d.Status.ProvisioningState != endpoint.Succeeded {
			t.Errorf("after the resumed wait, blue is %+v, want Succeeded", d)
		}
	})
}
