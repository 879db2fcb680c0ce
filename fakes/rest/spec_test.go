package rest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/rolloutkit/rollout/fakes/rest"
)

// TestRequiredProperties: the emulator refuses a PUT that lacks what the
// specification requires, with ARM's 400 body naming each property, as the
// service does, rather than taking whatever a client happens to send.
func TestRequiredProperties(t *testing.T) {
	c, _ := newServer(t, rest.Options{})
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/req-ep", endpointBody(nil)))
	for _, tc := range []struct {
		path   string
		body   string
		target string
		reason string
	}{
		{"/onlineEndpoints/req-ep2", `{"properties": {"authMode": "Key"}}`, "location", "a tracked resource has a location"},
		{"/onlineEndpoints/req-ep2", `{"location": "eastus"}`, "properties", "properties are required"},
		{"/onlineEndpoints/req-ep2", `{"location": "eastus", "properties": {}}`, "properties.authMode", "an endpoint's auth mode is required"},
		{"/onlineEndpoints/req-ep/deployments/blue", `{"location": "eastus", "properties": {"instanceType": "Standard_DS3_v2"}}`, "properties.endpointComputeType", "a deployment's compute type is required"},
		{"/onlineEndpoints/req-ep2", "", "location properties", "the body is required: a PUT without one creates nothing"},
		{"/onlineEndpoints/req-ep/deployments/green", "", "location properties", "the body of a deployment's PUT is required too"},
	} {
		r := c.do(http.MethodPut, tc.path, tc.body)
		e, _ := r.json(t)["error"].(map[string]any)
		details, _ := e["details"].([]any)
		var targets []string
		for _, d := range details {
			target, _ := d.(map[string]any)["target"].(string)
			targets = append(targets, target)
		}
		if r.status != http.StatusBadRequest || e["code"] != "BadArgument" || strings.Join(targets, " ") != tc.target {
			t.Errorf("PUT %s %s: %d %s; want 400 BadArgument with a detail for each of %s (%s)", tc.path, tc.body, r.status, r.body, tc.target, tc.reason)
		}
	}
}

// TestAnswersAsTheSpecExamples: every answer carries systemData and a kind,
// as the specification's examples do, and what a PUT held beyond the
// model (a deployment's identity, the sku's tier, newer properties) is
// answered back, as the service keeps it.
func TestAnswersAsTheSpecExamples(t *testing.T) {
	c, _ := newServer(t, rest.Options{})
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/ex-ep", endpointBody(nil)))
	body := deploymentBody(ws+"/models/m/versions/1", 1)
	body["kind"] = "custom-kind"
	body["identity"] = map[string]any{"type": "SystemAssigned"}
	body["sku"].(map[string]any)["tier"] = "Standard"
	body["properties"].(map[string]any)["futureSetting"] = "on"
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/ex-ep/deployments/blue", body))
	for _, path := range []string{"/onlineEndpoints/ex-ep", "/onlineEndpoints/ex-ep/deployments/blue"} {
		got := c.do(http.MethodGet, path, nil).json(t)
		sd, _ := got["systemData"].(map[string]any)
		if sd["createdAt"] == nil || sd["lastModifiedAt"] == nil || got["kind"] == nil {
			t.Errorf("GET %s: systemData %v kind %v, want both", path, got["systemData"], got["kind"])
		}
	}
	d := c.do(http.MethodGet, "/onlineEndpoints/ex-ep/deployments", nil).json(t)["value"].([]any)[0].(map[string]any)
	if d["kind"] != "custom-kind" || d["identity"] == nil || d["sku"].(map[string]any)["tier"] != "Standard" ||
		d["properties"].(map[string]any)["futureSetting"] != "on" {
		t.Errorf("listed deployment %v: want the kind, identity, sku tier and newer property the PUT held", d)
	}
}

