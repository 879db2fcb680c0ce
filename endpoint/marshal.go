package endpoint

import (
	"bytes"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/rolloutkit/rollout/traffic"
)

// Marshal writes e as one canonical endpoint file in today's field names,
// with its deployments inside as a list:
//
//   - fields in the order of the model (name, description, tags, ...,
//     traffic, mirror_traffic, deployments), deployments in the order of
//     e.Deployments, map keys sorted, indented by two spaces;
//   - only fields that are set; a data collection always states enabled
//     and its sampling_rate, and target_utilization scaling its
//     min_instances, 0 included, since absent they load as defaults;
//   - references in their one-line form (azureml:model-1:1, a path, an ARM
//     id, a registry URI with the asset kind) when that form reads back to
//     the same reference, and otherwise as a mapping (name, version, path,
//     type), as the service's CLI writes an inline asset;
//   - user-assigned identities as a list of {resource_id: ID}, the
//     service's own form;
//   - Status is left out: it is what the service reports, not a spec.
//
// The same spec always gives the same bytes. For a valid, normalized
// endpoint (see [Normalize]), loading the output gives back an equal
// endpoint ([Equal]). Marshal writes environment variable values as they
// are, secrets included: the output is a spec, to be stored where the spec
// was.
//
// A reference that neither form can hold (a model chosen by label with a
// model type; a code reference with a type; an inline environment whose
// name comes with a label, a registry or an ARM id) is an error, and so is
// a nil endpoint. Errors match [ErrInvalid].
func Marshal(e *Endpoint) ([]byte, error) {
	if e == nil {
		return nil, ErrorList{{Msg: "no endpoint to marshal"}}.Err()
	}
	var w writer
	root := w.endpoint(e)
	if err := w.errs.Err(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writer builds the yaml.Node tree of a spec and collects the references
// it cannot write.
type writer struct {
	errs ErrorList
}

// mapping is a YAML mapping under construction; its add methods skip
// values that are not set.
type mapping struct{ n *yaml.Node }

func newMapping() mapping { return mapping{&yaml.Node{Kind: yaml.MappingNode}} }

func (m mapping) node(key string, v *yaml.Node) {
	if v == nil {
		return
	}
	m.n.Content = append(m.n.Content, text(key), v)
}

// sub adds a nested mapping unless it is empty.
func (m mapping) sub(key string, v mapping) {
	if len(v.n.Content) > 0 {
		m.node(key, v.n)
	}
}

func (m mapping) str(key, v string) {
	if v != "" {
		m.node(key, text(v))
	}
}

func (m mapping) int(key string, v int) {
	if v != 0 {
		m.node(key, scalar("!!int", strconv.Itoa(v)))
	}
}

func (m mapping) bool(key string, v bool) {
	if v {
		m.node(key, scalar("!!bool", "true"))
	}
}

func (m mapping) float(key string, v float64) {
	if v != 0 {
		m.node(key, floatNode(v))
	}
}

// floatNode is the node of a number such as a sampling rate.
func floatNode(v float64) *yaml.Node { return scalar("!!float", strconv.FormatFloat(v, 'g', -1, 64)) }

// strMap adds a mapping of strings with its keys sorted.
func (m mapping) strMap(key string, v map[string]string) {
	if len(v) == 0 {
		return
	}
	sub := newMapping()
	for _, k := range orderedKeys(v) {
		sub.node(k, text(v[k]))
	}
	m.node(key, sub.n)
}

func scalar(tag, v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v}
}

// text is a string scalar. Strings with line breaks, tabs, other
// unprintable characters or white space at either end are double-quoted
// with escapes: the encoder's block styles for them do not always read
// back to the same string (a tab first in a literal block is an
// indentation error), and a quoted string shows what is there.
func text(s string) *yaml.Node {
	n := scalar("!!str", s)
	if s != strings.TrimSpace(s) || strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

func (w *writer) endpoint(e *Endpoint) *yaml.Node {
	m := newMapping()
	writeAttrs(w, endpointAttrs, m, "", e)
	return m.n
}

func (w *writer) deployment(d *Deployment) *yaml.Node {
	m := newMapping()
	writeAttrs(w, deploymentAttrs, m, "deployments["+d.Name+"]", d)
	return m.n
}

// splitMapping writes a split as deployment: percent, in name order.
func splitMapping(s traffic.Split) mapping {
	m := newMapping()
	for name, p := range s.All() {
		m.int(name, p)
	}
	return m
}

func routeMapping(r Route) mapping {
	m := newMapping()
	m.str("path", r.Path)
	m.int("port", r.Port)
	return m
}

func (w *writer) dataCollector(p string, dc *DataCollector) mapping {
	m := newMapping()
	if len(dc.Collections) > 0 {
		cs := newMapping()
		for _, name := range orderedKeys(dc.Collections) {
			c := dc.Collections[name]
			cm := newMapping()
			cm.node("enabled", scalar("!!bool", strconv.FormatBool(c.Enabled)))
			cm.node("data", w.ref(p+".collections."+name+".data", c.Data, "data", true, false))
			cm.str("client_id", c.ClientID)
			// Written even when 0: absent, it would load as 1.
			cm.node("sampling_rate", floatNode(c.SamplingRate))
			cs.node(name, cm.n)
		}
		m.node("collections", cs.n)
	}
	m.float("sampling_rate", dc.SamplingRate)
	m.str("rolling_rate", dc.RollingRate)
	if rl := dc.RequestLogging; rl != nil && len(rl.CaptureHeaders) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, h := range rl.CaptureHeaders {
			seq.Content = append(seq.Content, text(h))
		}
		lm := newMapping()
		lm.node("capture_headers", seq)
		m.node("request_logging", lm.n)
	}
	return m
}

// ref writes a reference in its one-line form when that form reads back
// to the same reference, else as a mapping, if the field has one: typed
// fields (model) take name, version, path and type, others (collected
// data) name, version and path. kind is the asset kind a registry URI
// names.
func (w *writer) ref(p string, r Reference, kind string, object, typed bool) *yaml.Node {
	r.Asset = Asset{} // found by loading or observing; never written
	if r.IsZero() {
		return nil
	}
	if s, ok := oneLine(r, kind); ok {
		return text(s)
	}
	switch {
	case !object:
		w.errs.Add(Pos{}, p, "reference %s cannot be written: this field takes only the one-line form of a reference", r)
		return nil
	case r.Label != "" || r.Registry != "" || r.ID != "" || (r.Type != "" && !typed):
		keys := "name, version and path"
		if typed {
			keys = "name, version, path and type"
		}
		w.errs.Add(Pos{}, p, "reference %s cannot be written: its one-line form cannot hold it, and the mapping form has only %s", r, keys)
		return nil
	}
	m := newMapping()
	m.str("name", r.Name)
	m.str("version", r.Version)
	m.str("path", r.Path)
	m.str("type", r.Type)
	return m.n
}

// oneLine returns the one-line form of r, with the asset kind in a
// registry URI as the service's CLI writes it, when it reads back to r.
func oneLine(r Reference, kind string) (string, bool) {
	if r.Type != "" {
		return "", false
	}
	s := r.String()
	if r.Registry != "" && r.ID == "" && r.Path == "" {
		s = strings.Replace(s, "azureml://registries/"+r.Registry+"/", "azureml://registries/"+r.Registry+"/"+kind+"/", 1)
	}
	back, err := ParseReference(s)
	return s, err == nil && back == r
}

// environment writes a registered environment as a reference and an
// inline one as a mapping.
func (w *writer) environment(p string, env Environment) *yaml.Node {
	env.Reference.Asset = Asset{}
	inline := env.Image != "" || env.CondaFile != "" || env.Build != (Build{}) ||
		env.InferenceConfig != (InferenceConfig{}) || env.OSType != "" || env.Path != ""
	if !inline {
		if env.Reference.IsZero() {
			return nil
		}
		if s, ok := oneLine(env.Reference, "environments"); ok {
			return text(s)
		}
	}
	r := env.Reference
	if r.Label != "" || r.Registry != "" || r.ID != "" || r.Type != "" {
		w.errs.Add(Pos{}, p, "environment %s cannot be written: an inline environment is named by name and version only", r)
		return nil
	}
	m := newMapping()
	m.str("name", r.Name)
	m.str("version", r.Version)
	m.str("path", r.Path)
	m.str("image", env.Image)
	m.str("conda_file", env.CondaFile)
	bm := newMapping()
	bm.str("path", env.Build.Path)
	bm.str("dockerfile_path", env.Build.DockerfilePath)
	m.sub("build", bm)
	ic := newMapping()
	ic.sub("liveness_route", routeMapping(env.InferenceConfig.LivenessRoute))
	ic.sub("readiness_route", routeMapping(env.InferenceConfig.ReadinessRoute))
	ic.sub("scoring_route", routeMapping(env.InferenceConfig.ScoringRoute))
	m.sub("inference_config", ic)
	m.str("os_type", env.OSType)
	return m.n
}
