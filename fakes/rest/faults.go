package rest

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rolloutkit/rollout/fakes"
)

// serveFault serves a request with the fault the rules pick for it, if
// any: [fakes.Faults.Pick] decides, as it does for service-level calls,
// and each kind gets its HTTP form here.
func (s *Server) serveFault(w http.ResponseWriter, r *http.Request) {
	op, endpointName, deployment := s.classify(r)
	f, ok := s.faults.Pick(op, endpointName, deployment)
	if !ok {
		s.serve(w, r)
		return
	}
	req := &request{w: w, r: r}
	switch f.Kind {
	case fakes.Throttle:
		req.fail(http.StatusTooManyRequests, "TooManyRequests", "Injected fault: Too Many Requests", f.Wait())
	case fakes.ServerError:
		req.fail(http.StatusInternalServerError, "InternalServerError", "Injected fault: Internal Server Error", 0)
	case fakes.DropRequest:
		drop(w)
	case fakes.DropResponse:
		s.serve(lostAnswer{}, r)
		drop(w)
	case fakes.Slow:
		s.serveLate(w, r, f.Delay)
	default: // FailProvisioning; fakes.NewFaults refuses other kinds
		s.svc.FailProvisioning(endpointName, deployment, f.Code, f.Message)
		sw := &statusWriter{ResponseWriter: w}
		s.serve(sw, r)
		if sw.status >= http.StatusBadRequest {
			// Refused before it started: the failure was for this
			// request only.
			s.svc.Disarm(endpointName, deployment)
		}
	}
}

// serveLate serves r after delay, or drops the connection if the client
// gives up first.
func (s *Server) serveLate(w http.ResponseWriter, r *http.Request, delay time.Duration) {
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		s.serve(w, r)
	case <-r.Context().Done():
		drop(w)
	}
}

// classify returns the operation and target of a request in the terms of
// [fakes.Rule]: the method of [backend.Backend] it carries out, or the
// protocol-only operation it is, with its endpoint and deployment.
// Requests the emulator has no route for have no operation.
func (s *Server) classify(r *http.Request) (op fakes.Op, endpointName, deployment string) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) == 2 && parts[0] == "score" {
		return fakes.OpInvoke, parts[1], r.Header.Get("azureml-model-deployment")
	}
	lower := lowered(parts)
	if len(parts) == 8 && lower[4] == "locations" && (lower[6] == "mfeoperationsstatus" || lower[6] == "mfeoperationresults") {
		endpointName, deployment = s.operationTarget(parts[7])
		return fakes.OpPollOperation, endpointName, deployment
	}
	if len(parts) >= 9 && lower[6] == "workspaces" && lower[8] != "onlineendpoints" {
		return assetOp(r.Method, lower[8:]), "", ""
	}
	if len(parts) < 9 || lower[8] != "onlineendpoints" {
		return "", "", ""
	}
	rest, tail := parts[9:], lower[9:]
	switch {
	case len(rest) == 0:
		return fakes.OpListEndpoints, "", ""
	case len(rest) == 1:
		return endpointOps[r.Method], rest[0], ""
	case len(rest) == 2:
		return endpointActionOps[r.Method+" "+tail[1]], rest[0], ""
	case len(rest) == 3 && tail[1] == "deployments":
		if r.Method == http.MethodPatch && scalesOnly(r) {
			return fakes.OpScaleDeployment, rest[0], rest[2]
		}
		return deploymentOps[r.Method], rest[0], rest[2]
	case len(rest) == 4 && tail[1] == "deployments":
		return deploymentActionOps[r.Method+" "+tail[3]], rest[0], rest[2]
	}
	return "", "", ""
}

// assetOp classifies a request under a workspace's codes, models,
// environments or datastores (tail starts with the collection): the reads
// and the PUT of a version are what a client's FindAsset and RegisterAsset
// send.
func assetOp(method string, tail []string) fakes.Op {
	_, asset := assetCollections[tail[0]]
	switch {
	case tail[0] == "datastores" && len(tail) == 3 && tail[2] == "listsecrets":
		return fakes.OpListDatastoreSecrets
	case tail[0] == "datastores":
		return fakes.OpGetDatastore
	case !asset:
		return ""
	case len(tail) == 5 && tail[4] == "startpendingupload":
		return fakes.OpStartPendingUpload
	case len(tail) >= 3 && tail[2] == "versions" && method == http.MethodPut:
		return fakes.OpRegisterAsset
	case len(tail) >= 3 && tail[2] == "versions":
		return fakes.OpFindAsset
	}
	return fakes.OpAssetContainer
}

var (
	endpointOps = map[string]fakes.Op{
		http.MethodGet:    fakes.OpGetEndpoint,
		http.MethodPut:    fakes.OpCreateOrUpdateEndpoint,
		http.MethodPatch:  fakes.OpCreateOrUpdateEndpoint,
		http.MethodDelete: fakes.OpDeleteEndpoint,
	}
	endpointActionOps = map[string]fakes.Op{
		"GET deployments":     fakes.OpListDeployments,
		"POST listkeys":       fakes.OpGetKeys,
		"POST token":          fakes.OpGetToken,
		"POST regeneratekeys": fakes.OpRegenerateKeys,
	}
	deploymentOps = map[string]fakes.Op{
		http.MethodGet:    fakes.OpGetDeployment,
		http.MethodPut:    fakes.OpCreateOrUpdateDeployment,
		http.MethodPatch:  fakes.OpCreateOrUpdateDeployment,
		http.MethodDelete: fakes.OpDeleteDeployment,
	}
	deploymentActionOps = map[string]fakes.Op{
		"POST getlogs": fakes.OpGetLogs,
		"GET skus":     fakes.OpListSkus,
	}
)

// scalesOnly reports whether a deployment PATCH changes its sku capacity
// alone, which is the service's scale operation. It reads the body and puts
// it back for the handler.
func scalesOnly(r *http.Request) bool {
	if r.Body == nil {
		return false
	}
	b, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return false
	}
	p, err := parseDeploymentPatch(b)
	if err != nil {
		return false
	}
	_, ok := p.scaleOnly()
	return ok
}

// operationTarget returns the endpoint and deployment an operation writes.
func (s *Server) operationTarget(id string) (endpointName, deployment string) {
	op, ok := s.lookup(id)
	if !ok {
		return "", ""
	}
	endpointName, deployment, _ = strings.Cut(op.resultPath, "/")
	return endpointName, deployment
}

// lostAnswer is where a request whose answer is lost is served.
type lostAnswer struct{}

func (lostAnswer) Header() http.Header         { return http.Header{} }
func (lostAnswer) Write(b []byte) (int, error) { return len(b), nil }
func (lostAnswer) WriteHeader(int)             {}

// statusWriter records the status a handler answers.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// dropper is a response writer that can lose its answer without a
// connection to close: the in-process transport's.
type dropper interface{ drop() }

// drop closes the connection under w, or makes the in-process transport
// fail the call.
func drop(w http.ResponseWriter) {
	if d, ok := w.(dropper); ok {
		d.drop()
		return
	}
	if h, ok := w.(http.Hijacker); ok {
		if conn, _, err := h.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// No connection to close (HTTP/2): abort the handler, which resets the
	// stream.
	panic(http.ErrAbortHandler)
}
