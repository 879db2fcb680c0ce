package rest_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
)

// call is one client call made at both levels: as a method of the
// service, and as the request the REST protocol sends for it.
type call struct {
	name         string
	service      func(ctx context.Context, b backend.Backend) error
	method, path string
	body         string
}

var blueSpec = endpoint.Deployment{Name: "blue", Model: endpoint.Reference{Name: "m", Version: "1"}, InstanceType: "Standard_DS3_v2", InstanceCount: 1}

// oneModelCalls are a client's calls on endpoint churn and deployment
// blue: every operation a rule can select at both levels.
func oneModelCalls() []call {
	calls := []call{
		{"create endpoint", func(ctx context.Context, b backend.Backend) error {
			return b.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: "churn", AuthMode: endpoint.AuthAADToken})
		}, http.MethodPut, "/onlineEndpoints/churn", `{"location": "eastus", "properties": {"authMode": "AADToken"}}`},
		{"create blue", func(ctx context.Context, b backend.Backend) error {
			return b.CreateOrUpdateDeployment(ctx, "churn", blueSpec)
		}, http.MethodPut, "/onlineEndpoints/churn/deployments/blue", deploymentJSON},
	}
	for i := range 12 {
		n := i%3 + 1
		calls = append(calls,
			call{"get endpoint", func(ctx context.Context, b backend.Backend) error {
				_, err := b.GetEndpoint(ctx, "churn")
				return err
			}, http.MethodGet, "/onlineEndpoints/churn", ""},
			call{fmt.Sprintf("scale blue to %d", n), func(ctx context.Context, b backend.Backend) error {
				return b.ScaleDeployment(ctx, "churn", "blue", n)
			}, http.MethodPatch, "/onlineEndpoints/churn/deployments/blue", fmt.Sprintf(`{"sku": {"capacity": %d}}`, n)},
			call{"get keys", func(ctx context.Context, b backend.Backend) error {
				_, err := b.GetKeys(ctx, "churn")
				return err
			}, http.MethodPost, "/onlineEndpoints/churn/listKeys", ""},
			call{"invoke blue", func(ctx context.Context, b backend.Backend) error {
				resp, err := b.Invoke(ctx, "churn", backend.InvokeRequest{Deployment: "blue", Body: []byte(`{}`)})
				if err == nil && resp.Status != http.StatusOK {
					err = fmt.Errorf("invoke answered %d", resp.Status)
				}
				return err
			}, http.MethodPost, "https://management.example/score/churn", `{}`},
		)
	}
	return append(calls, call{"delete blue", func(ctx context.Context, b backend.Backend) error {
		return b.DeleteDeployment(ctx, "churn", "blue")
	}, http.MethodDelete, "/onlineEndpoints/churn/deployments/blue", ""})
}

// oneModelRules select by operation, target, Skip, Count and seeded
// Probability, with every kind of fault that fails a call; blue's create
// is skipped, so that every call that fails fails by a fault.
var oneModelRules = []fakes.Rule{
	{Ops: []fakes.Op{fakes.OpGetEndpoint}, Endpoint: "CHURN", Skip: 1, Count: 3, Fault: fakes.Fault{Kind: fakes.Throttle}},
	{Ops: fakes.Writes(), Deployment: "blue", Skip: 1, Probability: 0.4, Fault: fakes.Fault{Kind: fakes.ServerError}},
	{Ops: []fakes.Op{fakes.OpInvoke, fakes.OpGetKeys}, Probability: 0.3, Fault: fakes.Fault{Kind: fakes.DropRequest}},
	{Ops: []fakes.Op{fakes.OpScaleDeployment}, Count: 3, Fault: fakes.Fault{Kind: fakes.DropResponse}},
	{Ops: []fakes.Op{fakes.OpGetKeys}, Endpoint: "other", Fault: fakes.Fault{Kind: fakes.ServerError}},
}

// TestFaultsOneModel: the same rules and seed fail the same calls, the same
// number of times, whether they are applied to the service's methods or to
// the emulator's requests.
func TestFaultsOneModel(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				calls := oneModelCalls()
				svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
				f := fakes.NewFaults(seed, oneModelRules...)
				b := f.Wrap(svc)
				var atService strings.Builder
				for _, c := range calls {
					atService.WriteString(outcome(c.service(t.Context(), b) == nil))
					synctest.Wait()
				}
				srv := rest.New(fakes.New(fakes.Options{Latency: fakes.NoLatency()}), rest.Options{Seed: seed, Faults: oneModelRules})
				var overHTTP strings.Builder
				for _, c := range calls {
					overHTTP.WriteString(outcome(send(t, srv, c)))
					synctest.Wait()
				}
				a, h := atService.String(), overHTTP.String()
				if a != h {
					t.Errorf("service level %s\nover HTTP     %s\nwant the same calls failed", a, h)
				}
				if !strings.Contains(a, "x") || !strings.Contains(a, ".") {
					t.Errorf("service level %s: want some calls failed and some not", a)
				}
				injected, overHTTPInjected := fmt.Sprint(f.Injected()), fmt.Sprint(srv.Injected())
				if injected != overHTTPInjected {
					t.Errorf("injected at the service level %s, over HTTP %s", injected, overHTTPInjected)
				}
				n := 0
				for _, c := range f.Injected() {
					n += c.N
				}
				if failed := strings.Count(a, "x"); failed != n {
					t.Errorf("%d calls failed, %d faults injected: a call failed on its own (%s)", failed, n, a)
				}
			})
		})
	}
}

