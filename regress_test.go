package rollout_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/plan"
)

// passGates binds the gates of every strategy, passing at once.
var passGates = rollout.Gates(map[string]rollout.Gate{
	"smoke":  rollout.GateFunc(func(context.Context, rollout.GateContext) error { return nil }),
	"bake":   rollout.GateFunc(func(context.Context, rollout.GateContext) error { return nil }),
	"shadow": rollout.GateFunc(func(context.Context, rollout.GateContext) error { return nil }),
})

// runTo runs svc to desired and fails the test on an error.
func runTo(t *testing.T, svc *fakes.Service, desired []*endpoint.Endpoint, opts plan.Options) {
	t.Helper()
	if _, err := rollout.Run(t.Context(), svc, desired, opts, passGates); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// failTo arms a provisioning failure of deployment dep and runs svc to
// desired, which must fail.
func failTo(t *testing.T, svc *fakes.Service, dep string, desired []*endpoint.Endpoint) {
	t.Helper()
	svc.FailProvisioning("my-endpoint", dep, "OutOfQuota", "not enough quota")
	if _, err := rollout.Run(t.Context(), svc, desired, plan.Options{}, rollout.MaxAttempts(1)); !errors.Is(err, backend.ErrProvisioningFailed) {
		t.Fatalf("Run with %s armed to fail: %v, want a provisioning failure", dep, err)
	}
}

// TestRunFromFailedServing: when an update or scale of a serving
// deployment fails, the service keeps its traffic and refuses endpoint
// writes that name it; Run from that state still reaches the desired one.
func TestRunFromFailedServing(t *testing.T) {
	const name = "my-endpoint"
	tagged := desiredEndpoint(name, "blue=100", deployment("blue", 2, 1))
	tagged.Tags = map[string]string{"team": "risk"}
	tests := []struct {
		reason  string
		setup   func(t *testing.T, svc *fakes.Service)
		desired []*endpoint.Endpoint
		opts    plan.Options
	}{
		{"an endpoint write re-sends blue=100 and must wait for blue's write",
			func(t *testing.T, svc *fakes.Service) {
				runTo(t, svc, tutorial()[0], plan.Options{})
				failTo(t, svc, "blue", []*endpoint.Endpoint{desiredEndpoint(name, "blue=100", deployment("blue", 2, 1))})
			},
			[]*endpoint.Endpoint{tagged}, plan.Options{}},
		{"blue loses instances and share, and is written again before traffic names it",
			func(t *testing.T, svc *fakes.Service) {
				runTo(t, svc, tutorial()[1], plan.Options{})
				failTo(t, svc, "blue", []*endpoint.Endpoint{desiredEndpoint(name, "blue=100", deployment("blue", 1, 3))})
			},
			[]*endpoint.Endpoint{desiredEndpoint(name, "blue=50 green=50", deployment("blue", 1, 1), deployment("green", 2, 1))}, plan.Options{}},
		{"a canary back from a failed green gives green no share",
			func(t *testing.T, svc *fakes.Service) {
				runTo(t, svc, tutorial()[1], plan.Options{})
				runTo(t, svc, []*endpoint.Endpoint{desiredEndpoint(name, "blue=55 green=45", deployment("blue", 1, 2), deployment("green", 2, 2))}, plan.Options{})
				failTo(t, svc, "green", []*endpoint.Endpoint{desiredEndpoint(name, "blue=55 green=45", deployment("blue", 1, 2), deployment("green", 3, 2))})
			},
			[]*endpoint.Endpoint{desiredEndpoint(name, "blue=100", deployment("blue", 1, 2))}, plan.Options{Strategy: plan.Canary([]int{10, 50})}},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				svc := fakes.New(fakes.Options{})
				tc.setup(t, svc)
				s := newSafety(tc.desired, observe(t, svc))
				skip := len(svc.History())
				ctx, cancel := context.WithTimeout(t.Context(), 24*time.Hour)
				defer cancel()
				if _, err := rollout.Run(ctx, svc, tc.desired, tc.opts, passGates); err != nil {
					t.Fatalf("%s: Run: %v", tc.reason, err)
				}
				converged(t, svc, tc.desired, tc.opts)
				checkSince(t, s, svc, skip)
			})
		})
	}
}

