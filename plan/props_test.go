package plan_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes/gen"
	"github.com/rolloutkit/rollout/plan"
	"github.com/rolloutkit/rollout/traffic"
)

// propChecks is how many cases each property runs unless -rapid.checks or
// RAPID_CHECKS says otherwise. rapid's own default (100) would leave the
// properties of this file far below the 10,000 cases in all the planner is
// held to; with this count they run well over. -short divides it by 5, as
// rapid does with any count.
const propChecks = 1500

// TestMain raises rapid's default number of cases for this package. rapid
// has no per-call option for it, only the flag, so the flag's default is
// changed here, before any test runs, and only when the user set neither
// the flag nor the environment variable.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if _, env := os.LookupEnv("RAPID_CHECKS"); !set && !env {
		if err := flag.Set("rapid.checks", fmt.Sprint(propChecks)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	os.Exit(m.Run())
}

// TestPropSafe is the planner's main promise: every plan it returns keeps
// S1-S6 in every order its dependencies allow (Check), and reaches the
// desired state (the plan's final state, replayed here step by step with
// Simulate, equals the desired one; endpoints the desired state does not
// name are deleted or left exactly as they were, per DeleteUnlisted).
func TestPropSafe(t *testing.T) {
	rapid.Check(t, propSafe)
}

func propSafe(t *rapid.T) {
	pair := gen.Pairs().Draw(t, "pair")
	propLog(t, pair)
	opts := plan.Options{DeleteUnlisted: rapid.Bool().Draw(t, "delete_unlisted")}
	p, err := plan.Compute(pair.Desired, pair.Actual, opts)
	if err != nil {
		if errors.Is(err, plan.ErrRefused) || errors.Is(err, plan.ErrBusy) {
			return // whether the refusal was due is TestPropRefusals' question
		}
		t.Fatalf("Compute: unexpected error: %v", err)
	}
	propWellFormed(t, p)
	if want := plan.Fingerprint(pair.Actual); p.Fingerprint != want {
		t.Fatalf("fingerprint %q, want %q, the fingerprint of the actual state", p.Fingerprint, want)
	}
	if err := plan.Check(pair.Actual, p); err != nil {
		t.Fatalf("Check: %v\nplan:\n%s", err, p)
	}
	if err := plan.Verify(pair.Desired, pair.Actual, p); err != nil {
		t.Fatalf("Verify: %v\nplan:\n%s", err, p)
	}
	propConverges(t, pair, opts, p)
}

// TestPropSafeByReplay checks S1, S2, S3 and S5 without Check: it replays
// each plan (any strategy, any options) in one random order its
// dependencies allow, with Simulate, and inspects every state on the way
// with rules written out here, so that a blind spot of Check cannot hide a
// broken plan. States with failed deployments are included (those with
// operations in flight are refused as busy).
func TestPropSafeByReplay(t *testing.T) {
	strategies := []plan.Strategy{plan.Direct(), plan.Canary([]int{10, 50}), plan.BlueGreen(false), plan.BlueGreen(true), plan.Shadow(10)}
	rapid.Check(t, func(t *rapid.T) {
		pair := gen.Pairs().Draw(t, "pair")
		propLog(t, pair)
		opts := plan.Options{
			Strategy:       rapid.SampledFrom(strategies).Draw(t, "strategy"),
			DeleteUnlisted: rapid.Bool().Draw(t, "delete_unlisted"),
			AllowReplace:   rapid.Bool().Draw(t, "allow_replace"),
		}
		p, err := plan.Compute(pair.Desired, pair.Actual, opts)
		if err != nil {
			return
		}
		order := propRandomOrder(t, p)
		final := propByName(propApply(t, pair.Actual, p))
		before := propByName(pair.Actual)
		state := pair.Actual
		for _, s := range order {
			prev := propByName(state)
			if state, err = plan.Simulate(state, s); err != nil {
				t.Fatalf("Simulate %s: %v\nplan:\n%s", s.ID, err, p)
			}
			now := propByName(state)
			for _, key := range slices.Sorted(maps.Keys(now)) {
				e := now[key]
				if msg := propStateRules(e, prev[key], before[key], final[key]); msg != "" {
					t.Fatalf("after step %s (order %s): endpoint %s: %s\nplan:\n%s", s.ID, propIDs(order), e.Name, msg, p)
				}
			}
		}
	})
}

// propByName normalizes eps and maps them by name in lower case.
func propByName(eps []*endpoint.Endpoint) map[string]*endpoint.Endpoint {
	m := make(map[string]*endpoint.Endpoint, len(eps))
	for _, e := range eps {
		m[strings.ToLower(e.Name)] = endpoint.Normalized(e)
	}
	return m
}

func propIDs(steps []plan.Step) string {
	ids := make([]string, len(steps))
	for i, s := range steps {
		ids[i] = s.ID
	}
	return strings.Join(ids, ", ")
}

// propStateRules returns the first rule that e, the state of an endpoint
// after a step, breaks, or "". prev is the endpoint before the step,
// before and final before and after the whole plan (nil when absent).
func propStateRules(e, prev, before, final *endpoint.Endpoint) string {
	live, mirror := e.Traffic, e.Mirror
	if total := live.Total(); total != 0 && total != 100 {
		return fmt.Sprintf("S1: live traffic totals %d", total)
	}
	if live.IsZero() && before != nil && !before.Traffic.IsZero() && final != nil && !final.Traffic.IsZero() {
		return "S1: goes dark, though it serves before and after the plan"
	}
	for _, split := range []traffic.Split{live, mirror} {
		for _, name := range split.Names() {
			d := e.Deployment(name)
			if d == nil {
				return fmt.Sprintf("S2: traffic to %s, which does not exist", name)
			}
			// A failed deployment that served before the plan is not the
			// plan's doing while its share does not grow.
			inherited := before != nil && before.Deployment(name) != nil &&
				before.Deployment(name).Status.ProvisioningState == d.Status.ProvisioningState &&
				split.Get(name) <= before.Traffic.Get(name)+before.Mirror.Get(name)
			if st := d.Status.ProvisioningState; st != "" && st != endpoint.Succeeded && !inherited {
				return fmt.Sprintf("S2: traffic to %s, which is %s", name, st)
			}
		}
	}
	switch {
	case mirror.Len() > 1:
		return fmt.Sprintf("S3: mirror to %d deployments", mirror.Len())
	case mirror.Total() > 50:
		return fmt.Sprintf("S3: mirror of %d%%", mirror.Total())
	case !mirror.IsZero() && e.Kind() != endpoint.Managed:
		return "S3: mirror on a Kubernetes endpoint"
	}
	for _, name := range mirror.Names() {
		if live.Get(name) > 0 {
			return fmt.Sprintf("S3: mirror to %s, which has live traffic", name)
		}
	}
	for _, d := range e.Deployments {
		share, c := live.Get(d.Name), propCapacity(d)
		if share > 0 && c < 1 {
			return fmt.Sprintf("S5: %s serves %d%% with %d instances", d.Name, share, c)
		}
		var was, end *endpoint.Deployment
		if prev != nil {
			was = prev.Deployment(d.Name)
		}
		if final != nil {
			end = final.Deployment(d.Name)
		}
		if prev != nil && share > prev.Traffic.Get(d.Name) && end != nil && c < propCapacity(*end) {
			return fmt.Sprintf("S5: the share of %s grows to %d%% with %d instances of the %d it ends with", d.Name, share, c, propCapacity(*end))
		}
		if was != nil && c < propCapacity(*was) && final != nil && share > final.Traffic.Get(d.Name) {
			return fmt.Sprintf("S5: %s is scaled down to %d instances while it serves %d%%, more than the %d%% it ends with", d.Name, c, share, final.Traffic.Get(d.Name))
		}
	}
	return ""
}

