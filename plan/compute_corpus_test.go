package plan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolloutkit/rollout/endpoint"
)

// corpusFlows returns, for each dated directory of the service's
// declarative canary flow, its six steps loaded in order.
func corpusFlows(t *testing.T) map[string][][]*endpoint.Endpoint {
	t.Helper()
	root := filepath.Join("..", "..", "shared", "corpus", "azureml-examples", "canary-declarative-flow")
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Skipf("corpus not found at %s (it sits beside the module in CI): %v", root, err)
	}
	flows := map[string][][]*endpoint.Endpoint{}
	for _, d := range dirs {
		files, err := filepath.Glob(filepath.Join(root, d.Name(), "*-*.y*ml"))
		if err != nil || len(files) != 6 {
			t.Fatalf("%s: want 6 steps, got %d (%v)", d.Name(), len(files), err)
		}
		for _, f := range files {
			es, err := endpoint.Load(f)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			flows[d.Name()] = append(flows[d.Name()], es)
		}
	}
	return flows
}

// TestCorpusFlows plans every consecutive pair of every dated flow, and
// from nothing to each step, with every strategy: each plan verifies, and
// with Direct stays within the depth bound.
func TestCorpusFlows(t *testing.T) {
	strategies := []Strategy{Direct(), Canary([]int{10, 50}), BlueGreen(false), BlueGreen(true), Shadow(10)}
	for date, steps := range corpusFlows(t) {
		for i, to := range steps {
			froms := map[string][]*endpoint.Endpoint{"nothing": nil}
			if i > 0 {
				froms["previous step"] = steps[i-1]
			}
			for what, from := range froms {
				for _, s := range strategies {
					p, err := Compute(to, from, Options{Strategy: s})
					if err != nil {
						t.Errorf("%s step %d from %s, %s: %v", date, i+1, what, s, err)
						continue
					}
					if err := Verify(to, from, p); err != nil {
						t.Errorf("%s step %d from %s, %s: %v", date, i+1, what, s, err)
					}
					bound := 3
					if from == nil {
						bound = 4
					}
					if d := depth(p); s.kind == direct && d > bound {
						t.Errorf("%s step %d from %s: depth %d, want at most %d", date, i+1, what, d, bound)
					}
				}
			}
		}
	}
}

// TestCorpusEnvironmentRename pins the 2022-02-19 edit: step 6 deletes blue
// and changes the environment of green, which serves all traffic, in
// place and independently.
func TestCorpusEnvironmentRename(t *testing.T) {
	steps, ok := corpusFlows(t)["2022-02-19"]
	if !ok {
		t.Fatal("the 2022-02-19 flow is missing from the corpus")
	}
	p := mustCompute(t, steps[5], steps[4], Options{})
	want := []string{
		"my-endpoint/green/update update_deployment",
		"my-endpoint/blue/delete delete_deployment",
	}
	got := sketch(p)
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("plan = %v, want %v", got, want)
	}
	u := p.Step("my-endpoint/green/update")
	found := false
	for _, c := range u.Changes {
		if strings.HasPrefix(c.Path, "environment") {
			found = true
		}
	}
	if !found {
		t.Errorf("green's update changes %v, want its environment", u.Changes)
	}
}
