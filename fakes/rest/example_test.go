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

func Example() {
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	srv := httptest.NewTLSServer(rest.New(svc, rest.Options{}))
	defer srv.Close()

	send := func(method, url, body string) *http.Response {
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			log.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer token")
		resp, err := srv.Client().Do(req)
		if err != nil {
			log.Fatal(err)
		}
		return resp
	}
	url := srv.URL + "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws" +
		"/onlineEndpoints/my-endpoint?api-version=2024-10-01"
	resp := send(http.MethodPut, url, `{"location": "eastus", "properties": {"authMode": "Key"}}`)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Azure-AsyncOperation") != "")

	// Poll the operation, then read the endpoint from the original URL.
	status := send(http.MethodGet, resp.Header.Get("Azure-AsyncOperation"), "")
	var op struct{ Status string }
	if err := json.NewDecoder(status.Body).Decode(&op); err != nil {
		log.Fatal(err)
	}
	status.Body.Close()
	fmt.Println(op.Status)

	get := send(http.MethodGet, url, "")
	defer get.Body.Close()
	var ep struct {
		Name       string
		Properties struct{ AuthMode, ProvisioningState string }
	}
	if err := json.NewDecoder(get.Body).Decode(&ep); err != nil {
		log.Fatal(err)
	}
	fmt.Println(ep.Name, ep.Properties.AuthMode, ep.Properties.ProvisioningState)
	// Output:
	// 201 true
	// Succeeded
	// my-endpoint Key Succeeded
}
