package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/fakes"
)

// DefaultAPIVersion is the api-version the emulator accepts when
// [Options.APIVersions] is empty.
const DefaultAPIVersion = "2024-10-01"

// Options configure a [Server]. The zero Options accept any workspace
// scope, the default api-version, and ask clients to poll every millisecond.
type Options struct {
	// Subscription, ResourceGroup and Workspace, when set, are the only
	// scope the emulator serves; other scopes get 404 ResourceNotFound.
	// Empty accepts any.
	Subscription, ResourceGroup, Workspace string
	// Location is the region written into bodies and operation URLs;
	// "eastus" when empty.
	Location string
	// APIVersions are the accepted values of the api-version query
	// parameter; [DefaultAPIVersion] when empty. Others get 400.
	APIVersions []string
	// RetryAfter is the polling wait the emulator asks for on operations in
	// progress. Waits under a second, or not whole seconds, are sent as
	// Retry-After-Ms (which azcore honours) besides a rounded-up
	// Retry-After; zero means 1 ms, so tests poll at once.
	RetryAfter time.Duration
	// BaseURL is the scheme and host of the URLs the emulator writes
	// (operation status, nextLink, scoring URIs); when empty each
	// request's own scheme and host are used.
	BaseURL string
	// PageSize is how many items a list returns before its nextLink; 10
	// when zero.
	PageSize int
	// Faults are the rules of faults injected into requests, tried in
	// order on every request, first that fires wins: the same
	// [fakes.Rule]s as [fakes.NewFaults] takes, selecting the operation
	// and target each request carries out (see [fakes.Op]). New panics on
	// a rule without a known fault kind, as NewFaults does.
	Faults []fakes.Rule
	// Seed seeds the random choices of rules with a Probability.
	Seed uint64
	// Storage is the workspace's storage account, which code uploads and
	// the default datastore use; without it startPendingUpload answers
	// 501 and the workspace has no datastores. New panics on a Storage
	// whose endpoint or key cannot work.
	Storage *Storage
}

// Server serves the service's REST protocol (ARM control plane and the
// scoring data plane) from a [fakes.Service]. It implements
// [http.Handler] and is safe for concurrent use. Create one with [New].
type Server struct {
	svc  *fakes.Service
	opts Options

	mu      sync.Mutex
	ops     map[string]*operation
	opCount int
	keys    map[string]backend.Keys
	regens  int
	extras  map[string]*extras
	faults  *fakes.Faults
	storage *storage
}

// operation is a write the in-memory service accepted, with what its
// status and result resources need.
type operation struct {
	id     string
	method string
	scope  scope
	// resultPath is the resource whose final body a PATCH returns.
	resultPath string
	start      time.Time
	run        *fakes.Operation
}

// New returns an emulator serving svc.
func New(svc *fakes.Service, opts Options) *Server {
	if opts.Location == "" {
		opts.Location = "eastus"
	}
	if len(opts.APIVersions) == 0 {
		opts.APIVersions = []string{DefaultAPIVersion}
	}
	opts.APIVersions = slices.Clone(opts.APIVersions)
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = time.Millisecond
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 10
	}
	opts.BaseURL = strings.TrimSuffix(opts.BaseURL, "/")
	return &Server{
		svc:     svc,
		opts:    opts,
		ops:     make(map[string]*operation),
		keys:    make(map[string]backend.Keys),
		extras:  make(map[string]*extras),
		faults:  fakes.NewFaults(opts.Seed, opts.Faults...),
		storage: newStorage(opts.Storage),
	}
}

// Injected counts the faults injected so far, by "Op: kind", as
// [fakes.Faults.Injected] does.
func (s *Server) Injected() []fakes.CallCount { return s.faults.Injected() }

// request is one call being served, with what every handler needs.
type request struct {
	w      http.ResponseWriter
	r      *http.Request
	ctx    context.Context
	base   string
	scope  scope
	apiVer string
}

const provider = "providers/microsoft.machinelearningservices/"

// ServeHTTP implements [http.Handler].
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.serveFault(w, r)
}

