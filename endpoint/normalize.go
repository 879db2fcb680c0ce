package endpoint

import (
	"maps"
	slashpath "path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rolloutkit/rollout/traffic"
)

// The service's documented defaults (CLI v2 YAML schema of managed online
// endpoints and deployments; the REST API's OnlineRequestSettings and
// ProbeSettings), which [Normalize] writes out.
const (
	defaultRequestTimeoutMS = 5000
	defaultMaxConcurrent    = 1
	defaultMaxQueueWaitMS   = 500
	defaultInstanceCount    = 1
	defaultIdentityType     = "system_assigned"

	defaultMinInstances          = 1
	defaultMaxInstances          = 1
	defaultPollingInterval       = 1
	defaultTargetUtilization     = 70
	defaultSamplingRate          = 1.0
	defaultRollingRate           = "hour"
	defaultProbeInitialDelay     = 10
	defaultProbePeriod           = 10
	defaultProbeTimeout          = 2
	defaultProbeSuccessThreshold = 1
	defaultLivenessFailures      = 30
	defaultReadinessFailures     = 3
)

// Normalize rewrites e in place into its canonical form, so that two specs
// with the same intent compare equal (see [Equal]) and a desired spec never
// shows a perpetual difference against what the service reports, which
// always has the defaults filled in. It is idempotent, and a nil e is left
// alone.
//
// Ordering and spelling:
//   - deployments are sorted by name;
//   - the live and mirror splits name each deployment as the endpoint
//     spells it ([SameName]: a split may name a deployment in any case);
//   - enumerations the model keeps in lower case are lower-cased
//     (auth_mode, deployment type, public and egress network access,
//     scale_settings.type, identity type, model type, an environment's
//     os_type, a data collector's rolling_rate), since the service and
//     the CLI accept them in any case;
//   - user-assigned identity ids are sorted and duplicates dropped (the
//     service keeps them as a set);
//   - empty maps and lists become nil, and a data collector or request
//     logging with nothing set is removed.
//
// References (model, code, environment, collected data): surrounding white
// space is trimmed, a file: prefix is dropped, and local paths are cleaned
// (path.Clean, with forward slashes) so ../onlinescoring/ and
// file:../onlinescoring name the same folder. The inline environment's
// conda_file and build context paths get the same treatment. Remote paths
// (containing ://) are only trimmed.
//
// Defaults made explicit, each as documented for the service:
//   - auth_mode: key (endpoint schema: "default key");
//   - public_network_access: enabled (endpoint schema);
//   - identity: system_assigned when absent (endpoint schema: the service
//     gives every endpoint a system-assigned identity unless told otherwise);
//   - deployment type: the endpoint's kind, managed when compute is empty
//     and kubernetes otherwise (the CLI picks the schema from the endpoint);
//   - egress_public_network_access: enabled (deployment schema);
//   - scale_settings.type: default (deployment schema);
//   - instance_count: 1 when scale_settings.type is default and no count is
//     given (the CLI's default for a manually scaled deployment);
//   - under scale_settings.type target_utilization: max_instances 1, or
//     min_instances when that is more (the service's default of 1 would
//     be below the minimum), polling_interval 1,
//     target_utilization_percentage 70 (the REST API's
//     TargetUtilizationScaleSettings; min_instances' default of 1 is
//     filled when the spec is loaded, where an absent key can be told from
//     a written 0);
//   - request_settings: request_timeout_ms 5000,
//     max_concurrent_requests_per_instance 1, max_queue_wait_ms 500
//     (deployment schema, RequestSettings);
//   - liveness_probe: initial_delay 10, period 10, timeout 2,
//     success_threshold 1, failure_threshold 30 (deployment schema,
//     ProbeSettings);
//   - readiness_probe: the same except failure_threshold 3;
//   - data_collector.rolling_rate: hour (the REST API's DataCollector);
//   - startup_probe: when given, the defaults of liveness_probe (the
//     service's ProbeSettings); when not given, none, as the service runs
//     no startup probe unless asked.
//
// The model keeps zero for "not set", so a value written as 0 is taken as
// not set and replaced by its default: initial_delay: 0, which the service
// would accept, becomes 10. Write 1 to get a near-immediate probe.
func Normalize(e *Endpoint) {
	if e == nil {
		return
	}
	normalizeAttrs(endpointAttrs, e, "")
	e.Traffic, e.Mirror = spelled(e, e.Traffic), spelled(e, e.Mirror)
}

