package fakes

import (
	"context"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
)

// withLabels adds to b, the interception c or the one of c with Assets,
// the Labels capability of the backend c wraps, when that backend has it.
func withLabels(b backend.Backend, c *intercepted) backend.Backend {
	l, ok := c.next.(backend.Labels)
	if !ok {
		return b
	}
	r := interceptedLabels{i: c.i, labels: l}
	if a, ok := b.(*interceptedAssets); ok {
		return &assetsAndLabels{a, r}
	}
	return &labelsOnly{c, r}
}

type labelsOnly struct {
	*intercepted
	interceptedLabels
}

type assetsAndLabels struct {
	*interceptedAssets
	interceptedLabels
}

// interceptedLabels is the ResolveLabel of an intercepted backend.
type interceptedLabels struct {
	i      Interceptor
	labels backend.Labels
}

func (c interceptedLabels) ResolveLabel(ctx context.Context, l endpoint.AssetLabel) (string, error) {
	if c.i.ResolveLabel != nil {
		return c.i.ResolveLabel(ctx, c.labels, l)
	}
	return c.labels.ResolveLabel(ctx, l)
}
