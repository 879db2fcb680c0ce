package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

// ErrFormat is matched (with errors.Is) by every error of [Decode] about a
// document that is not a plan this package can read: a missing or unknown
// format_version, an unknown field or action, a broken dependency.
var ErrFormat = errors.New("plan: not a plan in JSON format version 1 or 2")

// stepJSON is the wire form of a [Step]. The resource specs are raw so that
// they can be decoded into the type the action calls for.
type stepJSON struct {
	ID                  string               `json:"id"`
	Action              Action               `json:"action"`
	Endpoint            string               `json:"endpoint"`
	Deployment          string               `json:"deployment,omitempty"`
	DependsOn           []string             `json:"depends_on"`
	Gate                string               `json:"gate,omitempty"`
	Asset               *endpoint.LocalAsset `json:"asset,omitempty"`
	Before              json.RawMessage      `json:"before,omitempty"`
	After               json.RawMessage      `json:"after,omitempty"`
	TrafficBefore       *traffic.Split       `json:"traffic_before,omitempty"`
	MirrorTrafficBefore *traffic.Split       `json:"mirror_traffic_before,omitempty"`
	Traffic             *traffic.Split       `json:"traffic,omitempty"`
	MirrorTraffic       *traffic.Split       `json:"mirror_traffic,omitempty"`
	Changes             []endpoint.Change    `json:"changes"`
	Reason              string               `json:"reason,omitempty"`
}

// planJSON is the wire form of a [Plan]: the same fields, under another
// name so that encoding it does not recurse into [Plan.MarshalJSON].
type planJSON struct {
	FormatVersion      int                   `json:"format_version"`
	Fingerprint        string                `json:"fingerprint"`
	DesiredFingerprint string                `json:"desired_fingerprint,omitempty"`
	Labels             []endpoint.AssetLabel `json:"labels,omitempty"`
	Strategy           string                `json:"strategy"`
	Steps              []Step                `json:"steps"`
	Summary            Summary               `json:"summary"`
}

// MarshalJSON encodes the plan in format version 2 (see the package
// documentation). It always writes [FormatVersion], whatever the field
// holds, because the bytes it writes are in that format.
func (p Plan) MarshalJSON() ([]byte, error) {
	w := planJSON{
		FormatVersion:      FormatVersion,
		Fingerprint:        p.Fingerprint,
		DesiredFingerprint: p.DesiredFingerprint,
		Labels:             p.Labels,
		Strategy:           p.Strategy,
		Steps:              p.Steps,
		Summary:            p.Summary,
	}
	if w.Steps == nil {
		w.Steps = []Step{}
	}
	return marshal(w)
}

