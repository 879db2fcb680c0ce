package durable

import (
	"time"

	"github.com/rolloutkit/rollout/traffic"
)

// The names of the signals and the query of the Rollout and Fleet
// workflows.
const (
	// SignalApprove passes approval gates that wait: all of them, or the
	// one whose step id the Signal names. An approval that arrives while
	// no gate waits is ignored: approve what the status shows waiting.
	SignalApprove = "approve"
	// SignalAbort stops the rollout: gates that wait refuse, nothing new
	// starts, the writes in flight end, and the traffic is rolled back.
	SignalAbort = "abort"
	// SignalPromote skips every gate from now on, as Argo Rollouts'
	// promote --full does: gates that wait pass at once, and the rest of
	// the plan runs without stopping. A gate it skips checked nothing and
	// approves no split: a rollback after it goes back to the split before.
	SignalPromote = "promote"
	// QueryStatus returns the Status (a FleetStatus for the Fleet
	// workflow).
	QueryStatus = "status"
)

// Signal is the payload of the approve and abort signals.
type Signal struct {
	// Step, on approve, is the id of the one gate step to approve; empty
	// approves every approval gate that waits.
	Step string `json:"step,omitempty"`
	// Reason, on abort, says why, for the status and the error.
	Reason string `json:"reason,omitempty"`
}

// Phase is where a rollout is.
type Phase string

// The phases of a rollout, in the order it goes through them.
const (
	PhaseObserving   Phase = "observing"
	PhaseRunning     Phase = "running"
	PhaseRollingBack Phase = "rolling back"
	PhaseSucceeded   Phase = "succeeded"
	PhaseFailed      Phase = "failed"
	PhaseAborted     Phase = "aborted"
)

// Status is what the status query returns: the plan, how far it got, the
// traffic as the rollout last set it, and the gates that wait.
type Status struct {
	Phase Phase `json:"phase"`
	// Plan is the plan as text, in the style of terraform plan; empty
	// until it is computed.
	Plan     string `json:"plan,omitempty"`
	Strategy string `json:"strategy,omitempty"`
	// Steps counts the plan's steps; Done lists those that finished, in
	// the order they did, and Running those in flight, in plan order.
	Steps   int      `json:"steps"`
	Done    []string `json:"done"`
	Running []string `json:"running"`
	// Stage is the id of the last traffic step that finished: the stage of
	// the ramp the endpoint is at.
	Stage string `json:"stage,omitempty"`
	// Traffic is each endpoint's live and mirror split, as observed and
	// then as the rollout's steps wrote them, sorted by endpoint.
	Traffic []EndpointTraffic `json:"traffic"`
	// Waiting lists the gates that wait, in plan order.
	Waiting  []Wait `json:"waiting"`
	Promoted bool   `json:"promoted,omitempty"`
	// RolledBack lists the endpoints whose traffic the rollback restored.
	RolledBack []string `json:"rolled_back,omitempty"`
	// Error is why the rollout stopped.
	Error string `json:"error,omitempty"`
}

// EndpointTraffic is an endpoint's live and mirror split.
type EndpointTraffic struct {
	Endpoint string        `json:"endpoint"`
	Live     traffic.Split `json:"live"`
	Mirror   traffic.Split `json:"mirror"`
}

// Wait is a gate that waits.
type Wait struct {
	Step     string   `json:"step"`
	Gate     string   `json:"gate"`
	Endpoint string   `json:"endpoint"`
	Kind     GateKind `json:"kind"`
	// Since is when the gate started waiting, in workflow time.
	Since time.Time `json:"since"`
}

// Result is what a Rollout workflow that finished returns.
type Result struct {
	// Steps counts the plan's steps, and Completed lists them in the
	// order they finished.
	Steps     int      `json:"steps"`
	Completed []string `json:"completed"`
	// Promoted is set when the promote signal skipped gates.
	Promoted bool `json:"promoted,omitempty"`
}
