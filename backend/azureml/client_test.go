package azureml

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
	"github.com/rolloutkit/rollout/traffic"
)

// recorded is one request the test server received.
type recorded struct {
	method, path string
	query        map[string][]string
	header       http.Header
	body         []byte
}

// scripted is a test server that answers each "METHOD path" (the path
// below the workspace, or an absolute path) from a route, and records every
// request.
type scripted struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	got    []recorded
	routes map[string]http.HandlerFunc
}

func newScripted(t *testing.T) *scripted {
	s := &scripted{t: t, routes: map[string]http.HandlerFunc{}}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *scripted) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	path := strings.TrimPrefix(r.URL.EscapedPath(), testScope.path())
	s.mu.Lock()
	s.got = append(s.got, recorded{r.Method, path, r.URL.Query(), r.Header.Clone(), body})
	h, ok := s.routes[r.Method+" "+path]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "ResourceNotFound", "no route for "+r.Method+" "+path)
		return
	}
	h(w, r)
}

func (s *scripted) route(key string, h http.HandlerFunc) {
	s.mu.Lock()
	s.routes[key] = h
	s.mu.Unlock()
}

func (s *scripted) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.got...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if raw, ok := v.(json.RawMessage); ok {
		_, _ = w.Write(raw)
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": message}})
}

