package rollout

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/plan"
)

// EventKind says what happened.
type EventKind int

// The kinds of [Event], in the order a rollout emits them.
const (
	// PlanStarted: the plan passed its checks and its first steps are
	// about to start.
	PlanStarted EventKind = iota + 1
	// StepStarted: the step's first backend call is about to be made.
	StepStarted
	// StepRetrying: the step's previous call failed with Err, a retryable
	// failure, and call number Attempt is about to be made.
	StepRetrying
	// StepFinished: the step's call succeeded.
	StepFinished
	// StepFailed: the step failed for good with Err.
	StepFailed
	// GateWaiting: a gate step started; the rollout waits for it.
	GateWaiting
	// GatePassed: the gate let the rollout go on.
	GatePassed
	// GateFailed: the gate refused with Err.
	GateFailed
	// RollingBack: the traffic of Endpoint is about to be restored to its
	// last stable split.
	RollingBack
	// PlanFinished: the rollout is over; Err is what Apply returns.
	PlanFinished
	// Waiting: Run found a resource in the middle of an operation (Err
	// says which) and waits for it to end before it plans.
	Waiting
	// StepProgress: a register_asset step has uploaded Progress so far.
	StepProgress
)

var eventKindNames = [...]string{
	PlanStarted:  "plan started",
	StepStarted:  "step started",
	StepRetrying: "step retrying",
	StepFinished: "step finished",
	StepFailed:   "step failed",
	GateWaiting:  "gate waiting",
	GatePassed:   "gate passed",
	GateFailed:   "gate failed",
	RollingBack:  "rolling back",
	PlanFinished: "plan finished",
	Waiting:      "waiting",
	StepProgress: "step progress",
}

// String returns the kind in words.
func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventKindNames) {
		return eventKindNames[k]
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event reports progress. Fields that do not apply to the kind are zero.
// Events never carry secrets: errors from a backend leave keys out, and
// steps are named by id.
type Event struct {
	Kind EventKind
	// Step is the step's id; Action, Endpoint, Deployment and Gate come
	// from the step.
	Step       string
	Action     plan.Action
	Endpoint   string
	Deployment string
	Gate       string
	// Attempt counts the calls of a step, from 1.
	Attempt int
	// Err is the failure the event is about.
	Err error
	// Done is how many steps have finished, out of Total in the plan.
	Done, Total int
	// Elapsed is the time since the rollout started.
	Elapsed time.Duration
	// Progress counts the files and bytes a register_asset step has
	// uploaded, in StepProgress events.
	Progress backend.Progress
}

// String returns a one-line description, the way a progress log would
// print it: "[3/7 12m30s] step finished: my-endpoint/green/create".
func (e Event) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%d/%d %s] %s", e.Done, e.Total, e.Elapsed.Round(time.Second), e.Kind)
	switch {
	case e.Step != "":
		b.WriteString(": " + e.Step)
	case e.Endpoint != "":
		b.WriteString(": " + e.Endpoint)
	}
	if e.Attempt > 1 {
		fmt.Fprintf(&b, " (attempt %d)", e.Attempt)
	}
	if p := e.Progress; e.Kind == StepProgress {
		fmt.Fprintf(&b, ": %d/%d files, %d/%d bytes", p.Files, p.TotalFiles, p.Bytes, p.TotalBytes)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// emitter hands events to the user's function one at a time and fills in
// the progress counts.
type emitter struct {
	mu    sync.Mutex
	f     func(Event)
	start time.Time
	total int
	done  atomic.Int64
}

func newEmitter(f func(Event), total int) *emitter {
	return &emitter{f: f, start: time.Now(), total: total}
}

func (em *emitter) emit(ev Event) {
	if em.f == nil {
		return
	}
	ev.Total = em.total
	em.mu.Lock()
	defer em.mu.Unlock()
	// Done and Elapsed are read under the lock so that the counts a
	// listener sees never go backwards.
	ev.Done = int(em.done.Load())
	ev.Elapsed = time.Since(em.start)
	em.f(ev)
}

// step emits an event about step s.
func (em *emitter) step(kind EventKind, s *plan.Step, attempt int, err error) {
	if em.f == nil {
		return
	}
	em.emit(Event{Kind: kind, Step: s.ID, Action: s.Action, Endpoint: s.Endpoint,
		Deployment: s.Deployment, Gate: s.Gate, Attempt: attempt, Err: err})
}
