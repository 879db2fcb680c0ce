package backend

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Kind classifies a failure by what the caller can do about it. Callers
// decide on the kind, never on the message.
type Kind int

// The kinds of failure. The zero Kind is Internal, so an [Error] built
// without a kind counts as an unclassified failure.
const (
	// Internal is any failure no other kind describes, including errors that
	// are not an [*Error] at all.
	Internal Kind = iota
	// NotFound: the endpoint or deployment does not exist, or traffic names
	// a deployment that does not (HTTP 404).
	NotFound
	// Conflict: another operation is in progress on the resource (HTTP
	// 409); it goes away when that operation ends, so it is retryable.
	Conflict
	// Invalid: the service refuses the request as it stands, and repeating
	// it cannot help: a bad name, a split that breaks the traffic rules, a
	// change to an immutable field, deleting a deployment that has traffic
	// (HTTP 400).
	Invalid
	// Throttled: too many requests (HTTP 429); wait RetryAfter.
	Throttled
	// Precondition: a conditional write's ETag no longer matches (HTTP 412);
	// read again and decide again.
	Precondition
	// ProvisioningFailed: the service accepted the write but the resource
	// ended in the Failed provisioning state; Code says why.
	ProvisioningFailed
	// Unavailable: the service or the network failed transiently (HTTP
	// 5xx, a dropped connection).
	Unavailable
)

var kindNames = [...]string{
	Internal:           "internal",
	NotFound:           "not found",
	Conflict:           "conflict",
	Invalid:            "invalid",
	Throttled:          "throttled",
	Precondition:       "precondition failed",
	ProvisioningFailed: "provisioning failed",
	Unavailable:        "unavailable",
}

// String returns the kind in words, as error messages print it.
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is a failure reported by a backend: what kind it is, the service's
// own code and message, and how long the service asked to wait before
// trying again. Messages never contain keys or tokens.
type Error struct {
	Kind Kind
	// Code is the service's error code (BadArgument, Conflict,
	// TooManyRequests, ...) or, for ProvisioningFailed, the reason the
	// resource failed.
	Code string
	// Message is the service's message, meant for people.
	Message string
	// Target is what the error is about (a field of the request, say),
	// when the service says.
	Target string
	// Details are the service's further errors, where it puts the reasons
	// of a validation failure, and AdditionalInfo what it adds to them.
	Details        []ErrorDetail
	AdditionalInfo []AdditionalInfo
	// RetryAfter is the wait the service asked for (the Retry-After
	// header); zero when it gave none.
	RetryAfter time.Duration
	// Err is the underlying error, if any (a transport failure).
	Err error
}

// ErrorDetail is one of the further errors the service gives about a
// failure (ARM's ErrorDetail).
type ErrorDetail struct {
	Code, Message, Target string
	Details               []ErrorDetail
	AdditionalInfo        []AdditionalInfo
}

// AdditionalInfo is a piece of information the service adds to an error:
// its type and, as the service sent it, its JSON.
type AdditionalInfo struct {
	Type string
	Info []byte
}

// Sentinels for errors.Is: errors.Is(err, ErrNotFound) holds for every
// [*Error] of kind NotFound, whatever its code and message.
var (
	ErrInternal           = &Error{Kind: Internal}
	ErrNotFound           = &Error{Kind: NotFound}
	ErrConflict           = &Error{Kind: Conflict}
	ErrInvalid            = &Error{Kind: Invalid}
	ErrThrottled          = &Error{Kind: Throttled}
	ErrPrecondition       = &Error{Kind: Precondition}
	ErrProvisioningFailed = &Error{Kind: ProvisioningFailed}
	ErrUnavailable        = &Error{Kind: Unavailable}
)

// Error prints "backend: KIND: CODE: MESSAGE", leaving out what is empty,
// then the wait asked for and the underlying error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("backend: ")
	b.WriteString(e.Kind.String())
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	writeDetail(&b, e.Target, e.Details, e.AdditionalInfo)
	if e.RetryAfter > 0 {
		b.WriteString(" (retry after ")
		b.WriteString(e.RetryAfter.String())
		b.WriteString(")")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an [*Error] of the same kind whose code, if
// target sets one, is e's code too. It makes the sentinels ([ErrNotFound],
// ...) match by kind, and &Error{Kind: Invalid, Code: "BadArgument"} match
// that code only.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Kind == e.Kind && (t.Code == "" || t.Code == e.Code)
}

// Retryable reports whether the same request may succeed later without
// changes: throttling, transient unavailability and conflicts with an
// operation in progress end by themselves; the other kinds do not.
func (e *Error) Retryable() bool {
	switch e.Kind {
	case Throttled, Unavailable, Conflict:
		return true
	}
	return false
}

// KindOf returns the kind of the first [*Error] in err's chain, and
// Internal for any other error, so that unknown failures are never taken
// for retryable ones. Check err against nil first: KindOf(nil) is Internal
// too.
func KindOf(err error) Kind {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Kind
	}
	return Internal
}

// IsRetryable reports whether err is an [*Error] that is
// [Error.Retryable].
func IsRetryable(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Retryable()
}

// RetryAfter returns the wait the service asked for, if err is an [*Error]
// that carries one.
func RetryAfter(err error) (time.Duration, bool) {
	e, ok := errors.AsType[*Error](err)
	if !ok || e.RetryAfter <= 0 {
		return 0, false
	}
	return e.RetryAfter, true
}

// writeDetail prints what the service said beyond the message: the target
// in brackets, each detail after a semicolon (nested ones in parentheses),
// and additional information as TYPE JSON.
func writeDetail(b *strings.Builder, target string, details []ErrorDetail, info []AdditionalInfo) {
	if target != "" {
		b.WriteString(" [")
		b.WriteString(target)
		b.WriteString("]")
	}
	for _, d := range details {
		b.WriteString("; ")
		b.WriteString(d.Code)
		if d.Message != "" {
			b.WriteString(": ")
			b.WriteString(d.Message)
		}
		if d.Target != "" || len(d.Details) > 0 || len(d.AdditionalInfo) > 0 {
			b.WriteString(" (")
			var inner strings.Builder
			writeDetail(&inner, d.Target, d.Details, d.AdditionalInfo)
			b.WriteString(strings.TrimPrefix(strings.TrimPrefix(inner.String(), " "), "; "))
			b.WriteString(")")
		}
	}
	for _, a := range info {
		b.WriteString("; ")
		b.WriteString(a.Type)
		if len(a.Info) > 0 {
			b.WriteString(" ")
			b.Write(a.Info)
		}
	}
}
