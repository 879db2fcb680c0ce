package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rolloutkit/rollout/plan"
)

var update = flag.Bool("update", false, "rewrite golden files")

// corpus is the directory of real specs, read in place.
var corpus = filepath.Join("..", "..", "..", "shared", "corpus")

func flow(step string) string {
	return filepath.Join(corpus, "azureml-examples", "canary-declarative-flow", "2021-08-05", step+".yml")
}

// k8s is a file of the Kubernetes flow, whose endpoint files have no
// name: key (its script passes the name on the command line).
func k8s(step string) string {
	return filepath.Join(corpus, "azureml-examples", "canary-declarative-flow-kubernetes", "2021-11-03", step+".yaml")
}

func sample(name string) string {
	return filepath.Join(corpus, "azureml-examples", "endpoints", "online", "managed", "sample", name+".yml")
}

// TestRun runs the command in-process and pins its exit status and both
// output streams; the outputs are golden files under testdata/run, named
// after the case, and -update rewrites them.
func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		corpus     bool // reads the corpus
		exit       int
		wantStderr bool // stderr has a golden file (the 2021 flow's warnings, errors); otherwise it must be empty
		reason     string
	}{
		{"text", []string{"plan", "--from", flow("3-create-green"), "--to", flow("4-flight-green")}, true, 0, true,
			"the default output: terraform-style text of the flight of green"},
		{"json", []string{"plan", "--json", "--from", flow("3-create-green"), "--to", flow("4-flight-green")}, true, 0, true,
			"the JSON contract for pipelines"},
		{"from-nothing", []string{"plan", "--to", flow("1-create-endpoint-with-blue")}, true, 0, true,
			"without --from nothing exists: endpoint, deployment and traffic are created"},
		{"canary-text", []string{"plan", "--strategy", "canary:10,50", "--from", flow("2-scale-blue"), "--to", flow("6-delete-blue")}, true, 0, true,
			"a strategy reaches Compute: the whole tutorial as one canary plan"},
		{"canary-mermaid", []string{"plan", "--format", "mermaid", "--strategy", "canary:10,50", "--from", flow("2-scale-blue"), "--to", flow("6-delete-blue")}, true, 0, true,
			"the step graph for a pull-request comment"},
		{"canary-dot", []string{"plan", "--format=dot", "--strategy=canary:10,50", "--from=" + flow("2-scale-blue"), "--to=" + flow("6-delete-blue")}, true, 0, true,
			"the step graph for Graphviz, flags written with ="},
		{"detailed-changes", []string{"plan", "--detailed-exitcode", "--from", flow("4-flight-green"), "--to", flow("5-full-green")}, true, 2, true,
			"--detailed-exitcode: 2 when the plan has steps"},
		{"detailed-no-changes", []string{"plan", "--detailed-exitcode", "--from", flow("5-full-green"), "--to", flow("5-full-green")}, true, 0, true,
			"--detailed-exitcode: 0 when there is nothing to do"},
		{"no-changes", []string{"plan", "--from", flow("5-full-green"), "--to", flow("5-full-green")}, true, 0, true,
			"an empty plan says so"},
		{"ga-files", []string{"plan", "--from", sample("endpoint"), "--from", sample("blue-deployment"), "--to", sample("endpoint"), "--to", sample("blue-deployment"), "--to", sample("green-deployment")}, true, 0, false,
			"--from and --to repeat, for an endpoint file and its deployment files"},
		{"directory", []string{"plan", "-json", "--to", filepath.Join("testdata", "specs")}, false, 0, false,
			"a directory of GA-format files; secret environment values never reach the output"},
		{"directory-conflict", []string{"plan", "--to", filepath.Dir(sample("endpoint"))}, true, 1, true,
			"the sample directory defines blue and green three times each: every problem, one a line"},
		{"invalid", []string{"plan", "--to", filepath.Join("testdata", "invalid.yaml")}, false, 1, true,
			"every spec error as FILE:LINE:COL: PATH: message, one a line"},
		{"unknown-key", []string{"plan", "--from", filepath.Join("testdata", "unknown-key.yaml"), "--to", flow("1-create-endpoint-with-blue")}, true, 1, true,
			"the current state is checked as strictly as the desired one, with a did-you-mean hint"},
		{"out-of-range", []string{"plan", "--to", filepath.Join("testdata", "out-of-range.yaml")}, false, 1, true,
			"every range error names the value it got"},
		{"bad-strategy-stage", []string{"plan", "--strategy", "canary:10,150", "--to", flow("1-create-endpoint-with-blue")}, false, 1, true,
			"a canary stage out of range is named"},
		{"refused", []string{"plan", "--from", filepath.Join("testdata", "refuse", "from.yaml"), "--to", filepath.Join("testdata", "refuse", "to.yaml")}, false, 1, true,
			"changing instance_type of a serving deployment is refused with the safe path"},
		{"refused-files", []string{"plan", "--from", filepath.Join("testdata", "refuse-files", "from"), "--to", filepath.Join("testdata", "refuse-files", "to")}, false, 1, true,
			"two refusals, one a line, each at the field in its own deployment file"},
		{"refused-map", []string{"plan", "--from", filepath.Join("testdata", "refuse", "map-from.yaml"), "--to", filepath.Join("testdata", "refuse", "map-to.yaml")}, false, 1, true,
			"deployments written as a map (the 2021 draft's form): the path names the key"},
		{"missing-file", []string{"plan", "--to", filepath.Join("testdata", "no-such-file.yaml")}, false, 1, true,
			"an unreadable path is invalid input"},
		{"no-to", []string{"plan", "--from", flow("1-create-endpoint-with-blue")}, false, 1, true,
			"--to is required"},
		{"bad-format", []string{"plan", "--format", "yaml", "--to", flow("1-create-endpoint-with-blue")}, false, 1, true,
			"only the four formats"},
		{"json-and-format", []string{"plan", "--json", "--format", "dot", "--to", flow("1-create-endpoint-with-blue")}, false, 1, true,
			"contradicting flags are refused rather than one silently winning"},
		{"bad-strategy", []string{"plan", "--strategy", "canary", "--to", flow("1-create-endpoint-with-blue")}, false, 1, true,
			"a strategy that does not parse"},
		{"extra-argument", []string{"plan", "--to", flow("1-create-endpoint-with-blue"), "extra.yaml"}, false, 1, true,
			"paths go after a flag"},
		{"unknown-flag", []string{"plan", "--output", "x"}, false, 1, true,
			"the flag package reports it with the usage"},
		{"canary-markdown", []string{"plan", "--format", "markdown", "--strategy", "canary:10,50", "--from", flow("2-scale-blue"), "--to", flow("6-delete-blue")}, true, 0, true,
			"the plan for a pull-request comment: summary first, a section per endpoint, the graph in a mermaid fence"},
		{"status", []string{"status", "--from", flow("4-flight-green")}, true, 0, true,
			"the live split as bars, each deployment's state and instances"},
		{"status-named", []string{"status", "--from", filepath.Join("testdata", "specs"), "credit-risk", "missing-endpoint"}, false, 0, false,
			"named endpoints, and one the service does not hold"},
		{"status-help", []string{"status", "--help"}, false, 0, false,
			"status's help, on stdout"},
		{"show-help", []string{"show", "--help"}, false, 0, false,
			"show's help, on stdout"},
		{"show-no-file", []string{"show"}, false, 1, true,
			"show needs a plan"},
		{"show-not-a-plan", []string{"show", filepath.Join("testdata", "invalid.yaml")}, false, 1, true,
			"a file that is not a plan is refused"},
		{"plan-help", []string{"plan", "-h"}, false, 0, false,
			"help is not an error, and goes to stdout"},
		{"plan-help-long", []string{"plan", "--help"}, false, 0, false,
			"--help is -h"},
		{"help-flag", []string{"--help"}, false, 0, false,
			"the usage on stdout"},
		{"empty", []string{"plan", "--to", filepath.Join("testdata", "empty")}, false, 1, true,
			"no endpoint specs: refused with what was skipped and why, not \"No changes\""},
		{"kubernetes-unnamed", []string{"plan", "--to", k8s("1-create-endpoint-with-blue")}, true, 1, true,
			"the Kubernetes flow's files have no name: the error says how to give one"},
		{"kubernetes", []string{"plan", "--endpoint-name", "k8s-endpoint", "--from", k8s("3-create-green"), "--to", k8s("4-flight-green")}, true, 0, true,
			"--endpoint-name names the Kubernetes flow's endpoint, in --from and --to alike"},
		{"kubernetes-name", []string{"plan", "--name", "k8s-endpoint", "--to", k8s("1-create-endpoint-with-blue")}, true, 0, true,
			"--name names the endpoint of a single endpoint file"},
		{"name-directory", []string{"plan", "--name", "k8s-endpoint", "--to", filepath.Join("testdata", "specs")}, false, 1, true,
			"--name is for one endpoint file, not a directory"},
		{"name-differs", []string{"plan", "--name", "other", "--to", filepath.Join("testdata", "specs", "endpoint.yaml"), "--to", filepath.Join("testdata", "specs", "blue.yaml")}, false, 1, true,
			"--name with more than one file"},
		{"name-mismatch", []string{"plan", "--name", "other", "--to", flow("1-create-endpoint-with-blue")}, true, 1, true,
			"the file names another endpoint than --name: refused rather than either silently winning"},
		{"delete-unlisted", []string{"plan", "--delete-unlisted", "--from", filepath.Join("testdata", "specs"), "--from", flow("1-create-endpoint-with-blue"), "--to", flow("2-scale-blue")}, true, 0, true,
			"--delete-unlisted: the plan shows each endpoint it deletes"},
		{"replace-refused", []string{"plan", "--from", filepath.Join("testdata", "replace", "from.yaml"), "--to", filepath.Join("testdata", "replace", "to.yaml")}, false, 1, true,
			"blue serves traffic and its instance_type changes: refused without --allow-replace"},
		{"allow-replace", []string{"plan", "--allow-replace", "--from", filepath.Join("testdata", "replace", "from.yaml"), "--to", filepath.Join("testdata", "replace", "to.yaml")}, false, 0, false,
			"--allow-replace drains, replaces and refills the serving deployment the planner refuses without it"},
		{"no-command", nil, false, 1, true,
			"the usage, as an error"},
		{"unknown-command", []string{"destroy"}, false, 1, true,
			"an unknown command"},
		{"refuse-legacy", []string{"plan", "--refuse-legacy", "--to", flow("1-create-endpoint-with-blue")}, true, 1, true,
			"--refuse-legacy refuses the 2021 forms the tutorial's flow is written in, as today's az ml does"},
		{"help", []string{"help"}, false, 0, false,
			"the usage on stdout"},
		{"labels", []string{"plan", "--from", sample("endpoint"), "--from", sample("blue-deployment-with-curated-env"), "--to", sample("endpoint"), "--to", sample("blue-deployment-with-curated-env"), "--to", sample("green-deployment-with-curated-env")}, true, 0, false,
			"the registry label of the curated environment resolves to the version the service holds: blue is unchanged, green is created with it"},
		{"label-unresolved", []string{"plan", "--to", sample("endpoint"), "--to", sample("green-deployment-with-curated-env")}, true, 1, true,
			"the service holds no version of the environment the label names: refused at the field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.corpus {
				if _, err := os.Stat(corpus); err != nil {
					t.Skipf("corpus not found at %s (%v); .ci/run guarantees it", corpus, err)
				}
			}
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.exit {
				t.Errorf("exit status %d, want %d (%s)\nstderr:\n%s", code, tt.exit, tt.reason, stderr.String())
			}
			golden(t, filepath.Join("testdata", "run", tt.name+".stdout"), stdout.Bytes())
			if tt.wantStderr {
				golden(t, filepath.Join("testdata", "run", tt.name+".stderr"), stderr.Bytes())
			} else if stderr.Len() > 0 {
				t.Errorf("unexpected stderr (%s):\n%s", tt.reason, stderr.String())
			}
			if strings.Contains(stdout.String()+stderr.String(), "do-not-print-me") {
				t.Errorf("a secret value reached the output")
			}
		})
	}
}

