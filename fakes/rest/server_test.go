package rest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rolloutkit/rollout/fakes/rest"
)

// TestFlow walks the tutorial over HTTP: endpoint, blue, traffic, green,
// a direct invocation, the shift and the clean-up.
func TestFlow(t *testing.T) {
	c, _ := newServer(t, rest.Options{})
	model := ws + "/models/m/versions/1"

	r := c.do(http.MethodPut, "/onlineEndpoints/my-ep", endpointBody(nil))
	if r.status != http.StatusCreated {
		t.Fatalf("create endpoint: %d %s", r.status, r.body)
	}
	if st := c.poll(r); st["status"] != "Succeeded" {
		t.Fatalf("create endpoint ended %v", st)
	}
	r = c.do(http.MethodPut, "/onlineEndpoints/my-ep/deployments/blue", deploymentBody(model, 1))
	if r.status != http.StatusCreated || c.poll(r)["status"] != "Succeeded" {
		t.Fatalf("create blue: %d %s", r.status, r.body)
	}
	r = c.do(http.MethodPut, "/onlineEndpoints/my-ep", endpointBody(map[string]int{"blue": 100}))
	if r.status != http.StatusOK || c.poll(r)["status"] != "Succeeded" {
		t.Fatalf("traffic: %d %s", r.status, r.body)
	}
	r = c.do(http.MethodPatch, "/onlineEndpoints/my-ep/deployments/blue", map[string]any{"sku": map[string]any{"capacity": 2}})
	if r.status != http.StatusAccepted || r.header.Get("Location") == "" || r.header.Get("Retry-After") == "" {
		t.Fatalf("scale: %d %v %s", r.status, r.header, r.body)
	}
	if f := c.do(http.MethodGet, r.header.Get("Location"), nil); f.status != http.StatusOK {
		t.Fatalf("scale result: %d %s", f.status, f.body)
	}

	r = c.do(http.MethodGet, "/onlineEndpoints/my-ep/deployments/blue", nil)
	got := r.json(t)
	if sku := got["sku"].(map[string]any); sku["capacity"] != 2.0 {
		t.Errorf("blue sku %v, want capacity 2", sku)
	}
	props := got["properties"].(map[string]any)
	if props["model"] != model || props["provisioningState"] != "Succeeded" {
		t.Errorf("blue properties %v", props)
	}
	if rs := props["requestSettings"].(map[string]any); rs["requestTimeout"] != "PT5S" || rs["maxQueueWait"] != "PT0.5S" {
		t.Errorf("request settings %v, want the durations sent", rs)
	}
	if r.header.Get("ETag") != "" {
		t.Errorf("GET deployment with ETag %q: the specification declares none", r.header.Get("ETag"))
	}

	r = c.do(http.MethodPut, "/onlineEndpoints/my-ep/deployments/green", deploymentBody(ws+"/models/m/versions/2", 1))
	c.poll(r)
	r = c.do(http.MethodPatch, "/onlineEndpoints/my-ep", map[string]any{"tags": map[string]string{"stage": "canary"}})
	if r.status != http.StatusAccepted {
		t.Fatalf("patch endpoint: %d %s", r.status, r.body)
	}
	if f := c.do(http.MethodGet, r.header.Get("Location"), nil); f.status != http.StatusOK || f.json(t)["tags"].(map[string]any)["stage"] != "canary" {
		t.Fatalf("patch endpoint result: %d %s", f.status, f.body)
	}
	// The PATCH keeps the traffic: the emulator sends the full endpoint.
	ep := c.do(http.MethodGet, "/onlineEndpoints/my-ep", nil).json(t)
	if tr := ep["properties"].(map[string]any)["traffic"].(map[string]any); tr["blue"] != 100.0 {
		t.Errorf("traffic after tag patch %v", tr)
	}

	keys := c.do(http.MethodPost, "/onlineEndpoints/my-ep/listKeys", nil).json(t)
	key := keys["primaryKey"].(string)
	scoring := ep["properties"].(map[string]any)["scoringUri"].(string)
	if !strings.HasPrefix(scoring, c.base+"/score/") {
		t.Fatalf("scoringUri %q does not point at the emulator", scoring)
	}
	s := c.do(http.MethodPost, scoring, `{"data": 1}`, "Authorization", "Bearer "+key, "azureml-model-deployment", "green")
	if s.status != http.StatusOK || s.header.Get("azureml-model-deployment") != "green" || !strings.Contains(string(s.body), "versions/2") {
		t.Fatalf("direct invoke of green: %d %v %s", s.status, s.header, s.body)
	}
	if s := c.do(http.MethodPost, scoring, `{}`, "Authorization", "Bearer wrong"); s.status != http.StatusUnauthorized {
		t.Errorf("invoke with a wrong key: %d, want 401", s.status)
	}

	c.poll(c.do(http.MethodPut, "/onlineEndpoints/my-ep", endpointBody(map[string]int{"green": 100})))
	r = c.do(http.MethodDelete, "/onlineEndpoints/my-ep/deployments/blue", nil)
	if r.status != http.StatusAccepted {
		t.Fatalf("delete blue: %d %s", r.status, r.body)
	}
	if f := c.do(http.MethodGet, r.header.Get("Location"), nil); f.status != http.StatusNoContent {
		t.Fatalf("delete result: %d %s", f.status, f.body)
	}
	if r := c.do(http.MethodDelete, "/onlineEndpoints/my-ep/deployments/blue", nil); r.status != http.StatusNoContent {
		t.Errorf("delete of a deleted deployment: %d, want 204", r.status)
	}
	list := c.do(http.MethodGet, "/onlineEndpoints/my-ep/deployments", nil).json(t)
	if v := list["value"].([]any); len(v) != 1 || v[0].(map[string]any)["name"] != "green" {
		t.Errorf("deployments after delete: %v", v)
	}
}

