package backendtest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/backend/backendtest"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
)

// brokenEnv names the broken backend a child process runs the suite on.
const brokenEnv = "BACKENDTEST_BROKEN"

type brokenBackend struct {
	name    string
	opts    fakes.Options
	i       fakes.Interceptor
	catches string
}

// broken returns backends that each break one rule, and the test of the
// suite that must catch it.
func broken() []brokenBackend {
	return []brokenBackend{
		{"deletes with traffic", fakes.Options{}, fakes.Interceptor{
			DeleteDeployment: func(context.Context, backend.Backend, string, string) error { return nil },
		}, "DeleteDeploymentWithTraffic"},
		{"no conflicts", fakes.Options{}, fakes.Interceptor{
			CreateOrUpdateEndpoint: func(ctx context.Context, next backend.Backend, e *endpoint.Endpoint) error {
				if err := next.CreateOrUpdateEndpoint(ctx, e); !errors.Is(err, backend.ErrConflict) {
					return err
				}
				return nil
			},
		}, "OverlappingEndpointOperations"},
		{"unsorted list", fakes.Options{}, fakes.Interceptor{
			ListEndpoints: func(ctx context.Context, next backend.Backend) ([]*endpoint.Endpoint, error) {
				list, err := next.ListEndpoints(ctx)
				slices.Reverse(list)
				return list, err
			},
		}, "ListEndpointsSorted"},
		{"instant operations", fakes.Options{Latency: fakes.NoLatency()}, fakes.Interceptor{}, "ProvisioningStates"},
		{"routes to one deployment", fakes.Options{}, fakes.Interceptor{
			Invoke: func(ctx context.Context, next backend.Backend, ep string, req backend.InvokeRequest) (*backend.InvokeResponse, error) {
				if req.Deployment == "" {
					req.Deployment = "blue"
				}
				return next.Invoke(ctx, ep, req)
			},
		}, "InvokeRoutesBySplit"},
		{"dark endpoint serves", fakes.Options{}, fakes.Interceptor{
			Invoke: func(ctx context.Context, next backend.Backend, ep string, req backend.InvokeRequest) (*backend.InvokeResponse, error) {
				resp, err := next.Invoke(ctx, ep, req)
				if err == nil && resp.Status == 404 {
					resp.Status = 200
				}
				return resp, err
			},
		}, "DarkEndpoint"},
	}
}

// TestSuiteCatchesBrokenBackends runs the suite in a child process on
// backends that each break one rule, and checks that it fails the test for
// that rule: a conformance suite that passes anything is worthless.
func TestSuiteCatchesBrokenBackends(t *testing.T) {
	if name := os.Getenv(brokenEnv); name != "" {
		for _, b := range broken() {
			if b.name == name {
				backendtest.TestBackend(t, backendtest.Harness{
					New:          func(*testing.T) backend.Backend { return fakes.Intercept(fakes.New(b.opts), b.i) },
					Synctest:     true,
					ExactRouting: true,
				})
				return
			}
		}
		t.Fatalf("no broken backend %q", name)
	}
	if testing.Short() {
		t.Skip("starts a child process per broken backend")
	}
	for _, b := range broken() {
		t.Run(b.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestSuiteCatchesBrokenBackends$", "-test.v")
			cmd.Env = append(os.Environ(), brokenEnv+"="+b.name)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a backend that breaks a rule (%s)", b.name)
			}
			if !strings.Contains(string(out), "--- FAIL: TestSuiteCatchesBrokenBackends/"+b.catches+" ") {
				t.Errorf("the suite did not fail %s for a backend that %s:\n%s", b.catches, b.name, out)
			}
		})
	}
}

// TestMinimalHarness runs the suite with only the required harness fields,
// as a backend that cannot fail provisioning on demand and routes randomly
// would: the provisioning test is skipped and routing is checked with slack.
func TestMinimalHarness(t *testing.T) {
	backendtest.TestBackend(t, backendtest.Harness{
		New:      func(*testing.T) backend.Backend { return fakes.New(fakes.Options{}) },
		Synctest: true,
	})
}
