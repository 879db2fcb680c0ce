package main

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/plan"
)

// report writes the walk-through as it happens. Lines come from the
// executor's events and from the bake gate's goroutine, so writes are
// serialized. Times are simulated: the real time since the start, times
// the speed-up the service runs at.
type report struct {
	mu    sync.Mutex
	w     io.Writer
	err   error
	start time.Time
	speed float64

	// The plan being applied: each step's place in it, for "3/5", and
	// the width of the longest id, to align the progress lines.
	p     *plan.Plan
	index map[string]int
	width int
}

func newReport(w io.Writer, speed float64) *report {
	return &report{w: w, start: time.Now(), speed: speed}
}

// printf writes unless an earlier write failed; Err returns that failure.
func (r *report) printf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		_, r.err = fmt.Fprintf(r.w, format, args...)
	}
}

// Err returns the first write error.
func (r *report) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// clock returns the simulated time since the start, as h:mm:ss.
func (r *report) clock() string {
	d := time.Duration(float64(time.Since(r.start)) * r.speed).Round(time.Second)
	s := int(d / time.Second)
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}

// field writes one labelled line of a stage's block.
func (r *report) field(label, value string) {
	r.printf("  %-9s %s\n", label, value)
}

// showPlan writes p, indented under the stage's header, and remembers its
// steps for the progress lines.
func (r *report) showPlan(p *plan.Plan) error {
	var b bytes.Buffer
	if err := plan.WriteText(&b, p, plan.TextOptions{}); err != nil {
		return err
	}
	var out strings.Builder
	for line := range strings.Lines(b.String()) {
		if line != "\n" {
			out.WriteString("  ")
		}
		out.WriteString(line)
	}
	r.printf("\n%s\n", out.String())
	r.mu.Lock()
	defer r.mu.Unlock()
	r.p, r.index, r.width = p, make(map[string]int, len(p.Steps)), 0
	for i, s := range p.Steps {
		r.index[s.ID] = i + 1
		r.width = max(r.width, len(s.ID))
	}
	return nil
}

// event writes one line of progress for the events a reader follows; the
// start and end of the whole plan are left out, since the stage's header
// and its traffic line stand for them.
func (r *report) event(e rollout.Event) {
	var what string
	switch e.Kind {
	case rollout.StepStarted:
		what = "started"
	case rollout.StepRetrying:
		what = fmt.Sprintf("retrying (call %d): %v", e.Attempt, e.Err)
	case rollout.StepFinished:
		what = "done"
		if e.Action == plan.SetTraffic {
			what += ": " + r.splitOf(e.Step)
		}
	case rollout.StepFailed:
		what = fmt.Sprintf("failed: %v", e.Err)
	case rollout.GateWaiting:
		what = "waiting"
	case rollout.GatePassed:
		what = "passed"
	case rollout.GateFailed:
		what = fmt.Sprintf("refused: %v", e.Err)
	case rollout.RollingBack:
		r.note(e.Endpoint + ": rolling back its traffic")
		return
	default:
		return
	}
	r.mu.Lock()
	place := fmt.Sprintf("%d/%d", r.index[e.Step], len(r.p.Steps))
	width := r.width
	r.mu.Unlock()
	r.printf("  %s  %s  %-*s  %s\n", r.clock(), place, width, e.Step, what)
}

// note writes a line of progress that is about no step in particular,
// aligned with the steps' ids.
func (r *report) note(text string) {
	r.mu.Lock()
	n := len(r.p.Steps)
	r.mu.Unlock()
	place := len(fmt.Sprintf("%d/%d", n, n))
	r.printf("  %s  %*s  %s\n", r.clock(), place, "", text)
}

// splitOf returns the live split a traffic step of the current plan sets.
func (r *report) splitOf(id string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return splitText(r.p.Step(id).Traffic)
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// minutes writes a duration the way people say it: "10m", "1m30s".
func minutes(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return d.String()
}
