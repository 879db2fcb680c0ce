package gen

import (
	"slices"
	"strconv"
	"strings"

	"pgregory.net/rapid"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

// Pair is the input of a planner: the desired state a user wrote and the
// actual state the service reports.
type Pair struct {
	Desired, Actual []*endpoint.Endpoint
}

// MaxEdits is the most edits that turn the actual state into the desired
// one in a generated [Pair].
const MaxEdits = 5

// The edits [Pairs] makes, repeated to weight them: traffic moves and the
// changes of a rollout (new deployment, new model) are the common ones.
var edits = []string{
	"add_deployment", "add_deployment", "remove_deployment", "remove_deployment",
	"shift_traffic", "shift_traffic", "shift_traffic",
	"scale", "scale", "change_model", "change_model", "change_environment", "change_variables",
	"change_instance_type", "add_mirror", "add_mirror", "remove_mirror",
	"add_endpoint", "remove_endpoint", "change_endpoint", "change_compute", "change_kind", "change_deployment_tags",
}

// Pairs generates (desired, actual) pairs. The actual state is drawn as by
// [Actual]; the desired one is the same specs as a user writes them, changed
// by up to [MaxEdits] realistic edits (add or remove a deployment, shift
// traffic, scale, change the model, environment or variables, change the
// instance type, add or remove a mirror, add, remove or change an
// endpoint, move a Kubernetes endpoint to another compute, move an endpoint
// between managed and Kubernetes), so both are valid and the pair is
// close, as in a real rollout. No edits at all is common: then the desired
// state means the actual one.
//
// The desired state is written the way users write it, which differs from
// what the service reports without meaning anything else: server defaults
// left out, enumerations in other cases (auth_mode: Key), and now and then
// an endpoint name in another case than the service's (endpoint names are
// case-insensitive). Both lists come in an arbitrary order, and so do the
// deployments inside each endpoint: a planner must not depend on the order
// of its inputs.
func Pairs() *rapid.Generator[Pair] {
	return rapid.Custom(func(t *rapid.T) Pair {
		written, actual := drawActual(t)
		desired := written
		for i, n := 0, rapid.IntRange(atLeastOne(t, "no_edits"), MaxEdits).Draw(t, "edits"); i < n; i++ {
			desired = edit(t, rapid.SampledFrom(edits).Draw(t, "edit"), desired, actual)
		}
		for _, e := range desired {
			respell(t, e)
		}
		return Pair{Desired: shuffle(t, desired, "desired"), Actual: shuffle(t, actual, "actual")}
	})
}

// SettledPairs generates pairs as [Pairs] does, keeping those whose actual
// state is [Settled]: nothing failed, nothing in flight. Properties that
// hold only then (a plan is exactly minimal; a planner refuses only what
// the safety rules forbid) draw from it.
func SettledPairs() *rapid.Generator[Pair] {
	return Pairs().Filter(func(p Pair) bool { return Settled(p.Actual) })
}

// respell sometimes writes e the way users do: an enumeration in another
// case, a default left out, the endpoint's name in another case.
func respell(t *rapid.T, e *endpoint.Endpoint) {
	if rapid.IntRange(0, 9).Draw(t, "respell_name") == 0 {
		e.Name = rapid.SampledFrom([]func(string) string{strings.ToUpper, strings.ToLower, capitalize}).Draw(t, "name_case")(e.Name)
	}
	if rapid.IntRange(0, 3).Draw(t, "respell") != 0 {
		return
	}
	e.AuthMode = endpoint.AuthMode(spelling(t, "auth_mode", string(e.AuthMode), string(endpoint.AuthKey)))
	e.PublicNetworkAccess = endpoint.Access(spelling(t, "public_network_access", string(e.PublicNetworkAccess), string(endpoint.Enabled)))
	for i := range e.Deployments {
		d := &e.Deployments[i]
		d.Type = endpoint.Kind(spelling(t, "type", string(d.Type), string(e.Kind())))
	}
}

// spelling returns v as written in another case, or left out when it is
// the default def.
func spelling(t *rapid.T, label, v, def string) string {
	switch rapid.IntRange(0, 2).Draw(t, label) {
	case 0:
		if v == def {
			return ""
		}
	case 1:
		return capitalize(v)
	}
	return strings.ToUpper(v)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// shuffle permutes the endpoints and the deployments of each one.
func shuffle(t *rapid.T, eps []*endpoint.Endpoint, label string) []*endpoint.Endpoint {
	eps = rapid.Permutation(eps).Draw(t, label+"_order")
	for _, e := range eps {
		e.Deployments = rapid.Permutation(e.Deployments).Draw(t, label+"_deployment_order")
	}
	return eps
}

// edit applies one named edit to the desired endpoints and returns them.
// An edit that does not apply (nothing to remove, no mirror to drop) leaves
// them as they are. New names differ, ignoring case, from every name in
// both states: the service matches names case-insensitively, and a new
// resource must not be taken for an old one spelled differently.
func edit(t *rapid.T, kind string, eps, actual []*endpoint.Endpoint) []*endpoint.Endpoint {
	switch kind {
	case "add_endpoint":
		name := freshName(t, "new_endpoint", append(endpointNamesOf(eps), endpointNamesOf(actual)...))
		return append(eps, drawEndpoint(t, name))
	case "remove_endpoint":
		if len(eps) == 0 {
			return eps
		}
		i := rapid.IntRange(0, len(eps)-1).Draw(t, "removed_endpoint")
		return slices.Delete(slices.Clone(eps), i, i+1)
	}
	if len(eps) == 0 {
		return eps
	}
	e := eps[rapid.IntRange(0, len(eps)-1).Draw(t, "edited_endpoint")]
	switch kind {
	case "add_deployment":
		taken := deploymentNamesOf(e)
		if i := slices.IndexFunc(actual, func(a *endpoint.Endpoint) bool { return strings.EqualFold(a.Name, e.Name) }); i >= 0 {
			taken = append(taken, deploymentNamesOf(actual[i])...)
		}
		addDeployment(t, e, taken)
	case "remove_deployment":
		removeDeployment(t, e)
	case "shift_traffic":
		e.Traffic = drawLive(t, deploymentNamesOf(e))
		dropMirrorIfLive(e)
	case "add_mirror":
		if e.Mirror.IsZero() {
			e.Mirror = drawMirror(t, e)
		}
	case "remove_mirror":
		e.Mirror = traffic.Split{}
	case "change_endpoint":
		changeEndpoint(t, e)
	case "change_compute":
		if e.Kind() == endpoint.Kubernetes {
			e.Compute = other(t, "compute", kubernetesComputes, e.Compute)
		}
	case "change_kind":
		changeKind(t, e)
	default:
		if len(e.Deployments) == 0 {
			return eps
		}
		d := &e.Deployments[rapid.IntRange(0, len(e.Deployments)-1).Draw(t, "edited_deployment")]
		changeDeployment(t, kind, e, d)
	}
	return eps
}

func changeDeployment(t *rapid.T, kind string, e *endpoint.Endpoint, d *endpoint.Deployment) {
	switch kind {
	case "scale":
		if d.ScaleSettings.Type == endpoint.ScaleTargetUtilization {
			s := &d.ScaleSettings
			s.MinInstances = other(t, "min_instances", []int{1, 2, 3}, s.MinInstances)
			s.MaxInstances = max(s.MaxInstances, s.MinInstances)
			return
		}
		d.InstanceCount = other(t, "instance_count", []int{1, 2, 3, 4, 5}, d.InstanceCount)
	case "change_model":
		d.Model.Version = otherVersion(t, "model_version", d.Model.Version)
	case "change_environment":
		if d.Environment.Image != "" {
			d.Environment.Image = other(t, "image", images, d.Environment.Image)
		} else {
			d.Environment.Version = otherVersion(t, "environment_version", d.Environment.Version)
		}
	case "change_variables":
		changeVariables(t, d)
	case "change_instance_type":
		types := managedInstanceTypes
		if e.Kind() == endpoint.Kubernetes {
			types = kubernetesInstanceTypes
		}
		d.InstanceType = other(t, "instance_type", types, d.InstanceType)
	case "change_deployment_tags":
		d.Tags = drawTags(t)
	}
}

// addDeployment adds a deployment, and half the time sends it traffic at
// once, as a blue-green switch or a canary does.
func addDeployment(t *rapid.T, e *endpoint.Endpoint, taken []string) {
	if len(e.Deployments) >= endpoint.MaxDeployments {
		return
	}
	name := freshName(t, "new_deployment", taken)
	e.Deployments = append(e.Deployments, drawDeployment(t, e.Kind(), name))
	slices.SortFunc(e.Deployments, func(a, b endpoint.Deployment) int { return strings.Compare(a.Name, b.Name) })
	if !rapid.Bool().Draw(t, "new_deployment_serves") {
		return
	}
	serving := append(e.Traffic.Names(), name)
	e.Traffic = spread(t, serving)
	dropMirrorIfLive(e)
}

// removeDeployment removes a deployment and hands its live share to another
// one (the endpoint goes dark when no other can take it), as a user must
// for the spec to stay valid.
func removeDeployment(t *rapid.T, e *endpoint.Endpoint) {
	if len(e.Deployments) == 0 {
		return
	}
	i := rapid.IntRange(0, len(e.Deployments)-1).Draw(t, "removed_deployment")
	name := e.Deployments[i].Name
	e.Deployments = slices.Delete(e.Deployments, i, i+1)
	e.Mirror = e.Mirror.Without(name)
	share := e.Traffic.Get(name)
	e.Traffic = e.Traffic.Without(name)
	if share == 0 {
		return
	}
	if len(e.Deployments) == 0 {
		e.Traffic = traffic.Split{}
		e.Mirror = traffic.Split{}
		return
	}
	heir := e.Deployments[rapid.IntRange(0, len(e.Deployments)-1).Draw(t, "heir")].Name
	e.Traffic = e.Traffic.With(heir, e.Traffic.Get(heir)+share)
	dropMirrorIfLive(e)
}

// dropMirrorIfLive removes a mirror whose deployment now takes live
// traffic, which the service forbids, and the mirror of a dark endpoint,
// which would copy nothing.
func dropMirrorIfLive(e *endpoint.Endpoint) {
	if e.Traffic.IsZero() {
		e.Mirror = traffic.Split{}
	}
	for _, name := range e.Mirror.Names() {
		if e.Traffic.Get(name) > 0 {
			e.Mirror = e.Mirror.Without(name)
		}
	}
}

// changeKind moves e from managed to Kubernetes or back, with what the
// move takes for the spec to stay valid: deployments of the new kind under
// the same names, no mirror and no aad_token on Kubernetes.
func changeKind(t *rapid.T, e *endpoint.Endpoint) {
	if e.Kind() == endpoint.Managed {
		e.Compute = rapid.SampledFrom(kubernetesComputes).Draw(t, "compute")
		e.Mirror = traffic.Split{}
		if strings.EqualFold(string(e.AuthMode), string(endpoint.AuthAADToken)) {
			e.AuthMode = endpoint.AuthKey
		}
	} else {
		e.Compute = ""
	}
	for i := range e.Deployments {
		e.Deployments[i] = drawDeployment(t, e.Kind(), e.Deployments[i].Name)
	}
}

func changeEndpoint(t *rapid.T, e *endpoint.Endpoint) {
	switch rapid.IntRange(0, 3).Draw(t, "endpoint_field") {
	case 0:
		modes := []endpoint.AuthMode{endpoint.AuthKey, endpoint.AuthAMLToken, endpoint.AuthAADToken}
		if e.Kind() == endpoint.Kubernetes {
			modes = modes[:2]
		}
		e.AuthMode = other(t, "auth_mode", modes, e.AuthMode)
	case 1:
		e.Description = other(t, "description", []string{"", "scores transactions", "v2 rollout"}, e.Description)
	case 2:
		e.Tags = drawTags(t)
	default:
		if e.Kind() == endpoint.Managed {
			e.PublicNetworkAccess = other(t, "public_network_access", []endpoint.Access{endpoint.Enabled, endpoint.Disabled}, e.PublicNetworkAccess)
		}
	}
}

// changeVariables adds, changes or removes one environment variable, secret
// or not.
func changeVariables(t *rapid.T, d *endpoint.Deployment) {
	name := rapid.SampledFrom(append(slices.Clone(plainVariables), secretVariables...)).Draw(t, "variable")
	m := make(map[string]string, len(d.EnvironmentVariables)+1)
	for k, v := range d.EnvironmentVariables {
		m[k] = v
	}
	_, had := m[name]
	switch {
	case had && rapid.Bool().Draw(t, "remove_variable"):
		delete(m, name)
	case endpoint.IsSecretName(name):
		m[name] = SecretValue().Draw(t, "secret")
	default:
		m[name] = other(t, "value", []string{"info", "debug", "warning", "8"}, m[name])
	}
	if len(m) == 0 {
		m = nil
	}
	d.EnvironmentVariables = m
}

// other draws a value from choices that differs from current when there
// is one.
func other[V comparable](t *rapid.T, label string, choices []V, current V) V {
	var rest []V
	for _, c := range choices {
		if c != current {
			rest = append(rest, c)
		}
	}
	if len(rest) == 0 {
		return current
	}
	return rapid.SampledFrom(rest).Draw(t, label)
}

func otherVersion(t *rapid.T, label, current string) string {
	n, _ := strconv.Atoi(current)
	return strconv.Itoa(n + rapid.IntRange(1, 3).Draw(t, label))
}

// freshName draws a name that differs, ignoring case, from every name in
// taken.
func freshName(t *rapid.T, label string, taken []string) string {
	return Name().Filter(func(n string) bool {
		return !slices.ContainsFunc(taken, func(s string) bool { return strings.EqualFold(s, n) })
	}).Draw(t, label)
}

func endpointNamesOf(eps []*endpoint.Endpoint) []string {
	names := make([]string, len(eps))
	for i, e := range eps {
		names[i] = e.Name
	}
	return names
}

func deploymentNamesOf(e *endpoint.Endpoint) []string {
	names := make([]string, len(e.Deployments))
	for i, d := range e.Deployments {
		names[i] = d.Name
	}
	return names
}
