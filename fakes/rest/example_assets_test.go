package rest_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
)

// The code route of the service's CLI: look the content hash up, and
// register the code when the workspace does not hold it yet. With
// [rest.Options.Storage] set, startPendingUpload would also hand out a
// container to upload the files to.
func Example_codeByContent() {
	svc := fakes.New(fakes.Options{})
	srv := httptest.NewServer(rest.New(svc, rest.Options{}))
	defer srv.Close()

	codes := srv.URL + "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/codes/"
	send := func(method, url, body string) map[string]any {
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			log.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			log.Fatal(err)
		}
		return m
	}
	const hash = "83d9657056baace458c4c4842fbb147a1bd4e10b2e2567e43569191981180910"
	byHash := "/versions?api-version=2024-10-01&hashVersion=202208&hash=" + hash

	found := send(http.MethodGet, codes+"any-name"+byHash, "")
	fmt.Println("found before:", len(found["value"].([]any)))

	put := send(http.MethodPut, codes+"0b8d3a4e/versions/1?api-version=2024-10-01", `{"properties": {
		"codeUri": "https://acct.blob.core.windows.net/code-1/onlinescoring", "isAnonymous": true,
		"properties": {"hash_sha256": "`+hash+`", "hash_version": "202208"}}}`)
	fmt.Println("registered:", put["id"].(string)[strings.Index(put["id"].(string), "/codes/"):])

	found = send(http.MethodGet, codes+"another-name"+byHash, "")
	for _, v := range found["value"].([]any) {
		fmt.Println("found after:", v.(map[string]any)["properties"].(map[string]any)["codeUri"])
	}
	// Output:
	// found before: 0
	// registered: /codes/0b8d3a4e/versions/1
	// found after: https://acct.blob.core.windows.net/code-1/onlinescoring
}
