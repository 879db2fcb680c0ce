package rest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
)

// inProcess sends requests through the emulator's in-process transport,
// so a test can run inside a testing/synctest bubble.
type inProcess struct {
	t  *testing.T
	tr interface {
		Do(*http.Request) (*http.Response, error)
	}
}

const armBase = "https://management.example" + ws

func (c inProcess) do(method, path, body string, header ...string) response {
	c.t.Helper()
	u := path
	if !strings.HasPrefix(u, "https://") {
		u = armBase + path + "?api-version=2024-10-01"
	}
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer t")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.tr.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: []byte(readAll(c.t, resp))}
}

// status returns the operation status resource of an accepted write.
func (c inProcess) status(r response) map[string]any {
	c.t.Helper()
	u := r.header.Get("Azure-AsyncOperation")
	if u == "" {
		c.t.Fatalf("no Azure-AsyncOperation in %d answer: %s", r.status, r.body)
	}
	return c.do(http.MethodGet, u, "").json(c.t)
}

const deploymentJSON = `{"location": "eastus", "sku": {"capacity": 1}, "properties": {"endpointComputeType": "Managed", "model": "azureml:m:1", "instanceType": "Standard_DS3_v2"}}`

// TestProvisioningFailed checks that a deployment whose provisioning
// fails is accepted (201), that its operation status is Failed with the
// service's code and message, and that GET shows it Failed.
func TestProvisioningFailed(t *testing.T) {
	c, svc := newServer(t, rest.Options{})
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/fp-ep", endpointBody(nil)))
	svc.FailProvisioning("fp-ep", "blue", "OutOfQuota", "Not enough quota available for Standard_DS3_v2 in eastus")
	r := c.do(http.MethodPut, "/onlineEndpoints/fp-ep/deployments/blue", deploymentBody(ws+"/models/m/versions/1", 1))
	if r.status != http.StatusCreated {
		t.Fatalf("PUT of a deployment that will fail: %d %s; the service accepts it first", r.status, r.body)
	}
	st := c.poll(r)
	e, _ := st["error"].(map[string]any)
	if st["status"] != "Failed" || e["code"] != "OutOfQuota" || e["message"] != "Not enough quota available for Standard_DS3_v2 in eastus" || st["endTime"] == nil {
		t.Errorf("operation status %v; want Failed with the service's code and message and an end time", st)
	}
	got := c.do(http.MethodGet, "/onlineEndpoints/fp-ep/deployments/blue", nil)
	if props := got.json(t)["properties"].(map[string]any); got.status != http.StatusOK || props["provisioningState"] != "Failed" {
		t.Errorf("GET after the failure: %d %v; want provisioningState Failed", got.status, props)
	}

	// A failed scale is reported the same way, through the Location of
	// its PATCH as well.
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/fp-ep/deployments/blue", deploymentBody(ws+"/models/m/versions/1", 1)))
	svc.FailProvisioning("fp-ep", "blue", "", "")
	r = c.do(http.MethodPatch, "/onlineEndpoints/fp-ep/deployments/blue", map[string]any{"sku": map[string]any{"capacity": 4}})
	if r.status != http.StatusAccepted {
		t.Fatalf("PATCH scale: %d %s", r.status, r.body)
	}
	if res := c.do(http.MethodGet, r.header.Get("Location"), nil); res.status != http.StatusBadRequest || errorCode(t, res) != "ProvisioningFailed" {
		t.Errorf("Location of the failed scale: %d %s; want 400 ProvisioningFailed", res.status, res.body)
	}
	if h := r.header.Get("Azure-AsyncOperation"); h != "" || r.header.Get("Retry-After") == "" {
		t.Errorf("PATCH answered Azure-AsyncOperation %q and Retry-After %q: the specification declares Location and Retry-After only", h, r.header.Get("Retry-After"))
	}
}

