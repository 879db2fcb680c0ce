package endpoint

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// corpusFS opens the service's examples, read in place from the shared
// corpus; tests that need them skip when it is absent.
func corpusFS(tb testing.TB) fs.FS {
	tb.Helper()
	dir := filepath.Join("..", "..", "shared", "corpus", "azureml-examples")
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("corpus of the service's examples not found at %s: %v", dir, err)
	}
	return os.DirFS(dir)
}

// corpusRoots are the parts of the corpus that hold online endpoint specs.
var corpusRoots = []string{"endpoints/online", "canary-declarative-flow", "canary-declarative-flow-kubernetes"}

// corpusFiles lists the YAML files under the roots, sorted.
func corpusFiles(tb testing.TB, fsys fs.FS) []string {
	tb.Helper()
	var files []string
	for _, root := range corpusRoots {
		err := fs.WalkDir(fsys, root, func(name string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && isYAMLName(name) {
				files = append(files, name)
			}
			return err
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	slices.Sort(files)
	return files
}

// summary is one line about a loaded endpoint for golden files.
func summary(e *Endpoint) string {
	var ds []string
	for _, d := range e.Deployments {
		ds = append(ds, fmt.Sprintf("%s(%s,%d)", d.Name, d.Type, d.InstanceCount))
	}
	return fmt.Sprintf("%s traffic=[%s] deployments=[%s]", e.Name, e.Traffic, strings.Join(ds, " "))
}

// TestCorpus classifies every YAML file of the examples as a directory
// walk would, loads every step of the declarative flows, and loads every
// directory of the online examples, recording all of it in
// testdata/load/corpus.golden.
func TestCorpus(t *testing.T) {
	fsys := corpusFS(t)
	var b strings.Builder
	counts := make(map[string]int)

	b.WriteString("# Every YAML file, as a directory walk classifies it\n")
	var l Loader
	for _, name := range corpusFiles(t, fsys) {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		f := l.decodeFile(name, data, false)
		var what string
		switch {
		case f.skip != "":
			what = "skipped: " + f.skip
			counts["skipped"]++
		case len(f.errs) > 0:
			f.errs.Sort()
			what = "error: " + f.errs[0].Error()
			counts["error"]++
		default:
			what = f.kind.String()
			counts[what]++
		}
		fmt.Fprintf(&b, "%s: %s\n", name, what)
	}
	// The examples hold 55 endpoint files (the 42 steps of the managed
	// declarative flows and 13 endpoint files of today's layout) and 31
	// deployment files; 48 files are skipped: conda files, assets, package
	// specs, tool configs, and templates, among them the 6 steps of the
	// Kubernetes flow (target: azureml:{{fullyQualifiedComputeId}}), which
	// load when named explicitly. None fails to decode.
	want := map[string]int{"endpoint": 55, "deployment": 31, "skipped": 48}
	if !maps.Equal(counts, want) {
		t.Errorf("counts %v, want %v", counts, want)
	}

	b.WriteString("\n# Every step of the declarative flows, loaded as one endpoint\n")
	for _, name := range corpusFiles(t, fsys) {
		if !strings.HasPrefix(name, "canary-declarative-flow") {
			continue
		}
		l := Loader{}
		if strings.HasPrefix(name, "canary-declarative-flow-kubernetes/") {
			l.EndpointName = "my-endpoint"
		}
		r, err := l.LoadFS(fsys, name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(r.Endpoints) != 1 {
			t.Errorf("%s: %d endpoints, want 1", name, len(r.Endpoints))
			continue
		}
		fmt.Fprintf(&b, "%s: %s\n", name, summary(r.Endpoints[0]))
	}

	b.WriteString("\n# Every directory of the online examples, loaded whole\n")
	dirs := make(map[string]bool)
	for _, name := range corpusFiles(t, fsys) {
		if strings.HasPrefix(name, "endpoints/") {
			dirs[path.Dir(name)] = true
		}
	}
	for _, dir := range slices.Sorted(maps.Keys(dirs)) {
		r, err := l.LoadFS(fsys, dir)
		if err != nil {
			fmt.Fprintf(&b, "%s:\n%s", dir, indent(err.(ErrorList).Lines()))
			continue
		}
		fmt.Fprintf(&b, "%s: %d skipped\n", dir, len(r.Skipped))
		for _, e := range r.Endpoints {
			fmt.Fprintf(&b, "\t%s\n", summary(e))
		}
	}
	checkGolden(t, "corpus.golden", b.String())
}

// TestCorpusManagedSample loads the GA sample the way its tutorial
// deploys it: the endpoint file and the blue and green deployment files.
func TestCorpusManagedSample(t *testing.T) {
	fsys := corpusFS(t)
	const dir = "endpoints/online/managed/sample/"
	var l Loader
	r, err := l.LoadFS(fsys, dir+"endpoint.yml", dir+"blue-deployment.yml", dir+"green-deployment.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Endpoints) != 1 {
		t.Fatalf("%d endpoints, want 1", len(r.Endpoints))
	}
	e := r.Endpoints[0]
	const want = "my-endpoint traffic=[] deployments=[blue(managed,1) green(managed,1)]"
	if got := summary(e); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := e.Deployments[1].Environment.CondaFile; got != "../../model-2/environment/conda.yaml" {
		t.Errorf("green conda_file = %q, want it relative to the endpoint file", got)
	}
}

// TestCorpusFromOS loads a flow step through the operating system's file
// system, the way programs call Load.
func TestCorpusFromOS(t *testing.T) {
	corpusFS(t)
	file := filepath.Join("..", "..", "shared", "corpus", "azureml-examples", "canary-declarative-flow", "2021-08-05", "4-flight-green.yml")
	es, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	const want = "my-endpoint traffic=[blue=90 green=10] deployments=[blue(managed,2) green(managed,2)]"
	if len(es) != 1 || summary(es[0]) != want {
		t.Fatalf("Load(%s) = %v, want %s", file, es, want)
	}
	pos, shown := es[0].src.locate("deployments[green].instance_count")
	if pos.File != file || pos.Line != 54 || shown != "deployments[1].instance_count" {
		t.Errorf("green's instance_count located at %s as %q, want %s:54 as written in the list", pos, shown, file)
	}
}

func indent(s string) string {
	return "\t" + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n\t") + "\n"
}

// TestCorpusRoundTrip writes every loaded flow step and the managed
// sample with Marshal and parses the output as if it stood in place of the
// endpoint file: paths are kept relative to that file's directory, so the
// result is equal.
func TestCorpusRoundTrip(t *testing.T) {
	fsys := corpusFS(t)
	sets := [][]string{{
		"endpoints/online/managed/sample/endpoint.yml",
		"endpoints/online/managed/sample/blue-deployment.yml",
		"endpoints/online/managed/sample/green-deployment.yml",
	}, {
		"endpoints/online/kubernetes",
	}}
	for _, name := range corpusFiles(t, fsys) {
		if strings.HasPrefix(name, "canary-declarative-flow/") {
			sets = append(sets, []string{name})
		}
	}
	var l Loader
	for _, set := range sets {
		r, err := l.LoadFS(fsys, set...)
		if err != nil {
			t.Fatal(err)
		}
		e := r.Endpoints[0]
		out, err := Marshal(e)
		if err != nil {
			t.Errorf("%s: Marshal: %v", set[0], err)
			continue
		}
		back, err := Parse(set[0], out)
		if err != nil {
			t.Errorf("%s: parsing what Marshal wrote: %v\n%s", set[0], err, out)
			continue
		}
		if !Equal(e, back) {
			t.Errorf("%s: loading what Marshal wrote gives a different endpoint:\n%s", set[0], out)
		}
	}
}
