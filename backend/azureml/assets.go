package azureml

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/rolloutkit/rollout/asset"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
)

var _ backend.Assets = (*Backend)(nil)

// The names the service's CLI gives what it registers (ASSETS.md §3).
const (
	// defaultDatastore is the workspace's datastore that models and
	// build contexts are uploaded to.
	defaultDatastore = "workspaceblobstore"
	// uploadFolder is the folder of the datastore that uploads go to,
	// under the object hash; legacyUploadFolder is its older name, whose
	// confirmed uploads are reused too.
	uploadFolder       = "LocalUpload"
	legacyUploadFolder = "az-ml-artifacts"
)

// assetURL is the URL of the workspace's asset collection (codes, models,
// environments, datastores) or of what is below it; every segment is
// escaped.
func (b *Backend) assetURL(collection string, segments ...string) string {
	u := strings.TrimSuffix(b.base.String(), "/") + b.scope.path() + "/" + collection
	for _, s := range segments {
		u += "/" + url.PathEscape(s)
	}
	return u
}

// checkLocal refuses a local asset whose identity loading did not compute.
func checkLocal(a endpoint.LocalAsset) error {
	if a.Key() != "" && a.Asset.Source != "" {
		return nil
	}
	why := a.Asset.Err
	if why == "" {
		why = "its files were not found when the spec was loaded"
	}
	return &backend.Error{Kind: backend.Invalid, Code: "BadArgument",
		Message: fmt.Sprintf("local %s %q cannot be registered: %s", a.Kind, a.Path, why)}
}

// FindAsset implements [backend.Assets]: a code version with the same
// content hash whatever its name (the service's list by hash), a model or
// environment version by name and version when it holds the same files.
func (b *Backend) FindAsset(ctx context.Context, a endpoint.LocalAsset) (endpoint.Reference, error) {
	if err := checkLocalKind(a); err != nil {
		return endpoint.Reference{}, err
	}
	switch a.Kind {
	case endpoint.CodeAsset:
		return b.findCode(ctx, a.Asset.Hash)
	case endpoint.ModelAsset:
		return b.findVersion(ctx, "models", a)
	}
	return b.findVersion(ctx, "environments", a)
}

// checkLocalKind is checkLocal for FindAsset, which needs the identity
// but not the files.
func checkLocalKind(a endpoint.LocalAsset) error {
	switch {
	case a.Kind != endpoint.CodeAsset && a.Kind != endpoint.ModelAsset && a.Kind != endpoint.EnvironmentAsset:
		return &backend.Error{Kind: backend.Invalid, Code: "BadArgument", Message: fmt.Sprintf("unknown asset kind %q", a.Kind)}
	case a.Key() == "":
		return checkLocal(a)
	case a.Kind != endpoint.CodeAsset && (!assetNameRE.MatchString(a.Asset.Name) || !assetVersionRE.MatchString(a.Asset.Version)):
		return &backend.Error{Kind: backend.Invalid, Code: "BadArgument",
			Message: fmt.Sprintf("local %s %q: %q is not a valid name and version of an asset", a.Kind, a.Path, a.Asset.Name+":"+a.Asset.Version)}
	}
	return nil
}

// findCode lists the code versions with content hash h: the service
// returns them whatever their name; the first is taken, as the service's
// CLI takes it.
func (b *Backend) findCode(ctx context.Context, h string) (endpoint.Reference, error) {
	q := url.Values{"hash": {h}, "hashVersion": {asset.ContentHashVersion}}
	found, err := listAll[assetVersion](ctx, b, b.assetURL("codes", asset.CodeName(h), "versions")+"?"+q.Encode())
	if err != nil {
		return endpoint.Reference{}, err
	}
	for _, v := range found {
		if kind, name, version, ok := b.scope.parseAssetID(v.ID); ok && kind == "codes" {
			r := endpoint.Reference{Name: name, Version: version}
			r.Asset.Hash = h
			return r, nil
		}
	}
	return endpoint.Reference{}, &backend.Error{Kind: backend.NotFound, Code: "ResourceNotFound",
		Message: fmt.Sprintf("no code version has content hash %s", h)}
}

// codeOtherFiles is the code of FindAsset's NotFound for a version that
// exists with other files, which registering cannot change.
const codeOtherFiles = "AssetHasOtherFiles"

