package plan

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/rolloutkit/rollout/traffic"
)

// Strategy shapes how a plan moves live traffic: in one step, through a
// ramp of stages with gates between them, by switching at once after a
// test, or after a period of mirrored traffic. It is an immutable value;
// the zero value is [Direct].
//
// Every strategy keeps the safety rules: writes that add capacity come
// before the traffic they serve, traffic leaves a deployment before it is
// scaled down or deleted. Strategies differ only in the traffic steps and
// the gates between them. A gate is a named pause; the executor binds each
// name to a function (a smoke test, a metric check, an approval), so plans
// stay plain data.
//
// Gate names of the built-in strategies:
//   - smoke:DEPLOYMENT, before a deployment first takes live traffic
//     (Canary, BlueGreen, and Shadow when it cannot mirror);
//   - bake (or the names given to [Canary]), between the stages of a
//     canary ramp, and in BlueGreen after the switch and before the old
//     deployments are removed;
//   - shadow:DEPLOYMENT, in Shadow after the deployment has received
//     mirrored traffic and before it takes live traffic.
type Strategy struct {
	kind     strategyKind
	percents []int    // canary stages
	gates    []string // canary gates between stages
	keepOld  bool     // bluegreen
	mirror   int      // shadow percent
}

type strategyKind uint8

const (
	direct strategyKind = iota
	canary
	blueGreen
	shadow
)

// DefaultBakeGate is the gate between canary stages when [Canary] is given
// no gate names, and the gate after a blue-green switch.
const DefaultBakeGate = "bake"

// Direct moves traffic in one step: each endpoint gets at most one traffic
// step, after every write that adds capacity and before every write that
// removes it, and no gates. It is the default.
func Direct() Strategy { return Strategy{} }

// Canary moves live traffic through a ramp (see [traffic.Ramp]): percents
// are stages, strictly increasing, each 1 to 100, read as the set-weight
// steps of Argo Rollouts and the step weights of Flagger. A stage is the
// share of live traffic held by the deployments whose share rises; a
// final stage at the desired split is implied. So canary:10,50 takes
// blue=100 to green=100 through blue=90 green=10 and blue=50 green=50,
// and a canary resumed at blue=90 green=10 goes to blue=50 green=50 next:
// stages at or below the rising deployments' current share, or at or above
// their desired share, are skipped. When several deployments rise, a stage
// s gives them s percent in all, shared in proportion to their desired
// shares; the deployments whose share falls hold the rest, shared in
// proportion to their current shares; deployments whose share does not
// change keep it. No deployment passes either end of its move or turns
// back between stages, and whole percents come by largest remainder with
// ties to the name that sorts first; [traffic.Ramp] states the rule
// exactly.
//
// A gate smoke:DEPLOYMENT comes before the stage at which a deployment
// first takes live traffic, and a gate between each two stages: the gate
// after stage k is gates[k-1], the last name repeating, so with no names
// every stage is followed by bake. A ramp needs live traffic at both ends;
// an endpoint that is dark before or after the plan (a new endpoint, for
// one) gets a single stage, still behind its smoke gates. Mirror traffic
// is set with the first stage at which it is allowed (it may not name a
// deployment that still has live traffic) and is otherwise kept as it was
// or dropped until the last stage.
//
// Invalid percents or gate names make [Compute] fail.
func Canary(percents []int, gates ...string) Strategy {
	return Strategy{kind: canary, percents: slices.Clone(percents), gates: slices.Clone(gates)}
}

// BlueGreen brings new deployments up at 0 percent, stops at a smoke gate
// for each deployment about to take live traffic, switches all traffic to
// the desired split in one step, and stops at a bake gate before the
// deployments that lost traffic are scaled down or deleted. With keepOld,
// deployments that served live traffic before the switch and are absent
// from the desired state are kept, at 0 percent, for a fast rollback; the
// next plan deletes them (so such a plan does not converge, and [Verify]
// allows for exactly those deployments). The bake gate is left out when no
// step would wait for it.
func BlueGreen(keepOld bool) Strategy { return Strategy{kind: blueGreen, keepOld: keepOld} }

// Shadow first mirrors percent of live requests (1 to 50) to each
// deployment about to take live traffic for the first time, one at a time
// in name order, with a gate shadow:DEPLOYMENT after each, and then sets
// the desired traffic in one step. Mirroring needs a managed endpoint that
// already serves live traffic; otherwise the deployment gets a smoke gate
// instead.
func Shadow(percent int) Strategy { return Strategy{kind: shadow, mirror: percent} }

