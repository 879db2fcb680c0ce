package fakes

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
)

// AssetVersion is one asset version the service holds: a code version,
// a model version or an environment version of the workspace.
//
// The service keeps more about a version than the fields below (creation
// time, labels, tags); they are fields to add here, beside Content, and
// every comparison goes through [AssetVersion.samePath], so adding them
// changes no rule.
type AssetVersion struct {
	// Kind is code, model or environment.
	Kind    string
	Name    string
	Version string
	// Content addresses the files: the content hash of code, the object
	// hash of a model or build context, the image and conda text of an
	// inline environment. The service calls it the asset's path, and
	// refuses to change it ("Asset paths cannot be updated").
	Content string
	// Hash is a code version's hash_sha256 property.
	Hash string
	// Files and Size count what was uploaded for it.
	Files int
	Size  int64
}

// samePath reports whether v and w point at the same files.
func (v AssetVersion) samePath(w AssetVersion) bool { return v.Content == w.Content }

// assetStore holds the asset versions by kind, name and version, and
// counts the uploads.
type assetStore struct {
	versions map[string]AssetVersion
	uploaded UploadStats
}

// UploadStats count what [Service.RegisterAsset] uploaded.
type UploadStats struct {
	Assets int
	Files  int
	Bytes  int64
}

func assetKey(kind, name, version string) string { return kind + "/" + name + "/" + version }

// Assets returns the registered asset versions, sorted by kind, name and
// version.
func (s *Service) Assets() []AssetVersion {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]AssetVersion, 0, len(s.assets.versions))
	for _, v := range s.assets.versions {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b AssetVersion) int {
		return strings.Compare(assetKey(a.Kind, a.Name, a.Version), assetKey(b.Kind, b.Name, b.Version))
	})
	return out
}

// Uploaded returns what [Service.RegisterAsset] has uploaded so far.
func (s *Service) Uploaded() UploadStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.assets.uploaded
}

// FindAsset implements [backend.Assets]: code versions are found by content
// hash whatever their name, models and environments by name and version.
func (s *Service) FindAsset(ctx context.Context, a endpoint.LocalAsset) (endpoint.Reference, error) {
	want, err := versionOf(a)
	if err != nil {
		return endpoint.Reference{}, err
	}
	if err := s.begin(ctx, "FindAsset"); err != nil {
		return endpoint.Reference{}, err
	}
	defer s.unlock()
	if v, ok := s.assets.find(want); ok && v.samePath(want) {
		return v.reference(), nil
	}
	return endpoint.Reference{}, errorf(backend.NotFound, codeNotFound, "%s %s not found", a.Kind, a.Key())
}

// RegisterAsset implements [backend.Assets]. A version the service holds
// with the same files is returned without an upload; a model or
// environment version that exists with other files is refused, as the
// service refuses it. Code versions are named by their content, so that
// registering is deterministic. Registering takes no time.
func (s *Service) RegisterAsset(ctx context.Context, a endpoint.LocalAsset, progress func(backend.Progress)) (endpoint.Reference, error) {
	want, err := versionOf(a)
	if err != nil {
		return endpoint.Reference{}, err
	}
	if err := s.begin(ctx, "RegisterAsset"); err != nil {
		return endpoint.Reference{}, err
	}
	defer s.unlock()
	if v, ok := s.assets.find(want); ok {
		if !v.samePath(want) {
			return endpoint.Reference{}, invalid("(UserError) Asset paths cannot be updated. %s %s:%s exists with other files", v.Kind, v.Name, v.Version)
		}
		return v.reference(), nil
	}
	if s.assets.versions == nil {
		s.assets.versions = make(map[string]AssetVersion)
	}
	s.assets.versions[assetKey(want.Kind, want.Name, want.Version)] = want
	s.assets.uploaded.Assets++
	s.assets.uploaded.Files += want.Files
	s.assets.uploaded.Bytes += want.Size
	if progress != nil {
		progress(backend.Progress{Files: want.Files, TotalFiles: want.Files, Bytes: want.Size, TotalBytes: want.Size})
	}
	return want.reference(), nil
}

// find returns the version that has want's name and version, or, for
// code, want's content.
func (st *assetStore) find(want AssetVersion) (AssetVersion, bool) {
	if want.Kind == endpoint.CodeAsset {
		for _, k := range slices.Sorted(maps.Keys(st.versions)) {
			if v := st.versions[k]; v.Kind == want.Kind && v.Hash == want.Hash {
				return v, true
			}
		}
		return AssetVersion{}, false
	}
	v, ok := st.versions[assetKey(want.Kind, want.Name, want.Version)]
	return v, ok
}

func (v AssetVersion) reference() endpoint.Reference {
	r := endpoint.Reference{Name: v.Name, Version: v.Version}
	r.Asset.Hash = v.Hash
	return r
}

// versionOf is the version a local asset registers as, or Invalid when its
// identity is not known.
func versionOf(a endpoint.LocalAsset) (AssetVersion, error) {
	id := a.Asset
	if a.Key() == "" {
		why := id.Err
		if why == "" {
			why = "its files were not found when the spec was loaded"
		}
		return AssetVersion{}, invalid("local %s %s cannot be registered: %s", a.Kind, a.Path, why)
	}
	v := AssetVersion{Kind: a.Kind, Name: id.Name, Version: id.Version, Files: id.Files, Size: id.Size}
	switch a.Kind {
	case endpoint.CodeAsset:
		sum := sha256.Sum256([]byte(id.Hash))
		h := hex.EncodeToString(sum[:16])
		v.Name = h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
		v.Version, v.Content, v.Hash = "1", id.Hash, id.Hash
	case endpoint.ModelAsset:
		v.Content = id.ObjectHash
	case endpoint.EnvironmentAsset:
		v.Content = a.Image + "\n" + id.ObjectHash + "\n" + a.DockerfilePath + "\n" + id.Conda
	default:
		return AssetVersion{}, invalid("unknown asset kind %q", a.Kind)
	}
	return v, nil
}
