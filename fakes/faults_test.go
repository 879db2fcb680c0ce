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
)

func TestFaultKinds(t *testing.T) {
	tests := []struct {
		name      string
		fault     Fault
		kind      backend.Kind // -1: the call succeeds
		retry     time.Duration
		happened  bool
		elapsed   time.Duration
		provState endpoint.ProvisioningState
		reason    string
	}{
		{"throttle", Fault{Kind: Throttle, RetryAfter: 7 * time.Second}, backend.Throttled, 7 * time.Second, false, 0, endpoint.Succeeded, "429 with the service's wait"},
		{"throttle default wait", Fault{Kind: Throttle}, backend.Throttled, time.Second, false, 0, endpoint.Succeeded, "429 always carries Retry-After"},
		{"server error", Fault{Kind: ServerError}, backend.Unavailable, 0, false, 0, endpoint.Succeeded, "500 is transient"},
		{"drop request", Fault{Kind: DropRequest}, backend.Unavailable, 0, false, 0, endpoint.Succeeded, "the service never saw it"},
		{"drop response", Fault{Kind: DropResponse}, backend.Unavailable, 0, true, 12 * time.Minute, endpoint.Succeeded, "it happened, the answer was lost"},
		{"slow", Fault{Kind: Slow, Delay: time.Hour}, -1, 0, true, time.Hour + 12*time.Minute, endpoint.Succeeded, "an extra hour before the call"},
		{"fail provisioning", Fault{Kind: FailProvisioning, Code: "OutOfQuota"}, backend.ProvisioningFailed, 0, true, 12 * time.Minute, endpoint.Failed, "the service fails the resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := New(Options{})
				setup(t, s, nil, "blue")
				f := NewFaults(1, Rule{Ops: []Op{OpScaleDeployment}, Fault: tt.fault})
				b := f.Wrap(s)
				start := time.Now()
				err := b.ScaleDeployment(context.Background(), ep, "blue", 2)
				if tt.kind < 0 {
					must(t, err)
				} else if backend.KindOf(err) != tt.kind || err == nil {
					t.Errorf("err = %v, want %v (%s)", err, tt.kind, tt.reason)
				}
				if wait, _ := backend.RetryAfter(err); wait != tt.retry {
					t.Errorf("Retry-After = %v, want %v", wait, tt.retry)
				}
				if got := time.Since(start); got != tt.elapsed {
					t.Errorf("took %v, want %v (%s)", got, tt.elapsed, tt.reason)
				}
				e, _ := s.GetEndpoint(context.Background(), ep)
				blue := e.Deployment("blue")
				if happened := blue.InstanceCount == 2; happened != tt.happened {
					t.Errorf("scale happened = %v, want %v (%s)", happened, tt.happened, tt.reason)
				}
				if blue.Status.ProvisioningState != tt.provState {
					t.Errorf("state = %s, want %s", blue.Status.ProvisioningState, tt.provState)
				}
				want := "[{ScaleDeployment: " + tt.fault.Kind.String() + " 1}]"
				if got := fmt.Sprint(f.Injected()); got != want {
					t.Errorf("Injected() = %s, want %s", got, want)
				}
			})
		})
	}
}

