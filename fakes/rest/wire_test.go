package rest

import "testing"

func TestDurations(t *testing.T) {
	for _, tc := range []struct {
		in     string
		ms     int64
		out    string
		reason string
	}{
		{"PT5M", 300000, "PT5M", "minutes, as the examples write them"},
		{"PT0.5S", 500, "PT0.5S", "fractions of a second: max_queue_wait_ms 500"},
		{"PT1M30S", 90000, "PT1M30S", "mixed units"},
		{"P1DT2H", 93600000, "PT26H", "days are written as hours"},
		{"pt10s", 10000, "PT10S", "readers accept lower case"},
		{"", 0, "PT0S", "absent is zero"},
	} {
		ms, err := parseDuration(tc.in)
		if err != nil || ms != tc.ms || formatDuration(ms) != tc.out {
			t.Errorf("%q: %d %v, formatted %q; want %d and %q (%s)", tc.in, ms, err, formatDuration(ms), tc.ms, tc.out, tc.reason)
		}
	}
	for _, bad := range []string{"5s", "P", "PT", "P1M", "PT1D", "PTT1S", "PT-1S", "P1H"} {
		if ms, err := parseDuration(bad); err == nil {
			t.Errorf("%q parsed as %d ms; want an error", bad, ms)
		}
	}
}
