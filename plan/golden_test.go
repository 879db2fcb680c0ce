package plan_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
)

var update = flag.Bool("update", false, "rewrite golden files")

// corpus is the directory of real specs, read in place; see
// ../shared/corpus/README.md.
var corpus = filepath.Join("..", "..", "shared", "corpus")

func needCorpus(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("corpus not found at %s (%v): these tests read real specs in place; .ci/run guarantees them", corpus, err)
	}
}

// goldenCase plans from one set of spec files to another.
type goldenCase struct {
	name     string   // the golden files' path under testdata/golden, without extension
	from, to []string // files or directories; from empty means nothing exists
	strategy string
}

// TestGolden pins the text and JSON of plans over real specs: every step
// of every dated version of the declarative canary flow from nothing and
// from the step before, the service's GA sample files, and each strategy
// on the tutorial's flow. Run with -update to rewrite the files after an
// intended change, and review the diff.
func TestGolden(t *testing.T) {
	needCorpus(t)
	var cases []goldenCase
	flows := filepath.Join(corpus, "azureml-examples", "canary-declarative-flow")
	dates, err := os.ReadDir(flows)
	if err != nil {
		t.Fatal(err)
	}
	for _, date := range dates {
		steps, err := filepath.Glob(filepath.Join(flows, date.Name(), "*.y*ml"))
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(steps)
		if len(steps) != 6 {
			t.Errorf("%s: %d steps, want the flow's 6", date.Name(), len(steps))
		}
		for i, step := range steps {
			n := stepNumber(step)
			dir := filepath.Join("flow", date.Name())
			cases = append(cases, goldenCase{name: filepath.Join(dir, "0-to-"+n), to: []string{step}})
			if i > 0 {
				cases = append(cases, goldenCase{name: filepath.Join(dir, stepNumber(steps[i-1])+"-to-"+n), from: []string{steps[i-1]}, to: []string{step}})
			}
		}
	}

	sample := func(files ...string) []string {
		out := make([]string, len(files))
		for i, f := range files {
			out[i] = filepath.Join(corpus, "azureml-examples", "endpoints", "online", "managed", "sample", f+".yml")
		}
		return out
	}
	for _, variant := range []string{"", "-with-curated-env", "-with-registered-assets"} {
		withBlue := sample("endpoint", "blue-deployment"+variant)
		withGreen := sample("endpoint", "blue-deployment"+variant, "green-deployment"+variant)
		cases = append(cases,
			goldenCase{name: "sample/0-to-blue" + variant, to: withBlue},
			goldenCase{name: "sample/blue-to-green" + variant, from: withBlue, to: withGreen},
		)
	}

	// The tutorial's whole rollout in one plan: blue serving, scaled out
	// (step 2), to green alone (step 6); and the canary proper, from green
	// created at 0% (step 3) to green at 100% with blue kept (step 5).
	tutorial := filepath.Join(flows, "2021-08-05")
	for _, st := range []string{"direct", "canary:10,50", "bluegreen", "bluegreen:keep", "shadow:10"} {
		name := strings.ReplaceAll(strings.ReplaceAll(st, ":", "-"), ",", "-")
		cases = append(cases,
			goldenCase{name: "strategy/2-to-6-" + name, from: []string{filepath.Join(tutorial, "2-scale-blue.yml")}, to: []string{filepath.Join(tutorial, "6-delete-blue.yml")}, strategy: st},
			goldenCase{name: "strategy/3-to-5-" + name, from: []string{filepath.Join(tutorial, "3-create-green.yml")}, to: []string{filepath.Join(tutorial, "5-full-green.yml")}, strategy: st},
		)
	}

	for _, c := range cases {
		t.Run(filepath.ToSlash(c.name), func(t *testing.T) {
			text, js := renderCase(t, c)
			golden(t, filepath.Join("testdata", "golden", c.name+".txt"), text)
			if js != nil {
				golden(t, filepath.Join("testdata", "golden", c.name+".json"), js)
			}
		})
	}
}

// stepNumber is the leading number of a flow file's name (3 in
// 3-create-green.yml).
func stepNumber(path string) string {
	n, _, _ := strings.Cut(filepath.Base(path), "-")
	return n
}