// scaleThenShift returns a service holding blue=100 with green on one
// instance, the desired state that gives green 3 instances and all the
// traffic, and the plan to it: green's scale-up, then the traffic.
func scaleThenShift(t *testing.T) (*fakes.Service, []*endpoint.Endpoint, *plan.Plan) {
	t.Helper()
	const name = "my-endpoint"
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	runTo(t, svc, []*endpoint.Endpoint{desiredEndpoint(name, "blue=100", deployment("blue", 1, 3), deployment("green", 2, 1))}, plan.Options{})
	desired := []*endpoint.Endpoint{desiredEndpoint(name, "green=100", deployment("blue", 1, 3), deployment("green", 2, 3))}
	p, err := plan.Compute(desired, observe(t, svc), plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return svc, desired, p
}

// sendTrafficFirst edits the plan of scaleThenShift to shift traffic
// before scaling up, and returns the traffic step.
func sendTrafficFirst(t *testing.T, p *plan.Plan) *plan.Step {
	t.Helper()
	tr := p.Step("my-endpoint/traffic")
	if tr == nil {
		t.Fatalf("no traffic step in\n%s", p)
	}
	tr.DependsOn = nil
	steps := []plan.Step{*tr}
	for _, s := range p.Steps {
		if s.ID != tr.ID {
			steps = append(steps, s)
		}
	}
	p.Steps = steps
	return &steps[0]
}

// TestApplyChecksPlansEditedInPlace: a plan Compute returned is not
// replayed again while it is as computed, but edited in memory it is
// Check'ed and refused like a saved one, before the first write.
func TestApplyChecksPlansEditedInPlace(t *testing.T) {
	svc, _, p := scaleThenShift(t)
	if !plan.Computed(p) {
		t.Fatal("the plan Compute returned is not Computed")
	}
	tr := sendTrafficFirst(t, p)
	before := calls(svc)
	_, err := rollout.Apply(t.Context(), svc, p)
	var v *plan.ViolationError
	if !errors.Is(err, rollout.ErrUnsafePlan) || !errors.As(err, &v) || v.Step != tr.ID {
		t.Fatalf("Apply of a computed plan edited in place = %v, want ErrUnsafePlan at %s", err, tr.ID)
	}
	if d := delta(before, calls(svc)); d["CreateOrUpdateEndpoint"]+d["ScaleDeployment"]+d["CreateOrUpdateDeployment"] != 0 {
		t.Errorf("Apply wrote before refusing: %v", d)
	}
}

// TestApplyChecksSavedPlans: a saved plan edited to send its traffic
// first is refused before the first write, naming the rule and the step.
func TestApplyChecksSavedPlans(t *testing.T) {
	svc, _, p := scaleThenShift(t)
	tr := sendTrafficFirst(t, p)
	saved := savedOf(t, p)
	before := calls(svc)
	_, err := rollout.Apply(t.Context(), svc, saved)
	if !errors.Is(err, rollout.ErrUnsafePlan) || !strings.Contains(err.Error(), "S5") || !strings.Contains(err.Error(), tr.ID) {
		t.Fatalf("Apply = %v, want ErrUnsafePlan naming S5 and step %s", err, tr.ID)
	}
	var v *plan.ViolationError
	if !errors.As(err, &v) || v.Step != tr.ID {
		t.Errorf("Apply's error %v does not carry the violation at %s", err, tr.ID)
	}
	if d := delta(before, calls(svc)); d["CreateOrUpdateEndpoint"]+d["ScaleDeployment"]+d["CreateOrUpdateDeployment"] != 0 {
		t.Errorf("Apply wrote before refusing: %v", d)
	}
}

// TestSmokeGateApprovesNoSplit: a smoke test looks at one deployment in
// isolation, so passing it approves no live split, even when it passes
// while a later stage runs.
func TestSmokeGateApprovesNoSplit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const name = "my-endpoint"
		svc := fakes.New(fakes.Options{})
		runTo(t, svc, tutorial()[1], plan.Options{})
		desired := []*endpoint.Endpoint{desiredEndpoint(name, "green=100", deployment("blue", 1, 2), deployment("green", 2, 2), deployment("red", 3, 1))}
		p, err := plan.Compute(desired, observe(t, svc), plan.Options{Strategy: plan.Canary([]int{10, 50})})
		if err != nil {
			t.Fatal(err)
		}
		p.Steps = append(p.Steps, plan.Step{ID: name + "/gate/smoke:red", Action: plan.Gate, Endpoint: name, Deployment: "red",
			Gate: "smoke:red", DependsOn: []string{name + "/red/create"}})
		var bakes int
		gates := rollout.Gates(map[string]rollout.Gate{
			"smoke": rollout.GateFunc(func(ctx context.Context, g rollout.GateContext) error {
				if g.Deployment == "red" {
					return rollout.Pause(30*time.Minute).Check(ctx, g)
				}
				return nil
			}),
			"bake": rollout.GateFunc(func(ctx context.Context, g rollout.GateContext) error {
				if bakes++; bakes == 1 {
					return nil
				}
				if err := rollout.Pause(time.Hour).Check(ctx, g); err != nil {
					return err
				}
				return errors.New("p99 latency above 300ms")
			}),
		})
		_, err = rollout.Apply(t.Context(), svc, p, gates, rollout.Rollback())
		var se *rollout.StepError
		if !errors.As(err, &se) || se.Step != name+"/gate/bake/2" {
			t.Fatalf("got %v, want bake/2 to refuse", err)
		}
		if len(se.RolledBack) != 1 || len(se.State) != 1 || se.State[0].Traffic.String() != "blue=90 green=10" {
			t.Fatalf("rolled back %v to %v (error %v), want blue=90 green=10, the split bake/1 approved", se.RolledBack, se.State, se.RollbackErr)
		}
	})
}

