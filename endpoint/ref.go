package endpoint

import (
	"fmt"
	"strings"
)

// registryKinds are the asset kinds that may appear in a registry URI. The
// kind is not kept in a [Reference]: the field that holds the reference
// (model, environment, code) already says it, and keeping it twice would let
// the two disagree.
var registryKinds = []string{"models", "environments", "codes", "components", "data"}

// ParseReference parses the one-line form of an asset reference, as written
// in the model:, environment: and code: fields of a spec:
//
//	azureml:NAME:VERSION                                  Name, Version
//	azureml:NAME@LABEL                                    Name, Label
//	azureml://registries/R/KIND/NAME/versions/V           Registry, Name, Version
//	azureml://registries/R/KIND/NAME/labels/L             Registry, Name, Label
//	azureml://subscriptions/.../workspaces/W/...          ID (as written)
//	/subscriptions/... or azureml:/subscriptions/...      ID (azureml: dropped)
//	file:PATH, PATH                                       Path (file: dropped)
//	azureml://datastores/..., https://..., wasbs://...    Path (remote, not local)
//
// KIND is models, environments, codes, components or data; the registry form
// without KIND (azureml://registries/R/NAME/versions/V), which is what
// [Reference.String] prints, is accepted too.
//
// A bare azureml:NAME is an error: the service resolves a registered asset
// only by version or by label, and guessing "latest" would make a spec mean
// something different from one day to the next. Write azureml:NAME@latest to
// ask for that explicitly.
//
// A string with no azureml: prefix and no URI scheme is a local path, as the
// service's CLI treats it. ParseReference does not clean or resolve paths;
// the loader resolves them against the file that names them.
func ParseReference(s string) (Reference, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Reference{}, refError("empty reference; want azureml:NAME:VERSION, azureml:NAME@LABEL, an azureml:// URI, an ARM id or a path")
	case strings.HasPrefix(s, "file:"):
		// Space after the prefix is no part of the path, as around
		// the whole: file: ../model is ../model.
		p := strings.TrimSpace(strings.TrimPrefix(s, "file:"))
		if p == "" {
			return Reference{}, refError("file: reference without a path")
		}
		return Reference{Path: p}, nil
	case strings.HasPrefix(s, "azureml://registries/"):
		return parseRegistry(s)
	case strings.HasPrefix(s, "azureml://subscriptions/"):
		return Reference{ID: s}, nil
	case strings.HasPrefix(s, "azureml://datastores/"), strings.HasPrefix(s, "azureml://jobs/"):
		return Reference{Path: s}, nil
	case strings.HasPrefix(s, "azureml://"):
		return Reference{}, refError("unknown azureml:// URI %q; want azureml://registries/..., azureml://subscriptions/... or azureml://datastores/...", s)
	case strings.HasPrefix(s, "azureml:/subscriptions/"):
		return Reference{ID: strings.TrimPrefix(s, "azureml:")}, nil
	case strings.HasPrefix(s, "/subscriptions/"):
		return Reference{ID: s}, nil
	case strings.HasPrefix(s, "azureml:"):
		return parseRegistered(s)
	}
	return Reference{Path: s}, nil
}

// parseRegistered parses azureml:NAME:VERSION and azureml:NAME@LABEL.
func parseRegistered(s string) (Reference, error) {
	rest := strings.TrimPrefix(s, "azureml:")
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		name, label := rest[:i], rest[i+1:]
		if err := checkRefPart("name", name, s); err != nil {
			return Reference{}, err
		}
		if err := checkRefPart("label", label, s); err != nil {
			return Reference{}, err
		}
		return Reference{Name: name, Label: label}, nil
	}
	name, version, ok := strings.Cut(rest, ":")
	if !ok {
		return Reference{}, refError("reference %q has no version or label; write azureml:%s:VERSION or azureml:%s@latest", s, rest, rest)
	}
	if err := checkRefPart("name", name, s); err != nil {
		return Reference{}, err
	}
	if err := checkRefPart("version", version, s); err != nil {
		return Reference{}, err
	}
	return Reference{Name: name, Version: version}, nil
}

