package fakes

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
)

// Op names a method of [backend.Backend], or a request of the REST
// protocol that has no method of its own. [Faults] select service-level
// calls by it, and the REST emulator in fakes/rest classifies every request
// into one, so that one [Rule] means the same calls at both levels.
type Op string

// The operations a [Rule] can select: the methods of [backend.Backend].
// Over HTTP, a GET of an endpoint is GetEndpoint, a PUT or PATCH of one
// CreateOrUpdateEndpoint, a PUT of a deployment CreateOrUpdateDeployment
// (and so is a PATCH that changes more than its sku capacity), a PATCH of
// the sku alone ScaleDeployment, a POST to the scoring URI Invoke and a
// POST of listKeys GetKeys.
const (
	OpGetEndpoint              Op = "GetEndpoint"
	OpListEndpoints            Op = "ListEndpoints"
	OpCreateOrUpdateEndpoint   Op = "CreateOrUpdateEndpoint"
	OpDeleteEndpoint           Op = "DeleteEndpoint"
	OpCreateOrUpdateDeployment Op = "CreateOrUpdateDeployment"
	OpScaleDeployment          Op = "ScaleDeployment"
	OpDeleteDeployment         Op = "DeleteDeployment"
	OpInvoke                   Op = "Invoke"
	OpGetKeys                  Op = "GetKeys"
)

// The operations of the optional capability [backend.Assets]. Their calls
// have no endpoint or deployment: a rule that names one never selects them.
const (
	OpFindAsset     Op = "FindAsset"
	OpRegisterAsset Op = "RegisterAsset"
)

// OpResolveLabel is the operation of the optional capability
// [backend.Labels]. Its calls have no endpoint or deployment either.
const OpResolveLabel Op = "ResolveLabel"

// The operations only the REST protocol has: requests a client sends on
// its own, which no method of [backend.Backend] names. Service-level calls
// never have them, so a rule that selects one fires over HTTP only, and a
// rule with no Ops selects them too over HTTP.
const (
	// OpGetDeployment is a GET of one deployment, as a poller sends for
	// the final state of a deployment write.
	OpGetDeployment Op = "GetDeployment"
	// OpListDeployments is a GET of an endpoint's deployments, a page at a
	// time.
	OpListDeployments Op = "ListDeployments"
	// OpPollOperation is a GET of a write's operation status
	// (Azure-AsyncOperation) or result (Location), targeting the resource
	// the write changes.
	OpPollOperation Op = "PollOperation"
	// OpGetToken is a POST of an endpoint's token action.
	OpGetToken Op = "GetToken"
	// OpRegenerateKeys is a POST of an endpoint's regenerateKeys action.
	OpRegenerateKeys Op = "RegenerateKeys"
	// OpGetLogs is a POST of a deployment's getLogs action.
	OpGetLogs Op = "GetLogs"
	// OpListSkus is a GET of a deployment's skus.
	OpListSkus Op = "ListSkus"
)

// Writes returns the operations that change the service, for rules that
// should leave reads and scoring alone.
func Writes() []Op {
	return []Op{OpCreateOrUpdateEndpoint, OpDeleteEndpoint, OpCreateOrUpdateDeployment, OpScaleDeployment, OpDeleteDeployment, OpRegisterAsset}
}

// FaultKind is what an injected fault does to a call.
type FaultKind int

// The kinds of fault. All but Slow and FailProvisioning fail the call with
// a retryable [backend.Error]. Over HTTP each has the form the service's
// clients see, given with each kind.
const (
	// Throttle refuses the call with 429 TooManyRequests
	// ([backend.Throttled]) and a Retry-After of [Fault.RetryAfter] (1 s
	// when zero: the service always sends one). The call is not made.
	// Over HTTP: 429 with an ARM error body and Retry-After (and
	// Retry-After-Ms when the wait is not whole seconds).
	Throttle FaultKind = iota + 1
	// ServerError refuses the call with 500 InternalServerError
	// ([backend.Unavailable]). The call is not made. Over HTTP: 500 with
	// an ARM error body.
	ServerError
	// DropRequest loses the connection before the service saw the call
	// ([backend.Unavailable]). The call is not made. Over HTTP: the
	// connection is closed before the request is served.
	DropRequest
	// DropResponse makes the call, waits for it to end, and then loses the
	// answer ([backend.Unavailable]): the caller cannot tell whether the
	// change happened, which is what makes retries need idempotence.
	// Over HTTP: the request is served, then the connection is closed
	// without the answer.
	DropResponse
	// Slow makes the call after an extra [Fault.Delay], or fails with the
	// context's error if ctx ends first. Over HTTP: the request is served
	// after the delay, or the connection closed if the client gives up.
	Slow
	// FailProvisioning makes the call, and the resource it creates, updates
	// or scales ends in the Failed provisioning state with [Fault.Code] and
	// [Fault.Message]. It applies to CreateOrUpdateEndpoint,
	// CreateOrUpdateDeployment and ScaleDeployment only, and needs a
	// backend that can fail provisioning on demand, as [Service] can. Over
	// HTTP: the write is accepted, and its operation ends Failed with the
	// code and message.
	FailProvisioning
)

var faultKindNames = [...]string{
	Throttle:         "throttle",
	ServerError:      "server error",
	DropRequest:      "drop request",
	DropResponse:     "drop response",
	Slow:             "slow",
	FailProvisioning: "fail provisioning",
}

