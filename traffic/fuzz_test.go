package traffic_test

import (
	"testing"

	"github.com/rolloutkit/rollout/traffic"
)

// FuzzParse checks that Parse never panics, and that whatever it accepts
// has a canonical form that reads back to an equal split and formats to
// itself.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases() {
		f.Add(tc.in)
	}
	f.Add("a=1,b=2 , c=3\t\td=94")
	f.Add("\u00a0blue=100\u2003")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := traffic.Parse(in)
		if err != nil {
			if !s.IsZero() {
				t.Fatalf("Parse(%q) returned %v with error %v", in, s, err)
			}
			return
		}
		text := s.String()
		back, err := traffic.Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q) accepted, but its String %q does not parse: %v", in, text, err)
		}
		if !back.Equal(s) {
			t.Fatalf("Parse(%q) = %v, but Parse(String) = %v", in, s, back)
		}
		if back.String() != text {
			t.Fatalf("String is not a fixed point: %q then %q", text, back.String())
		}
		if data, err := s.MarshalJSON(); err != nil {
			t.Fatalf("MarshalJSON(%v): %v", s, err)
		} else {
			var fromJSON traffic.Split
			if err := fromJSON.UnmarshalJSON(data); err != nil || !fromJSON.Equal(s) {
				t.Fatalf("JSON round trip of %v through %s gave %v, %v", s, data, fromJSON, err)
			}
		}
	})
}
