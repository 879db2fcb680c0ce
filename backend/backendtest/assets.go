package backendtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolloutkit/rollout/asset"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
)

// TestAssets runs the conformance tests of the [backend.Assets] capability,
// each as a subtest on a fresh backend from h.New, which must implement it.
// The local files are written to temporary folders by the tests.
func TestAssets(t *testing.T, h Harness) {
	if h.New == nil {
		t.Fatal("backendtest: Harness.New is nil")
	}
	tests := []struct {
		name string
		run  func(t *testing.T, b backend.Assets)
	}{
		{"FindMissing", testFindMissing},
		{"CodeByContent", testCodeByContent},
		{"ModelIdempotent", testModelIdempotent},
		{"AssetPathsCannotBeUpdated", testAssetPathsCannotBeUpdated},
		{"UnknownIdentity", testUnknownIdentity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, ok := h.New(t).(backend.Assets)
			if !ok {
				t.Fatalf("backendtest: %T does not implement backend.Assets", b)
			}
			tt.run(t, b)
		})
	}
}

// LocalCode writes files (relative path → content) to a new folder named
// name and returns the code asset loading would make of it.
func LocalCode(t testing.TB, name string, files map[string]string) endpoint.LocalAsset {
	t.Helper()
	dir := writeFiles(t, name, files)
	tree, err := asset.Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := tree.ContentHash()
	if err != nil {
		t.Fatal(err)
	}
	return endpoint.LocalAsset{Kind: endpoint.CodeAsset, Path: name, Asset: endpoint.Asset{Hash: h, Files: len(tree.Files), Size: tree.Size(), Source: dir}}
}

// LocalModel writes a model file with content and returns the model asset
// loading would make of it, registered as name:version.
func LocalModel(t testing.TB, name, version, content string) endpoint.LocalAsset {
	t.Helper()
	dir := writeFiles(t, "model", map[string]string{"model.pkl": content})
	src := filepath.Join(dir, "model.pkl")
	h, err := asset.ObjectHash(src, asset.MD5)
	if err != nil {
		t.Fatal(err)
	}
	return endpoint.LocalAsset{Kind: endpoint.ModelAsset, Path: "model.pkl", Asset: endpoint.Asset{Name: name, Version: version, ObjectHash: h, Files: 1, Size: int64(len(content)), Source: src}}
}

func writeFiles(t testing.TB, name string, files map[string]string) string {
	dir := filepath.Join(t.TempDir(), name)
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func testFindMissing(t *testing.T, b backend.Assets) {
	_, err := b.FindAsset(context.Background(), LocalCode(t, "src", map[string]string{"score.py": "x"}))
	if !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("FindAsset of code never registered: %v, want NotFound", err)
	}
}

func testCodeByContent(t *testing.T, b backend.Assets) {
	ctx := context.Background()
	code := LocalCode(t, "src", map[string]string{"score.py": "import json\n"})
	reg, err := b.RegisterAsset(ctx, code, nil)
	if err != nil {
		t.Fatal(err)
	}
	if reg.Name == "" || reg.Version == "" || reg.Asset.Hash != code.Asset.Hash {
		t.Errorf("RegisterAsset = %+v, want a name, a version and the content hash %s", reg, code.Asset.Hash)
	}
	// The same files in another folder are the same code version.
	again := LocalCode(t, "elsewhere", map[string]string{"score.py": "import json\n"})
	for _, f := range []func() (endpoint.Reference, error){
		func() (endpoint.Reference, error) { return b.FindAsset(ctx, again) },
		func() (endpoint.Reference, error) { return b.RegisterAsset(ctx, again, nil) },
	} {
		got, err := f()
		if err != nil || got.Name != reg.Name || got.Version != reg.Version {
			t.Errorf("the same content again: %+v, %v; want %s:%s", got, err, reg.Name, reg.Version)
		}
	}
	changed := LocalCode(t, "src", map[string]string{"score.py": "import jsoN\n"})
	if _, err := b.FindAsset(ctx, changed); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("FindAsset of changed content: %v, want NotFound", err)
	}
}

func testModelIdempotent(t *testing.T, b backend.Assets) {
	ctx := context.Background()
	m := LocalModel(t, "model-1", "1", "pickle")
	first, err := b.RegisterAsset(ctx, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := b.RegisterAsset(ctx, m, nil)
	if err != nil || first != second || first.Name != "model-1" || first.Version != "1" {
		t.Errorf("registering a model twice: %+v then %+v, %v; want model-1:1 both times", first, second, err)
	}
}

func testAssetPathsCannotBeUpdated(t *testing.T, b backend.Assets) {
	ctx := context.Background()
	if _, err := b.RegisterAsset(ctx, LocalModel(t, "model-1", "1", "pickle"), nil); err != nil {
		t.Fatal(err)
	}
	_, err := b.RegisterAsset(ctx, LocalModel(t, "model-1", "1", "another pickle"), nil)
	if !errors.Is(err, backend.ErrInvalid) || !strings.Contains(err.Error(), "Asset paths cannot be updated") {
		t.Errorf("registering model-1:1 with other files: %v, want Invalid: Asset paths cannot be updated", err)
	}
}

func testUnknownIdentity(t *testing.T, b backend.Assets) {
	ctx := context.Background()
	missing := endpoint.LocalAsset{Kind: endpoint.CodeAsset, Path: "../gone"}
	if _, err := b.RegisterAsset(ctx, missing, nil); !errors.Is(err, backend.ErrInvalid) || !strings.Contains(err.Error(), "../gone") {
		t.Errorf("registering code whose files were not found: %v, want Invalid naming the path", err)
	}
}