func TestFaultSelection(t *testing.T) {
	ctx := context.Background()
	throttle := Fault{Kind: Throttle}
	tests := []struct {
		name   string
		rule   Rule
		want   string // outcome of each call: . ok, T throttled
		reason string
	}{
		{"every call", Rule{Fault: throttle}, "TTTTTT", "no selector matches everything"},
		{"by op", Rule{Ops: []Op{OpDeleteDeployment}, Fault: throttle}, "....TT", "only deletes"},
		{"writes", Rule{Ops: Writes(), Fault: throttle}, "TTT.TT", "reads pass"},
		{"by endpoint", Rule{Endpoint: "MY-ENDPOINT", Fault: throttle}, "TTTTT.", "other endpoints pass; names ignore case"},
		{"by deployment", Rule{Deployment: "green", Fault: throttle}, ".T..T.", "blue and endpoint-level calls pass"},
		{"by deployment in another case", Rule{Deployment: "GREEN", Fault: throttle}, ".T..T.", "deployment names ignore case, as endpoint names do"},
		{"skip and count", Rule{Skip: 1, Count: 2, Fault: throttle}, ".TT...", "the second and third matching calls only"},
	}
	calls := []func(b backend.Backend) error{
		func(b backend.Backend) error { return b.CreateOrUpdateDeployment(ctx, ep, dep("blue", "2")) },
		func(b backend.Backend) error { return b.ScaleDeployment(ctx, ep, "green", 2) },
		func(b backend.Backend) error { return b.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: ep}) },
		func(b backend.Backend) error { _, err := b.GetEndpoint(ctx, ep); return err },
		func(b backend.Backend) error { return b.DeleteDeployment(ctx, ep, "green") },
		func(b backend.Backend) error { return b.DeleteDeployment(ctx, "other-ep", "blue") },
	}
	for _, tt := range tests {
		s := New(Options{Latency: NoLatency()})
		setup(t, s, nil, "blue", "green")
		must(t, s.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: "other-ep"}))
		b := NewFaults(1, tt.rule).Wrap(s)
		var got strings.Builder
		for _, call := range calls {
			err := call(b)
			switch {
			case err == nil:
				got.WriteByte('.')
			case errors.Is(err, backend.ErrThrottled):
				got.WriteByte('T')
			default:
				t.Fatalf("%s: unexpected error %v", tt.name, err)
			}
		}
		if got.String() != tt.want {
			t.Errorf("%s: outcomes %s, want %s (%s)", tt.name, got.String(), tt.want, tt.reason)
		}
	}
}

// TestFaultProbabilityIsSeeded checks that a seed fixes the faults: the same
// seed injects into the same calls, and the rate is near the probability.
func TestFaultProbabilityIsSeeded(t *testing.T) {
	run := func(seed uint64) string {
		s := New(Options{Latency: NoLatency(), NoHistory: true})
		setup(t, s, nil, "blue")
		b := NewFaults(seed,
			Rule{Ops: []Op{OpScaleDeployment}, Probability: 0.2, Fault: Fault{Kind: ServerError}},
			Rule{Ops: []Op{OpScaleDeployment}, Probability: 0.1, Fault: Fault{Kind: Throttle}},
		).Wrap(s)
		var out strings.Builder
		for i := range 500 {
			err := b.ScaleDeployment(context.Background(), ep, "blue", 1+i%3)
			switch {
			case err == nil:
				out.WriteByte('.')
			case backend.KindOf(err) == backend.Unavailable:
				out.WriteByte('U')
			case backend.KindOf(err) == backend.Throttled:
				out.WriteByte('T')
			default:
				t.Fatal(err)
			}
		}
		return out.String()
	}
	a, b, c := run(42), run(42), run(43)
	if a != b {
		t.Error("the same seed injected different faults")
	}
	if a == c {
		t.Error("seeds 42 and 43 injected the same 500 faults")
	}
	// 20% server errors; the throttle rule sees the other 80% at 10%: 8%.
	u, th := strings.Count(a, "U"), strings.Count(a, "T")
	if u < 70 || u > 130 || th < 20 || th > 60 {
		t.Errorf("%d server errors and %d throttles in 500 calls, want about 100 and 40", u, th)
	}
}

func TestFaultsPanics(t *testing.T) {
	tests := []struct {
		name   string
		build  func()
		reason string
	}{
		{"no kind", func() { NewFaults(1, Rule{}) }, "a rule that injects nothing is a mistake"},
		{"cannot fail provisioning", func() {
			NewFaults(1, Rule{Fault: Fault{Kind: FailProvisioning}}).Wrap(Intercept(New(Options{}), Interceptor{}))
		}, "the wrapped backend has no FailProvisioning"},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic (%s)", tt.name, tt.reason)
				}
			}()
			tt.build()
		}()
	}
}

