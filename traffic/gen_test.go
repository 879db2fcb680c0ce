package traffic_test

import (
	"slices"
	"strings"
	"unicode"

	"github.com/rolloutkit/rollout/traffic"
	"pgregory.net/rapid"
)

// namePool is small so that generated from/to splits often share names.
var namePool = []string{"blue", "green", "red", "canary", "v1", "v2", "a", "b"}

// genName draws mostly from namePool and sometimes an arbitrary valid name,
// including non-ASCII letters and symbols, to exercise the name rules.
func genName() *rapid.Generator[string] {
	arbitrary := rapid.StringOfN(rapid.RuneFrom(nil, unicode.L, unicode.N, unicode.P, unicode.S), 1, 8, -1).
		Filter(func(s string) bool { return !strings.ContainsAny(s, "=,") })
	return rapid.OneOf(rapid.SampledFrom(namePool), arbitrary)
}

// genSplit draws a split with 0..maxLen entries and percents 0..100 each,
// with no constraint on the total.
func genSplit(maxLen int) *rapid.Generator[traffic.Split] {
	return rapid.Custom(func(t *rapid.T) traffic.Split {
		names := rapid.SliceOfNDistinct(genName(), 0, maxLen, rapid.ID[string]).Draw(t, "names")
		es := make([]traffic.Entry, len(names))
		for i, name := range names {
			es[i] = traffic.Entry{Name: name, Percent: rapid.IntRange(0, 100).Draw(t, "percent")}
		}
		s, err := traffic.FromEntries(es...)
		if err != nil {
			t.Fatalf("generator built a bad split: %v", err)
		}
		return s
	})
}

// genLive draws a live split totalling exactly 100 over 1..maxLen names
// (some may get 0 and be dropped, but at least one is non-zero).
func genLive(maxLen int) *rapid.Generator[traffic.Split] {
	return rapid.Custom(func(t *rapid.T) traffic.Split {
		names := rapid.SliceOfNDistinct(genName(), 1, maxLen, rapid.ID[string]).Draw(t, "names")
		cuts := rapid.SliceOfN(rapid.IntRange(0, 100), len(names)-1, len(names)-1).Draw(t, "cuts")
		slices.Sort(cuts)
		cuts = append(append([]int{0}, cuts...), 100)
		es := make([]traffic.Entry, len(names))
		for i, name := range names {
			es[i] = traffic.Entry{Name: name, Percent: cuts[i+1] - cuts[i]}
		}
		s, err := traffic.FromEntries(es...)
		if err != nil {
			t.Fatalf("generator built a bad split: %v", err)
		}
		return s
	})
}

// genStages draws a strictly increasing stage list in 1..100, possibly empty.
func genStages() *rapid.Generator[[]int] {
	return rapid.Custom(func(t *rapid.T) []int {
		stages := rapid.SliceOfNDistinct(rapid.IntRange(1, 100), 0, 12, rapid.ID[int]).Draw(t, "stages")
		slices.Sort(stages)
		return stages
	})
}
