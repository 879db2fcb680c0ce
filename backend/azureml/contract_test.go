package azureml

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

// endpointJSON is a minimal endpoint body as the service returns it.
func endpointJSON(name string, props map[string]any) map[string]any {
	p := map[string]any{"authMode": "Key", "traffic": map[string]any{}, "provisioningState": "Succeeded"}
	for k, v := range props {
		p[k] = v
	}
	return map[string]any{"name": name, "location": "westeurope", "properties": p}
}

func deploymentJSON(name string, props map[string]any) map[string]any {
	p := map[string]any{"endpointComputeType": "Managed", "instanceType": "Standard_DS3_v2", "provisioningState": "Succeeded"}
	for k, v := range props {
		p[k] = v
	}
	return map[string]any{"name": name, "location": "westeurope", "sku": map[string]any{"name": "Default", "capacity": 1}, "properties": p}
}

// TestExtensibleEnums: values of the service's extensible enumerations
// that this client does not know are read as written, shown in a diff, and
// sent back as they were; only a write whose body depends on such a value
// (a deployment's compute type) is refused.
func TestExtensibleEnums(t *testing.T) {
	s := newScripted(t)
	s.route("GET /onlineEndpoints", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"value": []any{endpointJSON("churn", map[string]any{"publicNetworkAccess": "SecuredByPerimeter"})}})
	})
	s.route("GET "+epPath+"/deployments", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"value": []any{deploymentJSON("blue", map[string]any{"endpointComputeType": "AzureMLCompute", "egressPublicNetworkAccess": "Restricted"})}})
	})
	s.route("PUT "+epPath, lro(s, http.StatusOK, "Azure-AsyncOperation", ""))
	s.route("GET "+epPath, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, endpointJSON("churn", nil)) })
	b := newTestBackend(t, s, nil)
	list, err := b.ListEndpoints(t.Context())
	if err != nil {
		t.Fatalf("ListEndpoints with values newer than the client: %v", err)
	}
	e := list[0]
	d := e.Deployments[0]
	if e.PublicNetworkAccess != "SecuredByPerimeter" || d.Type != "AzureMLCompute" || d.EgressPublicNetworkAccess != "Restricted" {
		t.Fatalf("unknown values not kept as written: %q %q %q", e.PublicNetworkAccess, d.Type, d.EgressPublicNetworkAccess)
	}
	desired := d
	desired.Type = endpoint.Managed
	if cs := endpoint.DiffDeployment(d, desired); len(cs) != 1 || !strings.Contains(cs[0].Before, "AzureMLCompute") {
		t.Errorf("diff %+v, want type: AzureMLCompute -> managed", cs)
	}

	err = b.CreateOrUpdateDeployment(t.Context(), "churn", d)
	if backend.KindOf(err) != backend.Invalid || !strings.Contains(err.Error(), "AzureMLCompute") {
		t.Errorf("writing a deployment of an unknown compute type = %v, want Invalid naming the value", err)
	}
	e.Traffic = traffic.MustNew(map[string]int{"blue": 100})
	if err := b.CreateOrUpdateEndpoint(t.Context(), e); err != nil {
		t.Fatalf("traffic update of an endpoint with an unknown access value: %v", err)
	}
	for _, r := range s.requests() {
		if r.method == http.MethodPut && strings.Contains(r.path, "/deployments/") {
			t.Errorf("a deployment PUT was sent: %s", r.body)
		}
		if r.method == http.MethodPut && !strings.Contains(string(r.body), `"publicNetworkAccess":"SecuredByPerimeter"`) {
			t.Errorf("endpoint PUT %s, want the unknown value sent back as read", r.body)
		}
	}
}