// spelled returns split s with each deployment named as e spells it. The
// service finds deployments by name without regard to case ([SameName])
// and a split may name one either way, so blue=100 on deployment Blue is
// Blue=100. A split that names one deployment in two spellings is left as
// it is, for validation to refuse.
func spelled(e *Endpoint, s traffic.Split) traffic.Split {
	out := s
	for n, v := range s.All() {
		if e.Deployment(n) != nil {
			continue
		}
		for i := range e.Deployments {
			if d := e.Deployments[i].Name; SameName(d, n) && out.Get(d) == 0 {
				out = out.Without(n).With(d, v)
				break
			}
		}
	}
	return out
}

// Normalized returns a normalized deep copy of e, leaving e as it was.
func Normalized(e *Endpoint) *Endpoint {
	c := e.Clone()
	Normalize(c)
	return c
}

// A Normalizer normalizes endpoints into storage it reuses from one call to
// the next, for programs that compare many endpoints one at a time and keep
// little of them: a planner over a fleet copies only the deployments its
// steps carry instead of every endpoint on both sides. The zero value is
// ready to use. A Normalizer is not safe for concurrent use.
type Normalizer struct {
	e    Endpoint
	id   Identity
	deps []Deployment
	// dcs and cols hold the copies of the deployments' data collectors
	// and of their collections, which normalization rewrites in place.
	dcs  []DataCollector
	cols []map[string]Collection
}

// Normalize returns what [Normalized] returns for e, valid until the next
// call. The result shares with e what normalization leaves alone (the maps
// of tags, properties and environment variables, the request logging of
// data collectors): read it, and clone ([Endpoint.Clone],
// [Deployment.Clone]) what must outlive the next call or be changed. e is
// never modified. Normalize(nil) is nil.
func (n *Normalizer) Normalize(e *Endpoint) *Endpoint {
	if e == nil {
		return nil
	}
	n.e = *e
	// An absent identity normalizes like an empty one, so the storage
	// serves both.
	ids := n.id.UserAssignedIdentities[:0]
	n.id = Identity{}
	if e.Identity != nil {
		n.id.Type = e.Identity.Type
		n.id.UserAssignedIdentities = append(ids, e.Identity.UserAssignedIdentities...)
	}
	n.e.Identity = &n.id
	n.deps = append(n.deps[:0], e.Deployments...)
	n.copyCollectors()
	n.e.Deployments = n.deps
	Normalize(&n.e)
	return &n.e
}

// copyCollectors gives each deployment of n.deps a copy of its data
// collector, and of its collections when normalization rewrites them, in
// storage reused from one call to the next.
func (n *Normalizer) copyCollectors() {
	if !anyCollector(n.deps) {
		// Most endpoints have none, and need no storage.
		return
	}
	// Sized first: the deployments point into dcs, which must not move.
	n.dcs = slices.Grow(n.dcs[:0], len(n.deps))[:len(n.deps)]
	if len(n.cols) < len(n.deps) {
		n.cols = append(n.cols, make([]map[string]Collection, len(n.deps)-len(n.cols))...)
	}
	for i := range n.deps {
		dc := n.deps[i].DataCollector
		if dc == nil {
			continue
		}
		c := &n.dcs[i]
		*c = *dc
		if collectionsChange(dc) {
			c.Collections = n.copyCollections(i, dc.Collections)
		}
		n.deps[i].DataCollector = c
	}
}

// anyCollector reports whether a deployment of ds has a data collector.
func anyCollector(ds []Deployment) bool {
	for i := range ds {
		if ds[i].DataCollector != nil {
			return true
		}
	}
	return false
}

