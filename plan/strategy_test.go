package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rolloutkit/rollout/endpoint"
)

func TestParseStrategyRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		in, reason string
		want       Strategy
		// out is the canonical form when it differs from in.
		out string
	}{
		{"direct", "the default", Direct(), ""},
		{"canary:10,50", "the CLI's example", Canary([]int{10, 50}), ""},
		{"canary:10,50,100", "an explicit last stage is kept", Canary([]int{10, 50, 100}), ""},
		{"canary:25:approve", "custom gate names follow a second colon", Canary([]int{25}, "approve"), ""},
		{"canary:10,50:bake,approve", "one gate name per hold", Canary([]int{10, 50}, "bake", "approve"), ""},
		{"canary:10:bake", "naming the default gate is the same as naming none", Canary([]int{10}), "canary:10"},
		{"bluegreen", "old deployments deleted after the switch", BlueGreen(false), ""},
		{"bluegreen:keep", "old deployments kept for rollback", BlueGreen(true), ""},
		{"shadow:10", "mirror 10%", Shadow(10), ""},
	} {
		got, err := ParseStrategy(tc.in)
		if err != nil {
			t.Errorf("%s: ParseStrategy(%q): %v", tc.reason, tc.in, err)
			continue
		}
		want := tc.out
		if want == "" {
			want = tc.in
		}
		if got.String() != want || tc.want.String() != want {
			t.Errorf("%s: ParseStrategy(%q).String() = %q, constructor gives %q, want %q", tc.reason, tc.in, got, tc.want, want)
		}
		again, err := ParseStrategy(got.String())
		if err != nil || again.String() != got.String() {
			t.Errorf("%s: %q does not round-trip: %v, %v", tc.reason, got, again, err)
		}
	}
	if (Strategy{}).String() != "direct" {
		t.Error("the zero Strategy must be direct")
	}
}

func TestParseStrategyErrors(t *testing.T) {
	for _, tc := range []struct{ in, reason, contains string }{
		{"", "empty", "unknown strategy"},
		{"rolling", "not a strategy", "unknown strategy"},
		{"direct:5", "direct takes nothing", "no arguments"},
		{"canary", "a canary needs stages", "needs stages"},
		{"canary:", "an empty stage list", "not an integer"},
		{"canary:10,x", "stages are integers", "not an integer"},
		{"canary:0", "stages start at 1", "between 1 and 100"},
		{"canary:101", "stages end at 100", "between 1 and 100"},
		{"canary:50,10", "stages increase", "strictly increasing"},
		{"canary:10:a b", "gate names have no spaces", "must not contain"},
		{"canary:10:", "gate names are not empty", "must not be empty"},
		{"bluegreen:now", "only keep", "keep"},
		{"shadow", "a shadow needs a percent", "needs a mirror percent"},
		{"shadow:x", "the percent is an integer", "not an integer"},
		{"shadow:0", "mirroring 0% tests nothing", "between 1 and 50"},
		{"shadow:51", "the service mirrors at most 50%", "between 1 and 50"},
	} {
		_, err := ParseStrategy(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.contains) {
			t.Errorf("%s: ParseStrategy(%q) = %v, want an error containing %q", tc.reason, tc.in, err, tc.contains)
		}
	}
}