// TestDeploymentNamesIgnoreCase: ARM matches resource names without
// regard to case, deployments as well as endpoints; the in-memory
// service's rules do. Every call on a deployment named in another case
// reaches the deployment, which keeps the spelling it was created with.
func TestDeploymentNamesIgnoreCase(t *testing.T) {
	c, _ := newServer(t, rest.Options{})
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/case-ep", endpointBody(nil)))
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/case-ep/deployments/blue", deploymentBody(ws+"/models/m/versions/1", 1)))
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
		reason       string
	}{
		{http.MethodGet, "/onlineEndpoints/CASE-EP/deployments/BLUE", nil, http.StatusOK, "a GET finds the deployment"},
		{http.MethodPost, "/onlineEndpoints/case-ep/deployments/Blue/getLogs", `{}`, http.StatusOK, "getLogs finds it"},
		{http.MethodGet, "/onlineEndpoints/case-ep/deployments/Blue/skus", nil, http.StatusOK, "skus finds it"},
		{http.MethodPut, "/onlineEndpoints/case-ep/deployments/BLUE", deploymentBody(ws+"/models/m/versions/2", 1), http.StatusOK, "a PUT updates it (200), not creates another (201)"},
		{http.MethodPatch, "/onlineEndpoints/case-ep/deployments/BLUE", `{"sku": {"capacity": 2}}`, http.StatusAccepted, "a PATCH scales it"},
		{http.MethodDelete, "/onlineEndpoints/case-ep/deployments/BLUE", nil, http.StatusAccepted, "a DELETE deletes it (202), not answers 204 as for a deployment that is not there"},
	} {
		r := c.do(tc.method, tc.path, tc.body)
		if r.status != tc.status {
			t.Errorf("%s %s: %d %s; want %d (%s)", tc.method, tc.path, r.status, r.body, tc.status, tc.reason)
			continue
		}
		if r.header.Get("Azure-AsyncOperation") != "" {
			c.poll(r)
		}
		if tc.method == http.MethodGet && tc.body == nil && r.json(t)["name"] != nil && r.json(t)["name"] != "blue" {
			t.Errorf("%s %s: name %v, want blue as created (%s)", tc.method, tc.path, r.json(t)["name"], tc.reason)
		}
	}
	if r := c.do(http.MethodGet, "/onlineEndpoints/case-ep/deployments/blue", nil); r.status != http.StatusNotFound {
		t.Errorf("after DELETE of BLUE, GET of blue: %d %s; want 404", r.status, r.body)
	}
}

// TestPropertiesAddOnly: "Properties can be added, but not removed or
// altered", the specification says of endpoints and deployments. A PUT
// that leaves a property out keeps it; one that alters it is refused.
func TestPropertiesAddOnly(t *testing.T) {
	c, _ := newServer(t, rest.Options{})
	withProps := func(body map[string]any, props map[string]string) map[string]any {
		body["properties"].(map[string]any)["properties"] = props
		return body
	}
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/prop-ep", withProps(endpointBody(nil), map[string]string{"owner": "svc"})))
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/prop-ep/deployments/blue", withProps(deploymentBody(ws+"/models/m/versions/1", 1), map[string]string{"owner": "svc"})))
	for _, tc := range []struct {
		path   string
		body   map[string]any
		status int
		want   string // the properties after, as JSON
		reason string
	}{
		{"/onlineEndpoints/prop-ep", endpointBody(nil), http.StatusOK, `{"owner":"svc"}`, "an endpoint's property left out is kept"},
		{"/onlineEndpoints/prop-ep", withProps(endpointBody(nil), map[string]string{"team": "ml"}), http.StatusOK, `{"owner":"svc","team":"ml"}`, "one added is added"},
		{"/onlineEndpoints/prop-ep", withProps(endpointBody(nil), map[string]string{"owner": "me"}), http.StatusBadRequest, `{"owner":"svc","team":"ml"}`, "one altered is refused"},
		{"/onlineEndpoints/prop-ep/deployments/blue", deploymentBody(ws+"/models/m/versions/1", 1), http.StatusOK, `{"owner":"svc"}`, "a deployment's property left out is kept"},
		{"/onlineEndpoints/prop-ep/deployments/blue", withProps(deploymentBody(ws+"/models/m/versions/1", 1), map[string]string{"owner": "me"}), http.StatusBadRequest, `{"owner":"svc"}`, "a deployment's property altered is refused"},
	} {
		r := c.do(http.MethodPut, tc.path, tc.body)
		if r.status != tc.status {
			t.Errorf("PUT %s: %d %s; want %d (%s)", tc.path, r.status, r.body, tc.status, tc.reason)
			continue
		}
		if r.status == http.StatusOK {
			c.poll(r)
		}
		got, _ := json.Marshal(c.do(http.MethodGet, tc.path, nil).json(t)["properties"].(map[string]any)["properties"])
		if string(got) != tc.want {
			t.Errorf("PUT %s, then GET: properties %s, want %s (%s)", tc.path, got, tc.want, tc.reason)
		}
	}
}