// serve routes a request to its handler.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	req := &request{w: w, r: r, ctx: r.Context(), base: s.baseURL(r)}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) == 2 && parts[0] == "score" {
		s.score(req, parts[1])
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		req.fail(http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed: the request has no bearer token", 0)
		return
	}
	if s.serveRegistries(req, parts) {
		return
	}
	if !s.checkAPIVersion(req) {
		return
	}
	lower := lowered(parts)
	// /subscriptions/S/providers/Microsoft.MachineLearningServices/locations/L/(mfeOperationsStatus|mfeOperationResults)/ID
	if len(parts) == 8 && lower[0] == "subscriptions" && lower[2]+"/"+lower[3]+"/" == provider && lower[4] == "locations" {
		switch lower[6] {
		case "mfeoperationsstatus":
			s.operationStatus(req, parts[7])
			return
		case "mfeoperationresults":
			s.operationResult(req, parts[7])
			return
		}
	}
	// /subscriptions/S/resourceGroups/G/providers/Microsoft.MachineLearningServices/workspaces/W/COLLECTION[/...]
	if len(parts) < 9 || lower[0] != "subscriptions" || lower[2] != "resourcegroups" ||
		lower[4]+"/"+lower[5]+"/" != provider || lower[6] != "workspaces" || !served(lower[8]) {
		req.fail(http.StatusNotFound, "NoRegisteredProviderFound", "No route for "+r.Method+" "+r.URL.Path, 0)
		return
	}
	req.scope = scope{subscription: parts[1], resourceGroup: parts[3], workspace: parts[7]}
	if !s.inScope(req.scope) {
		req.fail(http.StatusNotFound, "ResourceNotFound", "The workspace "+req.scope.workspaceID()+" was not found", 0)
		return
	}
	switch lower[8] {
	case "onlineendpoints":
		s.serveEndpoints(req, parts[9:], lower[9:])
	case "datastores":
		s.serveDatastores(req, parts[9:], lower[9:])
	default:
		s.serveAssets(req, assetCollections[lower[8]], parts[9:], lower[9:])
	}
}

// served reports whether the emulator serves a workspace's collection.
func served(collection string) bool {
	_, asset := assetCollections[collection]
	return collection == "onlineendpoints" || collection == "datastores" || asset
}

// serveEndpoints routes the requests under onlineEndpoints.
func (s *Server) serveEndpoints(req *request, rest, tail []string) {
	r := req.r
	switch {
	case len(rest) == 0 && r.Method == http.MethodGet:
		s.listEndpoints(req)
	case len(rest) == 1:
		s.endpointResource(req, rest[0])
	case len(rest) == 2 && r.Method == http.MethodPost && slices.Contains([]string{"listkeys", "token", "regeneratekeys"}, tail[1]):
		s.endpointAction(req, rest[0], tail[1])
	case len(rest) == 2 && tail[1] == "deployments" && r.Method == http.MethodGet:
		s.listDeployments(req, rest[0])
	case len(rest) == 3 && tail[1] == "deployments":
		s.deploymentResource(req, rest[0], rest[2])
	case len(rest) == 4 && tail[1] == "deployments" && tail[3] == "getlogs" && r.Method == http.MethodPost:
		s.getLogs(req, rest[0], rest[2])
	case len(rest) == 4 && tail[1] == "deployments" && tail[3] == "skus" && r.Method == http.MethodGet:
		s.skus(req, rest[0], rest[2])
	default:
		req.fail(http.StatusMethodNotAllowed, "MethodNotAllowed", "The method "+r.Method+" is not allowed on "+r.URL.Path, 0)
	}
}

