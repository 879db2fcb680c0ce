package endpoint

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// None is how a change shows a field that is not set: an empty string, a
// zero number, a map entry that is absent, an empty list or an empty
// reference.
const None = "(none)"

// Change is one field that differs between two versions of a resource.
// Before and After are printable values, with secrets already redacted.
//
// Values are shown compactly and unambiguously: strings quoted as Go
// literals ("Standard_F2s_v2", so an empty value or trailing space is
// visible), numbers in decimal, booleans as true and false, references in
// their one-line form ([Reference.String], e.g. azureml:model-1:1), lists as
// ["a", "b"], and a field that is not set as [None]. Tags without entries
// show whether they are written: not written as [None], written empty
// (tags: {}) as {}.
type Change struct {
	// Path is the field in YAML names, e.g. scale_settings.max_instances or
	// environment_variables.API_KEY.
	Path   string `json:"path"`
	Before string `json:"before"`
	After  string `json:"after"`
	// Sensitive is set when the values were redacted.
	Sensitive bool `json:"sensitive,omitempty"`
}

// String formats the change as `path: before → after`.
func (c Change) String() string {
	return c.Path + ": " + c.Before + " → " + c.After
}

// DiffEndpoint lists the fields of the endpoint itself that differ from a to
// b: name, description, tags, properties, auth_mode, compute, identity and
// public_network_access, in that order (the order of the fields in the
// model), with the entries of a map in key order. Deployments and traffic
// are left out: a plan adds, removes and updates deployments and moves
// traffic as steps of their own (use [DiffDeployment] for each deployment).
// A nil endpoint compares as an empty one. The result is nil when nothing
// differs.
func DiffEndpoint(a, b *Endpoint) []Change {
	if a == nil {
		a = &Endpoint{}
	}
	if b == nil {
		b = &Endpoint{}
	}
	if endpointSettingsEqual(a, b) {
		return nil
	}
	var d differ
	diffAttrs(&d, endpointAttrs, "", a, b)
	return d.changes
}

// DiffDeployment lists the fields that differ from a to b, in the order of
// the fields in the model, with the entries of a map in key order. Status is
// left out. The values of environment variables whose names look secret
// (see [IsSecretName]) are shown as [Redacted] on both sides, with
// Sensitive set. The result is nil when nothing differs.
func DiffDeployment(a, b Deployment) []Change {
	// Comparing first keeps the common case, nothing changed, free of
	// the copies that walking the table makes.
	if deploymentEqual(&a, &b, &varNames{}) {
		return nil
	}
	// The table's functions take pointers, which would move a, b and
	// the differ to the heap on every call; the walk uses reused storage.
	s := deploymentDiffs.Get().(*deploymentDiff)
	s.a, s.b = a, b
	diffAttrs(&s.d, deploymentAttrs, "", &s.a, &s.b)
	changes := s.d.changes
	*s = deploymentDiff{}
	deploymentDiffs.Put(s)
	return changes
}

// deploymentDiff is the storage of one DiffDeployment.
type deploymentDiff struct {
	a, b Deployment
	d    differ
}

var deploymentDiffs = sync.Pool{New: func() any { return new(deploymentDiff) }}

// differ collects changes. Paths of nested fields are passed as a prefix
// and a name and joined only when the field differs, so that comparing
// equal values allocates nothing.
type differ struct {
	changes []Change
}

func (d *differ) add(prefix, name, before, after string) {
	path := name
	if prefix != "" {
		path = prefix + "." + name
	}
	d.changes = append(d.changes, Change{Path: path, Before: before, After: after})
}

func (d *differ) str(path, a, b string) { d.str2("", path, a, b) }

func (d *differ) str2(prefix, name, a, b string) {
	if a != b {
		d.add(prefix, name, showString(a), showString(b))
	}
}

func (d *differ) int2(prefix, name string, a, b int) {
	if a != b {
		d.add(prefix, name, showInt(a), showInt(b))
	}
}

func (d *differ) bool2(prefix, name string, a, b bool) {
	if a != b {
		d.add(prefix, name, strconv.FormatBool(a), strconv.FormatBool(b))
	}
}

func (d *differ) float2(prefix, name string, a, b float64) {
	if a != b {
		d.add(prefix, name, showFloat(a), showFloat(b))
	}
}

func (d *differ) list(path string, a, b []string) {
	if !slices.Equal(a, b) {
		d.add("", path, showList(a), showList(b))
	}
}

