package fakes

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
)

// Handler is how a deployment answers a scoring request: the HTTP status and
// body. It runs outside the service's lock, so it may block, call the
// service or fail as the test needs; body is the handler's own copy.
type Handler func(ctx context.Context, deployment string, body []byte) (status int, resp []byte)

// Respond returns a handler that always answers status with body: a model
// version's fixed answer ("v1"), or an unhealthy deployment (500).
func Respond(status int, body string) Handler {
	return func(context.Context, string, []byte) (int, []byte) { return status, []byte(body) }
}

// SetHandler replaces the handler of a deployment of every endpoint
// (name "green") or of one endpoint ("my-endpoint/green"); a nil h
// removes it, so the deployment falls back to a shorter key or the
// default. Use it to make a deployment turn unhealthy in the middle of a
// rollout.
func (s *Service) SetHandler(name string, h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h == nil {
		delete(s.handlers, handlerKey(name))
		return
	}
	s.handlers[handlerKey(name)] = h
}

// handlerKey lower-cases the endpoint part of "endpoint/deployment", since
// endpoint names are case-insensitive.
func handlerKey(name string) string {
	if ep, d, ok := strings.Cut(name, "/"); ok {
		return strings.ToLower(ep) + "/" + d
	}
	return name
}

// DeploymentStats counts the requests one deployment received, for metric
// gates. Errors are answers with a status of 500 or more.
type DeploymentStats struct {
	Deployment string
	// Requests is every request the deployment answered; Direct counts
	// those that named it (and so bypassed the split).
	Requests int
	Direct   int
	Errors   int
	// Mirrored counts the copies of live requests the deployment received
	// as the mirror; their answers were discarded.
	Mirrored     int
	MirrorErrors int
}

// Stats returns the request counts of the endpoint's deployments, sorted by
// deployment name, or nil when the endpoint does not exist. A deployment's
// counts start when it is created and end when it is deleted.
func (s *Service) Stats(endpointName string) []DeploymentStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.endpoints[strings.ToLower(endpointName)]
	if rec == nil {
		return nil
	}
	out := make([]DeploymentStats, 0, len(rec.order))
	for _, k := range rec.order {
		out = append(out, rec.deployments[k].stats)
	}
	return out
}

// GetKeys implements [backend.Backend]. Keys are derived from a counter, so
// a run gets the same keys every time.
func (s *Service) GetKeys(ctx context.Context, endpointName string) (backend.Keys, error) {
	if err := s.begin(ctx, "GetKeys"); err != nil {
		return backend.Keys{}, err
	}
	defer s.unlock()
	rec := s.endpoints[strings.ToLower(endpointName)]
	if rec == nil {
		return backend.Keys{}, endpointNotFound(endpointName)
	}
	return rec.endpointKeys(), nil
}

// Invoke implements [backend.Backend]. A request that names no deployment
// is routed by the live split with a [traffic.Router] keyed by the
// endpoint's request counter, so 1,000 requests at blue=90 green=10 reach
// blue exactly 900 times; when the router mirrors it, the mirror
// deployment's handler gets a copy after the answer is ready, and its
// answer is discarded. A deployment that is not serving (Creating, Failed,
// Deleting) answers 503.
func (s *Service) Invoke(ctx context.Context, endpointName string, req backend.InvokeRequest) (*backend.InvokeResponse, error) {
	if err := s.begin(ctx, "Invoke"); err != nil {
		return nil, err
	}
	rec := s.endpoints[strings.ToLower(endpointName)]
	if rec == nil {
		s.unlock()
		return nil, endpointNotFound(endpointName)
	}
	target, mirror := req.Deployment, ""
	if target != "" {
		dr := rec.deployments[endpoint.NameKey(target)]
		if dr == nil {
			s.unlock()
			return &backend.InvokeResponse{Status: http.StatusNotFound, Body: fmt.Appendf(nil, "Deployment %s not found in endpoint %s", target, rec.ep.Name)}, nil
		}
		target = dr.d.Name
	} else {
		key := rec.requests
		rec.requests++
		target = rec.route().Pick(key)
		if target == "" {
			s.unlock()
			return &backend.InvokeResponse{Status: http.StatusNotFound, Body: fmt.Appendf(nil, "Endpoint %s has no live traffic: every deployment's share is 0", rec.ep.Name)}, nil
		}
		mirror, _ = rec.router.Mirror(key)
	}
	answer := s.handler(rec, target)
	var copyTo Handler
	if mirror != "" {
		copyTo = s.handler(rec, mirror)
	}
	s.unlock()

	status, body := answer(ctx, target, bytes.Clone(req.Body))
	body = bytes.Clone(body)
	mirrorStatus := 0
	if copyTo != nil {
		mirrorStatus, _ = copyTo(ctx, mirror, bytes.Clone(req.Body))
	}

	s.mu.Lock()
	if st := rec.stats(target); st != nil {
		st.Requests++
		if req.Deployment != "" {
			st.Direct++
		}
		if status >= 500 {
			st.Errors++
		}
	}
	if st := rec.stats(mirror); st != nil && copyTo != nil {
		st.Mirrored++
		if mirrorStatus >= 500 {
			st.MirrorErrors++
		}
	}
	s.mu.Unlock()
	return &backend.InvokeResponse{Deployment: target, Status: status, Body: body}, nil
}

// handler returns what answers for the deployment: 503 while it does not
// serve, else its handler or the default. s.mu is held.
func (s *Service) handler(rec *endpointRecord, deployment string) Handler {
	d := rec.deployments[endpoint.NameKey(deployment)].d
	switch st := d.Status.ProvisioningState; st {
	case endpoint.Succeeded, endpoint.Updating, endpoint.Scaling:
	default:
		return Respond(http.StatusServiceUnavailable, fmt.Sprintf("Deployment %s is not serving: it is in %s provisioning state", deployment, st))
	}
	if h := s.handlers[strings.ToLower(rec.ep.Name)+"/"+deployment]; h != nil {
		return h
	}
	if h := s.handlers[deployment]; h != nil {
		return h
	}
	return echoModel(d.Model.String())
}

// echoModel is the default handler: 200 with the deployment and its model,
// {"deployment":"blue","model":"azureml:model-1:1"}.
func echoModel(model string) Handler {
	return func(_ context.Context, deployment string, _ []byte) (int, []byte) {
		b, err := json.Marshal(struct {
			Deployment string `json:"deployment"`
			Model      string `json:"model"`
		}{deployment, model})
		if err != nil {
			return http.StatusInternalServerError, []byte(err.Error())
		}
		return http.StatusOK, b
	}
}
