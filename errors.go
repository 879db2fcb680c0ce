package rollout

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
)

// ErrStalePlan is matched (with errors.Is) by a [*StalePlanError].
var ErrStalePlan = errors.New("rollout: stale plan")

// ErrInvalidPlan is matched by the errors about a plan that cannot be
// executed as it stands: no plan, a step graph that is not one (a
// duplicate id, a dependency on a missing step), an unknown step id, or
// secret values that were redacted when the plan was saved. Nothing has
// been sent to the service when it is returned.
var ErrInvalidPlan = errors.New("rollout: plan cannot be executed")

// ErrUnsafePlan is matched by the error [Apply] returns for a plan that
// breaks a safety rule in the state it observed: the error also wraps the
// [*plan.ViolationError] that names the rule and the step. Nothing has
// been sent to the service when it is returned.
var ErrUnsafePlan = errors.New("rollout: unsafe plan")

// ErrUnboundGate is matched by the error about gate steps whose names no
// [Gates] entry binds. It is found before anything runs.
var ErrUnboundGate = errors.New("rollout: unbound gate")

// errNoBackend refuses a call given a nil backend, which would otherwise
// panic at its first request.
var errNoBackend = errors.New("rollout: no backend")

// StalePlanError refuses a plan computed from another state than the one
// the service holds now, as terraform apply refuses a saved plan: applying
// it could undo somebody else's change. Plan again from a fresh
// observation.
type StalePlanError struct {
	// Want is the plan's fingerprint, Got the fingerprint of what the
	// service holds now (see plan.Fingerprint).
	Want, Got string
	// Moved describes each asset label of the plan that points at
	// another version now: "azureml:taxi-model@latest moved from 7 to 8".
	Moved []string
}

func (e *StalePlanError) Error() string {
	moved := ""
	if len(e.Moved) > 0 {
		moved = " (" + strings.Join(e.Moved, ", ") + ")"
	}
	return fmt.Sprintf("rollout: the plan was computed from state %s but the service now holds state %s%s; plan again",
		short(e.Want), short(e.Got), moved)
}

// Is reports whether target is [ErrStalePlan].
func (e *StalePlanError) Is(target error) bool { return target == ErrStalePlan }

// short cuts a fingerprint to the length people compare by eye.
func short(fp string) string {
	if fp == "" {
		return "(none)"
	}
	if len(fp) > 12 {
		return fp[:12]
	}
	return fp
}

// StepError is a rollout that stopped because a step failed for good or a
// gate refused. Steps that were running then were allowed to finish and
// nothing new was started, so the service holds a state that keeps every
// safety rule: State is that state, observed after the stop (and after
// the rollback, if one was made), for the endpoints the plan touches. Run
// the plan again from State, or fix the cause and plan again.
type StepError struct {
	// Step is the id of the step that failed.
	Step   string
	Action plan.Action
	// Err is the cause: a *backend.Error from the service, the gate's
	// error, or the context's error.
	Err error
	// State is what the service held for the plan's endpoints once the
	// rollout stopped; nil when it could not be read.
	State []*endpoint.Endpoint
	// RolledBack lists the endpoints whose traffic the rollback restored.
	RolledBack []string
	// Restored says, for each endpoint in RolledBack, the split it got
	// back and what approved it ("my-endpoint: blue=90 green=10, approved
	// by my-endpoint/gate/bake/1"), and which later approved splits were
	// passed over because restoring them would break a rule now.
	Restored []string
	// RollbackErr says why the rollback could not restore every endpoint
	// it should have; nil when it did, or when rollback was not enabled.
	RollbackErr error
}

func (e *StepError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rollout: step %s (%s) failed: %v", e.Step, e.Action, e.Err)
	if len(e.RolledBack) > 0 {
		fmt.Fprintf(&b, "; traffic rolled back on %s", strings.Join(e.RolledBack, ", "))
	}
	if e.RollbackErr != nil {
		fmt.Fprintf(&b, "; rollback incomplete: %v", e.RollbackErr)
	}
	return b.String()
}

// Unwrap returns the cause, so that errors.Is(err, backend.ErrInvalid) and
// the like look through the step to the service's answer.
func (e *StepError) Unwrap() error { return e.Err }

// PanicError is what [Apply] panics with when a step it ran panicked: the
// step's backend call, its gate or an event listener called for it. Apply
// runs steps on its caller's goroutine and on goroutines of its own, and
// re-panics on the caller's goroutine either way, so that a caller can
// recover the panic wherever the step ran.
type PanicError struct {
	// Step is the id of the step that panicked; for a panic in the
	// rollback, of the step that stopped the rollout.
	Step string
	// Value is the value the step panicked with.
	Value any
	// Stack is the stack of the goroutine that panicked, when it did.
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("rollout: step %q panicked: %v\n\n%s", e.Step, e.Value, e.Stack)
}

// Unwrap returns Value when it is an error, so that errors.Is and
// errors.As reach the error a step panicked with.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
