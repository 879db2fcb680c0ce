package traffic_test

import (
	"math"
	"testing"

	"github.com/rolloutkit/rollout/traffic"
	"pgregory.net/rapid"
)

// maxStartKey is the last key from which 100 consecutive keys do not wrap.
const maxStartKey = math.MaxUint64 - 99

func TestRouterPick(t *testing.T) {
	tests := []struct {
		live, mirror string
		start        uint64
		reason       string
	}{
		{"blue=100", "", 0, "one deployment"},
		{"blue=90 green=10", "red=10", 12345, "a canary with a mirror"},
		{"a=1 b=1 c=98", "", 7, "tiny shares still get exactly their keys"},
		{"a=33 b=33 c=34", "d=50", maxStartKey, "the last window before the wrap"},
	}
	for _, tc := range tests {
		live, mirror := traffic.MustParse(tc.live), traffic.MustParse(tc.mirror)
		r := traffic.NewRouter(live, mirror)
		if !r.Live().Equal(live) || !r.MirrorSplit().Equal(mirror) {
			t.Errorf("router reports %v / %v, built with %v / %v", r.Live(), r.MirrorSplit(), live, mirror)
		}
		picks, mirrored := count(r, tc.start)
		if got := traffic.MustNew(picks); !got.Equal(live) {
			t.Errorf("100 picks from %d gave %v, want %v (%s)", tc.start, got, live, tc.reason)
		}
		if got := traffic.MustNew(mirrored); !got.Equal(mirror) {
			t.Errorf("100 mirror decisions from %d gave %v, want %v (%s)", tc.start, got, mirror, tc.reason)
		}
	}
}

func TestRouterInterleaved(t *testing.T) {
	r := traffic.NewRouter(traffic.MustParse("blue=90 green=10"), traffic.Split{})
	last := -1
	for k := range 200 {
		if r.Pick(uint64(k)) != "green" {
			continue
		}
		if last >= 0 && k-last != 10 {
			t.Fatalf("green at keys %d and %d: a 10%% share should come once every 10 keys", last, k)
		}
		last = k
	}
}

func TestRouterDark(t *testing.T) {
	r := traffic.NewRouter(traffic.Split{}, traffic.MustParse("green=10"))
	for k := range uint64(100) {
		if got := r.Pick(k); got != "" {
			t.Fatalf("dark Pick(%d) = %q", k, got)
		}
		if name, ok := r.Mirror(k); ok || name != "" {
			t.Fatalf("dark Mirror(%d) = %q, %v: nothing is served, so nothing is copied", k, name, ok)
		}
	}
	var zero traffic.Split
	r = traffic.NewRouter(zero, zero)
	if r.Pick(3) != "" {
		t.Error("zero router picked a deployment")
	}
}

func TestNewRouterPanics(t *testing.T) {
	tests := []struct{ live, mirror, reason string }{
		{"blue=90", "", "live total is not 100"},
		{"blue=100", "green=60", "mirror above 50"},
		{"blue=100", "blue=10", "mirror to a live deployment"},
	}
	for _, tc := range tests {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewRouter(%q, %q) did not panic (%s)", tc.live, tc.mirror, tc.reason)
				}
			}()
			traffic.NewRouter(traffic.MustParse(tc.live), traffic.MustParse(tc.mirror))
		}()
	}
}

// TestRouterExact checks that any 100 consecutive keys reproduce the live
// and mirror splits exactly, and that any shorter window is within two
// requests of each deployment's share.
func TestRouterExact(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		live := genLive(10).Draw(t, "live")
		var mirror traffic.Split
		if rapid.Bool().Draw(t, "mirrored") {
			name := rapid.StringMatching(`mirror-[a-z]{1,4}`).Draw(t, "mirror name")
			mirror = traffic.MustNew(map[string]int{name: rapid.IntRange(0, 50).Draw(t, "mirror percent")})
		}
		r := traffic.NewRouter(live, mirror)
		start := rapid.OneOf(rapid.Uint64Range(0, maxStartKey), rapid.Uint64Range(maxStartKey-200, maxStartKey)).Draw(t, "start")

		picks, mirrored := count(r, start)
		if got := traffic.MustNew(picks); !got.Equal(live) {
			t.Fatalf("100 picks from %d gave %v, want %v", start, got, live)
		}
		if got := traffic.MustNew(mirrored); !got.Equal(mirror) {
			t.Fatalf("100 mirror decisions from %d gave %v, want %v", start, got, mirror)
		}

		length := rapid.IntRange(1, 100).Draw(t, "window")
		got := map[string]int{}
		for i := range uint64(length) {
			got[r.Pick(start+i)]++
		}
		for name, p := range live.All() {
			if dev := got[name]*100 - length*p; dev <= -200 || dev >= 200 {
				t.Fatalf("%s=%d got %d of %d keys from %d: short windows should be mixed", name, p, got[name], length, start)
			}
		}
	})
}

func count(r *traffic.Router, start uint64) (picks, mirrored map[string]int) {
	picks, mirrored = map[string]int{}, map[string]int{}
	for i := range uint64(100) {
		k := start + i // start <= maxStartKey, so this never wraps
		if name := r.Pick(k); name != "" {
			picks[name]++
		}
		if name, ok := r.Mirror(k); ok {
			mirrored[name]++
		}
	}
	return picks, mirrored
}