// ParseStrategy reads the command-line form of a strategy, the form
// [Strategy.String] writes:
//
//	direct
//	canary:10,50              stages 10 and 50 (100 implied), gate bake
//	canary:10,50:bake,approve gates after stage 1 and after stage 2
//	bluegreen                 delete the old deployments after the switch
//	bluegreen:keep            keep them for a fast rollback
//	shadow:10                 mirror 10 percent before live traffic
func ParseStrategy(s string) (Strategy, error) {
	kind, args, hasArgs := strings.Cut(s, ":")
	var st Strategy
	switch kind {
	case "direct":
		if hasArgs {
			return Strategy{}, fmt.Errorf("plan: strategy %q: direct takes no arguments", s)
		}
		return Direct(), nil
	case "canary":
		if !hasArgs {
			return Strategy{}, fmt.Errorf("plan: strategy %q: canary needs stages, e.g. canary:10,50", s)
		}
		stages, gates, hasGates := strings.Cut(args, ":")
		percents, err := parseInts(stages)
		if err != nil {
			return Strategy{}, fmt.Errorf("plan: strategy %q: %w", s, err)
		}
		var names []string
		if hasGates {
			names = strings.Split(gates, ",")
		}
		st = Canary(percents, names...)
	case "bluegreen":
		switch {
		case !hasArgs:
			st = BlueGreen(false)
		case args == "keep":
			st = BlueGreen(true)
		default:
			return Strategy{}, fmt.Errorf("plan: strategy %q: bluegreen takes no argument or keep", s)
		}
	case "shadow":
		if !hasArgs {
			return Strategy{}, fmt.Errorf("plan: strategy %q: shadow needs a mirror percent, e.g. shadow:10", s)
		}
		p, err := strconv.Atoi(args)
		if err != nil {
			return Strategy{}, fmt.Errorf("plan: strategy %q: mirror percent %q is not an integer", s, args)
		}
		st = Shadow(p)
	default:
		return Strategy{}, fmt.Errorf("plan: unknown strategy %q; want direct, canary:10,50, bluegreen or shadow:10", s)
	}
	if err := st.validate(); err != nil {
		return Strategy{}, fmt.Errorf("plan: strategy %q: %w", s, err)
	}
	return st, nil
}

func parseInts(s string) ([]int, error) {
	parts := strings.Split(s, ",")
	out := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("stage %q is not an integer", p)
		}
		out[i] = n
	}
	return out, nil
}

// String returns the form [ParseStrategy] reads.
func (s Strategy) String() string {
	switch s.kind {
	case canary:
		var b strings.Builder
		b.WriteString("canary:")
		for i, p := range s.percents {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(p))
		}
		if len(s.gates) > 0 && !slices.Equal(s.gates, []string{DefaultBakeGate}) {
			b.WriteByte(':')
			b.WriteString(strings.Join(s.gates, ","))
		}
		return b.String()
	case blueGreen:
		if s.keepOld {
			return "bluegreen:keep"
		}
		return "bluegreen"
	case shadow:
		return "shadow:" + strconv.Itoa(s.mirror)
	}
	return "direct"
}

// keepsOld reports whether the strategy named by s (a [Plan.Strategy])
// keeps replaced deployments for rollback.
func keepsOld(s string) bool {
	st, err := ParseStrategy(s)
	return err == nil && st.kind == blueGreen && st.keepOld
}

func (s Strategy) validate() error {
	switch s.kind {
	case canary:
		if len(s.percents) == 0 {
			return errors.New("canary needs at least one stage")
		}
		for i, p := range s.percents {
			if p < 1 || p > 100 {
				return fmt.Errorf("canary stage %d must be between 1 and 100", p)
			}
			if i > 0 && p <= s.percents[i-1] {
				return fmt.Errorf("canary stages must be strictly increasing: %d follows %d", p, s.percents[i-1])
			}
		}
		for _, g := range s.gates {
			if err := checkGateName(g); err != nil {
				return err
			}
		}
	case shadow:
		if s.mirror < 1 || s.mirror > 50 {
			return fmt.Errorf("shadow mirror percent must be between 1 and 50, got %d", s.mirror)
		}
	}
	return nil
}

// checkGateName keeps gate names usable in step ids and in the strategy's
// text form, where '/', ':' and ',' separate parts.
func checkGateName(g string) error {
	if g == "" {
		return errors.New("gate names must not be empty")
	}
	for _, r := range g {
		if r == '/' || r == ':' || r == ',' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("gate name %q must not contain '/', ':', ',' or white space", g)
		}
	}
	return nil
}

// stage is one traffic step of an endpoint: the full live and mirror splits
// after it, and the gates it waits for.
type stage struct {
	live, mirror traffic.Split
	gates        []gateSpec
	reason       string
}