// checkAPIVersion reads the request's api-version and answers 400 when it
// is missing or not one the emulator accepts.
func (s *Server) checkAPIVersion(req *request) bool {
	req.apiVer = req.r.URL.Query().Get("api-version")
	if req.apiVer == "" {
		req.fail(http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests", 0)
		return false
	}
	if !slices.Contains(s.opts.APIVersions, req.apiVer) {
		req.fail(http.StatusBadRequest, "InvalidApiVersionParameter", fmt.Sprintf("The api-version '%s' is invalid. The supported versions are '%s'", req.apiVer, strings.Join(s.opts.APIVersions, ",")), 0)
		return false
	}
	return true
}

// lowered returns the parts of a path in lower case.
func lowered(parts []string) []string {
	lower := make([]string, len(parts))
	for i, p := range parts {
		lower[i] = strings.ToLower(p)
	}
	return lower
}

func (s *Server) inScope(sc scope) bool {
	return (s.opts.Subscription == "" || strings.EqualFold(s.opts.Subscription, sc.subscription)) &&
		(s.opts.ResourceGroup == "" || strings.EqualFold(s.opts.ResourceGroup, sc.resourceGroup)) &&
		(s.opts.Workspace == "" || strings.EqualFold(s.opts.Workspace, sc.workspace))
}

func (s *Server) baseURL(r *http.Request) string {
	if s.opts.BaseURL != "" {
		return s.opts.BaseURL
	}
	scheme := "http"
	if r.TLS != nil || r.URL.Scheme == "https" {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	return scheme + "://" + host
}

// writeJSON answers status with v as JSON.
func (req *request) writeJSON(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		req.fail(http.StatusInternalServerError, "InternalServerError", err.Error(), 0)
		return
	}
	req.w.Header().Set("Content-Type", "application/json")
	req.w.WriteHeader(status)
	_, _ = req.w.Write(b)
}

// fail answers an ARM error body; a positive retry sets Retry-After.
func (req *request) fail(status int, code, message string, retry time.Duration) {
	if retry > 0 {
		setRetryAfter(req.w.Header(), retry)
	}
	req.w.Header().Set("x-ms-error-code", code)
	req.writeJSON(status, armError{Error: errorDetail{Code: code, Message: message}})
}

// failBody answers status with an ARM error body as it is.
func (req *request) failBody(status int, body errorDetail) {
	req.w.Header().Set("x-ms-error-code", body.Code)
	req.writeJSON(status, armError{Error: body})
}

// failErr answers the ARM error for a backend error.
func (req *request) failErr(err error) {
	status, body, retry := errorResponse(err)
	req.fail(status, body.Code, body.Message, retry)
}

// errorResponse maps a backend error to its HTTP status and ARM error.
func errorResponse(err error) (int, errorDetail, time.Duration) {
	e, ok := errors.AsType[*backend.Error](err)
	if !ok {
		return http.StatusInternalServerError, errorDetail{Code: "InternalServerError", Message: err.Error()}, 0
	}
	status := map[backend.Kind]int{
		backend.NotFound:           http.StatusNotFound,
		backend.Conflict:           http.StatusConflict,
		backend.Invalid:            http.StatusBadRequest,
		backend.Throttled:          http.StatusTooManyRequests,
		backend.Precondition:       http.StatusPreconditionFailed,
		backend.Unavailable:        http.StatusServiceUnavailable,
		backend.ProvisioningFailed: http.StatusBadRequest,
	}[e.Kind]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	code := e.Code
	if code == "" {
		code = http.StatusText(status)
	}
	return status, errorDetail{Code: code, Message: e.Message}, e.RetryAfter
}

// setRetryAfter writes Retry-After in whole seconds, rounded up, and
// Retry-After-Ms when that would lose precision.
func setRetryAfter(h http.Header, d time.Duration) {
	secs := int64((d + time.Second - 1) / time.Second)
	h.Set("Retry-After", strconv.FormatInt(secs, 10))
	if d%time.Second != 0 {
		h.Set("Retry-After-Ms", strconv.FormatInt(int64((d+time.Millisecond-1)/time.Millisecond), 10))
	}
}

// body reads the request body, answering 400 when it cannot.
func (req *request) body() ([]byte, bool) {
	b, err := io.ReadAll(req.r.Body)
	if err != nil {
		req.fail(http.StatusBadRequest, "BadArgument", "The request body cannot be read: "+err.Error(), 0)
		return nil, false
	}
	return b, true
}

// decode reads a JSON request body into v, answering 400 when it cannot.
func (req *request) decode(v any) bool {
	b, ok := req.body()
	if !ok {
		return false
	}
	if err := unmarshalBody(b, v); err != nil {
		req.fail(http.StatusBadRequest, "BadArgument", err.Error(), 0)
		return false
	}
	return true
}

// start asks the in-memory service to accept a write. A refusal is
// answered at once with its ARM error, as the service refuses before it
// accepts anything, and start returns nil; an accepted write is recorded
// for its status and result resources. The service carries the write out
// on its own clock, whatever becomes of the request.
func (s *Server) start(req *request, resultPath string, begin func(context.Context) (*fakes.Operation, error)) *operation {
	run, err := begin(req.ctx)
	if err != nil {
		req.failErr(err)
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opCount++
	op := &operation{id: fmt.Sprintf("op-%d", s.opCount), method: req.r.Method, scope: req.scope, resultPath: resultPath, start: time.Now(), run: run}
	s.ops[op.id] = op
	return op
}

func (s *Server) operationURL(req *request, kind, id string) string {
	return req.base + "/subscriptions/" + req.scope.subscription + "/providers/Microsoft.MachineLearningServices/locations/" +
		s.opts.Location + "/" + kind + "/" + id + "?api-version=" + url.QueryEscape(req.apiVer)
}

// accepted sets the polling headers of an operation in progress, as the
// specification declares them: a PUT's 201 or 200 carries
// Azure-AsyncOperation; a PATCH's or DELETE's 202 carries Location and
// Retry-After only, so that clients must follow the Location.
func (s *Server) accepted(req *request, op *operation, location bool) {
	h := req.w.Header()
	if location {
		h.Set("Location", s.operationURL(req, "mfeOperationResults", op.id))
	} else {
		h.Set("Azure-AsyncOperation", s.operationURL(req, "mfeOperationsStatus", op.id))
	}
	setRetryAfter(h, s.opts.RetryAfter)
}

func (s *Server) lookup(id string) (*operation, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	op, ok := s.ops[id]
	return op, ok
}

// outcome returns whether op has ended, when, and how.
func (op *operation) outcome() (ended bool, end time.Time, err error) {
	select {
	case <-op.run.Done():
		return true, op.run.EndTime(), op.run.Err()
	default:
		return false, time.Time{}, nil
	}
}

// operationStatus serves the Azure-AsyncOperation resource.
func (s *Server) operationStatus(req *request, id string) {
	op, ok := s.lookup(id)
	if !ok {
		req.fail(http.StatusNotFound, "NotFound", "Operation "+id+" not found", 0)
		return
	}
	req.scope = op.scope
	type status struct {
		ID        string       `json:"id"`
		Name      string       `json:"name"`
		Status    string       `json:"status"`
		StartTime string       `json:"startTime"`
		EndTime   string       `json:"endTime,omitempty"`
		Error     *errorDetail `json:"error,omitempty"`
	}
	st := status{ID: strings.SplitN(req.r.URL.Path, "?", 2)[0], Name: op.id, Status: "InProgress", StartTime: op.start.UTC().Format(time.RFC3339Nano)}
	ended, end, err := op.outcome()
	switch {
	case !ended:
		setRetryAfter(req.w.Header(), s.opts.RetryAfter)
	case err != nil:
		_, body, _ := errorResponse(err)
		st.Status, st.Error, st.EndTime = "Failed", &body, end.UTC().Format(time.RFC3339Nano)
	default:
		st.Status, st.EndTime = "Succeeded", end.UTC().Format(time.RFC3339Nano)
	}
	req.writeJSON(http.StatusOK, st)
}

// operationResult serves the Location of a PATCH or DELETE: 202 while it
// runs, then the final answer.
func (s *Server) operationResult(req *request, id string) {
	op, ok := s.lookup(id)
	if !ok {
		req.fail(http.StatusNotFound, "NotFound", "Operation "+id+" not found", 0)
		return
	}
	req.scope = op.scope
	ended, _, err := op.outcome()
	switch {
	case !ended:
		req.w.Header().Set("Location", s.operationURL(req, "mfeOperationResults", id))
		setRetryAfter(req.w.Header(), s.opts.RetryAfter)
		req.w.WriteHeader(http.StatusAccepted)
	case err != nil:
		req.failErr(err)
	case op.method == http.MethodDelete:
		req.w.WriteHeader(http.StatusNoContent)
	default:
		endpointName, deployment, _ := strings.Cut(op.resultPath, "/")
		if deployment == "" {
			s.writeCurrentEndpoint(req, endpointName, http.StatusOK)
		} else {
			s.writeDeployment(req, endpointName, deployment, http.StatusOK)
		}
	}
}