// TestNamesCreatedElsewhere: the service's path pattern is looser than the
// rule for what this client creates. Names created elsewhere are read,
// listed and updated; only a new name must follow the documented rule.
func TestNamesCreatedElsewhere(t *testing.T) {
	const legacy = "/onlineEndpoints/legacy_ep"
	s := newScripted(t)
	s.route("GET /onlineEndpoints", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"value": []any{endpointJSON("legacy_ep", nil)}})
	})
	s.route("GET "+legacy, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, endpointJSON("legacy_ep", nil)) })
	s.route("GET "+legacy+"/deployments", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"value": []any{deploymentJSON("2021_blue", nil)}})
	})
	s.route("PUT "+legacy, lro(s, http.StatusOK, "Azure-AsyncOperation", ""))
	b := newTestBackend(t, s, nil)
	list, err := b.ListEndpoints(t.Context())
	if err != nil || len(list) != 1 || list[0].Deployments[0].Name != "2021_blue" {
		t.Fatalf("ListEndpoints = %v, %v; want legacy_ep with 2021_blue", list, err)
	}
	e, err := b.GetEndpoint(t.Context(), "legacy_ep")
	if err != nil {
		t.Fatalf("GetEndpoint of a name created elsewhere: %v", err)
	}
	e.Traffic = traffic.MustNew(map[string]int{"2021_blue": 100})
	if err := b.CreateOrUpdateEndpoint(t.Context(), e); err != nil {
		t.Errorf("updating an endpoint created elsewhere: %v", err)
	}
	before := len(s.requests())
	for _, tc := range []struct {
		name   string
		call   func() error
		reason string
	}{
		{"new endpoint", func() error {
			return b.CreateOrUpdateEndpoint(t.Context(), &endpoint.Endpoint{Name: "new_ep"})
		}, "a new endpoint follows the documented rule: no underscore"},
		{"new deployment", func() error {
			return b.CreateOrUpdateDeployment(t.Context(), "legacy_ep", endpoint.Deployment{Name: "1st", InstanceType: "Standard_DS3_v2", InstanceCount: 1})
		}, "a new deployment starts with a letter"},
		{"path", func() error { _, err := b.GetEndpoint(t.Context(), "../x"); return err }, "no name may change the path"},
	} {
		if err := tc.call(); err == nil {
			t.Errorf("%s: accepted (%s)", tc.name, tc.reason)
		}
	}
	if n := len(s.requests()); n != before {
		t.Errorf("%d requests sent for refused names", n-before)
	}
}

// TestNextLinkAsGiven: a nextLink is followed exactly as the service gives
// it, even when it names another api-version and carries an encoded token.
func TestNextLinkAsGiven(t *testing.T) {
	s := newScripted(t)
	next := s.srv.URL + testScope.path() + "/onlineEndpoints?api-version=2025-01-01-preview&%24skipToken=a%2Bb%3D%3D"
	s.route("GET /onlineEndpoints", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("$skipToken") == "" {
			writeJSON(w, 200, map[string]any{"value": []any{endpointJSON("alpha", nil)}, "nextLink": next})
			return
		}
		writeJSON(w, 200, map[string]any{"value": []any{endpointJSON("beta", nil)}})
	})
	for _, n := range []string{"alpha", "beta"} {
		s.route("GET /onlineEndpoints/"+n+"/deployments", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, json.RawMessage(`{"value": []}`))
		})
	}
	list, err := newTestBackend(t, s, nil).ListEndpoints(t.Context())
	if err != nil || len(list) != 2 {
		t.Fatalf("ListEndpoints = %v, %v", list, err)
	}
	second := s.requests()[1]
	if v, tok := second.query["api-version"], second.query["$skipToken"]; len(v) != 1 || v[0] != "2025-01-01-preview" || len(tok) != 1 || tok[0] != "a+b==" {
		t.Errorf("second page asked with api-version %v and token %v, want the nextLink's own", v, tok)
	}
}

// TestComputeID: the YAML's azureml:NAME (normalized to NAME) is sent as the
// ARM id of the workspace's compute, which the specification says the
// service takes, and that id reads back as the name, so that a plan
// converges; an id of anything else is kept as written.
func TestComputeID(t *testing.T) {
	id := testScope.path() + "/computes/inferencecompute"
	other := "/subscriptions/x/resourceGroups/y/providers/Microsoft.MachineLearningServices/workspaces/z/computes/k8s"
	for _, tc := range []struct{ model, wire, back, reason string }{
		{"inferencecompute", id, "inferencecompute", "a normalized name"},
		{"azureml:inferencecompute", id, "inferencecompute", "the CLI's shorthand, unnormalized"},
		{other, other, other, "another workspace's compute, by id"},
		{"", "", "", "a managed endpoint has none"},
	} {
		w, err := testScope.encodeEndpoint(&endpoint.Endpoint{Name: "churn", Compute: tc.model}, "westeurope")
		if err != nil || w.Properties.Compute != tc.wire {
			t.Errorf("%q sent as %q (%v), want %q (%s)", tc.model, w.Properties.Compute, err, tc.wire, tc.reason)
			continue
		}
		e, err := testScope.decodeEndpoint(w, "")
		if err != nil || e.Compute != tc.back {
			t.Errorf("%q read back as %q (%v), want %q (%s)", tc.wire, e.Compute, err, tc.back, tc.reason)
		}
	}
	upper := strings.ToUpper(testScope.path()) + "/computes/k8s"
	if got := testScope.computeName(upper); got != "k8s" {
		t.Errorf("id in another case read as %q, want k8s: ARM ids compare case-insensitively", got)
	}
	if _, err := testScope.encodeEndpoint(&endpoint.Endpoint{Name: "churn", Compute: "azureml:a b"}, "westeurope"); err == nil {
		t.Error("a compute name with a space was sent")
	}
}