// newTestBackend returns a Backend talking to s over TLS, without retries so
// that every answer of the server is seen.
func newTestBackend(t *testing.T, s *scripted, tweak func(*Options)) *Backend {
	o := &Options{
		Location:      "westeurope",
		PollFrequency: time.Millisecond,
		ClientOptions: &arm.ClientOptions{
			ClientOptions: policy.ClientOptions{
				Transport: s.srv.Client(),
				Cloud:     CloudFor(s.srv.URL, "https://management.core.windows.net/"),
				Retry:     policy.RetryOptions{MaxRetries: -1},
			},
			DisableRPRegistration: true,
		},
	}
	if tweak != nil {
		tweak(o)
	}
	b, err := New(testScope, &fake.TokenCredential{}, o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// exampleBody returns a response body of one of the service's examples.
func exampleBody(t *testing.T, file, status string) json.RawMessage {
	data, err := os.ReadFile(filepath.Join(examplesDir(t), file))
	if err != nil {
		t.Fatal(err)
	}
	var ex example
	mustUnmarshal(t, data, &ex)
	return ex.Responses[status].Body
}

const (
	epPath  = "/onlineEndpoints/churn"
	depPath = "/onlineEndpoints/churn/deployments/blue"
)

func TestNewChecksItsInputs(t *testing.T) {
	cred := &fake.TokenCredential{}
	plain := &arm.ClientOptions{ClientOptions: policy.ClientOptions{Cloud: CloudFor("http://localhost:1", "x")}}
	tests := []struct {
		scope   Scope
		opts    *Options
		wantErr string
		reason  string
	}{
		{testScope, nil, "Location is required", "the service needs a region to create in"},
		{Scope{Subscription: "sub/../x", ResourceGroup: "g", Workspace: "www"}, &Options{Location: "x"}, "subscription", "a path in the subscription would change the URL"},
		{Scope{Subscription: testScope.Subscription, ResourceGroup: "g/h", Workspace: "www"}, &Options{Location: "x"}, "resource group", "resource group names have no '/'"},
		{Scope{Subscription: testScope.Subscription, ResourceGroup: "g", Workspace: "w"}, &Options{Location: "x"}, "workspace", "workspace names have 3 characters or more"},
		{testScope, &Options{Location: "x", ClientOptions: plain}, "not HTTPS", "credentials go over TLS only"},
	}
	for _, tt := range tests {
		_, err := New(tt.scope, cred, tt.opts)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: New = %v, want an error containing %q", tt.reason, err, tt.wantErr)
		}
	}
	if _, err := New(testScope, cred, &Options{Location: "x", Insecure: true, ClientOptions: plain}); err != nil {
		t.Errorf("Insecure allows plain HTTP for tests: %v", err)
	}
}

// TestReadRequests: GET of an endpoint and its deployments, across pages,
// decoded from the service's own examples: one read of the endpoint and one
// of each page of deployments, none of a deployment alone. The
// specification declares no ETag: one that comes back is kept, and none is
// looked for.
func TestReadRequests(t *testing.T) {
	s := newScripted(t)
	ep := exampleBody(t, "Workspace/OnlineEndpoint/get.json", "200")
	s.route("GET "+epPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"e1"`)
		writeJSON(w, http.StatusOK, ep)
	})
	dep := exampleBody(t, "OnlineDeployment/ManagedOnlineDeployment/get.json", "200")
	var d map[string]any
	mustUnmarshal(t, dep, &d)
	s.route("GET "+epPath+"/deployments", func(w http.ResponseWriter, r *http.Request) {
		d["name"] = "zeta"
		if r.URL.Query().Get("$skipToken") == "" {
			writeJSON(w, http.StatusOK, map[string]any{"value": []any{d}, "nextLink": s.srv.URL + testScope.path() + epPath + "/deployments?api-version=2024-10-01&$skipToken=2"})
			return
		}
		d2 := map[string]any{}
		for k, v := range d {
			d2[k] = v
		}
		d2["name"] = "alpha"
		d2["etag"] = `"alpha"`
		writeJSON(w, http.StatusOK, map[string]any{"value": []any{d2}})
	})
	b := newTestBackend(t, s, nil)
	e, err := b.GetEndpoint(t.Context(), "churn")
	if err != nil {
		t.Fatal(err)
	}
	if e.Status.ETag != `"e1"` || e.AuthMode != endpoint.AuthAMLToken || !e.Traffic.Equal(traffic.MustNew(map[string]int{"string": 1})) {
		t.Errorf("endpoint: etag %q, auth %q, traffic %v", e.Status.ETag, e.AuthMode, e.Traffic)
	}
	if len(e.Deployments) != 2 || e.Deployments[0].Name != "alpha" || e.Deployments[1].Name != "zeta" || e.Deployments[0].Status.ETag != `"alpha"` || e.Deployments[1].Status.ETag != "" {
		t.Errorf("deployments of both pages sorted by name, got %d: %+v", len(e.Deployments), e.Deployments)
	}
	if n := len(s.requests()); n != 3 {
		t.Errorf("%d requests, want 3: the endpoint and two pages of its deployments", n)
	}
	for _, r := range s.requests() {
		if v := r.query["api-version"]; len(v) != 1 || v[0] != DefaultAPIVersion {
			t.Errorf("%s %s: api-version %v", r.method, r.path, v)
		}
		if !strings.HasPrefix(r.header.Get("Authorization"), "Bearer ") {
			t.Errorf("%s %s: no bearer token", r.method, r.path)
		}
	}
}

// TestNextLinkStaysOnHost: a nextLink to another host would carry the
// bearer token there.
func TestNextLinkStaysOnHost(t *testing.T) {
	s := newScripted(t)
	s.route("GET /onlineEndpoints", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"value": []any{}, "nextLink": "https://attacker.example/steal"})
	})
	_, err := newTestBackend(t, s, nil).ListEndpoints(t.Context())
	if err == nil || !strings.Contains(err.Error(), "attacker.example") {
		t.Fatalf("ListEndpoints = %v, want the foreign nextLink refused", err)
	}
	if n := len(s.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// lro makes a route that answers a write with 201 or 202 and an operation
// that succeeds (or fails) after one poll; final GETs of the resource are
// answered by resource.
func lro(s *scripted, status int, header string, failCode string) http.HandlerFunc {
	var once sync.Once
	return func(w http.ResponseWriter, r *http.Request) {
		polls := 0
		once.Do(func() {
			s.route("GET /ops/1", func(w http.ResponseWriter, r *http.Request) {
				polls++
				switch {
				case polls == 1:
					writeJSON(w, http.StatusOK, map[string]string{"status": "InProgress"})
				case failCode != "":
					writeJSON(w, http.StatusOK, map[string]any{"status": "Failed", "error": map[string]string{"code": failCode, "message": "the container did not start"}})
				default:
					writeJSON(w, http.StatusOK, map[string]string{"status": "Succeeded"})
				}
			})
			s.route("GET /results/1", func(w http.ResponseWriter, r *http.Request) {
				polls++
				if polls == 1 {
					w.Header().Set("Location", s.srv.URL+"/results/1")
					w.WriteHeader(http.StatusAccepted)
					return
				}
				w.WriteHeader(http.StatusNoContent)
			})
		})
		switch header {
		case "Azure-AsyncOperation":
			w.Header().Set(header, s.srv.URL+"/ops/1")
		case "Location":
			w.Header().Set(header, s.srv.URL+"/results/1")
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{}`))
	}
}

