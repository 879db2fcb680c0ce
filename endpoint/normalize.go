package endpoint

import (
	"maps"
	slashpath "path"
	"slices"
	"strings"
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
	defaultSamplingRate          = 1.0
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
//   - enumerations the model keeps in lower case are lower-cased
//     (auth_mode, deployment type, public and egress network access,
//     scale_settings.type, identity type, model type), since the service
//     and the CLI accept them in any case;
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
//   - request_settings: request_timeout_ms 5000,
//     max_concurrent_requests_per_instance 1, max_queue_wait_ms 500
//     (deployment schema, RequestSettings);
//   - liveness_probe: initial_delay 10, period 10, timeout 2,
//     success_threshold 1, failure_threshold 30 (deployment schema,
//     ProbeSettings);
//   - readiness_probe: the same except failure_threshold 3;
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
}

// Normalize returns what [Normalized] returns for e, valid until the next
// call. The result shares with e what normalization leaves alone (the maps
// of tags, properties and environment variables): read it, and clone
// ([Endpoint.Clone], [Deployment.Clone]) what must outlive the next call
// or be changed. e is never modified. Normalize(nil) is nil.
func (n *Normalizer) Normalize(e *Endpoint) *Endpoint {
	if e == nil {
		return nil
	}
	n.e = *e
	// An absent identity normalizes like an empty one, so the storage
	// serves both.
	n.id = Identity{}
	if e.Identity != nil {
		n.id.Type = e.Identity.Type
		n.id.UserAssignedIdentities = append(n.id.UserAssignedIdentities[:0], e.Identity.UserAssignedIdentities...)
	}
	n.e.Identity = &n.id
	n.deps = append(n.deps[:0], e.Deployments...)
	for i := range n.deps {
		// Normalization rewrites a data collector's collections in place.
		n.deps[i].DataCollector = n.deps[i].DataCollector.clone()
	}
	n.e.Deployments = n.deps
	Normalize(&n.e)
	return &n.e
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
	if d.ScaleSettings.Type == ScaleDefault && d.InstanceCount == 0 {
		d.InstanceCount = defaultInstanceCount
	}
}

// normalizeCompute writes a compute target as its name in the workspace:
// the YAML's azureml:NAME is the CLI's shorthand for the compute of that
// name, as the bare name is. Full ARM ids are kept as written.
func normalizeCompute(c string) string {
	c = strings.TrimSpace(c)
	if len(c) > len("azureml:") && strings.EqualFold(c[:len("azureml:")], "azureml:") && !strings.Contains(c, "/") {
		return c[len("azureml:"):]
	}
	return c
}

func normalizeEnvironment(env *Environment) {
	normalizeRef(&env.Reference)
	env.CondaFile = cleanPath(env.CondaFile)
	env.Build.Path = cleanPath(env.Build.Path)
	env.Build.DockerfilePath = cleanPath(env.Build.DockerfilePath)
}

func normalizeDataCollector(dc *DataCollector) *DataCollector {
	if dc == nil {
		return nil
	}
	for name, c := range dc.Collections {
		normalizeRef(&c.Data)
		// The service keeps a sampling rate per collection only: the CLI's
		// top-level rate is every collection's that sets none, and reads
		// back that way.
		if c.SamplingRate == 0 {
			c.SamplingRate = dc.SamplingRate
		}
		dc.Collections[name] = c
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
	return dc
}

// normalizeRef trims every part of r and cleans a local path.
func normalizeRef(r *Reference) {
	r.Name = strings.TrimSpace(r.Name)
	r.Version = strings.TrimSpace(r.Version)
	r.Label = strings.TrimSpace(r.Label)
	r.Registry = strings.TrimSpace(r.Registry)
	r.ID = strings.TrimSpace(r.ID)
	r.Type = lower(r.Type)
	r.Path = cleanPath(r.Path)
}

// cleanPath trims p, drops a file: prefix and cleans a local path with
// forward slashes, so that every spelling of one folder is one string.
func cleanPath(p string) string {
	p = strings.TrimSpace(p)
	p = strings.TrimPrefix(p, "file:")
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

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

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
