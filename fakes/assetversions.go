package fakes

import (
	"cmp"
	"context"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
)

// The service's asset operations one by one, as its REST API offers them
// (a PUT, GET or list of code, model and environment versions and their
// containers), for adapters such as the REST emulator. They use the store
// that [Service.RegisterAsset] and [Service.FindAsset] use, with the same
// rules: a version keeps its path ("Asset paths cannot be updated"), and
// code is found by its content hash whatever its name.

// The asset requests only the REST protocol has, for fault rules (see
// [Op]). Over HTTP, the reads of a version (a GET of one, a list of
// versions, by hash or not) are [OpFindAsset] and the PUT of a version is
// [OpRegisterAsset], the calls a client's FindAsset and RegisterAsset
// make; the rest are these. None has an endpoint or a deployment.
const (
	// OpAssetContainer is any request of a code, model or environment
	// container: a GET, a PUT or the list.
	OpAssetContainer Op = "AssetContainer"
	// OpStartPendingUpload is a POST of a code version's
	// startPendingUpload.
	OpStartPendingUpload Op = "StartPendingUpload"
	// OpGetDatastore is a GET of a datastore or of the list.
	OpGetDatastore Op = "GetDatastore"
	// OpListDatastoreSecrets is a POST of a datastore's listSecrets.
	OpListDatastoreSecrets Op = "ListDatastoreSecrets"
)

