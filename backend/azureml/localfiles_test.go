package azureml_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/backend/azureml"
	"github.com/rolloutkit/rollout/backend/backendtest"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
	"github.com/rolloutkit/rollout/internal/azuritetest"
	"github.com/rolloutkit/rollout/internal/tutorialtest"
	"github.com/rolloutkit/rollout/plan"
)

// stack is the Backend on the REST emulator over TLS, whose storage is a
// real Azurite, with counters of what crosses each wire.
type stack struct {
	b      *azureml.Backend
	svc    *fakes.Service
	blob   *azuritetest.Blob
	writes *writes
	uploads
}

// uploads counts the blob writes that carry file content (Put Blob, Put
// Block List), the startPendingUpload calls and the reads of one code
// version.
type uploads struct {
	next      policy.Transporter
	mu        sync.Mutex
	files     int
	pending   int
	codeReads int
}

func (u *uploads) Do(r *http.Request) (*http.Response, error) {
	comp := r.URL.Query().Get("comp")
	u.mu.Lock()
	switch {
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/"+azuritetest.Account+"/") && (comp == "" || comp == "blocklist") && r.URL.Query().Get("restype") == "":
		u.files++
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/startPendingUpload"):
		u.pending++
	case r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/codes/") && r.URL.Query().Get("hash") == "":
		u.codeReads++
	}
	u.mu.Unlock()
	return u.next.Do(r)
}

// take returns the files uploaded and the pending uploads started since
// the last call.
func (u *uploads) take() (files, pending int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	files, pending = u.files, u.pending
	u.files, u.pending = 0, 0
	return files, pending
}

// newStack starts Azurite and the emulator over it, with the default
// datastore authorized by credentials: AccountKey or Sas, or None for an
// identity-based datastore, reached with the Backend's own token (Azurite
// then speaks HTTPS and checks bearer tokens).
func newStack(t *testing.T, credentials string) *stack {
	t.Helper()
	if credentials == "None" {
		return newStackOn(t, azuritetest.StartOAuth(t), credentials)
	}
	return newStackOn(t, azuritetest.Start(t), credentials)
}

