package traffic_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rolloutkit/rollout/traffic"
	"pgregory.net/rapid"
)

type parseCase struct {
	name   string
	in     string
	want   map[string]int // nil with an empty split is fine: compared via Map
	string string         // canonical form when accepted
	// For rejected inputs: the offset and token the error must name.
	errOffset int
	errToken  string
	reason    string
}

func parseCases() []parseCase {
	const bad = -2 // marks no error expected in errOffset
	return []parseCase{
		{name: "empty", in: "", want: map[string]int{}, string: "", errOffset: bad, reason: "no traffic is a valid (dark) split"},
		{name: "only-space", in: " \t\n ", want: map[string]int{}, string: "", errOffset: bad, reason: "white space alone is still empty"},
		{name: "single", in: "blue=100", want: map[string]int{"blue": 100}, string: "blue=100", errOffset: bad, reason: "the basic form"},
		{name: "spaces", in: "blue=90 green=10", want: map[string]int{"blue": 90, "green": 10}, string: "blue=90 green=10", errOffset: bad, reason: "the canonical form is accepted as is"},
		{name: "unsorted", in: "green=10 blue=90", want: map[string]int{"blue": 90, "green": 10}, string: "blue=90 green=10", errOffset: bad, reason: "input order does not matter; output is sorted"},
		{name: "commas", in: "blue=90,green=10", want: map[string]int{"blue": 90, "green": 10}, string: "blue=90 green=10", errOffset: bad, reason: "comma-separated, as in az ml CLI"},
		{name: "comma-space", in: "blue=90, green=10", want: map[string]int{"blue": 90, "green": 10}, string: "blue=90 green=10", errOffset: bad, reason: "comma and space together is one separator"},
		{name: "space-comma-space", in: "blue=90 , green=10", want: map[string]int{"blue": 90, "green": 10}, string: "blue=90 green=10", errOffset: bad, reason: "white space on both sides of a comma"},
		{name: "tabs-newlines", in: "\tblue=90\n\tgreen=10\n", want: map[string]int{"blue": 90, "green": 10}, string: "blue=90 green=10", errOffset: bad, reason: "any white space separates, and leading/trailing is trimmed"},
		{name: "zero-dropped", in: "blue=100 green=0", want: map[string]int{"blue": 100}, string: "blue=100", errOffset: bad, reason: "zero entries are dropped, as the service does"},
		{name: "all-zero", in: "blue=0", want: map[string]int{}, string: "", errOffset: bad, reason: "all zero is the dark split"},
		{name: "leading-zeros", in: "blue=010 green=090", want: map[string]int{"blue": 10, "green": 90}, string: "blue=10 green=90", errOffset: bad, reason: "leading zeros are decimal, never octal"},
		{name: "unicode-name", in: "blé=50 日本=50", want: map[string]int{"blé": 50, "日本": 50}, string: "blé=50 日本=50", errOffset: bad, reason: "non-ASCII names are accepted; the service checks its own rules"},
		{name: "case-sensitive", in: "Blue=50 blue=50", want: map[string]int{"Blue": 50, "blue": 50}, string: "Blue=50 blue=50", errOffset: bad, reason: "names are case-sensitive, so these are two deployments"},
		{name: "total-not-checked", in: "blue=60 green=30", want: map[string]int{"blue": 60, "green": 30}, string: "blue=60 green=30", errOffset: bad, reason: "Parse leaves totals to Validate, since mirrors differ"},
		{name: "punctuation-name", in: "my-dep_v1.2=100", want: map[string]int{"my-dep_v1.2": 100}, string: "my-dep_v1.2=100", errOffset: bad, reason: "typical deployment names with punctuation"},

		{name: "duplicate", in: "blue=50 blue=50", errOffset: 8, errToken: "blue=50", reason: "a name twice is almost surely a typo"},
		{name: "duplicate-zero", in: "blue=100 blue=0", errOffset: 9, errToken: "blue=0", reason: "a duplicate is rejected even when one entry is zero"},
		{name: "negative", in: "blue=-10", errOffset: 0, errToken: "blue=-10", reason: "percent below 0"},
		{name: "over-100", in: "blue=90 green=120", errOffset: 8, errToken: "green=120", reason: "percent above 100"},
		{name: "huge", in: "blue=99999999999999999999999", errOffset: 0, errToken: "blue=99999999999999999999999", reason: "overflowing percent is out of range, not a crash"},
		{name: "fraction", in: "blue=9.5", errOffset: 0, errToken: "blue=9.5", reason: "percents are integers"},
		{name: "plus-sign", in: "blue=+10", errOffset: 0, errToken: "blue=+10", reason: "signs are not part of the syntax"},
		{name: "minus-zero", in: "blue=-0", errOffset: 0, errToken: "blue=-0", reason: "a sign is never accepted, even on zero"},
		{name: "word", in: "blue=ten", errOffset: 0, errToken: "blue=ten", reason: "non-integer percent"},
		{name: "percent-sign", in: "blue=100%", errOffset: 0, errToken: "blue=100%", reason: "a trailing % is not allowed"},
		{name: "no-percent", in: "blue=", errOffset: 0, errToken: "blue=", reason: "missing percent"},
		{name: "no-name", in: "blue=90 =10", errOffset: 8, errToken: "=10", reason: "missing name"},
		{name: "no-equals", in: "blue", errOffset: 0, errToken: "blue", reason: "missing '='"},
		{name: "space-around-equals", in: "blue = 100", errOffset: 0, errToken: "blue", reason: "white space separates entries, so it cannot surround '='"},
		{name: "double-equals", in: "blue=9=0", errOffset: 0, errToken: "blue=9=0", reason: "names cannot hold '=', so the rest is a bad percent"},
		{name: "leading-comma", in: ",blue=100", errOffset: 0, errToken: ",", reason: "an entry is missing before the comma"},
		{name: "double-comma", in: "blue=90,,green=10", errOffset: 8, errToken: ",", reason: "an entry is missing between the commas"},
		{name: "trailing-comma", in: "blue=100,", errOffset: 8, errToken: ",", reason: "an entry is missing after the comma"},
		{name: "control-char", in: "bl\x01ue=100", errOffset: 0, errToken: "bl\x01ue=100", reason: "control characters would make output unreadable"},
		{name: "invalid-utf8", in: "bl\xffue=100", errOffset: 0, errToken: "bl\xffue=100", reason: "names must be valid UTF-8 to survive JSON"},
		{name: "offset-in-bytes", in: "日本=50 x", errOffset: 10, errToken: "x", reason: "offsets count bytes, not runes"},
	}
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := traffic.Parse(tc.in)
			if tc.want != nil {
				if err != nil {
					t.Fatalf("Parse(%q): unexpected error %v (%s)", tc.in, err, tc.reason)
				}
				if diff := cmp.Diff(tc.want, got.Map()); diff != "" {
					t.Errorf("Parse(%q) (-want +got):\n%s\n(%s)", tc.in, diff, tc.reason)
				}
				if got.String() != tc.string {
					t.Errorf("Parse(%q).String() = %q, want %q (%s)", tc.in, got.String(), tc.string, tc.reason)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error (%s)", tc.in, got, tc.reason)
			}
			if !errors.Is(err, traffic.ErrInvalid) {
				t.Errorf("Parse(%q) error %v does not match ErrInvalid", tc.in, err)
			}
			var e *traffic.Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error %T is not *traffic.Error", tc.in, err)
			}
			if e.Offset != tc.errOffset || e.Token != tc.errToken {
				t.Errorf("Parse(%q) error at offset %d token %q, want offset %d token %q (%s): %v",
					tc.in, e.Offset, e.Token, tc.errOffset, tc.errToken, tc.reason, err)
			}
			if !got.IsZero() {
				t.Errorf("Parse(%q) returned %v alongside an error", tc.in, got)
			}
		})
	}
}