// TestCleanupFailureKeepsFinalSplit: once the last stage is done, a
// failed cleanup stops the rollout and leaves traffic at the final split;
// rolling back would put traffic on a deployment that was scaled down.
func TestCleanupFailureKeepsFinalSplit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const name = "my-endpoint"
		svc := fakes.New(fakes.Options{})
		runTo(t, svc, []*endpoint.Endpoint{desiredEndpoint(name, "blue=30 green=50 red=20",
			deployment("blue", 1, 3), deployment("green", 2, 2), deployment("red", 3, 1))}, plan.Options{})
		desired := []*endpoint.Endpoint{desiredEndpoint(name, "green=100", deployment("blue", 1, 1), deployment("green", 2, 2))}
		s := newSafety(desired, observe(t, svc))
		skip := len(svc.History())
		b := fakes.Intercept(svc, fakes.Interceptor{
			DeleteDeployment: func(ctx context.Context, next backend.Backend, e, d string) error {
				if d == "red" {
					// Wait for blue's scale-down, so that the old split
					// would overload blue.
					time.Sleep(time.Hour)
					return &backend.Error{Kind: backend.Invalid, Code: "BadArgument", Message: "red is locked"}
				}
				return next.DeleteDeployment(ctx, e, d)
			},
		})
		_, err := rollout.Run(t.Context(), b, desired, plan.Options{}, rollout.Rollback())
		var se *rollout.StepError
		if !errors.As(err, &se) || se.Step != name+"/red/delete" {
			t.Fatalf("got %v, want red's delete to fail", err)
		}
		if len(se.RolledBack) != 0 || len(se.State) != 1 || se.State[0].Traffic.String() != "green=100" {
			t.Fatalf("rolled back %v, state %v; want traffic left at green=100", se.RolledBack, se.State)
		}
		checkSince(t, s, svc, skip)
	})
}