// UnmarshalJSON decodes a plan with the checks of [Decode].
func (p *Plan) UnmarshalJSON(data []byte) error {
	var head struct {
		FormatVersion *int `json:"format_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("%w: %w", ErrFormat, err)
	}
	switch {
	case head.FormatVersion == nil:
		return fmt.Errorf("%w: format_version is missing", ErrFormat)
	case *head.FormatVersion < 1 || *head.FormatVersion > FormatVersion:
		return fmt.Errorf("%w: format_version is %d; this reader knows 1 to %d (a newer rollout wrote it?)", ErrFormat, *head.FormatVersion, FormatVersion)
	}
	var w planJSON
	if err := strict(data, &w); err != nil {
		return err
	}
	if w.FormatVersion == 1 && w.DesiredFingerprint != "" {
		return fmt.Errorf("%w: desired_fingerprint is not a field of format_version 1", ErrFormat)
	}
	if err := (&Plan{Steps: w.Steps}).CheckGraph(); err != nil {
		return fmt.Errorf("%w: %w", ErrFormat, err)
	}
	for i := range w.Steps {
		if msg := w.Steps[i].mismatch(); msg != "" {
			return fmt.Errorf("%w: %s", ErrFormat, msg)
		}
	}
	*p = Plan(w)
	return nil
}

// Decode reads a plan written by [Plan.MarshalJSON] or [WriteJSON], such as
// a saved plan file. It refuses what it cannot read exactly rather than
// guess: a format_version other than 1 or 2, fields it does not know (a newer writer's
// additions might change what a step means), unknown actions, resource specs
// on steps that take none, a step that writes the endpoint without one of
// its four splits, a step whose spec names another endpoint or
// deployment than the step does, duplicate step ids, and dependencies that
// do not name an earlier step. Every such error matches [ErrFormat].
//
// A plan of format version 1 reads back with that FormatVersion and no
// DesiredFingerprint: it can be applied, but not checked against the
// specs it was computed for.
//
// Secret values were redacted when the plan was written, so they read back
// as [endpoint.Redacted].
func Decode(data []byte) (*Plan, error) {
	p := new(Plan)
	if err := p.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	return p, nil
}

// WriteJSON writes the plan as indented JSON in format version 2, with a
// final newline, the way the rollout command prints it.
func WriteJSON(w io.Writer, p *Plan) error {
	data, err := p.MarshalJSON()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, data, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err = w.Write(buf.Bytes())
	return err
}

// MarshalJSON encodes the step in the current format version: the resource specs as
// before and after under their YAML field names (an endpoint without its
// deployments), the splits as objects from deployment name to percent, and
// secret values redacted.
func (s Step) MarshalJSON() ([]byte, error) {
	w := stepJSON{
		ID:         s.ID,
		Action:     s.Action,
		Endpoint:   s.Endpoint,
		Deployment: s.Deployment,
		DependsOn:  s.DependsOn,
		Gate:       s.Gate,
		Asset:      s.Asset,
		Changes:    redactChanges(s.Changes),
		Reason:     s.Reason,
	}
	if w.DependsOn == nil {
		w.DependsOn = []string{}
	}
	if w.Changes == nil {
		w.Changes = []endpoint.Change{}
	}
	var err error
	if w.Before, err = marshalSpec(s.EndpointBefore, s.DeploymentBefore); err != nil {
		return nil, err
	}
	if w.After, err = marshalSpec(s.EndpointAfter, s.DeploymentAfter); err != nil {
		return nil, err
	}
	// The four splits are always written for the steps that write the
	// endpoint, where an empty split ({}: dark, or no mirror) is itself
	// the news; other steps carry them only if they were set, so that
	// decoding gives back what was encoded.
	always := writesEndpoint(s.Action)
	w.TrafficBefore = splitField(s.TrafficBefore, always)
	w.MirrorTrafficBefore = splitField(s.MirrorBefore, always)
	w.Traffic = splitField(s.Traffic, always)
	w.MirrorTraffic = splitField(s.Mirror, always)
	return marshal(w)
}

// UnmarshalJSON decodes a step of format version 1 or 2, which write steps
// alike. Unknown fields and
// actions are errors; see [Decode].
func (s *Step) UnmarshalJSON(data []byte) error {
	var w stepJSON
	if err := strict(data, &w); err != nil {
		return err
	}
	if !knownAction(w.Action) {
		return fmt.Errorf("%w: step %q: unknown action %q", ErrFormat, w.ID, w.Action)
	}
	out := Step{
		ID:         w.ID,
		Action:     w.Action,
		Endpoint:   w.Endpoint,
		Deployment: w.Deployment,
		Gate:       w.Gate,
		Asset:      w.Asset,
		Reason:     w.Reason,
	}
	if (w.Action == RegisterAsset) != (w.Asset != nil) {
		return fmt.Errorf("%w: step %q: a register_asset step, and only such a step, has an asset", ErrFormat, w.ID)
	}
	if len(w.DependsOn) > 0 {
		out.DependsOn = w.DependsOn
	}
	if len(w.Changes) > 0 {
		out.Changes = w.Changes
	}
	for _, f := range []struct {
		src *traffic.Split
		dst *traffic.Split
	}{
		{w.TrafficBefore, &out.TrafficBefore},
		{w.MirrorTrafficBefore, &out.MirrorBefore},
		{w.Traffic, &out.Traffic},
		{w.MirrorTraffic, &out.Mirror},
	} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		ep   **endpoint.Endpoint
		dep  **endpoint.Deployment
	}{
		{"before", w.Before, &out.EndpointBefore, &out.DeploymentBefore},
		{"after", w.After, &out.EndpointAfter, &out.DeploymentAfter},
	} {
		if len(f.raw) == 0 || string(f.raw) == "null" {
			continue
		}
		var err error
		switch {
		case endpointAction(w.Action):
			*f.ep = new(endpoint.Endpoint)
			err = strict(f.raw, *f.ep)
		case deploymentAction(w.Action):
			*f.dep = new(endpoint.Deployment)
			err = strict(f.raw, *f.dep)
		default:
			err = fmt.Errorf("%w: a %s step has no %s", ErrFormat, w.Action, f.name)
		}
		if err != nil {
			return fmt.Errorf("step %q: %s: %w", w.ID, f.name, err)
		}
	}
	if writesEndpoint(w.Action) {
		// The step writes the full splits: one left out would read as
		// {} and take the endpoint dark or drop its mirror.
		for _, f := range []struct {
			name  string
			split *traffic.Split
		}{{"traffic_before", w.TrafficBefore}, {"mirror_traffic_before", w.MirrorTrafficBefore}, {"traffic", w.Traffic}, {"mirror_traffic", w.MirrorTraffic}} {
			if f.split == nil {
				return fmt.Errorf("%w: step %q: a %s step has no %s; it always carries the full live and mirror splits", ErrFormat, w.ID, w.Action, f.name)
			}
		}
	}
	*s = out
	return nil
}

// strict decodes one JSON value into v, refusing unknown fields and
// trailing data.
func strict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, ErrFormat) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: unexpected data after the value", ErrFormat)
	}
	return nil
}

// marshal encodes v without escaping <, > and &, which appear in reasons
// and would be unreadable as \u003c in a plan meant for people too.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// marshalSpec encodes whichever of the two specs is set, redacted, or
// nothing when neither is.
func marshalSpec(e *endpoint.Endpoint, d *endpoint.Deployment) (json.RawMessage, error) {
	switch {
	case e != nil:
		return marshal(endpointSpec(e))
	case d != nil:
		return marshal(deploymentSpec(d))
	}
	return nil, nil
}

// endpointSpec is the endpoint's own spec: its deployments are resources of
// their own with steps of their own.
func endpointSpec(e *endpoint.Endpoint) *endpoint.Endpoint {
	c := *e
	c.Deployments = nil
	return &c
}

// deploymentSpec returns d, ready to encode, with the values of
// secret-looking environment variables replaced by [endpoint.Redacted]; d
// itself is not modified.
func deploymentSpec(d *endpoint.Deployment) *endpoint.Deployment {
	c := *d
	for name := range d.EnvironmentVariables {
		if endpoint.IsSecretName(name) {
			c.EnvironmentVariables = redactEnv(d.EnvironmentVariables)
			break
		}
	}
	return &c
}

func redactEnv(env map[string]string) map[string]string {
	out := make(map[string]string, len(env))
	for name, v := range env {
		if endpoint.IsSecretName(name) {
			v = endpoint.Redacted
		}
		out[name] = v
	}
	return out
}

// redactChanges makes sure no change to a secret-looking environment
// variable carries its value, whoever built the change: a leak here ends
// up in pull-request comments and CI logs.
func redactChanges(cs []endpoint.Change) []endpoint.Change {
	var out []endpoint.Change
	for i, c := range cs {
		if c.Sensitive || !isSecretPath(c.Path) {
			continue
		}
		if out == nil {
			out = append([]endpoint.Change(nil), cs...)
		}
		out[i] = redactChange(c)
	}
	if out == nil {
		return cs
	}
	return out
}

func redactChange(c endpoint.Change) endpoint.Change {
	if !unset(c.Before) {
		c.Before = endpoint.Redacted
	}
	if !unset(c.After) {
		c.After = endpoint.Redacted
	}
	c.Sensitive = true
	return c
}

// isSecretPath reports whether a change path names an environment variable
// whose value must not be shown.
func isSecretPath(path string) bool {
	name, ok := strings.CutPrefix(path, "environment_variables.")
	return ok && endpoint.IsSecretName(name)
}

func splitField(s traffic.Split, always bool) *traffic.Split {
	if always || !s.IsZero() {
		return &s
	}
	return nil
}

// writesEndpoint reports whether the step writes the endpoint resource, and
// so sends its full live and mirror splits.
func writesEndpoint(a Action) bool {
	return a == SetTraffic || a == CreateEndpoint || a == UpdateEndpoint
}

func knownAction(a Action) bool {
	switch a {
	case CreateEndpoint, UpdateEndpoint, DeleteEndpoint,
		CreateDeployment, UpdateDeployment, DeleteDeployment,
		SetTraffic, Gate, RegisterAsset:
		return true
	}
	return false
}

func endpointAction(a Action) bool {
	return a == CreateEndpoint || a == UpdateEndpoint || a == DeleteEndpoint
}

func deploymentAction(a Action) bool {
	return a == CreateDeployment || a == UpdateDeployment || a == DeleteDeployment
}