// TestPatchedIdentityIsAnswered: a PATCH of an endpoint's identity
// replaces it, and every answer after shows the identity it left, not the
// user-assigned identities an earlier PUT named.
func TestPatchedIdentityIsAnswered(t *testing.T) {
	c, _ := newServer(t, rest.Options{})
	const uai = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1"
	body := endpointBody(nil)
	body["identity"] = map[string]any{"type": "UserAssigned", "userAssignedIdentities": map[string]any{uai: map[string]any{}}}
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/id-ep", body))
	r := c.do(http.MethodPatch, "/onlineEndpoints/id-ep", `{"identity": {"type": "SystemAssigned"}}`)
	if r.status != http.StatusAccepted {
		t.Fatalf("PATCH: %d %s", r.status, r.body)
	}
	result := c.do(http.MethodGet, r.header.Get("Location"), nil)
	for _, tc := range []struct {
		what   string
		answer response
	}{
		{"the PATCH's result", result},
		{"a GET", c.do(http.MethodGet, "/onlineEndpoints/id-ep", nil)},
		{"the list", c.do(http.MethodGet, "/onlineEndpoints", nil)},
	} {
		got := tc.answer.json(t)
		if v, ok := got["value"].([]any); ok && len(v) == 1 {
			got = v[0].(map[string]any)
		}
		id, _ := json.Marshal(got["identity"])
		if string(id) != `{"type":"SystemAssigned"}` {
			t.Errorf("%s: identity %s, want the system-assigned identity alone, as patched", tc.what, id)
		}
	}
}

// TestAutoscaleDefaults: a deployment autoscaled by target utilization is
// answered with the defaults the specification gives what a PUT leaves
// out (TargetUtilizationScaleSettings: maxInstances 1, pollingInterval
// PT1S, targetUtilizationPercentage 70), as the service answers them; so
// is a Kubernetes deployment without scale settings, which the
// specification autoscales.
func TestAutoscaleDefaults(t *testing.T) {
	c, _ := newServer(t, rest.Options{})
	ep := endpointBody(nil)
	ep["properties"].(map[string]any)["compute"] = "k8s-compute"
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/k8s-ep", ep))
	for _, tc := range []struct {
		sent, want string
		reason     string
	}{
		{`{"scaleType": "TargetUtilization"}`, `{"maxInstances":1,"minInstances":1,"pollingInterval":"PT1S","scaleType":"TargetUtilization","targetUtilizationPercentage":70}`,
			"every default"},
		{`{"scaleType": "TargetUtilization", "maxInstances": 5, "pollingInterval": "PT10S", "targetUtilizationPercentage": 50}`, `{"maxInstances":5,"minInstances":1,"pollingInterval":"PT10S","scaleType":"TargetUtilization","targetUtilizationPercentage":50}`,
			"values written are kept"},
		{`null`, `{"maxInstances":1,"minInstances":1,"pollingInterval":"PT1S","scaleType":"TargetUtilization","targetUtilizationPercentage":70}`,
			"a Kubernetes deployment without scale settings is autoscaled: the specification's default for KubernetesOnlineDeployment"},
	} {
		body := `{"location": "eastus", "properties": {"endpointComputeType": "Kubernetes", "model": "azureml:m:1", "instanceType": "defaultinstancetype", "scaleSettings": ` + tc.sent + `}}`
		if r := c.do(http.MethodPut, "/onlineEndpoints/k8s-ep/deployments/blue", body); r.status >= 300 {
			t.Fatalf("PUT %s: %d %s", tc.sent, r.status, r.body)
		} else {
			c.poll(r)
		}
		got, _ := json.Marshal(c.do(http.MethodGet, "/onlineEndpoints/k8s-ep/deployments/blue", nil).json(t)["properties"].(map[string]any)["scaleSettings"])
		if string(got) != tc.want {
			t.Errorf("PUT scaleSettings %s, then GET: %s; want %s (%s)", tc.sent, got, tc.want, tc.reason)
		}
	}
}

// TestInstanceTypeDefault: a managed deployment's instanceType is
// optional in the specification, which gives it a default,
// Standard_F4s_v2; a PUT without one creates the deployment with it.
func TestInstanceTypeDefault(t *testing.T) {
	c, _ := newServer(t, rest.Options{})
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/it-ep", endpointBody(nil)))
	r := c.do(http.MethodPut, "/onlineEndpoints/it-ep/deployments/blue", `{"location": "eastus", "properties": {"endpointComputeType": "Managed", "model": "azureml:m:1"}}`)
	if r.status != http.StatusCreated {
		t.Fatalf("PUT without instanceType: %d %s; want 201", r.status, r.body)
	}
	c.poll(r)
	got := c.do(http.MethodGet, "/onlineEndpoints/it-ep/deployments/blue", nil).json(t)["properties"].(map[string]any)["instanceType"]
	if got != "Standard_F4s_v2" {
		t.Errorf("instanceType %v, want the specification's default Standard_F4s_v2", got)
	}
}