// ref records a changed reference as one change in its one-line form. The
// model format (Type) is not part of that form and gets a change of its own;
// so do the parts of two references whose one-line forms coincide (an ARM id
// hides the other fields), so that no difference goes unreported.
// Equal fields, which most references compared have, show no change.
func (d *differ) ref(path string, pa, pb *Reference) {
	if *pa == *pb {
		return
	}
	a, b := *pa, *pb
	if sameLocal(a, b) {
		return
	}
	ta, tb := a.Type, b.Type
	a.Type, b.Type = "", ""
	if !SameAsset(a, b) {
		sa, sb := showRef(a), showRef(b)
		if sa != sb {
			d.add("", path, sa, sb)
		} else {
			d.str2(path, "name", a.Name, b.Name)
			d.str2(path, "version", a.Version, b.Version)
			d.str2(path, "label", a.Label, b.Label)
			d.str2(path, "registry", a.Registry, b.Registry)
			d.str2(path, "id", a.ID, b.ID)
			d.str2(path, "path", a.Path, b.Path)
		}
	}
	d.str2(path, "type", ta, tb)
}

func (d *differ) environment(a, b *Environment) {
	if *a == *b || sameInline(*a, *b) {
		return
	}
	d.ref("environment", &a.Reference, &b.Reference)
	d.str2("environment", "image", a.Image, b.Image)
	d.str2("environment", "conda_file", a.CondaFile, b.CondaFile)
	d.str2("environment.build", "path", a.Build.Path, b.Build.Path)
	d.str2("environment.build", "dockerfile_path", a.Build.DockerfilePath, b.Build.DockerfilePath)
	d.route("environment.inference_config.liveness_route", a.InferenceConfig.LivenessRoute, b.InferenceConfig.LivenessRoute)
	d.route("environment.inference_config.readiness_route", a.InferenceConfig.ReadinessRoute, b.InferenceConfig.ReadinessRoute)
	d.route("environment.inference_config.scoring_route", a.InferenceConfig.ScoringRoute, b.InferenceConfig.ScoringRoute)
	d.str2("environment", "os_type", a.OSType, b.OSType)
}

func (d *differ) route(prefix string, a, b Route) {
	d.str2(prefix, "path", a.Path, b.Path)
	d.int2(prefix, "port", a.Port, b.Port)
}

func (d *differ) dataCollector(pa, pb *DataCollector) {
	var a, b DataCollector
	if pa != nil {
		a = *pa
	}
	if pb != nil {
		b = *pb
	}
	if !maps.Equal(a.Collections, b.Collections) {
		for _, name := range unionKeys(a.Collections, b.Collections) {
			ca, cb := a.Collections[name], b.Collections[name]
			prefix := "data_collector.collections." + name
			d.bool2(prefix, "enabled", ca.Enabled, cb.Enabled)
			d.ref(prefix+".data", &ca.Data, &cb.Data)
			d.str2(prefix, "client_id", ca.ClientID, cb.ClientID)
			d.float2(prefix, "sampling_rate", ca.SamplingRate, cb.SamplingRate)
		}
	}
	d.float2("data_collector", "sampling_rate", a.SamplingRate, b.SamplingRate)
	d.str2("data_collector", "rolling_rate", a.RollingRate, b.RollingRate)
	var ha, hb []string
	if a.RequestLogging != nil {
		ha = a.RequestLogging.CaptureHeaders
	}
	if b.RequestLogging != nil {
		hb = b.RequestLogging.CaptureHeaders
	}
	d.list("data_collector.request_logging.capture_headers", ha, hb)
}

// strMap records one change per key whose value differs, in key order.
// When secret reports a key as sensitive, both values are [Redacted]: even
// an absent side is hidden, so that the change alone never tells whether a
// secret was set.
func (d *differ) strMap(prefix string, a, b map[string]string, secret func(string) bool) {
	if maps.Equal(a, b) {
		return
	}
	for _, k := range unionKeys(a, b) {
		va, oka := a[k]
		vb, okb := b[k]
		if oka == okb && va == vb {
			continue
		}
		if secret != nil && secret(k) {
			d.changes = append(d.changes, Change{Path: prefix + "." + k, Before: Redacted, After: Redacted, Sensitive: true})
			continue
		}
		d.add(prefix, k, showEntry(va, oka), showEntry(vb, okb))
	}
}

// unionKeys returns the keys of a and b, sorted and without duplicates.
func unionKeys[V any](a, b map[string]V) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func showString(s string) string {
	if s == "" {
		return None
	}
	return strconv.Quote(s)
}

// showEntry shows a map value; unlike a field, an entry that is present
// with an empty value is set, and shows as "".
func showEntry(v string, ok bool) string {
	if !ok {
		return None
	}
	return strconv.Quote(v)
}

func showInt(n int) string {
	if n == 0 {
		return None
	}
	return strconv.Itoa(n)
}

func showFloat(f float64) string {
	if f == 0 {
		return None
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func showRef(r Reference) string {
	if r.IsZero() {
		return None
	}
	return showAsset(r, r.String())
}

func showList(l []string) string {
	if len(l) == 0 {
		return None
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range l {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(s))
	}
	b.WriteByte(']')
	return b.String()
}
