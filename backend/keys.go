package backend

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
)

// redactedKeys is what every printed or encoded form of [Keys] shows.
const redactedKeys = "backend.Keys{(redacted)}"

// Keys are an endpoint's two authentication keys. The secrets can only be
// read through [Keys.Primary] and [Keys.Secondary]: every way of printing
// or encoding a Keys value (fmt verbs, %#v, JSON, text, slog) shows a
// redacted form, and the secrets are held by a closure, which fmt's
// reflection over a struct that holds Keys in an unexported field prints as
// an address (a pointer would be followed and printed). A log line or an
// error message cannot leak them by accident.
//
// The zero Keys has no keys. Compare with [Keys.Equal], not ==.
type Keys struct {
	secrets func() (primary, secondary string)
}

// NewKeys returns the keys with these secrets.
func NewKeys(primary, secondary string) Keys {
	return Keys{secrets: func() (string, string) { return primary, secondary }}
}

// Primary returns the primary key.
func (k Keys) Primary() string {
	if k.secrets == nil {
		return ""
	}
	p, _ := k.secrets()
	return p
}

// Secondary returns the secondary key.
func (k Keys) Secondary() string {
	if k.secrets == nil {
		return ""
	}
	_, s := k.secrets()
	return s
}

// IsZero reports whether k holds no key.
func (k Keys) IsZero() bool { return k.Primary() == "" && k.Secondary() == "" }

// Equal reports whether k and o hold the same secrets, in time that does not
// depend on where they differ.
func (k Keys) Equal(o Keys) bool {
	p := subtle.ConstantTimeCompare([]byte(k.Primary()), []byte(o.Primary()))
	s := subtle.ConstantTimeCompare([]byte(k.Secondary()), []byte(o.Secondary()))
	return p&s == 1
}

// String returns a redacted form.
func (k Keys) String() string { return redactedKeys }

// GoString returns a redacted form, for %#v.
func (k Keys) GoString() string { return redactedKeys }

// Format prints the redacted form for every verb and flag, so that no
// verb (%x, %q, %+v) reaches the secrets.
func (k Keys) Format(f fmt.State, verb rune) { fmt.Fprint(f, redactedKeys) }

// MarshalJSON encodes the redacted form as a JSON string.
func (k Keys) MarshalJSON() ([]byte, error) { return []byte(`"` + redactedKeys + `"`), nil }

// MarshalText encodes the redacted form, for encoders that prefer text
// (slog's text handler, YAML, map keys).
func (k Keys) MarshalText() ([]byte, error) { return []byte(redactedKeys), nil }

// LogValue gives slog the redacted form.
func (k Keys) LogValue() slog.Value { return slog.StringValue(redactedKeys) }