// TestPropAllowReplace: with AllowReplace, a replacement that touches
// traffic is drained, replaced and refilled instead of refused, and the
// plan is as safe as any other. Compute may still refuse a settled state
// only where S6 had a case (no other deployment can take the share, or an
// endpoint that serves moves compute), and under rule S6, or where the
// deployments that must exist at once while traffic moves pass the
// service's limit (see propLimitNeed), under rule "limit".
func TestPropAllowReplace(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pair := gen.SettledPairs().Draw(t, "pair")
		propLog(t, pair)
		opts := plan.Options{AllowReplace: true, DeleteUnlisted: rapid.Bool().Draw(t, "delete_unlisted")}
		p, err := plan.Compute(pair.Desired, pair.Actual, opts)
		if err != nil {
			var refused *plan.RefusedError
			if !errors.As(err, &refused) || !propLimitDue(pair, refused) &&
				(refused.Rule != "S6" || len(propReplacementsWithTraffic(pair)) == 0) {
				t.Fatalf("Compute with AllowReplace: unexpected error: %v", err)
			}
			return
		}
		propWellFormed(t, p)
		if err := plan.Verify(pair.Desired, pair.Actual, p); err != nil {
			t.Fatalf("Verify: %v\nplan:\n%s", err, p)
		}
		propConverges(t, pair, opts, p)
	})
}

// TestPropResumable: a plan interrupted at any point can be finished by
// planning again from the state it left (DESIGN 5: resumable by
// construction, with no local state), with any strategy and options. The
// steps done are a prefix of a random order the dependencies allow, as a
// parallel executor may leave them; the new plan is as safe, converges to
// the same desired state, and is empty when nothing was left to do.
func TestPropResumable(t *testing.T) {
	strategies := []plan.Strategy{plan.Direct(), plan.Canary([]int{10, 50}), plan.BlueGreen(false), plan.Shadow(10)}
	rapid.Check(t, func(t *rapid.T) {
		pair := gen.SettledPairs().Draw(t, "pair")
		propLog(t, pair)
		opts := plan.Options{
			Strategy:       rapid.SampledFrom(strategies).Draw(t, "strategy"),
			DeleteUnlisted: rapid.Bool().Draw(t, "delete_unlisted"),
			AllowReplace:   rapid.Bool().Draw(t, "allow_replace"),
		}
		first, err := plan.Compute(pair.Desired, pair.Actual, opts)
		if err != nil || first.Empty() {
			return
		}
		order := propRandomOrder(t, first)
		done := rapid.IntRange(1, len(order)).Draw(t, "steps_done")
		state := pair.Actual
		for _, s := range order[:done] {
			if state, err = plan.Simulate(state, s); err != nil {
				t.Fatalf("Simulate %s: %v\nplan:\n%s", s.ID, err, first)
			}
		}
		rest, err := plan.Compute(pair.Desired, state, opts)
		if err != nil {
			t.Fatalf("planning again after %d of %d steps: %v\nfirst plan:\n%s", done, len(order), err, first)
		}
		if err := plan.Verify(pair.Desired, state, rest); err != nil {
			t.Fatalf("Verify of the plan after %d of %d steps: %v\nfirst plan:\n%s\nsecond plan:\n%s", done, len(order), err, first, rest)
		}
		if done == len(order) && !rest.Empty() {
			t.Fatalf("planning again after the whole plan is not empty:\n%s", rest)
		}
	})
}

// propRandomOrder draws one of the orders of p's steps that its
// dependencies allow.
func propRandomOrder(t *rapid.T, p *plan.Plan) []plan.Step {
	done := map[string]bool{}
	var order []plan.Step
	for len(order) < len(p.Steps) {
		var ready []plan.Step
		for _, s := range p.Steps {
			if !done[s.ID] && !slices.ContainsFunc(s.DependsOn, func(id string) bool { return !done[id] }) {
				ready = append(ready, s)
			}
		}
		s := ready[rapid.IntRange(0, len(ready)-1).Draw(t, "next_step")]
		done[s.ID] = true
		order = append(order, s)
	}
	return order
}

// TestPropVerifyNeedsEveryWrite: every write of a Direct plan is needed
// (P4), so Verify rejects the plan with any one write taken out (and the
// dependencies on it dropped): it no longer converges, or breaks a rule on
// the way. This is also what keeps Verify from passing plans it should not.
func TestPropVerifyNeedsEveryWrite(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pair := gen.SettledPairs().Draw(t, "pair")
		propLog(t, pair)
		p, err := plan.Compute(pair.Desired, pair.Actual, plan.Options{DeleteUnlisted: rapid.Bool().Draw(t, "delete_unlisted")})
		if err != nil || p.Empty() {
			return
		}
		cut := p.Steps[rapid.IntRange(0, len(p.Steps)-1).Draw(t, "removed_step")]
		if !cut.Action.IsWrite() {
			t.Fatalf("Direct plan has a step %s that writes nothing", cut.ID)
		}
		if cut.Action == plan.DeleteEndpoint && propFind(pair.Desired, cut.Endpoint) == nil {
			return // Verify does not know DeleteUnlisted: an unlisted endpoint may stay
		}
		mutated := *p
		mutated.Steps = nil
		for _, s := range p.Steps {
			if s.ID == cut.ID {
				continue
			}
			s.DependsOn = slices.DeleteFunc(slices.Clone(s.DependsOn), func(id string) bool { return id == cut.ID })
			mutated.Steps = append(mutated.Steps, s)
		}
		if err := plan.Verify(pair.Desired, pair.Actual, &mutated); err == nil {
			t.Fatalf("Verify accepts the plan without step %s\nplan:\n%s", cut.ID, p)
		}
	})
}