// copyCollections copies cs into the map kept for the i-th deployment.
// The keys it held for the last endpoint, which are mostly the same
// (model_inputs, model_outputs), keep their storage: assigning to a new
// key allocates room for a value as large as a Collection.
func (n *Normalizer) copyCollections(i int, cs map[string]Collection) map[string]Collection {
	m := n.cols[i]
	if m == nil {
		m = make(map[string]Collection, len(cs))
		n.cols[i] = m
	}
	for name := range m {
		if _, ok := cs[name]; !ok {
			delete(m, name)
		}
	}
	maps.Copy(m, cs)
	return m
}

// collectionsChange reports whether normalizing dc rewrites one of its
// collections; most collectors read from the service or loaded from a
// file are already normal, and keep their map.
func collectionsChange(dc *DataCollector) bool {
	for _, c := range dc.Collections {
		if normalCollection(c, dc.SamplingRate) != c {
			return true
		}
	}
	return false
}

func normalizeIdentity(id *Identity) {
	// "System_Assigned, User_Assigned" and "system_assigned,user_assigned"
	// are one type.
	id.Type = lower(id.Type)
	if strings.Contains(id.Type, ",") {
		parts := strings.Split(id.Type, ",")
		for i, p := range parts {
			parts[i] = strings.TrimSpace(p)
		}
		// The types are a set, as Validate reads them:
		// user_assigned,system_assigned is system_assigned,user_assigned.
		slices.Sort(parts)
		id.Type = strings.Join(parts, ",")
	}
	if id.Type == "" {
		id.Type = defaultIdentityType
	}
	ids := id.UserAssignedIdentities
	for i, s := range ids {
		ids[i] = strings.TrimSpace(s)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		ids = nil
	}
	id.UserAssignedIdentities = ids
}

// normalizeDeployment normalizes every field of d by its table, then
// what depends on more than one field.
func normalizeDeployment(d *Deployment, kind Kind) {
	normalizeAttrs(deploymentAttrs, d, kind)
	switch ss := &d.ScaleSettings; ss.Type {
	case ScaleDefault:
		if d.InstanceCount == 0 {
			d.InstanceCount = defaultInstanceCount
		}
	case ScaleTargetUtilization:
		setDefault(&ss.MaxInstances, max(defaultMaxInstances, ss.MinInstances))
		setDefault(&ss.PollingInterval, defaultPollingInterval)
		setDefault(&ss.TargetUtilizationPercentage, defaultTargetUtilization)
	}
}

// normalizeCompute writes a compute target as its name in the workspace:
// the YAML's azureml:NAME is the CLI's shorthand for the compute of that
// name, as the bare name is. Full ARM ids are kept as written, without
// the azureml: the CLI drops before them too (azureml:/subscriptions/...).
func normalizeCompute(c string) string {
	c = trim(c)
	// Every prefix, and the space after it, goes at once: what is left
	// is normal already, as Normalize must leave it.
	for len(c) > len("azureml:") && strings.EqualFold(c[:len("azureml:")], "azureml:") {
		c = trim(c[len("azureml:"):])
	}
	return c
}

func normalizeEnvironment(env *Environment) {
	normalizeRef(&env.Reference)
	env.CondaFile = cleanPath(env.CondaFile)
	env.Build.Path = cleanPath(env.Build.Path)
	env.Build.DockerfilePath = cleanPath(env.Build.DockerfilePath)
	env.OSType = lower(env.OSType)
}

func normalizeDataCollector(dc *DataCollector) *DataCollector {
	if dc == nil {
		return nil
	}
	for name, c := range dc.Collections {
		// Only changes are written: a Normalizer shares the maps it
		// finds normal (see collectionsChange).
		if nc := normalCollection(c, dc.SamplingRate); nc != c {
			dc.Collections[name] = nc
		}
	}
	if len(dc.Collections) > 0 {
		dc.SamplingRate = 0
	}
	dc.Collections = nilIfEmpty(dc.Collections)
	if dc.RequestLogging != nil && len(dc.RequestLogging.CaptureHeaders) == 0 {
		dc.RequestLogging = nil
	}
	if dc.Collections == nil && dc.SamplingRate == 0 && dc.RollingRate == "" && dc.RequestLogging == nil {
		return nil
	}
	if dc.RollingRate = lower(dc.RollingRate); dc.RollingRate == "" {
		dc.RollingRate = defaultRollingRate
	}
	return dc
}