// findVersion reads a model or environment version by the name and
// version a registers as, and takes it when it holds a's files.
func (b *Backend) findVersion(ctx context.Context, kind string, a endpoint.LocalAsset) (endpoint.Reference, error) {
	var v assetVersion
	if _, err := b.getJSON(ctx, b.assetURL(kind, a.Asset.Name, "versions", a.Asset.Version), &v); err != nil {
		return endpoint.Reference{}, err
	}
	if !holds(v.Properties, a) {
		return endpoint.Reference{}, &backend.Error{Kind: backend.NotFound, Code: codeOtherFiles,
			Message: fmt.Sprintf("%s %s:%s exists with other files than %s", a.Kind, a.Asset.Name, a.Asset.Version, a.Path)}
	}
	return endpoint.Reference{Name: a.Asset.Name, Version: a.Asset.Version}, nil
}

// holds reports whether a registered version points at a's files: a
// model or build context at the upload folder of its object hash, an
// inline environment with its image and conda text.
func holds(p assetProperties, a endpoint.LocalAsset) bool {
	switch {
	case a.Kind == endpoint.ModelAsset:
		return inUploadFolder(p.ModelURI, a.Asset.ObjectHash)
	case a.Asset.ObjectHash != "":
		return p.Build != nil && inUploadFolder(p.Build.ContextURI, a.Asset.ObjectHash) && p.Build.DockerfilePath == a.DockerfilePath
	}
	return p.Build == nil && p.Image == a.Image && strings.TrimSpace(p.CondaFile) == strings.TrimSpace(a.Asset.Conda)
}

// inUploadFolder reports whether uri is in the upload folder of object
// hash h, or in its legacy twin.
func inUploadFolder(uri, h string) bool {
	return h != "" && (strings.Contains(uri, "/"+uploadFolder+"/"+h+"/") || strings.Contains(uri, "/"+legacyUploadFolder+"/"+h+"/"))
}

// RegisterAsset implements [backend.Assets] as the service's CLI
// registers local files (ASSETS.md):
//
//   - code: found by content hash (list by hash), else uploaded to a
//     temporary container the service provides (startPendingUpload) and
//     registered as version 1 of a name drawn from the content hash;
//   - models and build contexts: found by name and version, else uploaded
//     to the workspace's default datastore under
//     LocalUpload/OBJECTHASH/ and registered;
//   - inline environments: registered with their image and conda text.
//
// An upload is confirmed by metadata on its first blob, set after every
// file is in place, and skipped when that confirmation is there; an upload
// interrupted before it is overwritten by the next call, so a crash at any
// point is finished by running again. Files go out in parallel, large
// ones in blocks (see [UploadOptions]), and progress is reported after
// each file or block.
func (b *Backend) RegisterAsset(ctx context.Context, a endpoint.LocalAsset, progress func(backend.Progress)) (endpoint.Reference, error) {
	if err := checkLocalKind(a); err != nil {
		return endpoint.Reference{}, err
	}
	if a.Kind != endpoint.EnvironmentAsset || a.Asset.ObjectHash != "" {
		if err := checkLocal(a); err != nil {
			return endpoint.Reference{}, err
		}
	}
	found, err := b.FindAsset(ctx, a)
	if backend.KindOf(err) != backend.NotFound {
		return found, err
	}
	if e, ok := err.(*backend.Error); ok && e.Code == codeOtherFiles {
		// The service would refuse the version after the upload.
		return endpoint.Reference{}, &backend.Error{Kind: backend.Invalid, Code: "UserError",
			Message: "(UserError) Asset paths cannot be updated: " + e.Message}
	}
	switch a.Kind {
	case endpoint.CodeAsset:
		return b.registerCode(ctx, a, progress)
	case endpoint.ModelAsset:
		return b.registerModel(ctx, a, progress)
	}
	return b.registerEnvironment(ctx, a, progress)
}

// registerCode uploads code to a temporary container and registers it.
func (b *Backend) registerCode(ctx context.Context, a endpoint.LocalAsset, progress func(backend.Progress)) (endpoint.Reference, error) {
	name := asset.CodeName(a.Asset.Hash)
	pending, err := b.startPendingUpload(ctx, name)
	if err != nil {
		return endpoint.Reference{}, err
	}
	c, err := b.sasContainer(pending.BlobReferenceForConsumption.Credential.SASURI)
	if err != nil {
		return endpoint.Reference{}, err
	}
	up := b.newUpload(c, a, "", name, "1", progress)
	if _, err := up.run(ctx); err != nil {
		return endpoint.Reference{}, err
	}
	codeURI := strings.TrimSuffix(pending.BlobReferenceForConsumption.BlobURI, "/")
	if up.tree.Dir {
		codeURI += "/" + up.tree.Name()
	}
	body := assetVersion{Properties: assetProperties{
		CodeURI:     codeURI,
		IsAnonymous: true,
		Properties:  map[string]string{"hash_sha256": a.Asset.Hash, "hash_version": asset.ContentHashVersion},
	}}
	if err := b.putVersion(ctx, "codes", name, "1", body); err != nil {
		// Another run registered the same files under this name first,
		// from another temporary container: its version is as good.
		if found, ferr := b.findCode(ctx, a.Asset.Hash); ferr == nil {
			return found, nil
		}
		return endpoint.Reference{}, err
	}
	r := endpoint.Reference{Name: name, Version: "1"}
	r.Asset.Hash = a.Asset.Hash
	return r, nil
}

