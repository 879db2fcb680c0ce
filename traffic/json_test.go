package traffic_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/rolloutkit/rollout/traffic"
	"pgregory.net/rapid"
)

func TestMarshalJSON(t *testing.T) {
	tests := []struct {
		in     traffic.Split
		want   string
		reason string
	}{
		{traffic.MustNew(map[string]int{"green": 10, "blue": 90}), `{"blue":90,"green":10}`, "keys sorted"},
		{traffic.Split{}, `{}`, "the service wants {} for no traffic, not null"},
		{traffic.MustNew(map[string]int{"日本": 100}), `{"日本":100}`, "non-ASCII names stay readable"},
		{traffic.MustNew(map[string]int{`a"<b`: 100}), `{"a\"\u003cb":100}`, "names are JSON-escaped"},
	}
	for _, tc := range tests {
		got, err := json.Marshal(tc.in)
		if err != nil || string(got) != tc.want {
			t.Errorf("json.Marshal(%v) = %s, %v; want %s (%s)", tc.in, got, err, tc.want, tc.reason)
		}
	}
	// Inside a struct, both by value and by pointer.
	type endpoint struct {
		Traffic traffic.Split  `json:"traffic"`
		Mirror  *traffic.Split `json:"mirror"`
	}
	mirror := traffic.MustNew(map[string]int{"green": 10})
	got, err := json.Marshal(endpoint{Traffic: traffic.MustNew(map[string]int{"blue": 100}), Mirror: &mirror})
	if want := `{"traffic":{"blue":100},"mirror":{"green":10}}`; err != nil || string(got) != want {
		t.Errorf("struct: got %s, %v; want %s", got, err, want)
	}
}

func TestUnmarshalJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
		reason  string
	}{
		{in: `{"blue":90,"green":10}`, want: "blue=90 green=10", reason: "plain object"},
		{in: ` { "green" : 10 , "blue" : 90 } `, want: "blue=90 green=10", reason: "white space and any key order"},
		{in: `{}`, want: "", reason: "empty object is the empty split"},
		{in: `null`, want: "", reason: "null is the empty split"},
		{in: `{"blue":100,"green":0}`, want: "blue=100", reason: "zero entries dropped"},
		{in: `{"blue":90,"blue":10}`, wantErr: true, reason: "duplicate keys are rejected, not last-wins"},
		{in: `{"blue":"90"}`, wantErr: true, reason: "percent as a string"},
		{in: `{"blue":9.5}`, wantErr: true, reason: "fractional percent"},
		{in: `{"blue":1e2}`, wantErr: true, reason: "exponent form is not an integer literal"},
		{in: `{"blue":101}`, wantErr: true, reason: "percent above 100"},
		{in: `{"blue":-1}`, wantErr: true, reason: "negative percent"},
		{in: `{"":100}`, wantErr: true, reason: "empty name"},
		{in: `{"a b":100}`, wantErr: true, reason: "name with white space"},
		{in: `{"blue":{}}`, wantErr: true, reason: "nested object"},
		{in: `{"blue":null}`, wantErr: true, reason: "null percent"},
		{in: `[]`, wantErr: true, reason: "array instead of object"},
		{in: `"blue=100"`, wantErr: true, reason: "the text form is not accepted inside JSON"},
		{in: `{"blue":100`, wantErr: true, reason: "truncated"},
		{in: `{"blue":100} {}`, wantErr: true, reason: "trailing data"},
		{in: ``, wantErr: true, reason: "no input"},
	}
	for _, tc := range tests {
		s := traffic.MustNew(map[string]int{"keep": 100})
		err := s.UnmarshalJSON([]byte(tc.in))
		if tc.wantErr {
			if err == nil {
				t.Errorf("UnmarshalJSON(%s) = %v, want error (%s)", tc.in, s, tc.reason)
			} else if !errors.Is(err, traffic.ErrInvalid) {
				t.Errorf("UnmarshalJSON(%s) error %v does not match ErrInvalid", tc.in, err)
			}
			if s.String() != "keep=100" {
				t.Errorf("failed UnmarshalJSON(%s) changed the split to %v", tc.in, s)
			}
			continue
		}
		if err != nil || s.String() != tc.want {
			t.Errorf("UnmarshalJSON(%s) = %q, %v; want %q (%s)", tc.in, s, err, tc.want, tc.reason)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSplit(8).Draw(t, "split")
		data, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back traffic.Split
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatalf("Unmarshal(%s): %v", data, err)
		}
		if !back.Equal(s) {
			t.Fatalf("round trip of %v through %s gave %v", s, data, back)
		}
		// encoding/json must agree on the plain map form.
		var m map[string]int
		if err := json.Unmarshal(data, &m); err != nil || len(m) != s.Len() {
			t.Fatalf("as a map: %v, %v", m, err)
		}
	})
}