// TestPropFingerprint: the fingerprint ignores the order of endpoints and
// deployments, and moves with any change the service reports (a new ETag,
// another provisioning state), so a stale plan is refused by Check.
func TestPropFingerprint(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pair := gen.Pairs().Filter(func(p gen.Pair) bool { return len(p.Actual) > 0 }).Draw(t, "pair")
		propLog(t, pair)
		before := plan.Fingerprint(pair.Actual)
		if got := plan.Fingerprint(propShuffle(t, pair.Actual, "actual")); got != before {
			t.Fatalf("the fingerprint depends on the order of the inputs")
		}
		changed := propShuffle(t, pair.Actual, "changed")
		e := changed[rapid.IntRange(0, len(changed)-1).Draw(t, "changed_endpoint")]
		what := "endpoint etag"
		if len(e.Deployments) > 0 && rapid.Bool().Draw(t, "change_deployment") {
			d := &e.Deployments[rapid.IntRange(0, len(e.Deployments)-1).Draw(t, "changed_deployment")]
			if rapid.Bool().Draw(t, "change_state") {
				what = "deployment provisioning state"
				d.Status.ProvisioningState = propOtherState(d.Status.ProvisioningState)
			} else {
				what = "deployment etag"
				d.Status.ETag += "1"
			}
		} else {
			e.Status.ETag += "1"
		}
		if plan.Fingerprint(changed) == before {
			t.Fatalf("the fingerprint does not change with the %s of %s", what, e.Name)
		}
		p, err := plan.Compute(pair.Desired, pair.Actual, plan.Options{})
		if err != nil {
			return
		}
		if err := plan.Check(changed, p); !errors.Is(err, plan.ErrStale) {
			t.Fatalf("Check of a plan against a state whose %s changed: %v, want ErrStale", what, err)
		}
	})
}

func propOtherState(s endpoint.ProvisioningState) endpoint.ProvisioningState {
	if s == endpoint.Succeeded {
		return endpoint.Failed
	}
	return endpoint.Succeeded
}

// TestPropRefusals: with the default options, Compute refuses a settled
// state exactly when the change needs a replacement that touches traffic
// (S6), or when its traffic step needs more deployments at once than the
// service allows (rule "limit", propLimitDue), and then names the rule and
// the safe path. Unsettled states may also be refused as busy (something
// is in flight) or because a failed deployment stands in the way, but
// nothing else.
func TestPropRefusals(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pair := gen.Pairs().Draw(t, "pair")
		propLog(t, pair)
		_, err := plan.Compute(pair.Desired, pair.Actual, plan.Options{})
		s6 := propReplacementsWithTraffic(pair)
		settled := gen.Settled(pair.Actual)

		var refused *plan.RefusedError
		var busy *plan.BusyError
		switch {
		case err == nil:
			if len(s6) > 0 {
				t.Fatalf("Compute planned a replacement that touches traffic (%s); want a refusal under S6", strings.Join(s6, ", "))
			}
		case errors.As(err, &refused):
			if !errors.Is(err, plan.ErrRefused) {
				t.Fatalf("RefusedError does not match ErrRefused: %v", err)
			}
			if refused.Remedy == "" || refused.Msg == "" {
				t.Fatalf("refusal without a message or a remedy: %#v", refused)
			}
			if propLimitDue(pair, refused) {
				break
			}
			if settled && len(s6) == 0 {
				t.Fatalf("Compute refused a settled state with no replacement that touches traffic: %v", err)
			}
			if settled && refused.Rule != "S6" {
				t.Fatalf("refusal of a settled state under rule %q, want S6: %v", refused.Rule, err)
			}
		case errors.As(err, &busy):
			if !errors.Is(err, plan.ErrBusy) {
				t.Fatalf("BusyError does not match ErrBusy: %v", err)
			}
			if !propHasBusy(pair.Actual, busy.Endpoint, busy.Deployment) {
				t.Fatalf("Compute says %s/%s is busy, but actual reports it settled: %v", busy.Endpoint, busy.Deployment, err)
			}
		default:
			t.Fatalf("Compute: unexpected error: %v", err)
		}
	})
}

// TestPropIdempotent: planning the desired state against itself (as the
// service would report it once provisioned) is empty, and so is planning
// again from the state a plan leaves behind (P2).
func TestPropIdempotent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pair := gen.Pairs().Draw(t, "pair")
		propLog(t, pair)
		p, err := plan.Compute(pair.Desired, gen.Provisioned(pair.Desired), plan.Options{DeleteUnlisted: true})
		if err != nil {
			t.Fatalf("Compute(desired, desired): %v", err)
		}
		if !p.Empty() {
			t.Fatalf("planning the desired state against itself is not empty:\n%s", p)
		}

		opts := plan.Options{DeleteUnlisted: rapid.Bool().Draw(t, "delete_unlisted")}
		p, err = plan.Compute(pair.Desired, pair.Actual, opts)
		if err != nil {
			return
		}
		after := propApply(t, pair.Actual, p)
		again, err := plan.Compute(pair.Desired, after, opts)
		if err != nil {
			t.Fatalf("Compute after applying the plan: %v\nfirst plan:\n%s", err, p)
		}
		if !again.Empty() {
			t.Fatalf("planning again after applying the plan is not empty:\nfirst plan:\n%s\nsecond plan:\n%s", p, again)
		}
	})
}

// TestPropUnchangedInFlight: when the desired state is what the service
// already has, the plan is empty even while operations are in flight:
// refusing as busy is for plans that would touch a busy resource. Failed
// resources are left out, since the planner writes them again.
func TestPropUnchangedInFlight(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		actual := gen.Actual().Draw(t, "actual")
		desired := make([]*endpoint.Endpoint, len(actual))
		for i, a := range actual {
			if st := a.Status.ProvisioningState; st == endpoint.Failed || st == endpoint.Canceled {
				t.Skip("a failed endpoint is written again")
			}
			desired[i] = a.Clone()
			desired[i].Status = endpoint.Status{}
			for j := range desired[i].Deployments {
				if st := desired[i].Deployments[j].Status.ProvisioningState; st == endpoint.Failed || st == endpoint.Canceled {
					t.Skip("a failed deployment is written again")
				}
				desired[i].Deployments[j].Status = endpoint.Status{}
			}
		}
		p, err := plan.Compute(desired, actual, plan.Options{})
		if err != nil {
			t.Fatalf("Compute of an unchanged state: %v", err)
		}
		if !p.Empty() {
			t.Fatalf("the plan of an unchanged state is not empty:\n%s", p)
		}
	})
}

