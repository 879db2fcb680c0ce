package durable

import (
	"context"
	"errors"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/plan"
)

// The types of the application errors the activities and workflows
// return, besides the backend's kinds (see ErrorType).
const (
	// errInvalidPlan: a step that cannot be executed as it stands
	// (rollout.ErrInvalidPlan); never retried.
	errInvalidPlan = "rollout.InvalidPlan"
	// errGateRefused: a gate refused; the workflow rolls back.
	errGateRefused = "rollout.GateRefused"
	// errRollback: the rollback could not restore an endpoint.
	errRollback = "rollout.Rollback"
)

// The types of the errors a Rollout or Fleet workflow ends with.
const (
	// ErrorAborted: the abort signal stopped the rollout, and the
	// rollback ran.
	ErrorAborted = "rollout.Aborted"
	// ErrorStepFailed: a step failed for good, or a gate refused; the
	// rollback ran.
	ErrorStepFailed = "rollout.StepFailed"
	// ErrorRefused: the request or its plan was refused before any write
	// (a bad request, a plan the planner refuses, an unbound gate).
	ErrorRefused = "rollout.Refused"
	// ErrorFleet: some endpoints of a fleet did not finish.
	ErrorFleet = "rollout.Fleet"
)

// ErrorType is the type of the application error an activity returns for
// a failure of the given kind ("backend.throttled"). The retry policy
// lists the types of the kinds that are not retryable.
func ErrorType(k backend.Kind) string {
	return "backend." + strings.ReplaceAll(k.String(), " ", "_")
}

// kinds returns every kind of backend failure, in order.
func kinds() []backend.Kind {
	var ks []backend.Kind
	for k := backend.Kind(0); !strings.HasPrefix(k.String(), "Kind("); k++ {
		ks = append(ks, k)
	}
	return ks
}

// RetryPolicy is the retry policy of the workflow's activities, mapped
// from the backend's kinds of failure: throttling, unavailability and
// conflicts with an operation in progress are retried, with the backoff of
// rollout.Apply (1s doubling up to 1m) unless the service asked for a
// longer wait; every other kind, a refused gate and an invalid plan are
// not. maxAttempts of 0 is rollout.DefaultMaxAttempts.
func RetryPolicy(maxAttempts int) *temporal.RetryPolicy {
	if maxAttempts <= 0 {
		maxAttempts = rollout.DefaultMaxAttempts
	}
	nonRetryable := []string{errInvalidPlan, errGateRefused, errRollback}
	for _, k := range kinds() {
		if !(&backend.Error{Kind: k}).Retryable() {
			nonRetryable = append(nonRetryable, ErrorType(k))
		}
	}
	return &temporal.RetryPolicy{
		InitialInterval:        rollout.DefaultBackoffBase,
		BackoffCoefficient:     2,
		MaximumInterval:        rollout.DefaultBackoffCap,
		MaximumAttempts:        int32(maxAttempts),
		NonRetryableErrorTypes: nonRetryable,
	}
}

// activityError turns a failure into the application error the retry
// policy decides on: its type is the backend's kind, it is marked
// non-retryable unless the kind is retryable, and when the service asked
// for a longer wait than the policy's backoff before the next attempt, it
// asks for that wait instead. A cancelled or timed-out context stays as it
// is: Temporal retries those.
func activityError(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, rollout.ErrInvalidPlan) || errors.Is(err, rollout.ErrUnboundGate):
		return temporal.NewNonRetryableApplicationError(err.Error(), errInvalidPlan, nil)
	}
	if _, ok := errors.AsType[*backend.Error](err); !ok {
		if se, ok := errors.AsType[*rollout.StepError](err); ok && se.Action == plan.Gate {
			return temporal.NewNonRetryableApplicationError(err.Error(), errGateRefused, nil)
		}
	}
	opts := temporal.ApplicationErrorOptions{NonRetryable: !backend.IsRetryable(err)}
	if d, ok := backend.RetryAfter(err); ok && d > backoff(activity.GetInfo(ctx).Attempt) {
		opts.NextRetryDelay = d
	}
	return temporal.NewApplicationErrorWithOptions(err.Error(), ErrorType(backend.KindOf(err)), opts)
}

// backoff is the policy's wait after the given attempt has failed.
func backoff(attempt int32) time.Duration {
	d := rollout.DefaultBackoffBase
	for i := int32(1); i < attempt && d < rollout.DefaultBackoffCap; i++ {
		d *= 2
	}
	return min(d, rollout.DefaultBackoffCap)
}
