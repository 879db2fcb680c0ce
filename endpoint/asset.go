package endpoint

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rolloutkit/rollout/asset"
)

// Asset is the identity of the asset a [Reference] names, as far as it is
// known before the asset is registered.
//
// For a local path, loading computes it from the files, as the service's
// CLI does before it uploads them (see package asset):
//
//   - code: Hash, the content hash by which the service finds a code
//     version with the same files, whatever its name;
//   - model: Name and Version, given in the spec or, for a model without a
//     name, the anonymous name derived from ObjectHash and version "1";
//   - inline environment (image and conda file, or a build context): the
//     name CliV2AnonymousEnvironment, or the one given, and the version
//     derived from the image and conda text (Conda) or from the build
//     context's ObjectHash.
//
// For a registered code version, observing fills Hash from the service, so
// that a local folder and the version registered from it compare equal.
type Asset struct {
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
	// Hash is the content hash (SHA-256, hash version 202208) of code.
	Hash string `json:"hash,omitempty"`
	// ObjectHash names the LocalUpload/<hash>/ folder that a model or a
	// build context is uploaded to.
	ObjectHash string `json:"object_hash,omitempty"`
	// Files and Size count the files to upload and their bytes.
	Files int   `json:"files,omitempty"`
	Size  int64 `json:"size,omitempty"`
	// Conda is the conda file as the CLI sends it (asset.CondaText).
	Conda string `json:"conda,omitempty"`
	// Source is the path the local files are read from: Path joined to
	// the directory of the endpoint file as it was given to the loader
	// (relative to the working directory when that was relative).
	Source string `json:"source,omitempty"`
	// Err says why the local files have no identity (a path that does not
	// exist, an empty folder); such an asset cannot be registered.
	Err string `json:"error,omitempty"`
	// Registry is the registry a resolved label's version lives in when
	// the reference does not name one: the service's curated environments
	// (azureml:AzureML-NAME@latest) live in the azureml registry.
	Registry string `json:"registry,omitempty"`
}

// IsInline reports whether the environment is defined in the spec (an
// image, a conda file, a build context or a local path) rather than
// referenced: the service's CLI registers such an environment before it
// deploys.
func (e Environment) IsInline() bool { return e.inline() }

// inline is IsInline without copying e, for Equal's hot path.
func (e *Environment) inline() bool {
	return e.Image != "" || e.CondaFile != "" || e.Build.Path != "" || e.Build.DockerfilePath != "" || localPath(e.Path)
}

// registered is the name and version a reference registers as, when it is
// local and its identity is known, or names, when it is registered in the
// workspace; ok is false otherwise.
func (r Reference) registered() (name, version string, ok bool) {
	switch {
	case r.IsLocal():
		return r.Asset.Name, r.Asset.Version, r.Asset.Name != ""
	case r.Registry == "" && r.ID == "" && r.Label == "":
		return r.Name, r.Version, r.Name != ""
	}
	return "", "", false
}

// SameAsset reports whether a and b name the same asset version. A local
// reference and a registered one are the same when the local files would
// register as that version: code by content hash, models and environments
// by name and version. Two references of one kind compare field by field,
// leaving out what the service reports about a registered asset and where
// local files were read from. A label that observing resolved is the
// version it resolved to ([Reference.Pinned]).
//
// Two local references with the same path are the same unless the
// identities of both are known and differ: a spec loaded where its files
// are missing still equals itself.
func SameAsset(a, b Reference) bool { return sameRef(&a, &b) }

// sameRef is [SameAsset] on pointers, which Equal's hot path uses: it
// copies nothing, and the identities count only for local references.
// Equal fields, which most compared references have, decide at once:
// their paths are equally local.
func sameRef(a, b *Reference) bool {
	if a.Label != "" || b.Label != "" {
		pa, pb := a.Pinned(), b.Pinned()
		a, b = &pa, &pb
	}
	if refEqual(a, b) {
		return !localPath(a.Path) || sameIdentity(&a.Asset, &b.Asset)
	}
	return localPath(a.Path) != localPath(b.Path) && sameLocal(*a, *b)
}

// byFields reports whether r compares with another reference by its
// fields alone: it has no label to resolve and no local files.
func (r *Reference) byFields() bool { return r.Label == "" && r.Path == "" }

// sameIdentity reports whether two identities of local files agree, or
// either is unknown.
func sameIdentity(a, b *Asset) bool {
	if !a.known() || !b.known() {
		return true
	}
	return a.Name == b.Name && a.Version == b.Version && a.Hash == b.Hash && a.ObjectHash == b.ObjectHash && a.Conda == b.Conda
}

func (a *Asset) known() bool { return a.Err == "" && (a.Hash != "" || a.Name != "") }

