package main

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
)

// elapsed matches the times of progress lines, which depend on the
// machine: "[3/8 10m35s]" is compared as "[3/8 T]".
var elapsed = regexp.MustCompile(`\[(\d+)/(\d+) [^\]]+\]`)

// heldState matches the fingerprint of what a service holds in a stale
// plan's error: the emulator's ETags depend on the order of concurrent
// reads, so it differs from run to run.
var heldState = regexp.MustCompile(`now holds state [0-9a-f]+`)

// jsonClock matches the wall-clock and elapsed times of apply --json, and
// its version, which depends on how the test binary was built.
var jsonClock = regexp.MustCompile(`"(@timestamp|elapsed_seconds|rollout|@message)":("[^"]*(go1|Z)[^"]*"|[0-9.e+-]+)`)

// fast runs the in-memory service a million times faster than the real
// one, and one step at a time so that the progress lines come in one
// order.
var fast = []string{"--speed", "1e6", "--parallelism", "1"}

// auto applies a plan computed from --to without asking.
var auto = append([]string{"--auto-approve"}, fast...)

// specs is a GA-format directory whose green deployment has a secret,
// SCORING_API_KEY: do-not-print-me.
var specs = filepath.Join("testdata", "specs")

// invocation is one run of the command in a test.
type invocation struct {
	name     string // golden files testdata/apply/NAME.stdout and .stderr
	args     []string
	terminal bool
	stdin    string
	exit     int
	reason   string
}

// invoke runs the command with c's hooks and checks its exit status and
// outputs against golden files; "PLAN" in args is replaced by the path of
// the test's plan file.
func invoke(t *testing.T, c *command, planFile string, in invocation) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c.stdin, c.stdout, c.stderr, c.terminal = strings.NewReader(in.stdin), &stdout, &stderr, in.terminal
	args := make([]string, len(in.args))
	for i, a := range in.args {
		args[i] = strings.ReplaceAll(a, "PLAN", planFile)
	}
	if code := c.run(t.Context(), args); code != in.exit {
		t.Errorf("%s: exit status %d, want %d (%s)\nstdout:\n%s\nstderr:\n%s", in.name, code, in.exit, in.reason, stdout.String(), stderr.String())
	}
	clean := func(b []byte) []byte {
		b = bytes.ReplaceAll(b, []byte(planFile), []byte("PLAN"))
		b = heldState.ReplaceAll(b, []byte("now holds state F"))
		b = jsonClock.ReplaceAll(b, []byte(`"$1":"T"`))
		return elapsed.ReplaceAll(b, []byte("[$1/$2 T]"))
	}
	golden(t, filepath.Join("testdata", "apply", in.name+".stdout"), clean(stdout.Bytes()))
	golden(t, filepath.Join("testdata", "apply", in.name+".stderr"), clean(stderr.Bytes()))
	if strings.Contains(stdout.String()+stderr.String(), "do-not-print-me") {
		t.Errorf("%s: a secret value reached the output", in.name)
	}
}

func needCorpus(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("corpus not found at %s (%v); .ci/run guarantees it", corpus, err)
	}
}

