package backend

import (
	"context"

	"github.com/rolloutkit/rollout/endpoint"
)

// Backend is a service that hosts online endpoints: the real one over HTTP,
// or an in-memory model of it for tests and demonstrations.
//
// Every method takes a context first and blocks until the service's
// long-running operation has ended, so a nil error from a write means the
// resource reached its final state. When ctx ends first, the method returns
// ctx's error (errors.Is(err, context.Canceled) or
// context.DeadlineExceeded) and the operation carries on in the service: a
// caller that gives up must observe with [Backend.GetEndpoint] before it
// decides anything. Any other failure is an [*Error].
//
// Conditional writes: when the endpoint's or deployment's Status.ETag is not
// empty, the write is sent with it as If-Match, and a backend whose service
// checks it fails a resource that has changed since (or does not exist)
// with [Precondition]. Clear the ETag for an unconditional write. A service
// may report no ETags at all (the reference service's REST API declares
// none): callers use one when it is there and depend on none; a plan
// computed from a state that has changed since is refused by its
// fingerprint, not by an ETag.
//
// Implementations copy what they are given and what they return: callers
// own every value they pass in and get back.
type Backend interface {
	// GetEndpoint returns the endpoint with its deployments (sorted by
	// name) and what the service reports about each: provisioning state,
	// ETag and, for the endpoint, the scoring URI. Endpoint names are
	// case-insensitive.
	GetEndpoint(ctx context.Context, name string) (*endpoint.Endpoint, error)

	// ListEndpoints returns every endpoint, sorted by name, each with its
	// deployments as GetEndpoint returns them.
	ListEndpoints(ctx context.Context) ([]*endpoint.Endpoint, error)

	// CreateOrUpdateEndpoint writes the endpoint's own fields, including
	// the whole live and mirror traffic maps: the service replaces both on
	// every update, so a split left empty removes all traffic of that kind.
	// e.Deployments is ignored; deployments are written one by one with
	// CreateOrUpdateDeployment.
	CreateOrUpdateEndpoint(ctx context.Context, e *endpoint.Endpoint) error

	// DeleteEndpoint deletes the endpoint and all its deployments.
	// Deleting an endpoint that does not exist succeeds, as the service's
	// DELETE does (204 No Content), so deletes can be repeated.
	DeleteEndpoint(ctx context.Context, name string) error

	// CreateOrUpdateDeployment writes the full spec of one deployment of
	// an existing endpoint.
	CreateOrUpdateDeployment(ctx context.Context, endpointName string, d endpoint.Deployment) error

	// ScaleDeployment changes only the instance count of an existing
	// deployment (the service's PATCH of the sku capacity), leaving the
	// rest of its spec alone.
	ScaleDeployment(ctx context.Context, endpointName, deploymentName string, instanceCount int) error

	// DeleteDeployment deletes one deployment. The service refuses while
	// the deployment has live or mirror traffic. Deleting a deployment
	// that does not exist succeeds, as for endpoints; the endpoint itself
	// must exist.
	DeleteDeployment(ctx context.Context, endpointName, deploymentName string) error

	// Invoke sends one scoring request. Every answer of the scoring URI is
	// a response, whatever its status: a dark endpoint answers 404 to a
	// request that names no deployment. The error is for requests that
	// could not be made (an unknown endpoint, a transport failure).
	Invoke(ctx context.Context, endpointName string, req InvokeRequest) (*InvokeResponse, error)

	// GetKeys returns the endpoint's authentication keys.
	GetKeys(ctx context.Context, endpointName string) (Keys, error)
}

// InvokeRequest is one scoring request.
type InvokeRequest struct {
	// Deployment sends the request to this deployment alone, whatever the
	// traffic split says (the service's azureml-model-deployment header);
	// that is how a deployment with no live traffic is tested. Requests
	// that name a deployment are not mirrored. Empty routes the request by
	// the live split.
	Deployment string
	// Body is the request body, usually JSON.
	Body []byte
}

// InvokeResponse is the scoring URI's answer.
type InvokeResponse struct {
	// Deployment is the deployment that answered, or "" when none did (a
	// dark endpoint, an unknown deployment).
	Deployment string
	// Status is the HTTP status code.
	Status int
	// Body is the response body.
	Body []byte
}