// sameLocal reports whether one of a and b is local and the other is the
// version registered from it.
func sameLocal(a, b Reference) bool {
	if a.IsLocal() == b.IsLocal() {
		return false
	}
	if b.IsLocal() {
		a, b = b, a
	}
	if a.Asset.Hash != "" {
		return a.Asset.Hash == b.Asset.Hash
	}
	an, av, ok := a.registered()
	bn, bv, okb := b.registered()
	return ok && okb && an == bn && av == bv
}

// sameEnvironment is [SameAsset] for environments: an inline environment
// and a registered one are the same when the inline one registers as it.
func sameEnvironment(a, b Environment) bool { return sameEnv(&a, &b) }

// sameEnv is sameEnvironment on pointers, for Equal's hot path. As in
// sameRef, equal fields decide at once: they are equally inline.
func sameEnv(a, b *Environment) bool {
	if a.Label != "" || b.Label != "" {
		pa, pb := *a, *b
		pa.Reference, pb.Reference = a.Reference.Pinned(), b.Reference.Pinned()
		a, b = &pa, &pb
	}
	if environmentEqual(a, b) {
		return !a.inline() || sameIdentity(&a.Asset, &b.Asset)
	}
	return a.inline() != b.inline() && sameInline(*a, *b)
}

// byFields reports whether e compares with another environment by its
// fields alone: it has no label to resolve and is not inline.
func (e *Environment) byFields() bool {
	return e.Reference.byFields() && !e.inline()
}

func sameInline(a, b Environment) bool {
	if a.IsInline() == b.IsInline() {
		return false
	}
	if b.IsInline() {
		a, b = b, a
	}
	bn, bv, ok := b.Reference.registered()
	return ok && a.Reference.Asset.Name != "" && a.Reference.Asset.Name == bn && a.Reference.Asset.Version == bv
}

// showAsset adds the identity to a reference's one-line form where the
// form alone would hide a change: a local code folder and a registered code
// version show their content hash, a resolved label the version it
// resolved to (azureml:m@latest (→ 7)).
func showAsset(r Reference, s string) string {
	if v := r.Resolved(); v != "" {
		return s + " (→ " + v + ")"
	}
	if h := r.Asset.Hash; h != "" && len(h) >= 12 {
		return s + " (content " + h[:12] + ")"
	}
	return s
}

// resolveAssets computes the identity of the deployments' local assets,
// with relative paths resolved against dir, the endpoint file's directory.
// Problems do not fail the load: specs are loaded to be checked, rendered
// and compared too, on machines that may not hold their files, and only
// registering needs the files. A path that does not exist leaves Asset
// zero; any other problem (an empty folder, a link cycle, a conda file that
// is not YAML) is kept in Asset.Err.
func resolveAssets(e *Endpoint, dir string) {
	for i := range e.Deployments {
		d := &e.Deployments[i]
		resolveModel(&d.Model, dir)
		resolveCode(&d.CodeConfiguration.Code, dir)
		resolveEnvironment(&d.Environment, dir)
	}
}

