package traffic_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rolloutkit/rollout/traffic"
	"pgregory.net/rapid"
)

func TestRamp(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		stages   []int
		want     []string
		reason   string
	}{
		{
			name: "canary", from: "blue=100", to: "green=100", stages: []int{10, 50},
			want:   []string{"blue=100", "blue=90 green=10", "blue=50 green=50", "green=100"},
			reason: "the final 100 is implied",
		},
		{
			name: "explicit-100", from: "blue=100", to: "green=100", stages: []int{10, 100},
			want:   []string{"blue=100", "blue=90 green=10", "green=100"},
			reason: "an explicit final 100 is not doubled",
		},
		{
			name: "no-stages", from: "blue=100", to: "green=100",
			want:   []string{"blue=100", "green=100"},
			reason: "no stages is one step",
		},
		{
			name: "equal", from: "blue=90 green=10", to: "blue=90 green=10", stages: []int{50},
			want:   []string{"blue=90 green=10"},
			reason: "nothing to move",
		},
		{
			name: "resumed-90-10", from: "blue=90 green=10", to: "green=100", stages: []int{10, 50},
			want:   []string{"blue=90 green=10", "blue=50 green=50", "green=100"},
			reason: "a stage is green's share, not progress from the start: 10 is behind, 50/50 is next",
		},
		{
			name: "resumed-past-last", from: "blue=40 green=60", to: "green=100", stages: []int{10, 50},
			want:   []string{"blue=40 green=60", "green=100"},
			reason: "every stage is at or below green's current share: one step to the desired split",
		},
		{
			name: "stage-at-desired", from: "blue=90 green=10", to: "blue=50 green=50", stages: []int{25, 50, 75},
			want:   []string{"blue=90 green=10", "blue=75 green=25", "blue=50 green=50"},
			reason: "50 is green's desired share and 75 beyond it: both skipped, the desired split ends the ramp",
		},
		{
			name: "floor", from: "blue=100", to: "green=100", stages: []int{1, 2, 3},
			want:   []string{"blue=100", "blue=99 green=1", "blue=98 green=2", "blue=97 green=3", "green=100"},
			reason: "small stages move small amounts",
		},
		{
			name: "two-rising", from: "x=100", to: "a=75 b=25", stages: []int{10, 50},
			want:   []string{"x=100", "a=8 b=2 x=90", "a=38 b=12 x=50", "a=75 b=25"},
			reason: "the rising side holds the stage, shared 75:25 as desired; at 10 the remainders tie and a, first by name, gets the point",
		},
		{
			name: "rising-already-live", from: "a=30 b=10 x=60", to: "a=50 b=50", stages: []int{10, 50, 80},
			want:   []string{"a=30 b=10 x=60", "a=30 b=20 x=50", "a=40 b=40 x=20", "a=50 b=50"},
			reason: "10 is below the rising side's 40; at 50 a's proportional 25 is below its current 30, so a holds 30 and b takes the rest",
		},
		{
			name: "two-falling", from: "a=60 b=40", to: "a=50 b=10 c=40", stages: []int{10, 30},
			want:   []string{"a=60 b=40", "a=54 b=36 c=10", "a=50 b=20 c=30", "a=50 b=10 c=40"},
			reason: "the falling side holds the rest in proportion 60:40, except that a never goes below its desired 50",
		},
		{
			name: "fixed-bystander", from: "a=50 b=30 c=20", to: "c=20 d=40 e=40", stages: []int{25, 50, 75},
			want: []string{
				"a=50 b=30 c=20",
				"a=34 b=21 c=20 d=13 e=12",
				"a=19 b=11 c=20 d=25 e=25",
				"a=3 b=2 c=20 d=38 e=37",
				"c=20 d=40 e=40",
			},
			reason: "c keeps 20 throughout; d and e tie on remainders and d, first by name, gets the odd point; a and b share 100-20-s as 50:30",
		},
		{
			name: "alabama", from: "blue=100", to: "a=1 b=3 blue=93 c=3", stages: []int{3, 4, 6},
			want: []string{
				"blue=100",
				"a=1 b=1 blue=97 c=1",
				"a=1 b=2 blue=96 c=1",
				"a=1 b=3 blue=94 c=2",
				"a=1 b=3 blue=93 c=3",
			},
			reason: "plain largest remainder would give a=0 b=2 c=2 at 4 after a=1 at 3; a keeps its point and c, tied with b but later by name, waits",
		},
		{
			name: "tie-by-name", from: "x=100", to: "a=50 b=50", stages: []int{1},
			want:   []string{"x=100", "a=1 x=99", "a=50 b=50"},
			reason: "a stage of 1 split evenly: the earlier name gets the point",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := traffic.Ramp(traffic.MustParse(tc.from), traffic.MustParse(tc.to), tc.stages...)
			if err != nil {
				t.Fatalf("Ramp: %v (%s)", err, tc.reason)
			}
			if diff := cmp.Diff(tc.want, texts(got)); diff != "" {
				t.Errorf("Ramp(%q, %q, %v) (-want +got):\n%s\n(%s)", tc.from, tc.to, tc.stages, diff, tc.reason)
			}
		})
	}
}

