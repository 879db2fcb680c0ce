package endpoint

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// TestWarnings records the warnings of specs that load but are written in
// forms the service's CLI no longer accepts or has deprecated, in
// testdata/load/warnings.golden, and checks that they are warnings: apart
// from errors, kept by each endpoint, never matching ErrInvalid.
func TestWarnings(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		loader Loader
		reason string
	}{
		{name: "2021 kubernetes flow", files: map[string]string{"ep.yml": legacyKubernetes}, loader: Loader{EndpointName: "k8s-endpoint"}, reason: "each 2021 form, at its key, naming today's"},
		{
			name: "2021 instance_count and deprecated flag in a deployment file",
			files: map[string]string{
				"ep.yml":    strings.Replace(managed, "  blue: 100", "  blue: 50\n  green: 50", 1),
				"green.yml": "name: green\nendpoint_name: my-endpoint\nmodel: azureml:m:1\ninstance_type: Standard_DS3_v2\nscale_settings:\n  instance_count: 2\nprivate_network_connection: true\n",
			},
			reason: "warnings of deployment files join their endpoint's",
		},
		{
			name: "what the CLI registers with an inline asset",
			files: map[string]string{"ep.yml": strings.Replace(strings.Replace(managed,
				"model: azureml:model-1:1", "model:\n      name: m\n      version: 1\n      path: model\n      description: the model\n      tags: {team: ml}\n      properties: {p: 1}\n      flavors: {python_function: {loader_module: x}}\n      utc_time_created: 2021-05-06\n      job_name: run-1\n      latest_version: 2\n      creation_context: {created_by: someone}", 1),
				"environment: azureml:env:1", "environment:\n      image: img:1\n      description: the image\n      tags: {team: ml}\n      datastore: workspaceblobstore\n      latest_version: 3\n      creation_context: {created_by: someone}\n      auto_delete_setting: {condition: created_greater_than}", 1)},
			reason: "the service's CLI reads an inline model's and environment's description, tags and the like, and registers them with the asset; " +
				"they load, each with a warning, as nothing here registers them; the read-only fields are dropped without one",
		},
		{name: "today's forms", files: map[string]string{"ep.yml": kubernetes}, reason: "nothing to warn about"},
	}
	var b strings.Builder
	for _, tt := range tests {
		fsys := fstest.MapFS{}
		var paths []string
		for name, data := range tt.files {
			fsys[name] = &fstest.MapFile{Data: []byte(data)}
			paths = append(paths, name)
		}
		slices.Sort(paths)
		r, err := tt.loader.LoadFS(fsys, paths...)
		if err != nil {
			t.Errorf("%s: %v (%s)", tt.name, err, tt.reason)
			continue
		}
		var each ErrorList
		for _, e := range r.Endpoints {
			each = append(each, e.Warnings()...)
		}
		each.Sort()
		if !slices.Equal(each, r.Warnings) {
			t.Errorf("%s: the endpoints' warnings\n%s differ from Result.Warnings\n%s", tt.name, each.Lines(), r.Warnings.Lines())
		}
		for _, w := range r.Warnings {
			if w.Severity != SeverityWarning || errors.Is(w, ErrInvalid) || w.Pos.Line == 0 {
				t.Errorf("%s: %v: severity %v, matches ErrInvalid %v, want a positioned warning", tt.name, w, w.Severity, errors.Is(w, ErrInvalid))
			}
		}
		fmt.Fprintf(&b, "== %s (%s)\n%s\n", tt.name, tt.reason, r.Warnings.Lines())
	}
	checkGolden(t, "warnings.golden", b.String())
}

// TestParseWarnings checks that Parse, which returns no Result, leaves
// the warnings with the endpoint, and that clones keep them.
func TestParseWarnings(t *testing.T) {
	l := Loader{EndpointName: "k8s-endpoint"}
	e, err := l.Parse("ep.yml", []byte(legacyKubernetes))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(e.Warnings()); got != 7 {
		t.Errorf("Parse: %d warnings, want one for each of the 7 2021 forms:\n%s", got, e.Warnings().Lines())
	}
	if !slices.Equal(e.Clone().Warnings(), e.Warnings()) {
		t.Error("a clone lost the warnings")
	}
	if w := (&Endpoint{}).Warnings(); w != nil {
		t.Errorf("an endpoint built in code has warnings %v", w)
	}
}