// assetName is the pattern of the container names the service accepts in
// a PUT (codes, models and environments alike). Names are case-sensitive.
var assetName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$`)

// PutAssetVersion creates an asset version of the workspace, or updates
// one with the same path, as the service's PUT of a code, model or
// environment version does, and reports whether it created it; see
// [Service.AddAssetVersion] for what an update changes. A version that
// exists with another path is refused: "Asset paths cannot be updated".
// A version's container is created with it.
func (s *Service) PutAssetVersion(ctx context.Context, v AssetVersion) (AssetVersion, bool, error) {
	v.Registry = ""
	if err := checkAssetVersion(v); err != nil {
		return AssetVersion{}, false, err
	}
	if err := s.begin(ctx, "PutAssetVersion"); err != nil {
		return AssetVersion{}, false, err
	}
	defer s.unlock()
	return s.putVersion(v)
}

// GetAssetVersion returns one asset version of the workspace, or NotFound.
func (s *Service) GetAssetVersion(ctx context.Context, kind, name, version string) (AssetVersion, error) {
	if err := s.begin(ctx, "GetAssetVersion"); err != nil {
		return AssetVersion{}, err
	}
	defer s.unlock()
	v, ok := s.assets.versions[AssetVersion{Kind: kind, Name: name, Version: version}.key()]
	if !ok {
		return AssetVersion{}, errorf(backend.NotFound, codeNotFound, "%s version %s:%s not found", kind, name, version)
	}
	return v, nil
}

// ListAssetVersions returns the versions of one of the workspace's
// containers as [Service.AssetVersions] does (newest first, archived ones
// only when asked for); none when the container does not exist.
func (s *Service) ListAssetVersions(ctx context.Context, kind, name string, archived bool) ([]AssetVersion, error) {
	if err := s.begin(ctx, "ListAssetVersions"); err != nil {
		return nil, err
	}
	defer s.unlock()
	return s.assets.list(kind, "", name, archived), nil
}

// FindCodeVersions returns the code versions with a content hash,
// whatever their names, as the service's list of code versions by hash
// does: sorted by name and version. An empty hashVersion matches any.
func (s *Service) FindCodeVersions(ctx context.Context, hash, hashVersion string) ([]AssetVersion, error) {
	if err := s.begin(ctx, "FindCodeVersions"); err != nil {
		return nil, err
	}
	defer s.unlock()
	return s.assets.byHash("", hash, hashVersion), nil
}

// PutAssetContainer creates a container with no versions, as the
// service's PUT of a container does; an existing one is kept. It reports
// whether it created one.
func (s *Service) PutAssetContainer(ctx context.Context, kind, name string) (bool, error) {
	if !assetName.MatchString(name) {
		return false, invalid("%s name %q does not match %s", kind, name, assetName)
	}
	if err := s.begin(ctx, "PutAssetContainer"); err != nil {
		return false, err
	}
	defer s.unlock()
	if s.assets.hasContainer(kind, name) {
		return false, nil
	}
	if s.assets.containers == nil {
		s.assets.containers = make(map[string]bool)
	}
	s.assets.containers[containerKey(kind, name)] = true
	return true, nil
}

// AssetContainer is a code, model or environment container of the
// workspace.
type AssetContainer struct {
	Kind, Name string
	// Latest is its latestVersion: the active version created last, as
	// the latest label selects it ([Service.ResolveLabel]); "" when it has
	// none.
	Latest string
}

// AssetContainers returns the containers of one kind, sorted by name.
func (s *Service) AssetContainers(ctx context.Context, kind string) ([]AssetContainer, error) {
	if err := s.begin(ctx, "AssetContainers"); err != nil {
		return nil, err
	}
	defer s.unlock()
	names := make(map[string]bool)
	for k := range s.assets.containers {
		if n, ok := strings.CutPrefix(k, kind+"/"); ok {
			names[n] = true
		}
	}
	for _, v := range s.assets.versions {
		if v.Kind == kind && v.Registry == "" {
			names[v.Name] = true
		}
	}
	out := make([]AssetContainer, 0, len(names))
	for _, n := range slices.Sorted(maps.Keys(names)) {
		out = append(out, s.assets.container(kind, n))
	}
	return out, nil
}

// GetAssetContainer returns one container of the workspace, or NotFound.
func (s *Service) GetAssetContainer(ctx context.Context, kind, name string) (AssetContainer, error) {
	if err := s.begin(ctx, "GetAssetContainer"); err != nil {
		return AssetContainer{}, err
	}
	defer s.unlock()
	if !s.assets.hasContainer(kind, name) {
		return AssetContainer{}, containerNotFound(kind, name)
	}
	return s.assets.container(kind, name), nil
}

// container describes an existing container; s.mu is held.
func (st *assetStore) container(kind, name string) AssetContainer {
	c := AssetContainer{Kind: kind, Name: name}
	if vs := st.list(kind, "", name, false); len(vs) > 0 {
		c.Latest = vs[0].Version
	}
	return c
}

func containerNotFound(kind, name string) *backend.Error {
	return errorf(backend.NotFound, codeNotFound, "%s container %s not found", kind, name)
}

// pathsCannotBeUpdated is the service's refusal of a version written again
// with other files.
func pathsCannotBeUpdated(v AssetVersion) *backend.Error {
	return invalid("(UserError) Asset paths cannot be updated. %s %s:%s exists with other files", v.Kind, v.Name, v.Version)
}

// checkAssetVersion refuses what the service refuses before it looks at
// its store: an unknown kind, a name off the pattern, no version.
func checkAssetVersion(v AssetVersion) error {
	switch {
	case v.Kind != endpoint.CodeAsset && v.Kind != endpoint.ModelAsset && v.Kind != endpoint.EnvironmentAsset:
		return invalid("unknown asset kind %q", v.Kind)
	case !assetName.MatchString(v.Name):
		return invalid("%s name %q does not match %s", v.Kind, v.Name, assetName)
	case v.Version == "":
		return invalid("%s %s: the version is empty", v.Kind, v.Name)
	}
	return nil
}

func containerKey(kind, name string) string { return kind + "/" + name }

// hasContainer reports whether a container exists: created by a PUT of
// its own or by one of its versions.
func (st *assetStore) hasContainer(kind, name string) bool {
	if st.containers[containerKey(kind, name)] {
		return true
	}
	for _, v := range st.versions {
		if v.Kind == kind && v.Registry == "" && v.Name == name {
			return true
		}
	}
	return false
}

// byHash returns the code versions of a workspace (registry "") or a
// registry with a content hash (and hash version, unless it is empty),
// sorted by name and version.
func (st *assetStore) byHash(registry, hash, hashVersion string) []AssetVersion {
	var out []AssetVersion
	for _, v := range st.versions {
		if v.Kind == endpoint.CodeAsset && v.Registry == registry && hash != "" && v.Hash == hash &&
			(hashVersion == "" || v.HashVersion == hashVersion) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b AssetVersion) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Version, b.Version))
	})
	return out
}
