package azureml_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/backend/azureml"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
	"github.com/rolloutkit/rollout/plan"
	"github.com/rolloutkit/rollout/traffic"
)

// writes counts the control-plane writes an emulator receives, by method
// and resource kind ("PUT endpoint", "PATCH deployment"); actions (POST:
// listKeys for scoring) are not writes of the rollout.
type writes struct {
	next http.Handler
	mu   sync.Mutex
	n    map[string]int
}

func (w *writes) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost && strings.Contains(r.URL.Path, "/onlineEndpoints/") {
		kind := "endpoint"
		if strings.Contains(r.URL.Path, "/deployments/") {
			kind = "deployment"
		}
		w.mu.Lock()
		w.n[r.Method+" "+kind]++
		w.mu.Unlock()
	}
	w.next.ServeHTTP(rw, r)
}

func (w *writes) take() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := w.n
	w.n = map[string]int{}
	return n
}

func tutorialDeployment(name string, version, count int) endpoint.Deployment {
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

// newTLSBackend serves an emulator over TLS, with the service's latencies
// scaled down a thousand times, and returns a Backend talking to it.
func newTLSBackend(t *testing.T) (*azureml.Backend, *writes) {
	svc := fakes.New(fakes.Options{TimeScale: 1e-3})
	w := &writes{next: rest.New(svc, rest.Options{RetryAfter: 5 * time.Millisecond}), n: map[string]int{}}
	srv := httptest.NewTLSServer(w)
	t.Cleanup(srv.Close)
	b, err := azureml.New(azureml.Scope{
		Subscription:  "00000000-1111-2222-3333-444444444444",
		ResourceGroup: "ml-rg",
		Workspace:     "ml-ws",
	}, &fake.TokenCredential{}, &azureml.Options{
		Location:      "westeurope",
		PollFrequency: time.Millisecond,
		ClientOptions: &arm.ClientOptions{
			ClientOptions: policy.ClientOptions{
				Transport: srv.Client(),
				Cloud:     azureml.CloudFor(srv.URL, "https://management.core.windows.net/"),
			},
			DisableRPRegistration: true,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b, w
}

// TestTutorialOverTLS applies the six desired states of the safe-rollout
// tutorial with rollout.Run through the Backend, a TLS server and the
// emulator: each state converges with the writes the tutorial needs and no
// more, and the endpoint answers from the deployments the split names.
func TestTutorialOverTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time waits; -short skips them")
	}
	b, w := newTLSBackend(t)
	blue1, blue2, green := tutorialDeployment("blue", 1, 1), tutorialDeployment("blue", 1, 2), tutorialDeployment("green", 2, 2)
	ep := func(live string, deps ...endpoint.Deployment) []*endpoint.Endpoint {
		return []*endpoint.Endpoint{{Name: "my-endpoint", AuthMode: endpoint.AuthKey, Traffic: traffic.MustParse(live), Deployments: deps}}
	}
	tests := []struct {
		desired []*endpoint.Endpoint
		writes  map[string]int
		reason  string
	}{
		{ep("blue=100", blue1), map[string]int{"PUT endpoint": 2, "PUT deployment": 1}, "the endpoint, blue, then its traffic"},
		{ep("blue=100", blue2), map[string]int{"PATCH deployment": 1}, "scaling is a PATCH of the sku"},
		{ep("blue=100", blue2, green), map[string]int{"PUT deployment": 1}, "green with no traffic"},
		{ep("blue=90 green=10", blue2, green), map[string]int{"PUT endpoint": 1}, "one endpoint PUT with the whole split"},
		{ep("green=100", blue2, green), map[string]int{"PUT endpoint": 1}, "all traffic to green"},
		{ep("green=100", green), map[string]int{"DELETE deployment": 1}, "blue deleted once it has no traffic"},
	}
	for i, tt := range tests {
		if _, err := rollout.Run(t.Context(), b, tt.desired, plan.Options{}); err != nil {
			t.Fatalf("state %d (%s): %v", i+1, tt.reason, err)
		}
		if got := w.take(); fmt.Sprint(got) != fmt.Sprint(tt.writes) {
			t.Errorf("state %d (%s): writes %v, want %v", i+1, tt.reason, got, tt.writes)
		}
		actual, err := b.ListEndpoints(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		p, err := plan.Compute(tt.desired, actual, plan.Options{})
		if err != nil || !p.Empty() {
			t.Fatalf("state %d (%s): not converged (%v):\n%s", i+1, tt.reason, err, p)
		}
		counts := map[string]int{}
		for range 100 {
			resp, err := b.Invoke(t.Context(), "my-endpoint", backend.InvokeRequest{Body: []byte(`{}`)})
			if err != nil {
				t.Fatal(err)
			}
			counts[resp.Deployment]++
		}
		want := tt.desired[0].Traffic
		for _, e := range want.Entries() {
			if counts[e.Name] != e.Percent {
				t.Errorf("state %d: 100 requests split %v, want %v", i+1, counts, want)
				break
			}
		}
	}
}

// TestTutorialCorpusFilesMissing: the tutorial's own files name a local
// model, code folder and conda file that the corpus does not hold. This
// backend would upload them, so the run is refused before anything is
// written, at the first such field in its file, naming the path.
func TestTutorialCorpusFilesMissing(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "azureml-examples", "canary-declarative-flow", "2021-08-05")
	file := filepath.Join(dir, "1-create-endpoint-with-blue.yml")
	desired, err := endpoint.Load(file)
	if err != nil {
		t.Skipf("corpus tutorial not loadable here: %v", err)
	}
	b, w := newTLSBackend(t)
	_, err = rollout.Run(t.Context(), b, desired, plan.Options{})
	want := file + ":17:21: deployments[0].code_configuration.code: local code \"../../model-1/onlinescoring\": no files were found"
	if !errors.Is(err, rollout.ErrInvalidPlan) || !strings.HasPrefix(fmt.Sprint(err), want) {
		t.Fatalf("Run = %v, want an invalid plan placed at the code folder: %s", err, want)
	}
	if got := w.take(); len(got) != 0 {
		t.Errorf("writes %v: the refusal came after a write", got)
	}
}

// TestTutorialWithHTTPFaults applies the tutorial through a wire that
// throttles, fails and drops one request in five (seeded): every state is
// reached, with Run again after a failure as the design says, every error
// on the way is retryable, and the endpoint never stops serving once it
// has served.
func TestTutorialWithHTTPFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		served := false
		var broken []string
		svc := fakes.New(fakes.Options{NoHistory: true, OnState: func(st fakes.State) {
			e := st.Endpoint("my-endpoint")
			if e == nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			switch total := e.Traffic.Total(); {
			case total == 100:
				served = true
			case total != 0 || served:
				broken = append(broken, fmt.Sprintf("state %d (%s %s): traffic %v", st.Seq, st.Op, st.Target, e.Traffic))
			}
		}})
		srv := rest.New(svc, rest.Options{
			RetryAfter: 10 * time.Second,
			BaseURL:    "https://management.test",
			Seed:       5,
			Faults: []fakes.Rule{
				{Probability: 0.08, Fault: fakes.Fault{Kind: fakes.Throttle, RetryAfter: 3 * time.Second}},
				{Probability: 0.08, Fault: fakes.Fault{Kind: fakes.ServerError}},
				{Probability: 0.04, Fault: fakes.Fault{Kind: fakes.DropRequest}},
			},
		})
		wire := &faultCounter{next: srv.Transport()}
		b, err := azureml.New(azureml.Scope{
			Subscription:  "00000000-1111-2222-3333-444444444444",
			ResourceGroup: "ml-rg",
			Workspace:     "ml-ws",
		}, &fake.TokenCredential{}, &azureml.Options{
			Location: "westeurope",
			ClientOptions: &arm.ClientOptions{
				ClientOptions: policy.ClientOptions{
					Transport: wire,
					Cloud:     azureml.CloudFor("https://management.test", "https://management.core.windows.net/"),
				},
				DisableRPRegistration: true,
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		blue1, blue2, green := tutorialDeployment("blue", 1, 1), tutorialDeployment("blue", 1, 2), tutorialDeployment("green", 2, 2)
		ep := func(live string, deps ...endpoint.Deployment) []*endpoint.Endpoint {
			return []*endpoint.Endpoint{{Name: "my-endpoint", AuthMode: endpoint.AuthKey, Traffic: traffic.MustParse(live), Deployments: deps}}
		}
		states := [][]*endpoint.Endpoint{
			ep("blue=100", blue1), ep("blue=100", blue2), ep("blue=100", blue2, green),
			ep("blue=90 green=10", blue2, green), ep("green=100", blue2, green), ep("green=100", green),
		}
		failures := 0
		for i, desired := range states {
			for attempt := 1; ; attempt++ {
				_, err := rollout.Run(t.Context(), b, desired, plan.Options{})
				if err == nil {
					break
				}
				failures++
				if !backend.IsRetryable(err) && !errors.Is(err, plan.ErrBusy) {
					t.Errorf("state %d: a fault on the wire became a permanent failure: %v", i+1, err)
				}
				if attempt == 5 {
					t.Fatalf("state %d: not reached after %d runs: %v", i+1, attempt, err)
				}
			}
			actual, err := b.ListEndpoints(t.Context())
			for err != nil {
				actual, err = b.ListEndpoints(t.Context())
			}
			if p, err := plan.Compute(desired, actual, plan.Options{}); err != nil || !p.Empty() {
				t.Fatalf("state %d: not converged (%v):\n%s", i+1, err, p)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, b := range broken {
			t.Error("the endpoint stopped serving:", b)
		}
		if wire.faults == 0 {
			t.Error("no fault fired: the test tests nothing")
		}
		t.Logf("%d faults on %d requests; %d runs failed and were run again", wire.faults, wire.requests, failures)
	})
}

// faultCounter counts the requests that got a 429, a 5xx or no answer.
type faultCounter struct {
	next             policy.Transporter
	mu               sync.Mutex
	requests, faults int
}

func (f *faultCounter) Do(r *http.Request) (*http.Response, error) {
	resp, err := f.next.Do(r)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if err != nil || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		f.faults++
	}
	return resp, err
}
