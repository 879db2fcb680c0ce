package rest

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rolloutkit/rollout/endpoint"
)

// The request bodies FuzzDecode reads, chosen by its first argument.
const (
	endpointPut = iota
	deploymentPut
	endpointPatchBody
	deploymentPatchBody
	bodyKinds
)

// FuzzDecode feeds arbitrary bytes to the decoding of every request body
// the emulator reads (endpoint and deployment PUT and PATCH). No body may
// panic it, and a body it accepts must describe a model that survives
// being written back as the emulator answers and read again: what a GET
// returns is what the PUT stored.
func FuzzDecode(f *testing.F) {
	for _, seed := range []struct {
		kind uint8
		body string
	}{
		{endpointPut, `{"location": "eastus", "tags": {"a": "b"}, "identity": {"type": "SystemAssigned,UserAssigned", "userAssignedIdentities": {"/subscriptions/s/id": {}}}, "properties": {"authMode": "AMLToken", "compute": "/subscriptions/s/k8s", "publicNetworkAccess": "Disabled", "traffic": {"blue": 90, "green": 10}, "mirrorTraffic": {"red": 20}, "properties": {"k": "v"}}}`},
		{endpointPut, `{"properties": {"target": "k8s", "traffic": {"blue": 0}}}`},
		{endpointPut, `{"properties": {"traffic": {"blue": -5}}}`},
		{endpointPut, ``},
		{endpointPut, `null`},
		{endpointPut, `{`},
		{deploymentPut, `{"sku": {"name": "Default", "capacity": 3}, "tags": {"t": "1"}, "properties": {"endpointComputeType": "Kubernetes", "model": "azureml:m:1", "environmentId": "azureml://registries/reg/environments/env/versions/2", "codeConfiguration": {"codeId": "/subscriptions/s/codes/c/versions/1", "scoringScript": "score.py"}, "instanceType": "Standard_DS3_v2", "scaleSettings": {"scaleType": "TargetUtilization", "minInstances": 1, "maxInstances": 4, "pollingInterval": "PT1M", "targetUtilizationPercentage": 70}, "requestSettings": {"requestTimeout": "PT1M30S", "maxQueueWait": "PT0.5S", "maxConcurrentRequestsPerInstance": 2}, "livenessProbe": {"initialDelay": "PT10S", "period": "PT10S", "timeout": "PT2S", "successThreshold": 1, "failureThreshold": 30}, "appInsightsEnabled": true, "egressPublicNetworkAccess": "Disabled", "environmentVariables": {"E": "1"}, "containerResourceRequirements": {"containerResourceRequests": {"cpu": "1", "memory": "2Gi"}, "containerResourceLimits": {"gpu": "1"}}}}`},
		{deploymentPut, `{"properties": {"model": {"referenceType": "Id", "assetId": "azureml:m@latest"}}}`},
		{deploymentPut, `{"properties": {"model": 7}}`},
		{deploymentPut, `{"properties": {"dataCollector": {"collections": {"model_inputs": {"dataCollectionMode": "Enabled", "dataId": "azureml:inputs:1", "samplingRate": 0.5}, "request": {"dataCollectionMode": "disabled"}}, "requestLogging": {"captureHeaders": ["x-id"]}, "rollingRate": "Hour"}}}`},
		{deploymentPut, `{"properties": {"dataCollector": {"collections": {"c": {"dataCollectionMode": "Sometimes"}}}}}`},
		{deploymentPut, `{"properties": {"requestSettings": {"requestTimeout": "P1DT2H"}, "readinessProbe": {"timeout": "PT0.5S"}}}`},
		{endpointPatchBody, `{"tags": {"stage": "canary"}, "identity": {"type": "None"}}`},
		{endpointPatchBody, `{"identity": {"type": "Password"}}`},
		{deploymentPatchBody, `{"sku": {"capacity": 2}}`},
		{deploymentPatchBody, `{"tags": {}, "sku": {"capacity": -1}}`},
	} {
		f.Add(seed.kind, []byte(seed.body))
	}
	sc := scope{subscription: "sub", resourceGroup: "rg", workspace: "ws"}
	s := New(nil, Options{})
	opts := cmp.Options{cmpopts.EquateEmpty(), cmpopts.IgnoreUnexported(endpoint.Endpoint{})}
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		switch kind % bodyKinds {
		case endpointPut:
			e, err := parseEndpointPut("fuzz-ep", body)
			if err != nil {
				return
			}
			again := rereadEndpoint(t, s, sc, e)
			if diff := cmp.Diff(e, again, opts); diff != "" {
				t.Errorf("endpoint written back and read again (-put +get):\n%s", diff)
			}
		case deploymentPut:
			d, err := parseDeploymentPut("blue", body)
			if err != nil {
				return
			}
			again := rereadDeployment(t, s, sc, d)
			if diff := cmp.Diff(storedRefs(sc, d), storedRefs(sc, again), opts); diff != "" {
				t.Errorf("deployment written back and read again (-put +get):\n%s", diff)
			}
		case endpointPatchBody:
			p, err := parseEndpointPatch(body)
			if err != nil {
				return
			}
			e := &endpoint.Endpoint{Name: "fuzz-ep", Tags: map[string]string{"kept": "yes"}}
			p.apply(e)
			if p.tags == nil && e.Tags["kept"] != "yes" {
				t.Errorf("a PATCH without tags changed them: %v", e.Tags)
			}
			if diff := cmp.Diff(e, rereadEndpoint(t, s, sc, e), opts); diff != "" {
				t.Errorf("patched endpoint written back and read again (-patched +get):\n%s", diff)
			}
		default:
			p, err := parseDeploymentPatch(body)
			if err != nil {
				return
			}
			d := endpoint.Deployment{Name: "blue", InstanceCount: 1, Tags: map[string]string{"kept": "yes"}}
			n, scale := p.scaleOnly()
			p.apply(&d)
			if scale && (d.InstanceCount != n || d.Tags["kept"] != "yes") {
				t.Errorf("a scale to %d gave %+v; want only the count changed", n, d)
			}
			if diff := cmp.Diff(d, rereadDeployment(t, s, sc, d), opts); diff != "" {
				t.Errorf("patched deployment written back and read again (-patched +get):\n%s", diff)
			}
		}
	})
}