func TestInterceptor(t *testing.T) {
	ctx := context.Background()
	s := New(Options{Latency: NoLatency()})
	setup(t, s, map[string]int{"blue": 100}, "blue")
	var writes int
	b := Intercept(s, Interceptor{
		ScaleDeployment: func(ctx context.Context, next backend.Backend, e, d string, n int) error {
			writes++
			return next.ScaleDeployment(ctx, e, d, n+1)
		},
		Invoke: func(context.Context, backend.Backend, string, backend.InvokeRequest) (*backend.InvokeResponse, error) {
			return &backend.InvokeResponse{Status: 418}, nil
		},
	})
	must(t, b.ScaleDeployment(ctx, ep, "blue", 2))
	e, err := b.GetEndpoint(ctx, ep)
	must(t, err)
	if writes != 1 || e.Deployment("blue").InstanceCount != 3 {
		t.Errorf("interceptor saw %d writes and the count is %d; want 1 and 3", writes, e.Deployment("blue").InstanceCount)
	}
	resp, err := b.Invoke(ctx, ep, backend.InvokeRequest{})
	if err != nil || resp.Status != 418 {
		t.Errorf("intercepted Invoke = %+v, %v", resp, err)
	}
	if n := fmt.Sprint(s.Calls()); strings.Contains(n, "Invoke") {
		t.Errorf("the replaced Invoke reached the service: %s", n)
	}
}

// TestWrappersKeepCapabilities: a wrapped backend registers local files
// and keeps missing paths as the backend it wraps does, and the asset
// calls go through the interceptor's fields and the fault rules.
func TestWrappersKeepCapabilities(t *testing.T) {
	ctx := context.Background()
	code := endpoint.LocalAsset{Kind: endpoint.CodeAsset, Path: "src", Asset: endpoint.Asset{Hash: strings.Repeat("ab", 32), Files: 1, Size: 3}}
	tests := []struct {
		name   string
		wrap   func(backend.Backend) backend.Backend
		assets bool
		reason string
	}{
		{"service", func(b backend.Backend) backend.Backend { return b }, true, "the service itself"},
		{"intercepted", func(b backend.Backend) backend.Backend { return Intercept(b, Interceptor{}) }, true, "an interceptor with no fields passes everything through"},
		{"faults", func(b backend.Backend) backend.Backend { return NewFaults(1).Wrap(b) }, true, "faults without rules pass everything through"},
		{"nested", func(b backend.Backend) backend.Backend { return NewFaults(1).Wrap(Intercept(b, Interceptor{})) }, true, "wrappers of wrappers too"},
		{"plain", func(b backend.Backend) backend.Backend { return Intercept(struct{ backend.Backend }{b}, Interceptor{}) }, false, "a backend without the capabilities gains none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.wrap(New(Options{Latency: NoLatency()}))
			a, ok := b.(backend.Assets)
			k, _ := b.(backend.LocalPathKeeper)
			if ok != tt.assets || (k != nil && k.KeepsLocalPaths()) != tt.assets {
				t.Fatalf("%s: Assets %v, keeps paths %v; want %v", tt.reason, ok, k != nil && k.KeepsLocalPaths(), tt.assets)
			}
			if !ok {
				return
			}
			reg, err := a.RegisterAsset(ctx, code, nil)
			must(t, err)
			if got, err := a.FindAsset(ctx, code); err != nil || got != reg {
				t.Errorf("%s: FindAsset = %+v, %v; want %+v", tt.reason, got, err, reg)
			}
		})
	}

	s := New(Options{Latency: NoLatency()})
	var seen []string
	b := NewFaults(1, Rule{Ops: []Op{OpRegisterAsset}, Count: 1, Fault: Fault{Kind: ServerError}}).Wrap(Intercept(s, Interceptor{
		RegisterAsset: func(ctx context.Context, next backend.Assets, a endpoint.LocalAsset, p func(backend.Progress)) (endpoint.Reference, error) {
			seen = append(seen, a.Key())
			return next.RegisterAsset(ctx, a, p)
		},
	})).(backend.Assets)
	if _, err := b.RegisterAsset(ctx, code, nil); !errors.Is(err, backend.ErrUnavailable) || len(seen) != 0 {
		t.Errorf("the rule's 500 on RegisterAsset: %v (interceptor saw %v); want Unavailable before the call", err, seen)
	}
	if _, err := b.RegisterAsset(ctx, code, nil); err != nil || len(seen) != 1 || s.Uploaded().Assets != 1 {
		t.Errorf("after the one fault: %v, interceptor saw %v, uploaded %+v; want one registration", err, seen, s.Uploaded())
	}
}
