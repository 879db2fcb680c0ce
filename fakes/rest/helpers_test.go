package rest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
)

const ws = "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces/ws-1"

// client sends plain net/http requests to an emulator.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

// newServer starts a TLS server over a service with no latency.
func newServer(t *testing.T, opts rest.Options) (*client, *fakes.Service) {
	t.Helper()
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	srv := httptest.NewTLSServer(rest.New(svc, opts))
	t.Cleanup(srv.Close)
	return &client{t: t, base: srv.URL, http: srv.Client()}, svc
}

// do sends a request; path is relative to the workspace unless it starts
// with /subscriptions or is a full URL.
func (c *client) do(method, path string, body any, header ...string) response {
	c.t.Helper()
	u := path
	switch {
	case strings.HasPrefix(path, "https://"):
	case strings.HasPrefix(path, "/subscriptions") || strings.HasPrefix(path, "/score"):
		u = c.base + path
	default:
		u = c.base + ws + path
	}
	if !strings.Contains(u, "api-version=") && !strings.Contains(u, "/score/") {
		if strings.Contains(u, "?") {
			u += "&api-version=2024-10-01"
		} else {
			u += "?api-version=2024-10-01"
		}
	}
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer arm-token")
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// poll follows an operation's Azure-AsyncOperation until it ends and
// returns its final status resource.
func (c *client) poll(r response) map[string]any {
	c.t.Helper()
	u := r.header.Get("Azure-AsyncOperation")
	if u == "" {
		c.t.Fatalf("no Azure-AsyncOperation in %d answer: %s", r.status, r.body)
	}
	for range 1000 {
		st := c.do(http.MethodGet, u, nil).json(c.t)
		if st["status"] != "InProgress" {
			return st
		}
	}
	c.t.Fatal("operation still in progress after 1000 polls")
	return nil
}

// errorCode returns the ARM error code of a body.
func errorCode(t *testing.T, r response) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func endpointBody(traffic map[string]int) map[string]any {
	return map[string]any{"location": "eastus", "properties": map[string]any{"authMode": "Key", "traffic": traffic}}
}

func deploymentBody(model string, capacity int) map[string]any {
	return map[string]any{
		"location": "eastus",
		"sku":      map[string]any{"name": "Default", "capacity": capacity},
		"properties": map[string]any{
			"endpointComputeType": "Managed",
			"model":               model,
			"instanceType":        "Standard_DS3_v2",
			"requestSettings":     map[string]any{"requestTimeout": "PT5S", "maxQueueWait": "PT0.5S", "maxConcurrentRequestsPerInstance": 1},
		},
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
