package traffic

import (
	"errors"
	"fmt"
)

// ErrInvalid is matched (with [errors.Is]) by every error this package
// returns for a bad split, bad text, bad JSON or a bad ramp, so callers can
// tell bad input apart from other failures without inspecting messages.
var ErrInvalid = errors.New("traffic: invalid split")

// Error describes one broken rule. Its Error method names the deployment and
// value at fault, or, for errors from [Parse], the offending token and its
// byte offset, so a user can find the problem in what they typed.
type Error struct {
	// Deployment is the deployment at fault, or "" when the problem concerns
	// the split as a whole (its total, its number of entries) or a ramp stage.
	Deployment string
	// Percent is the deployment's percent; for whole-split problems it is
	// the total, and for ramp stage problems it is the stage.
	Percent int
	// Offset is the byte offset of Token in the text given to [Parse], or -1
	// when the error did not come from parsing text.
	Offset int
	// Token is the offending entry (or stray comma) exactly as written in
	// the text given to [Parse]; it is "" for errors that did not come from
	// parsing text, and Error formats the error as a parse error only when
	// it is set.
	Token string
	// Msg says which rule was broken.
	Msg string
}

// Error formats e as "traffic: NAME=PERCENT: MSG", or as
// "traffic: offset N: "TOKEN": MSG" for errors from [Parse], or as
// "traffic: MSG" when no single deployment is at fault.
func (e *Error) Error() string {
	switch {
	case e.Token != "":
		return fmt.Sprintf("traffic: offset %d: %q: %s", e.Offset, e.Token, e.Msg)
	case e.Deployment != "":
		return fmt.Sprintf("traffic: %s=%d: %s", quoteName(e.Deployment), e.Percent, e.Msg)
	default:
		return "traffic: " + e.Msg
	}
}

// Is reports whether target is [ErrInvalid]: every *Error is an invalid-split
// error, whatever rule it names.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// newError returns an *Error that did not come from parsing text.
func newError(deployment string, percent int, format string, args ...any) *Error {
	return &Error{Deployment: deployment, Percent: percent, Offset: -1, Msg: fmt.Sprintf(format, args...)}
}

// quoteName leaves valid names bare, so messages read like the CLI syntax,
// and quotes the rest, so an empty or whitespace-laden name stays visible.
func quoteName(name string) string {
	if checkName(name) == "" {
		return name
	}
	return fmt.Sprintf("%q", name)
}