func TestRampStagesNotAliased(t *testing.T) {
	stages := make([]int, 2, 10)
	stages[0], stages[1] = 10, 20
	spare := stages[:3]
	spare[2] = 42
	if _, err := traffic.Ramp(traffic.MustParse("a=100"), traffic.MustParse("b=100"), stages...); err != nil {
		t.Fatal(err)
	}
	if spare[2] != 42 {
		t.Errorf("Ramp wrote into the caller's stage slice: %v", spare)
	}
}

func TestRampErrors(t *testing.T) {
	live := traffic.MustParse("blue=100")
	tests := []struct {
		name     string
		from, to string
		stages   []int
		want     string
		reason   string
	}{
		{"from-dark", "", "blue=100", nil, "traffic: cannot ramp from a dark split: there is no traffic to shift in proportion", "nothing to shift from"},
		{"to-dark", "blue=100", "", nil, "traffic: cannot ramp to a dark split: there is no traffic to shift in proportion", "going dark is one step"},
		{"from-partial", "blue=90", "green=100", nil, "traffic: cannot ramp from a split whose total is 90, it must be exactly 100 (blue=90)", "invalid live split"},
		{"stage-zero", "blue=100", "green=100", []int{0, 50}, "traffic: ramp stage 0 must be between 1 and 100", "0 is from itself"},
		{"stage-over", "blue=100", "green=100", []int{50, 150}, "traffic: ramp stage 150 must be between 1 and 100", "beyond the target"},
		{"decreasing", "blue=100", "green=100", []int{50, 20}, "traffic: ramp stages must be strictly increasing: 20 follows 50", "going back is a rollback, not a ramp"},
		{"repeated", "blue=100", "green=100", []int{50, 50}, "traffic: ramp stages must be strictly increasing: 50 follows 50", "a repeated stage is a typo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := traffic.Ramp(traffic.MustParse(tc.from), traffic.MustParse(tc.to), tc.stages...)
			if err == nil || err.Error() != tc.want || !errors.Is(err, traffic.ErrInvalid) {
				t.Errorf("error = %v, want %s (%s)", err, tc.want, tc.reason)
			}
		})
	}
	for _, step := range []int{0, -5, 101} {
		if _, err := traffic.RampStep(live, live, step); !errors.Is(err, traffic.ErrInvalid) {
			t.Errorf("RampStep(step %d) error = %v, want ErrInvalid", step, err)
		}
	}
}

