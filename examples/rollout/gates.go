package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/rolloutkit/rollout"
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
	case f.autoApprove:
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
	in := bufio.NewReader(c.stdin)
	return rollout.GateFunc(func(ctx context.Context, g rollout.GateContext) error {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(c.stderr, "Approve %s on %s? Only 'yes' goes on: ", g.Name, g.Endpoint)
		answer := make(chan string, 1)
		go func() {
			line, _ := in.ReadString('\n')
			answer <- strings.TrimSpace(line)
		}()
		select {
		case a := <-answer:
			if a != "yes" {
				return fmt.Errorf("%w: %s on %s", rollout.ErrNotApproved, g.Name, g.Endpoint)
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}

// progress returns the event listener that prints one line per event,
// with the time elapsed on the service's clock.
func progress(w io.Writer, speed float64) func(rollout.Event) {
	return func(ev rollout.Event) {
		ev.Elapsed = time.Duration(float64(ev.Elapsed) * speed)
		fmt.Fprintln(w, ev)
	}
}
