package fakes

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

// Options configure a [Service]. The zero Options give the service's real
// latencies, waited in full.
type Options struct {
	// Latency is how long each kind of operation takes; nil means
	// [DefaultLatency]. Use [NoLatency] for operations that end at once.
	Latency *Latency
	// TimeScale multiplies every latency: 1e-4 turns a 10-minute create
	// into 60 ms for a program that shows a rollout. 0 and 1 both mean
	// real durations. Tests run inside a testing/synctest bubble instead,
	// where the full durations pass without real waiting.
	TimeScale float64
	// Strict serializes every operation on an endpoint: an operation on a
	// deployment gets Conflict while another deployment of the same
	// endpoint has one in progress. Without it, operations on different
	// deployments overlap, as far as the service's documentation says.
	Strict bool
	// Handlers answer scoring requests. A handler is looked up by
	// "endpoint/deployment" (the endpoint in lower case), then by
	// deployment name alone; deployments without one answer 200 with
	// their name and model, {"deployment":"blue","model":"azureml:m:1"}.
	// The map is copied; [Service.SetHandler] changes handlers later.
	Handlers map[string]Handler
	// OnState, when set, is called with a deep copy of the whole state
	// after every change: each write's start and end, including the
	// provisioning state transitions. Calls are serialized and in Seq
	// order. The service holds no lock while calling it, so it may call any
	// method of the service, reads and writes alike; a state that a write
	// from inside OnState produces is delivered after OnState returns.
	// When several goroutines write at once a write may return before
	// OnState has seen its state; once all of them have returned, OnState
	// has seen every state.
	OnState func(State)
	// NoHistory turns off [Service.History], which otherwise keeps every
	// state (a deep copy each), for long runs and benchmarks.
	NoHistory bool
}

// Latency is how long each kind of operation takes in the service.
type Latency struct {
	CreateEndpoint   time.Duration
	UpdateEndpoint   time.Duration
	DeleteEndpoint   time.Duration
	CreateDeployment time.Duration
	// UpdateDeployment is a full-spec update of an existing deployment,
	// including a retry of one that failed.
	UpdateDeployment time.Duration
	// ScaleDeployment is a scale-only update ([Service.ScaleDeployment]).
	ScaleDeployment  time.Duration
	DeleteDeployment time.Duration
}

// DefaultLatency returns the durations reported for the reference service:
// endpoint create 1 min, update 30 s, delete 2 min; deployment create
// 10 min, update 5 min, scale 12 min, delete 2 min.
func DefaultLatency() *Latency {
	return &Latency{
		CreateEndpoint:   time.Minute,
		UpdateEndpoint:   30 * time.Second,
		DeleteEndpoint:   2 * time.Minute,
		CreateDeployment: 10 * time.Minute,
		UpdateDeployment: 5 * time.Minute,
		ScaleDeployment:  12 * time.Minute,
		DeleteDeployment: 2 * time.Minute,
	}
}

// NoLatency returns latencies of zero: every operation ends before its
// call returns, without waiting or starting a goroutine.
func NoLatency() *Latency { return &Latency{} }

// scaled returns l with every duration multiplied by f.
func (l Latency) scaled(f float64) Latency {
	if f == 0 || f == 1 {
		return l
	}
	s := func(d time.Duration) time.Duration { return time.Duration(float64(d) * f) }
	return Latency{
		CreateEndpoint:   s(l.CreateEndpoint),
		UpdateEndpoint:   s(l.UpdateEndpoint),
		DeleteEndpoint:   s(l.DeleteEndpoint),
		CreateDeployment: s(l.CreateDeployment),
		UpdateDeployment: s(l.UpdateDeployment),
		ScaleDeployment:  s(l.ScaleDeployment),
		DeleteDeployment: s(l.DeleteDeployment),
	}
}

// Service is an in-memory model of the reference service that enforces its
// rules with its error codes and messages (DESIGN §6). It implements
// [backend.Backend] and is safe for concurrent use.
//
// Values are copied in and out: nothing a caller passes in or gets back
// is shared with the service's state. Create one with [New]; the zero
// Service is not usable.
type Service struct {
	handlers map[string]Handler
	onState  func(State)
	history  bool
	strict   bool
	latency  Latency

	mu sync.Mutex
	// endpoints is keyed by lower-case name: the service's endpoint names
	// are case-insensitive.
	endpoints map[string]*endpointRecord
	// failures are provisioning failures armed by FailProvisioning, keyed
	// by resourceKey.
	failures map[string]failure
	calls    map[string]int
	etags    int
	keys     int
	seq      int
	states   []State
	// pending holds states not yet given to onState; delivering is set
	// while one goroutine gives them, in order.
	pending    []State
	delivering bool
	// assets are the registered asset versions (see assets.go).
	assets assetStore
	// scratch is where a deployment is normalized (normalizeDeployment),
	// and viewed where the rules are shown an endpoint (view).
	scratch endpoint.Endpoint
	viewed  endpoint.Endpoint
}

