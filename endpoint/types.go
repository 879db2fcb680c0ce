package endpoint

import (
	"strings"

	"github.com/rolloutkit/rollout/traffic"
)

// AuthMode is how clients authenticate to an endpoint's scoring URI.
type AuthMode string

// The authentication modes the service accepts. Loading is case-insensitive
// (`Key` and `key` are the same); the model always holds these spellings.
const (
	AuthKey      AuthMode = "key"
	AuthAMLToken AuthMode = "aml_token"
	AuthAADToken AuthMode = "aad_token"
)

// Kind tells managed endpoints and deployments from Kubernetes ones.
type Kind string

// The kinds of endpoint and deployment.
const (
	Managed    Kind = "managed"
	Kubernetes Kind = "kubernetes"
)

// Access is the setting of public network access (inbound for endpoints,
// egress for deployments).
type Access string

// The values of an [Access] setting.
const (
	Enabled  Access = "enabled"
	Disabled Access = "disabled"
)

// ProvisioningState is the service's state of a resource. Desired specs leave
// it empty; observed ones carry what the service reported.
type ProvisioningState string

// The provisioning states the service reports.
const (
	Creating  ProvisioningState = "Creating"
	Updating  ProvisioningState = "Updating"
	Scaling   ProvisioningState = "Scaling"
	Deleting  ProvisioningState = "Deleting"
	Succeeded ProvisioningState = "Succeeded"
	Failed    ProvisioningState = "Failed"
	Canceled  ProvisioningState = "Canceled"
)

// Busy reports whether a long-running operation on the resource is in
// progress: Creating, Updating, Scaling or Deleting. The service answers
// Conflict to another write meanwhile.
func (s ProvisioningState) Busy() bool {
	switch s {
	case Creating, Updating, Scaling, Deleting:
		return true
	}
	return false
}

// Succeeded reports whether the resource's last operation succeeded. A
// resource that reports no state (a desired spec) counts as Succeeded.
func (s ProvisioningState) Succeeded() bool { return s == "" || s == Succeeded }

// Failed reports whether the resource's last operation failed or was
// canceled: it needs its spec written again before it may take traffic.
func (s ProvisioningState) Failed() bool { return s == Failed || s == Canceled }

// NameKey is how the service tells names apart, of endpoints and
// deployments alike: without regard to case, so Blue and blue are one
// deployment. Two names are the same when their keys are.
func NameKey(name string) string { return strings.ToLower(name) }

// SameName reports whether two endpoint or deployment names are the same
// to the service (see [NameKey]).
func SameName(a, b string) bool { return strings.EqualFold(a, b) }

// Status is what the service reports about a resource and a desired spec
// leaves empty. Normalization, comparison and plans ignore it except where a
// rule depends on it (no traffic to a deployment whose provisioning failed).
type Status struct {
	ProvisioningState ProvisioningState `json:"provisioning_state,omitempty"`
	// ETag changes on every write; conditional writes send it back.
	ETag string `json:"etag,omitempty"`
	// ScoringURI is where the endpoint answers requests (endpoints only).
	ScoringURI string `json:"scoring_uri,omitempty"`
}

// Endpoint is an online endpoint: the stable scoring URI, its deployments and
// the traffic split between them.
type Endpoint struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Tags nil are not managed; empty are managed and none (see Tags in
	// the package documentation).
	Tags map[string]string `json:"tags,omitzero"`
	// Properties can be added, never removed or altered: the service
	// keeps every property it holds, so a spec that leaves one out asks
	// for no change, and one that gives it another value cannot be
	// applied in place (package plan refuses or replaces it, rule S6).
	Properties map[string]string `json:"properties,omitempty"`
	AuthMode   AuthMode          `json:"auth_mode,omitempty"`
	// Compute is the Kubernetes compute target; empty for managed endpoints.
	// Normalized, it is the compute's name in the workspace (the YAML's
	// azureml:NAME), or a full ARM id as written, without a leading azureml:. It cannot change in place.
	Compute             string    `json:"compute,omitempty"`
	Identity            *Identity `json:"identity,omitempty"`
	PublicNetworkAccess Access    `json:"public_network_access,omitempty"`
	// Traffic is the live split; Mirror copies a share of live requests to
	// one deployment whose answers are discarded.
	Traffic traffic.Split `json:"traffic"`
	Mirror  traffic.Split `json:"mirror_traffic"`
	// Deployments are kept sorted by name.
	Deployments []Deployment `json:"deployments,omitempty"`

	Status Status `json:"-"`

	// src remembers where each field was written, for errors; nil for
	// endpoints built in code.
	src *source
}

