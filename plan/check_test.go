package plan

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes/gen"
	"github.com/rolloutkit/rollout/traffic"
	"pgregory.net/rapid"
)

// mustCompute plans desired against actual and fails the test on error.
func mustCompute(t *testing.T, desired, actual []*endpoint.Endpoint, opts Options) *Plan {
	t.Helper()
	p, err := Compute(desired, actual, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// dropDep removes dependency dep from step id.
func dropDep(t *testing.T, p *Plan, id, dep string) *Plan {
	t.Helper()
	s := p.Step(id)
	if s == nil || !slices.Contains(s.DependsOn, dep) {
		t.Fatalf("plan %v has no step %s depending on %s", sketch(p), id, dep)
	}
	s.DependsOn = slices.DeleteFunc(slices.Clone(s.DependsOn), func(d string) bool { return d == dep })
	return p
}

func TestCheckFindsBrokenRules(t *testing.T) {
	scaling := struct{ desired, actual []*endpoint.Endpoint }{
		desired: list(mk(ep, "blue=20 green=80", "", dep("blue", 1, "model-1"), dep("green", 3, "model-2"))),
		actual:  list(mk(ep, "blue=80 green=20", "", dep("blue", 4, "model-1"), dep("green", 1, "model-2"))),
	}
	for _, tc := range []struct {
		name, reason string
		actual       []*endpoint.Endpoint
		plan         func(t *testing.T) *Plan
		rule         string
	}{
		{
			name: "delete before traffic", reason: "blue may be deleted while it still serves 90%",
			actual: list(tutorial(4)),
			plan: func(t *testing.T) *Plan {
				return dropDep(t, mustCompute(t, list(tutorial(6)), list(tutorial(4)), Options{}), "my-endpoint/blue/delete", "my-endpoint/traffic")
			},
			rule: "S4",
		},
		{
			name: "traffic before create", reason: "traffic may name green before it exists",
			actual: list(tutorial(2)),
			plan: func(t *testing.T) *Plan {
				return dropDep(t, mustCompute(t, list(tutorial(6)), list(tutorial(2)), Options{}), "my-endpoint/traffic", "my-endpoint/green/create")
			},
			rule: "S2",
		},
		{
			name: "traffic before scale-up", reason: "green's share may grow before its instances do",
			actual: scaling.actual,
			plan: func(t *testing.T) *Plan {
				return dropDep(t, mustCompute(t, scaling.desired, scaling.actual, Options{}), "my-endpoint/traffic", "my-endpoint/green/update")
			},
			rule: "S5",
		},
		{
			name: "scale-down before traffic", reason: "blue may lose instances while it still serves 80%",
			actual: scaling.actual,
			plan: func(t *testing.T) *Plan {
				return dropDep(t, mustCompute(t, scaling.desired, scaling.actual, Options{}), "my-endpoint/blue/update", "my-endpoint/traffic")
			},
			rule: "S5",
		},
		{
			name: "unordered stages", reason: "the last canary stage may run before the first, leaving another split at the end",
			actual: list(tutorial(3)),
			plan: func(t *testing.T) *Plan {
				return dropDep(t, mustCompute(t, list(tutorial(5)), list(tutorial(3)), Options{Strategy: Canary([]int{50})}), "my-endpoint/traffic/2", "my-endpoint/gate/bake/1")
			},
			rule: "P1",
		},
		{
			name: "endpoint goes dark", reason: "a serving endpoint may not go dark in the middle of a plan",
			actual: list(tutorial(4)),
			plan: func(*testing.T) *Plan {
				return &Plan{Steps: []Step{
					{ID: "dark", Action: SetTraffic, Endpoint: ep},
					{ID: "light", Action: SetTraffic, Endpoint: ep, DependsOn: []string{"dark"}, Traffic: mustParse("blue=90 green=10")},
				}}
			},
			rule: "S1",
		},
		{
			name: "mirror on live", reason: "the service never mirrors to a deployment that serves live traffic",
			actual: list(tutorial(4)),
			plan: func(*testing.T) *Plan {
				return &Plan{Steps: []Step{{ID: "m", Action: SetTraffic, Endpoint: ep, Traffic: mustParse("blue=90 green=10"), Mirror: mustParse("green=10")}}}
			},
			rule: "S3",
		},
		{
			name: "instance type in place", reason: "instance_type cannot change in place",
			actual: list(tutorial(2)),
			plan: func(*testing.T) *Plan {
				d := dep("blue", 2, "model-1", instanceType("Standard_F4s_v2"))
				return &Plan{Steps: []Step{{ID: "u", Action: UpdateDeployment, Endpoint: ep, Deployment: "blue", DeploymentAfter: &d}}}
			},
			rule: "S6",
		},
		{
			name: "traffic to a failed deployment", reason: "a plan may not give traffic to a deployment whose provisioning failed",
			actual: list(mk(ep, "blue=100", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2", state(endpoint.Failed)))),
			plan: func(*testing.T) *Plan {
				return &Plan{Steps: []Step{{ID: "t", Action: SetTraffic, Endpoint: ep, Traffic: mustParse("blue=90 green=10")}}}
			},
			rule: "S2",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.plan(t)
			err := Check(tc.actual, p)
			var v *ViolationError
			if !errors.As(err, &v) || v.Rule != tc.rule {
				t.Fatalf("%s: Check = %v, want a %s violation", tc.reason, err, tc.rule)
			}
		})
	}
}

func TestCheckMalformedPlans(t *testing.T) {
	gate := func(id string, deps ...string) Step {
		return Step{ID: id, Action: Gate, Endpoint: ep, Gate: "g", DependsOn: deps}
	}
	for _, tc := range []struct {
		name, reason, contains string
		steps                  []Step
	}{
		{"duplicate", "ids name steps uniquely", "used twice", []Step{gate("a"), gate("a")}},
		{"unknown", "a dependency must be a step of the plan", "not an earlier step", []Step{gate("a", "b")}},
		{"cycle", "a cycle can never run", "not an earlier step", []Step{gate("a", "b"), gate("b", "a")}},
		{"later", "Decode, Check and Apply agree: a dependency names an earlier step", "not an earlier step",
			[]Step{gate("a", "b"), gate("b")}},
	} {
		err := Check(nil, &Plan{Steps: tc.steps})
		if err == nil || !strings.Contains(err.Error(), tc.contains) {
			t.Errorf("%s: Check = %v, want an error containing %q", tc.reason, err, tc.contains)
		}
	}
	if err := Check(nil, nil); err == nil {
		t.Error("Check(nil plan) must fail")
	}
}

func TestCheckStale(t *testing.T) {
	actual := list(tutorial(3))
	p := mustCompute(t, list(tutorial(4)), actual, Options{})
	moved := list(tutorial(3))
	moved[0].Status.ETag = "W/\"2\""
	if err := Check(moved, p); !errors.Is(err, ErrStale) {
		t.Errorf("Check on a state with a new ETag = %v, want ErrStale", err)
	}
	if err := Check(actual, p); err != nil {
		t.Errorf("Check on the planned state: %v", err)
	}
}

func TestCheckAcceptsExistingProblems(t *testing.T) {
	// green failed while serving 10%: the state breaks S2 before the plan,
	// and the plan's first write repairs it.
	actual := list(mk(ep, "blue=90 green=10", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2", state(endpoint.Failed))))
	desired := list(tutorial(5))
	p := mustCompute(t, desired, actual, Options{})
	want := []string{
		"my-endpoint/green/update update_deployment",
		"my-endpoint/traffic set_traffic <- my-endpoint/green/update",
	}
	if got := sketch(p); !slices.Equal(got, want) {
		t.Fatalf("plan = %v, want %v", got, want)
	}
	if err := Verify(desired, actual, p); err != nil {
		t.Errorf("a problem of the actual state must not be blamed on the plan: %v", err)
	}
}

func TestCheckSamplesManyOrders(t *testing.T) {
	// Eight deployments created at once have 8! orders, more than
	// MaxOrders: Check samples, and must still pass, and say the same
	// thing every time.
	var deps []endpoint.Deployment
	live := map[string]int{}
	for _, n := range []string{"d01", "d02", "d03", "d04", "d05", "d06", "d07", "d08"} {
		deps = append(deps, dep(n, 1, "m-"+n))
		live[n] = 10
	}
	live["d01"] = 30
	desired := list(&endpoint.Endpoint{Name: ep, Traffic: traffic.MustNew(live), Deployments: deps})
	p := mustCompute(t, desired, nil, Options{})
	if err := Verify(desired, nil, p); err != nil {
		t.Fatal(err)
	}
	// Break it: the traffic step stops waiting for d08, which only some
	// orders create in time; the sample must find one.
	dropDep(t, p, "my-endpoint/traffic", "my-endpoint/d08/create")
	first := Check(nil, p)
	var v *ViolationError
	if !errors.As(first, &v) || v.Rule != "S2" {
		t.Fatalf("Check = %v, want an S2 violation", first)
	}
	if again := Check(nil, p); again.Error() != first.Error() {
		t.Errorf("Check is not deterministic:\n%v\n%v", first, again)
	}
}

func TestVerifyConvergence(t *testing.T) {
	for _, tc := range []struct {
		name, reason    string
		desired, actual []*endpoint.Endpoint
		planFor         []*endpoint.Endpoint
		opts            Options
		contains        string
	}{
		{"short of desired", "a plan for step 5 does not reach step 6", list(tutorial(6)), list(tutorial(4)), list(tutorial(5)), Options{}, "deployment blue is not desired"},
		{"missing endpoint", "a plan that leaves out a desired endpoint", list(tutorial(1), mk("b-endpoint", "", "")), nil, list(tutorial(1)), Options{}, "b-endpoint does not exist"},
		{"undesired change", "an endpoint outside the desired state must stay as it was",
			list(tutorial(2)), list(tutorial(2), mk("other", "blue=100", "", dep("blue", 1, "m"))),
			list(tutorial(2), mk("other", "blue=100", "", dep("blue", 2, "m"))), Options{}, "not in the desired state but the plan changes it"},
		{"extra endpoint", "a plan may not create endpoints nobody asked for", list(tutorial(1)), nil, list(tutorial(1), mk("other", "", "")), Options{}, "created but not desired"},
		{"kept without serving", "bluegreen:keep keeps only the deployments that served live traffic before the switch; old served none, so it must go",
			list(tutorial(6)), list(mk(ep, "blue=100", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2"), dep("old", 1, "model-0"))),
			list(mk(ep, "green=100", "", dep("green", 2, "model-2"), dep("old", 1, "model-0"))), Options{Strategy: BlueGreen(true)}, "deployment old is not desired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustCompute(t, tc.planFor, tc.actual, tc.opts)
			err := Verify(tc.desired, tc.actual, p)
			var v *ViolationError
			if !errors.As(err, &v) || v.Rule != "P1" || !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("%s: Verify = %v, want a P1 violation containing %q", tc.reason, err, tc.contains)
			}
		})
	}
}

// TestEveryOptionConverges runs every strategy with and without
// AllowReplace and DeleteUnlisted over generated states: a plan that
// Compute returns passes Verify, and once applied, planning again finds
// nothing to do (except for the deployments BlueGreen(true) keeps).
func TestEveryOptionConverges(t *testing.T) {
	strategies := []Strategy{Direct(), Canary([]int{10, 50}), Canary([]int{33}, "a", "b"), BlueGreen(false), BlueGreen(true), Shadow(10), Shadow(50)}
	rapid.Check(t, func(t *rapid.T) {
		pair := gen.Pairs().Draw(t, "pair")
		opts := Options{
			Strategy:       strategies[rapid.IntRange(0, len(strategies)-1).Draw(t, "strategy")],
			AllowReplace:   rapid.Bool().Draw(t, "allow_replace"),
			DeleteUnlisted: rapid.Bool().Draw(t, "delete_unlisted"),
		}
		p, err := Compute(pair.Desired, pair.Actual, opts)
		if errors.Is(err, ErrRefused) || errors.Is(err, ErrBusy) {
			return
		}
		if err != nil {
			t.Fatalf("Compute: %v", err)
		}
		if err := Verify(pair.Desired, pair.Actual, p); err != nil {
			t.Fatalf("Verify with %+v: %v\nplan: %v", opts, err, sketch(p))
		}
		state := pair.Actual
		for _, s := range p.Steps {
			if state, err = Simulate(state, s); err != nil {
				t.Fatalf("Simulate %s: %v", s.ID, err)
			}
		}
		again, err := Compute(pair.Desired, state, opts)
		if err != nil {
			t.Fatalf("planning again after the plan: %v", err)
		}
		if !again.Empty() && !(opts.Strategy.kind == blueGreen && opts.Strategy.keepOld) {
			t.Fatalf("planning again after the plan with %+v gives %v", opts, sketch(again))
		}
	})
}

// BenchmarkCheckCanary replays the tutorial's full rollout under a canary
// in every order: what a property test pays per case.
func BenchmarkCheckCanary(b *testing.B) {
	desired, actual := list(tutorial(6)), list(tutorial(2))
	p, err := Compute(desired, actual, Options{Strategy: Canary([]int{10, 50})})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := Check(actual, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckSampled checks eight independent creates, whose 8! orders
// make Check sample MaxOrders of them.
func BenchmarkCheckSampled(b *testing.B) {
	var deps []endpoint.Deployment
	live := map[string]int{}
	for i := range 8 {
		n := "d0" + string(rune('1'+i))
		deps = append(deps, dep(n, 1, "m"))
		live[n] = 10
	}
	live["d01"] = 30
	desired := list(&endpoint.Endpoint{Name: ep, Traffic: traffic.MustNew(live), Deployments: deps})
	p, err := Compute(desired, nil, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := Check(nil, p); err != nil {
			b.Fatal(err)
		}
	}
}
