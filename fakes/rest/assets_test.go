package rest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
)

const (
	hashA = "83d9657056baace458c4c4842fbb147a1bd4e10b2e2567e43569191981180910"
	hashB = "725a06bb8c7ec3bedf705b38be72c4f891142a207fe3d69cc0c30c5aa90dbf62"
)

// codeBody is a code version's PUT as the service's CLI sends it.
func codeBody(uri, hash string) map[string]any {
	return map[string]any{"properties": map[string]any{
		"codeUri": uri, "isAnonymous": true,
		"properties": map[string]any{"hash_sha256": hash, "hash_version": "202208"},
	}}
}

// values returns the names (ids' last two segments, name:version) a list
// answered.
func values(t *testing.T, r response) []string {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	var out []string
	for _, v := range r.json(t)["value"].([]any) {
		id := v.(map[string]any)["id"].(string)
		parts := strings.Split(id, "/")
		switch {
		case len(parts) > 2 && parts[len(parts)-2] == "versions":
			out = append(out, parts[len(parts)-3]+":"+parts[len(parts)-1])
		default:
			out = append(out, parts[len(parts)-1])
		}
	}
	return out
}

func props(t *testing.T, r response) map[string]any {
	t.Helper()
	p, _ := r.json(t)["properties"].(map[string]any)
	return p
}

// TestCodeVersionsFoundByContent walks the CLI's code route: list by hash,
// PUT the version, and find it by hash again under any name.
func TestCodeVersionsFoundByContent(t *testing.T) {
	c, svc := newServer(t, rest.Options{})
	byHash := func(name, hash, hashVersion string) response {
		q := url.Values{"hash": {hash}}
		if hashVersion != "" {
			q.Set("hashVersion", hashVersion)
		}
		return c.do(http.MethodGet, "/codes/"+name+"/versions?"+q.Encode(), nil)
	}
	if got := values(t, byHash("6f1c0e4e-0000-4000-8000-000000000001", hashA, "202208")); len(got) != 0 {
		t.Fatalf("an empty workspace lists %v by hash", got)
	}

	uri := "https://acct.blob.core.windows.net/code-1/onlinescoring"
	r := c.do(http.MethodPut, "/codes/uuid-1/versions/1", codeBody(uri, hashA))
	if r.status != http.StatusCreated {
		t.Fatalf("PUT code version: %d %s", r.status, r.body)
	}
	got := r.json(t)
	p := props(t, r)
	if got["id"] != ws+"/codes/uuid-1/versions/1" || got["name"] != "1" || got["type"] != "Microsoft.MachineLearningServices/workspaces/codes/versions" ||
		p["codeUri"] != uri || p["isAnonymous"] != true || p["provisioningState"] != "Succeeded" || got["systemData"] == nil {
		t.Errorf("PUT answered %s", r.body)
	}
	if h := p["properties"].(map[string]any); h["hash_sha256"] != hashA || h["hash_version"] != "202208" {
		t.Errorf("properties %v: want the content hash back", h)
	}
	if r := c.do(http.MethodPut, "/codes/uuid-1/versions/1", codeBody(uri, hashA)); r.status != http.StatusOK {
		t.Errorf("the same PUT again: %d %s; want 200", r.status, r.body)
	}
	r = c.do(http.MethodPut, "/codes/uuid-1/versions/1", codeBody(uri+"-other", hashA))
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "Asset paths cannot be updated") {
		t.Errorf("PUT with another codeUri: %d %s; want 400 Asset paths cannot be updated", r.status, r.body)
	}
	if p := props(t, c.do(http.MethodGet, "/codes/uuid-1/versions/1", nil)); p["codeUri"] != uri {
		t.Errorf("the refused PUT changed codeUri to %v", p["codeUri"])
	}

	tests := []struct {
		name, hash, hashVersion string
		want                    []string
		reason                  string
	}{
		{"some-other-uuid", hashA, "202208", []string{"uuid-1:1"}, "found by content whatever the name in the path"},
		{"uuid-1", hashA, "", []string{"uuid-1:1"}, "no hashVersion matches any"},
		{"uuid-1", hashA, "999999", nil, "another hash algorithm is another key"},
		{"uuid-1", hashB, "202208", nil, "other content is not found"},
	}
	for _, tt := range tests {
		if got := values(t, byHash(tt.name, tt.hash, tt.hashVersion)); !slices.Equal(got, tt.want) {
			t.Errorf("list %s by hash %.8s (version %q) = %v, want %v (%s)", tt.name, tt.hash, tt.hashVersion, got, tt.want, tt.reason)
		}
	}

	// One store: the in-memory service finds what the REST PUT registered,
	// and the REST list finds what the in-memory service registered.
	local := endpoint.LocalAsset{Kind: endpoint.CodeAsset, Path: "src", Asset: endpoint.Asset{Hash: hashA, Files: 1, Size: 1}}
	if ref, err := svc.FindAsset(context.Background(), local); err != nil || ref.Name != "uuid-1" || ref.Version != "1" {
		t.Errorf("FindAsset after a REST PUT = %v, %v; want uuid-1:1", ref, err)
	}
	local.Asset.Hash = hashB
	ref, err := svc.RegisterAsset(context.Background(), local, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := values(t, byHash("x", hashB, "202208")); !slices.Equal(got, []string{ref.Name + ":1"}) {
		t.Errorf("by hash after RegisterAsset: %v, want %s:1", got, ref.Name)
	}
	if got := values(t, c.do(http.MethodGet, "/codes", nil)); !slices.Equal(got, slices.Sorted(slices.Values([]string{ref.Name, "uuid-1"}))) {
		t.Errorf("code containers: %v", got)
	}
}