// TestWrites: each write's method, path, body, condition and the way its
// operation is followed to the end.
func TestWrites(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(s *scripted)
		call   func(b *Backend) error
		want   []string // method and path of each request, in order
		check  func(t *testing.T, reqs []recorded)
		reason string
	}{
		{
			name: "create endpoint",
			setup: func(s *scripted) {
				s.route("PUT "+epPath, lro(s, http.StatusCreated, "Azure-AsyncOperation", ""))
				s.route("GET "+epPath, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]any{"name": "churn"}) })
			},
			call: func(b *Backend) error {
				return b.CreateOrUpdateEndpoint(t.Context(), &endpoint.Endpoint{Name: "churn", Traffic: traffic.MustNew(map[string]int{"blue": 100}), Status: endpoint.Status{ETag: `"e7"`}})
			},
			want: []string{"PUT " + epPath, "GET /ops/1", "GET /ops/1", "GET " + epPath},
			check: func(t *testing.T, reqs []recorded) {
				if got := reqs[0].header.Get("If-Match"); got != `"e7"` {
					t.Errorf("If-Match = %q, want the endpoint's ETag", got)
				}
				if !strings.Contains(string(reqs[0].body), `"traffic":{"blue":100}`) || !strings.Contains(string(reqs[0].body), `"mirrorTraffic":{}`) || !strings.Contains(string(reqs[0].body), `"location":"westeurope"`) {
					t.Errorf("body %s", reqs[0].body)
				}
			},
			reason: "PUT follows Azure-AsyncOperation, then reads the original URI",
		},
		{
			name: "create deployment",
			setup: func(s *scripted) {
				s.route("PUT "+depPath, lro(s, http.StatusCreated, "Azure-AsyncOperation", ""))
				s.route("GET "+depPath, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]any{"name": "blue"}) })
			},
			call: func(b *Backend) error {
				return b.CreateOrUpdateDeployment(t.Context(), "churn", endpoint.Deployment{Name: "blue", Model: endpoint.Reference{Name: "m", Version: "1"}, InstanceType: "Standard_DS3_v2", InstanceCount: 2})
			},
			want: []string{"PUT " + depPath, "GET /ops/1", "GET /ops/1", "GET " + depPath},
			check: func(t *testing.T, reqs []recorded) {
				if reqs[0].header.Get("If-Match") != "" {
					t.Error("If-Match sent without an ETag")
				}
				if !strings.Contains(string(reqs[0].body), `"sku":{"capacity":2,"name":"Default"}`) {
					t.Errorf("body %s", reqs[0].body)
				}
			},
			reason: "an unconditional deployment PUT",
		},
		{
			name:  "scale",
			setup: func(s *scripted) { s.route("PATCH "+depPath, lro(s, http.StatusAccepted, "Location", "")) },
			call:  func(b *Backend) error { return b.ScaleDeployment(t.Context(), "churn", "blue", 5) },
			want:  []string{"PATCH " + depPath, "GET /results/1", "GET /results/1"},
			check: func(t *testing.T, reqs []recorded) {
				if string(reqs[0].body) != `{"sku":{"capacity":5}}` {
					t.Errorf("body %s, want the sku's capacity alone: its name is the service's", reqs[0].body)
				}
			},
			reason: "PATCH follows Location",
		},
		{
			name:  "patch endpoint",
			setup: func(s *scripted) { s.route("PATCH "+epPath, lro(s, http.StatusAccepted, "Location", "")) },
			call: func(b *Backend) error {
				return b.PatchEndpoint(t.Context(), &endpoint.Endpoint{Name: "churn", Tags: map[string]string{"team": "ml"}, Traffic: traffic.MustNew(map[string]int{"blue": 100})})
			},
			want: []string{"PATCH " + epPath, "GET /results/1", "GET /results/1"},
			check: func(t *testing.T, reqs []recorded) {
				if string(reqs[0].body) != `{"tags":{"team":"ml"}}` {
					t.Errorf("body %s, want the tags alone", reqs[0].body)
				}
			},
			reason: "an endpoint PATCH leaves traffic to the service",
		},
		{
			name:   "delete deployment",
			setup:  func(s *scripted) { s.route("DELETE "+depPath, lro(s, http.StatusAccepted, "Location", "")) },
			call:   func(b *Backend) error { return b.DeleteDeployment(t.Context(), "churn", "blue") },
			want:   []string{"DELETE " + depPath, "GET /results/1", "GET /results/1"},
			reason: "DELETE follows Location",
		},
		{
			name: "delete missing deployment",
			setup: func(s *scripted) {
				s.route("GET "+epPath, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]any{"name": "churn"}) })
			},
			call:   func(b *Backend) error { return b.DeleteDeployment(t.Context(), "churn", "blue") },
			want:   []string{"DELETE " + depPath, "GET " + epPath},
			reason: "a 404 is success once the endpoint is known to exist",
		},
		{
			name:   "delete missing endpoint",
			call:   func(b *Backend) error { return b.DeleteEndpoint(t.Context(), "churn") },
			want:   []string{"DELETE " + epPath},
			reason: "deletes are repeatable",
		},
		{
			name: "delete endpoint at once",
			setup: func(s *scripted) {
				s.route("DELETE "+epPath, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
			},
			call:   func(b *Backend) error { return b.DeleteEndpoint(t.Context(), "churn") },
			want:   []string{"DELETE " + epPath},
			reason: "204 means there is nothing to wait for",
		},
		{
			name:   "bad name",
			call:   func(b *Backend) error { return b.DeleteDeployment(t.Context(), "churn", "../x") },
			want:   nil,
			reason: "an invalid name never reaches the service",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScripted(t)
			if tt.setup != nil {
				tt.setup(s)
			}
			err := tt.call(newTestBackend(t, s, nil))
			if tt.name == "bad name" {
				if backend.KindOf(err) != backend.Invalid {
					t.Errorf("%s: err = %v, want Invalid", tt.reason, err)
				}
			} else if err != nil {
				t.Fatalf("%s: %v", tt.reason, err)
			}
			reqs := s.requests()
			var got []string
			for _, r := range reqs {
				got = append(got, r.method+" "+r.path)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("%s: requests\n%s\nwant\n%s", tt.reason, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if tt.check != nil && len(reqs) > 0 {
				tt.check(t, reqs)
			}
		})
	}
}

