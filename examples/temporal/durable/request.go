package durable

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
)

// Request is the input of the [Rollout] workflow: where to go, how to get
// there and how to wait at gates. It travels through the workflow's
// history as JSON, secret environment values included: give the client
// and the workers a payload codec that encrypts (converter.NewCodecDataConverter)
// when specs carry secrets.
type Request struct {
	// Desired are the endpoints to reach, as endpoint.Load returns them.
	Desired []*endpoint.Endpoint `json:"desired"`
	// Strategy is a strategy in the command-line form of
	// plan.ParseStrategy (canary:10,50:bake,approve); empty is direct.
	Strategy string `json:"strategy,omitempty"`
	// DeleteUnlisted and AllowReplace are the plan options of the same
	// names.
	DeleteUnlisted bool `json:"delete_unlisted,omitempty"`
	AllowReplace   bool `json:"allow_replace,omitempty"`
	// Gates binds the plan's gate names to the ways of waiting at them,
	// as rollout.Gates binds them: a gate step named smoke:green takes
	// the entry smoke:green, or else the entry smoke. A gate that no entry
	// binds makes the workflow fail before its first write.
	Gates map[string]GateSpec `json:"gates,omitempty"`
	// Parallelism bounds the writes in flight at once; gates that wait
	// hold no slot. Zero is rollout.DefaultParallelism.
	Parallelism int `json:"parallelism,omitempty"`
	// SerializePerEndpoint sends at most one write per endpoint at a
	// time, as the option of the same name does for rollout.Apply.
	SerializePerEndpoint bool `json:"serialize_per_endpoint,omitempty"`
	// MaxAttempts bounds the attempts of one step's activity before a
	// retryable failure is final; zero is rollout.DefaultMaxAttempts.
	MaxAttempts int `json:"max_attempts,omitempty"`
	// StepTimeout bounds one attempt of a write, which blocks until the
	// service's operation ends (creating a deployment takes about 15
	// minutes); zero is DefaultStepTimeout.
	StepTimeout time.Duration `json:"step_timeout,omitempty"`
}

// DefaultStepTimeout bounds one attempt of a write unless
// Request.StepTimeout says otherwise: twice the longest operation the
// service is known to take.
const DefaultStepTimeout = time.Hour

// GateKind is how a gate waits.
type GateKind string

// The kinds of gate.
const (
	// Bake waits Duration on a workflow timer while the stage's traffic
	// runs; a bake of hours costs nothing and survives any worker.
	Bake GateKind = "bake"
	// Approval waits for the approve signal (or abort, or promote); with
	// a Timeout, nobody answering in time refuses the gate.
	Approval GateKind = "approval"
	// Smoke is an activity that sends Request to the gate's deployment
	// alone (rollout.SmokeTest) and passes on any 2xx answer.
	Smoke GateKind = "smoke"
	// Metric is an activity that watches the error rate over Duration
	// (rollout.Metric with rollout.MaxErrorRate) through the worker's
	// Activities.Metrics.
	Metric GateKind = "metric"
)

// GateSpec says how to wait at a gate.
type GateSpec struct {
	Kind GateKind `json:"kind"`
	// Duration is a bake's time, or a metric gate's window.
	Duration time.Duration `json:"duration,omitempty"`
	// Timeout bounds an approval's wait; zero waits until answered.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Request is the body a smoke gate sends.
	Request []byte `json:"request,omitempty"`
	// MaxErrorRate and MinRequests are a metric gate's condition.
	MaxErrorRate float64 `json:"max_error_rate,omitempty"`
	MinRequests  int64   `json:"min_requests,omitempty"`
}

// DefaultGates binds the gate names the planner's strategies use: smoke
// tests with an empty JSON object, a bake of bake, and approve (or
// approval) waiting for the approve signal.
func DefaultGates(bake time.Duration) map[string]GateSpec {
	return map[string]GateSpec{
		"smoke":    {Kind: Smoke, Request: []byte("{}")},
		"bake":     {Kind: Bake, Duration: bake},
		"approve":  {Kind: Approval},
		"approval": {Kind: Approval},
	}
}

// check refuses a request that cannot run, naming the field.
func (r *Request) check() error {
	if len(r.Desired) == 0 && !r.DeleteUnlisted {
		return fmt.Errorf("durable: request: desired: no endpoints")
	}
	for i, e := range r.Desired {
		if e == nil {
			return fmt.Errorf("durable: request: desired[%d]: no endpoint", i)
		}
	}
	if _, err := plan.ParseStrategy(r.strategy()); err != nil {
		return fmt.Errorf("durable: request: strategy %q: %w", r.Strategy, err)
	}
	for _, name := range sortedKeys(r.Gates) {
		if err := r.Gates[name].check(); err != nil {
			return fmt.Errorf("durable: request: gates[%q]: %w", name, err)
		}
	}
	return nil
}

func (g GateSpec) check() error {
	switch g.Kind {
	case Bake:
		if g.Duration <= 0 {
			return fmt.Errorf("bake needs a duration above zero, not %v", g.Duration)
		}
	case Metric:
		if g.Duration <= 0 || g.MaxErrorRate < 0 || g.MaxErrorRate > 1 {
			return fmt.Errorf("metric needs a window above zero and an error rate from 0 to 1, not %v and %v", g.Duration, g.MaxErrorRate)
		}
	case Approval, Smoke:
	default:
		return fmt.Errorf("unknown kind %q; want bake, approval, smoke or metric", g.Kind)
	}
	return nil
}

func (r *Request) strategy() string {
	if r.Strategy == "" {
		return "direct"
	}
	return r.Strategy
}

// planOptions returns the options plan.Compute takes; check has parsed
// the strategy already.
func (r *Request) planOptions() plan.Options {
	s, _ := plan.ParseStrategy(r.strategy())
	return plan.Options{Strategy: s, DeleteUnlisted: r.DeleteUnlisted, AllowReplace: r.AllowReplace}
}

func (r *Request) parallelism() int {
	if r.Parallelism > 0 {
		return r.Parallelism
	}
	return rollout.DefaultParallelism
}

// gate returns the spec bound to a gate name, the way rollout.Gates binds
// names: exactly, or else by the part before the first colon.
func (r *Request) gate(name string) (GateSpec, bool) {
	if g, ok := r.Gates[name]; ok {
		return g, true
	}
	prefix, _, found := strings.Cut(name, ":")
	if !found {
		return GateSpec{}, false
	}
	g, ok := r.Gates[prefix]
	return g, ok
}

// unbound returns the names of the plan's gates that no entry binds,
// sorted and without repeats.
func (r *Request) unbound(p *plan.Plan) []string {
	var names []string
	for i := range p.Steps {
		s := &p.Steps[i]
		if s.Action != plan.Gate {
			continue
		}
		if _, ok := r.gate(s.Gate); !ok {
			names = append(names, s.Gate)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
