package endpoint

import (
	"errors"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rolloutkit/rollout/traffic"
)

// Limits of the service that [Validate] enforces.
const (
	// MaxDeployments is how many deployments one endpoint may have.
	MaxDeployments = 20
	// MaxInstanceCount bounds instance_count. The service's real limit is
	// the subscription's quota, which a spec cannot know; the bound catches
	// a slipped digit (instance_count: 30 typed as 300) before it becomes a
	// quota request or a bill.
	MaxInstanceCount = 100
	// MaxRequestTimeoutMS is the longest request timeout of a managed
	// deployment: 3 minutes.
	MaxRequestTimeoutMS = 180000
)

// maxSetting bounds every other integer of a deployment. The service's
// REST API types its counts (instances, requests, thresholds) as 32-bit
// integers and refuses larger ones; durations in seconds or milliseconds
// are held to the same bound (68 years in seconds), so that every setting
// reaches the wire as written, without overflow.
const maxSetting = math.MaxInt32

// maxPort is the largest TCP port, for the routes of a custom container.
const maxPort = 65535

const (
	minNameLen = 3
	maxNameLen = 32
)

// isServiceName reports whether s matches the service's rule for endpoint
// and deployment names, ^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$ (length is
// checked apart, for a clearer message).
func isServiceName(s string) bool {
	if s == "" || !isASCIILetter(s[0]) || s[len(s)-1] == '-' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isASCIILetter(c) && !('0' <= c && c <= '9') && c != '-' {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// Validate checks e against the static rules of the service and returns
// every problem found as an [ErrorList] (nil when there is none). Each
// error names the field as the user wrote it and, for a loaded spec, the
// file, line and column; each message says what is allowed. Messages never
// show the values of environment variables.
//
// Validate accepts a spec before or after [Normalize]: a field that is not
// set (zero) is taken as the service's default.
//
// Endpoint rules:
//   - name: 3 to 32 characters, a letter first, then letters, digits and
//     '-', not ending with '-';
//   - auth_mode: key, aml_token or aad_token; aad_token only on a managed
//     endpoint (Kubernetes endpoints support key and aml_token);
//   - public_network_access: enabled or disabled;
//   - identity: type system_assigned, user_assigned,
//     system_assigned,user_assigned or none; user_assigned_identities are
//     required with user_assigned and allowed only with it;
//   - at most [MaxDeployments] deployments, with distinct names; names are
//     compared ignoring case, because the service's resource names are
//     case-insensitive (Blue and blue would be one deployment);
//   - traffic: percents sum to 100, or are all 0, and name only deployments
//     of the endpoint (exactly as spelled: traffic keys are case-sensitive);
//   - mirror_traffic: only on a managed endpoint, at most one deployment,
//     at most 50%, not one with live traffic, and only deployments of the
//     endpoint.
//
// Deployment rules:
//   - name: as for endpoints;
//   - type: managed or kubernetes, and the endpoint's kind (a kubernetes
//     deployment needs an endpoint with compute, a managed one an endpoint
//     without);
//   - managed deployments need instance_type and an instance_count of at
//     least 1; instance_count is at most [MaxInstanceCount];
//   - scale_settings: type default or target_utilization, the latter only
//     on Kubernetes (managed deployments autoscale through Azure Monitor,
//     not the spec); counts at least 1, min_instances at most
//     max_instances, target_utilization_percentage 1 to 100;
//   - request_settings: request_timeout_ms at least 1 and, on managed
//     deployments, at most [MaxRequestTimeoutMS];
//     max_concurrent_requests_per_instance at least 1; max_queue_wait_ms at
//     least 0;
//   - probes: period, timeout and thresholds at least 1, initial_delay at
//     least 0;
//   - every count and duration of scale_settings, request_settings and
//     the probes at most 2147483647, the largest integer the service
//     takes;
//   - the ports of an inline environment's inference_config routes: 1 to
//     65535;
//   - egress_public_network_access: enabled or disabled;
//   - resources: only on Kubernetes deployments (a managed deployment is
//     sized by its instance_type);
//   - environment variable names: non-empty, without '=';
//   - an inline environment's os_type: linux or windows;
//   - data_collector sampling rates: between 0 and 1.
func Validate(e *Endpoint) error {
	if e == nil {
		return ErrorList{{Msg: "no endpoint to validate"}}.Err()
	}
	v := validator{src: e.src}
	v.endpoint(e)
	return v.errs.Err()
}

type validator struct {
	src  *source
	errs ErrorList
	// valid are the names of the last deployment's environment
	// variables, all valid.
	valid varNames
}

// add records a problem at a canonical path, shown as the user wrote it.
func (v *validator) add(path, format string, args ...any) {
	pos, shown := v.src.locate(path)
	v.errs.Add(pos, shown, format, args...)
}

// firstAt names where the field at path was written, for a message about
// a second one: ", first at FILE:LINE:COL", or "" for a spec built in
// code.
func (v *validator) firstAt(path string) string {
	if pos, _ := v.src.locate(path); pos.Line > 0 {
		return ", first at " + pos.String()
	}
	return ""
}

func (v *validator) name(path, name string) {
	n := utf8.RuneCountInString(name)
	switch {
	case name == "":
		v.add(path, "is required: 3 to 32 characters, letters, digits and '-'")
	case n < minNameLen || n > maxNameLen:
		v.add(path, "must be between %d and %d characters, got %d (%q)", minNameLen, maxNameLen, n, name)
	case !isServiceName(name):
		v.add(path, "must start with a letter and contain only letters, digits and '-', not ending with '-'; got %q", name)
	}
}

func (v *validator) endpoint(e *Endpoint) {
	v.name("name", e.Name)
	kind := e.Kind()
	switch lowerEnum(e.AuthMode, AuthKey, AuthAMLToken, AuthAADToken) {
	case "", AuthKey, AuthAMLToken:
	case AuthAADToken:
		if kind == Kubernetes {
			v.add("auth_mode", "aad_token is only for managed endpoints; a Kubernetes endpoint takes key or aml_token")
		}
	default:
		v.add("auth_mode", "must be key, aml_token or aad_token, got %q", e.AuthMode)
	}
	v.access("public_network_access", e.PublicNetworkAccess)
	if e.Identity != nil {
		v.identity(e.Identity)
	}

	if n := len(e.Deployments); n > MaxDeployments {
		// Reported at the first deployment past the limit, which has a
		// position, unlike the list as a whole.
		v.add("deployments["+e.Deployments[MaxDeployments].Name+"]", "an endpoint may have at most %d deployments, got %d", MaxDeployments, n)
	}
	for i := range e.Deployments {
		d := &e.Deployments[i]
		if d.Name != "" {
			// A linear scan: at most 20 deployments, and no map to allocate.
			for j := range i {
				if prev := e.Deployments[j].Name; strings.EqualFold(prev, d.Name) {
					v.add("deployments["+d.Name+"]", "deployment %q is defined twice (as %q and %q)%s; names must be unique, ignoring case", d.Name, prev, d.Name, v.firstAt("deployments["+prev+"]"))
					break
				}
			}
		}
		v.deployment(d, kind)
	}

	v.split("traffic", e, e.Traffic, e.Traffic.Validate())
	if !e.Mirror.IsZero() && kind == Kubernetes {
		v.add("mirror_traffic", "mirror traffic is only for managed endpoints; this endpoint runs on compute %q", e.Compute)
	}
	v.split("mirror_traffic", e, e.Mirror, e.Mirror.ValidateMirror(e.Traffic))
}

// split reports the rule a traffic split broke and the deployments it names
// that the endpoint does not have.
func (v *validator) split(path string, e *Endpoint, s traffic.Split, err error) {
	if err != nil {
		var te *traffic.Error
		if errors.As(err, &te) {
			p := path
			if te.Deployment != "" {
				p += "." + te.Deployment
			}
			v.add(p, "%s", te.Msg)
		} else {
			v.add(path, "%v", err)
		}
	}
	for name := range s.All() {
		if name == "" || e.Deployment(name) == nil {
			v.add(path+"."+name, "names deployment %q, which this endpoint does not have; %s", name, known(e))
		}
	}
}

// known lists the deployments a traffic entry may name, for messages.
func known(e *Endpoint) string {
	list := make([]string, 0, len(e.Deployments))
	for _, d := range e.Deployments {
		if d.Name != "" && !slices.Contains(list, d.Name) {
			list = append(list, d.Name)
		}
	}
	if len(list) == 0 {
		return "it has no deployments"
	}
	slices.Sort(list)
	return "it has " + strings.Join(list, ", ")
}

func (v *validator) access(path string, a Access) {
	if !validAccess(a) {
		v.add(path, "must be enabled or disabled, got %q", a)
	}
}

func validAccess(a Access) bool {
	switch lowerEnum(a, Enabled, Disabled) {
	case "", Enabled, Disabled:
		return true
	}
	return false
}

func (v *validator) identity(id *Identity) {
	var system, user, none bool
	typ := strings.ToLower(id.Type)
	if strings.TrimSpace(typ) == "" {
		// Not set: the default, as Normalize writes it.
		typ = defaultIdentityType
	}
	for p := range strings.SplitSeq(typ, ",") {
		switch strings.TrimSpace(p) {
		case "system_assigned":
			system = true
		case "user_assigned":
			user = true
		case "none":
			none = true
		default:
			v.add("identity.type", "must be system_assigned, user_assigned, system_assigned,user_assigned or none, got %q", id.Type)
			return
		}
	}
	if none && (system || user) {
		v.add("identity.type", "none cannot be combined with another identity type, got %q", id.Type)
		return
	}
	switch {
	case user && len(id.UserAssignedIdentities) == 0:
		v.add("identity.user_assigned_identities", "at least one user-assigned identity is required with type %q", id.Type)
	case !user && len(id.UserAssignedIdentities) > 0:
		v.add("identity.user_assigned_identities", "user-assigned identities are allowed only with type user_assigned or system_assigned,user_assigned, got type %q", id.Type)
	}
}

// lowerEnum returns v in lower case. Enumerations are mostly written,
// and always normalized, in lower case: v that is empty or one of values,
// the lower-case spellings, is returned as it is, without the call that
// scans it.
func lowerEnum[T ~string](v T, values ...T) T {
	if v == "" || slices.Contains(values, v) {
		return v
	}
	return T(strings.ToLower(string(v)))
}

// field is the path of a deployment's field, built only when a problem is
// reported: validation of a valid fleet then allocates no paths at all.
type field struct {
	deployment string
	parts      [3]string
	// n is how many parts are set.
	n int
}

func (f field) String() string {
	var b strings.Builder
	b.WriteString("deployments[")
	b.WriteString(f.deployment)
	b.WriteByte(']')
	for _, p := range f.parts[:f.n] {
		b.WriteByte('.')
		b.WriteString(p)
	}
	return b.String()
}

// at returns the path of a field below f. A path deeper than parts
// holds is a bug of this file, and panics.
func (f field) at(name string) field {
	f.parts[f.n] = name
	f.n++
	return f
}

func (v *validator) deployment(d *Deployment, endpointKind Kind) {
	p := field{deployment: d.Name}
	v.nameAt(&p, d.Name)

	kind := lowerEnum(d.Type, Managed, Kubernetes)
	switch kind {
	case "":
		kind = endpointKind
	case Managed, Kubernetes:
		if kind != endpointKind {
			if kind == Kubernetes {
				v.add(p.at("type").String(), "a kubernetes deployment needs an endpoint with compute; this endpoint is managed (remove type, or set compute on the endpoint)")
			} else {
				v.add(p.at("type").String(), "a managed deployment cannot run on an endpoint with compute; use type kubernetes (or remove type)")
			}
		}
	default:
		v.add(p.at("type").String(), "must be managed or kubernetes, got %q", d.Type)
		kind = endpointKind
	}
	managed := kind == Managed

	if managed && strings.TrimSpace(d.InstanceType) == "" {
		v.add(p.at("instance_type").String(), "is required for a managed deployment: a VM size such as Standard_DS3_v2")
	}
	scale := lowerEnum(d.ScaleSettings.Type, ScaleDefault, ScaleTargetUtilization)
	switch {
	case d.InstanceCount < 0 || d.InstanceCount > MaxInstanceCount:
		v.add(p.at("instance_count").String(), "must be between 1 and %d, got %d", MaxInstanceCount, d.InstanceCount)
	case managed && d.InstanceCount == 0:
		v.add(p.at("instance_count").String(), "is required for a managed deployment and must be between 1 and %d", MaxInstanceCount)
	}
	v.scale(&p, &d.ScaleSettings, scale, managed)
	v.request(&p, &d.RequestSettings, managed)
	v.probe(&p, "liveness_probe", &d.LivenessProbe)
	v.probe(&p, "readiness_probe", &d.ReadinessProbe)
	v.probe(&p, "startup_probe", &d.StartupProbe)
	if ic := &d.Environment.InferenceConfig; uint(ic.LivenessRoute.Port|ic.ReadinessRoute.Port|ic.ScoringRoute.Port) > maxPort {
		v.routes(&p, ic)
	}
	if !validAccess(d.EgressPublicNetworkAccess) {
		v.add(p.at("egress_public_network_access").String(), "must be enabled or disabled, got %q", d.EgressPublicNetworkAccess)
	}
	if managed && !d.Resources.isZero() {
		v.add(p.at("resources").String(), "only Kubernetes deployments take resources; a managed deployment is sized by its instance_type")
	}
	v.variables(&p, d.EnvironmentVariables)
	if t := lowerEnum(d.Environment.OSType, osTypes...); t != "" && !slices.Contains(osTypes, t) {
		v.add(p.at("environment").at("os_type").String(), "must be linux or windows, got %q", d.Environment.OSType)
	}
	if dc := d.DataCollector; dc != nil {
		if !validRate(dc.SamplingRate) {
			v.rate(p.at("data_collector").at("sampling_rate"), dc.SamplingRate)
		}
		for name, c := range dc.Collections {
			if !validRate(c.SamplingRate) {
				v.rate(p.at("data_collector").at("collections."+name).at("sampling_rate"), c.SamplingRate)
			}
		}
	}
}

// variables checks the names of a deployment's environment variables,
// unless they are the names of the last deployment's, which were valid.
func (v *validator) variables(p *field, vars map[string]string) {
	if v.valid.holds(vars) {
		return
	}
	v.valid.n = 0
	bad := false
	// Map order does not reach the output: the error list is sorted.
	for name := range vars {
		switch {
		case name == "":
			v.add(p.at("environment_variables").String(), "a variable name must not be empty")
			bad = true
		case !validVariableName(name):
			v.add(p.at("environment_variables."+name).String(), "a variable name must not contain '=' or NUL")
			bad = true
		}
		v.valid.add(name)
	}
	if bad || v.valid.n < len(vars) {
		v.valid.n = 0
	}
}

// validVariableName reports whether an environment variable's name has
// no '=' and no NUL: a loop over its bytes, where strings.ContainsAny
// would build a set of the two for every name of every deployment.
func validVariableName(name string) bool {
	for i := range len(name) {
		if c := name[i]; c == '=' || c == 0 {
			return false
		}
	}
	return true
}

// nameAt checks the name of the deployment at p.
func (v *validator) nameAt(p *field, name string) {
	if name != "" && isServiceName(name) {
		if n := len(name); n >= minNameLen && n <= maxNameLen {
			return
		}
	}
	v.name(p.at("name").String(), name)
}

// The groups of settings of a deployment, as paths name them.
const (
	scaleGroup   = "scale_settings"
	requestGroup = "request_settings"
)

// scale checks the scale settings of the deployment at p. Like the
// other checks of groups, it takes the deployment's path and builds the
// group's only when it reports a problem.
func (v *validator) scale(p *field, s *ScaleSettings, scale ScaleType, managed bool) {
	switch scale {
	case "", ScaleDefault:
	case ScaleTargetUtilization:
		if managed {
			v.add(p.at(scaleGroup).at("type").String(), "target_utilization is only for Kubernetes deployments; a managed deployment scales by instance_count (autoscale it with Azure Monitor)")
		}
	default:
		v.add(p.at(scaleGroup).at("type").String(), "must be default or target_utilization, got %q", s.Type)
	}
	v.atLeast(p, scaleGroup, "min_instances", s.MinInstances, 1)
	v.atLeast(p, scaleGroup, "max_instances", s.MaxInstances, 1)
	v.atLeast(p, scaleGroup, "polling_interval", s.PollingInterval, 1)
	if t := s.TargetUtilizationPercentage; t < 0 || t > 100 {
		v.add(p.at(scaleGroup).at("target_utilization_percentage").String(), "must be between 1 and 100, got %d", t)
	}
	if s.MinInstances > 0 && s.MaxInstances > 0 && s.MinInstances > s.MaxInstances {
		v.add(p.at(scaleGroup).at("max_instances").String(), "must be at least min_instances (%d), got %d", s.MinInstances, s.MaxInstances)
	}
}

func (v *validator) request(p *field, r *RequestSettings, managed bool) {
	switch t := r.RequestTimeoutMS; {
	case managed && (t < 0 || t > MaxRequestTimeoutMS):
		v.add(p.at(requestGroup).at("request_timeout_ms").String(), "must be between 1 and %d on a managed deployment, got %d", MaxRequestTimeoutMS, t)
	default:
		v.atLeast(p, requestGroup, "request_timeout_ms", t, 1)
	}
	v.atLeast(p, requestGroup, "max_concurrent_requests_per_instance", r.MaxConcurrentRequestsPerInstance, 1)
	v.atLeast(p, requestGroup, "max_queue_wait_ms", r.MaxQueueWaitMS, 0)
}

// probe checks the probe named group of the deployment at p.
func (v *validator) probe(p *field, group string, pr *Probe) {
	if uint(pr.InitialDelay|pr.Period|pr.Timeout|pr.SuccessThreshold|pr.FailureThreshold) <= maxSetting {
		// Only a setting below 0 or above maxSetting breaks a rule (see
		// atLeast), and either sets a bit of the bitwise or of the
		// settings that no setting in bounds sets.
		return
	}
	v.atLeast(p, group, "initial_delay", pr.InitialDelay, 0)
	v.atLeast(p, group, "period", pr.Period, 1)
	v.atLeast(p, group, "timeout", pr.Timeout, 1)
	v.atLeast(p, group, "success_threshold", pr.SuccessThreshold, 1)
	v.atLeast(p, group, "failure_threshold", pr.FailureThreshold, 1)
}

// atLeast checks a setting whose zero means "the default": only negative
// values can be below the minimum of 0 or 1, and it is at most
// maxSetting.
func (v *validator) atLeast(p *field, group, name string, n, least int) {
	switch {
	case n < 0:
		v.add(p.at(group).at(name).String(), "must be at least %d, got %d", least, n)
	case n > maxSetting:
		v.add(p.at(group).at(name).String(), "must be at most %d, got %d", maxSetting, n)
	}
}

// routes checks the ports of an inline environment's routes, where 0 is
// a port not set.
func (v *validator) routes(p *field, ic *InferenceConfig) {
	for _, r := range [...]struct {
		name string
		port int
	}{{"liveness_route", ic.LivenessRoute.Port}, {"readiness_route", ic.ReadinessRoute.Port}, {"scoring_route", ic.ScoringRoute.Port}} {
		if r.port < 0 || r.port > maxPort {
			v.add(p.at("environment").at("inference_config."+r.name).at("port").String(), "must be between 1 and %d, got %d", maxPort, r.port)
		}
	}
}

func validRate(r float64) bool { return r >= 0 && r <= 1 }

// rate reports a sampling rate out of range.
func (v *validator) rate(f field, r float64) {
	v.add(f.String(), "must be between 0 and 1, got %g", r)
}

func orderedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