// TestPropDeterministic: the same inputs give byte-identical text and JSON
// (P3), whatever the order of the endpoints and of their deployments, and
// Compute leaves its inputs as they were, with any strategy and options.
func TestPropDeterministic(t *testing.T) {
	strategies := []plan.Strategy{plan.Direct(), plan.Canary([]int{10, 50}), plan.BlueGreen(true), plan.Shadow(10)}
	rapid.Check(t, func(t *rapid.T) {
		pair := gen.Pairs().Draw(t, "pair")
		propLog(t, pair)
		opts := plan.Options{
			Strategy:       rapid.SampledFrom(strategies).Draw(t, "strategy"),
			DeleteUnlisted: rapid.Bool().Draw(t, "delete_unlisted"),
			AllowReplace:   rapid.Bool().Draw(t, "allow_replace"),
		}
		before := propSnapshot(pair)
		p1, err1 := plan.Compute(pair.Desired, pair.Actual, opts)
		if got := propSnapshot(pair); got != before {
			t.Fatalf("Compute modified its inputs:\nbefore: %s\nafter:  %s", before, got)
		}
		p2, err2 := plan.Compute(pair.Desired, pair.Actual, opts)
		reordered := gen.Pair{Desired: propShuffle(t, pair.Desired, "desired"), Actual: propShuffle(t, pair.Actual, "actual")}
		p3, err3 := plan.Compute(reordered.Desired, reordered.Actual, opts)

		if fmt.Sprint(err1) != fmt.Sprint(err2) || fmt.Sprint(err1) != fmt.Sprint(err3) {
			t.Fatalf("errors differ:\nfirst:     %v\nsecond:    %v\nreordered: %v", err1, err2, err3)
		}
		if f1, f3 := plan.Fingerprint(pair.Actual), plan.Fingerprint(reordered.Actual); f1 != f3 {
			t.Fatalf("the fingerprint depends on input order: %s != %s", f1, f3)
		}
		if err1 != nil {
			return
		}
		text, js := propRender(t, p1)
		for _, other := range []struct {
			name string
			p    *plan.Plan
		}{{"second run", p2}, {"reordered inputs", p3}} {
			otherText, otherJS := propRender(t, other.p)
			if text != otherText {
				t.Fatalf("text differs on the %s:\n%s\n---\n%s", other.name, text, otherText)
			}
			if !bytes.Equal(js, otherJS) {
				t.Fatalf("JSON differs on the %s:\n%s\n---\n%s", other.name, js, otherJS)
			}
		}
	})
}

// TestPropMinimal: a Direct plan of a settled state writes each changed
// resource once (twice for a replacement: delete and create), and moves
// traffic in at most one stage per endpoint, merged with the endpoint's own
// changes (P4); every write changes something; the summary counts the
// steps.
func TestPropMinimal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pair := gen.SettledPairs().Draw(t, "pair")
		propLog(t, pair)
		opts := plan.Options{DeleteUnlisted: rapid.Bool().Draw(t, "delete_unlisted")}
		p, err := plan.Compute(pair.Desired, pair.Actual, opts)
		if err != nil {
			return
		}
		want := propExpectedWrites(pair, opts)
		got := map[string]int{}
		for _, s := range p.Steps {
			if s.Action.IsWrite() {
				got[propWriteKey(s)]++
			}
			if s.Action == plan.UpdateEndpoint || s.Action == plan.UpdateDeployment {
				if len(s.Changes) == 0 && s.TrafficBefore.Equal(s.Traffic) && s.MirrorBefore.Equal(s.Mirror) {
					t.Fatalf("step %s changes nothing", s.ID)
				}
			}
			if s.Action == plan.SetTraffic && s.TrafficBefore.Equal(s.Traffic) && s.MirrorBefore.Equal(s.Mirror) {
				t.Fatalf("traffic step %s changes nothing: %s, mirror %s", s.ID, s.Traffic, s.Mirror)
			}
		}
		if g, w := propFormatCounts(got), propFormatCounts(want); g != w {
			t.Fatalf("writes per resource:\n got: %s\nwant: %s\nplan:\n%s", g, w, p)
		}
		if got, want := p.Summary, propSummary(p); got != want {
			t.Fatalf("summary %+v, want %+v (counted from the steps)", got, want)
		}
	})
}

// TestPropDepth: a Direct plan orders no step of one endpoint after a step
// of another (P5), and its dependency graph is at most 3 levels deep per
// endpoint (scale up or create; move traffic; scale down or delete), 4 when
// the endpoint itself is created first, 5 when it is replaced (deleted,
// then created). One more level is allowed where the service's limit of
// endpoint.MaxDeployments binds (old and new deployments together exceed
// it), since a create must then wait for a delete.
func TestPropDepth(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pair := gen.SettledPairs().Draw(t, "pair")
		propLog(t, pair)
		p, err := plan.Compute(pair.Desired, pair.Actual, plan.Options{DeleteUnlisted: rapid.Bool().Draw(t, "delete_unlisted")})
		if err != nil {
			return
		}
		depth := map[string]int{}
		created, deleted := map[string]bool{}, map[string]bool{}
		for _, s := range p.Steps {
			d := 1
			for _, id := range s.DependsOn {
				dep := p.Step(id)
				if dep.Endpoint != s.Endpoint {
					t.Fatalf("step %s of endpoint %s waits for step %s of endpoint %s", s.ID, s.Endpoint, id, dep.Endpoint)
				}
				d = max(d, depth[id]+1)
			}
			depth[s.ID] = d
			switch s.Action {
			case plan.CreateEndpoint:
				created[s.Endpoint] = true
			case plan.DeleteEndpoint:
				deleted[s.Endpoint] = true
			}
		}
		for _, s := range p.Steps {
			limit := 3
			if created[s.Endpoint] {
				limit++
				if deleted[s.Endpoint] {
					limit++
				}
			}
			if propDeploymentsInPlay(pair, s.Endpoint) > endpoint.MaxDeployments {
				limit++
			}
			if depth[s.ID] > limit {
				t.Fatalf("step %s is at depth %d, more than %d for endpoint %s\nplan:\n%s", s.ID, depth[s.ID], limit, s.Endpoint, p)
			}
		}
	})
}

// propDeploymentsInPlay counts the deployments of the endpoint on either
// side of the pair: the most that could ever need to exist at once.
func propDeploymentsInPlay(pair gen.Pair, ep string) int {
	names := map[string]bool{}
	for _, eps := range [][]*endpoint.Endpoint{pair.Desired, pair.Actual} {
		if e := propFind(eps, ep); e != nil {
			for _, d := range e.Deployments {
				names[d.Name] = true
			}
		}
	}
	return len(names)
}

