package gen

import (
	"slices"
	"strconv"
	"strings"

	"pgregory.net/rapid"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

// MaxDeployments is the most deployments a generated endpoint usually has:
// few enough to keep shrunk counterexamples readable, enough for several
// deployments in play at once. One endpoint in twenty is wide instead, with
// up to the service's limit of [endpoint.MaxDeployments].
const MaxDeployments = 6

// The small sets that values are drawn from. They are small on purpose: an
// edit that picks a new instance type then often lands on another valid one,
// so immutable changes are common, and names from a short list collide
// across endpoints the way real fleets reuse blue and green everywhere.
var (
	managedInstanceTypes    = []string{"Standard_DS3_v2", "Standard_F2s_v2", "Standard_DS4_v2", "Standard_E4s_v3"}
	kubernetesInstanceTypes = []string{"defaultinstancetype", "cpu-small", "gpu-t4"}
	kubernetesComputes      = []string{"k8s-westeurope", "k8s-eastus", "inferencecompute"}
	endpointNames           = []string{"my-endpoint", "fraud-scorer", "churn-model", "Recommender", "sentiment-api", "ranker"}
	deploymentNames         = []string{"blue", "green", "canary", "stable", "shadow", "baseline", "candidate", "model-v2"}
	modelNames              = []string{"model-1", "model-2", "sklearn-regression", "bert-base"}
	environmentNames        = []string{"sklearn-env", "pytorch-env", "minimal-py311"}
	images                  = []string{
		"mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest",
		"mcr.microsoft.com/azureml/minimal-ubuntu22.04-py311-cpu-inference:latest",
	}
	plainVariables  = []string{"MODEL_NAME", "LOG_LEVEL", "WORKER_COUNT", "AZUREML_ENTRY_SCRIPT"}
	secretVariables = []string{"API_KEY", "DB_PASSWORD", "STORAGE_CONNECTION_STRING", "OPENAI_API_KEY", "SERVICE_TOKEN"}
	tagKeys         = []string{"owner", "team", "cost-center", "stage"}
	tagValues       = []string{"ml-platform", "search", "prod", "dev", "1234"}
)

// Name generates a resource name the service accepts for an endpoint or a
// deployment: 3 to 32 characters matching
// ^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$. Most names come from a short list
// of the names people use (blue, green, my-endpoint, ...), the rest are
// arbitrary.
func Name() *rapid.Generator[string] {
	return rapid.OneOf(
		rapid.SampledFrom(deploymentNames),
		rapid.SampledFrom(deploymentNames),
		rapid.SampledFrom(endpointNames),
		rapid.StringMatching(`[a-zA-Z][-a-zA-Z0-9]{1,30}[a-zA-Z0-9]`),
	)
}

// Deployment generates a valid deployment of the given kind (managed or
// Kubernetes): a registered model and code, a registered or inline
// environment, an instance type from a small set, one to five instances
// (Kubernetes deployments sometimes autoscale instead, between a minimum
// and a maximum, with or without a count), and sometimes environment
// variables (including ones whose names look secret, see
// [endpoint.IsSecretName]), tags, request settings and probes.
func Deployment(kind endpoint.Kind) *rapid.Generator[endpoint.Deployment] {
	return rapid.Custom(func(t *rapid.T) endpoint.Deployment {
		return drawDeployment(t, kind, Name().Draw(t, "name"))
	})
}

func drawDeployment(t *rapid.T, kind endpoint.Kind, name string) endpoint.Deployment {
	d := endpoint.Deployment{
		Name:  name,
		Type:  kind,
		Model: endpoint.Reference{Name: rapid.SampledFrom(modelNames).Draw(t, "model"), Version: version(t, "model_version")},
		CodeConfiguration: endpoint.CodeConfiguration{
			Code:          endpoint.Reference{Name: "score-code", Version: version(t, "code_version")},
			ScoringScript: "score.py",
		},
		Environment:   drawEnvironment(t),
		InstanceCount: rapid.IntRange(1, 5).Draw(t, "instance_count"),
	}
	if kind == endpoint.Kubernetes {
		d.InstanceType = rapid.SampledFrom(kubernetesInstanceTypes).Draw(t, "instance_type")
		d.Resources = endpoint.Resources{
			Requests: endpoint.Quantities{CPU: "0.1", Memory: "0.1Gi"},
			Limits:   endpoint.Quantities{CPU: rapid.SampledFrom([]string{"0.2", "1", "2"}).Draw(t, "cpu_limit"), Memory: "200Mi"},
		}
		if rapid.IntRange(0, 2).Draw(t, "autoscale") == 0 {
			lo := rapid.IntRange(1, 2).Draw(t, "min_instances")
			d.ScaleSettings = endpoint.ScaleSettings{
				Type:                        endpoint.ScaleTargetUtilization,
				MinInstances:                lo,
				MaxInstances:                rapid.IntRange(lo, 4).Draw(t, "max_instances"),
				TargetUtilizationPercentage: rapid.SampledFrom([]int{50, 70}).Draw(t, "target_utilization"),
			}
			// An autoscaled deployment is often written without a count,
			// as in the Kubernetes examples: the minimum is what runs.
			if rapid.Bool().Draw(t, "no_instance_count") {
				d.InstanceCount = 0
			}
		}
	} else {
		d.InstanceType = rapid.SampledFrom(managedInstanceTypes).Draw(t, "instance_type")
	}
	if rapid.Bool().Draw(t, "has_env_vars") {
		d.EnvironmentVariables = drawVariables(t)
	}
	if rapid.IntRange(0, 3).Draw(t, "has_tags") == 0 {
		d.Tags = drawTags(t)
	}
	if rapid.IntRange(0, 3).Draw(t, "has_request_settings") == 0 {
		d.RequestSettings = endpoint.RequestSettings{
			RequestTimeoutMS:                 rapid.SampledFrom([]int{3000, 5000, 90000}).Draw(t, "request_timeout_ms"),
			MaxConcurrentRequestsPerInstance: rapid.IntRange(1, 4).Draw(t, "max_concurrent_requests"),
		}
	}
	if rapid.IntRange(0, 3).Draw(t, "has_probe") == 0 {
		d.LivenessProbe = endpoint.Probe{InitialDelay: 10, Period: 10, Timeout: 2, SuccessThreshold: 1, FailureThreshold: rapid.IntRange(1, 30).Draw(t, "failure_threshold")}
	}
	return d
}

func drawEnvironment(t *rapid.T) endpoint.Environment {
	if rapid.IntRange(0, 2).Draw(t, "inline_environment") == 0 {
		return endpoint.Environment{
			Image:     rapid.SampledFrom(images).Draw(t, "image"),
			CondaFile: "conda.yaml",
		}
	}
	return endpoint.Environment{Reference: endpoint.Reference{
		Name:    rapid.SampledFrom(environmentNames).Draw(t, "environment"),
		Version: version(t, "environment_version"),
	}}
}

func version(t *rapid.T, label string) string {
	return strconv.Itoa(rapid.IntRange(1, 12).Draw(t, label))
}

func drawVariables(t *rapid.T) map[string]string {
	m := map[string]string{}
	for _, name := range rapid.SliceOfNDistinct(rapid.SampledFrom(plainVariables), 0, 2, rapid.ID).Draw(t, "plain_variables") {
		m[name] = rapid.SampledFrom([]string{"info", "debug", "4", "score.py", "model"}).Draw(t, name)
	}
	for _, name := range rapid.SliceOfNDistinct(rapid.SampledFrom(secretVariables), 0, 2, rapid.ID).Draw(t, "secret_variables") {
		m[name] = SecretValue().Draw(t, name)
	}
	return m
}

// SecretValue generates the value of a secret-looking environment variable:
// a prefix no other generated value has, followed by random characters, so
// a test can search any output for it and be sure a match is a leak.
func SecretValue() *rapid.Generator[string] {
	return rapid.Map(rapid.StringMatching(`[a-zA-Z0-9]{16}`), func(s string) string { return "s3cr3t-" + s })
}

func drawTags(t *rapid.T) map[string]string {
	return rapid.MapOfN(rapid.SampledFrom(tagKeys), rapid.SampledFrom(tagValues), 1, 2).Draw(t, "tags")
}

// Endpoint generates a valid desired endpoint: managed, or Kubernetes with a
// compute target, with up to [MaxDeployments] deployments of its kind (see
// there for the exception), a live split that sums to 100 over some of
// them or is dark, and on managed endpoints sometimes a mirror to a
// deployment without live traffic. Deployments are sorted by name, as the
// model keeps them.
func Endpoint() *rapid.Generator[*endpoint.Endpoint] {
	return rapid.Custom(func(t *rapid.T) *endpoint.Endpoint {
		return drawEndpoint(t, Name().Draw(t, "endpoint"))
	})
}

func drawEndpoint(t *rapid.T, name string) *endpoint.Endpoint {
	e := &endpoint.Endpoint{
		Name:                name,
		AuthMode:            endpoint.AuthKey,
		PublicNetworkAccess: endpoint.Enabled,
	}
	kind := endpoint.Managed
	if rapid.IntRange(0, 3).Draw(t, "kubernetes") == 0 {
		kind = endpoint.Kubernetes
		e.Compute = rapid.SampledFrom(kubernetesComputes).Draw(t, "compute")
		e.AuthMode = rapid.SampledFrom([]endpoint.AuthMode{endpoint.AuthKey, endpoint.AuthAMLToken}).Draw(t, "auth_mode")
	} else {
		e.AuthMode = rapid.SampledFrom([]endpoint.AuthMode{endpoint.AuthKey, endpoint.AuthAMLToken, endpoint.AuthAADToken}).Draw(t, "auth_mode")
		if rapid.IntRange(0, 4).Draw(t, "private") == 0 {
			e.PublicNetworkAccess = endpoint.Disabled
		}
	}
	if rapid.Bool().Draw(t, "has_description") {
		e.Description = rapid.SampledFrom([]string{"scores transactions", "canary rollout target", "an endpoint"}).Draw(t, "description")
	}
	if rapid.Bool().Draw(t, "has_tags") {
		e.Tags = drawTags(t)
	}
	most := MaxDeployments
	if rapid.IntRange(0, 19).Draw(t, "wide") == 0 {
		most = endpoint.MaxDeployments
	}
	names := rapid.SliceOfNDistinct(Name(), atLeastOne(t, "no_deployments"), most, strings.ToLower).Draw(t, "deployments")
	slices.Sort(names)
	for _, n := range names {
		e.Deployments = append(e.Deployments, drawDeployment(t, kind, n))
	}
	e.Traffic = drawLive(t, names)
	e.Mirror = drawMirror(t, e)
	return e
}

// drawLive draws a live split over some of names: dark (all zero) now and
// then and whenever there is nothing to serve, otherwise 100 spread over a
// non-empty subset, mostly in round numbers as people write them.
func drawLive(t *rapid.T, names []string) traffic.Split {
	if len(names) == 0 || rapid.IntRange(0, 7).Draw(t, "dark") == 0 {
		return traffic.Split{}
	}
	serving := rapid.SliceOfNDistinct(rapid.SampledFrom(names), 1, len(names), rapid.ID).Draw(t, "serving")
	return spread(t, serving)
}

// spread divides 100 percent among names (at most 100 of them), each
// getting at least 1, in multiples of 10 half of the time when there are
// few enough names.
func spread(t *rapid.T, names []string) traffic.Split {
	if len(names) == 1 {
		return traffic.MustNew(map[string]int{names[0]: 100})
	}
	step := 1
	if len(names) <= 10 && rapid.Bool().Draw(t, "round") {
		step = 10
	}
	// Cut points split [0, 100/step] into len(names) non-empty parts.
	cuts := rapid.SliceOfNDistinct(rapid.IntRange(1, 100/step-1), len(names)-1, len(names)-1, rapid.ID).Draw(t, "cuts")
	slices.Sort(cuts)
	m := make(map[string]int, len(names))
	prev := 0
	for i, n := range names {
		next := 100 / step
		if i < len(cuts) {
			next = cuts[i]
		}
		m[n] = (next - prev) * step
		prev = next
	}
	return traffic.MustNew(m)
}

// drawMirror sometimes mirrors a managed endpoint's requests to one of its
// deployments that serves no live traffic. A dark endpoint has no requests
// to copy, so it gets no mirror.
func drawMirror(t *rapid.T, e *endpoint.Endpoint) traffic.Split {
	if e.Kind() != endpoint.Managed || e.Traffic.IsZero() {
		return traffic.Split{}
	}
	var idle []string
	for _, d := range e.Deployments {
		if e.Traffic.Get(d.Name) == 0 {
			idle = append(idle, d.Name)
		}
	}
	if len(idle) == 0 || rapid.IntRange(0, 2).Draw(t, "mirror") != 0 {
		return traffic.Split{}
	}
	target := rapid.SampledFrom(idle).Draw(t, "mirror_deployment")
	return traffic.MustNew(map[string]int{target: mirrorPercent().Draw(t, "mirror_percent")})
}

// mirrorPercent is mostly a round share, as people write it, and now and
// then anything up to the service's limit of 50.
func mirrorPercent() *rapid.Generator[int] {
	return rapid.OneOf(rapid.SampledFrom([]int{5, 10, 20, 50}), rapid.IntRange(1, 50))
}

// Endpoints generates up to max valid endpoints whose names differ even
// ignoring case (the service treats endpoint names case-insensitively).
func Endpoints(max int) *rapid.Generator[[]*endpoint.Endpoint] {
	return rapid.Custom(func(t *rapid.T) []*endpoint.Endpoint {
		names := rapid.SliceOfNDistinct(Name(), min(max, atLeastOne(t, "no_endpoints")), max, strings.ToLower).Draw(t, "endpoints")
		eps := make([]*endpoint.Endpoint, len(names))
		for i, n := range names {
			eps[i] = drawEndpoint(t, n)
		}
		return eps
	})
}

// atLeastOne is the least length of a list: 1 mostly, 0 now and then.
// rapid favours short lists, and without this a third of the states drawn
// would be empty, which tests little.
func atLeastOne(t *rapid.T, label string) int {
	if rapid.IntRange(0, 9).Draw(t, label) == 0 {
		return 0
	}
	return 1
}