// TestJSONFlagIsFormatJSON: --json is a shorthand, so both spellings must
// print the same bytes, and the bytes must read back as a plan.
func TestJSONFlagIsFormatJSON(t *testing.T) {
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("corpus not found at %s (%v)", corpus, err)
	}
	base := []string{"plan", "--from", flow("2-scale-blue"), "--to", flow("3-create-green")}
	var a, b, stderr bytes.Buffer
	if code := run(append(base, "--json"), &a, &stderr); code != 0 {
		t.Fatalf("--json: exit %d: %s", code, stderr.String())
	}
	if code := run(append(base, "--format", "json", "--json"), &b, &stderr); code != 0 {
		t.Fatalf("--format json --json: exit %d: %s", code, stderr.String())
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("--json and --format json print different bytes")
	}
	p, err := plan.Decode(a.Bytes())
	if err != nil {
		t.Fatalf("the printed JSON does not decode: %v", err)
	}
	if p.Empty() {
		t.Error("creating green gave an empty plan")
	}
}

// TestDeterministic runs the same plan twice: pipelines diff saved plans.
func TestDeterministic(t *testing.T) {
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("corpus not found at %s (%v)", corpus, err)
	}
	for _, format := range []string{"text", "json", "mermaid", "dot"} {
		args := []string{"plan", "--format", format, "--strategy", "bluegreen", "--from", flow("2-scale-blue"), "--to", flow("6-delete-blue")}
		var first, second, errFirst, errSecond bytes.Buffer
		a, b := run(args, &first, &errFirst), run(args, &second, &errSecond)
		if a != 0 || b != 0 || !bytes.Equal(first.Bytes(), second.Bytes()) || !bytes.Equal(errFirst.Bytes(), errSecond.Bytes()) {
			t.Errorf("%s: two runs differ or failed:\n%s", format, errFirst.String())
		}
	}
}

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