// TestApplyFake runs sequences of commands on the in-memory service, each
// sequence sharing one plan file.
func TestApplyFake(t *testing.T) {
	tests := []struct {
		name   string
		corpus bool
		steps  []invocation
	}{
		{"saved-plan", true, []invocation{
			{"saved-plan", []string{"plan", "--from", flow("3-create-green"), "--to", flow("4-flight-green"), "--out", "PLAN"}, false, "", 0,
				"--out saves the plan and still prints it"},
			{"saved-show", []string{"show", "PLAN"}, false, "", 0,
				"show prints the saved plan as plan printed it, reading no service"},
			{"saved-show-markdown", []string{"show", "--format", "markdown", "PLAN"}, false, "", 0,
				"and as Markdown, for the pull request"},
			{"saved-apply", append([]string{"apply", "--from", flow("3-create-green"), "PLAN"}, fast...), false, "", 0,
				"the service seeded from the same files holds the plan's state: the plan is current and applied"},
			{"saved-stale", append([]string{"apply", "--from", flow("2-scale-blue"), "PLAN"}, fast...), false, "", 1,
				"seeded from other files, the service holds another state: the plan is stale and refused"},
			{"saved-strategy", []string{"apply", "--strategy", "canary:10", "PLAN"}, false, "", 1,
				"a saved plan has its strategy already"},
			{"saved-other-specs", append([]string{"apply", "--from", flow("3-create-green"), "--to", flow("5-full-green"), "PLAN"}, fast...), false, "", 1,
				"the plan was computed for 4-flight-green: applied with other specs, it is refused before anything is sent"},
			{"saved-same-specs", append([]string{"apply", "--from", flow("3-create-green"), "--to", flow("4-flight-green"), "PLAN"}, fast...), false, "", 0,
				"with the specs it was computed for, the saved plan is applied without asking"},
		}},
		{"confirm", true, []invocation{
			{"confirm-no-terminal", append([]string{"apply", "--from", flow("3-create-green"), "--to", flow("4-flight-green")}, fast...), false, "", 1,
				"without a terminal and without --auto-approve nobody confirmed the plan: refused, naming the flag"},
			{"json-apply", append([]string{"apply", "--json", "--auto-approve", "--strategy", "canary:10", "--from", flow("3-create-green"), "--to", flow("5-full-green")}, fast...), false, "", 0,
				"apply --json: one JSON object per line, the plan's steps, then each event, then the result"},
			{"confirm-json-without-auto", append([]string{"apply", "--json", "--from", flow("3-create-green"), "--to", flow("4-flight-green")}, fast...), false, "", 1,
				"a JSON stream cannot ask"},
		}},
		{"labels", true, []invocation{
			{"labels-saved", []string{"plan", "--from", sample("endpoint"), "--from", sample("blue-deployment-with-curated-env"), "--to", sample("endpoint"), "--to", sample("blue-deployment-with-curated-env"), "--to", sample("green-deployment-with-curated-env"), "--out", "PLAN"}, false, "", 0,
				"the plan resolves the registry label of the curated environment and saves the version it resolved"},
			{"labels-apply", append([]string{"apply", "--from", sample("endpoint"), "--from", sample("blue-deployment-with-curated-env"), "--to", sample("endpoint"), "--to", sample("blue-deployment-with-curated-env"), "--to", sample("green-deployment-with-curated-env"), "PLAN"}, fast...), false, "", 0,
				"the label still points there and the specs read again match the plan's desired state: applied"},
		}},
		{"empty", false, []invocation{
			{"empty-to", []string{"apply", "--auto-approve", "--to", filepath.Join("testdata", "empty")}, false, "", 1,
				"a directory without endpoint specs is refused, listing what was skipped, rather than reported as no changes"},
		}},
		{"canary", true, []invocation{
			{"canary-apply", append([]string{"apply", "--strategy", "canary:10,50", "--from", flow("2-scale-blue"), "--to", flow("6-delete-blue")}, auto...), false, "", 0,
				"--to plans against the service, prints the plan and applies it with smoke and bake gates, showing progress"},
		}},
		{"approval", true, []invocation{
			{"approval-no-terminal", append([]string{"apply", "--strategy", "canary:10:approval", "--from", flow("3-create-green"), "--to", flow("5-full-green")}, auto...), false, "", 1,
				"nobody can answer: the approval gate is refused before anything is sent; --auto-approve confirms the plan, not the gates"},
			{"approval-auto", append([]string{"apply", "--approve-gates", "--strategy", "canary:10:approval", "--from", flow("3-create-green"), "--to", flow("5-full-green")}, auto...), false, "", 0,
				"--approve-gates passes the gate"},
			{"approval-yes", append([]string{"apply", "--strategy", "canary:10:approval", "--from", flow("3-create-green"), "--to", flow("5-full-green")}, fast...), true, "yes\nyes\n", 0,
				"on a terminal apply asks to confirm the plan and the gate asks to go on; yes and yes"},
			{"approval-no", append([]string{"apply", "--rollback", "--strategy", "canary:10:approval", "--from", flow("3-create-green"), "--to", flow("5-full-green")}, auto...), true, "no\n", 1,
				"anything but yes stops the rollout, and --rollback restores the split from before it"},
		}},
		{"refused", false, []invocation{
			{"refused", []string{"apply", "--auto-approve", "--from", filepath.Join("testdata", "refuse", "from.yaml"), "--to", filepath.Join("testdata", "refuse", "to.yaml")}, false, "", 1,
				"a plan the planner refuses is reported at the field, FILE:LINE:COL, and nothing is applied"},
		}},
		{"usage", false, []invocation{
			{"no-desired-state", []string{"apply"}, false, "", 1, "--to or a plan file is required"},
			{"two-files", []string{"apply", "a.json", "b.json"}, false, "", 1, "one plan at a time"},
			{"azure-flag-on-fake", []string{"apply", "--subscription", "s", "--to", specs}, false, "", 1,
				"a forgotten --backend azureml must not apply to an empty fake"},
			{"from-on-azureml", []string{"plan", "--backend", "azureml", "--from", specs, "--to", specs}, false, "", 1,
				"the real service's state is its own"},
			{"azureml-without-workspace", []string{"apply", "--backend", "azureml", "--subscription", "s", "--resource-group", "g", "--location", "westeurope", "--to", specs}, false, "", 1,
				"the workspace is required"},
			{"unknown-backend", []string{"plan", "--backend", "aws", "--to", specs}, false, "", 1, "only two backends"},
			{"slow", []string{"apply", "--speed", "0.5", "--to", specs}, false, "", 1, "the fake cannot run slower than the service"},
			{"speed-nan", []string{"apply", "--speed", "NaN", "--to", specs}, false, "", 1, "NaN is no speed: before, it was taken, and the times printed were nonsense"},
			{"speed-inf", []string{"apply", "--speed", "+Inf", "--to", specs}, false, "", 1, "an infinite speed is no speed: before, it was taken, and apply never ended"},
			{"missing-plan", []string{"apply", filepath.Join("testdata", "no-such-plan.json")}, false, "", 1, "an unreadable plan file"},
			{"not-a-plan", []string{"apply", filepath.Join("testdata", "invalid.yaml")}, false, "", 1, "a file that is not a plan"},
			{"apply-help", []string{"apply", "-h"}, false, "", 0, "help is not an error, and goes to stdout"},
			{"zero-parallelism", []string{"apply", "--parallelism", "0", "--to", specs}, false, "", 1, "the value out of range is named"},
			{"single-dash-unknown", []string{"apply", "-output", "x"}, false, "", 1, "flags are named with two dashes, however they were typed"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.corpus {
				needCorpus(t)
			}
			planFile := filepath.Join(t.TempDir(), "plan.json")
			for _, in := range tt.steps {
				invoke(t, &command{}, planFile, in)
			}
		})
	}
}

// TestApplySecrets: a saved plan never holds a secret value; applied with
// the desired state it was computed for, the service gets the real value;
// with files changed since, it is refused at the changed deployment.
func TestApplySecrets(t *testing.T) {
	planFile := filepath.Join(t.TempDir(), "plan.json")
	c := &command{}
	invoke(t, c, planFile, invocation{"secrets-plan", []string{"plan", "--to", specs, "--out", "PLAN"}, false, "", 0,
		"the plan of an endpoint whose green deployment has a secret"})
	data, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("do-not-print-me")) {
		t.Fatal("the saved plan holds the secret value")
	}
	if st, err := os.Stat(planFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the plan file's mode is not 0600: %v %v", st.Mode(), err)
	}

	invoke(t, c, planFile, invocation{"secrets-without-to", append([]string{"apply", "PLAN"}, fast...), false, "", 1,
		"without the desired state the redacted value cannot be written: refused, with how to supply it"})
	invoke(t, c, planFile, invocation{"secrets-changed", append([]string{"apply", "--to", filepath.Join("testdata", "secrets-changed"), "PLAN"}, fast...), false, "", 1,
		"the desired files changed since the plan: refused before anything is sent"})
	invoke(t, c, planFile, invocation{"secrets-apply", append([]string{"apply", "--to", specs, "PLAN"}, fast...), false, "", 0,
		"with the desired state the plan was computed for, the secret is filled in and written"})
	e, ok := c.fake.Peek("credit-risk")
	if !ok {
		t.Fatal("credit-risk was not created")
	}
	for _, d := range e.Deployments {
		if d.Name == "green" && d.EnvironmentVariables["SCORING_API_KEY"] != "do-not-print-me" {
			t.Errorf("green's SCORING_API_KEY is not the value of the desired state (len %d)", len(d.EnvironmentVariables["SCORING_API_KEY"]))
		}
	}
}