// TestPropStrategies: the staged strategies keep the same promises as
// Direct: every plan passes Verify, and converges (BlueGreen keeping the
// old deployments converges to the desired state plus those, which Verify
// allows and the stricter replay here does not). A strategy refuses no
// more than Direct does: on a settled state, only replacements that touch
// traffic (S6) and what the service's limit of deployments forbids (see
// propLimitDue), and always with a remedy; BlueGreen(true) may also refuse
// when keeping the old deployments would pass the service's limit of
// deployments. Gates and extra traffic stages are counted in the summary,
// which the text prints.
func TestPropStrategies(t *testing.T) {
	strategies := []plan.Strategy{
		plan.Canary([]int{10, 50}),
		plan.Canary([]int{25}, "approval"),
		plan.BlueGreen(false),
		plan.BlueGreen(true),
		plan.Shadow(10),
	}
	rapid.Check(t, func(t *rapid.T) {
		pair := gen.Pairs().Draw(t, "pair")
		propLog(t, pair)
		i := rapid.IntRange(0, len(strategies)-1).Draw(t, "strategy")
		opts := plan.Options{Strategy: strategies[i], DeleteUnlisted: rapid.Bool().Draw(t, "delete_unlisted")}
		p, err := plan.Compute(pair.Desired, pair.Actual, opts)
		if err != nil {
			var refused *plan.RefusedError
			switch {
			case errors.Is(err, plan.ErrBusy):
				return
			case !errors.As(err, &refused) || refused.Remedy == "":
				t.Fatalf("Compute with %s: unexpected error: %v", strategies[i], err)
			case i == 3 && propDeploymentsInPlay(pair, refused.Endpoint) > endpoint.MaxDeployments:
				// Keeping the old deployments may not fit in the service's
				// limit; refusing to keep them is fair, breaking the limit
				// is not (Verify below catches that).
			case gen.Settled(pair.Actual) && !propLimitDue(pair, refused) && (refused.Rule != "S6" || len(propReplacementsWithTraffic(pair)) == 0):
				t.Fatalf("Compute with %s refused a settled state that Direct plans: %v", strategies[i], err)
			}
			return
		}
		propWellFormed(t, p)
		if got, want := p.Summary, propSummary(p); got != want {
			t.Fatalf("summary %+v, want %+v (counted from the steps)", got, want)
		}
		if line := fmt.Sprintf("Plan: %d to add, %d to change, %d to destroy, ", p.Summary.Add, p.Summary.Change, p.Summary.Destroy); !p.Empty() && !strings.Contains(p.String(), line) {
			t.Fatalf("the plan text has no summary line %q...:\n%s", line, p)
		}
		if err := plan.Verify(pair.Desired, pair.Actual, p); err != nil {
			t.Fatalf("Verify with %s: %v\nplan:\n%s", strategies[i], err, p)
		}
		if i != 3 { // BlueGreen(true) keeps the old deployments
			propConverges(t, pair, opts, p)
		}
	})
}

// TestPropOutputs: every output of every plan renders (text, colored text,
// JSON, Mermaid, DOT), shows no value of a secret-looking environment
// variable, not even in the field changes, and has no formatting mistake
// (fmt's %! markers).
func TestPropOutputs(t *testing.T) {
	strategies := []plan.Strategy{plan.Direct(), plan.Canary([]int{10, 50}), plan.BlueGreen(true), plan.Shadow(10)}
	rapid.Check(t, func(t *rapid.T) {
		pair := gen.Pairs().Draw(t, "pair")
		propLog(t, pair)
		opts := plan.Options{Strategy: rapid.SampledFrom(strategies).Draw(t, "strategy"), DeleteUnlisted: true}
		p, err := plan.Compute(pair.Desired, pair.Actual, opts)
		if err != nil {
			return
		}
		outputs := map[string]func(*bytes.Buffer) error{
			"text":    func(b *bytes.Buffer) error { return plan.WriteText(b, p, plan.TextOptions{}) },
			"color":   func(b *bytes.Buffer) error { return plan.WriteText(b, p, plan.TextOptions{Color: true}) },
			"json":    func(b *bytes.Buffer) error { return plan.WriteJSON(b, p) },
			"mermaid": func(b *bytes.Buffer) error { return plan.WriteMermaid(b, p) },
			"dot":     func(b *bytes.Buffer) error { return plan.WriteDOT(b, p) },
		}
		for _, name := range slices.Sorted(maps.Keys(outputs)) {
			var b bytes.Buffer
			if err := outputs[name](&b); err != nil {
				t.Fatalf("%s output: %v", name, err)
			}
			out := b.String()
			if i := strings.Index(out, "s3cr3t-"); i >= 0 {
				t.Fatalf("the %s output shows a secret value: %q", name, out[i:min(len(out), i+30)])
			}
			if i := strings.Index(out, "%!"); i >= 0 {
				t.Fatalf("the %s output has a formatting mistake: %q", name, out[max(0, i-20):min(len(out), i+30)])
			}
		}
		for _, s := range p.Steps {
			for _, c := range s.Changes {
				if strings.Contains(c.Before, "s3cr3t-") || strings.Contains(c.After, "s3cr3t-") {
					t.Fatalf("step %s shows a secret value in the change of %s", s.ID, c.Path)
				}
			}
		}
	})
}

// TestPropJSONRoundTrip: a saved plan reads back into the same plan: its
// JSON decodes and encodes again to the same bytes.
func TestPropJSONRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pair := gen.Pairs().Draw(t, "pair")
		propLog(t, pair)
		p, err := plan.Compute(pair.Desired, pair.Actual, plan.Options{DeleteUnlisted: rapid.Bool().Draw(t, "delete_unlisted")})
		if err != nil {
			return
		}
		_, js := propRender(t, p)
		back, err := plan.Decode(js)
		if err != nil {
			t.Fatalf("Decode: %v\n%s", err, js)
		}
		again, err := json.Marshal(back)
		if err != nil {
			t.Fatalf("encoding the decoded plan: %v", err)
		}
		if !bytes.Equal(js, again) {
			t.Fatalf("JSON changed in a round trip:\n%s\n---\n%s", js, again)
		}
	})
}

// propWellFormed checks what every consumer of a plan relies on: the
// format version, ids that are unique and non-empty, and dependencies on
// earlier steps only, so that Steps is a topological order.
func propWellFormed(t *rapid.T, p *plan.Plan) {
	t.Helper()
	if p.FormatVersion != plan.FormatVersion {
		t.Fatalf("format_version %d, want %d", p.FormatVersion, plan.FormatVersion)
	}
	seen := map[string]bool{}
	for _, s := range p.Steps {
		if s.ID == "" || seen[s.ID] {
			t.Fatalf("step id %q is empty or repeated\nplan:\n%s", s.ID, p)
		}
		for _, id := range s.DependsOn {
			if !seen[id] {
				t.Fatalf("step %s depends on %q, which is not an earlier step\nplan:\n%s", s.ID, id, p)
			}
		}
		seen[s.ID] = true
	}
}

// propApply replays the plan's steps in their listed order with Simulate.
func propApply(t *rapid.T, actual []*endpoint.Endpoint, p *plan.Plan) []*endpoint.Endpoint {
	t.Helper()
	state := actual
	for _, s := range p.Steps {
		next, err := plan.Simulate(state, s)
		if err != nil {
			t.Fatalf("Simulate %s: %v\nplan:\n%s", s.ID, err, p)
		}
		state = next
	}
	return state
}