// TestStrategyGraphs pins the step graph of each strategy on the tutorial's
// rollout from blue to green.
func TestStrategyGraphs(t *testing.T) {
	var cases []computeCase
	add := func(s Strategy, from, to int, reason string, want ...string) {
		c := computeCase{name: s.String() + " " + string(rune('0'+from)) + " to " + string(rune('0'+to)), reason: reason,
			desired: list(tutorial(to)), opts: Options{Strategy: s}, want: want}
		if from > 0 {
			c.actual = list(tutorial(from))
		}
		cases = append(cases, c)
	}
	add(Direct(), 2, 6, "one traffic step, no gates",
		"my-endpoint/green/create create_deployment",
		"my-endpoint/traffic set_traffic <- my-endpoint/green/create",
		"my-endpoint/blue/delete delete_deployment <- my-endpoint/traffic")
	add(Canary([]int{10, 50}), 2, 6, "green is smoke-tested, then takes 10%, 50%, 100% with a bake between stages; blue goes last",
		"my-endpoint/green/create create_deployment",
		"my-endpoint/gate/smoke:green gate <- my-endpoint/green/create",
		"my-endpoint/traffic/1 set_traffic <- my-endpoint/gate/smoke:green",
		"my-endpoint/gate/bake/1 gate <- my-endpoint/traffic/1",
		"my-endpoint/traffic/2 set_traffic <- my-endpoint/gate/bake/1",
		"my-endpoint/gate/bake/2 gate <- my-endpoint/traffic/2",
		"my-endpoint/traffic/3 set_traffic <- my-endpoint/gate/bake/2",
		"my-endpoint/blue/delete delete_deployment <- my-endpoint/traffic/3")
	add(Canary([]int{10, 50}, "bake", "approve"), 3, 5, "gate names are used in turn",
		"my-endpoint/gate/smoke:green gate",
		"my-endpoint/traffic/1 set_traffic <- my-endpoint/gate/smoke:green",
		"my-endpoint/gate/bake/1 gate <- my-endpoint/traffic/1",
		"my-endpoint/traffic/2 set_traffic <- my-endpoint/gate/bake/1",
		"my-endpoint/gate/approve/2 gate <- my-endpoint/traffic/2",
		"my-endpoint/traffic/3 set_traffic <- my-endpoint/gate/approve/2")
	add(Canary([]int{10, 50}), 0, 6, "a new endpoint has no traffic to ramp from: one stage, behind the smoke gate",
		"my-endpoint/create create_endpoint",
		"my-endpoint/green/create create_deployment <- my-endpoint/create",
		"my-endpoint/gate/smoke:green gate <- my-endpoint/green/create",
		"my-endpoint/traffic set_traffic <- my-endpoint/gate/smoke:green")
	add(Canary([]int{10, 50}), 1, 2, "no traffic change: the canary is a plain scale-out",
		"my-endpoint/blue/update update_deployment")
	add(BlueGreen(false), 2, 6, "green at 0, smoke gate, switch, bake gate, then blue is deleted",
		"my-endpoint/green/create create_deployment",
		"my-endpoint/gate/smoke:green gate <- my-endpoint/green/create",
		"my-endpoint/traffic set_traffic <- my-endpoint/gate/smoke:green",
		"my-endpoint/gate/bake/1 gate <- my-endpoint/traffic",
		"my-endpoint/blue/delete delete_deployment <- my-endpoint/gate/bake/1")
	add(BlueGreen(true), 2, 6, "blue is kept at 0% for a fast rollback, so no bake gate is needed",
		"my-endpoint/green/create create_deployment",
		"my-endpoint/gate/smoke:green gate <- my-endpoint/green/create",
		"my-endpoint/traffic set_traffic <- my-endpoint/gate/smoke:green")
	add(BlueGreen(false), 5, 6, "blue has no traffic to switch away: a plain delete",
		"my-endpoint/blue/delete delete_deployment")
	add(Shadow(10), 2, 6, "green receives 10% mirrored, is watched, then takes live traffic",
		"my-endpoint/green/create create_deployment",
		"my-endpoint/traffic/1 set_traffic <- my-endpoint/green/create",
		"my-endpoint/gate/shadow:green gate <- my-endpoint/traffic/1",
		"my-endpoint/traffic/2 set_traffic <- my-endpoint/gate/shadow:green",
		"my-endpoint/blue/delete delete_deployment <- my-endpoint/traffic/2")
	add(Shadow(10), 0, 1, "a new endpoint serves nothing to mirror: a smoke gate instead",
		"my-endpoint/create create_endpoint",
		"my-endpoint/blue/create create_deployment <- my-endpoint/create",
		"my-endpoint/gate/smoke:blue gate <- my-endpoint/blue/create",
		"my-endpoint/traffic set_traffic <- my-endpoint/gate/smoke:blue")
	runComputeCases(t, cases)
}

