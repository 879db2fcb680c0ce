package plan

import (
	"reflect"
	"testing"

	"github.com/rolloutkit/rollout/endpoint"
)

// TestIdenticalSeesEveryField changes each field of a deployment in turn
// and expects identical to tell the copy from the original: a field it
// missed would let a step carry another endpoint's deployment that
// differs in it.
func TestIdenticalSeesEveryField(t *testing.T) {
	base := endpoint.Deployment{DataCollector: &endpoint.DataCollector{RequestLogging: &endpoint.RequestLogging{}}}
	if c := base.Clone(); !identical(&base, &c) {
		t.Fatal("a deployment is not identical to its clone")
	}
	for _, path := range leafPaths(reflect.TypeFor[endpoint.Deployment]()) {
		c := base.Clone()
		if name := setLeaf(t, reflect.ValueOf(&c).Elem(), path); identical(&base, &c) || identical(&c, &base) {
			t.Errorf("field %s changed, and the deployments are identical", name)
		}
	}
}

// TestIdenticalTellsNilFromEmpty: nil and empty maps and slices mean
// different things to some fields (tags), so a step that carries one must
// not carry the other.
func TestIdenticalTellsNilFromEmpty(t *testing.T) {
	for _, tc := range []struct {
		field string
		// set gives d the field, empty or nil.
		set func(d *endpoint.Deployment, empty bool)
	}{
		{"tags", func(d *endpoint.Deployment, empty bool) { d.Tags = emptyOrNil[map[string]string](empty) }},
		{"properties", func(d *endpoint.Deployment, empty bool) { d.Properties = emptyOrNil[map[string]string](empty) }},
		{"environment variables", func(d *endpoint.Deployment, empty bool) {
			d.EnvironmentVariables = emptyOrNil[map[string]string](empty)
		}},
		{"data collector", func(d *endpoint.Deployment, empty bool) {
			if empty {
				d.DataCollector = &endpoint.DataCollector{}
			}
		}},
		{"collections", func(d *endpoint.Deployment, empty bool) {
			d.DataCollector = &endpoint.DataCollector{Collections: emptyOrNil[map[string]endpoint.Collection](empty)}
		}},
		{"request logging", func(d *endpoint.Deployment, empty bool) {
			d.DataCollector = &endpoint.DataCollector{}
			if empty {
				d.DataCollector.RequestLogging = &endpoint.RequestLogging{}
			}
		}},
		{"capture headers", func(d *endpoint.Deployment, empty bool) {
			d.DataCollector = &endpoint.DataCollector{RequestLogging: &endpoint.RequestLogging{CaptureHeaders: emptyOrNil[[]string](empty)}}
		}},
	} {
		var a, b endpoint.Deployment
		tc.set(&a, false)
		tc.set(&b, true)
		if identical(&a, &b) || identical(&b, &a) {
			t.Errorf("%s: nil and empty are identical", tc.field)
		}
		if c := b.Clone(); !identical(&b, &c) {
			t.Errorf("%s: an empty one is not identical to its clone", tc.field)
		}
	}
}

// emptyOrNil returns an empty map or slice, or nil.
func emptyOrNil[T any](empty bool) T {
	var v T
	if !empty {
		return v
	}
	rv := reflect.ValueOf(&v).Elem()
	if rv.Kind() == reflect.Map {
		rv.Set(reflect.MakeMap(rv.Type()))
	} else {
		rv.Set(reflect.MakeSlice(rv.Type(), 0, 0))
	}
	return v
}

// TestComputeSharesIdenticalDeployments plans two endpoints that update
// a deployment to the same spec: their steps carry one copy of it, and
// copies of their own of the observed deployments, which differ in
// status, none of them the caller's.
func TestComputeSharesIdenticalDeployments(t *testing.T) {
	actual := list(tutorial(1), tutorial(1))
	actual[1].Name = "other-endpoint"
	for i, e := range actual {
		e.Deployments[0].Status.ETag = string(rune('a' + i))
	}
	desired := list(tutorial(2), tutorial(2))
	desired[1].Name = actual[1].Name
	p := mustCompute(t, desired, actual, Options{})
	var updates []*Step
	for i := range p.Steps {
		if p.Steps[i].Action == UpdateDeployment {
			updates = append(updates, &p.Steps[i])
		}
	}
	if len(updates) != 2 {
		t.Fatalf("plan %v: want two deployment updates", sketch(p))
	}
	x, y := updates[0], updates[1]
	if x.DeploymentAfter != y.DeploymentAfter {
		t.Error("the updates to the same spec carry two copies of it")
	}
	if x.DeploymentBefore == y.DeploymentBefore || x.DeploymentBefore.Status.ETag == y.DeploymentBefore.Status.ETag {
		t.Error("the updates of deployments observed with other ETags carry one deployment before")
	}
	for _, d := range []*endpoint.Deployment{x.DeploymentBefore, x.DeploymentAfter, y.DeploymentBefore} {
		for _, e := range append(desired, actual...) {
			if d == &e.Deployments[0] {
				t.Errorf("a step carries the caller's deployment %s", d.Name)
			}
		}
	}
}

