package rest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
)

// FuzzAssetPut feeds arbitrary bodies to the PUT of a version of each
// kind. None may break the emulator, and a body it accepts must make a
// version whose answer can be sent back as it is: a client that reads a
// version and writes it again (to archive it, say) changes nothing, and
// is not refused for changing its path.
func FuzzAssetPut(f *testing.F) {
	for _, seed := range []struct {
		collection uint8
		body       string
	}{
		{0, `{"properties": {"codeUri": "https://a.blob.core.windows.net/c/src", "isAnonymous": true, "properties": {"hash_sha256": "83d9", "hash_version": "202208"}}}`},
		{1, `{"properties": {"modelType": "custom_model", "modelUri": "azureml://datastores/workspaceblobstore/paths/LocalUpload/3dd4/model.pkl", "isAnonymous": true}}`},
		{2, `{"properties": {"image": "mcr.microsoft.com/azureml/minimal:latest", "condaFile": "name: a\n", "build": {"contextUri": "https://a/b/", "dockerfilePath": "Dockerfile"}, "isArchived": true}}`},
		{0, `{"properties": {"properties": {"hash_sha256": 7}}}`},
		{1, `{"properties": null}`},
		{2, `{"properties": {"build": "x"}}`},
		{0, `[]`},
		{1, ``},
	} {
		f.Add(seed.collection, []byte(seed.body))
	}
	collections := []string{"codes", "models", "environments"}
	f.Fuzz(func(t *testing.T, collection uint8, body []byte) {
		em := rest.New(fakes.New(fakes.Options{Latency: fakes.NoLatency()}), rest.Options{})
		path := ws + "/" + collections[int(collection)%len(collections)] + "/fuzz/versions/1?api-version=2024-10-01"
		serve := func(method string, body []byte) *httptest.ResponseRecorder {
			req := httptest.NewRequest(method, "https://management.example"+path, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer t")
			rec := httptest.NewRecorder()
			em.ServeHTTP(rec, req)
			return rec
		}
		put := serve(http.MethodPut, body)
		if put.Code != http.StatusCreated {
			if put.Code != http.StatusBadRequest {
				t.Fatalf("PUT %q: %d %s; want 201 or 400", body, put.Code, put.Body)
			}
			return
		}
		var sent struct {
			Properties map[string]any `json:"properties"`
		}
		if err := json.Unmarshal(body, &sent); err != nil || sent.Properties == nil {
			t.Fatalf("PUT %q was accepted without the properties the specification requires", body)
		}
		first := serve(http.MethodGet, nil)
		if first.Code != http.StatusOK {
			t.Fatalf("GET after PUT %q: %d %s", body, first.Code, first.Body)
		}
		again := serve(http.MethodPut, first.Body.Bytes())
		if again.Code != http.StatusOK {
			t.Fatalf("PUT of the GET's answer %s: %d %s", first.Body, again.Code, again.Body)
		}
		if diff := cmp.Diff(withoutSystemData(t, first.Body.Bytes()), withoutSystemData(t, serve(http.MethodGet, nil).Body.Bytes())); diff != "" {
			t.Errorf("writing the answer back changed it (-before +after):\n%s", diff)
		}
	})
}

func withoutSystemData(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("answer %s: %v", b, err)
	}
	delete(m, "systemData")
	return m
}