// TestRunReturnsSettled: a Run that finds a write of an earlier, cancelled
// Run in flight returns only once it has ended and the desired state
// holds, even when the spec already is the desired one.
func TestRunReturnsSettled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := fakes.New(fakes.Options{})
		runTo(t, svc, tutorial()[0], plan.Options{})
		svc.FailProvisioning("my-endpoint", "blue", "OutOfQuota", "not enough quota")
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		if _, err := rollout.Run(ctx, svc, tutorial()[1], plan.Options{}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("first run: %v, want the deadline during blue's scale", err)
		}
		if _, err := rollout.Run(t.Context(), svc, tutorial()[1], plan.Options{}); err != nil {
			t.Fatalf("second run: %v", err)
		}
		e := observe(t, svc)[0]
		if st := e.Deployment("blue").Status.ProvisioningState; st != endpoint.Succeeded {
			t.Fatalf("Run returned with blue %s, want it settled and Succeeded", st)
		}
		converged(t, svc, tutorial()[1], plan.Options{})
	})
}

// TestApplyStepChecksAlone: a step run on its own before the steps it
// depends on is refused before it is sent.
func TestApplyStepChecksAlone(t *testing.T) {
	const name = "my-endpoint"
	svc, desired, p := scaleThenShift(t)
	before := calls(svc)
	err := rollout.ApplyStep(t.Context(), svc, p, name+"/traffic")
	var v *plan.ViolationError
	if !errors.Is(err, rollout.ErrUnsafePlan) || !errors.As(err, &v) || v.Rule != "S5" {
		t.Fatalf("ApplyStep of the traffic before green's scale-up = %v, want ErrUnsafePlan for S5", err)
	}
	if d := delta(before, calls(svc)); d["CreateOrUpdateEndpoint"] != 0 {
		t.Errorf("ApplyStep wrote before refusing: %v", d)
	}
	for _, id := range []string{name + "/green/update", name + "/traffic", name + "/traffic"} {
		if err := rollout.ApplyStep(t.Context(), svc, p, id); err != nil {
			t.Fatalf("ApplyStep %s in order: %v", id, err)
		}
	}
	converged(t, svc, desired, plan.Options{})
}

// TestStepErrorStateIsThePlans: StepError.State holds the endpoints the
// plan touches, and not the others the service holds beside them.
func TestStepErrorStateIsThePlans(t *testing.T) {
	refuse := rollout.GateFunc(func(context.Context, rollout.GateContext) error { return errors.New("green answers 500") })
	tests := []struct {
		reason string
		opts   []rollout.Option
	}{
		{"the state is observed after the stop", nil},
		{"the state is observed after the rollback", []rollout.Option{rollout.Rollback()}},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				svc := fakes.New(fakes.Options{})
				runTo(t, svc, []*endpoint.Endpoint{desiredEndpoint("other-endpoint", "blue=100", deployment("blue", 1, 1))}, plan.Options{})
				desired := toGreen(t, svc)
				p, err := plan.Compute(desired, observe(t, svc), plan.Options{Strategy: plan.Canary([]int{10})})
				if err != nil {
					t.Fatal(err)
				}
				opts := append([]rollout.Option{rollout.Gates(map[string]rollout.Gate{"smoke": refuse, "bake": rollout.Pause(0)})}, tc.opts...)
				_, err = rollout.Apply(t.Context(), svc, p, opts...)
				var se *rollout.StepError
				if !errors.As(err, &se) {
					t.Fatalf("Apply = %v, want a *StepError", err)
				}
				var names []string
				for _, e := range se.State {
					names = append(names, e.Name)
				}
				if len(names) != 1 || names[0] != "my-endpoint" {
					t.Errorf("State holds %v, want only my-endpoint, the plan's", names)
				}
			})
		})
	}
}