// TestErrors: how answers of the service map to backend errors.
func TestErrors(t *testing.T) {
	tests := []struct {
		status    int
		code      string
		header    map[string]string
		kind      backend.Kind
		retryable bool
		after     time.Duration
		reason    string
	}{
		{404, "ResourceNotFound", nil, backend.NotFound, false, 0, "missing"},
		{409, "Conflict", nil, backend.Conflict, true, 0, "another operation is in progress"},
		{400, "OperationCanceled", nil, backend.Conflict, true, 0, "an operation canceled by another ends by itself"},
		{429, "TooManyRequests", map[string]string{"Retry-After": "7"}, backend.Throttled, true, 7 * time.Second, "throttled, with the wait in seconds"},
		{429, "TooManyRequests", map[string]string{"Retry-After": "1", "Retry-After-Ms": "250"}, backend.Throttled, true, 250 * time.Millisecond, "milliseconds are more precise"},
		{412, "PreconditionFailed", nil, backend.Precondition, false, 0, "stale ETag"},
		{400, "BadArgument", nil, backend.Invalid, false, 0, "refused as it stands"},
		{500, "InternalServerError", nil, backend.Unavailable, true, 0, "transient failure of the service"},
		{503, "", nil, backend.Unavailable, true, 0, "no code: the status names it"},
		{403, "AuthorizationFailed", nil, backend.Internal, false, 0, "nothing to retry, nothing to fix in the spec"},
	}
	for _, tt := range tests {
		s := newScripted(t)
		s.route("GET "+epPath, func(w http.ResponseWriter, r *http.Request) {
			for k, v := range tt.header {
				w.Header().Set(k, v)
			}
			writeError(w, tt.status, tt.code, "message from the service")
		})
		_, err := newTestBackend(t, s, nil).GetEndpoint(t.Context(), "churn")
		e, ok := errors.AsType[*backend.Error](err)
		switch {
		case !ok:
			t.Errorf("%s: err = %v, want a *backend.Error", tt.reason, err)
		case e.Kind != tt.kind || e.Retryable() != tt.retryable || e.RetryAfter != tt.after:
			t.Errorf("%s: %d %s gave kind %v retryable %v after %v, want %v %v %v", tt.reason, tt.status, tt.code, e.Kind, e.Retryable(), e.RetryAfter, tt.kind, tt.retryable, tt.after)
		case tt.code != "" && (e.Code != tt.code || e.Message != "message from the service"):
			t.Errorf("%s: code %q message %q, want the service's", tt.reason, e.Code, e.Message)
		}
	}
}

