package endpoint

import "strings"

// LatestLabel is the label that selects an asset's newest version. It is the
// only label the service's CLI resolves for models and environments: its
// SDK knows no other (azure-ai-ml's _managed_label_resolver holds "latest"
// alone), and the REST API (2024-10-01) has no labels on asset versions.
const LatestLabel = "latest"

// CuratedRegistry is the registry of the service's curated environments,
// whose names start with "AzureML-". The service's CLI sends the short
// form azureml:AzureML-NAME as it is, and the service expands it to the
// curated environment in this registry, so a label of such an environment
// is resolved among the registry's versions.
const CuratedRegistry = "azureml"

const curatedPrefix = "AzureML-"

// AssetLabel is a version of a model or an environment selected by label,
// as azureml:NAME@LABEL or azureml://registries/R/KIND/NAME/labels/LABEL
// selects it, with the version the label pointed at when the service was
// observed.
type AssetLabel struct {
	// Kind is model or environment (ModelAsset, EnvironmentAsset).
	Kind string `json:"kind"`
	// Registry is the registry that holds the asset; empty for the
	// workspace.
	Registry string `json:"registry,omitempty"`
	Name     string `json:"name"`
	Label    string `json:"label"`
	// Version is the version the label resolved to; empty when it has
	// not been resolved.
	Version string `json:"version,omitempty"`
}

// IsResolved reports whether l carries the version its label selected.
// The service takes versions only: a write of a label that is not
// resolved is refused.
func (l AssetLabel) IsResolved() bool { return l.Version != "" }

// String is the label's reference as a spec writes it, without the version:
// azureml:taxi-model@latest, or
// azureml://registries/azureml/environments/sklearn-1.5/labels/latest.
func (l AssetLabel) String() string {
	if l.Registry != "" {
		return "azureml://registries/" + l.Registry + "/" + l.Kind + "s/" + l.Name + "/labels/" + l.Label
	}
	return "azureml:" + l.Name + "@" + l.Label
}

// Same reports whether l and m select by the same label, whatever versions
// they resolved to. Asset names are case-sensitive to the service.
func (l AssetLabel) Same(m AssetLabel) bool {
	l.Version, m.Version = "", ""
	return l == m
}

// Compare orders labels by kind, registry, name, label and version.
func (l AssetLabel) Compare(m AssetLabel) int {
	for _, c := range [...][2]string{{l.Kind, m.Kind}, {l.Registry, m.Registry}, {l.Name, m.Name}, {l.Label, m.Label}, {l.Version, m.Version}} {
		if n := strings.Compare(c[0], c[1]); n != 0 {
			return n
		}
	}
	return 0
}

// IsLabel reports whether r selects a registered version by label
// (azureml:NAME@LABEL, or a registry URI with /labels/LABEL).
func (r Reference) IsLabel() bool {
	return r.Label != "" && r.Version == "" && r.ID == "" && r.Path == ""
}

// Resolved reports the version a label reference was resolved to, which
// observing the service records in Asset.Version; "" when r is not a label
// or was not resolved.
func (r Reference) Resolved() string {
	if !r.IsLabel() {
		return ""
	}
	return r.Asset.Version
}

// WithVersion returns the label reference r resolved to version, as
// observing the service resolves it: r itself, with the version in
// Asset.Version.
func (r Reference) WithVersion(version string) Reference {
	r.Asset = Asset{Name: r.Name, Version: version}
	return r
}

// Pinned returns the reference to the version a resolved label selects
// (azureml:NAME:VERSION, or the registry's versions/VERSION, a curated
// environment's in [CuratedRegistry]), which is what the service's CLI
// writes for it, or the service expands it to; any other reference is
// returned as it is.
func (r Reference) Pinned() Reference {
	v := r.Resolved()
	if v == "" {
		return r
	}
	reg := r.Registry
	if reg == "" {
		reg = r.Asset.Registry
	}
	return Reference{Name: r.Name, Version: v, Registry: reg, Type: r.Type}
}

