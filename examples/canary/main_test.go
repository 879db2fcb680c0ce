package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestRunGolden pins the walk-through's output, so a change in loading,
// diffing or formatting shows up as a reviewed change to the golden file.
func TestRunGolden(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, defaultOptions()); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "canary.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got := out.String(); got != string(want) {
		t.Errorf("output differs from %s (run go test -update if the change is intended)\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

// endpointYAML is a minimal endpoint file with blue and green; traffic and
// extra are spliced in as YAML lines.
func endpointYAML(name, description, traffic, extra string) string {
	return `name: ` + name + `
description: ` + description + `
traffic: {` + traffic + `}
` + extra + `deployments:
  - name: blue
    model: azureml:m:1
    instance_type: Standard_DS3_v2
    instance_count: 1
  - name: green
    model: azureml:m:2
    instance_type: Standard_DS3_v2
    instance_count: 1
`
}

func TestRun(t *testing.T) {
	base := endpointYAML("my-ep", "scores", "blue: 100", "")
	tests := []struct {
		name   string
		reason string
		files  map[string]string
		want   []string
		absent []string
	}{
		{
			name:   "mirror",
			reason: "a mirror split is shown as state and as a change, since it is lost if an update forgets it",
			files: map[string]string{
				"f/1-start.yaml":  base,
				"f/2-shadow.yaml": endpointYAML("my-ep", "scores", "blue: 100", "mirror_traffic: {green: 10}\n"),
			},
			want: []string{
				"2. Shadow\n",
				"no live traffic, 10% mirrored",
				"mirror       green=10\n",
				"~ mirror green 0 → 10\n",
			},
		},
		{
			name:   "endpoint field",
			reason: "changes to the endpoint itself are listed, not only deployments and traffic",
			files: map[string]string{
				"f/1-start.yaml":    base,
				"f/2-describe.yaml": endpointYAML("my-ep", "scores loans", "blue: 100", ""),
			},
			want: []string{`~ endpoint description: "scores" → "scores loans"` + "\n"},
		},
		{
			name:   "no change",
			reason: "a step equal to the one before says so instead of printing an empty list",
			files: map[string]string{
				"f/1-start.yaml": base,
				"f/2-again.yaml": base,
			},
			want: []string{"2. Again\n   file         f/2-again.yaml\n", "changes      none\n"},
		},
		{
			name:   "dark endpoint",
			reason: "an empty live split is a dark endpoint and must read as such, not as a blank",
			files: map[string]string{
				"f/1-dark.yaml": endpointYAML("my-ep", "scores", "", ""),
			},
			want:   []string{"traffic      none\n"},
			absent: []string{"~ traffic"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := run(&out, options{fsys: mapFS(tc.files), dir: "f"}); err != nil {
				t.Fatalf("%s: %v", tc.reason, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("%s: output lacks %q:\n%s", tc.reason, w, out.String())
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(out.String(), a) {
					t.Errorf("%s: output has %q:\n%s", tc.reason, a, out.String())
				}
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		files  map[string]string
		want   string
	}{
		{
			name:   "empty",
			reason: "a flow without steps is a mistake in the options, not an empty walk-through",
			files:  map[string]string{"f/README.md": "not yaml"},
			want:   "no *.yaml files in f",
		},
		{
			name:   "two endpoints",
			reason: "a step about another endpoint would make the changes meaningless",
			files: map[string]string{
				"f/1-a.yaml": endpointYAML("my-ep", "x", "blue: 100", ""),
				"f/2-b.yaml": endpointYAML("other-ep", "x", "blue: 100", ""),
			},
			want: "f/2-b.yaml: endpoint other-ep, but the flow is about my-ep",
		},
		{
			name:   "invalid spec",
			reason: "the loader's positioned error reaches the user unchanged",
			files: map[string]string{
				"f/1-a.yaml": endpointYAML("my-ep", "x", "blue: 60", ""),
			},
			want: "f/1-a.yaml:3:",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(&out, options{fsys: mapFS(tc.files), dir: "f"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%s: got error %v, want one containing %q", tc.reason, err, tc.want)
			}
			if out.Len() != 0 {
				t.Errorf("%s: printed %q before failing", tc.reason, out.String())
			}
		})
	}
}

func TestTitle(t *testing.T) {
	tests := []struct {
		in, want, reason string
	}{
		{"flow/4-flight-green.yaml", "Flight green", "the number orders the files and is printed separately"},
		{"flow/rollback.yaml", "Rollback", "an unnumbered file keeps its whole name"},
		{"flow/1-.yaml", "flow/1-.yaml", "a name with nothing after the number falls back to the path rather than an empty title"},
	}
	for _, tc := range tests {
		if got := title(tc.in); got != tc.want {
			t.Errorf("title(%q) = %q, want %q: %s", tc.in, got, tc.want, tc.reason)
		}
	}
}

func mapFS(files map[string]string) fstest.MapFS {
	fsys := make(fstest.MapFS, len(files))
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return fsys
}

// BenchmarkRun measures the whole walk-through: loading, validating and
// normalizing six files, diffing each against the one before, and printing.
func BenchmarkRun(b *testing.B) {
	b.ReportAllocs()
	opts := defaultOptions()
	for b.Loop() {
		if err := run(io.Discard, opts); err != nil {
			b.Fatal(err)
		}
	}
}
