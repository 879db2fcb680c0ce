package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/plan"
)

// applyUI is how apply reports: the plan, each event of the rollout, and
// the result.
type applyUI interface {
	plan(*plan.Plan) error
	event(rollout.Event)
	done(*rollout.Result)
}

// ui returns the text or the JSON form of apply's output.
func (c *command) ui(f applyFlags, speed float64) applyUI {
	if f.asJSON {
		return &jsonUI{w: c.stdout, speed: speed, now: time.Now}
	}
	return &textUI{w: c.stdout, speed: speed, color: c.color(f.noColor)}
}

// textUI prints the plan as terraform plan does and one line per event,
// with the time elapsed on the service's clock.
type textUI struct {
	w     io.Writer
	speed float64
	color bool
}

func (t *textUI) plan(p *plan.Plan) error {
	if err := plan.WriteText(t.w, p, plan.TextOptions{Color: t.color}); err != nil {
		return err
	}
	_, err := fmt.Fprintln(t.w)
	return err
}

func (t *textUI) event(ev rollout.Event) {
	ev.Elapsed = serviceTime(ev.Elapsed, t.speed)
	fmt.Fprintln(t.w, ev)
}

func (t *textUI) done(res *rollout.Result) {
	fmt.Fprintf(t.w, "Apply complete. Steps: %d, writes: %d, retries: %d.\n", len(res.Completed), res.Calls, res.Retries)
}

// serviceTime converts a real duration into the service's clock.
func serviceTime(d time.Duration, speed float64) time.Duration {
	return time.Duration(float64(d) * speed)
}

// uiVersion is the version of apply --json's messages: the minor number
// grows when messages or fields are added, the major one when a field
// changes meaning or goes away.
const uiVersion = "1.0"

// jsonUI writes apply's machine-readable output: one JSON object per line,
// in the manner of terraform's machine-readable UI. Every message has
// @level, @message (the line the text output would print), @timestamp and
// type; see the package documentation for each type's fields.
type jsonUI struct {
	mu    sync.Mutex
	w     io.Writer
	speed float64
	now   func() time.Time
}

// message is one line of apply --json.
type message struct {
	Level     string `json:"@level"`
	Message   string `json:"@message"`
	Timestamp string `json:"@timestamp"`
	Type      string `json:"type"`

	Rollout string `json:"rollout,omitempty"`
	UI      string `json:"ui,omitempty"`

	Step     *stepRef      `json:"step,omitempty"`
	Changes  *plan.Summary `json:"changes,omitempty"`
	Endpoint string        `json:"endpoint,omitempty"`
	Attempt  int           `json:"attempt,omitempty"`
	Error    string        `json:"error,omitempty"`
	Progress *progressRef  `json:"progress,omitempty"`
	Elapsed  *float64      `json:"elapsed_seconds,omitempty"`

	Fingerprint        string `json:"fingerprint,omitempty"`
	DesiredFingerprint string `json:"desired_fingerprint,omitempty"`

	Result *resultRef `json:"result,omitempty"`
}

type stepRef struct {
	ID         string      `json:"id"`
	Action     plan.Action `json:"action"`
	Endpoint   string      `json:"endpoint"`
	Deployment string      `json:"deployment,omitempty"`
	Gate       string      `json:"gate,omitempty"`
	DependsOn  []string    `json:"depends_on,omitempty"`
}

type progressRef struct {
	Done  int `json:"done"`
	Total int `json:"total"`
}

type resultRef struct {
	Steps   int `json:"steps"`
	Writes  int `json:"writes"`
	Retries int `json:"retries"`
}

func (j *jsonUI) write(m message) {
	if m.Level == "" {
		m.Level = "info"
	}
	m.Timestamp = j.now().UTC().Format(time.RFC3339Nano)
	data, err := json.Marshal(m)
	if err != nil {
		panic(err) // every field is a plain value
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	fmt.Fprintf(j.w, "%s\n", data)
}

func (j *jsonUI) plan(p *plan.Plan) error {
	j.write(message{Type: "version", Message: version(), Rollout: strings.TrimPrefix(version(), "rollout "), UI: uiVersion})
	for _, s := range p.Steps {
		j.write(message{Type: "planned_step", Message: s.ID + ": " + s.Action.String(),
			Step: &stepRef{ID: s.ID, Action: s.Action, Endpoint: s.Endpoint, Deployment: s.Deployment, Gate: s.Gate, DependsOn: s.DependsOn}})
	}
	sum := p.Summary
	j.write(message{Type: "change_summary", Message: "Plan: " + sum.String(), Changes: &sum,
		Fingerprint: p.Fingerprint, DesiredFingerprint: p.DesiredFingerprint})
	return nil
}

// eventTypes are the message types of the rollout's events.
var eventTypes = map[rollout.EventKind]string{
	rollout.PlanStarted:  "plan_started",
	rollout.StepStarted:  "step_started",
	rollout.StepRetrying: "step_retrying",
	rollout.StepFinished: "step_finished",
	rollout.StepFailed:   "step_failed",
	rollout.GateWaiting:  "gate_waiting",
	rollout.GatePassed:   "gate_passed",
	rollout.GateFailed:   "gate_failed",
	rollout.RollingBack:  "rolling_back",
	rollout.PlanFinished: "plan_finished",
	rollout.Waiting:      "waiting",
}

func (j *jsonUI) event(ev rollout.Event) {
	ev.Elapsed = serviceTime(ev.Elapsed, j.speed)
	elapsed := ev.Elapsed.Seconds()
	m := message{Type: eventTypes[ev.Kind], Message: ev.String(), Endpoint: ev.Endpoint, Attempt: ev.Attempt,
		Progress: &progressRef{Done: ev.Done, Total: ev.Total}, Elapsed: &elapsed}
	if m.Type == "" {
		m.Type = "event"
	}
	if ev.Step != "" {
		m.Step = &stepRef{ID: ev.Step, Action: ev.Action, Endpoint: ev.Endpoint, Deployment: ev.Deployment, Gate: ev.Gate}
	}
	if ev.Err != nil {
		m.Level, m.Error = "error", ev.Err.Error()
	}
	j.write(m)
}

func (j *jsonUI) done(res *rollout.Result) {
	j.write(message{Type: "apply_complete",
		Message: fmt.Sprintf("Apply complete. Steps: %d, writes: %d, retries: %d.", len(res.Completed), res.Calls, res.Retries),
		Result:  &resultRef{Steps: len(res.Completed), Writes: res.Calls, Retries: res.Retries}})
}