// newStackOn is newStack on an Azurite already started (by StartOAuth
// for credentials None).
func newStackOn(t *testing.T, blob *azuritetest.Blob, credentials string) *stack {
	t.Helper()
	var cred azcore.TokenCredential = &fake.TokenCredential{}
	if credentials == "None" {
		cred = azuritetest.Credential{}
	}
	svc := fakes.New(fakes.Options{TimeScale: 1e-3})
	w := &writes{next: rest.New(svc, rest.Options{RetryAfter: 5 * time.Millisecond, Storage: &rest.Storage{
		Endpoint: blob.Endpoint, Account: azuritetest.Account, Key: azuritetest.Key, Credentials: credentials, HTTPClient: blob.HTTPClient,
	}}), n: map[string]int{}}
	srv := httptest.NewTLSServer(w)
	t.Cleanup(srv.Close)
	st := &stack{svc: svc, blob: blob, writes: w}
	control, storage := srv.Client(), blob.HTTPClient
	st.uploads.next = transportFunc(func(r *http.Request) (*http.Response, error) {
		if strings.HasPrefix(r.URL.String(), blob.Endpoint) {
			return storage.Do(r)
		}
		return control.Do(r)
	})
	b, err := azureml.New(azureml.Scope{
		Subscription:  "00000000-1111-2222-3333-444444444444",
		ResourceGroup: "ml-rg",
		Workspace:     "ml-ws",
	}, cred, &azureml.Options{
		Location:      "westeurope",
		PollFrequency: time.Millisecond,
		// Azurite speaks plain HTTP on loopback.
		Insecure: true,
		Upload:   azureml.UploadOptions{BlobEndpoint: func(string, string) string { return blob.Endpoint }},
		ClientOptions: &arm.ClientOptions{
			ClientOptions: policy.ClientOptions{
				Transport: &st.uploads,
				Cloud:     azureml.CloudFor(srv.URL, "https://management.core.windows.net/"),
			},
			DisableRPRegistration: true,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	st.b = b
	return st
}

// TestAssetsConformanceOverEmulator runs the rules of backend.Assets
// through the Backend, the REST emulator and Azurite: each rule on a
// service of its own, all on one Azurite (uploads are addressed by
// content, so one rule's blobs are what another's would be).
func TestAssetsConformanceOverEmulator(t *testing.T) {
	blob := azuritetest.Start(t)
	backendtest.TestAssets(t, backendtest.Harness{New: func(t *testing.T) backend.Backend {
		return newStackOn(t, blob, "AccountKey").b
	}})
}

// tutorialDir lays out the 2021-08-05 declarative flow as the service's
// tutorial has it (see tutorialtest.Layout), and returns the steps' folder
// and the root.
func tutorialDir(t *testing.T) (steps, root string) {
	t.Helper()
	return tutorialtest.Layout(t, filepath.Join("..", "..", "..", "shared", "corpus"))
}

func writeTestFile(t *testing.T, p, content string) {
	t.Helper()
	tutorialtest.WriteFile(t, p, content)
}

func countSteps(p *plan.Plan) map[plan.Action]int {
	n := map[plan.Action]int{}
	for _, s := range p.Steps {
		n[s.Action]++
	}
	return n
}

// TestTutorialLocalFiles runs the service's tutorial, its files unchanged,
// with the files they name, through the Backend, the REST emulator and
// Azurite: every stage converges; each asset is uploaded once, when the
// first stage that needs it runs; running a stage again uploads and
// writes nothing; and one changed byte of blue's score.py plans exactly
// one code registration and blue's update, which upload one file.
func TestTutorialLocalFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Azurite; -short skips it")
	}
	ctx := context.Background()
	steps, root := tutorialDir(t)
	st := newStack(t, "AccountKey")
	load := func(step string) []*endpoint.Endpoint {
		es, err := endpoint.Load(filepath.Join(steps, step+".yml"))
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
	stages := []struct {
		step           string
		files, pending int
		reason         string
	}{
		{"1-create-endpoint-with-blue", 2, 1, "blue's scoring folder (one file, to a temporary container) and model; its environment is inline"},
		{"2-scale-blue", 0, 0, "scaling uploads nothing"},
		{"3-create-green", 2, 1, "green's own scoring folder and model"},
		{"4-flight-green", 0, 0, "traffic only"},
		{"5-full-green", 0, 0, "traffic only"},
		{"6-delete-blue", 0, 0, "a delete"},
	}
	for i, stage := range stages {
		if _, err := rollout.Run(ctx, st.b, load(stage.step), plan.Options{}); err != nil {
			t.Fatalf("%s: %v", stage.step, err)
		}
		if files, pending := st.take(); files != stage.files || pending != stage.pending {
			t.Errorf("%s: uploaded %d files through %d pending uploads, want %d and %d: %s", stage.step, files, pending, stage.files, stage.pending, stage.reason)
		}
		actual, err := st.b.ListEndpoints(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := plan.Compute(load(stage.step), actual, plan.Options{}); err != nil || !p.Empty() {
			t.Fatalf("%s: not converged against the service as observed (%v):\n%s", stage.step, err, p)
		}
		st.writes.take()
		if _, err := rollout.Run(ctx, st.b, load(stage.step), plan.Options{}); err != nil {
			t.Fatalf("%s again: %v", stage.step, err)
		}
		if files, pending := st.take(); files != 0 || pending != 0 || len(st.writes.take()) != 0 {
			t.Errorf("%s again: uploaded %d files, %d pending uploads, or wrote something; want nothing", stage.step, files, pending)
		}
		for _, d := range actual[0].Deployments {
			if d.CodeConfiguration.Code.IsLocal() || d.Model.IsLocal() || d.Environment.IsInline() || d.CodeConfiguration.Code.Asset.Hash == "" {
				t.Errorf("%s: the service runs %s with %+v, want registered assets, the code with its content hash", stage.step, d.Name, d)
			}
		}
		if stage.step != "4-flight-green" {
			continue
		}
		// One changed byte of blue's scoring script.
		writeTestFile(t, filepath.Join(root, "model-1", "onlinescoring", "score.py"), "def init():\n    pass\n\ndef run(data):\n    return 'model-X'\n")
		p, err := plan.Compute(load(stage.step), actual, plan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if n := countSteps(p); len(p.Steps) != 2 || n[plan.RegisterAsset] != 1 || n[plan.UpdateDeployment] != 1 || p.Steps[1].Deployment != "blue" || p.Steps[0].Asset.Kind != endpoint.CodeAsset {
			t.Fatalf("after one changed byte (stage %d):\n%s\nwant one code registration and blue's update", i+1, p)
		}
		if _, err := rollout.Apply(ctx, st.b, p); err != nil {
			t.Fatal(err)
		}
		if files, pending := st.take(); files != 1 || pending != 1 {
			t.Errorf("the changed folder uploaded %d files through %d pending uploads, want 1 and 1", files, pending)
		}
	}
	kinds := map[string]int{}
	for _, v := range st.svc.Assets() {
		kinds[v.Kind]++
	}
	if kinds[endpoint.CodeAsset] != 3 || kinds[endpoint.ModelAsset] != 2 || kinds[endpoint.EnvironmentAsset] != 2 {
		t.Errorf("the workspace holds %v, want 3 code versions (blue's two, green's), 2 models, 2 environments", kinds)
	}
}

// sharedSpec is an endpoint whose two deployments share one code folder
// and one model file, with an inline environment.
const sharedSpec = `name: shared
traffic: {blue: 100}
deployments:
  - name: blue
    model: {path: ./model.pkl}
    code_configuration: {code: ./onlinescoring, scoring_script: score.py}
    environment: {image: "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest", conda_file: ./conda.yml}
    instance_type: Standard_F2s_v2
    instance_count: 1
  - name: green
    model: {path: ./model.pkl}
    code_configuration: {code: ./onlinescoring, scoring_script: score.py}
    environment: {image: "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest", conda_file: ./conda.yml}
    instance_type: Standard_F2s_v2
    instance_count: 1
`

// TestSharedCodeFolder: two deployments that share a code folder and a
// model file register each once and run the same versions, with a
// datastore that gives a SAS only (every blob client then holds a SAS,
// never a key), and with an identity-based one (the Backend's own token).
func TestSharedCodeFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Azurite; -short skips it")
	}
	for _, credentials := range []string{"Sas", "None"} {
		t.Run(credentials, func(t *testing.T) { testSharedCodeFolder(t, credentials) })
	}
}

func testSharedCodeFolder(t *testing.T, credentials string) {
	ctx := context.Background()
	dir := t.TempDir()
	for rel, content := range map[string]string{
		"ep.yml": sharedSpec, "model.pkl": "pickle", "conda.yml": "dependencies:\n  - python=3.9\n",
		"onlinescoring/score.py": "def run(data):\n    return data\n", "onlinescoring/util.py": "X = 1\n",
	} {
		writeTestFile(t, filepath.Join(dir, rel), content)
	}
	desired, err := endpoint.Load(filepath.Join(dir, "ep.yml"))
	if err != nil {
		t.Fatal(err)
	}
	st := newStack(t, credentials)
	if _, err := rollout.Run(ctx, st.b, desired, plan.Options{}); err != nil {
		t.Fatal(err)
	}
	if files, pending := st.take(); files != 3 || pending != 1 {
		t.Errorf("uploaded %d files through %d pending uploads, want the code's 2 and the model once, one pending upload", files, pending)
	}
	e, err := st.b.GetEndpoint(ctx, "shared")
	if err != nil {
		t.Fatal(err)
	}
	blue, green := e.Deployment("blue"), e.Deployment("green")
	if blue.CodeConfiguration.Code != green.CodeConfiguration.Code || blue.Model != green.Model || blue.Environment != green.Environment {
		t.Errorf("blue runs %+v, green %+v: want the same versions", blue, green)
	}
	if _, err := st.b.ListEndpoints(ctx); err != nil {
		t.Fatal(err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.codeReads != 1 {
		t.Errorf("the code version was read %d times to observe its content hash, want once: a version's files never change", st.codeReads)
	}
}

// TestRunAfterCrashMidUpload: a run that stops in the middle of an upload
// (the process dies: its context ends) has written no deployment; the
// next run finishes the upload and the rollout.
func TestRunAfterCrashMidUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Azurite; -short skips it")
	}
	dir := t.TempDir()
	files := map[string]string{"ep.yml": sharedSpec, "model.pkl": "pickle", "conda.yml": "dependencies:\n  - python=3.9\n"}
	for i := range 6 {
		files["onlinescoring/f"+string(rune('a'+i))+".py"] = strings.Repeat("x", i+1)
	}
	for rel, content := range files {
		writeTestFile(t, filepath.Join(dir, rel), content)
	}
	desired, err := endpoint.Load(filepath.Join(dir, "ep.yml"))
	if err != nil {
		t.Fatal(err)
	}
	st := newStack(t, "AccountKey")
	ctx, crash := context.WithCancel(context.Background())
	st.uploads.next = crashAfter(st.uploads.next, 3, crash)
	if _, err := rollout.Run(ctx, st.b, desired, plan.Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("the crashed run: %v, want it cancelled", err)
	}
	if w := st.writes.take(); w["PUT deployment"] != 0 {
		t.Fatalf("the crashed run wrote %v: a deployment before its files", w)
	}
	if _, err := rollout.Run(context.Background(), st.b, desired, plan.Options{}); err != nil {
		t.Fatalf("the run after the crash: %v", err)
	}
	e, err := st.b.GetEndpoint(context.Background(), "shared")
	if err != nil || e.Deployment("blue") == nil || e.Deployment("blue").Status.ProvisioningState != endpoint.Succeeded {
		t.Fatalf("after the second run: %+v, %v", e, err)
	}
}

// crashAfter ends the run (cancels) once n file uploads have gone out.
func crashAfter(next policy.Transporter, n int, crash context.CancelFunc) policy.Transporter {
	var mu sync.Mutex
	seen := 0
	return transportFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := next.Do(r)
		if r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/"+azuritetest.Account+"/") && r.URL.Query().Get("comp") == "" {
			mu.Lock()
			if seen++; seen == n {
				crash()
			}
			mu.Unlock()
		}
		return resp, err
	})
}

