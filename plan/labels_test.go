package plan

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/rolloutkit/rollout/endpoint"
)

// latestModel makes a deployment take the latest version of its model,
// resolved to version (unresolved when version is "").
func latestModel(version string) func(*endpoint.Deployment) {
	return func(d *endpoint.Deployment) {
		d.Model = endpoint.Reference{Name: d.Model.Name, Label: endpoint.LatestLabel}
		if version != "" {
			d.Model = d.Model.WithVersion(version)
		}
	}
}

// labelled is an endpoint whose blue and green take the latest m, and whose
// other deployment names m's version 1.
func labelled(version string) *endpoint.Endpoint {
	return mk(ep, "blue=90 green=10", "", dep("blue", 2, "m", latestModel(version)), dep("green", 1, "m", latestModel(version)), dep("other", 1, "m"))
}

// held is the state the service holds once blue and green were written with
// version.
func held(version string) *endpoint.Endpoint {
	e := labelled("")
	for i := range e.Deployments[:2] {
		e.Deployments[i].Model = endpoint.Reference{Name: "m", Version: version}
	}
	return e
}

func TestLabelMovedPlansUpdates(t *testing.T) {
	p := mustCompute(t, list(labelled("7")), list(held("7")), Options{})
	if !p.Empty() {
		t.Fatalf("labels resolved to the versions the service holds plan steps:\n%s", p)
	}
	if want := []endpoint.AssetLabel{{Kind: "model", Name: "m", Label: "latest", Version: "7"}}; !slices.Equal(p.Labels, want) {
		t.Errorf("Labels = %+v, want %+v", p.Labels, want)
	}
	p = mustCompute(t, list(labelled("8")), list(held("7")), Options{})
	var ids []string
	for _, s := range p.Steps {
		ids = append(ids, s.ID)
		if s.Reason != "model: azureml:m@latest moved from 7 to 8; update in place (rolling)" {
			t.Errorf("%s: reason %q", s.ID, s.Reason)
		}
	}
	if want := []string{ep + "/blue/update", ep + "/green/update"}; !slices.Equal(ids, want) {
		t.Errorf("steps %v, want %v: exactly the deployments that use the label", ids, want)
	}
	if err := Verify(list(labelled("8")), list(held("7")), p); err != nil {
		t.Error(err)
	}
}

func TestLabelsInFingerprint(t *testing.T) {
	actual := list(held("7"))
	p7 := mustCompute(t, list(labelled("7")), actual, Options{})
	p8 := mustCompute(t, list(labelled("8")), actual, Options{})
	if p7.Fingerprint == p8.Fingerprint || p7.Fingerprint == Fingerprint(actual) {
		t.Error("the fingerprint does not cover the versions labels resolved to")
	}
	if got := Fingerprint(actual, p7.Labels...); got != p7.Fingerprint {
		t.Errorf("Fingerprint(actual, labels...) = %s, the plan's %s", got, p7.Fingerprint)
	}
	if err := Check(actual, p8); err != nil {
		t.Errorf("Check of a plan with labels against the state it was computed from: %v", err)
	}
	q := *p8
	q.Labels = nil
	if err := Check(actual, &q); !errors.Is(err, ErrStale) {
		t.Errorf("Check of a plan whose labels were removed: %v, want ErrStale", err)
	}
	// Where the labels pointed is not part of the desired state: the specs
	// loaded again, unresolved, give the plan's desired fingerprint.
	if DesiredFingerprint(list(labelled(""))) != p8.DesiredFingerprint || p7.DesiredFingerprint != p8.DesiredFingerprint {
		t.Error("the desired fingerprint depends on where labels pointed")
	}
}

// TestUnresolvedLabelsRefused: the service takes versions, never labels,
// so the planner refuses a deployment write that selects an asset by a
// label no one resolved, naming the field, once for each deployment, and
// plans what needs no such write.
func TestUnresolvedLabelsRefused(t *testing.T) {
	tests := []struct {
		reason  string
		desired *endpoint.Endpoint
		actual  []*endpoint.Endpoint
		paths   []string // of the refusals, in order; none: a plan
	}{
		{reason: "a new endpoint writes both labelled deployments", desired: labelled(""),
			paths: []string{"deployments[blue].model", "deployments[green].model"}},
		{reason: "held versions cannot be compared with a label that selects none", desired: labelled(""), actual: list(held("7")),
			paths: []string{"deployments[blue].model", "deployments[green].model"}},
		{reason: "a deployment holding the label as written is not written again", desired: labelled(""), actual: list(labelled(""))},
		{reason: "resolved labels are written as versions", desired: labelled("7"), actual: list(held("7"))},
		{reason: "an environment label in a registry", desired: mk(ep, "blue=100", "", dep("blue", 1, "m", func(d *endpoint.Deployment) {
			d.Environment.Reference = endpoint.Reference{Registry: "azureml", Name: "sklearn-1.5", Label: endpoint.LatestLabel}
		})), paths: []string{"deployments[blue].environment"}},
	}
	for _, tt := range tests {
		p, err := Compute(list(tt.desired), tt.actual, Options{})
		if len(tt.paths) == 0 {
			if err != nil {
				t.Errorf("%s: %v", tt.reason, err)
			} else if err := Check(tt.actual, p); err != nil {
				t.Errorf("%s: Check of the plan: %v", tt.reason, err)
			}
			continue
		}
		if !errors.Is(err, ErrRefused) {
			t.Errorf("%s: Compute: %v, want ErrRefused", tt.reason, err)
			continue
		}
		var paths []string
		var walk func(error)
		walk = func(e error) {
			if r, ok := e.(*RefusedError); ok && r.Rule == "spec" && strings.Contains(r.Msg, "label") {
				paths = append(paths, r.Path)
			}
			if j, ok := e.(interface{ Unwrap() []error }); ok {
				for _, e := range j.Unwrap() {
					walk(e)
				}
			}
		}
		walk(err)
		if !slices.Equal(paths, tt.paths) {
			t.Errorf("%s: refused %q, want %q (%v)", tt.reason, paths, tt.paths, err)
		}
	}
}