// TestProvisioningFailed: an accepted write whose operation fails carries
// the service's code and message; one that failed for a conflict is
// retryable.
func TestProvisioningFailed(t *testing.T) {
	tests := []struct {
		code   string
		kind   backend.Kind
		reason string
	}{
		{"ResourceNotReady", backend.ProvisioningFailed, "the resource failed: the code says why"},
		{"Conflict", backend.Conflict, "another operation held the endpoint when this one ran"},
		{"OperationCanceled", backend.Conflict, "another operation canceled this one"},
	}
	for _, tt := range tests {
		s := newScripted(t)
		s.route("PUT "+depPath, lro(s, http.StatusCreated, "Azure-AsyncOperation", tt.code))
		err := newTestBackend(t, s, nil).CreateOrUpdateDeployment(t.Context(), "churn", endpoint.Deployment{Name: "blue", Model: endpoint.Reference{Name: "m", Version: "1"}})
		e, ok := errors.AsType[*backend.Error](err)
		if !ok || e.Kind != tt.kind || e.Code != tt.code || e.Message != "the container did not start" {
			t.Errorf("%s: err = %v, want %v with the operation's code and message", tt.reason, err, tt.kind)
		}
	}
}

// TestTransportFailure: a dropped connection is transient.
func TestTransportFailure(t *testing.T) {
	s := newScripted(t)
	s.route("GET "+epPath, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	_, err := newTestBackend(t, s, nil).GetEndpoint(t.Context(), "churn")
	if backend.KindOf(err) != backend.Unavailable || !backend.IsRetryable(err) {
		t.Fatalf("err = %v, want Unavailable", err)
	}
}

// TestResume: an operation started by one Backend is finished by another
// from its resume token, as after a restart.
func TestResume(t *testing.T) {
	s := newScripted(t)
	s.route("PUT "+depPath, lro(s, http.StatusCreated, "Azure-AsyncOperation", ""))
	s.route("GET "+depPath, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]any{"name": "blue"}) })
	op, err := newTestBackend(t, s, nil).BeginCreateOrUpdateDeployment(t.Context(), "churn", endpoint.Deployment{Name: "blue", Model: endpoint.Reference{Name: "m", Version: "1"}})
	if err != nil {
		t.Fatal(err)
	}
	token, err := op.ResumeToken()
	if err != nil {
		t.Fatal(err)
	}
	resumed, err := newTestBackend(t, s, nil).Resume(token)
	if err != nil {
		t.Fatal(err)
	}
	if err := resumed.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := resumed.ResumeToken(); err == nil {
		t.Error("an operation that has ended still has a resume token")
	}
	if _, err := newTestBackend(t, s, nil).Resume("{not a token"); err == nil {
		t.Error("a malformed token resumed")
	}
}