// Kind reports whether the endpoint is managed or runs on Kubernetes.
func (e *Endpoint) Kind() Kind {
	if e.Compute != "" {
		return Kubernetes
	}
	return Managed
}

// Deployment returns the deployment with exactly the given name, or nil.
// Specs spell names one way throughout; the service's own comparison is
// [SameName].
func (e *Endpoint) Deployment(name string) *Deployment {
	for i := range e.Deployments {
		if e.Deployments[i].Name == name {
			return &e.Deployments[i]
		}
	}
	return nil
}

// Capacity is the number of instances the deployment keeps running: its
// instance count, or under target-utilization autoscaling its minimum.
func (d *Deployment) Capacity() int {
	if d.ScaleSettings.Type == ScaleTargetUtilization {
		return d.ScaleSettings.MinInstances
	}
	return d.InstanceCount
}

// Identity is the managed identity an endpoint runs as.
type Identity struct {
	// Type is system_assigned, user_assigned, "system_assigned,user_assigned" or none.
	Type string `json:"type"`
	// UserAssignedIdentities are ARM resource ids, kept sorted.
	UserAssignedIdentities []string `json:"user_assigned_identities,omitempty"`
}

// Deployment is one model version behind an endpoint, with the compute that
// serves it.
type Deployment struct {
	Name        string `json:"name"`
	Type        Kind   `json:"type,omitempty"`
	Description string `json:"description,omitempty"`
	// Tags nil are not managed; empty are managed and none (see Tags in
	// the package documentation).
	Tags map[string]string `json:"tags,omitzero"`
	// Properties can be added, never removed or altered, as an
	// endpoint's (see Endpoint.Properties).
	Properties map[string]string `json:"properties,omitempty"`

	Model             Reference         `json:"model,omitzero"`
	ModelMountPath    string            `json:"model_mount_path,omitempty"`
	CodeConfiguration CodeConfiguration `json:"code_configuration,omitzero"`
	Environment       Environment       `json:"environment,omitzero"`
	// EnvironmentVariables may hold secrets: what is written for people
	// to read (diffs, errors, plans in every format) shows the values of
	// names that look secret (see [IsSecretName]) as [Redacted]. [Marshal]
	// and encoding/json write them as they are: their output is the spec
	// itself, to be kept where the spec is.
	EnvironmentVariables map[string]string `json:"environment_variables,omitempty"`

	// InstanceType is the VM size (managed) or instance type (Kubernetes).
	// It cannot change in place.
	InstanceType  string `json:"instance_type,omitempty"`
	InstanceCount int    `json:"instance_count,omitempty"`

	ScaleSettings   ScaleSettings   `json:"scale_settings,omitzero"`
	RequestSettings RequestSettings `json:"request_settings,omitzero"`
	LivenessProbe   Probe           `json:"liveness_probe,omitzero"`
	ReadinessProbe  Probe           `json:"readiness_probe,omitzero"`
	// StartupProbe, when set, holds the other probes back until the
	// container has started; unset, the service runs none.
	StartupProbe Probe `json:"startup_probe,omitzero"`

	AppInsightsEnabled        bool           `json:"app_insights_enabled,omitempty"`
	EgressPublicNetworkAccess Access         `json:"egress_public_network_access,omitempty"`
	DataCollector             *DataCollector `json:"data_collector,omitempty"`
	// Resources are Kubernetes requests and limits.
	Resources Resources `json:"resources,omitzero"`

	Status Status `json:"-"`
}

// Reference names an asset (model, environment or code): registered in the
// workspace by name and version or label, in a registry, by ARM id, or a local
// path that the service's CLI would upload. Every written form
// (`azureml:name:version`, `azureml:name@latest`, `{name, version}`,
// `azureml://registries/...`, `file:` paths) loads into this one type.
type Reference struct {
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
	// Label selects a version by label instead ("latest").
	Label string `json:"label,omitempty"`
	// Registry is the registry's name for assets shared across workspaces.
	Registry string `json:"registry,omitempty"`
	// ID is a full ARM resource id.
	ID string `json:"id,omitempty"`
	// Path is a local file or folder, resolved against the file that names it.
	Path string `json:"path,omitempty"`
	// Type is the model format (custom_model, mlflow_model, triton_model).
	Type string `json:"type,omitempty"`
	// Asset is the identity of the asset, as far as it is known without
	// registering it: computed from the files at a local Path by loading,
	// or read from the service by observing. Specs never write it.
	Asset Asset `json:"asset,omitzero"`
}

// CodeConfiguration is the scoring code of a deployment.
type CodeConfiguration struct {
	Code          Reference `json:"code,omitzero"`
	ScoringScript string    `json:"scoring_script,omitempty"`
}

