package azureml

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
	"github.com/rolloutkit/rollout/traffic"
)

// newEmulated returns a Backend on the emulator called in process, over an
// in-memory service with the real latencies: to be used inside a synctest
// bubble.
func newEmulated(t *testing.T, faults []fakes.Rule) *Backend {
	svc := fakes.New(fakes.Options{NoHistory: true})
	srv := rest.New(svc, rest.Options{RetryAfter: 10 * time.Second, BaseURL: "https://management.test", Faults: faults, Seed: 1})
	b, err := New(testScope, &fake.TokenCredential{}, emulatorOptions(srv.Transport(), "https://management.test"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var blue = endpoint.Deployment{Name: "blue", Model: endpoint.Reference{Name: "m", Version: "1"}, InstanceType: "Standard_DS3_v2", InstanceCount: 1}

// putBlue selects the PUTs of deployment blue of churn: the first count
// of them, or all when count is 0.
func putBlue(count int, f fakes.Fault) fakes.Rule {
	return fakes.Rule{Ops: []fakes.Op{fakes.OpCreateOrUpdateDeployment}, Endpoint: "churn", Deployment: "blue", Count: count, Fault: f}
}

// TestHTTPFaults: transient faults are retried by the pipeline and nothing
// is lost; faults that outlast the retries are reported with the kind and
// the wait the design says.
func TestHTTPFaults(t *testing.T) {
	tests := []struct {
		name   string
		rule   fakes.Rule
		kind   backend.Kind // Internal means success
		after  time.Duration
		reason string
	}{
		{"short 429 storm", putBlue(3, fakes.Fault{Kind: fakes.Throttle, RetryAfter: 5 * time.Second}), backend.Internal, 0, "three 429s fit in the pipeline's retries"},
		{"long 429 storm", putBlue(0, fakes.Fault{Kind: fakes.Throttle, RetryAfter: 5 * time.Second}), backend.Throttled, 5 * time.Second, "the service's wait is passed on to the caller"},
		{"500s", putBlue(2, fakes.Fault{Kind: fakes.ServerError}), backend.Internal, 0, "transient failures are retried"},
		{"persistent 500", putBlue(0, fakes.Fault{Kind: fakes.ServerError}), backend.Unavailable, 0, "reported as retryable for the executor"},
		{"dropped polls", fakes.Rule{Ops: []fakes.Op{fakes.OpPollOperation}, Count: 2, Fault: fakes.Fault{Kind: fakes.DropRequest}}, backend.Internal, 0, "a lost poll is polled again"},
		{"dropped writes", putBlue(1, fakes.Fault{Kind: fakes.DropRequest}), backend.Internal, 0, "a PUT is idempotent, so it is sent again"},
		{"lost answer of a PUT", putBlue(1, fakes.Fault{Kind: fakes.DropResponse}), backend.Internal, 0, "the PUT sent again meets its own operation running (409): it waits for that operation instead"},
		{"dropped reads", fakes.Rule{Ops: []fakes.Op{fakes.OpGetDeployment, fakes.OpListDeployments}, Fault: fakes.Fault{Kind: fakes.DropRequest}}, backend.Unavailable, 0, "a connection that keeps dropping is transient, not internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := newEmulated(t, []fakes.Rule{tt.rule})
				ctx := t.Context()
				if err := b.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: "churn"}); err != nil {
					t.Fatal(err)
				}
				err := b.CreateOrUpdateDeployment(ctx, "churn", blue)
				if err == nil && tt.kind == backend.Internal {
					_, err = b.GetEndpoint(ctx, "churn")
				}
				if tt.kind == backend.Internal {
					if err != nil {
						t.Fatalf("%s: %v", tt.reason, err)
					}
					return
				}
				e, ok := errors.AsType[*backend.Error](err)
				if !ok || e.Kind != tt.kind || e.RetryAfter != tt.after || !e.Retryable() {
					t.Fatalf("%s: err = %v, want retryable %v after %v", tt.reason, err, tt.kind, tt.after)
				}
			})
		})
	}
}

// armBuckets answers 429 as ARM does when a principal's bucket is empty:
// an implementation independent of the client's, which refuses instead of
// waiting, so that a client that sends too fast is caught.
type armBuckets struct {
	next      policy.Transporter
	mu        sync.Mutex
	buckets   map[bool]*armBucket // by "is a write"
	throttled int
	reads     int
}

