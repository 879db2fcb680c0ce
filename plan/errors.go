package plan

import (
	"errors"
	"fmt"

	"github.com/rolloutkit/rollout/endpoint"
)

// ErrRefused is matched (with [errors.Is]) by a [*RefusedError]: the
// planner will not produce a plan, because every plan that reaches the
// desired state would break a safety rule. The error says how to get there
// safely.
var ErrRefused = errors.New("plan: refused")

// ErrBusy is matched by a [*BusyError]: a resource the plan would write is
// still being created, updated, scaled or deleted. Plan again once the
// service reports it Succeeded or Failed.
var ErrBusy = errors.New("plan: resource busy")

// ErrStale is matched by the error [Check] and [Verify] return when the
// plan was computed from another actual state than the one they are given,
// the same refusal an executor makes before applying a saved plan.
var ErrStale = errors.New("plan: computed from another state")

// RefusedError explains why the planner refused and what to do instead.
type RefusedError struct {
	Endpoint   string
	Deployment string // empty when the endpoint itself is at fault
	// Rule is the safety rule the plan would break: "S6", "limit" when
	// the endpoint would need more deployments at once than the service
	// allows, or "spec" for a spec the service refuses to take, such as an
	// asset selected by a label that was not resolved.
	Rule string
	// Path is the field of the desired endpoint the refusal is about, in
	// the canonical form [endpoint.Endpoint.Position] takes
	// (deployments[blue].instance_type, compute), so that a program can
	// point at the line that asked for the change.
	Path string
	// Msg says what cannot be done; Remedy spells out the safe path.
	Msg    string
	Remedy string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("plan: %s: %s: %s; %s", target(e.Endpoint, e.Deployment), e.Rule, e.Msg, e.Remedy)
}

// Is reports whether target is [ErrRefused].
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// BusyError names a resource whose long-running operation has not ended.
// The planner does not wait: a plan is computed from one observation, and
// only a fresh observation can say what the operation left behind.
type BusyError struct {
	Endpoint   string
	Deployment string // empty when the endpoint itself is busy
	State      endpoint.ProvisioningState
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("plan: %s is %s; plan again when its operation has finished", target(e.Endpoint, e.Deployment), e.State)
}

// Is reports whether target is [ErrBusy].
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// ViolationError is a broken safety rule found by [Check], [Verify] or
// [Simulate]: the rule, the step after which (or at which) it broke, and
// what was wrong, including the order of steps that led there.
type ViolationError struct {
	// Rule is S1 to S6 for the safety rules of a state, P1 when the plan
	// does not converge or a step cannot be applied at all (a resource
	// created twice, or missing), or, for a write the service refuses for
	// another reason, "limit" (too many deployments), "spec" (a spec its
	// static rules reject) or "busy" (an operation in progress).
	Rule string
	Step string
	Msg  string
}

func (e *ViolationError) Error() string {
	if e.Step == "" {
		return fmt.Sprintf("plan: %s: %s", e.Rule, e.Msg)
	}
	return fmt.Sprintf("plan: %s at step %s: %s", e.Rule, e.Step, e.Msg)
}

func target(ep, dep string) string {
	if dep == "" {
		return ep
	}
	return ep + "/" + dep
}