// TestErrorDetails: the service gives the reasons of a validation failure in
// the error's target, details and additional information; they are kept in
// the backend.Error and printed.
func TestErrorDetails(t *testing.T) {
	s := newScripted(t)
	s.route("PUT "+depPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusBadRequest, json.RawMessage(`{"error": {"code": "UserError", "message": "The request is invalid.",
			"target": "properties", "details": [
				{"code": "InvalidInstanceType", "message": "Standard_XX is not a supported VM size.", "target": "properties.instanceType",
				 "details": [{"code": "Quota", "message": "no quota in westeurope"}]}],
			"additionalInfo": [{"type": "ComponentName", "info": {"value": "managementfrontend"}}]}}`))
	})
	err := newTestBackend(t, s, nil).CreateOrUpdateDeployment(t.Context(), "churn", endpoint.Deployment{Name: "blue", InstanceType: "Standard_XX", InstanceCount: 1})
	e, ok := errors.AsType[*backend.Error](err)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	if e.Target != "properties" || len(e.Details) != 1 || e.Details[0].Target != "properties.instanceType" ||
		len(e.Details[0].Details) != 1 || e.Details[0].Details[0].Code != "Quota" ||
		len(e.AdditionalInfo) != 1 || e.AdditionalInfo[0].Type != "ComponentName" || !strings.Contains(string(e.AdditionalInfo[0].Info), "managementfrontend") {
		t.Fatalf("error kept %+v", e)
	}
	for _, want := range []string{"[properties]", "InvalidInstanceType: Standard_XX is not a supported VM size.", "properties.instanceType", "Quota: no quota in westeurope", `ComponentName {"value": "managementfrontend"}`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("printed %q, want %q in it", err, want)
		}
	}
}

// TestMinInstancesZeroSent: a minimum of 0 under target utilization is
// sent as 0, since the service takes an absent one as 1, and reads back
// as 0.
func TestMinInstancesZeroSent(t *testing.T) {
	d := endpoint.Deployment{Name: "blue", Type: endpoint.Kubernetes, InstanceType: "defaultinstancetype",
		ScaleSettings: endpoint.ScaleSettings{Type: endpoint.ScaleTargetUtilization, MinInstances: 0, MaxInstances: 3}}
	w, err := testScope.encodeDeployment(&d, "westeurope")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(w)
	if !strings.Contains(string(data), `"minInstances":0`) {
		t.Errorf("body %s, want minInstances 0 sent", data)
	}
	var back onlineDeployment
	mustUnmarshal(t, data, &back)
	got, err := testScope.decodeDeployment(&back, "")
	if err != nil || got.ScaleSettings.MinInstances != 0 {
		t.Errorf("read back min %d, %v; want 0", got.ScaleSettings.MinInstances, err)
	}
	back.Properties.ScaleSettings.MinInstances = nil
	if got, _ := testScope.decodeDeployment(&back, ""); got.ScaleSettings.MinInstances != 1 {
		t.Errorf("absent minimum read as %d, want the service's default 1", got.ScaleSettings.MinInstances)
	}
}

// TestSamplingRateZeroSent: a collection's sampling rate of 0 is sent as
// 0, since the service takes an absent one as 1, and reads back as 0.
func TestSamplingRateZeroSent(t *testing.T) {
	d := endpoint.Deployment{Name: "blue", Type: endpoint.Managed, InstanceType: "Standard_DS3_v2", InstanceCount: 1,
		DataCollector: &endpoint.DataCollector{Collections: map[string]endpoint.Collection{"request": {Enabled: true}}}}
	w, err := testScope.encodeDeployment(&d, "westeurope")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(w)
	if !strings.Contains(string(data), `"samplingRate":0`) {
		t.Errorf("body %s, want samplingRate 0 sent", data)
	}
	var back onlineDeployment
	mustUnmarshal(t, data, &back)
	got, err := testScope.decodeDeployment(&back, "")
	if err != nil || got.DataCollector == nil || got.DataCollector.Collections["request"].SamplingRate != 0 {
		t.Errorf("read back %+v, %v; want rate 0", got.DataCollector, err)
	}
	back.Properties.DataCollector.Collections["request"] = collection{DataCollectionMode: "Enabled"}
	if got, _ := testScope.decodeDeployment(&back, ""); got.DataCollector.Collections["request"].SamplingRate != 1 {
		t.Errorf("absent rate read as %v, want the service's default 1", got.DataCollector.Collections["request"].SamplingRate)
	}
}