type armBucket struct {
	tokens, burst, rate float64
	last                time.Time
}

func (a *armBuckets) Do(r *http.Request) (*http.Response, error) {
	a.mu.Lock()
	bk := a.buckets[r.Method != http.MethodGet]
	if r.Method == http.MethodGet {
		a.reads++
	}
	now := time.Now()
	bk.tokens = math.Min(bk.burst, bk.tokens+now.Sub(bk.last).Seconds()*bk.rate)
	bk.last = now
	// Simulated time is exact, but float sums of rates are not.
	ok := bk.tokens >= 1-1e-9
	if ok {
		bk.tokens--
	} else {
		a.throttled++
	}
	a.mu.Unlock()
	if !ok {
		h := http.Header{"Retry-After": {"1"}, "Content-Type": {"application/json"}}
		return &http.Response{StatusCode: 429, Header: h, Request: r,
			Body: io.NopCloser(strings.NewReader(`{"error":{"code":"TooManyRequests","message":"throttled"}}`))}, nil
	}
	return a.next.Do(r)
}

// TestFleet: 200 endpoints rolled out at once through one Backend (create,
// deploy blue, send it all traffic) against a service that enforces ARM's
// buckets: not one call is throttled, and every endpoint ends serving.
// Without the client's throttle the same fleet draws 429s, which shows the
// service's buckets bite.
func TestFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("200 endpoints; -short skips them")
	}
	for _, throttled := range []bool{true, false} {
		t.Run(fmt.Sprintf("throttle=%v", throttled), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { testFleet(t, throttled) })
		})
	}
}

func testFleet(t *testing.T, throttle bool) {
	arm := &armBuckets{}
	svc := fakes.New(fakes.Options{NoHistory: true})
	// One page holds the whole fleet, so that each list is one read.
	srv := rest.New(svc, rest.Options{RetryAfter: 10 * time.Second, BaseURL: "https://management.test", PageSize: 1000})
	start := time.Now()
	arm.next = srv.Transport()
	arm.buckets = map[bool]*armBucket{
		true:  {tokens: 200, burst: 200, rate: 10, last: start},
		false: {tokens: 250, burst: 250, rate: 25, last: start},
	}
	o := emulatorOptions(arm, "https://management.test")
	o.Throttle.Disabled = !throttle
	b, err := New(testScope, &fake.TokenCredential{}, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make([]error, 200)
	for i := range errs {
		wg.Go(func() {
			name := fmt.Sprintf("fleet-%03d", i)
			if err := b.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: name}); err != nil {
				errs[i] = err
				return
			}
			if err := b.CreateOrUpdateDeployment(ctx, name, blue); err != nil {
				errs[i] = err
				return
			}
			errs[i] = b.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: name, Traffic: traffic.MustNew(map[string]int{"blue": 100})})
		})
	}
	wg.Wait()
	if !throttle {
		if arm.throttled == 0 {
			t.Error("without the client's throttle no call was throttled: the service's buckets do not bite")
		}
		return
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	t.Logf("fleet of 200 rolled out in %v simulated", time.Since(start))
	// Observing the fleet, as Run does first, is N+1 list reads: the
	// endpoints, then each one's deployments.
	observed := time.Now()
	arm.mu.Lock()
	readsBefore := arm.reads
	arm.mu.Unlock()
	list, err := b.ListEndpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fleet of 200 observed in %v simulated", time.Since(observed))
	if reads := arm.reads - readsBefore; reads != 201 {
		t.Errorf("observing 200 endpoints took %d reads, want 201: one list of the endpoints and one of each one's deployments", reads)
	}
	if arm.throttled != 0 {
		t.Errorf("%d calls throttled by the service, want 0", arm.throttled)
	}
	for _, e := range list {
		if e.Traffic.Get("blue") != 100 {
			t.Errorf("%s: traffic %v", e.Name, e.Traffic)
		}
	}
	if len(list) != 200 || len(list[199].Deployments) != 1 || list[199].Deployments[0].Status.ProvisioningState != endpoint.Succeeded {
		t.Errorf("%d endpoints listed, want 200 with their deployment, provisioned", len(list))
	}
}