// TestREADMEShowsTheTutorial: the YAML README.md shows for local files
// with --backend azureml is the tutorial's own, word for word, and that
// file is what TestTutorialLocalFiles runs.
func TestREADMEShowsTheTutorial(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "Local files: `--backend azureml`")
	if !ok {
		t.Fatal("README.md has no paragraph on local files with --backend azureml")
	}
	_, block, ok := strings.Cut(after, "```yaml\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("the paragraph shows no YAML")
	}
	src := filepath.Join("..", "..", "..", "shared", "corpus", "azureml-examples", "canary-declarative-flow", "2021-08-05", "1-create-endpoint-with-blue.yml")
	tutorial, err := os.ReadFile(src)
	if err != nil {
		t.Skipf("corpus not found: %v", err)
	}
	if !strings.Contains(string(tutorial), block) {
		t.Errorf("README.md's YAML is not an excerpt of %s:\n%s", src, block)
	}
}

// TestSameFilesAtOnce: the same code folder and model registered twice at
// once (two endpoints' steps that share them) both end with one version
// each: both runs miss and upload, the second code version's PUT meets
// the first's name with another temporary container and takes the
// version the first made, and the model's two uploads confirm one blob.
func TestSameFilesAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Azurite; -short skips it")
	}
	st := newStack(t, "AccountKey")
	code := backendtest.LocalCode(t, "src", map[string]string{"score.py": "def run(d):\n    return d\n", "util.py": "X = 1\n"})
	model := backendtest.LocalModel(t, "m", "1", "pickle")
	for _, a := range []endpoint.LocalAsset{code, model} {
		refs := make([]endpoint.Reference, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Go(func() { refs[i], errs[i] = st.b.RegisterAsset(context.Background(), a, nil) })
		}
		wg.Wait()
		for i, err := range errs {
			// A confirmation raced by the other upload is a retryable
			// conflict, which the executor retries.
			for err != nil && backend.IsRetryable(err) {
				refs[i], err = st.b.RegisterAsset(context.Background(), a, nil)
			}
			if err != nil {
				t.Fatalf("%s registered twice at once: %v", a.Kind, err)
			}
		}
		if refs[0] != refs[1] {
			t.Errorf("%s registered twice at once: %+v and %+v, want one version", a.Kind, refs[0], refs[1])
		}
	}
	kinds := map[string]int{}
	for _, v := range st.svc.Assets() {
		kinds[v.Kind]++
	}
	if kinds[endpoint.CodeAsset] != 1 || kinds[endpoint.ModelAsset] != 1 {
		t.Errorf("the workspace holds %v, want one code version and one model version", kinds)
	}
}

// TestOtherFilesRefusedBeforeUpload: a named model version that exists
// with other files is refused as the service refuses it, before anything
// is uploaded.
func TestOtherFilesRefusedBeforeUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Azurite; -short skips it")
	}
	st := newStack(t, "AccountKey")
	ctx := context.Background()
	if _, err := st.b.RegisterAsset(ctx, backendtest.LocalModel(t, "m", "1", "pickle"), nil); err != nil {
		t.Fatal(err)
	}
	st.take()
	_, err := st.b.RegisterAsset(ctx, backendtest.LocalModel(t, "m", "1", "another pickle"), nil)
	if !errors.Is(err, backend.ErrInvalid) || !strings.Contains(err.Error(), "Asset paths cannot be updated") {
		t.Errorf("m:1 with other files: %v, want Invalid: Asset paths cannot be updated", err)
	}
	if files, _ := st.take(); files != 0 {
		t.Errorf("the refused model uploaded %d files", files)
	}
}