// endpointRecord is one endpoint as the service holds it.
type endpointRecord struct {
	// ep holds the endpoint's own fields and Status; its Deployments are
	// kept in deployments instead.
	ep          *endpoint.Endpoint
	deployments map[string]*deploymentRecord
	// order holds the keys of deployments, sorted, so that the views and
	// copies of the endpoint need not sort them on every write.
	order []string
	// router routes by the splits it was built with; it is built when a
	// request finds it missing or out of date, rather than on every
	// write, most of which invoke nothing.
	router *traffic.Router
	// requests counts the requests routed by the split: the router's key.
	requests uint64
	// keys are derived from keyName and keyNo when first asked for, as
	// most endpoints of a test are never invoked with a key.
	keys    backend.Keys
	keyName string
	keyNo   int
}

// deploymentRecord is one deployment as the service holds it; an
// operation on it is in progress while its provisioning state is Busy.
type deploymentRecord struct {
	d *endpoint.Deployment
	// stats count the requests the deployment received; they start when
	// it is created and end when it is deleted, with the record.
	stats DeploymentStats
}

// stats returns the request counts of the named deployment, or nil when
// the endpoint has none of that name (any longer).
func (r *endpointRecord) stats(deployment string) *DeploymentStats {
	if dr := r.deployments[endpoint.NameKey(deployment)]; dr != nil {
		return &dr.stats
	}
	return nil
}

// store keeps deployment i of ds, the rules' answer to a write, whose
// array nothing else holds (rules.PutDeployment says so): in the record's
// storage once it has some, else in place when it is the only one, as the
// first deployment of an endpoint is, rather than in a copy.
func (dr *deploymentRecord) store(ds []endpoint.Deployment, i int) {
	switch {
	case dr.d != nil:
		*dr.d = ds[i]
	case len(ds) == 1:
		dr.d = &ds[0]
	default:
		d := ds[i]
		dr.d = &d
	}
}

type failure struct{ code, message string }

// New returns an empty service.
func New(opts Options) *Service {
	lat := opts.Latency
	if lat == nil {
		lat = DefaultLatency()
	}
	s := &Service{
		handlers:  make(map[string]Handler, len(opts.Handlers)),
		onState:   opts.OnState,
		history:   !opts.NoHistory,
		strict:    opts.Strict,
		latency:   lat.scaled(opts.TimeScale),
		endpoints: make(map[string]*endpointRecord),
		failures:  make(map[string]failure),
		calls:     make(map[string]int),
	}
	for name, h := range opts.Handlers {
		s.handlers[handlerKey(name)] = h
	}
	return s
}

var _ backend.Backend = (*Service)(nil)

// resourceKey identifies an endpoint (deployment "") or a deployment in the
// service's maps, ignoring the case of the endpoint's name.
func resourceKey(endpointName, deployment string) string {
	return endpoint.NameKey(endpointName) + "/" + endpoint.NameKey(deployment)
}

// Operation is a write the service accepted and is carrying out: the
// service's long-running operation. The Start methods return one as soon as
// the service has checked the write and stored its new spec, so an adapter
// such as a REST server can answer "accepted" or the refusal at once, as the
// real service does, and report the outcome later. It is safe for
// concurrent use.
type Operation struct {
	done chan struct{}
	// err and end are set before done closes, and only read after.
	err error
	end time.Time
}

// Done returns a channel that is closed when the operation ends.
func (o *Operation) Done() <-chan struct{} { return o.done }

// Err returns nil while the operation runs; once Done is closed it returns
// the outcome: nil, or a [backend.ProvisioningFailed] error with the
// service's code and message.
func (o *Operation) Err() error {
	select {
	case <-o.done:
		return o.err
	default:
		return nil
	}
}

// EndTime returns when the operation ended (simulated time in a
// testing/synctest bubble), or the zero time while it runs.
func (o *Operation) EndTime() time.Time {
	select {
	case <-o.done:
		return o.end
	default:
		return time.Time{}
	}
}