func TestParseErrorText(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"blue=90 green=120", `traffic: offset 8: "green=120": percent must be between 0 and 100, got 120`},
		{"blue=90,,green=10", `traffic: offset 8: ",": empty entry: a comma must separate two entries`},
		{"blue", `traffic: offset 0: "blue": missing '=' between deployment name and percent`},
	}
	for _, tc := range tests {
		_, err := traffic.Parse(tc.in)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Parse(%q) error = %v, want %s", tc.in, err, tc.want)
		}
	}
}

func TestTextMarshal(t *testing.T) {
	s := traffic.MustNew(map[string]int{"blue": 90, "green": 10})
	text, err := s.MarshalText()
	if err != nil || string(text) != "blue=90 green=10" {
		t.Fatalf("MarshalText = %q, %v", text, err)
	}
	var back traffic.Split
	if err := back.UnmarshalText(text); err != nil || !back.Equal(s) {
		t.Fatalf("UnmarshalText(%q) = %v, %v; want %v", text, back, err, s)
	}
	if err := back.UnmarshalText([]byte("blue=")); err == nil {
		t.Fatal("UnmarshalText accepted a bad split")
	}
	if !back.Equal(s) {
		t.Errorf("failed UnmarshalText changed the split to %v", back)
	}
}

func TestParseFormatRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSplit(8).Draw(t, "split")
		text := s.String()
		back, err := traffic.Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q): %v", text, err)
		}
		if !back.Equal(s) {
			t.Fatalf("Parse(%q) = %v, want %v", text, back, s)
		}
		// Any separator the syntax allows reads back the same.
		sep := rapid.SampledFrom([]string{" ", ",", ", ", "\t", " ,\n"}).Draw(t, "sep")
		var joined string
		for i, e := range s.Entries() {
			if i > 0 {
				joined += sep
			}
			joined += e.String()
		}
		back, err = traffic.Parse(joined)
		if err != nil || !back.Equal(s) {
			t.Fatalf("Parse(%q) = %v, %v; want %v", joined, back, err, s)
		}
	})
}