// renderCase plans one case and returns its text and JSON; a refused plan
// gives the error as text (pinned like any output) and no JSON. It also
// checks what every plan over real specs must satisfy: it is safe in every
// order and converges, its JSON reads back to the same plan, and planning
// again from where it leads gives nothing to do.
func renderCase(t *testing.T, c goldenCase) (text, js []byte) {
	t.Helper()
	desired := withLabelsAt(load(t, c.to), "3", false)
	var actual []*endpoint.Endpoint
	if len(c.from) > 0 {
		actual = withLabelsAt(load(t, c.from), "3", true)
	}
	var opts plan.Options
	if c.strategy != "" {
		st, err := plan.ParseStrategy(c.strategy)
		if err != nil {
			t.Fatal(err)
		}
		opts.Strategy = st
	}
	p, err := plan.Compute(desired, actual, opts)
	if err != nil {
		if !errors.Is(err, plan.ErrRefused) {
			t.Fatalf("Compute: %v", err)
		}
		return []byte("error: " + err.Error() + "\n"), nil
	}
	if err := plan.Verify(desired, actual, p); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if !plan.Computed(p) {
		t.Error("the plan Compute returned is not Computed: its seal is not the digest of its content")
	}
	replan(t, desired, actual, p, c.strategy)
	var tb, jb bytes.Buffer
	if err := plan.WriteText(&tb, p, plan.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := plan.WriteJSON(&jb, p); err != nil {
		t.Fatal(err)
	}
	back, err := plan.Decode(jb.Bytes())
	if err != nil {
		t.Fatalf("Decode of the plan's own JSON: %v", err)
	}
	if diff := cmp.Diff(p, back, planOpts); diff != "" {
		t.Errorf("JSON round trip changed the plan (-computed +decoded):\n%s", diff)
	}
	return tb.Bytes(), jb.Bytes()
}

// withLabelsAt resolves every asset label of es to version, as observing
// a service that holds it would before planning; pinned writes the version
// instead of the label, as the service holds what was written from such a
// spec.
func withLabelsAt(es []*endpoint.Endpoint, version string, pinned bool) []*endpoint.Endpoint {
	for _, e := range es {
		for i := range e.Deployments {
			d := e.Deployments[i].WithLabels(func(endpoint.LabelField) string { return version })
			if pinned {
				d = d.Pinned()
			}
			e.Deployments[i] = d
		}
	}
	return es
}

// replan applies the plan's steps in order with [plan.Simulate] and plans
// again from where they lead: a plan over real specs must apply and leave
// nothing to do, except that bluegreen:keep leaves the old deployments on
// purpose, for the next plan to delete.
func replan(t *testing.T, desired, actual []*endpoint.Endpoint, p *plan.Plan, strategy string) {
	t.Helper()
	state := actual
	for _, s := range p.Steps {
		var err error
		if state, err = plan.Simulate(state, s); err != nil {
			t.Fatalf("Simulate %s: %v", s.ID, err)
		}
	}
	again, err := plan.Compute(desired, state, plan.Options{})
	if err != nil {
		t.Fatalf("planning again after the plan: %v", err)
	}
	for _, s := range again.Steps {
		if strategy != "bluegreen:keep" || s.Action != plan.DeleteDeployment {
			t.Errorf("planning again after the plan gave more to do:\n%s", again)
			break
		}
	}
}

// load reads spec files the way the rollout command does, every resource
// taken as provisioned.
func load(t *testing.T, paths []string) []*endpoint.Endpoint {
	t.Helper()
	es, err := endpoint.Load(paths...)
	if err != nil {
		t.Fatalf("Load(%v): %v", paths, err)
	}
	for _, e := range es {
		provisioned(e)
	}
	return es
}

// provisioned marks e and its deployments as the service reports them
// once every operation has succeeded, and returns e.
func provisioned(e *endpoint.Endpoint) *endpoint.Endpoint {
	e.Status.ProvisioningState = endpoint.Succeeded
	for i := range e.Deployments {
		e.Deployments[i].Status.ProvisioningState = endpoint.Succeeded
	}
	return e
}

// golden compares got with the file at path, or rewrites the file under
// -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got); run go test -update if the change is intended:\n%s", path, diff)
	}
}