// AssetLabel returns the label r selects as an asset of kind, and whether it
// selects one.
func (r Reference) AssetLabel(kind string) (AssetLabel, bool) {
	if !r.IsLabel() {
		return AssetLabel{}, false
	}
	reg := r.Registry
	if reg == "" && kind == EnvironmentAsset && strings.HasPrefix(r.Name, curatedPrefix) {
		reg = CuratedRegistry
	}
	return AssetLabel{Kind: kind, Registry: reg, Name: r.Name, Label: r.Label, Version: r.Resolved()}, true
}

// LabelField is a field of a deployment that selects an asset by label.
type LabelField struct {
	// Path is the field: model, environment or code_configuration.code.
	Path  string
	Label AssetLabel
}

// Labels lists the fields of d that select an asset by label, in the order
// of the fields: model, code, environment. Code is listed with kind code,
// which no backend resolves: the service's CLI takes code by version only.
func (d *Deployment) Labels() []LabelField {
	if !d.usesLabels() {
		return nil
	}
	var out []LabelField
	for _, f := range [...]struct {
		path, kind string
		r          Reference
	}{
		{"model", ModelAsset, d.Model},
		{"code_configuration.code", CodeAsset, d.CodeConfiguration.Code},
		{"environment", EnvironmentAsset, d.Environment.Reference},
	} {
		if l, ok := f.r.AssetLabel(f.kind); ok {
			out = append(out, LabelField{Path: f.path, Label: l})
		}
	}
	return out
}

// usesLabels reports whether a field of d may select an asset by label,
// before the fields are copied to find out.
func (d *Deployment) usesLabels() bool {
	return d.Model.Label != "" || d.CodeConfiguration.Code.Label != "" || d.Environment.Label != ""
}

// UsesLabels reports whether a deployment of e selects an asset by label.
func (e *Endpoint) UsesLabels() bool {
	for i := range e.Deployments {
		if len(e.Deployments[i].Labels()) > 0 {
			return true
		}
	}
	return false
}

// ref returns the reference of d at a path that [Deployment.Labels] lists.
func (d *Deployment) ref(path string) *Reference {
	switch path {
	case "model":
		return &d.Model
	case "code_configuration.code":
		return &d.CodeConfiguration.Code
	case "environment":
		return &d.Environment.Reference
	}
	return nil
}

// WithLabels returns d with each label that [Deployment.Labels] lists
// resolved by version, which returns the version the label points at, or ""
// to leave the field unresolved. d is not modified.
func (d Deployment) WithLabels(version func(LabelField) string) Deployment {
	for _, f := range d.Labels() {
		if v := version(f); v != "" {
			r := d.ref(f.Path)
			*r = r.WithVersion(v)
			if r.Registry == "" {
				r.Asset.Registry = f.Label.Registry // a curated environment's
			}
		}
	}
	return d
}

// Pinned returns d with every resolved label replaced by the version it
// resolved to ([Reference.Pinned]): the deployment as the service's CLI
// writes it.
func (d Deployment) Pinned() Deployment {
	d.Model = d.Model.Pinned()
	d.CodeConfiguration.Code = d.CodeConfiguration.Code.Pinned()
	d.Environment.Reference = d.Environment.Reference.Pinned()
	return d
}

// moved describes how the resolved label b selects another version of the
// asset than the version a names, or "" when it does not: "azureml:m@latest
// moved from 7 to 8".
func moved(a, b Reference) string {
	v := b.Resolved()
	p := a.Pinned()
	if v == "" || p.Version == "" || p.Version == v || p.Name != b.Name || p.Registry != b.Pinned().Registry {
		return ""
	}
	b.Asset = Asset{}
	return b.String() + " moved from " + p.Version + " to " + v
}

// LabelsMoved describes, for each field whose label in after selects
// another version than before uses, how it moved, in the order of the
// fields: "azureml:taxi-model@latest moved from 7 to 8". It is empty when
// no label moved.
func LabelsMoved(before, after *Deployment) []string {
	if before == nil || after == nil {
		return nil
	}
	var out []string
	for _, f := range after.Labels() {
		if s := moved(*before.ref(f.Path), *after.ref(f.Path)); s != "" {
			out = append(out, f.Path+": "+s)
		}
	}
	return out
}