func TestRampStep(t *testing.T) {
	tests := []struct {
		step   int
		want   []string
		reason string
	}{
		{25, []string{"blue=100", "blue=75 green=25", "blue=50 green=50", "blue=25 green=75", "green=100"}, "step divides 100"},
		{40, []string{"blue=100", "blue=60 green=40", "blue=20 green=80", "green=100"}, "step does not divide 100: final 100 implied"},
		{100, []string{"blue=100", "green=100"}, "one step"},
	}
	for _, tc := range tests {
		got, err := traffic.RampStep(traffic.MustParse("blue=100"), traffic.MustParse("green=100"), tc.step)
		if err != nil {
			t.Fatalf("RampStep(%d): %v", tc.step, err)
		}
		if diff := cmp.Diff(tc.want, texts(got)); diff != "" {
			t.Errorf("RampStep(%d) (-want +got):\n%s\n(%s)", tc.step, diff, tc.reason)
		}
	}
	got, err := traffic.RampStep(traffic.MustParse("blue=100"), traffic.MustParse("green=100"), 1)
	if err != nil || len(got) != 101 {
		t.Errorf("RampStep(1) gave %d stages, %v; want 101", len(got), err)
	}
}

// TestRampProperties checks the documented guarantees on random ramps.
func TestRampProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		from := genLive(6).Draw(t, "from")
		to := genLive(6).Draw(t, "to")
		stages := genStages().Draw(t, "stages")
		got, err := traffic.Ramp(from, to, stages...)
		if err != nil {
			t.Fatalf("Ramp(%v, %v, %v): %v", from, to, stages, err)
		}
		if !got[0].Equal(from) || !got[len(got)-1].Equal(to) {
			t.Fatalf("ramp %v does not run from %v to %v", texts(got), from, to)
		}

		// The rising side: the deployments whose share grows.
		names := map[string]bool{}
		for _, s := range []traffic.Split{from, to} {
			for name := range s.All() {
				names[name] = true
			}
		}
		rising := func(s traffic.Split) int {
			sum := 0
			for name := range names {
				if to.Get(name) > from.Get(name) {
					sum += s.Get(name)
				}
			}
			return sum
		}
		// The intermediate stages are exactly the stages strictly between
		// the rising side's current and desired shares, in order.
		var want []int
		for _, p := range stages {
			if p > rising(from) && p < rising(to) {
				want = append(want, p)
			}
		}
		if !from.Equal(to) && len(got) != len(want)+2 {
			t.Fatalf("ramp %v has %d stages, want from, %v, to", texts(got), len(got), want)
		}
		for i, s := range got {
			if err := s.Validate(); err != nil || s.Total() != 100 {
				t.Fatalf("stage %d %v is not a live split: %v", i, s, err)
			}
			for name, p := range s.All() {
				if p < 0 || p > 100 || !names[name] {
					t.Fatalf("stage %d %v: %s=%d is out of range or unknown", i, s, name, p)
				}
			}
			if i > 0 && s.Equal(got[i-1]) {
				t.Fatalf("stages %d and %d are both %v", i-1, i, s)
			}
			if i > 0 && i < len(got)-1 && rising(s) != want[i-1] {
				t.Fatalf("stage %d %v gives the rising side %d, want %d", i, s, rising(s), want[i-1])
			}
		}
		if len(got) > 2 && rising(got[1]) <= rising(from) {
			t.Fatalf("first stage %v does not raise the rising side above %d", got[1], rising(from))
		}

		// Monotone: each deployment walks from its from value to its to
		// value without turning back or passing it.
		for name := range names {
			a, b := from.Get(name), to.Get(name)
			prev := a
			for i, s := range got {
				v := s.Get(name)
				if v < min(a, b) || v > max(a, b) {
					t.Fatalf("stage %d: %s=%d leaves [%d, %d]", i, name, v, min(a, b), max(a, b))
				}
				if (b >= a && v < prev) || (b <= a && v > prev) {
					t.Fatalf("stage %d: %s goes %d -> %d, against its direction %d -> %d\n%v", i, name, prev, v, a, b, texts(got))
				}
				prev = v
			}
		}
	})
}

func texts(ss []traffic.Split) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.String()
	}
	return out
}
