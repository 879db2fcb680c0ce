package fakes

import (
	"context"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
)

// Interceptor changes the behaviour of a working backend one method at a
// time, in the manner of controller-runtime's interceptor client: each
// non-nil field replaces its method and gets the wrapped backend as next,
// to call or not. Methods whose field is nil go straight to the wrapped
// backend. It fires no rules of its own: [Faults] reach each method
// through it, and tests use it for what rules do not cover, such as
// cancelling a run after its k-th write.
//
// The wrapped backend's optional capabilities pass through: the result
// implements [backend.Assets] when b does (FindAsset and RegisterAsset
// then reach it, or the fields that replace them), [backend.Labels] when b
// does, and [backend.LocalPathKeeper] answers as b does.
type Interceptor struct {
	GetEndpoint              func(ctx context.Context, next backend.Backend, name string) (*endpoint.Endpoint, error)
	ListEndpoints            func(ctx context.Context, next backend.Backend) ([]*endpoint.Endpoint, error)
	CreateOrUpdateEndpoint   func(ctx context.Context, next backend.Backend, e *endpoint.Endpoint) error
	DeleteEndpoint           func(ctx context.Context, next backend.Backend, name string) error
	CreateOrUpdateDeployment func(ctx context.Context, next backend.Backend, endpointName string, d endpoint.Deployment) error
	ScaleDeployment          func(ctx context.Context, next backend.Backend, endpointName, deploymentName string, instanceCount int) error
	DeleteDeployment         func(ctx context.Context, next backend.Backend, endpointName, deploymentName string) error
	Invoke                   func(ctx context.Context, next backend.Backend, endpointName string, req backend.InvokeRequest) (*backend.InvokeResponse, error)
	GetKeys                  func(ctx context.Context, next backend.Backend, endpointName string) (backend.Keys, error)
	// FindAsset and RegisterAsset replace the methods of
	// [backend.Assets]; they are used only when the wrapped backend has
	// the capability.
	FindAsset     func(ctx context.Context, next backend.Assets, a endpoint.LocalAsset) (endpoint.Reference, error)
	RegisterAsset func(ctx context.Context, next backend.Assets, a endpoint.LocalAsset, progress func(backend.Progress)) (endpoint.Reference, error)
	// ResolveLabel replaces the method of [backend.Labels]; it is used
	// only when the wrapped backend has the capability.
	ResolveLabel func(ctx context.Context, next backend.Labels, l endpoint.AssetLabel) (string, error)
}

// Intercept returns b with the methods i sets replaced.
func Intercept(b backend.Backend, i Interceptor) backend.Backend {
	c := &intercepted{next: b, i: i}
	if a, ok := b.(backend.Assets); ok {
		return withLabels(&interceptedAssets{intercepted: c, assets: a}, c)
	}
	return withLabels(c, c)
}

// interceptedAssets is an intercepted backend with the Assets capability
// of the backend it wraps.
type interceptedAssets struct {
	*intercepted
	assets backend.Assets
}

func (c *interceptedAssets) FindAsset(ctx context.Context, a endpoint.LocalAsset) (endpoint.Reference, error) {
	if c.i.FindAsset != nil {
		return c.i.FindAsset(ctx, c.assets, a)
	}
	return c.assets.FindAsset(ctx, a)
}

func (c *interceptedAssets) RegisterAsset(ctx context.Context, a endpoint.LocalAsset, progress func(backend.Progress)) (endpoint.Reference, error) {
	if c.i.RegisterAsset != nil {
		return c.i.RegisterAsset(ctx, c.assets, a, progress)
	}
	return c.assets.RegisterAsset(ctx, a, progress)
}

// KeepsLocalPaths implements [backend.LocalPathKeeper] as the wrapped
// backend does.
func (c *intercepted) KeepsLocalPaths() bool {
	k, ok := c.next.(backend.LocalPathKeeper)
	return ok && k.KeepsLocalPaths()
}

type intercepted struct {
	next backend.Backend
	i    Interceptor
}

func (c *intercepted) GetEndpoint(ctx context.Context, name string) (*endpoint.Endpoint, error) {
	if c.i.GetEndpoint != nil {
		return c.i.GetEndpoint(ctx, c.next, name)
	}
	return c.next.GetEndpoint(ctx, name)
}

func (c *intercepted) ListEndpoints(ctx context.Context) ([]*endpoint.Endpoint, error) {
	if c.i.ListEndpoints != nil {
		return c.i.ListEndpoints(ctx, c.next)
	}
	return c.next.ListEndpoints(ctx)
}

func (c *intercepted) CreateOrUpdateEndpoint(ctx context.Context, e *endpoint.Endpoint) error {
	if c.i.CreateOrUpdateEndpoint != nil {
		return c.i.CreateOrUpdateEndpoint(ctx, c.next, e)
	}
	return c.next.CreateOrUpdateEndpoint(ctx, e)
}

func (c *intercepted) DeleteEndpoint(ctx context.Context, name string) error {
	if c.i.DeleteEndpoint != nil {
		return c.i.DeleteEndpoint(ctx, c.next, name)
	}
	return c.next.DeleteEndpoint(ctx, name)
}

func (c *intercepted) CreateOrUpdateDeployment(ctx context.Context, endpointName string, d endpoint.Deployment) error {
	if c.i.CreateOrUpdateDeployment != nil {
		return c.i.CreateOrUpdateDeployment(ctx, c.next, endpointName, d)
	}
	return c.next.CreateOrUpdateDeployment(ctx, endpointName, d)
}

func (c *intercepted) ScaleDeployment(ctx context.Context, endpointName, deploymentName string, instanceCount int) error {
	if c.i.ScaleDeployment != nil {
		return c.i.ScaleDeployment(ctx, c.next, endpointName, deploymentName, instanceCount)
	}
	return c.next.ScaleDeployment(ctx, endpointName, deploymentName, instanceCount)
}

func (c *intercepted) DeleteDeployment(ctx context.Context, endpointName, deploymentName string) error {
	if c.i.DeleteDeployment != nil {
		return c.i.DeleteDeployment(ctx, c.next, endpointName, deploymentName)
	}
	return c.next.DeleteDeployment(ctx, endpointName, deploymentName)
}

func (c *intercepted) Invoke(ctx context.Context, endpointName string, req backend.InvokeRequest) (*backend.InvokeResponse, error) {
	if c.i.Invoke != nil {
		return c.i.Invoke(ctx, c.next, endpointName, req)
	}
	return c.next.Invoke(ctx, endpointName, req)
}

func (c *intercepted) GetKeys(ctx context.Context, endpointName string) (backend.Keys, error) {
	if c.i.GetKeys != nil {
		return c.i.GetKeys(ctx, c.next, endpointName)
	}
	return c.next.GetKeys(ctx, endpointName)
}
