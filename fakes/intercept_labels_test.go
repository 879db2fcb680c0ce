package fakes

import (
	"context"
	"errors"
	"testing"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
)

// TestWrappersKeepLabels: wrapped, the in-memory service still resolves
// labels and keeps its other capabilities; the calls go through the
// interceptor's field and the fault rules; a backend without the
// capability gains none.
func TestWrappersKeepLabels(t *testing.T) {
	ctx := context.Background()
	s := New(Options{Latency: NoLatency()})
	if err := s.AddAssetVersion(AssetVersion{Kind: endpoint.ModelAsset, Name: "m", Version: "3", Content: "m3"}); err != nil {
		t.Fatal(err)
	}
	latest := endpoint.AssetLabel{Kind: endpoint.ModelAsset, Name: "m", Label: endpoint.LatestLabel}
	var seen int
	b := NewFaults(1, Rule{Ops: []Op{OpResolveLabel}, Count: 1, Fault: Fault{Kind: ServerError}}).Wrap(Intercept(s, Interceptor{
		ResolveLabel: func(ctx context.Context, next backend.Labels, l endpoint.AssetLabel) (string, error) {
			seen++
			return next.ResolveLabel(ctx, l)
		},
	}))
	l, ok := b.(backend.Labels)
	_, assets := b.(backend.Assets)
	k, keeper := b.(backend.LocalPathKeeper)
	if !ok || !assets || !keeper || !k.KeepsLocalPaths() {
		t.Fatalf("wrapped: Labels %v, Assets %v, LocalPathKeeper %v; want all three", ok, assets, keeper)
	}
	if _, err := l.ResolveLabel(ctx, latest); !errors.Is(err, backend.ErrUnavailable) || seen != 0 {
		t.Errorf("the rule's 500 on ResolveLabel: %v (interceptor saw %d calls); want Unavailable before the call", err, seen)
	}
	if v, err := l.ResolveLabel(ctx, latest); err != nil || v != "3" || seen != 1 {
		t.Errorf("after the one fault: %q, %v, interceptor saw %d; want 3 through the interceptor", v, err, seen)
	}
	plain := Intercept(struct{ backend.Backend }{s}, Interceptor{})
	if _, ok := plain.(backend.Labels); ok {
		t.Error("a backend without the capability gained it")
	}
	onlyLabels := Intercept(struct {
		backend.Backend
		backend.Labels
	}{s, s}, Interceptor{})
	if _, ok := onlyLabels.(backend.Labels); !ok {
		t.Error("a backend with labels and no assets lost labels")
	}
	if _, ok := onlyLabels.(backend.Assets); ok {
		t.Error("a backend with labels and no assets gained assets")
	}
}
