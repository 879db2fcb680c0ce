package azureml_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/rolloutkit/rollout/asset"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/backend/azureml"
	"github.com/rolloutkit/rollout/backend/backendtest"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/internal/azuritetest"
)

// workspace answers the asset calls of the service's REST API the way
// the specification describes them, over blobs kept in Azurite: code,
// model and environment versions, the list of code versions by hash,
// startPendingUpload with a SAS of a new container, the default datastore
// and its secrets. It is the smallest service these tests need, so that
// each credential kind and failure can be chosen.
type workspace struct {
	t    testing.TB
	blob *azuritetest.Blob
	// credentials is the datastore's credentials type (AccountKey, Sas,
	// None); secrets, when set, is listSecrets' status instead of 200.
	credentials string
	secrets     int

	mu       sync.Mutex
	versions map[string]json.RawMessage // "codes/NAME/versions/VERSION"
	pending  int
	calls    []string
}

const (
	wsPrefix  = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ml-ws/"
	datastore = "azureml-blobstore"
)

func (w *workspace) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, wsPrefix)
	if !ok {
		http.NotFound(rw, r)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, r.Method+" "+rest)
	parts := strings.Split(rest, "/")
	switch {
	case r.Method == http.MethodGet && rest == "datastores/workspaceblobstore":
		writeJSON(rw, 200, map[string]any{"properties": map[string]any{
			"datastoreType": "AzureBlob", "accountName": azuritetest.Account, "containerName": datastore,
			"endpoint": "core.windows.net", "protocol": "https", "credentials": map[string]string{"credentialsType": w.credentials},
		}})
	case r.Method == http.MethodPost && rest == "datastores/workspaceblobstore/listSecrets":
		w.listSecrets(rw)
	case r.Method == http.MethodPost && len(parts) == 5 && parts[4] == "startPendingUpload":
		w.pending++
		name := fmt.Sprintf("pending-%d", w.pending)
		w.blob.CreateContainer(w.t, name)
		u := w.blob.Endpoint + "/" + name
		writeJSON(rw, 200, map[string]any{"blobReferenceForConsumption": map[string]any{
			"blobUri": u, "credential": map[string]string{"credentialType": "SAS", "sasUri": u + "?" + w.sas(name)},
		}, "pendingUploadType": "TemporaryBlobReference"})
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "codes" && r.URL.Query().Get("hash") != "":
		w.byHash(rw, r.URL.Query().Get("hash"))
	case r.Method == http.MethodGet && len(parts) == 4:
		if v, ok := w.versions[rest]; ok {
			writeJSON(rw, 200, v)
			return
		}
		writeJSON(rw, 404, armError("ResourceNotFound", "not found"))
	case r.Method == http.MethodPut && len(parts) == 4:
		w.put(rw, r, rest)
	default:
		writeJSON(rw, 400, armError("BadRequest", r.Method+" "+rest+" is not served here"))
	}
}

func (w *workspace) listSecrets(rw http.ResponseWriter) {
	switch {
	case w.secrets != 0:
		writeJSON(rw, w.secrets, armError("AuthorizationFailed", "no permission to list secrets"))
	case w.credentials == "Sas":
		writeJSON(rw, 200, map[string]string{"secretsType": "Sas", "sasToken": w.sas(datastore)})
	default:
		writeJSON(rw, 200, map[string]string{"secretsType": "AccountKey", "key": azuritetest.Key})
	}
}

// sas is a SAS of a container of Azurite's account.
func (w *workspace) sas(containerName string) string {
	cred, err := container.NewSharedKeyCredential(azuritetest.Account, azuritetest.Key)
	if err != nil {
		panic(err)
	}
	q, err := sas.BlobSignatureValues{
		Protocol: sas.ProtocolHTTPSandHTTP, ExpiryTime: time.Now().Add(time.Hour), ContainerName: containerName,
		Permissions: (&sas.ContainerPermissions{Read: true, Add: true, Create: true, Write: true, List: true}).String(),
	}.SignWithSharedKey(cred)
	if err != nil {
		panic(err)
	}
	return q.Encode()
}

