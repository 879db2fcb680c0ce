package rest

import (
	"crypto/subtle"
	"io"
	"net/http"
	"strings"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
)

// score serves the data plane: POST {BaseURL}/score/{endpoint} with
// Authorization: Bearer and, to target one deployment,
// azureml-model-deployment. The answering deployment comes back in the
// azureml-model-deployment response header, as the service sends it.
func (s *Server) score(req *request, name string) {
	if req.r.Method != http.MethodPost {
		http.Error(req.w, "scoring takes POST", http.StatusMethodNotAllowed)
		return
	}
	e, ok := s.svc.Peek(name)
	if !ok {
		http.Error(req.w, "endpoint "+name+" not found", http.StatusNotFound)
		return
	}
	if !s.authorized(req, e) {
		http.Error(req.w, "authentication failed: a valid key or token is required in Authorization: Bearer", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(req.r.Body)
	if err != nil {
		http.Error(req.w, err.Error(), http.StatusBadRequest)
		return
	}
	resp, err := s.svc.Invoke(req.ctx, e.Name, backend.InvokeRequest{Deployment: req.r.Header.Get("azureml-model-deployment"), Body: body})
	if err != nil {
		status, detail, _ := errorResponse(err)
		http.Error(req.w, detail.Message, status)
		return
	}
	if resp.Deployment != "" {
		req.w.Header().Set("azureml-model-deployment", resp.Deployment)
	}
	req.w.WriteHeader(resp.Status)
	_, _ = req.w.Write(resp.Body)
}

// authorized checks the bearer against what the endpoint's auth mode
// accepts: its keys, its AML token, or any Microsoft Entra token (which the
// emulator cannot verify).
func (s *Server) authorized(req *request, e *endpoint.Endpoint) bool {
	given, ok := strings.CutPrefix(req.r.Header.Get("Authorization"), "Bearer ")
	if !ok || given == "" {
		return false
	}
	k, err := s.keysOf(e.Name)
	if err != nil {
		return false
	}
	eq := func(want string) bool {
		return want != "" && subtle.ConstantTimeCompare([]byte(given), []byte(want)) == 1
	}
	switch e.AuthMode {
	case endpoint.AuthAMLToken:
		return eq(amlToken(k))
	case endpoint.AuthAADToken:
		return true
	}
	return eq(k.Primary()) || eq(k.Secondary())
}