// Environment is the container a deployment runs in: a reference to a
// registered environment, or an inline one (image, conda file, build context).
type Environment struct {
	// Reference names a registered or registry environment; for inline
	// environments it carries the optional name and version given to them.
	Reference
	Image           string          `json:"image,omitempty"`
	CondaFile       string          `json:"conda_file,omitempty"`
	Build           Build           `json:"build,omitzero"`
	InferenceConfig InferenceConfig `json:"inference_config,omitzero"`
	OSType          string          `json:"os_type,omitempty"`
}

// Build is a Docker build context for an inline environment.
type Build struct {
	Path           string `json:"path,omitempty"`
	DockerfilePath string `json:"dockerfile_path,omitempty"`
}

// InferenceConfig names the routes of a custom container.
type InferenceConfig struct {
	LivenessRoute  Route `json:"liveness_route,omitzero"`
	ReadinessRoute Route `json:"readiness_route,omitzero"`
	ScoringRoute   Route `json:"scoring_route,omitzero"`
}

// Route is a path and port inside a custom container.
type Route struct {
	Path string `json:"path,omitempty"`
	Port int    `json:"port,omitempty"`
}

// ScaleType selects manual scaling (default) or autoscaling on Kubernetes.
type ScaleType string

// The scale types.
const (
	ScaleDefault           ScaleType = "default"
	ScaleTargetUtilization ScaleType = "target_utilization"
)

// ScaleSettings say how a deployment scales.
type ScaleSettings struct {
	Type ScaleType `json:"type,omitempty"`
	// MinInstances is the least number of instances under
	// target_utilization, 0 included (scale to zero): loading fills the
	// service's default of 1 only where min_instances is not written.
	MinInstances                int `json:"min_instances,omitempty"`
	MaxInstances                int `json:"max_instances,omitempty"`
	PollingInterval             int `json:"polling_interval,omitempty"`
	TargetUtilizationPercentage int `json:"target_utilization_percentage,omitempty"`
}

// RequestSettings bound how requests are queued and timed out.
type RequestSettings struct {
	RequestTimeoutMS                 int `json:"request_timeout_ms,omitempty"`
	MaxConcurrentRequestsPerInstance int `json:"max_concurrent_requests_per_instance,omitempty"`
	MaxQueueWaitMS                   int `json:"max_queue_wait_ms,omitempty"`
}

// Probe is a liveness, readiness or startup probe; all values are in seconds except
// the thresholds, which count probes.
type Probe struct {
	InitialDelay     int `json:"initial_delay,omitempty"`
	Period           int `json:"period,omitempty"`
	Timeout          int `json:"timeout,omitempty"`
	SuccessThreshold int `json:"success_threshold,omitempty"`
	FailureThreshold int `json:"failure_threshold,omitempty"`
}

// Resources are the Kubernetes requests and limits of each instance.
type Resources struct {
	Requests Quantities `json:"requests,omitzero"`
	Limits   Quantities `json:"limits,omitzero"`
}

// Quantities are Kubernetes resource quantities, as written ("0.5", "200Mi").
type Quantities struct {
	CPU    string `json:"cpu,omitempty"`
	Memory string `json:"memory,omitempty"`
	GPU    string `json:"nvidia.com/gpu,omitempty"`
}

// DataCollector configures the collection of a deployment's inputs and
// outputs.
type DataCollector struct {
	// Collections are keyed by name (model_inputs, model_outputs, request, response, ...).
	Collections    map[string]Collection `json:"collections,omitempty"`
	SamplingRate   float64               `json:"sampling_rate,omitempty"`
	RollingRate    string                `json:"rolling_rate,omitempty"`
	RequestLogging *RequestLogging       `json:"request_logging,omitempty"`
}

// Collection is one stream of collected data.
type Collection struct {
	Enabled  bool      `json:"enabled"`
	Data     Reference `json:"data,omitzero"`
	ClientID string    `json:"client_id,omitempty"`
	// SamplingRate is the fraction of requests collected, 0 included:
	// loading fills the collector's rate, or the service's default of 1,
	// only where sampling_rate is not written.
	SamplingRate float64 `json:"sampling_rate,omitempty"`
}

// RequestLogging names the request headers the data collector records.
type RequestLogging struct {
	CaptureHeaders []string `json:"capture_headers,omitempty"`
}

// IsZero reports whether the environment is unset. It is declared so that
// the IsZero promoted from the embedded [Reference] does not decide alone:
// an inline environment (an image and a conda file, no name) is not zero.
func (e Environment) IsZero() bool { return e == Environment{} }