// TestAssetVersions covers models and environments, containers, lists and
// the refusals of a PUT.
func TestAssetVersions(t *testing.T) {
	c, _ := newServer(t, rest.Options{PageSize: 2})
	model := func(uri string) map[string]any {
		return map[string]any{"properties": map[string]any{"modelType": "custom_model", "modelUri": uri, "isAnonymous": true, "description": "d"}}
	}
	env := func(image, conda string) map[string]any {
		return map[string]any{"properties": map[string]any{"image": image, "condaFile": conda, "isAnonymous": true}}
	}
	muri := "azureml://subscriptions/sub-1/resourcegroups/rg-1/workspaces/ws-1/datastores/workspaceblobstore/paths/LocalUpload/3dd4/model.pkl"
	for _, v := range []string{"1", "10", "2", "9"} {
		if r := c.do(http.MethodPut, "/models/taxi/versions/"+v, model(muri+v)); r.status != http.StatusCreated {
			t.Fatalf("PUT model version %s: %d %s", v, r.status, r.body)
		}
	}
	r := c.do(http.MethodGet, "/models/taxi/versions/10", nil)
	if p := props(t, r); p["modelUri"] != muri+"10" || p["modelType"] != "custom_model" || p["description"] != "d" {
		t.Errorf("GET model version: %s", r.body)
	}
	all := c.do(http.MethodGet, "/models/taxi/versions", nil)
	first := values(t, all)
	next, _ := all.json(t)["nextLink"].(string)
	if next == "" {
		t.Fatal("4 versions with a page size of 2 have no nextLink")
	}
	if got := append(first, values(t, c.do(http.MethodGet, next, nil))...); !slices.Equal(got, []string{"taxi:9", "taxi:2", "taxi:10", "taxi:1"}) {
		t.Errorf("versions = %v, want the newest first", got)
	}
	if got := values(t, c.do(http.MethodGet, "/models/taxi/versions?$top=1", nil)); !slices.Equal(got, []string{"taxi:9"}) {
		t.Errorf("$top=1 = %v, want the newest", got)
	}

	archived := model(muri + "2")
	archived["properties"].(map[string]any)["isArchived"] = true
	if r := c.do(http.MethodPut, "/models/taxi/versions/2", archived); r.status != http.StatusOK {
		t.Fatalf("archiving: %d %s", r.status, r.body)
	}
	for view, want := range map[string][]string{"": {"taxi:9", "taxi:10"}, "ArchivedOnly": {"taxi:2"}, "All": {"taxi:9", "taxi:2"}} {
		if got := values(t, c.do(http.MethodGet, "/models/taxi/versions?listViewType="+view, nil)); !slices.Equal(got, want) {
			t.Errorf("listViewType=%q: first page %v, want %v", view, got, want)
		}
	}

	image := "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"
	if r := c.do(http.MethodPut, "/environments/CliV2AnonymousEnvironment/versions/2faf", env(image, "name: a\n")); r.status != http.StatusCreated {
		t.Fatalf("PUT environment: %d %s", r.status, r.body)
	}
	if r := c.do(http.MethodPut, "/environments/CliV2AnonymousEnvironment/versions/2faf", env(image, "name: a\n")); r.status != http.StatusOK {
		t.Errorf("the same environment again: %d %s", r.status, r.body)
	}

	refusals := []struct {
		path   string
		body   any
		status int
		want   string
		reason string
	}{
		{"/models/taxi/versions/1", model(muri + "other"), 400, "Asset paths cannot be updated", "a model version keeps its files"},
		{"/environments/CliV2AnonymousEnvironment/versions/2faf", env(image, "name: b\n"), 400, "Asset paths cannot be updated", "an environment version keeps its definition"},
		{"/models/-bad/versions/1", model(muri), 400, "does not match", "names follow the specification's pattern"},
		{"/models/taxi/versions/3", `{"name": "x"}`, 400, "properties", "properties are required"},
		{"/models/taxi/versions/3", "", 400, "body is required", "a PUT needs a body"},
		{"/models/taxi/versions/3", `{"properties": {"modelUri": 7}}`, 400, "not valid JSON", "a body of the wrong shape"},
		{"/models/Taxi/versions/1", nil, 404, "not found", "names are case-sensitive"},
		{"/codes/x/versions/1/startPendingUpload", `{}`, 501, "Options.Storage", "no storage account to upload to"},
	}
	for _, tt := range refusals {
		method := http.MethodPut
		switch {
		case tt.body == nil:
			method = http.MethodGet
		case strings.HasSuffix(tt.path, "startPendingUpload"):
			method = http.MethodPost
		}
		r := c.do(method, tt.path, tt.body)
		if r.status != tt.status || !strings.Contains(string(r.body), tt.want) {
			t.Errorf("%s %s: %d %s; want %d with %q (%s)", method, tt.path, r.status, r.body, tt.status, tt.want, tt.reason)
		}
	}

	if r := c.do(http.MethodGet, "/models/taxi", nil); r.status != http.StatusOK || r.json(t)["name"] != "taxi" || props(t, r)["latestVersion"] != "9" {
		t.Errorf("GET container made by its versions: %d %s; want latestVersion 9, the active version created last", r.status, r.body)
	}
	if r := c.do(http.MethodPut, "/environments/empty", map[string]any{"properties": map[string]any{"description": "none yet"}}); r.status != http.StatusCreated {
		t.Errorf("PUT container: %d %s", r.status, r.body)
	}
	if got := values(t, c.do(http.MethodGet, "/environments", nil)); !slices.Equal(got, []string{"CliV2AnonymousEnvironment", "empty"}) {
		t.Errorf("environment containers = %v", got)
	}
	if p := props(t, c.do(http.MethodGet, "/environments/empty", nil)); p["description"] != "none yet" || p["latestVersion"] != nil {
		t.Errorf("container properties %v: want the PUT's description, and no latest version", p)
	}
	if got := values(t, c.do(http.MethodGet, "/environments/empty/versions", nil)); len(got) != 0 {
		t.Errorf("versions of an empty container: %v", got)
	}
}