// savedOf returns p as a plan file reads it back.
func savedOf(t *testing.T, p *plan.Plan) *plan.Plan {
	t.Helper()
	data, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	saved, err := plan.Decode(data)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return saved
}

// TestFailedDeploymentIsWrittenInFull: a deployment whose last operation
// failed gets its full spec again, never the scale operation, when the
// plan changes only its instance count, however the plan reached the
// executor: a plan file does not keep the provisioning state the plan
// was computed from, so the executor goes by the state it observes.
func TestFailedDeploymentIsWrittenInFull(t *testing.T) {
	const name = "my-endpoint"
	tests := []struct {
		reason string
		saved  bool
		alone  bool // run the step with ApplyStep
	}{
		{"a plan Compute returned knows green failed", false, false},
		{"a saved plan reads green's state back empty", true, false},
		{"a saved plan's step run alone", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
			runTo(t, svc, []*endpoint.Endpoint{desiredEndpoint(name, "blue=100", deployment("blue", 1, 2), deployment("green", 1, 1))}, plan.Options{})
			failTo(t, svc, "green", []*endpoint.Endpoint{desiredEndpoint(name, "blue=100", deployment("blue", 1, 2), deployment("green", 2, 1))})
			desired := []*endpoint.Endpoint{desiredEndpoint(name, "blue=100", deployment("blue", 1, 2), deployment("green", 2, 3))}
			p, err := plan.Compute(desired, observe(t, svc), plan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.saved {
				p = savedOf(t, p)
			}
			before := calls(svc)
			if tc.alone {
				err = rollout.ApplyStep(t.Context(), svc, p, name+"/green/update")
			} else {
				_, err = rollout.Apply(t.Context(), svc, p)
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := delta(before, calls(svc)); d["ScaleDeployment"] != 0 || d["CreateOrUpdateDeployment"] != 1 {
				t.Errorf("calls %v, want green's full spec written once and no scale", d)
			}
			converged(t, svc, desired, plan.Options{})
		})
	}
}

// TestGateForOneDeploymentApprovesNoSplit: a gate about one deployment,
// whether the step names it or the gate's name does (canary:green, as
// GateContext.Deployment reads it), approves no split; a gate about the
// whole endpoint approves the one it watched.
func TestGateForOneDeploymentApprovesNoSplit(t *testing.T) {
	const name = "my-endpoint"
	tests := []struct {
		reason     string
		gate, dep  string // the first stage's gate step, as edited
		rolledBack string
	}{
		{"a bake watches the endpoint and approves blue=90 green=10", "bake", "", "blue=90 green=10"},
		{"a gate whose step names green approves nothing", "bake", "green", "blue=100"},
		{"a gate whose name names green approves nothing", "canary:green", "", "blue=100"},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				svc := fakes.New(fakes.Options{})
				desired := toGreen(t, svc)
				p, err := plan.Compute(desired, observe(t, svc), plan.Options{Strategy: plan.Canary([]int{10, 50})})
				if err != nil {
					t.Fatal(err)
				}
				first := p.Step(name + "/gate/bake/1")
				if first == nil {
					t.Fatalf("no first bake in\n%s", p)
				}
				first.Gate, first.Deployment = tc.gate, tc.dep
				var gates int
				check := rollout.GateFunc(func(context.Context, rollout.GateContext) error {
					if gates++; gates == 3 {
						return errors.New("p99 latency above 300ms")
					}
					return nil
				})
				_, err = rollout.Apply(t.Context(), svc, p, rollout.Rollback(),
					rollout.Gates(map[string]rollout.Gate{"smoke": check, "bake": check, "canary": check}))
				var se *rollout.StepError
				if !errors.As(err, &se) || se.Step != name+"/gate/bake/2" {
					t.Fatalf("got %v, want bake/2 to refuse", err)
				}
				if len(se.State) != 1 || se.State[0].Traffic.String() != tc.rolledBack {
					t.Errorf("rolled back to %v (%v), want %s", se.State, se.Restored, tc.rolledBack)
				}
			})
		})
	}
}