func outcome(ok bool) string {
	if ok {
		return "."
	}
	return "x"
}

// send makes c's request through the in-process transport and reports
// whether it was answered with success.
func send(t *testing.T, srv *rest.Server, c call) bool {
	t.Helper()
	u := c.path
	if !strings.HasPrefix(u, "https://") {
		u = armBase + u + "?api-version=2024-10-01"
	}
	req, err := http.NewRequest(c.method, u, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer t")
	req.Header.Set("azureml-model-deployment", "blue")
	resp, err := srv.Transport().Do(req)
	if err != nil {
		return false
	}
	readAll(t, resp)
	return resp.StatusCode < 300
}

// TestFaultForms: each kind of fault has its HTTP form.
func TestFaultForms(t *testing.T) {
	tests := []struct {
		name     string
		fault    fakes.Fault
		status   int // 0: the connection is dropped
		header   string
		happened bool
		elapsed  time.Duration
		reason   string
	}{
		{"throttle", fakes.Fault{Kind: fakes.Throttle, RetryAfter: 7 * time.Second}, 429, "7", false, 0, "429 with the wait in Retry-After"},
		{"throttle default wait", fakes.Fault{Kind: fakes.Throttle}, 429, "1", false, 0, "a 429 always carries Retry-After"},
		{"server error", fakes.Fault{Kind: fakes.ServerError}, 500, "", false, 0, "500 with an ARM body"},
		{"drop request", fakes.Fault{Kind: fakes.DropRequest}, 0, "", false, 0, "dropped before it was served"},
		{"drop response", fakes.Fault{Kind: fakes.DropResponse}, 0, "", true, 0, "served, then dropped"},
		{"slow", fakes.Fault{Kind: fakes.Slow, Delay: time.Hour}, 202, "", true, time.Hour, "served an hour late"},
		{"fail provisioning", fakes.Fault{Kind: fakes.FailProvisioning, Code: "OutOfQuota", Message: "Not enough quota"}, 202, "", true, 0, "accepted; the operation ends Failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
				ctx := t.Context()
				if err := svc.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: "churn"}); err != nil {
					t.Fatal(err)
				}
				if err := svc.CreateOrUpdateDeployment(ctx, "churn", blueSpec); err != nil {
					t.Fatal(err)
				}
				srv := rest.New(svc, rest.Options{Faults: []fakes.Rule{{Ops: []fakes.Op{fakes.OpScaleDeployment}, Deployment: "blue", Fault: tt.fault}}})
				req, err := http.NewRequest(http.MethodPatch, armBase+"/onlineEndpoints/churn/deployments/blue?api-version=2024-10-01", strings.NewReader(`{"sku": {"capacity": 2}}`))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer t")
				start := time.Now()
				resp, err := srv.Transport().Do(req)
				status, header := 0, ""
				if err == nil {
					readAll(t, resp)
					status, header = resp.StatusCode, resp.Header.Get("Retry-After")
				}
				if status != tt.status || (tt.header != "" && header != tt.header) {
					t.Errorf("answer %d Retry-After %q, want %d %q (%s)", status, header, tt.status, tt.header, tt.reason)
				}
				if got := time.Since(start); got != tt.elapsed {
					t.Errorf("took %v, want %v (%s)", got, tt.elapsed, tt.reason)
				}
				synctest.Wait()
				e, _ := svc.Peek("churn")
				blue := e.Deployment("blue")
				if happened := blue.InstanceCount == 2; happened != tt.happened {
					t.Errorf("scale happened = %v, want %v (%s)", happened, tt.happened, tt.reason)
				}
				wantState := endpoint.Succeeded
				if tt.fault.Kind == fakes.FailProvisioning {
					wantState = endpoint.Failed
				}
				if blue.Status.ProvisioningState != wantState {
					t.Errorf("provisioning state %s, want %s (%s)", blue.Status.ProvisioningState, wantState, tt.reason)
				}
				if got, want := fmt.Sprint(srv.Injected()), "[{ScaleDeployment: "+tt.fault.Kind.String()+" 1}]"; got != want {
					t.Errorf("Injected() = %s, want %s", got, want)
				}
			})
		})
	}
}

// TestFaultRefusedProvisioning: a provisioning failure injected into a
// request the service refuses does not fire on a later one.
func TestFaultRefusedProvisioning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
		srv := rest.New(svc, rest.Options{Faults: []fakes.Rule{{Ops: []fakes.Op{fakes.OpCreateOrUpdateDeployment}, Count: 1, Fault: fakes.Fault{Kind: fakes.FailProvisioning, Code: "OutOfQuota"}}}})
		c := inProcess{t: t, tr: srv.Transport()}
		if r := c.do(http.MethodPut, "/onlineEndpoints/churn/deployments/blue", deploymentJSON); r.status != http.StatusNotFound {
			t.Fatalf("a deployment of a missing endpoint: %d %s", r.status, r.body)
		}
		c.do(http.MethodPut, "/onlineEndpoints/churn", `{"location": "eastus", "properties": {"authMode": "Key"}}`)
		synctest.Wait()
		r := c.do(http.MethodPut, "/onlineEndpoints/churn/deployments/blue", deploymentJSON)
		synctest.Wait()
		if st := c.status(r); st["status"] != "Succeeded" {
			t.Errorf("the failure of a refused request fired on the next: %v", st)
		}
	})
}