// propConverges checks P1 independently of Verify: after the plan, every
// desired endpoint is as desired, and every other actual endpoint is gone
// or untouched, as opts asks.
func propConverges(t *rapid.T, pair gen.Pair, opts plan.Options, p *plan.Plan) {
	t.Helper()
	final := map[string]*endpoint.Endpoint{}
	for _, e := range propApply(t, pair.Actual, p) {
		final[strings.ToLower(e.Name)] = e
	}
	want := map[string]*endpoint.Endpoint{}
	for _, e := range pair.Actual {
		if !opts.DeleteUnlisted {
			want[strings.ToLower(e.Name)] = e
		}
	}
	for _, e := range pair.Desired {
		want[strings.ToLower(e.Name)] = e
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		w := want[name]
		got, ok := final[name]
		if !ok {
			t.Fatalf("endpoint %s is missing after the plan\nplan:\n%s", name, p)
		}
		// The service keeps the name it was created with; the desired
		// spelling may differ in case.
		g, n := endpoint.Normalized(got), endpoint.Normalized(w)
		n.Name = g.Name
		endpoint.AdoptTags(n, g)
		if !endpoint.Equal(g, n) {
			t.Fatalf("endpoint %s after the plan differs from the wanted state: %v\nplan:\n%s", name, endpoint.DiffEndpoint(n, g), p)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(final)) {
		if want[name] == nil {
			t.Fatalf("endpoint %s is left after the plan, though it should be deleted\nplan:\n%s", name, p)
		}
	}
}

// propFind finds an endpoint by name, ignoring case as the service does.
func propFind(eps []*endpoint.Endpoint, name string) *endpoint.Endpoint {
	for _, e := range eps {
		if strings.EqualFold(e.Name, name) {
			return e
		}
	}
	return nil
}

// propReplacementsWithTraffic lists the changes that S6 forbids without
// AllowReplace: a deployment whose instance type or type changes while it
// has live or mirror traffic before or after, and an endpoint whose compute
// changes while it serves. (An endpoint that moves compute while dark is
// replaced with its deployments; whether their own traffic after the move
// counts is the planner's choice, so such endpoints are left out.)
func propReplacementsWithTraffic(pair gen.Pair) []string {
	var out []string
	for _, d := range pair.Desired {
		a := propFind(pair.Actual, d.Name)
		if a == nil {
			continue
		}
		nd, na := endpoint.Normalized(d), endpoint.Normalized(a)
		if nd.Compute != na.Compute {
			if !na.Traffic.IsZero() {
				out = append(out, d.Name)
			}
			continue
		}
		for _, dd := range nd.Deployments {
			ad := na.Deployment(dd.Name)
			if ad == nil || (ad.InstanceType == dd.InstanceType && ad.Type == dd.Type) {
				continue
			}
			if na.Traffic.Get(dd.Name)+na.Mirror.Get(dd.Name)+nd.Traffic.Get(dd.Name)+nd.Mirror.Get(dd.Name) > 0 {
				out = append(out, d.Name+"/"+dd.Name)
			}
		}
	}
	return out
}

// propLimitNeed counts the deployments of the endpoint that must exist at
// once when its traffic moves. Compute moves traffic in one step (after
// draining the deployments it replaces, which takes traffic off them
// only), so at that step exist: every deployment that serves before it
// (live or mirror: its delete must wait for the step), every one the
// desired state keeps, and every new one that serves after it (its create
// must come first). Deletes of deployments that serve nothing and creates
// of deployments that will serve nothing can go before and after.
func propLimitNeed(pair gen.Pair, ep string) int {
	d, a := propFind(pair.Desired, ep), propFind(pair.Actual, ep)
	if d == nil || a == nil {
		return 0
	}
	nd, na := endpoint.Normalized(d), endpoint.Normalized(a)
	serves := func(e *endpoint.Endpoint, name string) bool {
		return e.Traffic.Get(name) > 0 || e.Mirror.Get(name) > 0
	}
	n := 0
	for _, dep := range na.Deployments {
		if serves(na, dep.Name) || nd.Deployment(dep.Name) != nil {
			n++
		}
	}
	for _, dep := range nd.Deployments {
		if na.Deployment(dep.Name) == nil && serves(nd, dep.Name) {
			n++
		}
	}
	return n
}

// propLimitDue reports whether a refusal is the one the service's limit of
// deployments calls for: rule "limit", for an endpoint whose traffic step
// needs more than endpoint.MaxDeployments (propLimitNeed), naming that
// count. Moving the traffic in two steps (off the deployments to delete,
// then onto the new ones) is left to the user, as the refusal's remedy says.
func propLimitDue(pair gen.Pair, refused *plan.RefusedError) bool {
	need := propLimitNeed(pair, refused.Endpoint)
	return refused.Rule == "limit" && need > endpoint.MaxDeployments &&
		strings.Contains(refused.Msg, fmt.Sprintf("would need %d deployments at once", need))
}

// propHasBusy reports whether the named resource is in a state of an
// operation not yet ended.
func propHasBusy(eps []*endpoint.Endpoint, ep, dep string) bool {
	e := propFind(eps, ep)
	if e == nil {
		return false
	}
	state := e.Status.ProvisioningState
	if dep != "" {
		d := e.Deployment(dep)
		if d == nil {
			return false
		}
		state = d.Status.ProvisioningState
	}
	switch state {
	case endpoint.Creating, endpoint.Updating, endpoint.Scaling, endpoint.Deleting:
		return true
	}
	return false
}

// propLog shows the pair in a failing case's output (rapid prints the log
// of the failing case only), since the drawn value prints as pointers.
func propLog(t *rapid.T, pair gen.Pair) {
	t.Helper()
	t.Logf("desired, then actual (JSON, then statuses):\n%s", propSnapshot(pair))
}

// propSnapshot prints the inputs, their order and statuses included, to
// tell whether Compute changed them.
func propSnapshot(pair gen.Pair) string {
	var b strings.Builder
	for _, eps := range [][]*endpoint.Endpoint{pair.Desired, pair.Actual} {
		for _, e := range eps {
			js, err := json.Marshal(e)
			if err != nil {
				return "unprintable: " + err.Error()
			}
			fmt.Fprintf(&b, "%s %+v", js, e.Status)
			for _, d := range e.Deployments {
				fmt.Fprintf(&b, " %s:%+v", d.Name, d.Status)
			}
			b.WriteByte('\n')
		}
		b.WriteString("--\n")
	}
	return b.String()
}

// propShuffle returns deep copies of eps in another order, with the
// deployments of each in another order too.
func propShuffle(t *rapid.T, eps []*endpoint.Endpoint, label string) []*endpoint.Endpoint {
	out := make([]*endpoint.Endpoint, len(eps))
	for i, e := range eps {
		out[i] = e.Clone()
	}
	out = rapid.Permutation(out).Draw(t, label+"_reordered")
	for _, e := range out {
		e.Deployments = rapid.Permutation(e.Deployments).Draw(t, label+"_deployments_reordered")
	}
	return out
}

// propRender returns the plan's text and JSON.
func propRender(t *rapid.T, p *plan.Plan) (string, []byte) {
	t.Helper()
	js, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("encoding the plan as JSON: %v", err)
	}
	return p.String(), js
}

// propWriteKey names the resource a write step writes: traffic steps write
// the endpoint, since the service takes traffic in an endpoint update.
func propWriteKey(s plan.Step) string {
	switch s.Action {
	case plan.CreateDeployment, plan.UpdateDeployment, plan.DeleteDeployment:
		return strings.ToLower(s.Endpoint) + "/" + s.Deployment
	}
	return strings.ToLower(s.Endpoint)
}

