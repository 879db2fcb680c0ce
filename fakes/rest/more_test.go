package rest_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
)

// TestListPaging lists seven endpoints three at a time through nextLink.
func TestListPaging(t *testing.T) {
	c, _ := newServer(t, rest.Options{PageSize: 3})
	for i := range 7 {
		c.poll(c.do(http.MethodPut, fmt.Sprintf("/onlineEndpoints/ep-%d", i), endpointBody(nil)))
	}
	var names []string
	pages := 0
	for next := c.base + ws + "/onlineEndpoints?api-version=2024-10-01"; next != ""; pages++ {
		l := c.do(http.MethodGet, next, nil).json(t)
		for _, v := range l["value"].([]any) {
			names = append(names, v.(map[string]any)["name"].(string))
		}
		next, _ = l["nextLink"].(string)
	}
	if pages != 3 || strings.Join(names, ",") != "ep-0,ep-1,ep-2,ep-3,ep-4,ep-5,ep-6" {
		t.Errorf("%d pages of %v, want 3 pages of ep-0..ep-6 in order", pages, names)
	}
	// The continuation token is the specification's $skip parameter
	// (PaginationParameter), which a client built from it may send itself.
	first := c.do(http.MethodGet, "/onlineEndpoints", nil).json(t)
	next, _ := first["nextLink"].(string)
	u, err := url.Parse(next)
	if err != nil {
		t.Fatal(err)
	}
	token := u.Query().Get("$skip")
	second := c.do(http.MethodGet, "/onlineEndpoints?$skip="+url.QueryEscape(token), nil).json(t)
	if v, _ := second["value"].([]any); token == "" || len(v) == 0 || v[0].(map[string]any)["name"] != "ep-3" {
		t.Errorf("nextLink %s: $skip %q, and the page it starts is %v; want the second page, from ep-3", next, token, second["value"])
	}
}

// TestActions covers the POST actions and the deployment's logs and skus.
func TestActions(t *testing.T) {
	c, _ := newServer(t, rest.Options{})
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/tok-ep", map[string]any{"location": "eastus", "properties": map[string]any{"authMode": "AMLToken"}}))
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/tok-ep/deployments/blue", deploymentBody(ws+"/models/m/versions/1", 1)))
	c.poll(c.do(http.MethodPut, "/onlineEndpoints/tok-ep", map[string]any{"location": "eastus", "properties": map[string]any{"authMode": "AMLToken", "traffic": map[string]int{"blue": 100}}}))

	tok := c.do(http.MethodPost, "/onlineEndpoints/tok-ep/token", nil).json(t)
	if tok["tokenType"] != "Bearer" || tok["accessToken"] == "" || tok["expiryTimeUtc"] == nil {
		t.Fatalf("token %v", tok)
	}
	scoring := "/score/tok-ep"
	if r := c.do(http.MethodPost, scoring, `{}`, "Authorization", "Bearer "+tok["accessToken"].(string)); r.status != http.StatusOK {
		t.Errorf("invoke with the AML token: %d %s", r.status, r.body)
	}
	keys := c.do(http.MethodPost, "/onlineEndpoints/tok-ep/listKeys", nil).json(t)
	if r := c.do(http.MethodPost, scoring, `{}`, "Authorization", "Bearer "+keys["primaryKey"].(string)); r.status != http.StatusUnauthorized {
		t.Errorf("a key on an aml_token endpoint: %d, want 401", r.status)
	}

	old := keys["secondaryKey"]
	if r := c.do(http.MethodPost, "/onlineEndpoints/tok-ep/regenerateKeys", map[string]string{"keyType": "Secondary"}); r.status != http.StatusOK {
		t.Fatalf("regenerateKeys: %d %s", r.status, r.body)
	}
	now := c.do(http.MethodPost, "/onlineEndpoints/tok-ep/listKeys", nil).json(t)
	if now["secondaryKey"] == old || now["primaryKey"] != keys["primaryKey"] {
		t.Errorf("after regenerating the secondary key: %v (was %v)", now, keys)
	}
	if r := c.do(http.MethodPost, "/onlineEndpoints/tok-ep/regenerateKeys", map[string]string{"keyType": "Tertiary"}); r.status != http.StatusBadRequest {
		t.Errorf("regenerateKeys of an unknown key type: %d", r.status)
	}

	logs := c.do(http.MethodPost, "/onlineEndpoints/tok-ep/deployments/blue/getLogs", map[string]any{"containerType": "StorageInitializer", "tail": 1}).json(t)
	if logs["content"] != "provisioning state: Succeeded\n" {
		t.Errorf("getLogs tail 1: %q", logs["content"])
	}
	skus := c.do(http.MethodGet, "/onlineEndpoints/tok-ep/deployments/blue/skus", nil).json(t)
	if v := skus["value"].([]any); len(v) != 1 || v[0].(map[string]any)["capacity"].(map[string]any)["maximum"] != 20.0 {
		t.Errorf("skus %v", skus)
	}
	if r := c.do(http.MethodGet, "/onlineEndpoints/tok-ep/deployments/nope/skus", nil); r.status != http.StatusNotFound {
		t.Errorf("skus of an unknown deployment: %d", r.status)
	}
}