// TestCancelWait: giving up waiting returns ctx's error, not a backend
// error, since the operation goes on in the service.
func TestCancelWait(t *testing.T) {
	s := newScripted(t)
	s.route("PUT "+depPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Azure-AsyncOperation", s.srv.URL+"/ops/forever")
		w.WriteHeader(http.StatusCreated)
	})
	s.route("GET /ops/forever", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "InProgress"})
	})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err := newTestBackend(t, s, nil).CreateOrUpdateDeployment(ctx, "churn", endpoint.Deployment{Name: "blue", Model: endpoint.Reference{Name: "m", Version: "1"}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
}

// TestInvoke: the key from listKeys is used as a bearer token, read once,
// and never shows in what the Backend returns.
func TestInvoke(t *testing.T) {
	s := newScripted(t)
	listKeys := 0
	s.route("GET "+epPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"name": "churn", "properties": map[string]any{"authMode": "Key", "scoringUri": s.srv.URL + "/score"}})
	})
	s.route("POST "+epPath+"/listKeys", func(w http.ResponseWriter, r *http.Request) {
		listKeys++
		writeJSON(w, http.StatusOK, map[string]string{"primaryKey": "pk-secret", "secondaryKey": "sk-secret"})
	})
	s.route("POST /score", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer pk-secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		d := r.Header.Get("azureml-model-deployment")
		if d == "" {
			d = "blue"
		}
		w.Header().Set("azureml-model-deployment", d)
		body, _ := io.ReadAll(r.Body)
		_, _ = fmt.Fprintf(w, "%s says %s", d, body)
	})
	b := newTestBackend(t, s, nil)
	for _, tt := range []struct{ deployment, want string }{{"", "blue says 1"}, {"green", "green says 1"}} {
		resp, err := b.Invoke(t.Context(), "churn", backend.InvokeRequest{Deployment: tt.deployment, Body: []byte("1")})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != 200 || string(resp.Body) != tt.want || resp.Deployment == "" {
			t.Errorf("Invoke(%q) = %d %q from %q, want 200 %q", tt.deployment, resp.Status, resp.Body, resp.Deployment, tt.want)
		}
	}
	if listKeys != 1 {
		t.Errorf("listKeys called %d times, want once: keys are cached", listKeys)
	}
	for _, r := range s.requests() {
		if r.path != "/score" && strings.Contains(r.header.Get("Authorization"), "secret") {
			t.Errorf("the key was sent to the control plane: %s %s", r.method, r.path)
		}
	}
	k, err := b.GetKeys(t.Context(), "churn")
	if err != nil || k.Primary() != "pk-secret" || strings.Contains(fmt.Sprintf("%v %+v", k, b), "pk-secret") {
		t.Errorf("GetKeys = %v, %v; or the key shows when printed", k, err)
	}
}

// TestInvokeRefreshesKeys: a 401 means the key changed elsewhere; the
// request is made once more with fresh keys.
func TestInvokeRefreshesKeys(t *testing.T) {
	s := newScripted(t)
	key := "old"
	s.route("GET "+epPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"name": "churn", "properties": map[string]any{"scoringUri": s.srv.URL + "/score"}})
	})
	s.route("POST "+epPath+"/listKeys", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"primaryKey": key, "secondaryKey": "x"})
	})
	s.route("POST /score", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer new" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	b := newTestBackend(t, s, nil)
	if resp, err := b.Invoke(t.Context(), "churn", backend.InvokeRequest{}); err != nil || resp.Status != 401 {
		t.Fatalf("with a wrong key: %v %v, want the 401 reported", resp, err)
	}
	key = "new"
	if resp, err := b.Invoke(t.Context(), "churn", backend.InvokeRequest{}); err != nil || resp.Status != 200 {
		t.Fatalf("after the keys changed: %v %v, want 200", resp, err)
	}
}

// TestInvokeAMLToken: endpoints in aml_token mode are called with a token
// from the token action.
func TestInvokeAMLToken(t *testing.T) {
	s := newScripted(t)
	s.route("GET "+epPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"name": "churn", "properties": map[string]any{"authMode": "AMLToken", "scoringUri": s.srv.URL + "/score"}})
	})
	s.route("POST "+epPath+"/token", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"accessToken": "tok", "expiryTimeUtc": time.Now().Add(time.Hour).Unix(), "refreshAfterTimeUtc": time.Now().Add(time.Hour).Unix()})
	})
	s.route("POST /score", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	resp, err := newTestBackend(t, s, nil).Invoke(t.Context(), "churn", backend.InvokeRequest{})
	if err != nil || resp.Status != 200 {
		t.Fatalf("Invoke = %v, %v, want 200", resp, err)
	}
}

// TestActions: logs and skus, decoded from the service's examples.
func TestActions(t *testing.T) {
	s := newScripted(t)
	logs := exampleBody(t, "OnlineDeployment/getLogs.json", "200")
	s.route("POST "+depPath+"/getLogs", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, logs) })
	skus := exampleBody(t, "OnlineDeployment/ManagedOnlineDeployment/listSkus.json", "200")
	var p map[string]any
	mustUnmarshal(t, skus, &p)
	delete(p, "nextLink")
	s.route("GET "+depPath+"/skus", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, p) })
	b := newTestBackend(t, s, nil)
	content, err := b.Logs(t.Context(), "churn", "blue", "InferenceServer", 10)
	if err != nil || content != "string" {
		t.Errorf("Logs = %q, %v", content, err)
	}
	if body := s.requests()[0].body; string(body) != `{"containerType":"InferenceServer","tail":10}` {
		t.Errorf("getLogs body %s", body)
	}
	got, err := b.SKUs(t.Context(), "churn", "blue")
	if err != nil || len(got) != 1 || got[0].Maximum != 1 || got[0].ScaleType != "Automatic" {
		t.Errorf("SKUs = %+v, %v", got, err)
	}
}

