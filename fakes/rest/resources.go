package rest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/internal/rules"
)

// page cuts items at the request's $skip, the specification's
// continuation token (PaginationParameter; here an offset), and returns
// the nextLink of the rest, or "". The nextLink keeps the request's other
// query parameters (filters such as hash), so every page lists the same.
func page[T any](s *Server, req *request, items []T) ([]T, string) {
	q := req.r.URL.Query()
	skip, _ := strconv.Atoi(q.Get("$skip"))
	skip = min(max(skip, 0), len(items))
	end := min(skip+s.opts.PageSize, len(items))
	next := ""
	if end < len(items) {
		q.Set("api-version", req.apiVer)
		q.Set("$skip", strconv.Itoa(end))
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

// listEndpoints is the client's ListEndpoints: each page it asks for
// counts as one in [fakes.Service.Calls].
func (s *Server) listEndpoints(req *request) {
	eps, err := s.svc.ListEndpoints(req.ctx)
	if err != nil {
		req.failErr(err)
		return
	}
	items, next := page(s, req, eps)
	out := list[any]{Value: make([]any, 0, len(items)), NextLink: next}
	for _, e := range items {
		out.Value = append(out.Value, s.answerEndpoint(req, e))
	}
	req.writeJSON(http.StatusOK, out)
}

// endpointNotFound is the service's answer for an endpoint it does not
// hold.
func endpointNotFound(name string) error {
	return &backend.Error{Kind: backend.NotFound, Code: "NotFound", Message: "Online endpoint " + name + " not found"}
}

func deploymentNotFound(endpointName, name string) error {
	return &backend.Error{Kind: backend.NotFound, Code: "NotFound", Message: fmt.Sprintf("Deployment %s not found in endpoint %s", name, endpointName)}
}

// peek reads an endpoint without counting a call: the emulator's own
// reads are bookkeeping, not calls the client made.
func (s *Server) peek(name string) (*endpoint.Endpoint, error) {
	e, ok := s.svc.Peek(name)
	if !ok {
		return nil, endpointNotFound(name)
	}
	return e, nil
}

// writeEndpoint answers the endpoint. The specification declares no ETag
// for online endpoints, so none is sent, and conditional requests are not
// understood: If-Match is ignored, as headers a service does not know are.
func (s *Server) writeEndpoint(req *request, e *endpoint.Endpoint, status int) {
	req.writeJSON(status, s.answerEndpoint(req, e))
}

// answerEndpoint is an endpoint's body as the service answers it.
func (s *Server) answerEndpoint(req *request, e *endpoint.Endpoint) any {
	kind := "Managed"
	if e.Compute != "" {
		kind = "Kubernetes"
	}
	return s.answer(resourceKey(e.Name), kind, s.encodeEndpoint(req.scope, e, s.scoringURI(req, e.Name)))
}

// answerDeployment is a deployment's body as the service answers it.
func (s *Server) answerDeployment(req *request, endpointName string, d endpoint.Deployment) any {
	kind := computeTypes.toWire(string(d.Type))
	if kind == "" {
		kind = "Managed"
	}
	return s.answer(resourceKey(endpointName, d.Name), kind, s.encodeDeployment(req.scope, endpointName, d))
}

// writeCurrentEndpoint answers the endpoint as the service holds it now.
func (s *Server) writeCurrentEndpoint(req *request, name string, status int) {
	e, err := s.peek(name)
	if err != nil {
		req.failErr(err)
		return
	}
	s.writeEndpoint(req, e, status)
}

func (s *Server) endpointResource(req *request, name string) {
	switch req.r.Method {
	case http.MethodGet:
		// The client's GetEndpoint, counted as one.
		e, err := s.svc.GetEndpoint(req.ctx, name)
		if err != nil {
			req.failErr(err)
			return
		}
		s.writeEndpoint(req, e, http.StatusOK)
	case http.MethodPut:
		body, ok := req.body()
		if !ok {
			return
		}
		if bad := missingRequired(body, endpointRequired); bad != nil {
			req.failBody(http.StatusBadRequest, *bad)
			return
		}
		e, err := parseEndpointPut(name, body)
		if err != nil {
			req.fail(http.StatusBadRequest, "BadArgument", err.Error(), 0)
			return
		}
		s.putEndpoint(req, e, body)
	case http.MethodPatch:
		body, ok := req.body()
		if !ok {
			return
		}
		p, err := parseEndpointPatch(body)
		if err != nil {
			req.fail(http.StatusBadRequest, "BadArgument", err.Error(), 0)
			return
		}
		e, err := s.peek(name)
		if err != nil {
			req.failErr(err)
			return
		}
		p.apply(e)
		e.Status = endpoint.Status{}
		s.runWrite(req, e.Name, func(ctx context.Context) (*fakes.Operation, error) { return s.svc.StartCreateOrUpdateEndpoint(ctx, e) })
	case http.MethodDelete:
		e, ok := s.svc.Peek(name)
		if !ok {
			// Still the client's DeleteEndpoint, and counted as one.
			if _, err := s.svc.StartDeleteEndpoint(req.ctx, name); err != nil {
				req.failErr(err)
				return
			}
			req.w.WriteHeader(http.StatusNoContent)
			return
		}
		if s.runWrite(req, e.Name, func(ctx context.Context) (*fakes.Operation, error) { return s.svc.StartDeleteEndpoint(ctx, e.Name) }) {
			s.dropExtras(resourceKey(e.Name))
			// Keys regenerated for the endpoint end with it; a
			// refused delete keeps them.
			s.mu.Lock()
			delete(s.keys, strings.ToLower(e.Name))
			s.mu.Unlock()
		}
	default:
		req.fail(http.StatusMethodNotAllowed, "MethodNotAllowed", "The method "+req.r.Method+" is not allowed on an online endpoint", 0)
	}
}

// putEndpoint is the PUT of an endpoint: 201 when it creates one, 200 when
// it replaces one, with Azure-AsyncOperation either way.
func (s *Server) putEndpoint(req *request, e *endpoint.Endpoint, body []byte) {
	_, exists := s.svc.Peek(e.Name)
	e.Status = endpoint.Status{}
	op := s.start(req, e.Name, func(ctx context.Context) (*fakes.Operation, error) { return s.svc.StartCreateOrUpdateEndpoint(ctx, e) })
	if op == nil {
		return
	}
	s.keepPut(resourceKey(e.Name), body)
	s.accepted(req, op, false)
	status := http.StatusOK
	if !exists {
		status = http.StatusCreated
	}
	s.writeCurrentEndpoint(req, e.Name, status)
}

// runWrite runs a PATCH or DELETE: 202 with Location and
// Azure-AsyncOperation unless the service refuses it, which is answered at
// once. It reports whether the service accepted the write.
func (s *Server) runWrite(req *request, resultPath string, begin func(context.Context) (*fakes.Operation, error)) bool {
	op := s.start(req, resultPath, begin)
	if op == nil {
		return false
	}
	s.accepted(req, op, true)
	req.w.WriteHeader(http.StatusAccepted)
	return true
}

// keysOf returns the endpoint's keys: the ones regenerateKeys set, or the
// service's, read without counting a call.
func (s *Server) keysOf(name string) (backend.Keys, error) {
	k, ok := s.svc.PeekKeys(name)
	if !ok {
		return backend.Keys{}, endpointNotFound(name)
	}
	return s.regenerated(name, k), nil
}

// regenerated returns the keys regenerateKeys set for the endpoint, or k.
func (s *Server) regenerated(name string, k backend.Keys) backend.Keys {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.keys[strings.ToLower(name)]; ok {
		return r
	}
	return k
}

// amlToken derives the endpoint's AML token from its primary key, so the
// scoring URI can check a token without storing it.
func amlToken(k backend.Keys) string {
	sum := sha256.Sum256([]byte("aml-token/" + k.Primary()))
	return hex.EncodeToString(sum[:])
}

func (s *Server) endpointAction(req *request, name, action string) {
	var k backend.Keys
	var err error
	if action == "listkeys" {
		// The client's GetKeys, counted as one.
		k, err = s.svc.GetKeys(req.ctx, name)
		k = s.regenerated(name, k)
	} else {
		k, err = s.keysOf(name)
	}
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
	e, err := s.peek(endpointName)
	if err != nil {
		req.failErr(err)
		return
	}
	items, next := page(s, req, e.Deployments)
	out := list[any]{Value: make([]any, 0, len(items)), NextLink: next}
	for _, d := range items {
		out.Value = append(out.Value, s.answerDeployment(req, e.Name, d))
	}
	req.writeJSON(http.StatusOK, out)
}

// deployment reads one deployment without counting a call, its name
// matched as the service matches names ([rules.FindDeployment]); a missing
// one is nil with the endpoint.
func (s *Server) deployment(endpointName, name string) (*endpoint.Endpoint, *endpoint.Deployment, error) {
	e, err := s.peek(endpointName)
	if err != nil {
		return nil, nil, err
	}
	if i, found := rules.FindDeployment(e, name); found {
		return e, &e.Deployments[i], nil
	}
	return e, nil, nil
}

// existingDeployment reads one deployment, reporting a missing one as the
// service's NotFound.
func (s *Server) existingDeployment(endpointName, name string) (*endpoint.Endpoint, *endpoint.Deployment, error) {
	e, d, err := s.deployment(endpointName, name)
	if err == nil && d == nil {
		err = deploymentNotFound(e.Name, name)
	}
	return e, d, err
}

func (s *Server) writeDeployment(req *request, endpointName, name string, status int) {
	e, d, err := s.existingDeployment(endpointName, name)
	if err != nil {
		req.failErr(err)
		return
	}
	req.writeJSON(status, s.answerDeployment(req, e.Name, *d))
}

func (s *Server) deploymentResource(req *request, endpointName, name string) {
	if req.r.Method == http.MethodGet {
		s.writeDeployment(req, endpointName, name, http.StatusOK)
		return
	}
	e, old, err := s.deployment(endpointName, name)
	if err != nil {
		req.failErr(err)
		return
	}
	target := e.Name + "/" + name
	switch req.r.Method {
	case http.MethodPut:
		body, ok := req.body()
		if !ok {
			return
		}
		if bad := missingRequired(body, deploymentRequired); bad != nil {
			req.failBody(http.StatusBadRequest, *bad)
			return
		}
		d, err := parseDeploymentPut(name, body)
		if err != nil {
			req.fail(http.StatusBadRequest, "BadArgument", err.Error(), 0)
			return
		}
		d.Status = endpoint.Status{}
		op := s.start(req, target, func(ctx context.Context) (*fakes.Operation, error) {
			return s.svc.StartCreateOrUpdateDeployment(ctx, e.Name, d)
		})
		if op == nil {
			return
		}
		s.keepPut(resourceKey(e.Name, name), body)
		s.accepted(req, op, false)
		status := http.StatusOK
		if old == nil {
			status = http.StatusCreated
		}
		s.writeDeployment(req, e.Name, name, status)
	case http.MethodPatch:
		body, ok := req.body()
		if !ok {
			return
		}
		p, err := parseDeploymentPatch(body)
		if err != nil {
			req.fail(http.StatusBadRequest, "BadArgument", err.Error(), 0)
			return
		}
		if old == nil {
			req.failErr(deploymentNotFound(e.Name, name))
			return
		}
		if n, ok := p.scaleOnly(); ok {
			// A capacity change alone is the service's scale operation.
			s.runWrite(req, target, func(ctx context.Context) (*fakes.Operation, error) {
				return s.svc.StartScaleDeployment(ctx, e.Name, name, n)
			})
			return
		}
		d := old.Clone()
		p.apply(&d)
		d.Status = endpoint.Status{}
		s.runWrite(req, target, func(ctx context.Context) (*fakes.Operation, error) {
			return s.svc.StartCreateOrUpdateDeployment(ctx, e.Name, d)
		})
	case http.MethodDelete:
		if old == nil {
			if _, err := s.svc.StartDeleteDeployment(req.ctx, e.Name, name); err != nil {
				req.failErr(err)
				return
			}
			req.w.WriteHeader(http.StatusNoContent)
			return
		}
		if s.runWrite(req, target, func(ctx context.Context) (*fakes.Operation, error) {
			return s.svc.StartDeleteDeployment(ctx, e.Name, name)
		}) {
			s.dropExtras(resourceKey(e.Name, name))
		}
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
	_, d, err := s.existingDeployment(endpointName, name)
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
	_, _, err := s.existingDeployment(endpointName, name)
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
