package endpoint

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// flowStep is one file of a flow, loaded.
type flowStep struct {
	file string
	e    *Endpoint
}

// loadFlow loads the steps of one dated directory of a canary flow, in
// file name order (1-create..., 2-scale..., ...).
func loadFlow(t *testing.T, dir string) []flowStep {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The Kubernetes flow has no name: key; the CLI took it as an argument.
	l := Loader{EndpointName: "my-endpoint"}
	var steps []flowStep
	for _, ent := range entries {
		if ent.IsDir() {
			continue
		}
		r, err := l.Load(filepath.Join(dir, ent.Name()))
		if err != nil {
			t.Fatalf("%s: %v", ent.Name(), err)
		}
		if len(r.Endpoints) != 1 {
			t.Fatalf("%s: got %d endpoints, want 1", ent.Name(), len(r.Endpoints))
		}
		steps = append(steps, flowStep{ent.Name(), r.Endpoints[0]})
	}
	slices.SortFunc(steps, func(a, b flowStep) int { return strings.Compare(a.file, b.file) })
	return steps
}

// flowDiff describes what changes from one desired state to the next, as
// a plan would see it: deployments added and removed, field changes of the
// endpoint and of each kept deployment, and the traffic.
func flowDiff(a, b *Endpoint) []string {
	var out []string
	for _, c := range DiffEndpoint(a, b) {
		out = append(out, "~ endpoint "+c.String())
	}
	for _, d := range b.Deployments {
		if a.Deployment(d.Name) == nil {
			out = append(out, "+ deployment "+d.Name)
		}
	}
	for _, d := range a.Deployments {
		nd := b.Deployment(d.Name)
		if nd == nil {
			out = append(out, "- deployment "+d.Name)
			continue
		}
		for _, c := range DiffDeployment(d, *nd) {
			out = append(out, "~ deployment "+d.Name+" "+c.String())
		}
	}
	if !a.Traffic.Equal(b.Traffic) {
		out = append(out, fmt.Sprintf("traffic: %q → %q", a.Traffic, b.Traffic))
	}
	if !a.Mirror.Equal(b.Mirror) {
		out = append(out, fmt.Sprintf("mirror_traffic: %q → %q", a.Mirror, b.Mirror))
	}
	return out
}

// TestFlows writes the differences between consecutive steps of every
// dated version of the canary flows to testdata/flows/<flow>.golden, and
// checks the steps whose meaning the corpus documents.
func TestFlows(t *testing.T) {
	root := corpus(t, "azureml-examples")
	dirs, err := filepath.Glob(filepath.Join(root, "canary-declarative-flow*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no canary flows in the corpus")
	}
	diffs := map[string][][]string{}
	for _, dir := range dirs {
		// canary-declarative-flow/2021-04 → 2021-04,
		// canary-declarative-flow-kubernetes/2021-11-03 → kubernetes-2021-11-03.
		name := strings.TrimPrefix(strings.TrimPrefix(filepath.Base(filepath.Dir(dir)), "canary-declarative-flow"), "-")
		if name != "" {
			name += "-"
		}
		name += filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			steps := loadFlow(t, dir)
			if len(steps) != 6 {
				t.Fatalf("got %d steps, want the flow's 6", len(steps))
			}
			var b strings.Builder
			for i := 1; i < len(steps); i++ {
				d := flowDiff(steps[i-1].e, steps[i].e)
				diffs[name] = append(diffs[name], d)
				fmt.Fprintf(&b, "== %s → %s\n", steps[i-1].file, steps[i].file)
				if len(d) == 0 {
					b.WriteString("(no changes)\n")
				}
				for _, line := range d {
					b.WriteString(line + "\n")
				}
			}
			golden(t, filepath.Join("testdata", "flows", name+".golden"), b.String())
		})
	}

	// Step 1 → 2 of the last published flow scales blue and nothing else.
	if d, ok := diffs["2021-08-05"]; ok {
		want := []string{"~ deployment blue instance_count: 1 → 2"}
		if !slices.Equal(d[0], want) {
			t.Errorf("2021-08-05 step 1 → 2 = %q, want %q", d[0], want)
		}
	} else {
		t.Error("the 2021-08-05 flow is missing from the corpus")
	}
	// The unmerged 2022-02-19 edit renamed green's environment in step 6,
	// while green serves all traffic: the diff must show it.
	if d, ok := diffs["2022-02-19"]; ok {
		if !slices.ContainsFunc(d[4], func(s string) bool { return strings.HasPrefix(s, "~ deployment green environment") }) {
			t.Errorf("2022-02-19 step 5 → 6 = %q, want a change of green's environment", d[4])
		}
	} else {
		t.Error("the 2022-02-19 flow is missing from the corpus")
	}
	// Every flow creates green with no traffic before shifting any to it.
	for name, d := range diffs {
		if !slices.Contains(d[1], "+ deployment green") || slices.ContainsFunc(d[1], func(s string) bool { return strings.HasPrefix(s, "traffic") }) {
			t.Errorf("%s step 2 → 3 = %q, want green created with no traffic change", name, d[1])
		}
	}
}
