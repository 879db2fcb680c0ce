package rest_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
)

// addVersions adds versions of one asset created an hour apart in the
// order given.
func addVersions(t *testing.T, svc *fakes.Service, kind, registry, name string, versions ...string) {
	t.Helper()
	at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	for i, v := range versions {
		err := svc.AddAssetVersion(fakes.AssetVersion{Kind: kind, Registry: registry, Name: name, Version: v, Content: v, Created: at.Add(time.Duration(i) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestVersionsByCreation: a workspace's versions listed by $orderBy
// createdtime, as the service's SDK lists them to find the latest.
func TestVersionsByCreation(t *testing.T) {
	c, svc := newServer(t, rest.Options{})
	addVersions(t, svc, endpoint.ModelAsset, "", "m", "1", "10", "9")
	for _, tt := range []struct {
		query string
		want  []string
		why   string
	}{
		{"", []string{"m:9", "m:10", "m:1"}, "without an order, newest first"},
		{"?$orderBy=createdtime%20desc", []string{"m:9", "m:10", "m:1"}, "newest first"},
		{"?$orderBy=createdtime%20desc&$top=1", []string{"m:9"}, "the SDK's query for latest"},
		{"?$orderBy=CreatedTime+asc", []string{"m:1", "m:10", "m:9"}, "oldest first, case-insensitive"},
	} {
		if got := values(t, c.do(http.MethodGet, "/models/m/versions"+tt.query, nil)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v (%s)", tt.query, got, tt.want, tt.why)
		}
	}
	if r := c.do(http.MethodGet, "/models/m/versions?$orderBy=name", nil); r.status != http.StatusBadRequest {
		t.Errorf("an unknown order: %d %s, want 400", r.status, r.body)
	}
}

// TestRegistryDiscovery: a registry is found through the discovery, which
// names where its resources are, and lists its versions there.
func TestRegistryDiscovery(t *testing.T) {
	c, svc := newServer(t, rest.Options{})
	addVersions(t, svc, endpoint.EnvironmentAsset, "azureml", "sklearn-1.5", "1", "3", "2")
	addVersions(t, svc, endpoint.EnvironmentAsset, "", "sklearn-1.5", "7")
	d := c.do(http.MethodGet, c.base+"/registrymanagement/v1.0/registries/azureml/discovery", nil)
	if d.status != http.StatusOK {
		t.Fatalf("discovery: %d %s", d.status, d.body)
	}
	m := d.json(t)
	if m["primaryRegionResourceProviderUri"] != c.base+"/" {
		t.Errorf("discovery: %v", m)
	}
	reg := "/mferp/managementfrontend/subscriptions/" + m["subscriptionId"].(string) + "/resourceGroups/" + m["resourceGroup"].(string) +
		"/providers/Microsoft.MachineLearningServices/registries/azureml"
	r := c.do(http.MethodGet, c.base+reg+"/environments/sklearn-1.5/versions?api-version=2024-10-01&$orderBy=createdtime+desc&$top=1", nil)
	if got := values(t, r); !slices.Equal(got, []string{"sklearn-1.5:2"}) {
		t.Errorf("the registry's latest: %v, want sklearn-1.5:2 (created last, whatever the workspace holds)", got)
	}
	for _, tt := range []struct {
		path string
		want int
		why  string
	}{
		{"/registrymanagement/v1.0/registries/other/discovery", http.StatusNotFound, "a registry that holds nothing"},
		{reg + "/environments/sklearn-1.5/versions?api-version=", http.StatusBadRequest, "the registry's resources take an api-version"},
		{"/mferp/managementfrontend/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/registries/azureml/environments/sklearn-1.5/versions?api-version=2024-10-01", http.StatusNotFound,
			"not where the discovery said the registry is"},
		{reg + "/codes/x/versions?api-version=2024-10-01", http.StatusNotFound, "code has no labels to list for"},
	} {
		if r := c.do(http.MethodGet, c.base+tt.path, nil); r.status != tt.want {
			t.Errorf("%s: %d %s, want %d (%s)", tt.path, r.status, r.body, tt.want, tt.why)
		}
	}
}

// TestRegistryRoutesRefuse: paths that only start like the registry routes
// are answered with an error, never a panic or a success.
func TestRegistryRoutesRefuse(t *testing.T) {
	c, svc := newServer(t, rest.Options{})
	addVersions(t, svc, endpoint.ModelAsset, "azureml", "m", "1")
	for _, p := range []string{
		"/mferp",
		"/mferp/managementfrontend",
		"/mferp/managementfrontend/subscriptions",
		"/mferp/managementfrontend/subscriptions/5b4d0c1e-9f3a-4e2b-8c6d-7a1e2f3b4c5d/resourceGroups/registries/providers/Microsoft.MachineLearningServices/registries/azureml/models/m",
		"/mferp/managementfrontend/subscriptions/5b4d0c1e-9f3a-4e2b-8c6d-7a1e2f3b4c5d/resourceGroups/registries/providers/Microsoft.MachineLearningServices/registries/azureml/models/m/versions/1/x",
		"/registrymanagement/v1.0/registries//discovery",
		"/registrymanagement/v1.0/registries/azureml",
	} {
		if r := c.do(http.MethodGet, c.base+p, nil); r.status < 400 || r.status >= 500 {
			t.Errorf("%s: %d %s, want a 4xx", p, r.status, r.body)
		}
	}
	if r := c.do(http.MethodPost, c.base+"/registrymanagement/v1.0/registries/azureml/discovery", nil); r.status != http.StatusMethodNotAllowed {
		t.Errorf("POST discovery: %d, want 405", r.status)
	}
}