func TestLabelResolvedTwice(t *testing.T) {
	other := mk("b-endpoint", "blue=100", "", dep("blue", 1, "m", latestModel("8")))
	_, err := Compute(list(labelled("7"), other), nil, Options{})
	if err == nil || !strings.Contains(err.Error(), "azureml:m@latest resolved to both 7 and 8") {
		t.Errorf("Compute with one label resolved twice: %v", err)
	}
}

func TestLabelsJSONRoundTrip(t *testing.T) {
	p := mustCompute(t, list(labelled("8")), list(held("7")), Options{})
	var buf bytes.Buffer
	if err := WriteJSON(&buf, p); err != nil {
		t.Fatal(err)
	}
	js := buf.String()
	for _, want := range []string{
		`"labels": [`,
		`"kind": "model"`,
		`"label": "latest",`,
		`"asset": {`,
		`"version": "8"`,
	} {
		if !strings.Contains(js, want) {
			t.Errorf("JSON lacks %s:\n%s", want, js)
		}
	}
	back, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Labels, p.Labels) || back.Fingerprint != p.Fingerprint {
		t.Errorf("labels after a round trip: %+v, want %+v", back.Labels, p.Labels)
	}
	if got := back.Steps[0].DeploymentAfter.Model.Resolved(); got != "8" {
		t.Errorf("the decoded step writes version %q, want 8", got)
	}
	if err := Check(list(held("7")), back); err != nil {
		t.Error(err)
	}
}

// TestPropLabelMoves: for any fleet whose deployments take their model by
// version or by label, with any versions the service holds and any the
// labels resolve to, the plan updates exactly the deployments whose label
// resolved to another version than they hold, each once, in place, with
// the reason naming the label; it converges and keeps every rule.
func TestPropLabelMoves(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		latest := map[string]string{}
		var desired, actual []*endpoint.Endpoint
		want := map[string]bool{}
		for i := range rapid.IntRange(1, 3).Draw(t, "endpoints") {
			name := fmt.Sprintf("ep-%d", i)
			var des, act []endpoint.Deployment
			for j := range rapid.IntRange(1, 4).Draw(t, "deployments") {
				model := rapid.SampledFrom([]string{"m", "n"}).Draw(t, "model")
				held := strconv.Itoa(rapid.IntRange(1, 4).Draw(t, "held"))
				a := dep(fmt.Sprintf("dep-%d", j), 1, model, func(d *endpoint.Deployment) { d.Model.Version = held })
				d := a
				if rapid.Bool().Draw(t, "by_label") {
					if _, ok := latest[model]; !ok {
						latest[model] = strconv.Itoa(rapid.IntRange(1, 4).Draw(t, "latest_"+model))
					}
					d.Model = endpoint.Reference{Name: model, Label: endpoint.LatestLabel}.WithVersion(latest[model])
					if latest[model] != held {
						want[name+"/"+a.Name+"/update"] = true
					}
				}
				des, act = append(des, d), append(act, a)
			}
			split := "dep-0=100"
			desired = append(desired, mk(name, split, "", des...))
			actual = append(actual, mk(name, split, "", act...))
		}
		p, err := Compute(desired, actual, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, s := range p.Steps {
			if s.Action != UpdateDeployment || got[s.ID] || !strings.Contains(s.Reason, "azureml:"+s.DeploymentAfter.Model.Name+"@latest moved from") {
				t.Fatalf("unexpected step %s (%s): %s", s.ID, s.Action, s.Reason)
			}
			got[s.ID] = true
		}
		if !maps.Equal(got, want) {
			t.Fatalf("updates %v, want %v", got, want)
		}
		if err := Verify(desired, actual, p); err != nil {
			t.Fatal(err)
		}
	})
}