func localSource(p, dir string) string {
	p = strings.TrimPrefix(strings.TrimSpace(p), "file:")
	p = filepath.FromSlash(strings.ReplaceAll(p, `\`, "/"))
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return filepath.Clean(p)
}

// scanLocal scans the files of a local reference into its Asset.
func scanLocal(r *Reference, dir string) *asset.Tree {
	src := localSource(r.Path, dir)
	t, err := asset.Scan(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	r.Asset.Source = src
	if err != nil {
		r.Asset.Err = describeFSError(err)
		return nil
	}
	r.Asset.Files, r.Asset.Size = len(t.Files), t.Size()
	return t
}

func resolveCode(r *Reference, dir string) {
	if !r.IsLocal() {
		return
	}
	if t := scanLocal(r, dir); t != nil {
		h, err := t.ContentHash()
		r.Asset.Hash, r.Asset.Err = h, errText(err)
	}
}

func resolveModel(r *Reference, dir string) {
	if !r.IsLocal() || scanLocal(r, dir) == nil {
		return
	}
	h, err := asset.ObjectHash(r.Asset.Source, asset.MD5)
	if err != nil {
		r.Asset.Err = err.Error()
		return
	}
	r.Asset.ObjectHash = h
	r.Asset.Name, r.Asset.Version = r.Name, r.Version
	if r.Name == "" {
		r.Asset.Name, _ = asset.AnonymousModelName(h, asset.MD5)
		r.Asset.Version = "1"
	}
}

func resolveEnvironment(env *Environment, dir string) {
	if !env.IsInline() {
		return
	}
	a := &env.Reference.Asset
	switch {
	case env.Build.Path != "":
		ctx := Reference{Path: env.Build.Path}
		if scanLocal(&ctx, dir) == nil {
			*a = ctx.Asset
			return
		}
		h, err := asset.ObjectHash(ctx.Asset.Source, asset.MD5)
		*a = ctx.Asset
		a.ObjectHash, a.Err = h, errText(err)
		a.Version = asset.AnonymousBuildVersion(h, env.Build.DockerfilePath)
	case env.Image != "":
		if env.CondaFile != "" {
			src := localSource(env.CondaFile, dir)
			data, err := os.ReadFile(src)
			if errors.Is(err, fs.ErrNotExist) {
				return
			}
			a.Source = src
			if err == nil {
				a.Conda, err = asset.CondaText(data)
			}
			if err != nil {
				a.Err = describeFSError(err)
				return
			}
		}
		a.Version = asset.AnonymousEnvironmentVersion(env.Image, a.Conda)
	default:
		// The 2021 form's path: is the folder of the environment's own
		// YAML, which registering does not need.
		a.Err = "an inline environment needs an image or a build context to be registered"
		return
	}
	a.Name = asset.AnonymousEnvironmentName
	if env.Reference.Name != "" {
		a.Name, a.Version = env.Reference.Name, env.Reference.Version
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// IsZero reports whether nothing is known about the asset.
func (a Asset) IsZero() bool { return a.isZero() }

// The kinds of [LocalAsset], by the field that names it.
const (
	CodeAsset        = "code"
	ModelAsset       = "model"
	EnvironmentAsset = "environment"
)

// LocalAsset is a local file or folder, or an inline environment, that a
// deployment needs registered before it is written: what the service's CLI
// uploads and registers when it creates or updates the deployment.
type LocalAsset struct {
	// Kind is code, model or environment.
	Kind string `json:"kind"`
	// Path is the path as the spec holds it: the code folder, the model
	// file or folder, an environment's build context or conda file.
	Path string `json:"path,omitempty"`
	// Asset is its identity, as loading computed it.
	Asset Asset `json:"identity"`
	// ModelType is a model's format (custom_model when empty).
	ModelType string `json:"model_type,omitempty"`
	// Image and DockerfilePath define an inline environment.
	Image          string `json:"image,omitempty"`
	DockerfilePath string `json:"dockerfile_path,omitempty"`
}

// Key names the asset version the local asset registers as, for one step
// per asset however many deployments use it: code by content hash, models
// and environments by name and version. It is "" when the identity is not
// known.
func (l LocalAsset) Key() string {
	switch {
	case l.Asset.Err != "":
		return ""
	case l.Kind == CodeAsset && l.Asset.Hash != "":
		return CodeAsset + "/" + l.Asset.Hash[:min(12, len(l.Asset.Hash))]
	case l.Kind != CodeAsset && l.Asset.Name != "":
		return l.Kind + "/" + l.Asset.Name + ":" + l.Asset.Version
	}
	return ""
}

// LocalAssets lists what d needs registered, in the order the service's CLI
// registers it: code, environment, model.
func (d *Deployment) LocalAssets() []LocalAsset {
	var out []LocalAsset
	if c := d.CodeConfiguration.Code; c.IsLocal() {
		out = append(out, LocalAsset{Kind: CodeAsset, Path: c.Path, Asset: c.Asset})
	}
	if env := d.Environment; env.IsInline() {
		p := env.Build.Path
		if p == "" {
			p = env.CondaFile
		}
		out = append(out, LocalAsset{Kind: EnvironmentAsset, Path: p, Asset: env.Reference.Asset, Image: env.Image, DockerfilePath: env.Build.DockerfilePath})
	}
	if m := d.Model; m.IsLocal() {
		out = append(out, LocalAsset{Kind: ModelAsset, Path: m.Path, Asset: m.Asset, ModelType: m.Type})
	}
	return out
}

// WithRegistered returns d with the local asset of kind replaced by the
// registered version r, as the service's CLI sends the deployment once it
// has registered its assets.
func (d Deployment) WithRegistered(kind string, r Reference) Deployment {
	switch kind {
	case CodeAsset:
		d.CodeConfiguration.Code = r
	case ModelAsset:
		r.Type = d.Model.Type
		d.Model = r
	case EnvironmentAsset:
		d.Environment = Environment{Reference: r, InferenceConfig: d.Environment.InferenceConfig, OSType: d.Environment.OSType}
	}
	return d
}

// UsesSameAsset reports whether before already uses the version that the
// local asset of kind in after registers as, so that writing after needs
// no registration of it.
func UsesSameAsset(kind string, before, after *Deployment) bool {
	if before == nil || after == nil {
		return false
	}
	switch kind {
	case CodeAsset:
		return SameAsset(before.CodeConfiguration.Code, after.CodeConfiguration.Code)
	case ModelAsset:
		return SameAsset(before.Model, after.Model)
	case EnvironmentAsset:
		return sameEnvironment(before.Environment, after.Environment)
	}
	return false
}
