package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"

	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
	"github.com/rolloutkit/rollout/internal/azuritetest"
)

// TestApplyLocalFilesAzure applies the tutorial's first step, its file
// unchanged beside the model, scoring folder and conda file it names,
// with --backend azureml against the REST emulator and Azurite: the files
// are uploaded and registered, their progress is printed, and the
// deployment runs the registered versions.
func TestApplyLocalFilesAzure(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Azurite; -short skips it")
	}
	needCorpus(t)
	data, err := os.ReadFile(flow("1-create-endpoint-with-blue"))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	step := filepath.Join(root, "flow", "2021-08-05", "1-create-endpoint-with-blue.yml")
	for p, content := range map[string]string{
		step: string(data),
		filepath.Join(root, "model-1", "model", "sklearn_regression_model.pkl"): "pickle",
		filepath.Join(root, "model-1", "onlinescoring", "score.py"):             "def run(data):\n    return data\n",
		filepath.Join(root, "model-1", "environment", "conda.yml"):              "dependencies:\n  - python=3.9\n",
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	blob := azuritetest.Start(t)
	const sub = "00000000-1111-2222-3333-444444444444"
	svc := fakes.New(fakes.Options{TimeScale: 1e-6, NoHistory: true})
	srv := httptest.NewTLSServer(rest.New(svc, rest.Options{
		Subscription: sub, ResourceGroup: "ml-rg", Workspace: "ml-workspace", RetryAfter: time.Millisecond,
		Storage: &rest.Storage{Endpoint: blob.Endpoint, Account: azuritetest.Account, Key: azuritetest.Key},
	}))
	t.Cleanup(srv.Close)
	var stdout, stderr bytes.Buffer
	c := &command{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		hooks: azureHooks{endpoint: srv.URL, transport: bothWires(srv.Client(), blob), cred: &fake.TokenCredential{}, blobEndpoint: blob.Endpoint}}
	args := []string{"apply", "--backend", "azureml", "--subscription", sub, "--resource-group", "ml-rg", "--workspace", "ml-workspace",
		"--location", "westeurope", "--auto-approve", "--to", step}
	if code := c.run(t.Context(), args); code != 0 {
		t.Fatalf("rollout %s: exit status %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	}
	out := stdout.String() + stderr.String()
	for _, want := range []string{"asset/code/", "1/1 files"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output does not show %q:\n%s", want, out)
		}
	}
	e, ok := svc.Peek("my-endpoint")
	if !ok || e.Deployment("blue") == nil || e.Deployment("blue").CodeConfiguration.Code.IsLocal() || e.Deployment("blue").Model.IsLocal() {
		t.Errorf("the service holds %+v, want blue with registered assets", e)
	}
}

// bothWires sends requests for Azurite to it and the rest to the
// emulator's TLS server.
func bothWires(control *http.Client, blob *azuritetest.Blob) transportFunc {
	return func(r *http.Request) (*http.Response, error) {
		if strings.HasPrefix(r.URL.String(), blob.Endpoint) {
			return blob.HTTPClient.Do(r)
		}
		return control.Do(r)
	}
}

type transportFunc func(*http.Request) (*http.Response, error)

func (f transportFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }
