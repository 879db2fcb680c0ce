package fakes

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/rolloutkit/rollout/asset"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
)

// AssetVersion is one asset version the service holds: a code version,
// a model version or an environment version of the workspace or of a
// registry.
//
// The service keeps more about a version than the fields below (tags,
// descriptions); every comparison of files goes through
// [AssetVersion.samePath], so adding them changes no rule.
type AssetVersion struct {
	// Kind is code, model or environment.
	Kind string
	// Registry is the registry that holds the version; empty for the
	// workspace.
	Registry string
	Name     string
	Version  string
	// Created is when the version was created: the latest label selects
	// the version created last (see [Service.ResolveLabel]).
	Created time.Time
	// Archived versions are left out of lists, and so out of labels, but
	// stay usable by version.
	Archived bool
	// Content addresses the files: the content hash of code, the object
	// hash of a model or build context, the image and conda text of an
	// inline environment. The service calls it the asset's path, and
	// refuses to change it ("Asset paths cannot be updated").
	Content string
	// Hash is a code version's hash_sha256 property, and HashVersion its
	// hash_version: the key by which code is found whatever its name.
	Hash        string
	HashVersion string
	// Files and Size count what was uploaded for it.
	Files int
	Size  int64
}

// samePath reports whether v and w point at the same files.
func (v AssetVersion) samePath(w AssetVersion) bool { return v.Content == w.Content }

// holds reports whether v, which [assetStore.find] found for want, holds
// want's files: code found by its content hash does, wherever it was
// uploaded to; other kinds when their paths are the same.
func (v AssetVersion) holds(want AssetVersion) bool {
	return want.Kind == endpoint.CodeAsset || v.samePath(want)
}

// assetStore holds the asset versions by kind, name and version, and
// counts the uploads.
type assetStore struct {
	versions map[string]AssetVersion
	uploaded UploadStats
	// order records the order of creation, for versions created at the
	// same instant (as in a synctest bubble): the later one is newer.
	order map[string]int
	// containers are the names created without a version (a container's
	// PUT), by containerKey; a version creates its container implicitly.
	containers map[string]bool
}

// UploadStats count what [Service.RegisterAsset] uploaded.
type UploadStats struct {
	Assets int
	Files  int
	Bytes  int64
}

func assetKey(kind, name, version string) string { return kind + "/" + name + "/" + version }

// key is the version's key in the store: by kind, name and version, after
// the registry's name for a registry's versions.
func (v AssetVersion) key() string {
	k := assetKey(v.Kind, v.Name, v.Version)
	if v.Registry != "" {
		k = "registries/" + v.Registry + "/" + k
	}
	return k
}

// Assets returns the registered asset versions: the workspace's sorted by
// kind, name and version, then the registries' by registry, kind, name and
// version.
func (s *Service) Assets() []AssetVersion {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]AssetVersion, 0, len(s.assets.versions))
	for _, v := range s.assets.versions {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b AssetVersion) int { return strings.Compare(a.key(), b.key()) })
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
	if v, ok := s.assets.find(want); ok && v.holds(want) {
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
		if !v.holds(want) {
			return endpoint.Reference{}, pathsCannotBeUpdated(v)
		}
		return v.reference(), nil
	}
	want.Created = time.Now()
	s.assets.put(want)
	s.assets.uploaded.Assets++
	s.assets.uploaded.Files += want.Files
	s.assets.uploaded.Bytes += want.Size
	if progress != nil {
		progress(backend.Progress{Files: want.Files, TotalFiles: want.Files, Bytes: want.Size, TotalBytes: want.Size})
	}
	return want.reference(), nil
}

// KeepsLocalPaths implements [backend.LocalPathKeeper]: a deployment whose
// local path had no files when its spec was loaded is held with the path
// as written, so that specs can be tried out without their files. Paths
// whose files were found are registered and replaced, as the service's CLI
// does.
func (s *Service) KeepsLocalPaths() bool { return true }

// find returns the version that has want's name and version, or, for
// code, want's content.
func (st *assetStore) find(want AssetVersion) (AssetVersion, bool) {
	if want.Kind == endpoint.CodeAsset {
		found := st.byHash(want.Registry, want.Hash, want.HashVersion)
		if len(found) == 0 {
			return AssetVersion{}, false
		}
		return found[0], true
	}
	v, ok := st.versions[want.key()]
	return v, ok
}

// put stores v, a new version or an existing one with the same files.
func (st *assetStore) put(v AssetVersion) {
	if st.versions == nil {
		st.versions = make(map[string]AssetVersion)
		st.order = make(map[string]int)
	}
	k := v.key()
	if _, ok := st.order[k]; !ok {
		st.order[k] = len(st.order)
	}
	st.versions[k] = v
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
		v.Name = asset.CodeName(id.Hash)
		v.Version, v.Content, v.Hash, v.HashVersion = "1", id.Hash, id.Hash, asset.ContentHashVersion
	case endpoint.ModelAsset:
		v.Content = id.ObjectHash
	case endpoint.EnvironmentAsset:
		v.Content = a.Image + "\n" + id.ObjectHash + "\n" + a.DockerfilePath + "\n" + id.Conda
	default:
		return AssetVersion{}, invalid("unknown asset kind %q", a.Kind)
	}
	return v, nil
}