// TestRegenerateKeys: after a key is regenerated, through this Backend or
// another, scoring goes on with the new key.
func TestRegenerateKeys(t *testing.T) {
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
		b, other := newBackend(), newBackend()
		ctx := t.Context()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(b.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: "churn", AuthMode: endpoint.AuthKey}))
		must(b.CreateOrUpdateDeployment(ctx, "churn", blue))
		must(b.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: "churn", AuthMode: endpoint.AuthKey, Traffic: traffic.MustNew(map[string]int{"blue": 100})}))
		invoke := func(what string) {
			t.Helper()
			resp, err := b.Invoke(ctx, "churn", backend.InvokeRequest{Body: []byte(`{}`)})
			if err != nil || resp.Status != http.StatusOK {
				t.Fatalf("%s: Invoke = %+v, %v, want 200", what, resp, err)
			}
		}
		invoke("first call")
		before, err := b.GetKeys(ctx, "churn")
		must(err)
		must(other.RegenerateKeys(ctx, "churn", true))
		after, err := b.GetKeys(ctx, "churn")
		must(err)
		if after.Primary() == before.Primary() || after.Secondary() != before.Secondary() {
			t.Error("regenerating the primary key did not change it alone")
		}
		invoke("after another client regenerated the key")
		must(b.RegenerateKeys(ctx, "churn", false))
		invoke("after this client regenerated the key")
	})
}

// putCounter counts the PUTs of deployments that reach the service.
type putCounter struct {
	next policy.Transporter
	mu   sync.Mutex
	puts int
}

func (c *putCounter) Do(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/deployments/") {
		c.mu.Lock()
		c.puts++
		c.mu.Unlock()
	}
	return c.next.Do(r)
}

// TestLostPutAnswerWaits: a deployment PUT whose answer is lost is sent
// again by the pipeline and meets its own operation running (409). The
// backend waits for that operation rather than failing with the conflict,
// and sends nothing more when it wrote the spec; when another writer's
// operation was running, it waits for it and then writes its own spec.
func TestLostPutAnswerWaits(t *testing.T) {
	tests := []struct {
		name   string
		other  bool // another writer's update of blue is in progress
		puts   int
		reason string
	}{
		{"own", false, 2, "the PUT and its repeat; the create it started is waited for, not sent a third time"},
		{"another writer", true, 3, "the other writer's PUT, ours refused with 409 while it runs, and ours again once it has ended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				svc := fakes.New(fakes.Options{NoHistory: true})
				var rules []fakes.Rule
				if !tt.other {
					rules = []fakes.Rule{putBlue(1, fakes.Fault{Kind: fakes.DropResponse})}
				}
				srv := rest.New(svc, rest.Options{RetryAfter: 10 * time.Second, BaseURL: "https://management.test", Faults: rules, Seed: 1})
				wire := &putCounter{next: srv.Transport()}
				b, err := New(testScope, &fake.TokenCredential{}, emulatorOptions(wire, "https://management.test"))
				if err != nil {
					t.Fatal(err)
				}
				ctx := t.Context()
				if err := b.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: "churn"}); err != nil {
					t.Fatal(err)
				}
				want := blue
				if tt.other {
					if _, err := b.BeginCreateOrUpdateDeployment(ctx, "churn", blue); err != nil {
						t.Fatal(err)
					}
					want.InstanceCount = 3
				}
				start := time.Now()
				if err := b.CreateOrUpdateDeployment(ctx, "churn", want); err != nil {
					t.Fatalf("%s: %v", tt.reason, err)
				}
				e, err := b.GetEndpoint(ctx, "churn")
				if err != nil {
					t.Fatal(err)
				}
				got := e.Deployment("blue")
				if got == nil || got.InstanceCount != want.InstanceCount || got.Status.ProvisioningState != endpoint.Succeeded {
					t.Errorf("%s: blue is %+v, want %d instances, Succeeded", tt.reason, got, want.InstanceCount)
				}
				if wire.puts != tt.puts {
					t.Errorf("%s: %d PUTs reached the service, want %d", tt.reason, wire.puts, tt.puts)
				}
				if took := time.Since(start); took > 16*time.Minute {
					t.Errorf("%s: took %v, want the operations' own time and a poll", tt.reason, took)
				}
			})
		})
	}
}