// rereadEndpoint writes e as a GET answers it and reads that body as a
// PUT.
func rereadEndpoint(t *testing.T, s *Server, sc scope, e *endpoint.Endpoint) *endpoint.Endpoint {
	t.Helper()
	b, err := json.Marshal(s.encodeEndpoint(sc, e, ""))
	if err != nil {
		t.Fatalf("encoding %+v: %v", e, err)
	}
	again, err := parseEndpointPut(e.Name, b)
	if err != nil {
		t.Fatalf("the emulator's own body %s is refused: %v", b, err)
	}
	return again
}

// rereadDeployment writes d as a GET answers it and reads that body as a
// PUT.
func rereadDeployment(t *testing.T, s *Server, sc scope, d endpoint.Deployment) endpoint.Deployment {
	t.Helper()
	b, err := json.Marshal(s.encodeDeployment(sc, "fuzz-ep", d))
	if err != nil {
		t.Fatalf("encoding %+v: %v", d, err)
	}
	again, err := parseDeploymentPut(d.Name, b)
	if err != nil {
		t.Fatalf("the emulator's own body %s is refused: %v", b, err)
	}
	return again
}

// storedRefs writes d's asset references (model, environment, code,
// collected data) as the service stores them: a name and version in the
// workspace is held as its ARM id there, so azureml:m:1 and the id of m
// version 1 are the same asset.
func storedRefs(sc scope, d endpoint.Deployment) endpoint.Deployment {
	d = d.Clone()
	if dc := d.DataCollector; dc != nil {
		for name, c := range dc.Collections {
			c.Data = endpoint.Reference{ID: encodeRef(sc, "data", c.Data)}
			dc.Collections[name] = c
		}
	}
	d.Model = endpoint.Reference{ID: encodeRef(sc, "models", d.Model)}
	d.Environment.Reference = endpoint.Reference{ID: encodeRef(sc, "environments", d.Environment.Reference)}
	d.CodeConfiguration.Code = endpoint.Reference{ID: encodeRef(sc, "codes", d.CodeConfiguration.Code)}
	return d
}
