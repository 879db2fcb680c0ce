package fakes_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/backend/backendtest"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
)

func TestAddAssetVersion(t *testing.T) {
	svc := fakes.New(fakes.Options{})
	v := fakes.AssetVersion{Kind: endpoint.ModelAsset, Name: "m", Version: "1", Content: "files-1"}
	if err := svc.AddAssetVersion(v); err != nil {
		t.Fatal(err)
	}
	v.Content = "files-2"
	if err := svc.AddAssetVersion(v); !errors.Is(err, backend.ErrInvalid) {
		t.Errorf("a version put again with other files: %v, want Invalid (Asset paths cannot be updated)", err)
	}
	reg := fakes.AssetVersion{Kind: endpoint.ModelAsset, Registry: "shared", Name: "m", Version: "1", Content: "files-2"}
	if err := svc.AddAssetVersion(reg); err != nil {
		t.Errorf("the registry's m:1 is another version than the workspace's: %v", err)
	}
	if err := svc.AddAssetVersion(fakes.AssetVersion{Kind: endpoint.ModelAsset, Name: "m"}); !errors.Is(err, backend.ErrInvalid) {
		t.Errorf("a version without a version: %v, want Invalid", err)
	}
	all := svc.Assets()
	if len(all) != 2 || all[0].Registry != "" || all[1].Registry != "shared" {
		t.Errorf("Assets = %+v, want the workspace's version, then the registry's", all)
	}
}

// TestRegisteredAssetIsLatest: a model version registered from local files
// is created when it is registered, and so is the latest of its model.
func TestRegisteredAssetIsLatest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		svc := fakes.New(fakes.Options{})
		if err := svc.AddAssetVersion(fakes.AssetVersion{Kind: endpoint.ModelAsset, Name: "model-1", Version: "2", Content: "old"}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		if _, err := svc.RegisterAsset(ctx, backendtest.LocalModel(t, "model-1", "1", "pickle"), nil); err != nil {
			t.Fatal(err)
		}
		got, err := svc.ResolveLabel(ctx, endpoint.AssetLabel{Kind: endpoint.ModelAsset, Name: "model-1", Label: endpoint.LatestLabel})
		if err != nil || got != "1" {
			t.Errorf("latest = %q, %v; want 1, registered last", got, err)
		}
		vs := svc.AssetVersions(endpoint.ModelAsset, "", "model-1", false)
		if len(vs) != 2 || vs[0].Version != "1" || !vs[0].Created.After(vs[1].Created) {
			t.Errorf("AssetVersions = %+v, want 1 then 2, newest first", vs)
		}
	})
}

// TestSameInstant: versions created at one instant are ordered by when
// they were added, the later one newer.
func TestSameInstant(t *testing.T) {
	svc := fakes.New(fakes.Options{})
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, v := range []string{"b", "a", "c"} {
		if err := svc.AddAssetVersion(fakes.AssetVersion{Kind: endpoint.EnvironmentAsset, Name: "e", Version: v, Created: at, Content: v}); err != nil {
			t.Fatal(err)
		}
	}
	vs := svc.AssetVersions(endpoint.EnvironmentAsset, "", "e", false)
	if len(vs) != 3 || vs[0].Version != "c" || vs[1].Version != "a" || vs[2].Version != "b" {
		t.Errorf("AssetVersions = %+v, want c, a, b", vs)
	}
}