// propExpectedWrites counts the writes a minimal Direct plan makes per
// resource (keys as propWriteKey): one per created, changed or deleted
// resource, two for a replaced one, and for each endpoint one more write
// when its traffic changes and it is created (traffic can only name
// deployments that exist, so it cannot ride on the create), or none more
// when it already exists (the traffic change and the endpoint's own
// changes merge into one update).
func propExpectedWrites(pair gen.Pair, opts plan.Options) map[string]int {
	want := map[string]int{}
	for _, d := range pair.Desired {
		nd := endpoint.Normalized(d)
		a := propFind(pair.Actual, d.Name)
		key := strings.ToLower(d.Name)
		if a == nil || endpoint.Normalized(a).Compute != nd.Compute {
			if a != nil {
				want[key]++ // the old endpoint is deleted, with its deployments
			}
			want[key]++
			if !nd.Traffic.IsZero() || !nd.Mirror.IsZero() {
				want[key]++
			}
			for _, dd := range nd.Deployments {
				want[key+"/"+dd.Name] = 1
			}
			continue
		}
		na := endpoint.Normalized(a)
		if !propEndpointFieldsEqual(nd, na) || !nd.Traffic.Equal(na.Traffic) || !nd.Mirror.Equal(na.Mirror) {
			want[key] = 1
		}
		for _, dd := range nd.Deployments {
			ad := na.Deployment(dd.Name)
			switch {
			case ad == nil:
				want[key+"/"+dd.Name] = 1
			case ad.InstanceType != dd.InstanceType || ad.Type != dd.Type:
				want[key+"/"+dd.Name] = 2
			case !endpoint.DeploymentEqual(*ad, dd):
				want[key+"/"+dd.Name] = 1
			}
		}
		for _, ad := range na.Deployments {
			if nd.Deployment(ad.Name) == nil {
				want[key+"/"+ad.Name] = 1
			}
		}
	}
	if opts.DeleteUnlisted {
		for _, a := range pair.Actual {
			if propFind(pair.Desired, a.Name) == nil {
				want[strings.ToLower(a.Name)] = 1
			}
		}
	}
	return want
}

// propEndpointFieldsEqual compares the endpoints' own fields: not their
// deployments, not their traffic.
func propEndpointFieldsEqual(a, b *endpoint.Endpoint) bool {
	a, b = a.Clone(), b.Clone()
	a.Name = b.Name // matched ignoring case; renaming is not a change
	a.Deployments, b.Deployments = nil, nil
	a.Traffic, a.Mirror = b.Traffic, b.Mirror
	return endpoint.Equal(a, b)
}

// propFormatCounts prints non-zero counts in key order.
func propFormatCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k, n := range m {
		if n != 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d ", k, m[k])
	}
	return b.String()
}

// propSummary counts the steps as Summary documents: creates, updates and
// deletes like terraform plan, every step that changes a live or mirror
// split, and gates.
func propSummary(p *plan.Plan) plan.Summary {
	var s plan.Summary
	for _, st := range p.Steps {
		switch st.Action {
		case plan.CreateEndpoint, plan.CreateDeployment:
			s.Add++
		case plan.UpdateEndpoint, plan.UpdateDeployment:
			s.Change++
		case plan.DeleteEndpoint, plan.DeleteDeployment:
			s.Destroy++
		case plan.Gate:
			s.Gates++
		}
		switch st.Action {
		case plan.CreateEndpoint, plan.UpdateEndpoint, plan.SetTraffic:
			if !st.TrafficBefore.Equal(st.Traffic) || !st.MirrorBefore.Equal(st.Mirror) {
				s.Traffic++
			}
		}
	}
	return s
}

// TestPropCanaryShape: under Canary, the live traffic of an endpoint that
// serves before and after the plan goes exactly through the stages of
// traffic.Ramp, a gate with the configured name (bake by default, the last
// name repeating) stands between each two stages, and a smoke gate for each
// deployment that starts taking live traffic comes before the first stage
// that gives it some.
func TestPropCanaryShape(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pair := gen.SettledPairs().Draw(t, "pair")
		propLog(t, pair)
		stages := rapid.SliceOfNDistinct(rapid.IntRange(1, 99), 0, 3, rapid.ID).Draw(t, "stages")
		slices.Sort(stages)
		gates := rapid.SliceOfN(rapid.SampledFrom([]string{"bake", "approval", "metrics"}), 0, 2).Draw(t, "gates")
		p, err := plan.Compute(pair.Desired, pair.Actual, plan.Options{Strategy: plan.Canary(stages, gates...)})
		if err != nil {
			return
		}
		anc := propAncestors(p)
		for _, d := range pair.Desired {
			from, to, ok := propLiveChange(pair, d)
			if !ok {
				continue
			}
			lives := propLiveSteps(p, d.Name)
			var want []traffic.Split
			if from.IsZero() || to.IsZero() {
				want = []traffic.Split{to}
			} else {
				ramp, err := traffic.Ramp(from, to, stages...)
				if err != nil {
					t.Fatalf("Ramp(%s, %s, %v): %v", from, to, stages, err)
				}
				want = ramp[1:]
			}
			if got := propSplits(p, lives); got != fmt.Sprint(want) {
				t.Fatalf("endpoint %s: live traffic goes through %s, want %v\nplan:\n%s", d.Name, got, want, p)
			}
			for i := 1; i < len(lives); i++ {
				name := plan.DefaultBakeGate
				if len(gates) > 0 {
					name = gates[min(i-1, len(gates)-1)]
				}
				if !propGateBetween(p, anc, d.Name, name, lives[i-1], lives[i]) {
					t.Fatalf("endpoint %s: no gate %s between traffic steps %s and %s\nplan:\n%s", d.Name, name, lives[i-1], lives[i], p)
				}
			}
			propSmokeGates(t, p, anc, d.Name, from, lives)
		}
	})
}

// TestPropBlueGreenShape: under BlueGreen, live traffic switches in one
// step, after a smoke gate for each deployment that starts taking live
// traffic; a bake gate after the switch comes before every deployment
// that lost traffic is scaled down or deleted; with keepOld, deployments
// that served before and are no longer desired are not deleted.
func TestPropBlueGreenShape(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pair := gen.SettledPairs().Draw(t, "pair")
		propLog(t, pair)
		keepOld := rapid.Bool().Draw(t, "keep_old")
		p, err := plan.Compute(pair.Desired, pair.Actual, plan.Options{Strategy: plan.BlueGreen(keepOld)})
		if err != nil {
			return
		}
		anc := propAncestors(p)
		for _, d := range pair.Desired {
			from, to, ok := propLiveChange(pair, d)
			if !ok {
				continue
			}
			lives := propLiveSteps(p, d.Name)
			if len(lives) != 1 {
				t.Fatalf("endpoint %s: live traffic changes in %d steps, want one switch\nplan:\n%s", d.Name, len(lives), p)
			}
			propSmokeGates(t, p, anc, d.Name, from, lives)
			switchID := lives[0]
			a := propFind(pair.Actual, d.Name)
			for _, s := range p.Steps {
				if !strings.EqualFold(s.Endpoint, d.Name) || to.Get(s.Deployment) >= from.Get(s.Deployment) {
					continue
				}
				if keepOld && s.Action == plan.DeleteDeployment && d.Deployment(s.Deployment) == nil {
					t.Fatalf("endpoint %s: BlueGreen(keepOld) deletes %s, which served before\nplan:\n%s", d.Name, s.Deployment, p)
				}
				shrinks := s.Action == plan.DeleteDeployment ||
					s.Action == plan.UpdateDeployment && s.DeploymentAfter != nil && a.Deployment(s.Deployment) != nil &&
						propCapacity(*s.DeploymentAfter) < propCapacity(*a.Deployment(s.Deployment))
				if shrinks && !propGateBetween(p, anc, d.Name, plan.DefaultBakeGate, switchID, s.ID) {
					t.Fatalf("endpoint %s: %s removes capacity without a bake gate after the switch\nplan:\n%s", d.Name, s.ID, p)
				}
			}
		}
	})
}

