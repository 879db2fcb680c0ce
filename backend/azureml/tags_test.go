package azureml

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
	"github.com/rolloutkit/rollout/plan"
)

// TestRolloutKeepsOthersTags checks, over HTTP against the emulator, that
// a rollout whose spec writes no tags keeps the tags another tool set when
// it updates the endpoint and the deployment, and that a spec writing
// tags: {} removes them.
func TestRolloutKeepsOthersTags(t *testing.T) {
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	srv := httptest.NewTLSServer(rest.New(svc, rest.Options{}))
	t.Cleanup(srv.Close)
	do := func(method, path, body string) map[string]any {
		req, _ := http.NewRequest(method, srv.URL+testScope.path()+path+"?api-version=2024-10-01", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer other-tool")
		resp, err := srv.Client().Do(req)
		if err != nil || resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %v %v", method, path, resp, err)
		}
		defer resp.Body.Close()
		var got map[string]any
		if method == http.MethodGet {
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
		}
		return got
	}
	b, err := New(testScope, &fake.TokenCredential{}, emulatorOptions(srv.Client(), srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	waitIdle := func() { waitSettled(t, b) }
	do(http.MethodPut, epPath, `{"location": "westeurope", "tags": {"cost-center": "42"}, "properties": {"authMode": "Key"}}`)
	waitIdle()
	do(http.MethodPut, depPath, `{"location": "westeurope", "tags": {"owner": "ops"}, "sku": {"name": "Default", "capacity": 1},
		"properties": {"endpointComputeType": "Managed", "instanceType": "Standard_DS3_v2",
			"model": "`+testScope.path()+`/models/m/versions/1"}}`)
	waitIdle()
	tagsOf := func(path string) map[string]string {
		got := map[string]string{}
		m, _ := do(http.MethodGet, path, "")["tags"].(map[string]any)
		for k, v := range m {
			got[k], _ = v.(string)
		}
		return got
	}
	run := func(tags string) {
		e, err := endpoint.Parse("endpoint.yaml", []byte(`
name: churn
description: updated by a rollout
auth_mode: key
`+tags+`
deployments:
  - name: blue
    description: updated by a rollout
    model: azureml:m:1
    instance_type: Standard_DS3_v2
    instance_count: 1
`+strings.ReplaceAll(tags, "tags", "    tags")))
		if err != nil {
			t.Fatal(err)
		}
		res, err := rollout.Run(t.Context(), b, []*endpoint.Endpoint{e}, plan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Plan.Steps) == 0 {
			t.Fatal("the rollout planned nothing: the test needs writes")
		}
		waitIdle()
	}

	run("")
	if got, want := tagsOf(epPath), map[string]string{"cost-center": "42"}; !maps.Equal(got, want) {
		t.Errorf("after the rollout the endpoint's tags are %v, want others' %v kept", got, want)
	}
	if got, want := tagsOf(depPath), map[string]string{"owner": "ops"}; !maps.Equal(got, want) {
		t.Errorf("after the rollout the deployment's tags are %v, want others' %v kept", got, want)
	}
	if got := do(http.MethodGet, depPath, "")["properties"].(map[string]any)["description"]; got != "updated by a rollout" {
		t.Errorf("the deployment's description is %v: the rollout did not write it", got)
	}

	run("tags: {}")
	if got, dep := tagsOf(epPath), tagsOf(depPath); len(got) != 0 || len(dep) != 0 {
		t.Errorf("after a rollout of tags: {} the tags are %v and %v, want none", got, dep)
	}
}