// TestBusyEndpoint holds a ten-minute deployment create in flight inside a
// bubble and checks that other writes on the endpoint answer 409 Conflict
// with the ARM error body at once, before the create ends.
func TestBusyEndpoint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := fakes.New(fakes.Options{})
		c := inProcess{t, rest.New(svc, rest.Options{}).Transport()}
		r := c.do(http.MethodPut, "/onlineEndpoints/busy-ep", `{"location": "eastus", "properties": {"authMode": "Key"}}`)
		time.Sleep(time.Minute + time.Second)
		if st := c.status(r); st["status"] != "Succeeded" {
			t.Fatalf("create endpoint: %v", st)
		}
		r = c.do(http.MethodPut, "/onlineEndpoints/busy-ep/deployments/blue", deploymentJSON)
		if r.status != http.StatusCreated {
			t.Fatalf("create blue: %d %s", r.status, r.body)
		}
		begin := time.Now()
		for _, tc := range []struct {
			name, method, path, body, msg, reason string
		}{
			{"traffic", http.MethodPut, "/onlineEndpoints/busy-ep", `{"location": "eastus", "properties": {"authMode": "Key"}}`, "operation in progress on deployment blue", "one endpoint-level operation at a time"},
			{"tags", http.MethodPatch, "/onlineEndpoints/busy-ep", `{"tags": {"a": "b"}}`, "operation in progress on deployment blue", "a PATCH is an endpoint update too"},
			{"delete endpoint", http.MethodDelete, "/onlineEndpoints/busy-ep", "", "operation in progress on deployment blue", "nor may it be deleted"},
			{"scale blue", http.MethodPatch, "/onlineEndpoints/busy-ep/deployments/blue", `{"sku": {"capacity": 2}}`, "Deployment blue in endpoint busy-ep is in Creating provisioning state", "one operation per deployment"},
		} {
			r := c.do(tc.method, tc.path, tc.body)
			var body struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(r.body, &body); err != nil {
				t.Fatalf("%s: body %q: %v", tc.name, r.body, err)
			}
			if r.status != http.StatusConflict || body.Error.Code != "Conflict" || !strings.Contains(body.Error.Message, tc.msg) || r.header.Get("x-ms-error-code") != "Conflict" {
				t.Errorf("%s: %d %s; want 409 Conflict containing %q (%s)", tc.name, r.status, r.body, tc.msg, tc.reason)
			}
		}
		if d := time.Since(begin); d != 0 {
			t.Errorf("the conflicts took %v of simulated time; the service answers them at once", d)
		}
		if st := c.status(r); st["status"] != "InProgress" {
			t.Errorf("blue's create after the conflicts: %v; want it still running", st)
		}
		// The create ends ten minutes after it began; a poll at that very
		// instant may come before the service's timer, so poll a second
		// later.
		time.Sleep(10*time.Minute + time.Second)
		if st := c.status(r); st["status"] != "Succeeded" {
			t.Errorf("blue's create after ten minutes: %v", st)
		}
	})
}