// TestScoringURIMustBeHTTPS: a key goes to a scoring URI over TLS only,
// whatever the service reports, unless the Backend is Insecure.
func TestScoringURIMustBeHTTPS(t *testing.T) {
	s := newScripted(t)
	s.route("GET "+epPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"name": "churn", "properties": map[string]any{"authMode": "Key", "scoringUri": "http://churn.example/score"}})
	})
	listKeys := 0
	s.route("POST "+epPath+"/listKeys", func(w http.ResponseWriter, r *http.Request) {
		listKeys++
		writeJSON(w, http.StatusOK, map[string]string{"primaryKey": "pk", "secondaryKey": "sk"})
	})
	_, err := newTestBackend(t, s, nil).Invoke(t.Context(), "churn", backend.InvokeRequest{})
	if err == nil || !strings.Contains(err.Error(), "not HTTPS") {
		t.Fatalf("Invoke = %v, want the plain-HTTP scoring URI refused", err)
	}
	if listKeys != 0 {
		t.Error("keys were fetched for a scoring URI they cannot be sent to")
	}
}

// TestInsecureOverPlainHTTP: with Insecure, the whole flow works over plain
// HTTP, as tests against a local server need.
func TestInsecureOverPlainHTTP(t *testing.T) {
	srv := httptest.NewServer(rest.New(fakes.New(fakes.Options{Latency: fakes.NoLatency()}), rest.Options{}))
	defer srv.Close()
	b, err := New(testScope, &fake.TokenCredential{}, &Options{
		Location:      "westeurope",
		Insecure:      true,
		PollFrequency: time.Millisecond,
		ClientOptions: &arm.ClientOptions{
			ClientOptions:         policy.ClientOptions{Cloud: CloudFor(srv.URL, "https://management.core.windows.net/")},
			DisableRPRegistration: true,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := b.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: "churn"}); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateOrUpdateDeployment(ctx, "churn", blue); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: "churn", Traffic: traffic.MustNew(map[string]int{"blue": 100})}); err != nil {
		t.Fatal(err)
	}
	resp, err := b.Invoke(ctx, "churn", backend.InvokeRequest{Body: []byte(`{}`)})
	if err != nil || resp.Status != http.StatusOK || resp.Deployment != "blue" {
		t.Fatalf("Invoke = %+v, %v, want 200 from blue", resp, err)
	}
}

// scopeRecorder is a credential that hands out a token named after the
// scopes it was asked for.
type scopeRecorder struct{}

func (scopeRecorder) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "token-for-" + strings.Join(o.Scopes, ","), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// TestInvokeAADToken: endpoints in aad_token mode are called with a token
// of the credential for the service's data plane, not the ARM token.
func TestInvokeAADToken(t *testing.T) {
	s := newScripted(t)
	s.route("GET "+epPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"name": "churn", "properties": map[string]any{"authMode": "AADToken", "scoringUri": s.srv.URL + "/score"}})
	})
	var got string
	s.route("POST /score", func(w http.ResponseWriter, r *http.Request) { got = r.Header.Get("Authorization") })
	o := &Options{
		Location: "westeurope",
		ClientOptions: &arm.ClientOptions{
			ClientOptions:         policy.ClientOptions{Transport: s.srv.Client(), Cloud: CloudFor(s.srv.URL, "https://management.core.windows.net/")},
			DisableRPRegistration: true,
		},
	}
	b, err := New(testScope, scopeRecorder{}, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Invoke(t.Context(), "churn", backend.InvokeRequest{}); err != nil {
		t.Fatal(err)
	}
	if want := "Bearer token-for-https://ml.azure.com/.default"; got != want {
		t.Errorf("Authorization %q, want %q", got, want)
	}
	if _, err := b.Invoke(t.Context(), "churn", backend.InvokeRequest{Deployment: "../blue"}); backend.KindOf(err) != backend.Invalid {
		t.Errorf("Invoke of deployment ../blue = %v, want Invalid: the name goes into a header", err)
	}
}
