package rollout_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/plan"
)

// labelSpec writes an endpoint whose two deployments take the latest
// taxi-model and the latest curated environment of the azureml registry,
// as one published deployment file in ten does, and a third that names a
// model version.
func labelSpec(t *testing.T) (path string, load func() []*endpoint.Endpoint) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "ep.yml")
	writeFile(t, path, `name: my-endpoint
traffic: {blue: 100}
deployments:
  - name: blue
    model: azureml:taxi-model@latest
    environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
    instance_type: Standard_F2s_v2
    instance_count: 1
  - name: green
    model: azureml:taxi-model@latest
    environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
    instance_type: Standard_F2s_v2
    instance_count: 1
  - name: pinned
    model: azureml:taxi-model:1
    environment: azureml://registries/azureml/environments/sklearn-1.5/versions/1
    instance_type: Standard_F2s_v2
    instance_count: 1
`)
	return path, func() []*endpoint.Endpoint {
		es, err := endpoint.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func addVersion(t *testing.T, svc *fakes.Service, v fakes.AssetVersion) {
	t.Helper()
	if v.Content == "" {
		v.Content = v.Name + ":" + v.Version
	}
	if err := svc.AddAssetVersion(v); err != nil {
		t.Fatal(err)
	}
}

// labelService holds taxi-model versions 1 to 7, created in order but with
// 10 created before 7 so that the latest is not the highest number, and
// versions 1 and 2 of sklearn-1.5 in the azureml registry.
func labelService(t *testing.T) *fakes.Service {
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	for i, v := range []string{"1", "2", "3", "4", "5", "6", "10", "7"} {
		addVersion(t, svc, fakes.AssetVersion{Kind: endpoint.ModelAsset, Name: "taxi-model", Version: v, Created: t0.Add(time.Duration(i) * time.Hour)})
	}
	for i, v := range []string{"1", "2"} {
		addVersion(t, svc, fakes.AssetVersion{Kind: endpoint.EnvironmentAsset, Registry: "azureml", Name: "sklearn-1.5", Version: v, Created: t0.Add(time.Duration(i) * time.Hour)})
	}
	return svc
}

func planFor(t *testing.T, svc *fakes.Service, desired []*endpoint.Endpoint) *plan.Plan {
	t.Helper()
	ctx := context.Background()
	actual, err := svc.ListEndpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	resolved, err := rollout.ResolveLabels(ctx, svc, desired)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Compute(resolved, actual, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLabels runs a spec that selects versions by label against the
// in-memory service: the plan shows and writes the versions the labels
// point at, an unchanged spec plans nothing until a label moves, and then
// exactly the updates of the deployments that use it, with that reason.
func TestLabels(t *testing.T) {
	ctx := context.Background()
	_, load := labelSpec(t)
	svc := labelService(t)

	p := planFor(t, svc, load())
	// One space between words, so that the column widths do not matter.
	text := strings.Join(strings.Fields(p.String()), " ")
	for _, want := range []string{
		"+ model = azureml:taxi-model@latest (→ 7) +",
		"+ environment = azureml://registries/azureml/sklearn-1.5/labels/latest (→ 2) +",
		"+ model = azureml:taxi-model:1 +",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the plan does not show %q:\n%s", want, text)
		}
	}
	wantLabels := []endpoint.AssetLabel{
		{Kind: "environment", Registry: "azureml", Name: "sklearn-1.5", Label: "latest", Version: "2"},
		{Kind: "model", Name: "taxi-model", Label: "latest", Version: "7"},
	}
	if !equalLabels(p.Labels, wantLabels) {
		t.Errorf("plan labels %+v, want %+v", p.Labels, wantLabels)
	}
	var js bytes.Buffer
	if err := plan.WriteJSON(&js, p); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"label": "latest"`, `"version": "7"`, `"labels": [`} {
		if !strings.Contains(js.String(), want) {
			t.Errorf("the JSON plan lacks %s", want)
		}
	}
	back, err := plan.Decode(js.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rollout.Apply(ctx, svc, back); err != nil {
		t.Fatal(err)
	}
	e, err := svc.GetEndpoint(ctx, "my-endpoint")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"blue", "green"} {
		d := e.Deployment(name)
		if got := d.Model.String(); got != "azureml:taxi-model:7" {
			t.Errorf("%s was written with model %s, want the version the label resolved to, azureml:taxi-model:7", name, got)
		}
		if got := d.Environment.Reference.String(); got != "azureml://registries/azureml/sklearn-1.5/versions/2" {
			t.Errorf("%s was written with environment %s, want version 2 of the registry's", name, got)
		}
	}

	if p := planFor(t, svc, load()); !p.Empty() {
		t.Fatalf("an unchanged spec whose labels did not move plans steps:\n%s", p)
	}

	addVersion(t, svc, fakes.AssetVersion{Kind: endpoint.ModelAsset, Name: "taxi-model", Version: "8", Created: t0.Add(24 * time.Hour)})
	p = planFor(t, svc, load())
	if got := stepsOf(p, plan.UpdateDeployment); len(got) != 2 || len(p.Steps) != 2 {
		t.Fatalf("after the label moved: steps %v, want exactly the updates of blue and green:\n%s", got, p)
	}
	for _, s := range p.Steps {
		if want := "model: azureml:taxi-model@latest moved from 7 to 8"; !strings.HasPrefix(s.Reason, want) {
			t.Errorf("%s: reason %q, want it to start with %q", s.ID, s.Reason, want)
		}
		if len(s.Changes) != 1 || s.Changes[0].String() != "model: azureml:taxi-model:7 → azureml:taxi-model@latest (→ 8)" {
			t.Errorf("%s: changes %v", s.ID, s.Changes)
		}
	}
	if _, err := rollout.Apply(ctx, svc, p); err != nil {
		t.Fatal(err)
	}
	if p := planFor(t, svc, load()); !p.Empty() {
		t.Fatalf("after applying, the plan is not empty:\n%s", p)
	}
}

func equalLabels(a, b []endpoint.AssetLabel) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLabelMovedMakesPlanStale saves a plan, moves a label it resolved, and
// applies the saved plan: it is refused as stale, naming the label, and
// nothing is written; archiving the new version moves the label back and
// the plan applies.
func TestLabelMovedMakesPlanStale(t *testing.T) {
	ctx := context.Background()
	_, load := labelSpec(t)
	svc := labelService(t)
	var js bytes.Buffer
	if err := plan.WriteJSON(&js, planFor(t, svc, load())); err != nil {
		t.Fatal(err)
	}
	saved, err := plan.Decode(js.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	addVersion(t, svc, fakes.AssetVersion{Kind: endpoint.ModelAsset, Name: "taxi-model", Version: "8", Created: t0.Add(24 * time.Hour)})
	_, err = rollout.Apply(ctx, svc, saved)
	var stale *rollout.StalePlanError
	if !errors.As(err, &stale) || !errors.Is(err, rollout.ErrStalePlan) {
		t.Fatalf("Apply after the label moved: %v, want a stale plan", err)
	}
	if want := "azureml:taxi-model@latest moved from 7 to 8"; len(stale.Moved) != 1 || stale.Moved[0] != want || !strings.Contains(err.Error(), want) {
		t.Errorf("Moved %q, error %q; want them to say %q", stale.Moved, err, want)
	}
	if eps, _ := svc.ListEndpoints(ctx); len(eps) != 0 {
		t.Fatalf("a refused plan wrote %d endpoints", len(eps))
	}

	addVersion(t, svc, fakes.AssetVersion{Kind: endpoint.ModelAsset, Name: "taxi-model", Version: "8", Content: "taxi-model:8", Archived: true})
	if _, err := rollout.Apply(ctx, svc, saved); err != nil {
		t.Fatalf("with version 8 archived the label is back at 7, so the plan applies: %v", err)
	}
}

// TestLabelsEditedInPlan refuses a saved plan whose labels and steps were
// both edited to another version than the label points at: the versions
// a plan lists are checked against the service, not only hashed.
func TestLabelsEditedInPlan(t *testing.T) {
	_, load := labelSpec(t)
	svc := labelService(t)
	p := planFor(t, svc, load())
	for i := range p.Labels {
		if p.Labels[i].Name == "taxi-model" {
			p.Labels[i].Version = "3"
		}
	}
	editModels(p, func(r endpoint.Reference) endpoint.Reference { return r.WithVersion("3") })
	_, err := rollout.Apply(context.Background(), svc, p)
	var stale *rollout.StalePlanError
	if !errors.As(err, &stale) || len(stale.Moved) != 1 || stale.Moved[0] != "azureml:taxi-model@latest moved from 3 to 7" {
		t.Fatalf("Apply of a plan whose labels were edited: %v, want it stale", err)
	}
}

// TestLabelResolvingToNothingMakesPlanStale: once every version of the
// label's asset is archived, a saved plan that wrote one is stale.
func TestLabelResolvingToNothingMakesPlanStale(t *testing.T) {
	_, load := labelSpec(t)
	svc := labelService(t)
	p := planFor(t, svc, load())
	for _, v := range svc.AssetVersions(endpoint.ModelAsset, "", "taxi-model", false) {
		v.Archived = true
		addVersion(t, svc, v)
	}
	_, err := rollout.Apply(context.Background(), svc, p)
	var stale *rollout.StalePlanError
	if !errors.As(err, &stale) || len(stale.Moved) != 1 || stale.Moved[0] != "azureml:taxi-model@latest moved from 7 to no version" {
		t.Fatalf("Apply once the label selects nothing: %v, want it stale", err)
	}
}

// editModels has every deployment write of p that selects its model by
// label select it as edit says instead, as a hand-edited saved plan would.
func editModels(p *plan.Plan, edit func(endpoint.Reference) endpoint.Reference) {
	for i := range p.Steps {
		if d := p.Steps[i].DeploymentAfter; d != nil && d.Model.IsLabel() {
			c := d.Clone()
			c.Model = edit(c.Model)
			p.Steps[i].DeploymentAfter = &c
		}
	}
}

// TestLabelEditedIntoPlan refuses, before anything is written, a saved
// plan whose deployment writes were edited to carry a label the plan's
// labels do not list, which the fingerprint would not cover, or one
// without the version it resolved to, which the service would refuse.
func TestLabelEditedIntoPlan(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		reason string
		edit   func(endpoint.Reference) endpoint.Reference
		want   string
	}{
		{"a version the plan's labels do not list", func(r endpoint.Reference) endpoint.Reference { return r.WithVersion("3") },
			"azureml:taxi-model@latest at version 3"},
		{"a label without its version", func(r endpoint.Reference) endpoint.Reference { return endpoint.Reference{Name: r.Name, Label: r.Label} },
			"model as azureml:taxi-model@latest, a label that was not resolved"},
	}
	for _, tt := range tests {
		_, load := labelSpec(t)
		svc := labelService(t)
		p := planFor(t, svc, load())
		editModels(p, tt.edit)
		_, err := rollout.Apply(ctx, svc, p)
		if !errors.Is(err, rollout.ErrInvalidPlan) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Apply of the edited plan: %v, want ErrInvalidPlan saying %q", tt.reason, err, tt.want)
		}
		if eps, _ := svc.ListEndpoints(ctx); len(eps) != 0 {
			t.Errorf("%s: a refused plan wrote %d endpoints", tt.reason, len(eps))
		}
	}
}

// TestLabelResolvesToNothing refuses, before any write, a spec whose label
// selects no version, with the position of the field; so does a code
// label, which the service's CLI does not resolve.
func TestLabelResolvesToNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "endpoint.yml"), "name: my-endpoint\nauth_mode: key\n")
	path := filepath.Join(dir, "blue.yml")
	writeFile(t, path, `name: blue
endpoint_name: my-endpoint
model: azureml:taxi-model@latest
code_configuration:
  code: azureml:score@latest
  scoring_script: score.py
environment: azureml:sklearn-env@champion
instance_type: Standard_F2s_v2
instance_count: 1
`)
	desired, err := endpoint.Load(filepath.Join(dir, "endpoint.yml"), path)
	if err != nil {
		t.Fatal(err)
	}
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	addVersion(t, svc, fakes.AssetVersion{Kind: endpoint.ModelAsset, Name: "taxi-model", Version: "1", Archived: true})
	addVersion(t, svc, fakes.AssetVersion{Kind: endpoint.EnvironmentAsset, Name: "sklearn-env", Version: "1"})
	_, err = rollout.Run(ctx, svc, desired, plan.Options{})
	var list endpoint.ErrorList
	if !errors.As(err, &list) || !errors.Is(err, endpoint.ErrInvalid) {
		t.Fatalf("Run: %v, want an endpoint.ErrorList", err)
	}
	want := []string{
		path + ":3:8: model: no version of taxi-model carries the label latest",
		path + ":5:9: code_configuration.code: azureml:score@latest selects a version by label; the service's CLI takes code by version only: write azureml:score:VERSION",
		path + ":7:14: environment: no version of sklearn-env carries the label champion",
	}
	if len(list) != len(want) {
		t.Fatalf("errors:\n%v\nwant:\n%s", list, strings.Join(want, "\n"))
	}
	for i := range want {
		if list[i].Error() != want[i] {
			t.Errorf("error %d:\n got %s\nwant %s", i, list[i], want[i])
		}
	}
	if n := len(svc.History()); n != 0 {
		t.Errorf("the refused spec changed the service %d times", n)
	}
}

// TestLabelResolvesToNothingEverywhere: a label that selects no version
// is reported at every field that writes it, though it is resolved once.
func TestLabelResolvesToNothingEverywhere(t *testing.T) {
	deployment := func(name string) string {
		return "  - name: " + name + "\n    model: azureml:taxi-model@latest\n    environment: azureml:sklearn-env:1\n    instance_type: Standard_F2s_v2\n    instance_count: 1\n"
	}
	tests := []struct {
		reason string
		files  []string
		want   []string // file index and line:col of each error
	}{
		{"two deployments of one file",
			[]string{"name: my-endpoint\ndeployments:\n" + deployment("blue") + deployment("green")},
			[]string{"0:4:12", "0:9:12"}},
		{"two endpoints in two files",
			[]string{"name: my-endpoint\ndeployments:\n" + deployment("blue"), "name: other-endpoint\ndeployments:\n" + deployment("blue")},
			[]string{"0:4:12", "1:4:12"}},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			dir := t.TempDir()
			var paths []string
			for i, f := range tc.files {
				paths = append(paths, filepath.Join(dir, fmt.Sprintf("ep%d.yml", i)))
				writeFile(t, paths[i], f)
			}
			desired, err := endpoint.Load(paths...)
			if err != nil {
				t.Fatal(err)
			}
			resolutions := 0
			b := fakes.Intercept(fakes.New(fakes.Options{Latency: fakes.NoLatency()}), fakes.Interceptor{
				ResolveLabel: func(ctx context.Context, next backend.Labels, l endpoint.AssetLabel) (string, error) {
					resolutions++
					return next.ResolveLabel(ctx, l)
				},
			})
			_, err = rollout.ResolveLabels(t.Context(), b, desired)
			var list endpoint.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("ResolveLabels: %v, want an endpoint.ErrorList", err)
			}
			var got []string
			for _, e := range list {
				got = append(got, fmt.Sprintf("%d:%d:%d", slices.Index(paths, e.Pos.File), e.Pos.Line, e.Pos.Column))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("errors at %v, want %v:\n%v", got, tc.want, list)
			}
			if resolutions != 1 {
				t.Errorf("the label was resolved %d times, want once", resolutions)
			}
		})
	}
}

// TestLabelResolutionRetried: a resolution the service fails with a
// retryable error is made again, as a write would be, and one that fails
// for good is returned as the service's error, not as a spec error.
func TestLabelResolutionRetried(t *testing.T) {
	ctx := context.Background()
	_, load := labelSpec(t)
	svc := labelService(t)
	flaky := fakes.NewFaults(1, fakes.Rule{Ops: []fakes.Op{fakes.OpResolveLabel}, Count: 2, Fault: fakes.Fault{Kind: fakes.ServerError}}).Wrap(svc)
	resolved, err := rollout.ResolveLabels(ctx, flaky, load(), rollout.Backoff(time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatalf("two 500s, then answers: %v", err)
	}
	if got := resolved[0].Deployment("blue").Model.Resolved(); got != "7" {
		t.Errorf("resolved to %q, want 7", got)
	}
	down := fakes.NewFaults(1, fakes.Rule{Ops: []fakes.Op{fakes.OpResolveLabel}, Fault: fakes.Fault{Kind: fakes.ServerError}}).Wrap(svc)
	_, err = rollout.ResolveLabels(ctx, down, load(), rollout.Backoff(time.Millisecond, time.Millisecond), rollout.MaxAttempts(2))
	var list endpoint.ErrorList
	if !errors.Is(err, backend.ErrUnavailable) || errors.As(err, &list) || !strings.Contains(err.Error(), "azureml:taxi-model@latest") && !strings.Contains(err.Error(), "sklearn-1.5") {
		t.Errorf("a service that keeps failing: %v, want its error naming the label, not a spec error", err)
	}
}

// TestLabelPlanNeedsTheCapability: a plan that pins labels is refused
// before any write by a backend that cannot resolve them again, since
// nothing could tell whether they moved.
func TestLabelPlanNeedsTheCapability(t *testing.T) {
	_, load := labelSpec(t)
	svc := labelService(t)
	p := planFor(t, svc, load())
	_, err := rollout.Apply(context.Background(), struct{ backend.Backend }{svc}, p)
	if !errors.Is(err, rollout.ErrInvalidPlan) || !strings.Contains(err.Error(), "cannot resolve") {
		t.Fatalf("Apply through a backend without labels: %v, want ErrInvalidPlan", err)
	}
	if eps, _ := svc.ListEndpoints(context.Background()); len(eps) != 0 {
		t.Errorf("the refused plan wrote %d endpoints", len(eps))
	}
}

// TestCuratedEnvironmentLabel: azureml:AzureML-NAME@latest, the short form
// of a curated environment, which the service expands to the azureml
// registry, resolves among that registry's versions and is written as the
// registry's version; the workspace's own versions of the name do not
// count.
func TestCuratedEnvironmentLabel(t *testing.T) {
	ctx := context.Background()
	const curated = "AzureML-sklearn-1.0-ubuntu20.04-py38-cpu"
	path := filepath.Join(t.TempDir(), "ep.yml")
	writeFile(t, path, `name: my-endpoint
traffic: {blue: 100}
deployments:
  - name: blue
    model: azureml:taxi-model:1
    environment: azureml:`+curated+`@latest
    instance_type: Standard_F2s_v2
    instance_count: 1
`)
	desired, err := endpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	for i, v := range []string{"1", "36"} {
		addVersion(t, svc, fakes.AssetVersion{Kind: endpoint.EnvironmentAsset, Registry: endpoint.CuratedRegistry, Name: curated, Version: v, Created: t0.Add(time.Duration(i) * time.Hour)})
	}
	addVersion(t, svc, fakes.AssetVersion{Kind: endpoint.EnvironmentAsset, Name: curated, Version: "99", Created: t0.Add(48 * time.Hour)})
	p := planFor(t, svc, desired)
	if text := strings.Join(strings.Fields(p.String()), " "); !strings.Contains(text, "+ environment = azureml:"+curated+"@latest (→ 36) +") {
		t.Errorf("the plan does not show the registry's version:\n%s", p)
	}
	if _, err := rollout.Apply(ctx, svc, p); err != nil {
		t.Fatal(err)
	}
	e, err := svc.GetEndpoint(ctx, "my-endpoint")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.Deployment("blue").Environment.Reference.String(), "azureml://registries/azureml/"+curated+"/versions/36"; got != want {
		t.Errorf("blue written with environment %s, want %s", got, want)
	}
	if p := planFor(t, svc, desired); !p.Empty() {
		t.Fatalf("the curated environment the service holds plans steps:\n%s", p)
	}
	addVersion(t, svc, fakes.AssetVersion{Kind: endpoint.EnvironmentAsset, Registry: endpoint.CuratedRegistry, Name: curated, Version: "37", Created: t0.Add(72 * time.Hour)})
	p = planFor(t, svc, desired)
	if len(p.Steps) != 1 || !strings.HasPrefix(p.Steps[0].Reason, "environment: azureml:"+curated+"@latest moved from 36 to 37") {
		t.Fatalf("after a new curated version: %s", p)
	}
}