// TestAnswersAtOnce checks that the emulator answers every write, refused
// or accepted, without any simulated time passing: it asks the service,
// which decides at once, instead of waiting to see whether a refusal
// comes.
func TestAnswersAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := fakes.New(fakes.Options{})
		c := inProcess{t, rest.New(svc, rest.Options{}).Transport()}
		c.do(http.MethodPut, "/onlineEndpoints/now-ep", `{"location": "eastus", "properties": {"authMode": "Key"}}`)
		time.Sleep(time.Minute + time.Second)
		if r := c.do(http.MethodPut, "/onlineEndpoints/now-ep/deployments/blue", deploymentJSON); r.status != http.StatusCreated {
			t.Fatalf("create blue: %d %s", r.status, r.body)
		}
		time.Sleep(10*time.Minute + time.Second)
		for _, tc := range []struct {
			name, method, path, body string
			header                   []string
			status                   int
			reason                   string
		}{
			{"missing endpoint", http.MethodPut, "/onlineEndpoints/gone-ep/deployments/blue", deploymentJSON, nil, 404, "a deployment needs its endpoint"},
			{"traffic to unknown", http.MethodPut, "/onlineEndpoints/now-ep", `{"location": "eastus", "properties": {"authMode": "Key", "traffic": {"red": 100}}}`, nil, 404, "traffic names existing deployments"},
			{"bad sum", http.MethodPut, "/onlineEndpoints/now-ep", `{"location": "eastus", "properties": {"authMode": "Key", "traffic": {"blue": 40}}}`, nil, 400, "traffic sums to 100"},
			{"immutable", http.MethodPut, "/onlineEndpoints/now-ep/deployments/blue", strings.Replace(deploymentJSON, "DS3", "DS4", 1), nil, 400, "instance_type cannot change in place"},
			{"accepted", http.MethodPut, "/onlineEndpoints/now-ep", `{"location": "eastus", "properties": {"authMode": "Key", "traffic": {"blue": 100}}}`, nil, 200, "an accepted write is answered at once too"},
			{"busy", http.MethodPut, "/onlineEndpoints/now-ep/deployments/green", deploymentJSON, nil, 409, "the traffic update just accepted holds the endpoint"},
		} {
			begin := time.Now()
			r := c.do(tc.method, tc.path, tc.body, tc.header...)
			if r.status != tc.status || time.Since(begin) != 0 {
				t.Errorf("%s: %d %s after %v; want %d at once (%s)", tc.name, r.status, r.body, time.Since(begin), tc.status, tc.reason)
			}
		}
	})
}

// TestCalls checks what Service.Calls counts over REST: each request that
// is a Backend call, once; none of the emulator's own reads.
func TestCalls(t *testing.T) {
	c, svc := newServer(t, rest.Options{PageSize: 1})
	model := ws + "/models/m/versions/1"
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/calls-ep", endpointBody(nil)))
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/calls-ep/deployments/blue", deploymentBody(model, 1)))
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/calls-ep", endpointBody(map[string]int{"blue": 100})))
	c.do(http.MethodPut, "/onlineEndpoints/calls-ep", endpointBody(map[string]int{"blue": 50})) // refused: still a call
	scale := c.do(http.MethodPatch, "/onlineEndpoints/calls-ep/deployments/blue", map[string]any{"sku": map[string]any{"capacity": 2}})
	c.do(http.MethodGet, scale.header.Get("Location"), nil)
	c.do(http.MethodPatch, "/onlineEndpoints/calls-ep/deployments/blue", map[string]any{"tags": map[string]string{"a": "b"}})
	c.do(http.MethodGet, "/onlineEndpoints/calls-ep", nil)
	c.do(http.MethodGet, "/onlineEndpoints/calls-ep/deployments/blue", nil)
	c.do(http.MethodGet, "/onlineEndpoints/calls-ep/deployments", nil)
	c.do(http.MethodPost, "/onlineEndpoints/calls-ep/deployments/blue/getLogs", nil)
	c.do(http.MethodPost, "/onlineEndpoints/calls-ep/token", nil)
	key := c.do(http.MethodPost, "/onlineEndpoints/calls-ep/listKeys", nil).json(t)["primaryKey"].(string)
	c.do(http.MethodPost, "/score/calls-ep", `{}`, "Authorization", "Bearer "+key)
	c.do(http.MethodPost, "/score/calls-ep", `{}`, "Authorization", "Bearer wrong") // refused before the service
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/other-ep", endpointBody(nil)))
	c.do(http.MethodGet, "/onlineEndpoints", nil)
	c.do(http.MethodGet, "/onlineEndpoints?$skip=1", nil)
	c.do(http.MethodDelete, "/onlineEndpoints/other-ep", nil)
	c.do(http.MethodDelete, "/onlineEndpoints/other-ep", nil)
	want := "[{CreateOrUpdateDeployment 2} {CreateOrUpdateEndpoint 4} {DeleteEndpoint 2} {GetEndpoint 1} {GetKeys 1} {Invoke 1} {ListEndpoints 2} {ScaleDeployment 1}]"
	if got := fmt.Sprint(svc.Calls()); got != want {
		t.Errorf("Calls() = %s\nwant      %s\n(polls, bodies of answers, deployments, logs, tokens and key checks are the emulator's own reads)", got, want)
	}
}