// Wait blocks until the operation ends and returns its outcome, or returns
// ctx's error if ctx ends first. A caller that leaves early leaves the
// operation running, as the service does.
func (o *Operation) Wait(ctx context.Context) error {
	select {
	case <-o.done:
		return o.err
	case <-ctx.Done():
		select {
		case <-o.done:
			return o.err
		default:
			return ctx.Err()
		}
	}
}

// begin starts a call: it refuses a call whose context has already ended,
// as a client would before sending anything, and counts the rest.
func (s *Service) begin(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	s.calls[op]++
	return nil
}

// finishLater ends the returned operation after d by calling end with the
// lock held. With no latency the operation ends before finishLater
// returns, so zero-latency services start no goroutines. It is called
// with s.mu held and releases it.
func (s *Service) finishLater(d time.Duration, end func() error) *Operation {
	if d <= 0 {
		op := &Operation{done: closed, err: end(), end: time.Now()}
		s.unlock()
		return op
	}
	op := &Operation{done: make(chan struct{})}
	s.unlock()
	time.AfterFunc(d, func() {
		s.mu.Lock()
		op.finish(end)
		s.unlock()
	})
	return op
}

// await is finishLater followed by Operation.Wait, for the methods that
// wait, given what accepting the write returned: without latency, the
// write ends before await returns, and needs no Operation. It is called
// with s.mu held and releases it.
func (s *Service) await(ctx context.Context, d time.Duration, end func() error, err error) error {
	switch {
	case err != nil:
		s.unlock()
		return err
	case d <= 0:
		err := end()
		s.unlock()
		return err
	}
	return s.finishLater(d, end).Wait(ctx)
}

// closed is the Done channel of operations that ended as they started.
var closed = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// finish ends o with what end returns; s.mu is held.
func (o *Operation) finish(end func() error) {
	o.err, o.end = end(), time.Now()
	close(o.done)
}

// ended returns an operation that has already ended well: the answer to
// deleting what does not exist.
func ended() *Operation {
	return &Operation{done: closed, end: time.Now()}
}

// unlock releases s.mu and gives pending states to OnState.
func (s *Service) unlock() {
	if s.onState == nil || s.delivering || len(s.pending) == 0 {
		s.mu.Unlock()
		return
	}
	s.delivering = true
	for len(s.pending) > 0 {
		st := s.pending[0]
		s.pending[0] = State{}
		s.pending = s.pending[1:]
		s.mu.Unlock()
		s.onState(st)
		s.mu.Lock()
	}
	s.pending = nil
	s.delivering = false
	s.mu.Unlock()
}

// changed records a new state after a mutation; s.mu is held.
func (s *Service) changed(op, target string, end bool) {
	if !s.recording() {
		return
	}
	s.seq++
	st := State{Seq: s.seq, Time: time.Now(), Op: op, Target: target, End: end, Endpoints: s.snapshot()}
	if s.history {
		s.states = append(s.states, st)
		if s.onState != nil {
			st = st.clone()
		}
	}
	if s.onState != nil {
		s.pending = append(s.pending, st)
	}
}

// startETag returns the ETag of a resource whose operation, taking d,
// starts; s.mu is held. An operation without latency ends before the lock
// is released, so unless the state in between is recorded, its ETag is
// never seen: it is counted, and not written.
func (s *Service) startETag(d time.Duration) string {
	if d <= 0 && !s.recording() {
		s.etags++
		return ""
	}
	return s.nextETag()
}

// recording reports whether the service keeps or reports its states.
func (s *Service) recording() bool { return s.onState != nil || s.history }

// nextETag returns a new ETag; s.mu is held. ETags are a counter, so a run
// gives the same ETags every time.
func (s *Service) nextETag() string {
	s.etags++
	// Written in a buffer on the stack: one allocation, and no general
	// concatenation, which costs twice as much.
	var buf [24]byte
	b := append(buf[:0], '"')
	b = strconv.AppendInt(b, int64(s.etags), 10)
	return string(append(b, '"'))
}

