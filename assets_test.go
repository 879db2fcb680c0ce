package rollout_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/plan"
)

// localSpec writes an endpoint whose two deployments share one code
// folder, each with its own model file, and an inline environment.
func localSpec(t *testing.T) (dir string, load func() []*endpoint.Endpoint) {
	t.Helper()
	dir = t.TempDir()
	files := map[string]string{
		"ep.yml": `name: my-endpoint
traffic: {blue: 100}
deployments:
  - name: blue
    model: {path: ./blue.pkl}
    code_configuration: {code: ./onlinescoring, scoring_script: score.py}
    environment: {image: "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest", conda_file: ./conda.yml}
    instance_type: Standard_F2s_v2
    instance_count: 1
  - name: green
    model: {path: ./green.pkl}
    code_configuration: {code: ./onlinescoring, scoring_script: score.py}
    environment: {image: "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest", conda_file: ./conda.yml}
    instance_type: Standard_F2s_v2
    instance_count: 1
`,
		"blue.pkl":                 "blue model",
		"green.pkl":                "green model",
		"onlinescoring/score.py":   "def run(data):\n    return data\n",
		"onlinescoring/.amlignore": "*.log\n",
		"onlinescoring/debug.log":  "not uploaded\n",
		"conda.yml":                "dependencies:\n  - python=3.9\n",
	}
	for rel, content := range files {
		writeFile(t, filepath.Join(dir, rel), content)
	}
	return dir, func() []*endpoint.Endpoint {
		es, err := endpoint.Load(filepath.Join(dir, "ep.yml"))
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func stepsOf(p *plan.Plan, action plan.Action) []string {
	var ids []string
	for _, s := range p.Steps {
		if s.Action == action {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// TestLocalAssets runs a spec with local files against the in-memory
// service: each asset is uploaded once, a second run uploads nothing and
// plans nothing, and one changed byte of the shared scoring script plans
// one code registration and the updates of the two deployments that use
// it, and nothing else.
func TestLocalAssets(t *testing.T) {
	ctx := context.Background()
	dir, load := localSpec(t)
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	var progress []rollout.Event
	onEvent := rollout.OnEvent(func(e rollout.Event) {
		if e.Kind == rollout.StepProgress {
			progress = append(progress, e)
		}
	})
	if _, err := rollout.Run(ctx, svc, load(), plan.Options{}, onEvent); err != nil {
		t.Fatal(err)
	}
	// The shared code and environment once each, and the two models.
	if got := svc.Uploaded(); got.Assets != 4 || got.Files != 4 {
		t.Errorf("first run uploaded %+v, want 4 assets of 4 files: code (score.py, .amlignore; the log ignored), two models, an inline environment (nothing to upload)", got)
	}
	if len(progress) != 4 {
		t.Errorf("%d progress events, want one per asset", len(progress))
	}
	e, err := svc.GetEndpoint(ctx, "my-endpoint")
	if err != nil {
		t.Fatal(err)
	}
	blue := e.Deployment("blue")
	if blue.CodeConfiguration.Code.IsLocal() || blue.Model.IsLocal() || blue.Environment.IsInline() {
		t.Errorf("the service holds local paths: %+v", blue)
	}
	if blue.Environment.Name != "CliV2AnonymousEnvironment" {
		t.Errorf("environment = %v, want the anonymous environment", blue.Environment.Reference)
	}

	// Rerun: the plan is empty and nothing is uploaded.
	actual, _ := svc.ListEndpoints(ctx)
	p, err := plan.Compute(load(), actual, plan.Options{})
	if err != nil || !p.Empty() {
		t.Fatalf("plan after the run: %v, %v; want an empty plan", p, err)
	}

	// One changed byte of score.py.
	writeFile(t, filepath.Join(dir, "onlinescoring", "score.py"), "def run(data):\n    return Data\n")
	p, err = plan.Compute(load(), actual, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	assets, updates := stepsOf(p, plan.RegisterAsset), stepsOf(p, plan.UpdateDeployment)
	if len(assets) != 1 || !strings.Contains(assets[0], "/asset/code/") || strings.Join(updates, " ") != "my-endpoint/blue/update my-endpoint/green/update" || len(p.Steps) != 3 {
		t.Fatalf("plan after one changed byte: %v, want one code registration and the updates of blue and green", stepIDs(p))
	}
	for _, s := range p.Steps[1:] {
		if len(s.Changes) != 1 || s.Changes[0].Path != "code_configuration.code" {
			t.Errorf("%s changes %v, want only the code", s.ID, s.Changes)
		}
	}
	before := svc.Uploaded()
	if _, err := rollout.Apply(ctx, svc, p); err != nil {
		t.Fatal(err)
	}
	if got := svc.Uploaded(); got.Assets != before.Assets+1 || got.Files != before.Files+2 {
		t.Errorf("applying uploaded %+v after %+v, want one more code asset of 2 files", got, before)
	}
}

func stepIDs(p *plan.Plan) []string {
	var ids []string
	for _, s := range p.Steps {
		ids = append(ids, s.ID)
	}
	return ids
}

// TestLocalAssetsNeedTheCapability checks that a backend that cannot
// register files refuses a plan with local files before it writes
// anything.
func TestLocalAssetsNeedTheCapability(t *testing.T) {
	ctx := context.Background()
	_, load := localSpec(t)
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	plain := struct{ backend.Backend }{svc} // hides the Assets methods
	_, err := rollout.Run(ctx, plain, load(), plan.Options{})
	if !errors.Is(err, rollout.ErrInvalidPlan) || !strings.Contains(err.Error(), "is a path; this backend takes registered assets only") {
		t.Fatalf("Run without the capability: %v, want a refusal", err)
	}
	for _, c := range svc.Calls() {
		if c.Op != "ListEndpoints" {
			t.Errorf("the refused run called %s %d times", c.Op, c.N)
		}
	}
}

// TestLocalFilesMissing: a local path whose files are not there when the
// spec is loaded is refused before anything is written, at the field in
// its file, by a backend that would have to upload it; the in-memory
// service, which keeps such paths as written, takes it.
func TestLocalFilesMissing(t *testing.T) {
	ctx := context.Background()
	dir, load := localSpec(t)
	if err := os.Remove(filepath.Join(dir, "green.pkl")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		keeper bool
		reason string
	}{
		{"uploader", false, "a backend that uploads needs the files: refused before any write, at the field"},
		{"keeper", true, "the in-memory service keeps the path as written"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
			var b backend.Backend = svc
			if !tt.keeper {
				b = struct {
					backend.Backend
					backend.Assets
				}{svc, svc}
			}
			_, err := rollout.Run(ctx, b, load(), plan.Options{})
			if tt.keeper {
				if err != nil {
					t.Fatalf("%s: %v", tt.reason, err)
				}
				e, _ := svc.GetEndpoint(ctx, "my-endpoint")
				if got := e.Deployment("green").Model.Path; got != "green.pkl" {
					t.Errorf("%s: green's model is %q", tt.reason, got)
				}
				return
			}
			var placed *endpoint.Error
			if !errors.Is(err, rollout.ErrInvalidPlan) || !errors.As(err, &placed) {
				t.Fatalf("%s: Run = %v, want an invalid plan placed in the file", tt.reason, err)
			}
			want := filepath.Join(dir, "ep.yml") + ":11:"
			if msg := err.Error(); !strings.HasPrefix(msg, want) || !strings.Contains(msg, `local model "green.pkl"`) || !strings.Contains(msg, "deployments[1].model") {
				t.Errorf("%s: %q, want it at %s, naming the field and the path", tt.reason, msg, want)
			}
			for _, c := range svc.Calls() {
				if c.Op != "ListEndpoints" {
					t.Errorf("%s: the refused run called %s %d times", tt.reason, c.Op, c.N)
				}
			}
		})
	}
}
