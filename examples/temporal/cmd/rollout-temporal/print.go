package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rolloutkit/rollout/examples/temporal/durable"
)

// printStatus writes a rollout's status for people.
func printStatus(w io.Writer, st durable.Status) {
	fmt.Fprintf(w, "phase:    %s\n", st.Phase)
	fmt.Fprintf(w, "strategy: %s\n", st.Strategy)
	fmt.Fprintf(w, "steps:    %d of %d done", len(st.Done), st.Steps)
	if st.Stage != "" {
		fmt.Fprintf(w, ", at %s", st.Stage)
	}
	fmt.Fprintln(w)
	if len(st.Running) > 0 {
		fmt.Fprintf(w, "running:  %s\n", strings.Join(st.Running, ", "))
	}
	for _, t := range st.Traffic {
		fmt.Fprintf(w, "traffic:  %s live %s", t.Endpoint, orNone(t.Live.String()))
		if !t.Mirror.IsZero() {
			fmt.Fprintf(w, ", mirror %s", t.Mirror)
		}
		fmt.Fprintln(w)
	}
	// The step is what approve --step takes.
	for _, g := range st.Waiting {
		fmt.Fprintf(w, "waiting:  %s gate %s on %s since %s (step %s)\n", g.Kind, g.Gate, g.Endpoint, g.Since.UTC().Format(time.RFC3339), g.Step)
	}
	if st.Promoted {
		fmt.Fprintln(w, "promoted: remaining gates skipped")
	}
	if len(st.RolledBack) > 0 {
		fmt.Fprintf(w, "rolled back: %s\n", strings.Join(st.RolledBack, ", "))
	}
	if st.Error != "" {
		fmt.Fprintf(w, "error:    %s\n", st.Error)
	}
	if st.Plan != "" {
		fmt.Fprintf(w, "\n%s", st.Plan)
	}
}

// printFleet writes a fleet's status for people.
func printFleet(w io.Writer, st durable.FleetStatus) {
	fmt.Fprintf(w, "endpoints: %d pending, %d running, %d succeeded, %d failed\n", st.Pending, st.Running, st.Succeeded, st.Failed)
	for _, e := range st.Endpoints {
		fmt.Fprintf(w, "  %-32s %-10s %s", e.Endpoint, e.Phase, e.WorkflowID)
		if e.Error != "" {
			fmt.Fprintf(w, ": %s", e.Error)
		}
		fmt.Fprintln(w)
	}
}

func orNone(s string) string {
	if s == "" {
		return "none (dark)"
	}
	return s
}
