package plan

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rolloutkit/rollout/endpoint"
)

// firstWriteNaming returns the index of the first endpoint write in p's
// order that names deployment n in the split it sends, or -1.
func firstWriteNaming(p *Plan, n string) int {
	for i, s := range p.Steps {
		switch s.Action {
		case CreateEndpoint, UpdateEndpoint, SetTraffic:
			if s.Traffic.Get(n) > 0 || s.Mirror.Get(n) > 0 {
				return i
			}
		}
	}
	return -1
}

// before reports whether step a is an ancestor of step b in p's graph.
func before(p *Plan, a, b string) bool {
	seen := map[string]bool{}
	var walk func(id string) bool
	walk = func(id string) bool {
		if seen[id] {
			return false
		}
		seen[id] = true
		s := p.Step(id)
		if s == nil {
			return false
		}
		for _, d := range s.DependsOn {
			if d == a || walk(d) {
				return true
			}
		}
		return false
	}
	return walk(b)
}

// TestFailedServingDeployment: a deployment whose update or scale failed
// keeps its traffic; the service refuses every endpoint write that names it
// until it is written again, so every plan from that state writes it first.
func TestFailedServingDeployment(t *testing.T) {
	failedBlue := func(count int) endpoint.Deployment {
		return dep("blue", count, "model-1", state(endpoint.Failed))
	}
	tagged := mk(ep, "blue=100", "", dep("blue", 1, "model-1"))
	tagged.Tags = map[string]string{"team": "risk"}
	for _, tc := range []struct {
		name, reason    string
		desired, actual *endpoint.Endpoint
		opts            Options
	}{
		{"tag change", "an endpoint write re-sends blue=100 and must wait for blue's write",
			tagged, mk(ep, "blue=100", "", failedBlue(1)), Options{}},
		{"fewer instances", "blue also loses instances, yet the traffic step names it",
			mk(ep, "blue=50 green=50", "", dep("blue", 1, "model-1"), dep("green", 1, "model-2")),
			mk(ep, "blue=100", "", failedBlue(3)), Options{}},
		{"canary back", "a canary away from failed green must not give green any share",
			mk(ep, "blue=100", "", dep("blue", 2, "model-1")),
			mk(ep, "blue=55 green=45", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2", state(endpoint.Failed))),
			Options{Strategy: Canary([]int{10, 50})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			desired, actual := list(tc.desired), list(tc.actual)
			p := mustCompute(t, desired, actual, tc.opts)
			if err := Verify(desired, actual, p); err != nil {
				t.Fatalf("%s: Verify: %v\n%s", tc.reason, err, strings.Join(sketch(p), "\n"))
			}
			for _, d := range tc.actual.Deployments {
				if !d.Status.ProvisioningState.Failed() {
					continue
				}
				i := firstWriteNaming(p, d.Name)
				if i < 0 {
					continue
				}
				w := p.Steps[i].ID
				ok := false
				for _, s := range p.Steps {
					if s.Deployment == d.Name && (s.Action == UpdateDeployment || s.Action == CreateDeployment) && before(p, s.ID, w) {
						ok = true
					}
				}
				if !ok {
					t.Errorf("%s: %s names failed %s before it is written again:\n%s", tc.reason, w, d.Name, strings.Join(sketch(p), "\n"))
				}
			}
		})
	}
}

// TestCheckBlamesWritesToFailed: Check replays writes through the
// service's rules, which refuse traffic to a deployment that did not
// provision, even when the state already sent it traffic.
func TestCheckBlamesWritesToFailed(t *testing.T) {
	actual := list(mk(ep, "blue=100", "", dep("blue", 1, "model-1", state(endpoint.Failed))))
	desired := mk(ep, "blue=100", "", dep("blue", 1, "model-1"))
	desired.Tags = map[string]string{"team": "risk"}
	p := mustCompute(t, list(desired), actual, Options{})
	u := p.Step(ep + "/update")
	if u == nil {
		t.Fatalf("no endpoint update in %v", sketch(p))
	}
	u.DependsOn = nil
	p.Steps = slices.DeleteFunc(p.Steps, func(s Step) bool { return s.Action == UpdateDeployment })
	var v *ViolationError
	if err := Check(actual, p); !errors.As(err, &v) || v.Rule != "S2" {
		t.Fatalf("Check = %v, want S2: the write names blue, which is Failed", err)
	}
}

// TestCaseOnlyRename: deployment names are case-insensitive, so Blue and
// blue are one deployment; a case change is not a new deployment.
func TestCaseOnlyRename(t *testing.T) {
	actual := list(mk(ep, "Blue=100", "", dep("Blue", 1, "model-1")))
	for _, tc := range []struct {
		reason  string
		desired *endpoint.Endpoint
		want    []string
	}{
		{"the same spec in another case plans nothing", mk(ep, "blue=100", "", dep("blue", 1, "model-1")), nil},
		{"a changed spec updates Blue in place", mk(ep, "blue=100", "", dep("blue", 2, "model-1")),
			[]string{"my-endpoint/Blue/update update_deployment"}},
	} {
		p := mustCompute(t, list(tc.desired), actual, Options{})
		if got := sketch(p); !slices.Equal(got, tc.want) {
			t.Errorf("%s: plan %v, want %v", tc.reason, got, tc.want)
		}
		if err := Verify(list(tc.desired), actual, p); err != nil {
			t.Errorf("%s: Verify: %v", tc.reason, err)
		}
	}
}

// TestVerifyKeepOldWithoutCase: the deployments a bluegreen:keep plan keeps
// are the ones the desired state leaves out, found by name without regard
// to case, as the planner finds them.
func TestVerifyKeepOldWithoutCase(t *testing.T) {
	for _, tc := range []struct {
		reason          string
		desired, actual *endpoint.Endpoint
	}{
		{"green, spelled Green in the desired state, stays, and loses its 10%",
			mk(ep, "Blue=100", "", dep("Blue", 2, "model-1"), dep("Green", 2, "model-2")), tutorial(4)},
		{"blue, spelled Blue in the desired state, takes the traffic green had",
			mk(ep, "Blue=100", "", dep("Blue", 2, "model-1")), mk(ep, "green=100", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2"))},
	} {
		p := mustCompute(t, list(tc.desired), list(tc.actual), Options{Strategy: BlueGreen(true)})
		if err := Verify(list(tc.desired), list(tc.actual), p); err != nil {
			t.Errorf("%s: Verify: %v\nplan: %v", tc.reason, err, sketch(p))
		}
	}
}

// TestActualSplitInAnotherCase: a split may name a deployment in any case
// (Blue and blue are one deployment), so a deployment that the actual
// split names in another spelling serves, and is drained before it goes.
func TestActualSplitInAnotherCase(t *testing.T) {
	for _, tc := range []struct {
		reason          string
		desired, actual *endpoint.Endpoint
		want            []string
	}{
		{"Blue serves blue's 100%: the traffic leaves it before it is deleted",
			mk(ep, "green=100", "", dep("green", 2, "model-2")),
			mk(ep, "blue=100", "", dep("Blue", 2, "model-1"), dep("green", 2, "model-2")),
			[]string{"my-endpoint/traffic set_traffic", "my-endpoint/Blue/delete delete_deployment <- my-endpoint/traffic"}},
		{"Blue keeps its share: the split is the same whatever its spelling",
			mk(ep, "blue=100", "", dep("blue", 2, "model-1")),
			mk(ep, "BLUE=100", "", dep("Blue", 2, "model-1")),
			nil},
	} {
		p := mustCompute(t, list(tc.desired), list(tc.actual), Options{})
		if got := sketch(p); !slices.Equal(got, tc.want) {
			t.Errorf("%s: plan %v, want %v", tc.reason, got, tc.want)
		}
		if err := Verify(list(tc.desired), list(tc.actual), p); err != nil {
			t.Errorf("%s: Verify: %v", tc.reason, err)
		}
	}
}

// TestStepNameMismatch: a step that says one endpoint and carries the spec
// of another is refused by Decode and by Check.
func TestStepNameMismatch(t *testing.T) {
	busy := mk("busy", "blue=100", "", dep("blue", 1, "model-1"))
	tagged := mk("busy", "blue=100", "", dep("blue", 1, "model-1"))
	tagged.Tags = map[string]string{"team": "risk"}
	for _, tc := range []struct {
		reason          string
		desired, actual []*endpoint.Endpoint
		id              string
	}{
		{"update_endpoint", list(tagged), list(busy), "busy/update"},
		{"create_endpoint", list(busy), nil, "busy/create"},
	} {
		p := mustCompute(t, tc.desired, tc.actual, Options{})
		s := p.Step(tc.id)
		if s == nil {
			t.Fatalf("%s: no step %s in %v", tc.reason, tc.id, sketch(p))
		}
		s.Endpoint = "quiet"
		if err := Check(tc.actual, p); err == nil {
			t.Errorf("%s: Check accepted a step for quiet carrying busy's spec", tc.reason)
		}
		data, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(data); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: Decode = %v, want ErrFormat for a step whose endpoint and spec disagree", tc.reason, err)
		}
	}
}

// TestCheckCountsMirror: a deployment that takes mirror traffic is scaled
// down only once its mirror share has shrunk.
func TestCheckCountsMirror(t *testing.T) {
	actual := list(mk(ep, "blue=100", "green=50", dep("blue", 2, "model-1"), dep("green", 3, "model-2")))
	desired := list(mk(ep, "blue=100", "", dep("blue", 2, "model-1"), dep("green", 1, "model-2")))
	p := dropDep(t, mustCompute(t, desired, actual, Options{}), ep+"/green/update", ep+"/traffic")
	var v *ViolationError
	if err := Check(actual, p); !errors.As(err, &v) || v.Rule != "S5" {
		t.Fatalf("Check = %v, want S5: green is scaled down while it still takes 50%% mirror traffic", err)
	}
}

// TestInstanceTypeCase: the service compares instance types without
// regard to case, so a change of case is no replacement.
func TestInstanceTypeCase(t *testing.T) {
	for _, live := range []string{"blue=100", ""} {
		actual := list(mk(ep, live, "", dep("blue", 1, "model-1", instanceType("Standard_DS3_v2"))))
		desired := list(mk(ep, live, "", dep("blue", 1, "model-1", instanceType("standard_ds3_v2"))))
		p, err := Compute(desired, actual, Options{})
		if err != nil {
			t.Fatalf("traffic %q: Compute refused a change of case: %v", live, err)
		}
		for _, s := range p.Steps {
			if s.Action == DeleteDeployment || s.Action == CreateDeployment {
				t.Errorf("traffic %q: a change of case replaces blue: %v", live, sketch(p))
			}
		}
		if err := Verify(desired, actual, p); err != nil {
			t.Errorf("traffic %q: Verify: %v", live, err)
		}
	}
}

// TestReplaceMirrorBesideFailed: a deployment to replace that has only
// mirror traffic, beside a failed deployment that has all the live
// traffic, is drained of its mirror before it is deleted. The live
// traffic stays on the failed deployment once it is written again; when
// nothing can hold it, the plan is refused.
func TestReplaceMirrorBesideFailed(t *testing.T) {
	failedBlue := dep("blue", 1, "model-1", state(endpoint.Failed))
	green := dep("green", 1, "model-1")
	newGreen := dep("green", 1, "model-1", instanceType("Standard_DS3_v2"))
	for _, tc := range []struct {
		name, reason    string
		desired, actual *endpoint.Endpoint
		refused         string
	}{
		{"failed blue kept", "blue is written again, keeps its live share while green's mirror goes, and green takes over once recreated",
			mk(ep, "green=100", "", dep("blue", 1, "model-1"), newGreen),
			mk(ep, "blue=100", "green=5", failedBlue, green), ""},
		{"failed blue deleted", "blue leaves the desired state, so no deployment can hold the live traffic while green's mirror is dropped",
			mk(ep, "green=100", "", newGreen),
			mk(ep, "blue=100", "green=5", failedBlue, green), "mirror traffic"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			desired, actual := list(tc.desired), list(tc.actual)
			p, err := Compute(desired, actual, Options{AllowReplace: true})
			if tc.refused != "" {
				var r *RefusedError
				if !errors.As(err, &r) || r.Rule != "S6" || !strings.Contains(r.Msg, tc.refused) {
					t.Fatalf("%s: got %v, want an S6 refusal naming %q", tc.reason, err, tc.refused)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.reason, err)
			}
			if err := Verify(desired, actual, p); err != nil {
				t.Fatalf("%s: Verify: %v\n%s", tc.reason, err, strings.Join(sketch(p), "\n"))
			}
			del := p.Step(ep + "/green/delete")
			if del == nil || len(del.DependsOn) == 0 {
				t.Fatalf("%s: green's delete waits for nothing:\n%s", tc.reason, strings.Join(sketch(p), "\n"))
			}
			for _, id := range del.DependsOn {
				if s := p.Step(id); s.Mirror.Get("green") > 0 || s.Traffic.Get("blue") != 100 {
					t.Errorf("%s: green's delete waits for %s, which leaves %v / mirror %v", tc.reason, id, s.Traffic, s.Mirror)
				}
				if !before(p, ep+"/blue/update", id) {
					t.Errorf("%s: %s names failed blue before blue is written again", tc.reason, id)
				}
			}
		})
	}
}