// TestApplyAzureML applies through the azureml backend to the REST
// emulator over TLS, then plans again against it: nothing left to do.
func TestApplyAzureML(t *testing.T) {
	svc := fakes.New(fakes.Options{TimeScale: 1e-6, NoHistory: true})
	srv := httptest.NewTLSServer(rest.New(svc, rest.Options{
		Subscription: "00000000-1111-2222-3333-444444444444", ResourceGroup: "ml-rg", Workspace: "ml-ws",
		RetryAfter: time.Millisecond,
	}))
	t.Cleanup(srv.Close)
	c := &command{hooks: azureHooks{endpoint: srv.URL, transport: srv.Client(), cred: &fake.TokenCredential{}}}
	azure := []string{"--backend", "azureml", "--subscription", "00000000-1111-2222-3333-444444444444",
		"--resource-group", "ml-rg", "--workspace", "ml-ws", "--location", "westeurope"}
	planFile := filepath.Join(t.TempDir(), "plan.json")

	invoke(t, c, planFile, invocation{"azureml-plan", append([]string{"plan", "--to", specs, "--out", "PLAN"}, azure...), false, "", 0,
		"plan observes the workspace through the REST API: empty, so everything is created"})
	invoke(t, c, planFile, invocation{"azureml-apply", append([]string{"apply", "--parallelism", "1", "--to", specs, "PLAN"}, azure...), false, "", 0,
		"the saved plan is current for the workspace and applied over TLS, secret included"})
	invoke(t, c, planFile, invocation{"azureml-again", append([]string{"plan", "--detailed-exitcode", "--to", specs}, azure...), false, "", 0,
		"the workspace now holds the desired state: nothing to do"})
	invoke(t, c, planFile, invocation{"azureml-stale", append([]string{"apply", "--to", specs, "PLAN"}, azure...), false, "", 1,
		"the same plan again: the workspace changed since, so it is stale"})

	e, ok := svc.Peek("credit-risk")
	if !ok {
		t.Fatal("credit-risk was not created in the emulator")
	}
	if got := e.Traffic.String(); got != "blue=90 green=10" {
		t.Errorf("traffic %s, want blue=90 green=10", got)
	}
	for _, d := range e.Deployments {
		if d.Name == "green" && d.EnvironmentVariables["SCORING_API_KEY"] != "do-not-print-me" {
			t.Error("green's secret did not reach the service")
		}
	}
}

