package backend

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const (
	testPrimary   = "pRiMaRy-5ecret-Zz9"
	testSecondary = "sEcOnDaRy-5ecret-Qq7"
)

// holder keeps Keys in an unexported field, which fmt prints by reflection
// without calling any method of Keys.
type holder struct {
	name string
	keys Keys
}

func TestKeysNeverPrint(t *testing.T) {
	k := NewKeys(testPrimary, testSecondary)
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v"} {
		outputs = append(outputs, fmt.Sprintf(verb, k), fmt.Sprintf(verb, &k))
		outputs = append(outputs, fmt.Sprintf(verb, holder{"e", k}), fmt.Sprintf(verb, []Keys{k}), fmt.Sprintf(verb, map[string]Keys{"e": k}))
	}
	outputs = append(outputs, fmt.Sprint(k), fmt.Sprintln(k), k.String(), k.GoString())
	for _, v := range []any{k, &k, struct{ Keys Keys }{k}, map[string]any{"keys": k}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(b))
	}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("keys", "k", k, "group", slog.GroupValue(slog.Any("inner", k)))
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("keys", "k", k, "s", struct{ K Keys }{k})
	outputs = append(outputs, logs.String())

	for _, out := range outputs {
		for _, secret := range []string{testPrimary, testSecondary, "5ecret"} {
			if strings.Contains(out, secret) {
				t.Errorf("output leaks a secret: %s", out)
			}
		}
		hexSecret := fmt.Sprintf("%x", testPrimary)
		if strings.Contains(out, hexSecret) {
			t.Errorf("output leaks a hex-encoded secret: %s", out)
		}
	}
	if !strings.Contains(fmt.Sprint(k), "redacted") {
		t.Errorf("fmt.Sprint(k) = %q; want a form that says it is redacted", fmt.Sprint(k))
	}
}

func TestKeysAccessors(t *testing.T) {
	k := NewKeys(testPrimary, testSecondary)
	if k.Primary() != testPrimary || k.Secondary() != testSecondary {
		t.Errorf("accessors = %q, %q", k.Primary(), k.Secondary())
	}
	tests := []struct {
		name   string
		a, b   Keys
		equal  bool
		reason string
	}{
		{"same secrets", k, NewKeys(testPrimary, testSecondary), true, "equality is by content, not pointer"},
		{"primary differs", k, NewKeys("other", testSecondary), false, "primary compared"},
		{"secondary differs", k, NewKeys(testPrimary, "other"), false, "secondary compared"},
		{"zero", Keys{}, NewKeys("", ""), true, "no keys equals empty keys"},
	}
	for _, tt := range tests {
		if got := tt.a.Equal(tt.b); got != tt.equal {
			t.Errorf("%s: Equal = %v (%s)", tt.name, got, tt.reason)
		}
	}
	if !(Keys{}).IsZero() || k.IsZero() {
		t.Error("IsZero wrong")
	}
}