// startPendingUpload asks the service for a temporary container to upload
// code version name:1 to.
func (b *Backend) startPendingUpload(ctx context.Context, name string) (*pendingUpload, error) {
	req, err := b.newRequest(ctx, http.MethodPost, b.assetURL("codes", name, "versions", "1", "startPendingUpload"),
		pendingUploadRequest{PendingUploadType: "TemporaryBlobReference"})
	if err != nil {
		return nil, err
	}
	resp, err := b.do(req, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var p pendingUpload
	if err := runtime.UnmarshalAsJSON(resp, &p); err != nil || p.BlobReferenceForConsumption.Credential.SASURI == "" || p.BlobReferenceForConsumption.BlobURI == "" {
		// The answer holds a SAS: its text is not passed on.
		return nil, &backend.Error{Kind: backend.Internal, Message: "the service's pending upload is not the JSON expected (a blobUri and a SAS credential)"}
	}
	return &p, nil
}

// registerModel uploads a model to the default datastore and registers it.
func (b *Backend) registerModel(ctx context.Context, a endpoint.LocalAsset, progress func(backend.Progress)) (endpoint.Reference, error) {
	_, folder, err := b.uploadToDatastore(ctx, a, progress)
	if err != nil {
		return endpoint.Reference{}, err
	}
	modelType := a.ModelType
	if modelType == "" {
		modelType = "custom_model"
	}
	anonymous, _ := asset.AnonymousModelName(a.Asset.ObjectHash, asset.MD5)
	body := assetVersion{Properties: assetProperties{
		ModelType:   modelType,
		ModelURI:    b.datastoreURI(folder),
		IsAnonymous: a.Asset.Name == anonymous,
	}}
	return b.register(ctx, "models", a, body)
}

// registerEnvironment registers an inline environment: a build context is
// uploaded to the default datastore first; an image and conda file are
// sent as they are.
func (b *Backend) registerEnvironment(ctx context.Context, a endpoint.LocalAsset, progress func(backend.Progress)) (endpoint.Reference, error) {
	p := assetProperties{IsAnonymous: a.Asset.Name == asset.AnonymousEnvironmentName}
	if a.Asset.ObjectHash == "" {
		p.Image, p.CondaFile = a.Image, a.Asset.Conda
		if progress != nil {
			progress(backend.Progress{})
		}
		return b.register(ctx, "environments", a, assetVersion{Properties: p})
	}
	ds, folder, err := b.uploadToDatastore(ctx, a, progress)
	if err != nil {
		return endpoint.Reference{}, err
	}
	// The service wants the trailing slash (the CLI adds it: "EMS
	// requires it").
	p.Build = &buildContext{ContextURI: ds.containerURL + "/" + folder + "/", DockerfilePath: a.DockerfilePath}
	return b.register(ctx, "environments", a, assetVersion{Properties: p})
}

// register PUTs a model or environment version and returns its reference.
func (b *Backend) register(ctx context.Context, kind string, a endpoint.LocalAsset, body assetVersion) (endpoint.Reference, error) {
	if err := b.putVersion(ctx, kind, a.Asset.Name, a.Asset.Version, body); err != nil {
		return endpoint.Reference{}, err
	}
	return endpoint.Reference{Name: a.Asset.Name, Version: a.Asset.Version}, nil
}

// putVersion creates or updates an asset version. The service refuses to
// change the files of a version ("Asset paths cannot be updated"), which
// is a refusal of the request, whatever its status.
func (b *Backend) putVersion(ctx context.Context, kind, name, version string, body assetVersion) error {
	req, err := b.newRequest(ctx, http.MethodPut, b.assetURL(kind, name, "versions", version), body)
	if err != nil {
		return err
	}
	_, err = b.do(req, http.StatusOK, http.StatusCreated)
	if e, ok := err.(*backend.Error); ok && strings.Contains(e.Message, "Asset paths cannot be updated") {
		e.Kind = backend.Invalid
	}
	return err
}

// datastoreURI is the azureml:// URI of a folder of the default datastore,
// as the service's CLI writes a model's path (lower-case resourcegroups).
func (b *Backend) datastoreURI(folder string) string {
	return "azureml://subscriptions/" + b.scope.Subscription + "/resourcegroups/" + b.scope.ResourceGroup +
		"/workspaces/" + b.scope.Workspace + "/datastores/" + defaultDatastore + "/paths/" + folder
}

// uploadFolderOf is the datastore folder a model or build context is
// uploaded to: LocalUpload/OBJECTHASH/NAME, where NAME is the base name of
// the file or folder.
func uploadFolderOf(a endpoint.LocalAsset) string {
	return path.Join(uploadFolder, a.Asset.ObjectHash, filepath.Base(a.Asset.Source))
}

// assetVersion is a code, model or environment version on the wire
// (CodeVersionResource, ModelVersionResource, EnvironmentVersionResource).
type assetVersion struct {
	ID         string          `json:"id,omitempty"`
	Name       string          `json:"name,omitempty"`
	Properties assetProperties `json:"properties"`
}

// assetProperties are the properties of the three kinds of version that
// registering writes and finding reads (AssetBase, CodeVersion,
// ModelVersion, EnvironmentVersion).
type assetProperties struct {
	IsAnonymous bool              `json:"isAnonymous,omitempty"`
	Properties  map[string]string `json:"properties,omitempty"`
	CodeURI     string            `json:"codeUri,omitempty"`
	ModelType   string            `json:"modelType,omitempty"`
	ModelURI    string            `json:"modelUri,omitempty"`
	Image       string            `json:"image,omitempty"`
	CondaFile   string            `json:"condaFile,omitempty"`
	Build       *buildContext     `json:"build,omitempty"`
}

type buildContext struct {
	ContextURI     string `json:"contextUri"`
	DockerfilePath string `json:"dockerfilePath,omitempty"`
}

// pendingUploadRequest and pendingUpload are PendingUploadRequestDto and
// PendingUploadResponseDto.
type pendingUploadRequest struct {
	PendingUploadType string `json:"pendingUploadType"`
}

type pendingUpload struct {
	BlobReferenceForConsumption struct {
		BlobURI    string `json:"blobUri"`
		Credential struct {
			CredentialType string `json:"credentialType"`
			SASURI         string `json:"sasUri"`
		} `json:"credential"`
	} `json:"blobReferenceForConsumption"`
}

// datastoreResource is a DatastoreResource of type AzureBlob.
type datastoreResource struct {
	Properties datastoreProperties `json:"properties"`
}

type datastoreProperties struct {
	DatastoreType string `json:"datastoreType"`
	AccountName   string `json:"accountName"`
	ContainerName string `json:"containerName"`
	Endpoint      string `json:"endpoint"`
	Protocol      string `json:"protocol"`
	Credentials   struct {
		CredentialsType string `json:"credentialsType"`
	} `json:"credentials"`
}

// datastoreSecrets is a DatastoreSecrets answer: AccountKey {key} or Sas
// {sasToken}. It holds secrets: never printed.
type datastoreSecrets struct {
	SecretsType string `json:"secretsType"`
	Key         string `json:"key"`
	SASToken    string `json:"sasToken"`
}

// codeHashes remembers the content hash of code versions, by name and
// version: the service never changes a version's files, so one read of a
// version serves every later observation.
type codeHashes struct {
	mu sync.Mutex
	m  map[string]string
}

func (c *codeHashes) get(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.m[key]
	return h, ok
}

func (c *codeHashes) put(key, h string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]string)
	}
	c.m[key] = h
}

// observeCode sets the content hash of the workspace code version that d
// runs, from the version's hash_sha256 property, so that a local folder
// with the same files compares equal to it. A version without the
// property (registered without a hash, or with another hash version) or
// that is gone keeps no hash: its files cannot be compared.
func (b *Backend) observeCode(ctx context.Context, d *endpoint.Deployment) error {
	c := &d.CodeConfiguration.Code
	if c.Name == "" || c.Version == "" || c.Registry != "" || c.ID != "" || c.Path != "" {
		return nil
	}
	key := c.Name + ":" + c.Version
	if h, ok := b.hashes.get(key); ok {
		c.Asset.Hash = h
		return nil
	}
	var v assetVersion
	_, err := b.getJSON(ctx, b.assetURL("codes", c.Name, "versions", c.Version), &v)
	switch {
	case backend.KindOf(err) == backend.NotFound:
		return nil
	case err != nil:
		return err
	}
	h := v.Properties.Properties["hash_sha256"]
	if hv := v.Properties.Properties["hash_version"]; hv != "" && hv != asset.ContentHashVersion {
		h = ""
	}
	b.hashes.put(key, h)
	c.Asset.Hash = h
	return nil
}