// TestErrors checks the status and ARM error code of refusals.
func TestErrors(t *testing.T) {
	c, _ := newServer(t, rest.Options{Workspace: "ws-1"})
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/epx", endpointBody(nil)))
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/epx/deployments/blue", deploymentBody(ws+"/models/m/versions/1", 1)))
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/epx", endpointBody(map[string]int{"blue": 100})))

	for _, tc := range []struct {
		name, reason string
		method, path string
		body         any
		header       []string
		status       int
		code         string
	}{
		{"missing endpoint", "GET of an unknown endpoint is 404 NotFound", http.MethodGet, "/onlineEndpoints/nope", nil, nil, 404, "NotFound"},
		{"missing deployment", "GET of an unknown deployment is 404", http.MethodGet, "/onlineEndpoints/epx/deployments/nope", nil, nil, 404, "NotFound"},
		{"traffic to unknown", "traffic may only name existing deployments", http.MethodPut, "/onlineEndpoints/epx", endpointBody(map[string]int{"green": 100}), nil, 404, "NotFound"},
		{"bad sum", "traffic sums to 100 or 0", http.MethodPut, "/onlineEndpoints/epx", endpointBody(map[string]int{"blue": 50}), nil, 400, "BadArgument"},
		{"delete live", "a deployment with traffic cannot be deleted", http.MethodDelete, "/onlineEndpoints/epx/deployments/blue", nil, nil, 400, "BadArgument"},
		{"bad auth mode", "enums are checked", http.MethodPut, "/onlineEndpoints/epx2", map[string]any{"properties": map[string]any{"authMode": "Password"}}, nil, 400, "BadArgument"},
		{"bad duration", "durations are ISO-8601", http.MethodPut, "/onlineEndpoints/epx/deployments/x", map[string]any{"properties": map[string]any{"requestSettings": map[string]any{"requestTimeout": "5s"}}}, nil, 400, "BadArgument"},
		{"bad json", "a body that is not JSON is 400", http.MethodPut, "/onlineEndpoints/epx", "{", nil, 400, "BadArgument"},
		{"api version", "unsupported api-versions are refused", http.MethodGet, "/onlineEndpoints/epx?api-version=2020-01-01", nil, nil, 400, "InvalidApiVersionParameter"},
		{"no token", "ARM calls need a bearer token", http.MethodGet, "/onlineEndpoints/epx", nil, []string{"Authorization", ""}, 401, "AuthenticationFailed"},
		{"other workspace", "a server for one workspace refuses others", http.MethodGet, strings.Replace(ws, "ws-1", "ws-2", 1) + "/onlineEndpoints/epx", nil, nil, 404, "ResourceNotFound"},
		{"unknown route", "paths outside the API are 404", http.MethodGet, "/subscriptions/s/other", nil, nil, 404, "NoRegisteredProviderFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do(tc.method, tc.path, tc.body, tc.header...)
			if r.status != tc.status || errorCode(t, r) != tc.code {
				t.Errorf("%s: got %d %s, want %d %s (%s)", tc.name, r.status, r.body, tc.status, tc.code, tc.reason)
			}
		})
	}
	// The specification has no conditional requests on online endpoints:
	// If-Match and If-None-Match are ignored, never answered with 412.
	for _, h := range [][]string{{"If-Match", `"0"`}, {"If-None-Match", "*"}} {
		r := c.do(http.MethodPut, "/onlineEndpoints/epx", endpointBody(map[string]int{"blue": 100}), h...)
		if r.status != http.StatusOK {
			t.Fatalf("PUT with %s: %d %s, want 200: the emulator does not invent preconditions", h[0], r.status, r.body)
		}
		c.poll(r)
	}
}