// TestFaults injects throttling, server errors and a dropped connection
// at the HTTP level.
func TestFaults(t *testing.T) {
	c, _ := newServer(t, rest.Options{Faults: []fakes.Rule{
		{Ops: []fakes.Op{fakes.OpGetEndpoint}, Endpoint: "throttled", Count: 1, Fault: fakes.Fault{Kind: fakes.Throttle, RetryAfter: 1500 * time.Millisecond}},
		{Endpoint: "broken", Skip: 1, Count: 1, Fault: fakes.Fault{Kind: fakes.ServerError}},
		// Every time: net/http retries a GET whose reused connection closed.
		{Endpoint: "dropped", Fault: fakes.Fault{Kind: fakes.DropRequest}},
	}})
	r := c.do(http.MethodGet, "/onlineEndpoints/throttled", nil)
	if r.status != 429 || errorCode(t, r) != "TooManyRequests" || r.header.Get("Retry-After") != "2" || r.header.Get("Retry-After-Ms") != "1500" {
		t.Errorf("throttled: %d %v %s", r.status, r.header, r.body)
	}
	if r := c.do(http.MethodGet, "/onlineEndpoints/throttled", nil); r.status != 404 {
		t.Errorf("after its one fault the request reaches the emulator: %d", r.status)
	}
	if r := c.do(http.MethodGet, "/onlineEndpoints/broken", nil); r.status != 404 {
		t.Errorf("the first request is skipped: %d", r.status)
	}
	if r := c.do(http.MethodGet, "/onlineEndpoints/broken", nil); r.status != 500 || errorCode(t, r) != "InternalServerError" {
		t.Errorf("the second gets 500: %d %s", r.status, r.body)
	}
	req, err := http.NewRequest(http.MethodGet, c.base+ws+"/onlineEndpoints/dropped?api-version=2024-10-01", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := c.http.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("dropped connection answered %d", resp.StatusCode)
	}
}

// TestFaultsSeeded shows that probabilistic faults repeat with the seed.
func TestFaultsSeeded(t *testing.T) {
	run := func(seed uint64) string {
		c, _ := newServer(t, rest.Options{Seed: seed, Faults: []fakes.Rule{{Probability: 0.5, Fault: fakes.Fault{Kind: fakes.ServerError}}}})
		var b strings.Builder
		for range 20 {
			b.WriteString(fmt.Sprint(c.do(http.MethodGet, "/onlineEndpoints", nil).status / 100))
		}
		return b.String()
	}
	a, b := run(7), run(7)
	if a != b || !strings.Contains(a, "5") || !strings.Contains(a, "2") {
		t.Errorf("seed 7 gave %s then %s; want the same mix of 2xx and 5xx", a, b)
	}
}

// TestTransportSynctest drives a deployment create through the in-process
// transport in a bubble: InProgress until the service's 10 simulated
// minutes have passed, then Succeeded.
func TestTransportSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := fakes.New(fakes.Options{})
		tr := rest.New(svc, rest.Options{RetryAfter: time.Minute}).Transport()
		do := func(method, url string, body string) *http.Response {
			t.Helper()
			req, err := http.NewRequest(method, url, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer t")
			resp, err := tr.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		base := "https://management.example" + ws + "/onlineEndpoints/sync-ep"
		const q = "?api-version=2024-10-01"
		pollUntil := func(resp *http.Response) time.Duration {
			t.Helper()
			start := time.Now()
			for {
				st := do(http.MethodGet, resp.Header.Get("Azure-AsyncOperation"), "")
				var body strings.Builder
				_, _ = fmt.Fprint(&body, readAll(t, st))
				if !strings.Contains(body.String(), `"InProgress"`) {
					if !strings.Contains(body.String(), `"Succeeded"`) {
						t.Fatalf("operation ended %s", body.String())
					}
					return time.Since(start)
				}
				if st.Header.Get("Retry-After") != "60" {
					t.Fatalf("Retry-After %q, want 60", st.Header.Get("Retry-After"))
				}
				time.Sleep(time.Minute)
			}
		}
		start := time.Now()
		resp := do(http.MethodPut, base+q, `{"location": "eastus", "properties": {"authMode": "Key"}}`)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create endpoint: %d", resp.StatusCode)
		}
		pollUntil(resp)
		resp = do(http.MethodPut, base+"/deployments/blue"+q, `{"location": "eastus", "sku": {"capacity": 1}, "properties": {"endpointComputeType": "Managed", "model": "azureml:m:1", "instanceType": "Standard_DS3_v2"}}`)
		if resp.StatusCode != http.StatusCreated || !strings.Contains(readAll(t, resp), `"Creating"`) {
			t.Fatalf("create deployment: %d", resp.StatusCode)
		}
		took := pollUntil(resp)
		if took < 10*time.Minute || took > 11*time.Minute {
			t.Errorf("deployment create took %v of simulated time, want 10 minutes and a poll", took)
		}
		if total := time.Since(start); total > 13*time.Minute {
			t.Errorf("the flow took %v", total)
		}
	})
}