func TestCanaryStages(t *testing.T) {
	for _, tc := range []struct {
		name, reason    string
		s               Strategy
		desired, actual *endpoint.Endpoint
		// want is each traffic step's live and mirror split.
		want []string
	}{
		{
			name: "tutorial", reason: "a fresh canary: green holds 10%, then 50%, then all",
			s: Canary([]int{10, 50}), desired: tutorial(5), actual: tutorial(3),
			want: []string{"blue=90 green=10 | ", "blue=50 green=50 | ", "green=100 | "},
		},
		{
			name: "resumed at 90/10", reason: "a stage is green's share: 10 is behind it, so 50/50 is next, not 81/19",
			s:       Canary([]int{10, 50}),
			desired: tutorial(5),
			actual:  mk(ep, "blue=90 green=10", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2")),
			want:    []string{"blue=50 green=50 | ", "green=100 | "},
		},
		{
			name: "resumed past the last stage", reason: "green already holds more than every stage: one step to the desired split",
			s:       Canary([]int{10, 50}),
			desired: tutorial(5),
			actual:  mk(ep, "blue=40 green=60", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2")),
			want:    []string{"green=100 | "},
		},
		{
			name: "two rising", reason: "green and red hold the stage together, shared 75:25 as desired",
			s:       Canary([]int{10, 50}),
			desired: mk(ep, "green=75 red=25", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2"), dep("red", 1, "model-3")),
			actual:  mk(ep, "blue=100", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2"), dep("red", 1, "model-3")),
			want:    []string{"blue=90 green=8 red=2 | ", "blue=50 green=38 red=12 | ", "green=75 red=25 | "},
		},
		{
			name: "mirror waits for the live traffic to leave", reason: "blue cannot be mirrored while it still serves live traffic, so its mirror comes with the last stage",
			s:       Canary([]int{50}),
			desired: mk(ep, "green=100", "blue=10", dep("blue", 2, "model-1"), dep("green", 2, "model-2")),
			actual:  tutorial(3),
			want:    []string{"blue=50 green=50 | ", "green=100 | blue=10"},
		},
		{
			name: "mirror dropped while its deployment rises", reason: "green was mirrored; it cannot keep the mirror once it has live traffic",
			s:       Canary([]int{50}),
			desired: tutorial(5),
			actual:  mk(ep, "blue=100", "green=10", dep("blue", 2, "model-1"), dep("green", 2, "model-2")),
			want:    []string{"blue=50 green=50 | ", "green=100 | "},
		},
		{
			name: "mirror only", reason: "a mirror change without a live change is one step",
			s:       Canary([]int{50}),
			desired: mk(ep, "blue=100", "green=10", dep("blue", 2, "model-1"), dep("green", 2, "model-2")),
			actual:  tutorial(3),
			want:    []string{"blue=100 | green=10"},
		},
		{
			name: "shadow", reason: "the mirror stage keeps the live split and mirrors to the riser",
			s: Shadow(20), desired: tutorial(5), actual: tutorial(3),
			want: []string{"blue=100 | green=20", "green=100 | "},
		},
		{
			name: "shadow with two risers", reason: "one mirror at a time, in name order",
			s:       Shadow(5),
			desired: mk(ep, "green=50 red=50", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2"), dep("red", 1, "model-3")),
			actual:  mk(ep, "blue=100", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2"), dep("red", 1, "model-3")),
			want:    []string{"blue=100 | green=5", "blue=100 | red=5", "green=50 red=50 | "},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			desired, actual := list(tc.desired), list(tc.actual)
			p, err := Compute(desired, actual, Options{Strategy: tc.s})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range p.Steps {
				if s.Action == SetTraffic || s.Action == UpdateEndpoint {
					got = append(got, s.Traffic.String()+" | "+s.Mirror.String())
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s: stages (-want +got):\n%s", tc.reason, diff)
			}
			if err := Verify(desired, actual, p); err != nil {
				t.Errorf("%s: %v", tc.reason, err)
			}
		})
	}
}

func TestShadowOnKubernetes(t *testing.T) {
	k8s := func(e *endpoint.Endpoint) *endpoint.Endpoint {
		e.Compute = "k8s-compute"
		for i := range e.Deployments {
			e.Deployments[i].Type = endpoint.Kubernetes
		}
		return e
	}
	desired, actual := list(k8s(tutorial(5))), list(k8s(tutorial(3)))
	p, err := Compute(desired, actual, Options{Strategy: Shadow(10)})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"my-endpoint/gate/smoke:green gate",
		"my-endpoint/traffic set_traffic <- my-endpoint/gate/smoke:green",
	}
	if diff := cmp.Diff(want, sketch(p)); diff != "" {
		t.Errorf("the service mirrors only on managed endpoints, so shadow falls back to a smoke gate (-want +got):\n%s", diff)
	}
}

func TestStrategiesAreSafe(t *testing.T) {
	strategies := []Strategy{Direct(), Canary([]int{10, 50}), Canary([]int{1, 2, 3, 97}), BlueGreen(false), BlueGreen(true), Shadow(10), Shadow(50)}
	for _, s := range strategies {
		for from := 0; from <= 6; from++ {
			for to := 1; to <= 6; to++ {
				var actual []*endpoint.Endpoint
				if from > 0 {
					actual = list(tutorial(from))
				}
				desired := list(tutorial(to))
				p, err := Compute(desired, actual, Options{Strategy: s})
				if err != nil {
					t.Errorf("%s %d to %d: %v", s, from, to, err)
					continue
				}
				if err := Verify(desired, actual, p); err != nil {
					t.Errorf("%s %d to %d: %v", s, from, to, err)
				}
				if s.kind == direct {
					bound := 3
					if from == 0 {
						bound = 4
					}
					if d := depth(p); d > bound {
						t.Errorf("direct %d to %d: depth %d, want at most %d", from, to, d, bound)
					}
				}
			}
		}
	}
}
