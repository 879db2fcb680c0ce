package rollout_test

import (
	"errors"
	"testing"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
)

func TestErrors(t *testing.T) {
	stale := &rollout.StalePlanError{Want: "0123456789abcdef", Got: ""}
	if got, want := stale.Error(), "rollout: the plan was computed from state 0123456789ab but the service now holds state (none); plan again"; got != want {
		t.Errorf("StalePlanError:\n got %q\nwant %q", got, want)
	}
	if !errors.Is(stale, rollout.ErrStalePlan) || errors.Is(stale, rollout.ErrInvalidPlan) {
		t.Error("StalePlanError matches the wrong sentinels")
	}
	cause := &backend.Error{Kind: backend.Invalid, Code: "BadArgument", Message: "no"}
	se := &rollout.StepError{Step: "e/blue/delete", Action: "delete_deployment", Err: cause, RollbackErr: errors.New("e: deployment blue no longer exists")}
	if !errors.Is(se, backend.ErrInvalid) {
		t.Error("StepError does not unwrap to its cause")
	}
	if got, want := se.Error(), "rollout: step e/blue/delete (delete_deployment) failed: backend: invalid: BadArgument: no; rollback incomplete: e: deployment blue no longer exists"; got != want {
		t.Errorf("StepError:\n got %q\nwant %q", got, want)
	}
}
