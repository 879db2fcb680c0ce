package rest_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/rolloutkit/rollout/fakes/rest"
)

var corpus = filepath.Join("..", "..", "..", "shared", "corpus", "azure-rest-api-specs")

// example reads one of the service's REST examples.
func example(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpus, path))
	if os.IsNotExist(err) {
		t.Skipf("corpus absent (%v): the REST examples are read in place", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func obj(v any, keys ...string) map[string]any {
	for _, k := range keys {
		v = v.(map[string]any)[k]
	}
	return v.(map[string]any)
}

// TestCorpusRequests sends the request bodies of the service's examples
// and checks that every property they set comes back on GET, with the
// status codes the examples list.
func TestCorpusRequests(t *testing.T) {
	const stable = "stable/2024-10-01/examples/"
	for _, tc := range []struct {
		name, reason string
		endpoint     string // example body of the endpoint to create first
		deployment   string // example body of the deployment, if any
		kubernetes   bool
	}{
		{"managed endpoint", "the endpoint example, as a managed endpoint", stable + "Workspace/OnlineEndpoint/createOrUpdate.json", "", false},
		{"kubernetes endpoint", "the endpoint example as written, with its compute", stable + "Workspace/OnlineEndpoint/createOrUpdate.json", "", true},
		{"managed deployment", "every field of a managed deployment", stable + "Workspace/OnlineEndpoint/createOrUpdate.json", stable + "OnlineDeployment/ManagedOnlineDeployment/createOrUpdate.json", false},
		{"kubernetes deployment", "container resources of a Kubernetes deployment", stable + "Workspace/OnlineEndpoint/createOrUpdate.json", stable + "OnlineDeployment/KubernetesOnlineDeployment/createOrUpdate.json", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newServer(t, rest.Options{})
			ex := example(t, tc.endpoint)
			body := obj(ex, "parameters", "body")
			props := obj(body, "properties")
			// The example's traffic names a deployment that does not exist.
			props["traffic"] = map[string]any{}
			// The placeholder identity is system-assigned with a
			// user-assigned one, which the service refuses.
			obj(body, "identity")["type"] = "SystemAssigned,UserAssigned"
			if !tc.kubernetes {
				delete(props, "compute")
			}
			r := c.do(http.MethodPut, "/onlineEndpoints/corpus-ep", body)
			if _, listed := obj(ex, "responses")[strconv.Itoa(r.status)]; r.status != http.StatusCreated || !listed {
				t.Fatalf("%s: PUT answered %d %s (%s)", tc.name, r.status, r.body, tc.reason)
			}
			if st := c.poll(r); st["status"] != "Succeeded" {
				t.Fatalf("create endpoint: %v", st)
			}
			check(t, props, obj(c.do(http.MethodGet, "/onlineEndpoints/corpus-ep", nil).json(t), "properties"), "scoringUri", "provisioningState")
			if tc.deployment == "" {
				return
			}
			dex := example(t, tc.deployment)
			dbody := obj(dex, "parameters", "body")
			dprops := obj(dbody, "properties")
			// Asset ids, as the client sends them.
			dprops["model"] = ws + "/models/m/versions/1"
			dprops["environmentId"] = ws + "/environments/env/versions/1"
			obj(dprops, "codeConfiguration")["codeId"] = ws + "/codes/c/versions/1"
			// The example's five minutes exceed a managed deployment's
			// limit of three.
			obj(dprops, "requestSettings")["requestTimeout"] = "PT1M30S"
			r = c.do(http.MethodPut, "/onlineEndpoints/corpus-ep/deployments/blue", dbody)
			if r.status != http.StatusCreated {
				t.Fatalf("PUT deployment answered %d %s", r.status, r.body)
			}
			if st := c.poll(r); st["status"] != "Succeeded" {
				t.Fatalf("create deployment: %v", st)
			}
			got := c.do(http.MethodGet, "/onlineEndpoints/corpus-ep/deployments/blue", nil).json(t)
			check(t, dprops, obj(got, "properties"), "provisioningState")
			if obj(got, "sku")["capacity"] != obj(dbody, "sku")["capacity"] {
				t.Errorf("sku.capacity %v, want %v", obj(got, "sku")["capacity"], obj(dbody, "sku")["capacity"])
			}
		})
	}
}

// check compares the properties a request set with what a GET returns:
// every key sent comes back with the same value, and every key returned
// was sent, apart from the read-only ones and those the service fills
// with its defaults.
func check(t *testing.T, sent, got map[string]any, readOnly ...string) {
	t.Helper()
	defaults := []string{
		"traffic", "mirrorTraffic", "publicNetworkAccess", "authMode",
		"egressPublicNetworkAccess", "livenessProbe", "readinessProbe", "requestSettings", "scaleSettings",
	}
	for _, k := range slices.Sorted(maps.Keys(sent)) {
		g, ok := got[k]
		if !ok {
			t.Errorf("property %s was sent but not returned", k)
			continue
		}
		sj, _ := json.Marshal(sent[k])
		gj, _ := json.Marshal(g)
		if string(sj) != string(gj) {
			t.Errorf("property %s: sent %s, got %s", k, sj, gj)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := sent[k]; !ok && !slices.Contains(readOnly, k) && !slices.Contains(defaults, k) {
			t.Errorf("property %s was returned but never sent", k)
		}
	}
}
