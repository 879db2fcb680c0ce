package fakes

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
)

// AddAssetVersion creates or updates an asset version as a PUT of the
// version does in the service (az ml model create, az ml model archive):
// registered elsewhere, in the workspace or in v.Registry. A new version is
// created at v.Created, or now when that is zero; an existing one keeps its
// creation time and takes v.Archived. Its files cannot change: a version
// that exists with another Content is refused ([backend.Invalid], "Asset
// paths cannot be updated").
func (s *Service) AddAssetVersion(v AssetVersion) error {
	if v.Kind == "" || v.Name == "" || v.Version == "" {
		return invalid("an asset version needs a kind, a name and a version; got %q %q:%q", v.Kind, v.Name, v.Version)
	}
	s.mu.Lock()
	defer s.unlock()
	_, _, err := s.putVersion(v)
	return err
}

// putVersion creates or updates a version as [Service.AddAssetVersion]
// says, and reports whether it created it; s.mu is held.
func (s *Service) putVersion(v AssetVersion) (AssetVersion, bool, error) {
	if old, ok := s.assets.versions[v.key()]; ok {
		if !old.samePath(v) {
			return AssetVersion{}, false, pathsCannotBeUpdated(old)
		}
		old.Archived = v.Archived
		s.assets.put(old)
		return old, false, nil
	}
	if v.Created.IsZero() {
		v.Created = time.Now()
	}
	s.assets.put(v)
	return v, true, nil
}

// AssetVersions lists the versions of one asset, in the workspace or in a
// registry, newest first: as the service lists them ordered by
// "createdtime desc", which is how the service's SDK finds the latest
// version. Archived versions are left out unless archived is set (the
// list's default view, ActiveOnly, leaves them out). Versions created at
// the same instant are listed in the reverse order of their creation.
func (s *Service) AssetVersions(kind, registry, name string, archived bool) []AssetVersion {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.assets.list(kind, registry, name, archived)
}

func (st *assetStore) list(kind, registry, name string, archived bool) []AssetVersion {
	var out []AssetVersion
	for _, v := range st.versions {
		if v.Kind == kind && v.Registry == registry && v.Name == name && (archived || !v.Archived) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b AssetVersion) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return cmp.Compare(st.order[b.key()], st.order[a.key()])
	})
	return out
}

// ResolveLabel implements [backend.Labels] with the rules it lists: latest
// is the active version created last, in the workspace or the registry the
// label names; no other label exists; code has none.
func (s *Service) ResolveLabel(ctx context.Context, l endpoint.AssetLabel) (string, error) {
	if err := s.begin(ctx, "ResolveLabel"); err != nil {
		return "", err
	}
	defer s.unlock()
	switch {
	case l.Kind == endpoint.CodeAsset:
		return "", invalid("code %s selects a version by label; code is referenced by version only (azureml:%s:VERSION)", l, l.Name)
	case l.Kind != endpoint.ModelAsset && l.Kind != endpoint.EnvironmentAsset:
		return "", invalid("unknown asset kind %q", l.Kind)
	case l.Label != endpoint.LatestLabel:
		return "", errorf(backend.NotFound, codeNotFound, "Asset %s with version label %s does not exist in %s", l.Name, l.Label, scopeOf(l))
	}
	vs := s.assets.list(l.Kind, l.Registry, l.Name, false)
	if len(vs) == 0 {
		return "", errorf(backend.NotFound, codeNotFound, "Asset %s does not exist in %s", l.Name, scopeOf(l))
	}
	return vs[0].Version, nil
}

func scopeOf(l endpoint.AssetLabel) string {
	if l.Registry != "" {
		return "registry " + l.Registry
	}
	return "workspace"
}

// Registries returns the names of the registries the service holds
// versions in, sorted.
func (s *Service) Registries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, v := range s.assets.versions {
		if v.Registry != "" && !slices.Contains(out, v.Registry) {
			out = append(out, v.Registry)
		}
	}
	slices.Sort(out)
	return out
}