// TestPropShadowShape: under Shadow, on a managed endpoint that serves
// before the plan, each deployment that starts taking live traffic first
// gets the shadow percent of mirrored traffic (unless it is mirrored to
// already), then a gate shadow:DEPLOYMENT, and only then live traffic.
func TestPropShadowShape(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pair := gen.SettledPairs().Draw(t, "pair")
		propLog(t, pair)
		percent := rapid.IntRange(1, 50).Draw(t, "percent")
		p, err := plan.Compute(pair.Desired, pair.Actual, plan.Options{Strategy: plan.Shadow(percent)})
		if err != nil {
			return
		}
		anc := propAncestors(p)
		for _, d := range pair.Desired {
			from, to, ok := propLiveChange(pair, d)
			if !ok || from.IsZero() || endpoint.Normalized(d).Kind() != endpoint.Managed {
				continue
			}
			lives := propLiveSteps(p, d.Name)
			for _, name := range to.Names() {
				if from.Get(name) > 0 {
					continue
				}
				first := propFirstServing(p, lives, name)
				var mirrored string
				for _, s := range p.Steps {
					if strings.EqualFold(s.Endpoint, d.Name) && s.Mirror.Equal(traffic.MustNew(map[string]int{name: percent})) && anc[first][s.ID] {
						mirrored = s.ID
					}
				}
				if mirrored == "" && endpoint.Normalized(propFind(pair.Actual, d.Name)).Mirror.Get(name) > 0 {
					// Already mirrored before the plan: only the gate is left.
					if !propGateBetween(p, anc, d.Name, "shadow:"+name, "", first) {
						t.Fatalf("endpoint %s: no gate shadow:%s before %s takes live traffic (%s)\nplan:\n%s", d.Name, name, name, first, p)
					}
					continue
				}
				if mirrored == "" {
					t.Fatalf("endpoint %s: %s takes live traffic at %s without %d%% mirrored to it first\nplan:\n%s", d.Name, name, first, percent, p)
				}
				if !propGateBetween(p, anc, d.Name, "shadow:"+name, mirrored, first) {
					t.Fatalf("endpoint %s: no gate shadow:%s between mirroring (%s) and live traffic (%s)\nplan:\n%s", d.Name, name, mirrored, first, p)
				}
			}
		}
	})
}

// propCapacity is the number of instances a deployment keeps running
// whatever its load: its instance_count, or its minimum when it
// autoscales.
func propCapacity(d endpoint.Deployment) int {
	if strings.EqualFold(string(d.ScaleSettings.Type), string(endpoint.ScaleTargetUtilization)) {
		return d.ScaleSettings.MinInstances
	}
	return d.InstanceCount
}

// propLiveChange returns the live traffic of the desired endpoint d before
// and after the plan, when it exists on both sides, keeps its compute (so it
// is not replaced) and its live traffic changes.
func propLiveChange(pair gen.Pair, d *endpoint.Endpoint) (from, to traffic.Split, ok bool) {
	a := propFind(pair.Actual, d.Name)
	if a == nil {
		return from, to, false
	}
	na, nd := endpoint.Normalized(a), endpoint.Normalized(d)
	if na.Compute != nd.Compute || na.Traffic.Equal(nd.Traffic) {
		return from, to, false
	}
	return na.Traffic, nd.Traffic, true
}

// propLiveSteps lists, in plan order, the ids of the endpoint's steps that
// change its live traffic.
func propLiveSteps(p *plan.Plan, ep string) []string {
	var ids []string
	for _, s := range p.Steps {
		if strings.EqualFold(s.Endpoint, ep) && (s.Action == plan.SetTraffic || s.Action == plan.UpdateEndpoint || s.Action == plan.CreateEndpoint) && !s.TrafficBefore.Equal(s.Traffic) {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// propSplits prints the live splits of the steps ids, as fmt prints a
// []traffic.Split.
func propSplits(p *plan.Plan, ids []string) string {
	splits := make([]traffic.Split, len(ids))
	for i, id := range ids {
		splits[i] = p.Step(id).Traffic
	}
	return fmt.Sprint(splits)
}

// propAncestors maps each step id to the set of ids it depends on,
// directly or not.
func propAncestors(p *plan.Plan) map[string]map[string]bool {
	anc := map[string]map[string]bool{}
	for _, s := range p.Steps {
		set := map[string]bool{}
		for _, id := range s.DependsOn {
			set[id] = true
			for a := range anc[id] {
				set[a] = true
			}
		}
		anc[s.ID] = set
	}
	return anc
}

// propGateBetween reports whether the endpoint has a gate step with the
// given name that waits for after (unless after is empty) and that before
// waits for.
func propGateBetween(p *plan.Plan, anc map[string]map[string]bool, ep, gate, after, before string) bool {
	for _, s := range p.Steps {
		if s.Action == plan.Gate && s.Gate == gate && strings.EqualFold(s.Endpoint, ep) &&
			(after == "" || anc[s.ID][after]) && anc[before][s.ID] {
			return true
		}
	}
	return false
}

// propFirstServing returns the first of the live traffic steps ids that
// gives the deployment live traffic.
func propFirstServing(p *plan.Plan, ids []string, deployment string) string {
	for _, id := range ids {
		if p.Step(id).Traffic.Get(deployment) > 0 {
			return id
		}
	}
	return ""
}

// propSmokeGates checks that each deployment without live traffic in from
// that gets some in one of the live steps waits behind a gate
// smoke:DEPLOYMENT.
func propSmokeGates(t *rapid.T, p *plan.Plan, anc map[string]map[string]bool, ep string, from traffic.Split, lives []string) {
	t.Helper()
	for _, id := range lives {
		for _, name := range p.Step(id).Traffic.Names() {
			if from.Get(name) > 0 {
				continue
			}
			first := propFirstServing(p, lives, name)
			if !propGateBetween(p, anc, ep, "smoke:"+name, "", first) {
				t.Fatalf("endpoint %s: %s first takes live traffic at %s without a gate smoke:%s before it\nplan:\n%s", ep, name, first, name, p)
			}
		}
	}
}