// gateSpec is a gate before a stage. A gate with a deployment waits for that
// deployment's writes; a holding gate waits for the stage before it.
type gateSpec struct {
	name       string
	deployment string
	hold       bool
	reason     string
}

// stages appends to dst the traffic stages from (live, mirror) to
// (toLive, toMirror), and returns the name of a gate to hold after the
// last stage before capacity is removed ("" for none). managed tells
// whether the endpoint may mirror.
func (s Strategy) stages(dst []stage, live, mirror, toLive, toMirror traffic.Split, managed bool) ([]stage, string) {
	if live.Equal(toLive) && mirror.Equal(toMirror) {
		return dst, ""
	}
	final := stage{live: toLive, mirror: toMirror, reason: "set the desired traffic"}
	switch s.kind {
	case canary:
		return s.canaryStages(dst, live, mirror, toLive, toMirror), ""
	case blueGreen:
		final.gates = smokeGates(live, toLive)
		final.reason = "switch traffic"
		return append(dst, final), DefaultBakeGate
	case shadow:
		return s.shadowStages(dst, live, mirror, final, managed), ""
	}
	return append(dst, final), ""
}

func (s Strategy) canaryStages(dst []stage, live, mirror, toLive, toMirror traffic.Split) []stage {
	splits := []traffic.Split{live, toLive}
	ramped := live.Total() == 100 && toLive.Total() == 100
	if ramped {
		// Both ends were checked to total 100 and the percents by validate,
		// so Ramp cannot fail.
		splits, _ = traffic.Ramp(live, toLive, s.percents...)
	}
	if len(splits) < 2 {
		// Only the mirror changes.
		return append(dst, stage{live: toLive, mirror: toMirror, reason: "set the desired mirror traffic"})
	}
	n := len(splits) - 1
	out := slices.Grow(dst, n)
	prevLive, prevMirror := live, mirror
	for k := 1; k <= n; k++ {
		st := stage{live: splits[k], mirror: toMirror}
		if k < n {
			st.mirror = stageMirror(splits[k], prevMirror, toMirror)
		}
		if k > 1 {
			g := DefaultBakeGate
			if len(s.gates) > 0 {
				g = s.gates[min(k-2, len(s.gates)-1)]
			}
			st.gates = append(st.gates, gateSpec{name: g, hold: true, reason: fmt.Sprintf("hold after canary stage %d of %d", k-1, n)})
		}
		st.gates = append(st.gates, smokeGates(prevLive, splits[k])...)
		st.reason = fmt.Sprintf("canary stage %d of %d", k, n)
		if !ramped {
			st.reason = "set the desired traffic in one step: a ramp needs live traffic before and after"
		}
		out = append(out, st)
		prevLive, prevMirror = st.live, st.mirror
	}
	return out
}

// stageMirror is the mirror of an intermediate stage: the desired one as
// soon as it is valid beside the stage's live traffic, else the one before
// while it stays valid, else none.
func stageMirror(live, prev, want traffic.Split) traffic.Split {
	if want.ValidateMirror(live) == nil {
		return want
	}
	if prev.ValidateMirror(live) == nil {
		return prev
	}
	return traffic.Split{}
}

func (s Strategy) shadowStages(dst []stage, live, mirror traffic.Split, final stage, managed bool) []stage {
	risers := risingFromZero(live, final.live)
	if !managed || live.Total() != 100 || len(risers) == 0 {
		final.gates = smokeGates(live, final.live)
		return append(dst, final)
	}
	out := slices.Grow(dst, len(risers)+1)
	var pending []gateSpec
	prevMirror := mirror
	for _, r := range risers {
		m := traffic.Split{}.With(r, s.mirror)
		if !m.Equal(prevMirror) {
			out = append(out, stage{live: live, mirror: m, gates: pending, reason: fmt.Sprintf("mirror %d%% of live traffic to %s", s.mirror, r)})
			pending = nil
			prevMirror = m
		}
		pending = append(pending, gateSpec{name: "shadow:" + r, deployment: r, hold: true, reason: fmt.Sprintf("watch %s under mirrored traffic before it takes live traffic", r)})
	}
	final.gates = pending
	return append(out, final)
}

// smokeGates returns a smoke gate for each deployment that has no live
// traffic in from and some in to.
func smokeGates(from, to traffic.Split) []gateSpec {
	var out []gateSpec
	for _, name := range risingFromZero(from, to) {
		out = append(out, gateSpec{name: "smoke:" + name, deployment: name, reason: fmt.Sprintf("test %s before it takes live traffic", name)})
	}
	return out
}

func risingFromZero(from, to traffic.Split) []string {
	var out []string
	for name := range to.All() {
		if from.Get(name) == 0 {
			out = append(out, name)
		}
	}
	return out
}