func (w *workspace) byHash(rw http.ResponseWriter, hash string) {
	var found []json.RawMessage
	for _, k := range slices.Sorted(maps.Keys(w.versions)) {
		var v struct {
			Properties struct {
				Properties map[string]string `json:"properties"`
			} `json:"properties"`
		}
		_ = json.Unmarshal(w.versions[k], &v)
		if strings.HasPrefix(k, "codes/") && v.Properties.Properties["hash_sha256"] == hash {
			found = append(found, w.versions[k])
		}
	}
	writeJSON(rw, 200, map[string]any{"value": found})
}

// put keeps a version, refusing to change its files as the service does.
func (w *workspace) put(rw http.ResponseWriter, r *http.Request, key string) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(rw, 400, armError("BadRequest", err.Error()))
		return
	}
	body["id"] = strings.TrimSuffix(wsPrefix, "/") + "/" + key
	data, _ := json.Marshal(body)
	if old, ok := w.versions[key]; ok {
		if pathOf(old) != pathOf(data) {
			writeJSON(rw, 400, armError("UserError", "(UserError) Asset paths cannot be updated."))
			return
		}
		writeJSON(rw, 200, data)
		return
	}
	w.versions[key] = data
	writeJSON(rw, 201, data)
}

// pathOf is what the service calls an asset version's path.
func pathOf(v []byte) string {
	var b struct {
		Properties struct {
			CodeURI  string `json:"codeUri"`
			ModelURI string `json:"modelUri"`
			Image    string `json:"image"`
			Conda    string `json:"condaFile"`
			Build    *struct {
				ContextURI string `json:"contextUri"`
			} `json:"build"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(v, &b)
	p := b.Properties
	s := p.CodeURI + p.ModelURI + p.Image + p.Conda
	if p.Build != nil {
		s += p.Build.ContextURI
	}
	return s
}

func (w *workspace) version(key string) map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	var v map[string]any
	_ = json.Unmarshal(w.versions[key], &v)
	return v
}

func (w *workspace) took() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.calls
	w.calls = nil
	return c
}

func armError(code, msg string) map[string]any {
	return map[string]any{"error": map[string]string{"code": code, "message": msg}}
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	if raw, ok := v.([]byte); ok {
		_, _ = rw.Write(raw)
		return
	}
	_ = json.NewEncoder(rw).Encode(v)
}

// newWorkspace starts Azurite and a workspace over it, and returns a
// Backend of the workspace whose blob requests go through wire (when not
// nil) on their way to Azurite.
func newWorkspace(t *testing.T, credentials string, upload azureml.UploadOptions, wire func(policy.Transporter) policy.Transporter) (*azureml.Backend, *workspace) {
	t.Helper()
	blob := azuritetest.Start(t)
	blob.CreateContainer(t, datastore)
	w := &workspace{t: t, blob: blob, credentials: credentials, versions: map[string]json.RawMessage{}}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	var transport policy.Transporter = http.DefaultClient
	if wire != nil {
		transport = wire(transport)
	}
	upload.BlobEndpoint = func(account, suffix string) string {
		if account != azuritetest.Account || suffix != "core.windows.net" {
			t.Errorf("BlobEndpoint(%q, %q): not the datastore's account and suffix", account, suffix)
		}
		return blob.Endpoint
	}
	b, err := azureml.New(azureml.Scope{Subscription: "00000000-1111-2222-3333-444444444444", ResourceGroup: "ml-rg", Workspace: "ml-ws"},
		&fake.TokenCredential{}, &azureml.Options{
			Location:      "westeurope",
			Insecure:      true,
			PollFrequency: time.Millisecond,
			Upload:        upload,
			ClientOptions: &arm.ClientOptions{
				ClientOptions: policy.ClientOptions{
					Transport: transport,
					Cloud:     azureml.CloudFor(srv.URL, "https://management.core.windows.net/"),
					Retry:     policy.RetryOptions{RetryDelay: time.Millisecond, MaxRetryDelay: time.Millisecond},
				},
				DisableRPRegistration: true,
			},
		})
	if err != nil {
		t.Fatal(err)
	}
	return b, w
}

// blobs lists the blobs of a container of Azurite with their metadata.
func blobs(t *testing.T, blob *azuritetest.Blob, containerName string) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	pager := blob.Client(t).NewListBlobsFlatPager(containerName, &container.ListBlobsFlatOptions{Include: container.ListBlobsInclude{Metadata: true}})
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Segment.BlobItems {
			m := map[string]string{}
			for k, v := range it.Metadata {
				m[strings.ToLower(k)] = *v
			}
			out[*it.Name] = m
		}
	}
	return out
}

func download(t *testing.T, blob *azuritetest.Blob, containerName, name string) string {
	t.Helper()
	resp, err := blob.Client(t).DownloadStream(context.Background(), containerName, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// localFiles writes files into a new folder and returns it.
func localFiles(t *testing.T, name string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// scoring is the fixture folder of the hashes' test vectors.
var scoring = map[string]string{"score.py": "import json\n", "Sub/helper.py": "X = 1\n", ".amlignore": "*.log\n", "debug.log": "ignored\n"}

func modelAsset(t *testing.T, p string) endpoint.LocalAsset {
	t.Helper()
	h, err := asset.ObjectHash(p, asset.MD5)
	if err != nil {
		t.Fatal(err)
	}
	name, _ := asset.AnonymousModelName(h, asset.MD5)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return endpoint.LocalAsset{Kind: endpoint.ModelAsset, Path: filepath.Base(p), Asset: endpoint.Asset{Name: name, Version: "1", ObjectHash: h, Files: 1, Size: fi.Size(), Source: p}}
}

// TestRegisterCode: code goes to the root of a temporary container as
// DIRNAME/REL, the first file by local path carries the confirmation,
// the version points at the folder with the content hash, and
// registering it again finds it by hash and uploads nothing.
func TestRegisterCode(t *testing.T) {
	ctx := context.Background()
	b, w := newWorkspace(t, "AccountKey", azureml.UploadOptions{}, nil)
	code := backendtest.LocalCode(t, "onlinescoring", scoring)
	if code.Asset.Hash != "83d9657056baace458c4c4842fbb147a1bd4e10b2e2567e43569191981180910" {
		t.Fatalf("content hash %s, not the test vector's", code.Asset.Hash)
	}
	var last backend.Progress
	ref, err := b.RegisterAsset(ctx, code, func(p backend.Progress) { last = p })
	if err != nil {
		t.Fatal(err)
	}
	if ref.Version != "1" || ref.Asset.Hash != code.Asset.Hash {
		t.Errorf("registered as %+v", ref)
	}
	got := blobs(t, w.blob, "pending-1")
	want := []string{"onlinescoring/.amlignore", "onlinescoring/Sub/helper.py", "onlinescoring/score.py"}
	if names := slices.Sorted(maps.Keys(got)); !slices.Equal(names, want) {
		t.Errorf("blobs %v, want %v (the log ignored)", names, want)
	}
	if m := got["onlinescoring/.amlignore"]; m["upload_status"] != "completed" || m["name"] != ref.Name || m["version"] != "1" {
		t.Errorf("the indicator's metadata is %v, want the confirmation with %s:1", m, ref.Name)
	}
	if download(t, w.blob, "pending-1", "onlinescoring/score.py") != "import json\n" {
		t.Error("score.py's content is not intact")
	}
	if last != (backend.Progress{Files: 3, TotalFiles: 3, Bytes: 24, TotalBytes: 24}) {
		t.Errorf("last progress %+v, want all 3 files and 24 bytes", last)
	}
	v := w.version("codes/" + ref.Name + "/versions/1")
	props := v["properties"].(map[string]any)
	if props["codeUri"] != w.blob.Endpoint+"/pending-1/onlinescoring" || props["isAnonymous"] != true ||
		fmt.Sprint(props["properties"]) != "map[hash_sha256:"+code.Asset.Hash+" hash_version:202208]" {
		t.Errorf("the code version is %v", props)
	}
	w.took()
	again := backendtest.LocalCode(t, "elsewhere", scoring)
	last = backend.Progress{}
	ref2, err := b.RegisterAsset(ctx, again, func(p backend.Progress) { last = p })
	if err != nil || ref2 != ref || last != (backend.Progress{}) {
		t.Errorf("the same files again: %+v, %v, progress %+v; want %+v found, nothing uploaded", ref2, err, last, ref)
	}
	if calls := w.took(); len(calls) != 1 || !strings.HasPrefix(calls[0], "GET codes/") {
		t.Errorf("registering found code made calls %v, want one list by hash", calls)
	}
}

// TestRegisterModelCredentials: a model is uploaded to the default
// datastore under LocalUpload/OBJECTHASH/ with each kind of credential the
// datastore may call for, and registered with its azureml:// path.
func TestRegisterModelCredentials(t *testing.T) {
	tests := []struct {
		credentials string
		reason      string
	}{
		{"AccountKey", "listSecrets gives the account key: shared key"},
		{"Sas", "listSecrets gives a SAS of the container: a SAS-only client"},
	}
	for _, tt := range tests {
		t.Run(tt.credentials, func(t *testing.T) {
			ctx := context.Background()
			b, w := newWorkspace(t, tt.credentials, azureml.UploadOptions{}, nil)
			m := modelAsset(t, filepath.Join(localFiles(t, "model", map[string]string{"model.pkl": "abc"}), "model.pkl"))
			ref, err := b.RegisterAsset(ctx, m, nil)
			if err != nil {
				t.Fatalf("%s: %v", tt.reason, err)
			}
			if ref.Name != "6c8ba68c9b24c158a1f9b0fa7267caa6" || ref.Version != "1" {
				t.Errorf("%s: registered as %+v, want the anonymous name of the test vectors", tt.reason, ref)
			}
			name := "LocalUpload/3dd4b37a5b6c38dd3ff9b4d192fbe46b/model.pkl"
			got := blobs(t, w.blob, datastore)
			if m := got[name]; len(got) != 1 || m["upload_status"] != "completed" {
				t.Errorf("%s: datastore holds %v, want %s confirmed", tt.reason, got, name)
			}
			props := w.version("models/" + ref.Name + "/versions/1")["properties"].(map[string]any)
			wantURI := "azureml://subscriptions/00000000-1111-2222-3333-444444444444/resourcegroups/ml-rg/workspaces/ml-ws/datastores/workspaceblobstore/paths/" + name
			if props["modelUri"] != wantURI || props["modelType"] != "custom_model" || props["isAnonymous"] != true {
				t.Errorf("%s: the model version is %v", tt.reason, props)
			}
		})
	}
}

// TestLargeFileInBlocks: a file larger than MaxSinglePut goes out as
// blocks (Put Block, Put Block List) in parallel, and arrives intact, with
// progress after every block.
func TestLargeFileInBlocks(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	ops := map[string]int{}
	count := func(next policy.Transporter) policy.Transporter {
		return transportFunc(func(r *http.Request) (*http.Response, error) {
			if strings.HasPrefix(r.URL.Path, "/"+azuritetest.Account+"/") {
				mu.Lock()
				ops[r.Method+" "+r.URL.Query().Get("comp")]++
				mu.Unlock()
			}
			return next.Do(r)
		})
	}
	b, w := newWorkspace(t, "AccountKey", azureml.UploadOptions{MaxSinglePut: 1000, BlockSize: 512, Parallelism: 3}, count)
	content := strings.Repeat("0123456789abcdef", 200) // 3200 bytes: 7 blocks
	m := modelAsset(t, filepath.Join(localFiles(t, "model", map[string]string{"big.bin": content}), "big.bin"))
	var steps []backend.Progress
	if _, err := b.RegisterAsset(ctx, m, func(p backend.Progress) { steps = append(steps, p) }); err != nil {
		t.Fatal(err)
	}
	name := "LocalUpload/" + m.Asset.ObjectHash + "/big.bin"
	if got := download(t, w.blob, datastore, name); got != content {
		t.Errorf("the file arrived with %d bytes, not intact", len(got))
	}
	if ops["PUT block"] != 7 || ops["PUT blocklist"] != 1 || ops["PUT "] != 0 {
		t.Errorf("blob requests %v, want 7 Put Block, 1 Put Block List, no Put Blob", ops)
	}
	if len(steps) != 8 || steps[7] != (backend.Progress{Files: 1, TotalFiles: 1, Bytes: 3200, TotalBytes: 3200}) {
		t.Errorf("progress %v, want one report per block and the commit, ending at the totals", steps)
	}
}

type transportFunc func(*http.Request) (*http.Response, error)

func (f transportFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// TestUploadFinishedAfterCrash: a run that stops in the middle of an
// upload leaves blobs without the confirmation; the next run overwrites
// them, never stuck on "blob already exists", and confirms the upload.
func TestUploadFinishedAfterCrash(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	puts, crashed := 0, true
	crash := func(next policy.Transporter) policy.Transporter {
		return transportFunc(func(r *http.Request) (*http.Response, error) {
			resp, err := next.Do(r)
			mu.Lock()
			defer mu.Unlock()
			if r.Method == http.MethodPut && r.URL.Query().Get("comp") == "" && r.URL.Query().Get("sp") == "" {
				puts++
				if crashed && puts == 2 {
					cancel()
				}
			}
			return resp, err
		})
	}
	b, w := newWorkspace(t, "AccountKey", azureml.UploadOptions{Parallelism: 1}, crash)
	dir := localFiles(t, "ctx", map[string]string{"Dockerfile": "FROM scratch\n", "a.txt": "a", "b.txt": "b", "c.txt": "c"})
	h, err := asset.ObjectHash(dir, asset.MD5)
	if err != nil {
		t.Fatal(err)
	}
	env := endpoint.LocalAsset{Kind: endpoint.EnvironmentAsset, Path: "ctx", Asset: endpoint.Asset{
		Name: asset.AnonymousEnvironmentName, Version: asset.AnonymousBuildVersion(h, ""), ObjectHash: h, Files: 4, Size: 16, Source: dir}}
	if _, err := b.RegisterAsset(ctx, env, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("the crashed run: %v, want it cancelled", err)
	}
	left := blobs(t, w.blob, datastore)
	if len(left) == 0 || len(left) == 4 || left["LocalUpload/"+h+"/ctx/Dockerfile"]["upload_status"] == "completed" {
		t.Fatalf("after the crash the datastore holds %v, want some blobs, unconfirmed", left)
	}
	mu.Lock()
	crashed = false
	mu.Unlock()
	ref, err := b.RegisterAsset(context.Background(), env, nil)
	if err != nil {
		t.Fatalf("the next run: %v", err)
	}
	got := blobs(t, w.blob, datastore)
	if len(got) != 4 || got["LocalUpload/"+h+"/ctx/Dockerfile"]["upload_status"] != "completed" {
		t.Errorf("after the next run the datastore holds %v, want 4 blobs, the first confirmed", got)
	}
	build := w.version("environments/" + ref.Name + "/versions/" + ref.Version)["properties"].(map[string]any)["build"]
	if want := w.blob.Endpoint + "/" + datastore + "/LocalUpload/" + h + "/ctx/"; fmt.Sprint(build) != "map[contextUri:"+want+"]" {
		t.Errorf("the environment's build is %v, want the context at %s", build, want)
	}
}

// blobStub is a blob service that takes every upload and records who
// authorized it, for credentials Azurite cannot check over plain HTTP
// (Entra tokens need HTTPS there).
type blobStub struct {
	mu   sync.Mutex
	auth []string
}

func (s *blobStub) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.auth = append(s.auth, r.Method+" "+r.Header.Get("Authorization"))
	s.mu.Unlock()
	rw.Header().Set("ETag", `"0x1"`)
	switch {
	case r.Method == http.MethodHead:
		rw.Header().Set("x-ms-error-code", "BlobNotFound")
		rw.WriteHeader(http.StatusNotFound)
	case r.Method == http.MethodPut && r.URL.Query().Get("comp") == "metadata":
		rw.WriteHeader(http.StatusOK)
	case r.Method == http.MethodPut:
		_, _ = io.Copy(io.Discard, r.Body)
		rw.WriteHeader(http.StatusCreated)
	default:
		rw.WriteHeader(http.StatusBadRequest)
	}
}

// scopes records the scopes tokens are asked for.
type scopes struct {
	fake.TokenCredential
	mu   sync.Mutex
	seen []string
}

func (s *scopes) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	s.mu.Lock()
	s.seen = append(s.seen, o.Scopes...)
	s.mu.Unlock()
	return s.TokenCredential.GetToken(ctx, o)
}

// TestIdentityDatastore: a datastore without secrets (identity-based) is
// written with an Entra token for storage from the Backend's credential,
// and so is one whose secrets the caller may not list, as the service's
// CLI falls back; listSecrets is not asked when there is nothing to list.
func TestIdentityDatastore(t *testing.T) {
	tests := []struct {
		credentials string
		secrets     int
		calls       string
		reason      string
	}{
		{"None", 0, "GET models/m/versions/1 GET datastores/workspaceblobstore PUT models/m/versions/1", "an identity-based datastore has no secrets to list"},
		{"AccountKey", 403, "GET models/m/versions/1 GET datastores/workspaceblobstore POST datastores/workspaceblobstore/listSecrets PUT models/m/versions/1", "listSecrets refused: the caller's own identity"},
	}
	for _, tt := range tests {
		t.Run(tt.credentials, func(t *testing.T) {
			stub := &blobStub{}
			blobSrv := httptest.NewServer(stub)
			t.Cleanup(blobSrv.Close)
			w := &workspace{t: t, credentials: tt.credentials, secrets: tt.secrets, versions: map[string]json.RawMessage{}}
			srv := httptest.NewServer(w)
			t.Cleanup(srv.Close)
			cred := &scopes{}
			b, err := azureml.New(azureml.Scope{Subscription: "00000000-1111-2222-3333-444444444444", ResourceGroup: "ml-rg", Workspace: "ml-ws"}, cred, &azureml.Options{
				Location: "westeurope", Insecure: true,
				Upload: azureml.UploadOptions{BlobEndpoint: func(string, string) string { return blobSrv.URL + "/acct" }},
				ClientOptions: &arm.ClientOptions{ClientOptions: policy.ClientOptions{
					Cloud: azureml.CloudFor(srv.URL, "https://management.core.windows.net/"),
				}, DisableRPRegistration: true},
			})
			if err != nil {
				t.Fatal(err)
			}
			m := modelAsset(t, filepath.Join(localFiles(t, "model", map[string]string{"model.pkl": "abc"}), "model.pkl"))
			m.Asset.Name = "m"
			if _, err := b.RegisterAsset(context.Background(), m, nil); err != nil {
				t.Fatalf("%s: %v", tt.reason, err)
			}
			if got := strings.Join(w.took(), " "); got != tt.calls {
				t.Errorf("%s: calls %s, want %s", tt.reason, got, tt.calls)
			}
			for _, a := range stub.auth {
				if !strings.HasSuffix(a, " Bearer fake_token") {
					t.Errorf("%s: blob request %q not authorized by the credential's token", tt.reason, a)
				}
			}
			if !slices.Contains(cred.seen, "https://storage.azure.com/.default") {
				t.Errorf("%s: tokens asked for %v, want storage's", tt.reason, cred.seen)
			}
		})
	}
}

// TestLegacyUploadReused: a confirmed upload in the datastore's legacy
// folder (az-ml-artifacts, where older CLIs uploaded) is reused, as the
// service's CLI reuses it: nothing is uploaded and the model points there.
func TestLegacyUploadReused(t *testing.T) {
	ctx := context.Background()
	b, w := newWorkspace(t, "AccountKey", azureml.UploadOptions{}, nil)
	m := modelAsset(t, filepath.Join(localFiles(t, "model", map[string]string{"model.pkl": "abc"}), "model.pkl"))
	legacy := "az-ml-artifacts/" + m.Asset.ObjectHash + "/model.pkl"
	done := "completed"
	if _, err := w.blob.Client(t).UploadBuffer(ctx, datastore, legacy, []byte("abc"), &azblob.UploadBufferOptions{Metadata: map[string]*string{"upload_status": &done}}); err != nil {
		t.Fatal(err)
	}
	ref, err := b.RegisterAsset(ctx, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := blobs(t, w.blob, datastore); len(got) != 1 {
		t.Errorf("the datastore holds %v, want the legacy upload alone", got)
	}
	props := w.version("models/" + ref.Name + "/versions/1")["properties"].(map[string]any)
	if uri := props["modelUri"].(string); !strings.HasSuffix(uri, "/paths/"+legacy) {
		t.Errorf("modelUri %s, want the legacy folder", uri)
	}
}

// TestFilesChangedSinceLoad: files that no longer have the identity the
// spec was loaded with are refused, and nothing is uploaded: the version
// would be named for other files.
func TestFilesChangedSinceLoad(t *testing.T) {
	b, w := newWorkspace(t, "AccountKey", azureml.UploadOptions{}, nil)
	code := backendtest.LocalCode(t, "onlinescoring", scoring)
	writeTestFile(t, filepath.Join(code.Asset.Source, "score.py"), "import yaml\n")
	_, err := b.RegisterAsset(context.Background(), code, nil)
	if !errors.Is(err, backend.ErrInvalid) || !strings.Contains(err.Error(), "changed since the spec was loaded") {
		t.Errorf("RegisterAsset of changed files: %v, want Invalid: changed since loaded", err)
	}
	if got := blobs(t, w.blob, "pending-1"); len(got) != 0 {
		t.Errorf("uploaded %v", got)
	}
}

// TestConfirmOnlyWhatWasWritten: the confirmation is written on condition
// that the first blob is the one this upload wrote (If-Match); when
// another upload replaced it meanwhile, registering fails with a
// retryable conflict and confirms nothing, and the next call finishes.
func TestConfirmOnlyWhatWasWritten(t *testing.T) {
	ctx := context.Background()
	var blob *azuritetest.Blob
	var once sync.Once
	race := func(next policy.Transporter) policy.Transporter {
		return transportFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodPut && r.URL.Query().Get("comp") == "metadata" {
				once.Do(func() {
					name := strings.TrimPrefix(r.URL.Path, "/"+azuritetest.Account+"/"+datastore+"/")
					if _, err := blob.Client(t).UploadBuffer(ctx, datastore, name, []byte("abc"), nil); err != nil {
						t.Error(err)
					}
				})
			}
			return next.Do(r)
		})
	}
	b, w := newWorkspace(t, "AccountKey", azureml.UploadOptions{}, race)
	blob = w.blob
	m := modelAsset(t, filepath.Join(localFiles(t, "model", map[string]string{"model.pkl": "abc"}), "model.pkl"))
	_, err := b.RegisterAsset(ctx, m, nil)
	if !errors.Is(err, backend.ErrConflict) || !backend.IsRetryable(err) {
		t.Fatalf("RegisterAsset while another upload replaced the first blob: %v, want a retryable conflict", err)
	}
	if got := blobs(t, w.blob, datastore); len(got) != 1 || got["LocalUpload/"+m.Asset.ObjectHash+"/model.pkl"]["upload_status"] != "" {
		t.Fatalf("after the race the datastore holds %v, want the blob unconfirmed", got)
	}
	if _, err := b.RegisterAsset(ctx, m, nil); err != nil {
		t.Fatal(err)
	}
	if got := blobs(t, w.blob, datastore); got["LocalUpload/"+m.Asset.ObjectHash+"/model.pkl"]["upload_status"] != "completed" {
		t.Errorf("after registering again the datastore holds %v, want it confirmed", got)
	}
}
