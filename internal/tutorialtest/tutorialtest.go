// Package tutorialtest lays out the service's tutorial for tests as its
// users have it: the 2021-08-05 declarative flow's step files, unchanged
// from the corpus, beside the model file, scoring folder and conda file
// they name.
package tutorialtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Flow is the tutorial's folder in the corpus.
var Flow = filepath.Join("azureml-examples", "canary-declarative-flow", "2021-08-05")

// Layout copies the flow's step files from the corpus at corpus into a
// temporary folder, two folders below model-1 and model-2, which hold
// the files the steps name (the model file is "pickle of model-N"). It
// returns the steps' folder and the root, and skips the test when the
// corpus is absent.
func Layout(t *testing.T, corpus string) (steps, root string) {
	t.Helper()
	src := filepath.Join(corpus, Flow)
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Skipf("corpus of the service's examples not found at %s: %v", src, err)
	}
	root = t.TempDir()
	steps = filepath.Join(root, "flow", "2021-08-05")
	files := map[string]string{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files["flow/2021-08-05/"+e.Name()] = string(data)
	}
	for _, m := range []string{"model-1", "model-2"} {
		files[m+"/model/sklearn_regression_model.pkl"] = "pickle of " + m
		files[m+"/onlinescoring/score.py"] = "def init():\n    pass\n\ndef run(data):\n    return '" + m + "'\n"
		files[m+"/environment/conda.yml"] = "name: model-env\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.9\n  - pip\n  - pip:\n    - azureml-defaults\n"
	}
	for rel, content := range files {
		WriteFile(t, filepath.Join(root, filepath.FromSlash(rel)), content)
	}
	return steps, root
}

// WriteFile writes content to p, making its folders.
func WriteFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