// snapshot copies every endpoint out, sorted by name; s.mu is held.
func (s *Service) snapshot() []*endpoint.Endpoint {
	keys := slices.Sorted(maps.Keys(s.endpoints))
	out := make([]*endpoint.Endpoint, 0, len(keys))
	for _, k := range keys {
		out = append(out, s.endpoints[k].copyOut())
	}
	slices.SortStableFunc(out, func(a, b *endpoint.Endpoint) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// copyOut returns the endpoint with its deployments, sharing nothing with
// the record.
func (r *endpointRecord) copyOut() *endpoint.Endpoint {
	e := r.ep.Clone()
	e.Deployments = make([]endpoint.Deployment, 0, len(r.order))
	for _, n := range r.order {
		e.Deployments = append(e.Deployments, r.deployments[n].d.Clone())
	}
	if len(e.Deployments) == 0 {
		e.Deployments = nil
	}
	return e
}

// view is the endpoint of rec as the service's rules (internal/rules) see
// it: its own fields and status, and its deployments with theirs, sorted
// by name. It shares the records' maps, which the rules only read, and
// is built in the service's own storage, valid until the next view: the
// rules keep no part of their arguments but what they share, and a write
// keeps of the rules' answer only the deployment it wrote, which is in an
// array of its own (see store). s.mu is held.
func (s *Service) view(rec *endpointRecord) *endpoint.Endpoint {
	e := &s.viewed
	deps := e.Deployments[:0]
	*e = *rec.ep
	for _, k := range rec.order {
		deps = append(deps, *rec.deployments[k].d)
	}
	e.Deployments = deps
	return e
}

// add stores a new deployment record under key.
func (r *endpointRecord) add(key string, dr *deploymentRecord) {
	r.deployments[key] = dr
	at, _ := slices.BinarySearch(r.order, key)
	r.order = slices.Insert(r.order, at, key)
}

// remove forgets the deployment stored under key.
func (r *endpointRecord) remove(key string) {
	delete(r.deployments, key)
	if at, ok := slices.BinarySearch(r.order, key); ok {
		r.order = slices.Delete(r.order, at, at+1)
	}
}

// route returns the router of the endpoint's splits, built again when
// they changed since it was built.
func (r *endpointRecord) route() *traffic.Router {
	if r.router == nil || !r.router.Live().Equal(r.ep.Traffic) || !r.router.MirrorSplit().Equal(r.ep.Mirror) {
		r.router = traffic.NewRouter(r.ep.Traffic, r.ep.Mirror)
	}
	return r.router
}

// busyDeployment returns a deployment with an operation in progress, the
// first by name, or nil.
func (r *endpointRecord) busyDeployment() *deploymentRecord {
	var found *deploymentRecord
	for _, d := range r.deployments {
		if d.d.Status.ProvisioningState.Busy() && (found == nil || d.d.Name < found.d.Name) {
			found = d
		}
	}
	return found
}

// takeFailure returns and disarms the provisioning failure armed for a
// resource; s.mu is held.
func (s *Service) takeFailure(endpointName, deployment string) (failure, bool) {
	if len(s.failures) == 0 {
		return failure{}, false
	}
	k := resourceKey(endpointName, deployment)
	f, ok := s.failures[k]
	delete(s.failures, k)
	return f, ok
}

// FailProvisioning makes the next create, update or scale of a deployment
// (or, with deployment "", of the endpoint itself) end in the Failed
// provisioning state, and the call return a [backend.ProvisioningFailed]
// error with this code and message: the service's way of reporting a bad
// image, a failing scoring script or a quota that ran out. The resource
// need not exist yet. The failure fires once.
func (s *Service) FailProvisioning(endpointName, deployment, code, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[resourceKey(endpointName, deployment)] = failure{code: code, message: message}
}

// Disarm takes back the provisioning failure armed for a resource by
// [Service.FailProvisioning], if it has not fired: for a write that was
// refused before the service accepted it, whose failure must not fire on a
// later one.
func (s *Service) Disarm(endpointName, deployment string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.failures, resourceKey(endpointName, deployment))
}

// CallCount is how many times one method was called.
type CallCount struct {
	Op string
	N  int
}

// Calls counts the calls of each [backend.Backend] method by name
// ("CreateOrUpdateDeployment"), sorted by name. Calls the service refused
// count too; calls whose context had ended before they were made do not,
// since they never reached the service.
func (s *Service) Calls() []CallCount {
	s.mu.Lock()
	defer s.mu.Unlock()
	return counts(s.calls)
}

// counts lists a count by name in name order, so that no map order leaks.
func counts(m map[string]int) []CallCount {
	out := make([]CallCount, 0, len(m))
	for _, op := range slices.Sorted(maps.Keys(m)) {
		out = append(out, CallCount{Op: op, N: m[op]})
	}
	return out
}
