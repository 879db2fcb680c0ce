package azureml

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

func TestBucket(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBucket(3, 2)
		start := time.Now()
		var waits []time.Duration
		for range 6 {
			if err := b.take(t.Context()); err != nil {
				t.Fatal(err)
			}
			waits = append(waits, time.Since(start))
		}
		// The burst goes at once; then one token every half second.
		want := []time.Duration{0, 0, 0, 500 * time.Millisecond, time.Second, 1500 * time.Millisecond}
		for i := range want {
			if waits[i] != want[i] {
				t.Errorf("take %d at %v, want %v", i, waits[i], want[i])
			}
		}

		// A waiter that gives up returns its token, so the next waits no
		// longer than if it had never come.
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		if err := b.take(ctx); err != context.DeadlineExceeded {
			t.Fatalf("take with a deadline: %v, want DeadlineExceeded", err)
		}
		before := time.Now()
		if err := b.take(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(before); got != 400*time.Millisecond {
			t.Errorf("after a canceled waiter, waited %v, want 400ms", got)
		}

		// Idle time refills up to the burst and no more.
		time.Sleep(time.Hour)
		before = time.Now()
		for range 3 {
			_ = b.take(t.Context())
		}
		if time.Since(before) != 0 {
			t.Errorf("a full bucket made the burst wait")
		}
		_ = b.take(t.Context())
		if got := time.Since(before); got != 500*time.Millisecond {
			t.Errorf("past the burst, waited %v, want 500ms", got)
		}
	})
}

// transportFunc answers requests in process, so that the whole pipeline
// runs inside a synctest bubble.
type transportFunc func(*http.Request) (*http.Response, error)

func (f transportFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// TestThrottleSharedByCalls: concurrent calls of one Backend share ARM's
// buckets, so 260 reads and 205 writes at once take (260-250)/25 s and
// (205-200)/10 s, and none is refused.
func TestThrottleSharedByCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var reads, writes atomic.Int64
		tr := transportFunc(func(r *http.Request) (*http.Response, error) {
			status, body := http.StatusOK, `{"value":[]}`
			if r.Method == http.MethodGet {
				reads.Add(1)
			} else {
				writes.Add(1)
				status, body = http.StatusNoContent, ""
			}
			return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
		})
		b, err := New(testScope, &fake.TokenCredential{}, &Options{
			Location: "westeurope",
			ClientOptions: &arm.ClientOptions{
				ClientOptions:         policy.ClientOptions{Transport: tr, Cloud: CloudFor("https://management.test", "https://management.test")},
				DisableRPRegistration: true,
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		run := func(n int, call func() error) time.Duration {
			start := time.Now()
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() {
					if err := call(); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			return time.Since(start)
		}
		if got := run(260, func() error { _, err := b.ListEndpoints(t.Context()); return err }); got != 400*time.Millisecond {
			t.Errorf("260 reads took %v, want 400ms", got)
		}
		if got := run(205, func() error { return b.DeleteEndpoint(t.Context(), "churn") }); got != 500*time.Millisecond {
			t.Errorf("205 writes took %v, want 500ms", got)
		}
		if reads.Load() != 260 || writes.Load() != 205 {
			t.Errorf("%d reads and %d writes sent", reads.Load(), writes.Load())
		}
	})
}