// String returns the kind in words.
func (k FaultKind) String() string {
	if k > 0 && int(k) < len(faultKindNames) {
		return faultKindNames[k]
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault is one injected failure.
type Fault struct {
	Kind FaultKind
	// RetryAfter is the wait a Throttle asks for.
	RetryAfter time.Duration
	// Delay is the extra latency of a Slow call.
	Delay time.Duration
	// Code and Message describe a FailProvisioning fault, as the service
	// would (OutOfQuota, "Not enough quota ...").
	Code, Message string
}

// Wait returns the Retry-After a Throttle sends: RetryAfter, or 1 s when
// it is not positive.
func (f Fault) Wait() time.Duration {
	if f.RetryAfter <= 0 {
		return time.Second
	}
	return f.RetryAfter
}

// Rule injects a fault into the calls it selects. A call is selected when
// its operation is one of Ops (every operation when Ops is empty) and its
// target matches Endpoint and Deployment where they are set. Of the
// selected calls, the first Skip pass untouched, and then the fault fires
// at most Count times (no limit when Count is 0), each time with
// Probability (always when it is 0 or 1 or more).
//
// The same rules apply to service-level calls ([Faults.Wrap]) and to the
// requests of the REST emulator (fakes/rest's Options.Faults), which
// classifies each request into its operation and target: a rule list and a
// seed fire on the same calls at both levels, except that over HTTP a rule
// also sees the requests only the protocol has (see [OpPollOperation]).
type Rule struct {
	Ops []Op
	// Endpoint selects calls on this endpoint (case-insensitive); "" means
	// any. Calls without an endpoint (ListEndpoints) match only "".
	Endpoint string
	// Deployment selects calls on this deployment (case-insensitive); ""
	// means any. Calls on the endpoint itself match only "".
	Deployment  string
	Skip        int
	Count       int
	Probability float64
	Fault       Fault
}

// provisioningFailer is a backend that can fail the provisioning of a
// resource on demand.
type provisioningFailer interface {
	FailProvisioning(endpointName, deployment, code, message string)
}

// disarmer is a backend that can take back a provisioning failure it has
// not used yet.
type disarmer interface {
	Disarm(endpointName, deployment string)
}

// Faults injects failures into the calls of a backend by rules. Rules are
// tried in order for every call and the first that fires wins. Random
// choices come from a PCG generator seeded by the caller, so the same seed
// and the same sequence of calls inject the same faults: run concurrent
// callers inside a testing/synctest bubble, or one at a time, to keep the
// sequence fixed.
//
// A Faults is safe for concurrent use. Wrap as many backends as needed;
// the rules' counters and the generator are shared between them.
type Faults struct {
	mu       sync.Mutex
	rules    []Rule
	seen     []int
	fired    []int
	rng      *rand.Rand
	injected map[string]int
}

// NewFaults returns the faults of these rules, with random choices seeded by
// seed. It panics on a rule without a known fault kind, since that is a
// mistake in the test.
func NewFaults(seed uint64, rules ...Rule) *Faults {
	rs := make([]Rule, len(rules))
	for i, r := range rules {
		if r.Fault.Kind < Throttle || r.Fault.Kind > FailProvisioning {
			panic(fmt.Sprintf("fakes: rule %d has no known fault kind (%v)", i, r.Fault.Kind))
		}
		r.Ops = slices.Clone(r.Ops)
		rs[i] = r
	}
	return &Faults{
		rules:    rs,
		seen:     make([]int, len(rs)),
		fired:    make([]int, len(rs)),
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		injected: make(map[string]int),
	}
}

// Injected counts the faults injected so far, by "Op: kind"
// ("CreateOrUpdateDeployment: throttle"), sorted.
func (f *Faults) Injected() []CallCount {
	f.mu.Lock()
	defer f.mu.Unlock()
	return counts(f.injected)
}

// Pick returns the fault to inject into one call of op on endpointName
// and deployment (either "" when the call has none), if a rule fires, and
// counts the call against the rules that select it. It is the one firing
// engine: [Faults.Wrap] and the REST emulator both ask it, then give the
// fault its form at their level.
func (f *Faults) Pick(op Op, endpointName, deployment string) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range f.rules {
		if !r.matches(op, endpointName, deployment) {
			continue
		}
		f.seen[i]++
		if f.seen[i] <= r.Skip || (r.Count > 0 && f.fired[i] >= r.Count) {
			continue
		}
		if r.Probability > 0 && r.Probability < 1 && f.rng.Float64() >= r.Probability {
			continue
		}
		f.fired[i]++
		f.injected[string(op)+": "+r.Fault.Kind.String()]++
		return r.Fault, true
	}
	return Fault{}, false
}

func (r Rule) matches(op Op, endpointName, deployment string) bool {
	if len(r.Ops) > 0 && !slices.Contains(r.Ops, op) {
		return false
	}
	if r.Fault.Kind == FailProvisioning && op != OpCreateOrUpdateEndpoint && op != OpCreateOrUpdateDeployment && op != OpScaleDeployment {
		return false
	}
	if r.Endpoint != "" && !endpoint.SameName(r.Endpoint, endpointName) {
		return false
	}
	return r.Deployment == "" || endpoint.SameName(r.Deployment, deployment)
}

// errDropped is the transport failure behind dropped requests and
// responses.
var errDropped = errors.New("connection reset by peer")

// Wrap returns b with the faults injected. It panics if a rule fails
// provisioning and b cannot, since that is a mistake in the test.
func (f *Faults) Wrap(b backend.Backend) backend.Backend {
	failer, canFail := b.(provisioningFailer)
	for _, r := range f.rules {
		if r.Fault.Kind == FailProvisioning && !canFail {
			panic(fmt.Sprintf("fakes: a rule fails provisioning, but %T cannot fail provisioning on demand", b))
		}
	}
	return Intercept(b, Interceptor{
		GetEndpoint: func(ctx context.Context, next backend.Backend, name string) (*endpoint.Endpoint, error) {
			return inject(ctx, f, failer, OpGetEndpoint, name, "", func(ctx context.Context) (*endpoint.Endpoint, error) {
				return next.GetEndpoint(ctx, name)
			})
		},
		ListEndpoints: func(ctx context.Context, next backend.Backend) ([]*endpoint.Endpoint, error) {
			return inject(ctx, f, failer, OpListEndpoints, "", "", next.ListEndpoints)
		},
		CreateOrUpdateEndpoint: func(ctx context.Context, next backend.Backend, e *endpoint.Endpoint) error {
			name := ""
			if e != nil {
				name = e.Name
			}
			return injectErr(ctx, f, failer, OpCreateOrUpdateEndpoint, name, "", func(ctx context.Context) error {
				return next.CreateOrUpdateEndpoint(ctx, e)
			})
		},
		DeleteEndpoint: func(ctx context.Context, next backend.Backend, name string) error {
			return injectErr(ctx, f, failer, OpDeleteEndpoint, name, "", func(ctx context.Context) error {
				return next.DeleteEndpoint(ctx, name)
			})
		},
		CreateOrUpdateDeployment: func(ctx context.Context, next backend.Backend, ep string, d endpoint.Deployment) error {
			return injectErr(ctx, f, failer, OpCreateOrUpdateDeployment, ep, d.Name, func(ctx context.Context) error {
				return next.CreateOrUpdateDeployment(ctx, ep, d)
			})
		},
		ScaleDeployment: func(ctx context.Context, next backend.Backend, ep, dep string, n int) error {
			return injectErr(ctx, f, failer, OpScaleDeployment, ep, dep, func(ctx context.Context) error {
				return next.ScaleDeployment(ctx, ep, dep, n)
			})
		},
		DeleteDeployment: func(ctx context.Context, next backend.Backend, ep, dep string) error {
			return injectErr(ctx, f, failer, OpDeleteDeployment, ep, dep, func(ctx context.Context) error {
				return next.DeleteDeployment(ctx, ep, dep)
			})
		},
		Invoke: func(ctx context.Context, next backend.Backend, ep string, req backend.InvokeRequest) (*backend.InvokeResponse, error) {
			return inject(ctx, f, failer, OpInvoke, ep, req.Deployment, func(ctx context.Context) (*backend.InvokeResponse, error) {
				return next.Invoke(ctx, ep, req)
			})
		},
		GetKeys: func(ctx context.Context, next backend.Backend, ep string) (backend.Keys, error) {
			return inject(ctx, f, failer, OpGetKeys, ep, "", func(ctx context.Context) (backend.Keys, error) {
				return next.GetKeys(ctx, ep)
			})
		},
		FindAsset: func(ctx context.Context, next backend.Assets, a endpoint.LocalAsset) (endpoint.Reference, error) {
			return inject(ctx, f, failer, OpFindAsset, "", "", func(ctx context.Context) (endpoint.Reference, error) {
				return next.FindAsset(ctx, a)
			})
		},
		RegisterAsset: func(ctx context.Context, next backend.Assets, a endpoint.LocalAsset, progress func(backend.Progress)) (endpoint.Reference, error) {
			return inject(ctx, f, failer, OpRegisterAsset, "", "", func(ctx context.Context) (endpoint.Reference, error) {
				return next.RegisterAsset(ctx, a, progress)
			})
		},
		ResolveLabel: func(ctx context.Context, next backend.Labels, l endpoint.AssetLabel) (string, error) {
			return inject(ctx, f, failer, OpResolveLabel, "", "", func(ctx context.Context) (string, error) {
				return next.ResolveLabel(ctx, l)
			})
		},
	})
}

func injectErr(ctx context.Context, f *Faults, failer provisioningFailer, op Op, ep, dep string, call func(context.Context) error) error {
	_, err := inject(ctx, f, failer, op, ep, dep, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, call(ctx)
	})
	return err
}

