package plan

import (
	"bytes"
	"reflect"
	"slices"
	"testing"

	"github.com/rolloutkit/rollout/endpoint"
)

// sealedPlan computes a plan of two endpoints whose steps carry
// endpoints, deployments and changes, from desired specs the test may
// change afterwards.
func sealedPlan(t *testing.T) (*Plan, []*endpoint.Endpoint) {
	t.Helper()
	desired := list(tutorial(5), mk("b-endpoint", "blue=100", "", dep("blue", 1, "m")))
	p := mustCompute(t, desired, list(tutorial(3)), Options{})
	if !Computed(p) {
		t.Fatal("a plan Compute returned is not Computed")
	}
	return p, desired
}

// TestComputedSeesEveryField changes each field of a computed plan and
// of its first step in turn, the resources the step carries included,
// and expects Computed to refuse the plan: an executor would otherwise
// skip checking a plan that is no longer Compute's.
func TestComputedSeesEveryField(t *testing.T) {
	for _, path := range leafPaths(reflect.TypeFor[Plan]()) {
		p, _ := sealedPlan(t)
		if name := setLeaf(t, reflect.ValueOf(p).Elem(), path); Computed(p) {
			t.Errorf("plan field %s changed, and the plan is still Computed", name)
		}
	}
	paths := leafPaths(reflect.TypeFor[Step]())
	for _, path := range paths {
		p, _ := sealedPlan(t)
		if name := setLeaf(t, reflect.ValueOf(&p.Steps[0]).Elem(), path); Computed(p) {
			t.Errorf("step field %s changed, and the plan is still Computed", name)
		}
	}
	if len(paths) < 150 {
		t.Errorf("found only %d step fields; the walk is broken", len(paths))
	}
	for _, tc := range []struct {
		reason string
		change func(p *Plan, desired []*endpoint.Endpoint)
	}{
		{"a split a step writes", func(p *Plan, _ []*endpoint.Endpoint) { p.Steps[len(p.Steps)-1].Traffic = mustParse("blue=1") }},
		{"a mirror split", func(p *Plan, _ []*endpoint.Endpoint) { p.Steps[len(p.Steps)-1].MirrorBefore = mustParse("blue=1") }},
		{"a step removed", func(p *Plan, _ []*endpoint.Endpoint) { p.Steps = p.Steps[1:] }},
		{"an endpoint a step carries, deployments included", func(p *Plan, _ []*endpoint.Endpoint) {
			s := &p.Steps[len(p.Steps)-1]
			s.EndpointBefore = &endpoint.Endpoint{Name: s.Endpoint, Deployments: []endpoint.Deployment{{Name: "x"}}}
		}},
		{"a map the plan shares with the specs it was computed from", func(p *Plan, desired []*endpoint.Endpoint) {
			for i := range desired[0].Deployments {
				for k := range desired[0].Deployments[i].EnvironmentVariables {
					desired[0].Deployments[i].EnvironmentVariables[k] = "changed"
				}
			}
		}},
	} {
		p, desired := sealedPlan(t)
		before := digest(p)
		tc.change(p, desired)
		if digest(p) != before && Computed(p) {
			t.Errorf("%s: changed, and the plan is still Computed", tc.reason)
		}
	}
}

// TestComputedOnlyForComputeResults: copies and decoded plans, however
// equal to a computed one, are not Computed.
func TestComputedOnlyForComputeResults(t *testing.T) {
	p, _ := sealedPlan(t)
	c := *p
	if Computed(&c) {
		t.Error("a copy of a computed plan is Computed")
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, p); err != nil {
		t.Fatal(err)
	}
	d, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if Computed(d) {
		t.Error("a decoded plan is Computed")
	}
	if Computed(nil) || Computed(&Plan{}) {
		t.Error("a nil or empty plan is Computed")
	}
	if !Computed(p) {
		t.Error("the computed plan itself is no longer Computed")
	}
}

// TestDigestOfSharedDeployments: a deployment that several steps carry
// is encoded once, and the digest is the one of steps that carry copies
// of their own.
func TestDigestOfSharedDeployments(t *testing.T) {
	var desired, actual []*endpoint.Endpoint
	for _, name := range []string{"a-endpoint", "b-endpoint", "c-endpoint"} {
		d, a := tutorial(2), tutorial(1)
		d.Name, a.Name = name, name
		desired, actual = append(desired, d), append(actual, a)
	}
	p := mustCompute(t, desired, actual, Options{})
	if p.Steps[0].DeploymentAfter != p.Steps[1].DeploymentAfter {
		t.Fatalf("plan %v: the updates to one spec carry copies of their own", sketch(p))
	}
	if !Computed(p) {
		t.Error("the plan's seal is not the digest of its content")
	}
	own := *p
	own.Steps = slices.Clone(p.Steps)
	for i := range own.Steps {
		s := &own.Steps[i]
		for _, d := range []**endpoint.Deployment{&s.DeploymentBefore, &s.DeploymentAfter} {
			if *d != nil {
				c := (*d).Clone()
				*d = &c
			}
		}
	}
	if digest(&own) != digest(p) {
		t.Error("steps that share a deployment digest otherwise than steps with copies of it")
	}
	p.Steps[2].DeploymentAfter.InstanceCount++
	if digest(&own) == digest(p) {
		t.Error("a shared deployment changed, and the digest stayed")
	}
}

// TestComputedAfterAnEndpointLeftAlone: an observed endpoint that is not
// desired gets no step, and the deployments the planner carried for the
// endpoint before it must not be taken for its own, whose storage they
// share: the seal of the plan is still its digest when a later step
// carries one of those deployments again.
func TestComputedAfterAnEndpointLeftAlone(t *testing.T) {
	named := func(e *endpoint.Endpoint, name string) *endpoint.Endpoint { e.Name = name; return e }
	actual := list(
		named(mk(ep, "blue=100", "", dep("blue", 1, "model-1")), "a-endpoint"),
		named(mk(ep, "blue=100", "", dep("blue", 3, "model-1")), "b-endpoint"),
		named(mk(ep, "blue=100", "", dep("blue", 2, "model-1")), "c-endpoint"),
	)
	desired := list(
		named(mk(ep, "blue=100", "", dep("blue", 2, "model-1")), "a-endpoint"),
		named(mk(ep, "blue=100", "", dep("blue", 1, "model-1")), "c-endpoint"),
	)
	p := mustCompute(t, desired, actual, Options{})
	if len(p.Steps) != 2 || p.Steps[0].DeploymentBefore != p.Steps[1].DeploymentAfter {
		t.Fatalf("plan %v: want c-endpoint's blue after to be a-endpoint's blue before", sketch(p))
	}
	if !Computed(p) {
		t.Error("the plan's seal is not the digest of its content")
	}
}