// noLogin fails as azidentity's default chain does when nobody signed in.
type noLogin struct{}

func (noLogin) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, errors.New("DefaultAzureCredential: failed to acquire a token; no credential in the chain could authenticate")
}

// TestAzureMLSignIn: without credentials the request never leaves the
// machine. That is a failure to authenticate, with how to sign in, not a
// service that does not answer.
func TestAzureMLSignIn(t *testing.T) {
	svc := fakes.New(fakes.Options{TimeScale: 1e-6, NoHistory: true})
	srv := httptest.NewTLSServer(rest.New(svc, rest.Options{
		Subscription: "00000000-1111-2222-3333-444444444444", ResourceGroup: "ml-rg", Workspace: "ml-ws",
		RetryAfter: time.Millisecond,
	}))
	t.Cleanup(srv.Close)
	c := &command{hooks: azureHooks{endpoint: srv.URL, transport: srv.Client(), cred: noLogin{}}}
	azure := []string{"--backend", "azureml", "--subscription", "00000000-1111-2222-3333-444444444444",
		"--resource-group", "ml-rg", "--workspace", "ml-ws", "--location", "westeurope"}
	for _, cmd := range []string{"plan", "apply"} {
		args := []string{cmd, "--to", specs}
		if cmd == "apply" {
			args = append(args, "--auto-approve")
		}
		invoke(t, c, "PLAN", invocation{"azureml-no-login-" + cmd, append(args, azure...), false, "", 1,
			"missing credentials: say it is authentication, and how to sign in"})
	}
}