// inject makes one call with the fault a rule picks, if any.
func inject[T any](ctx context.Context, f *Faults, failer provisioningFailer, op Op, ep, dep string, call func(context.Context) (T, error)) (T, error) {
	fault, ok := f.Pick(op, ep, dep)
	if !ok {
		return call(ctx)
	}
	var zero T
	switch fault.Kind {
	case Throttle:
		wait := fault.Wait()
		return zero, &backend.Error{Kind: backend.Throttled, Code: "TooManyRequests", Message: fmt.Sprintf("Too many requests; retry after %v", wait), RetryAfter: wait}
	case ServerError:
		return zero, &backend.Error{Kind: backend.Unavailable, Code: "InternalServerError", Message: "The server encountered an internal error"}
	case DropRequest:
		return zero, &backend.Error{Kind: backend.Unavailable, Message: string(op) + " was not sent", Err: errDropped}
	case DropResponse:
		_, _ = call(ctx)
		return zero, &backend.Error{Kind: backend.Unavailable, Message: "the answer to " + string(op) + " was lost; the operation may have happened", Err: errDropped}
	case Slow:
		t := time.NewTimer(fault.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
		return call(ctx)
	default: // FailProvisioning; NewFaults refuses other kinds
		failer.FailProvisioning(ep, dep, fault.Code, fault.Message)
		v, err := call(ctx)
		if d, ok := failer.(disarmer); ok && err != nil && !errors.Is(err, backend.ErrProvisioningFailed) {
			// Refused before it started: the failure was for this call
			// only, and must not fire on a later one.
			d.Disarm(ep, dep)
		}
		return v, err
	}
}
