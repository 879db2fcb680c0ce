package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"

	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
)

// readmeCommands returns the lines of README.md's code blocks that run
// the command against Azure, with $SUBSCRIPTION_ID set to what the README
// sets it to.
func readmeCommands(t *testing.T) (subscription string, cmds [][]string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "SUBSCRIPTION_ID="); ok {
			subscription = strings.Fields(v)[0]
		}
		if strings.HasPrefix(line, "rollout ") && strings.Contains(line, "--backend azureml") {
			cmds = append(cmds, strings.Fields(line)[1:])
		}
	}
	if subscription == "" || len(cmds) == 0 {
		t.Fatal("README.md shows no commands against a workspace")
	}
	return subscription, cmds
}

// TestREADMEWorkspaceCommands runs README.md's commands against a
// workspace, word for word, on the REST emulator in a directory holding
// specs/: they must work as written.
func TestREADMEWorkspaceCommands(t *testing.T) {
	sub, cmds := readmeCommands(t)
	specsDir, err := filepath.Abs(specs)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "specs"), os.DirFS(specsDir)); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)

	svc := fakes.New(fakes.Options{TimeScale: 1e-6, NoHistory: true})
	srv := httptest.NewTLSServer(rest.New(svc, rest.Options{
		Subscription: sub, ResourceGroup: "ml-rg", Workspace: "ml-workspace", RetryAfter: time.Millisecond,
	}))
	t.Cleanup(srv.Close)
	for _, args := range cmds {
		for i, a := range args {
			args[i] = strings.ReplaceAll(a, `"$SUBSCRIPTION_ID"`, sub)
		}
		var stdout, stderr bytes.Buffer
		c := &command{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
			hooks: azureHooks{endpoint: srv.URL, transport: srv.Client(), cred: &fake.TokenCredential{}}}
		if code := c.run(t.Context(), args); code != 0 {
			t.Fatalf("rollout %s: exit status %d\nstderr:\n%s", strings.Join(args, " "), code, stderr.String())
		}
	}
	if _, ok := svc.Peek("credit-risk"); !ok {
		t.Error("README's commands did not create the endpoint of specs/")
	}
}

// TestREADMEPlanIsCurrent: the plan README.md shows is the one the
// command prints today for the same files (the golden of saved-plan).
func TestREADMEPlanIsCurrent(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "apply", "saved-plan.stdout"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, want) {
		t.Errorf("README.md does not show the plan the command prints now; copy testdata/apply/saved-plan.stdout into it:\n%s", want)
	}
}
