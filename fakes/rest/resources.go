package rest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
)

// page cuts items at the request's $skipToken (an offset) and returns the
// nextLink of the rest, or "".
func page[T any](s *Server, req *request, items []T) ([]T, string) {
	skip, _ := strconv.Atoi(req.r.URL.Query().Get("$skipToken"))
	skip = min(max(skip, 0), len(items))
	end := min(skip+s.opts.PageSize, len(items))
	next := ""
	if end < len(items) {
		q := url.Values{"api-version": {req.apiVer}, "$skipToken": {strconv.Itoa(end)}}
		next = req.base + req.r.URL.Path + "?" + q.Encode()
	}
	return items[skip:end], next
}

type list[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"nextLink,omitempty"`
}

func (s *Server) scoringURI(req *request, name string) string {
	return req.base + "/score/" + strings.ToLower(name)
}

func (s *Server) listEndpoints(req *request) {
	eps, err := s.svc.ListEndpoints(req.ctx)
	if err != nil {
		req.failErr(err)
		return
	}
	items, next := page(s, req, eps)
	out := list[wireEndpoint]{Value: make([]wireEndpoint, 0, len(items)), NextLink: next}
	for _, e := range items {
		out.Value = append(out.Value, s.encodeEndpoint(req.scope, e, s.scoringURI(req, e.Name)))
	}
	req.writeJSON(http.StatusOK, out)
}

// writeEndpoint answers the endpoint as the service holds it now, with its
// ETag in the header.
func (s *Server) writeEndpoint(req *request, name string, status int) {
	e, err := s.svc.GetEndpoint(req.ctx, name)
	if err != nil {
		req.failErr(err)
		return
	}
	if e.Status.ETag != "" {
		req.w.Header().Set("ETag", e.Status.ETag)
	}
	req.writeJSON(status, s.encodeEndpoint(req.scope, e, s.scoringURI(req, e.Name)))
}

// current reads an endpoint, reporting a missing one as nil.
func (s *Server) current(ctx context.Context, name string) (*endpoint.Endpoint, error) {
	e, err := s.svc.GetEndpoint(ctx, name)
	if backend.KindOf(err) == backend.NotFound {
		return nil, nil
	}
	return e, err
}

// precondition checks If-Match and If-None-Match against the ETag of
// what exists ("" when nothing does) and answers 412 when they fail. It
// returns the If-Match value to hand to the service, which checks it
// again when it takes the write.
func (req *request) precondition(what, have string, exists bool) (string, bool) {
	match, noneMatch := req.r.Header.Get("If-Match"), req.r.Header.Get("If-None-Match")
	switch {
	case match == "*" && !exists:
		req.fail(http.StatusPreconditionFailed, "PreconditionFailed", what+" does not exist; If-Match * cannot match", 0)
		return "", false
	case noneMatch == "*" && exists:
		req.fail(http.StatusPreconditionFailed, "PreconditionFailed", what+" exists; If-None-Match * refuses to replace it", 0)
		return "", false
	case match != "" && match != "*" && match != have:
		if !exists {
			req.fail(http.StatusPreconditionFailed, "PreconditionFailed", what+" does not exist; If-Match "+match+" cannot match", 0)
		} else {
			req.fail(http.StatusPreconditionFailed, "PreconditionFailed", what+" has ETag "+have+", not "+match+": it changed since it was read", 0)
		}
		return "", false
	}
	if match == "*" {
		return "", true
	}
	return match, true
}

func (s *Server) endpointResource(req *request, name string) {
	switch req.r.Method {
	case http.MethodGet:
		s.writeEndpoint(req, name, http.StatusOK)
	case http.MethodPut:
		var w wireEndpoint
		if !req.decode(&w) {
			return
		}
		e, err := decodeEndpoint(name, w)
		if err != nil {
			req.fail(http.StatusBadRequest, "BadArgument", err.Error(), 0)
			return
		}
		s.putEndpoint(req, e)
	case http.MethodPatch:
		var w struct {
			Tags     map[string]string `json:"tags"`
			Identity *wireIdentity     `json:"identity"`
		}
		if !req.decode(&w) {
			return
		}
		e, err := s.svc.GetEndpoint(req.ctx, name)
		if err != nil {
			req.failErr(err)
			return
		}
		if w.Tags != nil {
			e.Tags = w.Tags
		}
		if w.Identity != nil {
			if e.Identity, err = decodeIdentity(*w.Identity); err != nil {
				req.fail(http.StatusBadRequest, "BadArgument", err.Error(), 0)
				return
			}
		}
		etag, ok := req.precondition("endpoint "+e.Name, e.Status.ETag, true)
		if !ok {
			return
		}
		e.Status = endpoint.Status{ETag: etag}
		s.runWrite(req, e.Name, func(ctx context.Context) error { return s.svc.CreateOrUpdateEndpoint(ctx, e) })
	case http.MethodDelete:
		e, err := s.current(req.ctx, name)
		if err != nil {
			req.failErr(err)
			return
		}
		if e == nil {
			req.w.WriteHeader(http.StatusNoContent)
			return
		}
		if _, ok := req.precondition("endpoint "+e.Name, e.Status.ETag, true); !ok {
			return
		}
		s.mu.Lock()
		delete(s.keys, strings.ToLower(e.Name))
		s.mu.Unlock()
		s.runWrite(req, e.Name, func(ctx context.Context) error { return s.svc.DeleteEndpoint(ctx, e.Name) })
	default:
		req.fail(http.StatusMethodNotAllowed, "MethodNotAllowed", "The method "+req.r.Method+" is not allowed on an online endpoint", 0)
	}
}

// putEndpoint is the PUT of an endpoint: 201 when it creates one, 200 when
// it replaces one, with Azure-AsyncOperation either way.
func (s *Server) putEndpoint(req *request, e *endpoint.Endpoint) {
	old, err := s.current(req.ctx, e.Name)
	if err != nil {
		req.failErr(err)
		return
	}
	have := ""
	if old != nil {
		have = old.Status.ETag
	}
	etag, ok := req.precondition("endpoint "+e.Name, have, old != nil)
	if !ok {
		return
	}
	e.Status.ETag = etag
	op, ended := s.start(req, e.Name, func(ctx context.Context) error { return s.svc.CreateOrUpdateEndpoint(ctx, e) })
	if refused(op, ended) {
		req.failErr(op.err)
		return
	}
	s.accepted(req, op, false)
	status := http.StatusOK
	if old == nil {
		status = http.StatusCreated
	}
	s.writeEndpoint(req, e.Name, status)
}

// runWrite runs a PATCH or DELETE: 202 with Location and
// Azure-AsyncOperation unless the service refuses it at once.
func (s *Server) runWrite(req *request, resultPath string, run func(context.Context) error) {
	op, ended := s.start(req, resultPath, run)
	if refused(op, ended) {
		req.failErr(op.err)
		return
	}
	s.accepted(req, op, true)
	req.w.WriteHeader(http.StatusAccepted)
}

// keysOf returns the endpoint's keys: the service's, or the ones
// regenerateKeys set.
func (s *Server) keysOf(ctx context.Context, name string) (backend.Keys, error) {
	s.mu.Lock()
	k, ok := s.keys[strings.ToLower(name)]
	s.mu.Unlock()
	if ok {
		return k, nil
	}
	return s.svc.GetKeys(ctx, name)
}

// amlToken derives the endpoint's AML token from its primary key, so the
// scoring URI can check a token without storing it.
func amlToken(k backend.Keys) string {
	sum := sha256.Sum256([]byte("aml-token/" + k.Primary()))
	return hex.EncodeToString(sum[:])
}

func (s *Server) endpointAction(req *request, name, action string) {
	k, err := s.keysOf(req.ctx, name)
	if err != nil {
		req.failErr(err)
		return
	}
	switch action {
	case "listkeys":
		req.writeJSON(http.StatusOK, map[string]string{"primaryKey": k.Primary(), "secondaryKey": k.Secondary()})
	case "token":
		now := time.Now()
		req.writeJSON(http.StatusOK, map[string]any{
			"accessToken":         amlToken(k),
			"tokenType":           "Bearer",
			"expiryTimeUtc":       now.Add(time.Hour).Unix(),
			"refreshAfterTimeUtc": now.Add(30 * time.Minute).Unix(),
		})
	default: // regeneratekeys
		var body struct {
			KeyType  string `json:"keyType"`
			KeyValue string `json:"keyValue"`
		}
		if !req.decode(&body) {
			return
		}
		s.mu.Lock()
		s.regens++
		value := body.KeyValue
		if value == "" {
			sum := sha256.Sum256(fmt.Appendf(nil, "rest/regenerated/%s/%d", strings.ToLower(name), s.regens))
			value = hex.EncodeToString(sum[:16])
		}
		switch {
		case strings.EqualFold(body.KeyType, "Primary"):
			k = backend.NewKeys(value, k.Secondary())
		case strings.EqualFold(body.KeyType, "Secondary"):
			k = backend.NewKeys(k.Primary(), value)
		default:
			s.mu.Unlock()
			req.fail(http.StatusBadRequest, "BadArgument", fmt.Sprintf("keyType: %q is not one of Primary, Secondary", body.KeyType), 0)
			return
		}
		s.keys[strings.ToLower(name)] = k
		s.mu.Unlock()
		req.w.WriteHeader(http.StatusOK)
	}
}

func (s *Server) listDeployments(req *request, endpointName string) {
	e, err := s.svc.GetEndpoint(req.ctx, endpointName)
	if err != nil {
		req.failErr(err)
		return
	}
	items, next := page(s, req, e.Deployments)
	out := list[wireDeployment]{Value: make([]wireDeployment, 0, len(items)), NextLink: next}
	for _, d := range items {
		out.Value = append(out.Value, s.encodeDeployment(req.scope, e.Name, d))
	}
	req.writeJSON(http.StatusOK, out)
}

// deployment reads one deployment; a missing one is nil with the endpoint.
func (s *Server) deployment(ctx context.Context, endpointName, name string) (*endpoint.Endpoint, *endpoint.Deployment, error) {
	e, err := s.svc.GetEndpoint(ctx, endpointName)
	if err != nil {
		return nil, nil, err
	}
	return e, e.Deployment(name), nil
}

func (s *Server) writeDeployment(req *request, endpointName, name string, status int) {
	e, d, err := s.deployment(req.ctx, endpointName, name)
	if err == nil && d == nil {
		err = &backend.Error{Kind: backend.NotFound, Code: "NotFound", Message: fmt.Sprintf("Deployment %s not found in endpoint %s", name, endpointName)}
	}
	if err != nil {
		req.failErr(err)
		return
	}
	if d.Status.ETag != "" {
		req.w.Header().Set("ETag", d.Status.ETag)
	}
	req.writeJSON(status, s.encodeDeployment(req.scope, e.Name, *d))
}

func (s *Server) deploymentResource(req *request, endpointName, name string) {
	if req.r.Method == http.MethodGet {
		s.writeDeployment(req, endpointName, name, http.StatusOK)
		return
	}
	e, old, err := s.deployment(req.ctx, endpointName, name)
	if err != nil {
		req.failErr(err)
		return
	}
	what := "deployment " + name + " in endpoint " + e.Name
	have := ""
	if old != nil {
		have = old.Status.ETag
	}
	switch req.r.Method {
	case http.MethodPut:
		var w wireDeployment
		if !req.decode(&w) {
			return
		}
		d, err := decodeDeployment(name, w)
		if err != nil {
			req.fail(http.StatusBadRequest, "BadArgument", err.Error(), 0)
			return
		}
		etag, ok := req.precondition(what, have, old != nil)
		if !ok {
			return
		}
		d.Status.ETag = etag
		op, ended := s.start(req, e.Name+"/"+name, func(ctx context.Context) error { return s.svc.CreateOrUpdateDeployment(ctx, e.Name, d) })
		if refused(op, ended) {
			req.failErr(op.err)
			return
		}
		s.accepted(req, op, false)
		status := http.StatusOK
		if old == nil {
			status = http.StatusCreated
		}
		s.writeDeployment(req, e.Name, name, status)
	case http.MethodPatch:
		var w struct {
			Tags map[string]string `json:"tags"`
			SKU  *wireSKU          `json:"sku"`
		}
		if !req.decode(&w) {
			return
		}
		if old == nil {
			req.failErr(&backend.Error{Kind: backend.NotFound, Code: "NotFound", Message: fmt.Sprintf("Deployment %s not found in endpoint %s", name, e.Name)})
			return
		}
		etag, ok := req.precondition(what, have, true)
		if !ok {
			return
		}
		if w.Tags == nil && w.SKU != nil && w.SKU.Capacity != nil {
			// A capacity change alone is the service's scale operation.
			n := *w.SKU.Capacity
			s.runWrite(req, e.Name+"/"+name, func(ctx context.Context) error { return s.svc.ScaleDeployment(ctx, e.Name, name, n) })
			return
		}
		d := old.Clone()
		if w.Tags != nil {
			d.Tags = w.Tags
		}
		if w.SKU != nil && w.SKU.Capacity != nil {
			d.InstanceCount = *w.SKU.Capacity
		}
		d.Status = endpoint.Status{ETag: etag}
		s.runWrite(req, e.Name+"/"+name, func(ctx context.Context) error { return s.svc.CreateOrUpdateDeployment(ctx, e.Name, d) })
	case http.MethodDelete:
		if old == nil {
			req.w.WriteHeader(http.StatusNoContent)
			return
		}
		if _, ok := req.precondition(what, have, true); !ok {
			return
		}
		s.runWrite(req, e.Name+"/"+name, func(ctx context.Context) error { return s.svc.DeleteDeployment(ctx, e.Name, name) })
	default:
		req.fail(http.StatusMethodNotAllowed, "MethodNotAllowed", "The method "+req.r.Method+" is not allowed on an online deployment", 0)
	}
}

// getLogs answers a deployment's container logs: the emulator has no
// containers, so it reports what the service knows of the deployment.
func (s *Server) getLogs(req *request, endpointName, name string) {
	var body struct {
		ContainerType string `json:"containerType"`
		Tail          int    `json:"tail"`
	}
	if !req.decode(&body) {
		return
	}
	_, d, err := s.deployment(req.ctx, endpointName, name)
	if err == nil && d == nil {
		err = &backend.Error{Kind: backend.NotFound, Code: "NotFound", Message: fmt.Sprintf("Deployment %s not found in endpoint %s", name, endpointName)}
	}
	if err != nil {
		req.failErr(err)
		return
	}
	container := body.ContainerType
	if container == "" {
		container = "InferenceServer"
	}
	lines := []string{
		fmt.Sprintf("%s container of deployment %s", container, d.Name),
		fmt.Sprintf("model: %s", d.Model.String()),
		fmt.Sprintf("instances: %d of %s", d.InstanceCount, d.InstanceType),
		fmt.Sprintf("provisioning state: %s", d.Status.ProvisioningState),
	}
	if body.Tail > 0 && body.Tail < len(lines) {
		lines = lines[len(lines)-body.Tail:]
	}
	req.writeJSON(http.StatusOK, map[string]string{"content": strings.Join(lines, "\n") + "\n"})
}

// skus answers the scale range of a deployment's instance type.
func (s *Server) skus(req *request, endpointName, name string) {
	_, d, err := s.deployment(req.ctx, endpointName, name)
	if err == nil && d == nil {
		err = &backend.Error{Kind: backend.NotFound, Code: "NotFound", Message: fmt.Sprintf("Deployment %s not found in endpoint %s", name, endpointName)}
	}
	if err != nil {
		req.failErr(err)
		return
	}
	type capacity struct {
		Minimum   int    `json:"minimum"`
		Maximum   int    `json:"maximum"`
		Default   int    `json:"default"`
		ScaleType string `json:"scaleType"`
	}
	type skuItem struct {
		ResourceType string   `json:"resourceType"`
		SKU          wireSKU  `json:"sku"`
		Capacity     capacity `json:"capacity"`
	}
	req.writeJSON(http.StatusOK, list[skuItem]{Value: []skuItem{{
		ResourceType: "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
		SKU:          wireSKU{Name: "Default", Tier: "Standard"},
		Capacity:     capacity{Minimum: 1, Maximum: 20, Default: 1, ScaleType: "Manual"},
	}}})
}
