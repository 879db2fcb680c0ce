package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/plan"
)

// gates binds the gate names of the built-in strategies for a command
// line. Gate waits run on the service's clock: speed times faster than
// real time. approval is left unbound when nobody can answer, so that
// Apply refuses the plan before it sends anything rather than stop half
// way.
func (c *command) gates(f applyFlags, smoke []byte, speed float64) map[string]rollout.Gate {
	bake := rollout.Pause(time.Duration(float64(f.bake) / speed))
	g := map[string]rollout.Gate{
		"smoke":  rollout.SmokeTest(smoke, nil),
		"bake":   bake,
		"shadow": bake,
	}
	switch {
	case f.approveGates:
		g["approval"] = rollout.GateFunc(func(context.Context, rollout.GateContext) error { return nil })
	case c.terminal:
		g["approval"] = c.ask()
	}
	return g
}

// ask returns a gate that asks on the terminal, one question at a time:
// gates of several endpoints may wait at once.
func (c *command) ask() rollout.Gate {
	var mu sync.Mutex
	return rollout.GateFunc(func(ctx context.Context, g rollout.GateContext) error {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(c.stderr, "Approve %s on %s? Only 'yes' goes on: ", g.Name, g.Endpoint)
		a, err := c.answer(ctx)
		if err != nil {
			return err
		}
		if a != "yes" {
			return fmt.Errorf("%w: %s on %s", rollout.ErrNotApproved, g.Name, g.Endpoint)
		}
		return nil
	})
}

// unbound returns the names of p's gates that gates cannot check, sorted,
// binding names as rollout.Gates does: exactly, or by the part before the
// first colon.
func unbound(p *plan.Plan, gates map[string]rollout.Gate) []string {
	var names []string
	for _, s := range p.Steps {
		if s.Action != plan.Gate {
			continue
		}
		kind, _, _ := strings.Cut(s.Gate, ":")
		if gates[s.Gate] == nil && gates[kind] == nil && !slices.Contains(names, s.Gate) {
			names = append(names, s.Gate)
		}
	}
	slices.Sort(names)
	return names
}