// TestRefusalUnlocated: when no file defines the refused resource (a
// Kubernetes endpoint named on the command line, say), the error still
// names it.
func TestRefusalUnlocated(t *testing.T) {
	tests := []struct {
		refused *plan.RefusedError
		want    string
		reason  string
	}{
		{&plan.RefusedError{Endpoint: "ep", Deployment: "blue", Rule: "S6", Msg: "instance_type cannot change", Remedy: "use a new name"},
			"ep/blue: S6: instance_type cannot change; use a new name", "a deployment"},
		{&plan.RefusedError{Endpoint: "ep", Rule: "S6", Msg: "compute cannot change", Remedy: "use a new endpoint"},
			"ep: S6: compute cannot change; use a new endpoint", "the endpoint itself"},
	}
	for _, tt := range tests {
		got := refusal(tt.refused, nil).Error()
		if got != tt.want {
			t.Errorf("refusal = %q, want %q (%s)", got, tt.want, tt.reason)
		}
	}
}

// TestFlagsAfterArguments: a flag written after an argument means what it
// means before it, as apply's plan FILE has always allowed; it is never
// taken for an endpoint name or a second FILE.
func TestFlagsAfterArguments(t *testing.T) {
	planFile := filepath.Join(t.TempDir(), "plan.json")
	if code := run([]string{"plan", "--to", specs, "--out", planFile}, new(bytes.Buffer), new(bytes.Buffer)); code != 0 {
		t.Fatalf("plan --out: exit status %d", code)
	}
	for _, tc := range []struct {
		after, before []string
		reason        string
	}{
		{[]string{"status", "credit-risk", "--from", specs}, []string{"status", "--from", specs, "credit-risk"},
			"status ENDPOINT --from PATH: --from is the state, not two more endpoints"},
		{[]string{"status", "credit-risk", "--watch=false", "other"}, []string{"status", "--watch=false", "credit-risk", "other"},
			"flags between endpoint names"},
		{[]string{"show", planFile, "--format", "markdown"}, []string{"show", "--format", "markdown", planFile},
			"show FILE --format markdown, as a pipeline step may write it"},
	} {
		var outA, errA, outB, errB bytes.Buffer
		codeA := run(tc.after, &outA, &errA)
		codeB := run(tc.before, &outB, &errB)
		if codeA != codeB || outA.String() != outB.String() || errA.String() != errB.String() {
			t.Errorf("%q: exit status %d, stdout:\n%s\nstderr:\n%s\nwant as %q: %d, stdout:\n%s\nstderr:\n%s\n(%s)",
				tc.after, codeA, outA.String(), errA.String(), tc.before, codeB, outB.String(), errB.String(), tc.reason)
		}
	}
	// After --, nothing is a flag, as for the flag package.
	var stdout, stderr bytes.Buffer
	if code := run([]string{"status", "one", "--", "--from", "-x"}, &stdout, &stderr); code != 0 || strings.Count(stdout.String(), ": not found") != 3 || !strings.Contains(stdout.String(), "Endpoint --from: not found") {
		t.Errorf("status one -- --from -x: exit status %d, stdout:\n%s\nstderr:\n%s\nwant three endpoints not found", code, stdout.String(), stderr.String())
	}
}
