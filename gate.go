package rollout

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/plan"
)

// Gate decides whether a rollout may go on past a gate step. Plans name
// their gates ("smoke:green", "bake"); [Gates] binds the names to Gate
// values when the plan is applied, so that a plan stays plain data.
//
// Check blocks until it has decided: nil lets the rollout go on, an error
// stops it (and rolls it back, with [Rollback]). It must return when ctx
// ends. A gate may be checked by several gate steps at once (one per
// endpoint of a fleet), so it must be safe for concurrent use.
type Gate interface {
	Check(ctx context.Context, g GateContext) error
}

// GateFunc adapts a function to [Gate].
type GateFunc func(ctx context.Context, g GateContext) error

// Check calls f.
func (f GateFunc) Check(ctx context.Context, g GateContext) error { return f(ctx, g) }

// GateContext is what a gate is checked about.
type GateContext struct {
	// Name is the gate's name in the plan ("smoke:green").
	Name string
	// Endpoint is the endpoint the gate step belongs to.
	Endpoint string
	// Deployment is the deployment the gate is about: the step's, or else
	// the part of Name after the first colon; empty for gates about the
	// whole endpoint (a bake between stages).
	Deployment string
	// Step is the gate step's id.
	Step string
	// Backend is the service the plan is applied to, for gates that
	// look at it (a smoke test invokes the deployment through it).
	Backend backend.Backend
}

// gateContext describes gate step s applied through b.
func gateContext(b backend.Backend, s *plan.Step) GateContext {
	dep := s.Deployment
	if dep == "" {
		_, dep, _ = strings.Cut(s.Gate, ":")
	}
	return GateContext{Name: s.Gate, Endpoint: s.Endpoint, Deployment: dep, Step: s.ID, Backend: b}
}

// gate returns the gate bound to name: the entry for exactly that name,
// or for the part before its first colon.
func (c *config) gate(name string) (Gate, bool) {
	if g, ok := c.gates[name]; ok && g != nil {
		return g, true
	}
	if prefix, _, ok := strings.Cut(name, ":"); ok {
		if g, ok := c.gates[prefix]; ok && g != nil {
			return g, true
		}
	}
	return nil, false
}

// checkGates reports every gate name among steps that nothing binds, so
// that a rollout never stops half-way at a gate it cannot check.
func (c *config) checkGates(steps []plan.Step) error {
	var unbound []string
	for i := range steps {
		s := &steps[i]
		if s.Action != plan.Gate {
			continue
		}
		if _, ok := c.gate(s.Gate); !ok && !slices.Contains(unbound, s.Gate) {
			unbound = append(unbound, s.Gate)
		}
	}
	if len(unbound) == 0 {
		return nil
	}
	slices.Sort(unbound)
	return fmt.Errorf("%w: no gate is bound to %s; bind them with rollout.Gates", ErrUnboundGate, quoteAll(unbound))
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