// parseRegistry parses azureml://registries/R[/KIND]/NAME/(versions|labels)/X.
func parseRegistry(s string) (Reference, error) {
	parts := strings.Split(strings.TrimPrefix(s, "azureml://registries/"), "/")
	bad := refError("registry reference %q; want azureml://registries/REGISTRY/KIND/NAME/versions/VERSION or .../labels/LABEL (KIND one of %s)", s, strings.Join(registryKinds, ", "))
	switch len(parts) {
	case 5:
		if !isRegistryKind(parts[1]) {
			return Reference{}, bad
		}
		parts = append(parts[:1], parts[2:]...)
	case 4:
	default:
		return Reference{}, bad
	}
	for _, p := range parts {
		if p == "" || strings.ContainsAny(p, ":@ \t") {
			return Reference{}, bad
		}
	}
	r := Reference{Registry: parts[0], Name: parts[1]}
	switch parts[2] {
	case "versions":
		r.Version = parts[3]
	case "labels":
		r.Label = parts[3]
	default:
		return Reference{}, bad
	}
	return r, nil
}

func isRegistryKind(k string) bool {
	for _, known := range registryKinds {
		if k == known {
			return true
		}
	}
	return false
}

func checkRefPart(what, v, s string) error {
	switch {
	case v == "":
		return refError("reference %q has an empty %s", s, what)
	case strings.ContainsAny(v, ":@/ \t"):
		return refError("reference %q: %s %q must not contain ':', '@', '/' or spaces", s, what, v)
	}
	return nil
}

// refError has no position or path: the loader, which knows both, copies
// the message into its own error.
func refError(format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

// String returns the one-line form of r, which [ParseReference] reads back
// into an equal value for every reference it can produce:
//
//	azureml:NAME:VERSION or azureml:NAME@LABEL      registered in the workspace
//	azureml://registries/R/NAME/versions/V          in a registry (see below)
//	the ID                                          ARM id
//	the path                                        local or remote path
//
// Registry references are printed without the asset kind, which a Reference
// does not hold; writers that need the form the service's CLI reads insert
// the kind of the field (models, environments, codes) after the registry.
//
// A path that would read back as something else (one starting with azureml:,
// file: or /subscriptions/) is printed with a file: prefix.
//
// An asset that is both named and local (the 2021 inline form
// {name, version, local_path}) prints as "NAME:VERSION (PATH)". That form is
// for messages only and is not parsed back: spec writers use the object form
// for such references. Type is never printed; it belongs to the object form.
func (r Reference) String() string {
	switch {
	case r.ID != "":
		return r.ID
	case r.Path != "" && r.Name != "":
		return r.nameVersion() + " (" + r.Path + ")"
	case r.Path != "":
		if strings.HasPrefix(r.Path, "azureml:") && !strings.HasPrefix(r.Path, "azureml://datastores/") && !strings.HasPrefix(r.Path, "azureml://jobs/") ||
			strings.HasPrefix(r.Path, "file:") || strings.HasPrefix(r.Path, "/subscriptions/") {
			return "file:" + r.Path
		}
		return r.Path
	case r.Registry != "":
		s := "azureml://registries/" + r.Registry + "/" + r.Name
		if r.Version == "" && r.Label != "" {
			return s + "/labels/" + r.Label
		}
		return s + "/versions/" + r.Version
	case r.Name != "":
		return "azureml:" + r.nameVersion()
	}
	return ""
}

// nameVersion is NAME:VERSION, NAME@LABEL or NAME.
func (r Reference) nameVersion() string {
	switch {
	case r.Version != "":
		return r.Name + ":" + r.Version
	case r.Label != "":
		return r.Name + "@" + r.Label
	}
	return r.Name
}

// IsZero reports whether r names nothing.
func (r Reference) IsZero() bool { return r == Reference{} }

// IsLocal reports whether r is a local file or folder, which the service's
// CLI uploads when it creates the deployment. Remote paths (azureml://
// datastores, https://, wasbs://) are not local.
func (r Reference) IsLocal() bool { return localPath(r.Path) }

// localPath reports whether a reference's path is local (see IsLocal);
// it takes the path alone, so that hot paths copy no Reference.
func localPath(path string) bool {
	return path != "" && !strings.Contains(path, "://")
}