// normalCollection returns c normalized in a collector whose top-level
// sampling rate is rate.
func normalCollection(c Collection, rate float64) Collection {
	normalizeRef(&c.Data)
	// The service keeps a sampling rate per collection only: the CLI's
	// top-level rate is every collection's that sets none, and reads back
	// that way.
	if c.SamplingRate == 0 {
		c.SamplingRate = rate
	}
	return c
}

// normalizeRef trims every part of r and cleans a local path.
func normalizeRef(r *Reference) {
	r.Name = trim(r.Name)
	r.Version = trim(r.Version)
	r.Label = trim(r.Label)
	r.Registry = trim(r.Registry)
	r.ID = trim(r.ID)
	r.Type = lower(r.Type)
	r.Path = cleanPath(r.Path)
}

// cleanPath trims p, drops a file: prefix and cleans a local path with
// forward slashes, so that every spelling of one folder is one string.
func cleanPath(p string) string {
	p = trim(p)
	// Every prefix, and the space after it, goes at once: what is left
	// is normal already, as Normalize must leave it.
	for strings.HasPrefix(p, "file:") {
		p = trim(p[len("file:"):])
	}
	if p == "" || strings.Contains(p, "://") {
		return p
	}
	return slashpath.Clean(strings.ReplaceAll(p, `\`, "/"))
}

func setDefault(v *int, def int) {
	if *v == 0 {
		*v = def
	}
}

func lower(s string) string {
	if s = trim(s); s == "" {
		return ""
	}
	return strings.ToLower(s)
}

// trim is [strings.TrimSpace] that returns at once, without a call, for
// the empty strings most fields of a spec are.
func trim(s string) string {
	if s == "" {
		return ""
	}
	return trimEnds(s)
}

// trimEnds is [strings.TrimSpace] that returns s without scanning it when
// it has no space at either end, as most values of a spec: a byte above
// ' ' and below utf8.RuneSelf is no space, and the spaces outside ASCII
// begin and end with bytes at or above utf8.RuneSelf.
func trimEnds(s string) string {
	if unspaced(s[0]) && unspaced(s[len(s)-1]) {
		return s
	}
	return strings.TrimSpace(s)
}

func unspaced(c byte) bool { return ' ' < c && c < utf8.RuneSelf }

func nilIfEmpty[M ~map[string]V, V any](m M) M {
	if len(m) == 0 {
		return nil
	}
	return m
}

// AdoptTags gives the desired endpoint d the tags of the actual endpoint a
// wherever d does not write them (nil) or writes the same ones, for the
// endpoint and for each deployment that a holds under the same name (see
// [SameName]). Tags a spec does not write are not managed: they need no
// change, and any write of the resource sends them back as the service
// holds them. Tags a spec writes, even none ({}), are managed whole. A
// planner calls it on the normalized desired copy before comparing it with
// the actual endpoint; a is not changed.
func AdoptTags(d, a *Endpoint) {
	d.Tags = adoptedTags(d.Tags, a.Tags)
	for i := range d.Deployments {
		dd := &d.Deployments[i]
		for j := range a.Deployments {
			if SameName(dd.Name, a.Deployments[j].Name) {
				dd.Tags = adoptedTags(dd.Tags, a.Deployments[j].Tags)
				break
			}
		}
	}
}

// adoptedTags returns the tags a resource desired with want and holding
// have is to have, spelled as have when they are the same.
func adoptedTags(want, have map[string]string) map[string]string {
	if want == nil || maps.Equal(want, have) {
		return have
	}
	return want
}