// TestNoStorageNoDatastores: an emulator without a storage account has no
// datastores, and says how to give it one.
func TestNoStorageNoDatastores(t *testing.T) {
	c, _ := newServer(t, rest.Options{})
	if got := values(t, c.do(http.MethodGet, "/datastores?isDefault=true", nil)); len(got) != 0 {
		t.Errorf("datastores = %v", got)
	}
	if r := c.do(http.MethodGet, "/datastores/workspaceblobstore", nil); r.status != http.StatusNotFound {
		t.Errorf("GET workspaceblobstore: %d %s", r.status, r.body)
	}
}

// TestBadStorage: a storage account that cannot work is refused when the
// emulator is made, not on the first upload.
func TestBadStorage(t *testing.T) {
	for _, st := range []rest.Storage{
		{Endpoint: "127.0.0.1:10000", Account: "a", Key: "a2V5"},
		{Endpoint: "http://127.0.0.1:10000/a", Account: "a", Key: "not base64!"},
		{Endpoint: "http://127.0.0.1:10000/a", Account: "a", Key: "a2V5", Credentials: "Certificate"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New accepted %+v", st)
				}
			}()
			rest.New(fakes.New(fakes.Options{}), rest.Options{Storage: &st})
		}()
	}
}

// TestAssetFaults: fault rules select asset requests by the operation a
// client's call carries out, so a test can lose the answer of a version's
// PUT (the change happened, the client cannot tell) or throttle an upload's
// start.
func TestAssetFaults(t *testing.T) {
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	em := rest.New(svc, rest.Options{Faults: []fakes.Rule{
		{Ops: []fakes.Op{fakes.OpRegisterAsset}, Count: 1, Fault: fakes.Fault{Kind: fakes.DropResponse}},
		{Ops: []fakes.Op{fakes.OpStartPendingUpload}, Count: 1, Fault: fakes.Fault{Kind: fakes.Throttle}},
		{Ops: []fakes.Op{fakes.OpFindAsset}, Count: 1, Fault: fakes.Fault{Kind: fakes.ServerError}},
	}})
	srv := httptest.NewTLSServer(em)
	t.Cleanup(srv.Close)
	c := &client{t: t, base: srv.URL, http: srv.Client()}
	req, err := http.NewRequest(http.MethodPut, c.base+ws+"/codes/lost/versions/1?api-version=2024-10-01", strings.NewReader(`{"properties": {"codeUri": "https://a/b"}}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer t")
	if resp, err := c.http.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the PUT's answer was not lost: %d", resp.StatusCode)
	}
	if _, err := svc.GetAssetVersion(context.Background(), endpoint.CodeAsset, "lost", "1"); err != nil {
		t.Errorf("the PUT whose answer was lost did not happen: %v", err)
	}
	if r := c.do(http.MethodPut, "/codes/lost/versions/1", `{"properties": {"codeUri": "https://a/b"}}`); r.status != http.StatusOK {
		t.Errorf("the PUT again: %d %s; want 200, the version as it is", r.status, r.body)
	}
	if r := c.do(http.MethodPost, "/codes/lost/versions/2/startPendingUpload", `{}`); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("throttled startPendingUpload: %d %v", r.status, r.header)
	}
	if r := c.do(http.MethodGet, "/codes/lost/versions?hash="+hashA, nil); r.status != http.StatusInternalServerError {
		t.Errorf("list by hash with a server error: %d %s", r.status, r.body)
	}
	if r := c.do(http.MethodGet, "/codes/lost/versions/1", nil); r.status != http.StatusOK {
		t.Errorf("the rules fired more than once: %d %s", r.status, r.body)
	}
	want := []fakes.CallCount{{Op: "FindAsset: server error", N: 1}, {Op: "RegisterAsset: drop response", N: 1}, {Op: "StartPendingUpload: throttle", N: 1}}
	if got := em.Injected(); !slices.Equal(got, want) {
		t.Errorf("injected %v, want %v", got, want)
	}
}
