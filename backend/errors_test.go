package backend

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestErrorIs(t *testing.T) {
	notFound := &Error{Kind: NotFound, Code: "NotFound", Message: "Deployment green not found in endpoint my-endpoint"}
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
		reason string
	}{
		{"sentinel", notFound, ErrNotFound, true, "sentinels match by kind"},
		{"other sentinel", notFound, ErrConflict, false, "a different kind never matches"},
		{"wrapped", fmt.Errorf("step 3: %w", notFound), ErrNotFound, true, "matching sees through wrapping"},
		{"code matches", notFound, &Error{Kind: NotFound, Code: "NotFound"}, true, "a target with a code matches that code"},
		{"code differs", notFound, &Error{Kind: NotFound, Code: "ParentResourceNotFound"}, false, "a target with another code does not match"},
		{"zero kind", &Error{Message: "boom"}, ErrInternal, true, "the zero kind is Internal"},
		{"plain error", errors.New("boom"), ErrInternal, false, "errors.Is does not classify foreign errors; KindOf does"},
		{"cause", &Error{Kind: Unavailable, Err: context.DeadlineExceeded}, context.DeadlineExceeded, true, "the underlying error is reachable"},
	}
	for _, tt := range tests {
		if got := errors.Is(tt.err, tt.target); got != tt.want {
			t.Errorf("%s: errors.Is = %v, want %v (%s)", tt.name, got, tt.want, tt.reason)
		}
	}
}

func TestErrorAs(t *testing.T) {
	err := fmt.Errorf("apply: %w", &Error{Kind: Throttled, Code: "TooManyRequests", RetryAfter: 3 * time.Second})
	var e *Error
	if !errors.As(err, &e) || e.Code != "TooManyRequests" {
		t.Fatalf("errors.As = %v, %+v; want the *Error", errors.As(err, &e), e)
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		kind   Kind
		want   bool
		reason string
	}{
		{Throttled, true, "throttling ends when the bucket refills"},
		{Unavailable, true, "5xx and dropped connections are transient"},
		{Conflict, true, "the operation in progress ends"},
		{NotFound, false, "the resource will not appear by waiting"},
		{Invalid, false, "the same request is refused again"},
		{Precondition, false, "the caller must read again and decide again"},
		{ProvisioningFailed, false, "the resource needs a changed spec or a human"},
		{Internal, false, "unknown failures are not assumed transient"},
	}
	for _, tt := range tests {
		err := fmt.Errorf("wrapped: %w", &Error{Kind: tt.kind})
		if got := (&Error{Kind: tt.kind}).Retryable(); got != tt.want {
			t.Errorf("%v.Retryable() = %v, want %v (%s)", tt.kind, got, tt.want, tt.reason)
		}
		if got := IsRetryable(err); got != tt.want {
			t.Errorf("IsRetryable(%v) = %v, want %v (%s)", tt.kind, got, tt.want, tt.reason)
		}
		if got := KindOf(err); got != tt.kind {
			t.Errorf("KindOf(%v) = %v", tt.kind, got)
		}
	}
	if IsRetryable(errors.New("boom")) {
		t.Error("IsRetryable(foreign error) = true; unknown failures must not be retried")
	}
	if got := KindOf(context.Canceled); got != Internal {
		t.Errorf("KindOf(context.Canceled) = %v, want internal", got)
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		want   time.Duration
		ok     bool
		reason string
	}{
		{"given", &Error{Kind: Throttled, RetryAfter: 2 * time.Second}, 2 * time.Second, true, "the service's wait"},
		{"wrapped", fmt.Errorf("x: %w", &Error{Kind: Unavailable, RetryAfter: time.Minute}), time.Minute, true, "found through wrapping"},
		{"none", &Error{Kind: Throttled}, 0, false, "no Retry-After header"},
		{"foreign", errors.New("boom"), 0, false, "not a backend error"},
	}
	for _, tt := range tests {
		got, ok := RetryAfter(tt.err)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: RetryAfter = %v, %v; want %v, %v (%s)", tt.name, got, ok, tt.want, tt.ok, tt.reason)
		}
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err    *Error
		want   string
		reason string
	}{
		{&Error{Kind: NotFound, Code: "NotFound", Message: "Deployment green not found in endpoint e1"},
			"backend: not found: NotFound: Deployment green not found in endpoint e1", "kind, code and message"},
		{&Error{Kind: Throttled, Code: "TooManyRequests", RetryAfter: 5 * time.Second},
			"backend: throttled: TooManyRequests (retry after 5s)", "the wait is shown"},
		{&Error{Kind: Unavailable, Err: errors.New("connection reset")},
			"backend: unavailable: connection reset", "the cause is shown"},
		{&Error{}, "backend: internal", "the zero error still says what it is"},
		{&Error{Kind: Kind(42)}, "backend: Kind(42)", "unknown kinds print their number"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q (%s)", got, tt.want, tt.reason)
		}
	}
}