// TestCloneSharingCopiesDeeply sets every field of a deployment and
// expects the copy to share no map, slice or pointer with it: a step
// would otherwise carry what the normalizers reuse for the next endpoint.
func TestCloneSharingCopiesDeeply(t *testing.T) {
	var d endpoint.Deployment
	for _, path := range leafPaths(reflect.TypeFor[endpoint.Deployment]()) {
		setLeaf(t, reflect.ValueOf(&d).Elem(), path)
	}
	var c endpoint.Deployment
	cloneSharing(&c, &d, nil)
	if !identical(&c, &d) {
		t.Fatal("the copy differs from the deployment")
	}
	for _, name := range sharedReferences(reflect.ValueOf(c), reflect.ValueOf(d), "Deployment") {
		t.Errorf("the copy shares %s with the deployment", name)
	}
}

// sharedReferences lists the maps, slices and pointers that a and b, two
// values of one type, share.
func sharedReferences(a, b reflect.Value, name string) []string {
	var out []string
	switch a.Kind() {
	case reflect.Map, reflect.Slice, reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return nil
		}
		if a.UnsafePointer() == b.UnsafePointer() {
			out = append(out, name)
		}
		if a.Kind() == reflect.Pointer {
			out = append(out, sharedReferences(a.Elem(), b.Elem(), name)...)
		}
	case reflect.Struct:
		for i := range a.NumField() {
			out = append(out, sharedReferences(a.Field(i), b.Field(i), name+"."+a.Type().Field(i).Name)...)
		}
	}
	return out
}

// TestComputeCopiesACarriedDeploymentOnce: the failed blue is written
// again with its instances kept, then scaled down; the deployment between
// the two writes is one copy that both steps carry.
func TestComputeCopiesACarriedDeploymentOnce(t *testing.T) {
	actual := mk(ep, "blue=100", "", dep("blue", 4, "model-1", state(endpoint.Failed)), dep("green", 2, "model-1"))
	desired := mk(ep, "blue=50 green=50", "", dep("blue", 2, "model-1"), dep("green", 2, "model-1"))
	p := mustCompute(t, list(desired), list(actual), Options{})
	update, scale := p.Step(ep+"/blue/update"), p.Step(ep+"/blue/scale")
	if update == nil || scale == nil {
		t.Fatalf("plan %v: want blue written again, then scaled down", sketch(p))
	}
	if update.DeploymentAfter != scale.DeploymentBefore {
		t.Error("the deployment between blue's update and its scale-down is copied twice")
	}
}

// TestDetachCopiesEachDeploymentOnce: steps that carry one deployment
// carry one copy of it, taken once from the slab.
func TestDetachCopiesEachDeploymentOnce(t *testing.T) {
	a, b := dep("blue", 1, "model-1"), dep("blue", 2, "model-1")
	p := &planner{steps: []Step{{DeploymentBefore: &a, DeploymentAfter: &b}, {DeploymentBefore: &b}, {DeploymentAfter: &a}}}
	p.detach()
	if len(p.slab) != 2 {
		t.Errorf("detach made %d copies of 2 deployments", len(p.slab))
	}
	s := p.steps
	if s[0].DeploymentAfter != s[1].DeploymentBefore || s[0].DeploymentBefore != s[2].DeploymentAfter {
		t.Error("steps that carry one deployment carry copies of their own")
	}
	if s[0].DeploymentBefore == &a || s[0].DeploymentAfter == &b {
		t.Error("a step carries the deployment itself, not a copy")
	}
}
