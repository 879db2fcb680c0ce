package endpoint

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolloutkit/rollout/traffic"
)

func TestValidateValid(t *testing.T) {
	tests := []struct {
		name   string
		e      *Endpoint
		reason string
	}{
		{"full", fullEndpoint(), "every field set to an allowed value"},
		{"full normalized", Normalized(fullEndpoint()), "normalization keeps a valid spec valid"},
		{"dark", &Endpoint{Name: "abc", Deployments: []Deployment{{Name: "d-1", InstanceType: "x", InstanceCount: 1}}}, "no traffic at all is allowed"},
		{"kubernetes autoscale", &Endpoint{Name: "k8s", Compute: "azureml:k", Deployments: []Deployment{{Name: "blue",
			ScaleSettings: ScaleSettings{Type: ScaleTargetUtilization, MinInstances: 1, MaxInstances: 3, PollingInterval: 10, TargetUtilizationPercentage: 70},
			Resources:     Resources{Requests: Quantities{CPU: "0.1"}}}}, Traffic: traffic.MustNew(map[string]int{"blue": 100})},
			"the corpus's Kubernetes green: no instance type or count needed"},
		{"capitalised enums", &Endpoint{Name: "abc", AuthMode: "Key", PublicNetworkAccess: "Disabled", Identity: &Identity{Type: "System_Assigned, User_Assigned", UserAssignedIdentities: []string{"id"}}},
			"enums are case-insensitive before normalization"},
		{"max length name", &Endpoint{Name: "a" + strings.Repeat("b", 31)}, "32 characters is allowed"},
		{"identity without type", &Endpoint{Name: "abc", Identity: &Identity{}}, "a type not set is the default, system_assigned, as Normalize makes it"},
	}
	for _, tt := range tests {
		if err := Validate(tt.e); err != nil {
			t.Errorf("%s: Validate = %v, want nil (%s)", tt.name, err, tt.reason)
		}
	}
}

// TestValidateInCode checks rules on endpoints built in code, which carry no
// positions: messages name the canonical path only.
func TestValidateInCode(t *testing.T) {
	tests := []struct {
		name   string
		change func(e *Endpoint)
		want   string
		reason string
	}{
		{"short name", func(e *Endpoint) { e.Name = "ab" }, `name: must be between 3 and 32 characters, got 2 ("ab")`, "too short"},
		{"bad name", func(e *Endpoint) { e.Name = "my_endpoint" }, `name: must start with a letter and contain only letters, digits and '-', not ending with '-'; got "my_endpoint"`, "underscore"},
		{"no name", func(e *Endpoint) { e.Name = "" }, `name: is required: 3 to 32 characters, letters, digits and '-'`, "missing name"},
		{"trailing dash", func(e *Endpoint) {
			e.Deployments[0].Name = "blue-"
			e.Traffic = traffic.MustNew(map[string]int{"green": 100})
		},
			`deployments[blue-].name: must start with a letter and contain only letters, digits and '-', not ending with '-'; got "blue-"`, "deployment names follow the same rule"},
		{"auth", func(e *Endpoint) { e.AuthMode = "cert" }, `auth_mode: must be key, aml_token or aad_token, got "cert"`, "unknown auth mode"},
		{"aad on k8s", func(e *Endpoint) {
			e.AuthMode = AuthAADToken
			e.Compute = "k"
			e.Mirror = traffic.Split{}
			for i := range e.Deployments {
				e.Deployments[i].Type = ""
				e.Deployments[i].InstanceType = ""
			}
		}, "auth_mode: aad_token is only for managed endpoints; a Kubernetes endpoint takes key or aml_token", "aad_token is managed only"},
		{"network", func(e *Endpoint) { e.PublicNetworkAccess = "public" }, `public_network_access: must be enabled or disabled, got "public"`, "unknown access"},
		{"identity type", func(e *Endpoint) { e.Identity.Type = "managed" }, `identity.type: must be system_assigned, user_assigned, system_assigned,user_assigned or none, got "managed"`, "unknown identity"},
		{"identity none plus", func(e *Endpoint) { e.Identity.Type = "none,user_assigned" }, `identity.type: none cannot be combined with another identity type, got "none,user_assigned"`, "contradiction"},
		{"user ids missing", func(e *Endpoint) { e.Identity.UserAssignedIdentities = nil }, `identity.user_assigned_identities: at least one user-assigned identity is required with type "user_assigned"`, "user_assigned needs ids"},
		{"system with ids", func(e *Endpoint) { e.Identity.Type = "system_assigned" }, `identity.user_assigned_identities: user-assigned identities are allowed only with type user_assigned or system_assigned,user_assigned, got type "system_assigned"`, "ids need user_assigned"},
		{"traffic total", func(e *Endpoint) { e.Traffic = traffic.MustNew(map[string]int{"blue": 90}) }, "traffic: total is 90, must be exactly 100 or 0 (blue=90)", "total must be 100"},
		{"traffic unknown", func(e *Endpoint) { e.Traffic = traffic.MustNew(map[string]int{"blue": 90, "red": 10}) }, `traffic.red: names deployment "red", which this endpoint does not have; it has blue, green`, "unknown deployment"},
		{"traffic case", func(e *Endpoint) { e.Traffic = traffic.MustNew(map[string]int{"Blue": 90, "green": 10}) }, `traffic.Blue: names deployment "Blue", which this endpoint does not have; it has blue, green`, "traffic keys are exact"},
		{"mirror big", func(e *Endpoint) {
			e.Traffic = traffic.MustNew(map[string]int{"blue": 100})
			e.Mirror = traffic.MustNew(map[string]int{"green": 60})
		},
			"mirror_traffic.green: mirror percent must be at most 50, got 60", "mirror at most 50"},
		{"mirror live", func(e *Endpoint) { e.Mirror = traffic.MustNew(map[string]int{"green": 10}) },
			"mirror_traffic.green: mirror deployment also has 10% live traffic; mirror only to a deployment with no live traffic", "mirror never to a live deployment"},
		{"mirror unknown", func(e *Endpoint) {
			e.Traffic = traffic.MustNew(map[string]int{"blue": 100})
			e.Mirror = traffic.MustNew(map[string]int{"red": 10})
		},
			`mirror_traffic.red: names deployment "red", which this endpoint does not have; it has blue, green`, "mirror names a deployment"},
		{"duplicate", func(e *Endpoint) {
			e.Deployments[1].Name = "Blue"
			e.Traffic = traffic.MustNew(map[string]int{"blue": 100})
		},
			`deployments[Blue]: deployment "Blue" is defined twice (as "blue" and "Blue"); names must be unique, ignoring case`, "names are case-insensitive on the service"},
		{"kind mismatch", func(e *Endpoint) { e.Deployments[0].Type = Kubernetes },
			"deployments[blue].type: a kubernetes deployment needs an endpoint with compute; this endpoint is managed (remove type, or set compute on the endpoint)", "kubernetes on managed"},
		{"bad type", func(e *Endpoint) { e.Deployments[0].Type = "batch" }, `deployments[blue].type: must be managed or kubernetes, got "batch"`, "unknown kind"},
		{"instance type", func(e *Endpoint) { e.Deployments[0].InstanceType = "" }, "deployments[blue].instance_type: is required for a managed deployment: a VM size such as Standard_DS3_v2", "managed needs a VM size"},
		{"instance count zero", func(e *Endpoint) { e.Deployments[0].InstanceCount = 0 }, "deployments[blue].instance_count: is required for a managed deployment and must be between 1 and 100", "managed needs instances"},
		{"instance count big", func(e *Endpoint) { e.Deployments[0].InstanceCount = 1000 }, "deployments[blue].instance_count: must be between 1 and 100, got 1000", "a slipped digit"},
		{"timeout", func(e *Endpoint) { e.Deployments[0].RequestSettings.RequestTimeoutMS = 180001 }, "deployments[blue].request_settings.request_timeout_ms: must be between 1 and 180000 on a managed deployment, got 180001", "managed timeout bound"},
		{"negative concurrency", func(e *Endpoint) { e.Deployments[0].RequestSettings.MaxConcurrentRequestsPerInstance = -1 }, "deployments[blue].request_settings.max_concurrent_requests_per_instance: must be at least 1, got -1", "at least one request"},
		{"probe", func(e *Endpoint) { e.Deployments[0].ReadinessProbe.InitialDelay = -5 }, "deployments[blue].readiness_probe.initial_delay: must be at least 0, got -5", "probe minimum"},
		{"probe threshold", func(e *Endpoint) { e.Deployments[0].StartupProbe.FailureThreshold = -1 }, "deployments[blue].startup_probe.failure_threshold: must be at least 1, got -1", "the last setting of the last probe is checked too"},
		{"probe huge", func(e *Endpoint) { e.Deployments[0].LivenessProbe.Period = math.MaxInt32 + 1 }, "deployments[blue].liveness_probe.period: must be at most 2147483647, got 2147483648", "the service takes 32-bit integers, and a period in seconds this large overflows in milliseconds"},
		{"queue wait huge", func(e *Endpoint) { e.Deployments[0].RequestSettings.MaxQueueWaitMS = 1 << 40 }, "deployments[blue].request_settings.max_queue_wait_ms: must be at most 2147483647, got 1099511627776", "every setting is bounded, not only the managed request timeout"},
		{"max instances huge", func(e *Endpoint) { e.Deployments[0].ScaleSettings.MaxInstances = math.MaxInt32 + 1 }, "deployments[blue].scale_settings.max_instances: must be at most 2147483647, got 2147483648", "scale settings too"},
		{"port", func(e *Endpoint) {
			e.Deployments[0].Environment.InferenceConfig.ScoringRoute = Route{Path: "/score", Port: 70000}
		},
			"deployments[blue].environment.inference_config.scoring_route.port: must be between 1 and 65535, got 70000", "a route's port is a TCP port"},
		{"negative port", func(e *Endpoint) {
			e.Deployments[0].Environment.InferenceConfig.LivenessRoute = Route{Path: "/", Port: -1}
		},
			"deployments[blue].environment.inference_config.liveness_route.port: must be between 1 and 65535, got -1", "built in code, a port can be negative"},
		{"autoscale managed", func(e *Endpoint) { e.Deployments[0].ScaleSettings.Type = ScaleTargetUtilization },
			"deployments[blue].scale_settings.type: target_utilization is only for Kubernetes deployments; a managed deployment scales by instance_count (autoscale it with Azure Monitor)", "autoscale is Kubernetes only"},
		{"min max", func(e *Endpoint) {
			e.Deployments[0].ScaleSettings.MinInstances = 3
			e.Deployments[0].ScaleSettings.MaxInstances = 2
		},
			"deployments[blue].scale_settings.max_instances: must be at least min_instances (3), got 2", "min above max"},
		{"utilization", func(e *Endpoint) { e.Deployments[0].ScaleSettings.TargetUtilizationPercentage = 101 }, "deployments[blue].scale_settings.target_utilization_percentage: must be between 1 and 100, got 101", "a percentage"},
		{"resources managed", func(e *Endpoint) { e.Deployments[0].Resources.Limits.CPU = "1" }, "deployments[blue].resources: only Kubernetes deployments take resources; a managed deployment is sized by its instance_type", "resources are Kubernetes only"},
		{"egress", func(e *Endpoint) { e.Deployments[0].EgressPublicNetworkAccess = "on" }, `deployments[blue].egress_public_network_access: must be enabled or disabled, got "on"`, "unknown access"},
		{"env name", func(e *Endpoint) { e.Deployments[0].EnvironmentVariables["A=B"] = "hunter2" }, "deployments[blue].environment_variables.A=B: a variable name must not contain '=' or NUL", "bad variable name, value not shown"},
		{"env name twice", func(e *Endpoint) {
			for i := range e.Deployments {
				e.Deployments[i].EnvironmentVariables["A=B"] = "hunter2"
			}
		}, "deployments[blue].environment_variables.A=B: a variable name must not contain '=' or NUL\n" +
			"deployments[green].environment_variables.A=B: a variable name must not contain '=' or NUL", "the same bad names in two deployments, each reported"},
		{"env name among alike", func(e *Endpoint) {
			vars := e.Deployments[1].EnvironmentVariables
			delete(vars, "MODE")
			vars["MO=DE"] = "fast"
		}, "deployments[green].environment_variables.MO=DE: a variable name must not contain '=' or NUL", "as many names as the last deployment's valid ones, one of them bad"},
		{"os type", func(e *Endpoint) { e.Deployments[0].Environment = Environment{Image: "img:1", OSType: "mac"} }, `deployments[blue].environment.os_type: must be linux or windows, got "mac"`, "the loader refuses it; so does Validate, for a spec built in code"},
		{"sampling", func(e *Endpoint) { e.Deployments[0].DataCollector.SamplingRate = 2 }, "deployments[blue].data_collector.sampling_rate: must be between 0 and 1, got 2", "a fraction"},
		{"too many", func(e *Endpoint) {
			for i := range 20 {
				d := fullDeployment("d" + strings.Repeat("x", 2) + string(rune('a'+i)))
				e.Deployments = append(e.Deployments, d)
			}
		}, "deployments[dxxs]: an endpoint may have at most 20 deployments, got 22", "service limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := fullEndpoint()
			tt.change(e)
			err := Validate(e)
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Validate = %v, want an ErrorList (%s)", err, tt.reason)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not match ErrInvalid")
			}
			if got := strings.TrimSuffix(list.Lines(), "\n"); got != tt.want {
				t.Errorf("Validate (%s):\ngot  %s\nwant %s", tt.reason, got, tt.want)
			}
			if strings.Contains(list.Lines(), "hunter2") {
				t.Errorf("a message shows an environment variable's value")
			}
		})
	}
}

func TestValidateCollectsEverything(t *testing.T) {
	e := &Endpoint{Name: "x", AuthMode: "cert", Deployments: []Deployment{{Name: "b"}}}
	err := Validate(e)
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Validate = %v, want an ErrorList", err)
	}
	want := `auth_mode: must be key, aml_token or aad_token, got "cert"
deployments[b].instance_count: is required for a managed deployment and must be between 1 and 100
deployments[b].instance_type: is required for a managed deployment: a VM size such as Standard_DS3_v2
deployments[b].name: must be between 3 and 32 characters, got 1 ("b")
name: must be between 3 and 32 characters, got 1 ("x")
`
	if got := list.Lines(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if Validate(nil) == nil {
		t.Error("Validate(nil) = nil, want an error")
	}
}

// validateCases are specs that load but break a rule of the service. Their
// errors, with positions, are in testdata/validate/errors.golden.
var validateCases = []struct {
	name   string
	spec   string
	reason string
}{
	{"short-name", "name: ab\nauth_mode: key\n", "names have at least 3 characters"},
	{"underscore-name", "name: my_endpoint\nauth_mode: key\n", "the service's name pattern has no underscore"},
	{"too-many-deployments", "name: my-endpoint\ndeployments:\n" + strings.Repeat("  - name: d{{N}}\n    instance_type: Standard_F2s_v2\n    instance_count: 1\n", 21), "at most 20 deployments"},
	{"bad-deployment-name", `name: my-endpoint
deployments:
  - name: 1blue
    instance_type: Standard_F2s_v2
    instance_count: 1
`, "deployment names start with a letter"},
	{"traffic-total", `name: my-endpoint
traffic:
  blue: 90
deployments:
  - name: blue
    instance_type: Standard_F2s_v2
    instance_count: 1
`, "live traffic sums to 100 or 0"},
	{"traffic-unknown", `name: my-endpoint
traffic:
  blue: 90
  gren: 10
deployments:
  - name: blue
    instance_type: Standard_F2s_v2
    instance_count: 1
  - name: green
    instance_type: Standard_F2s_v2
    instance_count: 1
`, "a typo in a traffic key"},
	{"traffic-unknown-map-form", `name: my-endpoint
traffic:
  Blue: 100
deployments:
  blue:
    instance_type: Standard_F2s_v2
    instance_count: 1
`, "traffic keys are case-sensitive; the 2021 map form"},
	{"mirror-too-much", `name: my-endpoint
traffic:
  blue: 100
mirror_traffic:
  green: 60
deployments:
  - name: blue
    instance_type: Standard_F2s_v2
    instance_count: 1
  - name: green
    instance_type: Standard_F2s_v2
    instance_count: 1
`, "mirror at most 50%"},
	{"mirror-live", `name: my-endpoint
traffic:
  blue: 90
  green: 10
mirror_traffic:
  green: 10
deployments:
  - name: blue
    instance_type: Standard_F2s_v2
    instance_count: 1
  - name: green
    instance_type: Standard_F2s_v2
    instance_count: 1
`, "never mirror to a deployment with live traffic"},
	{"mirror-kubernetes", `name: my-endpoint
compute: azureml:k8s
traffic:
  blue: 100
mirror_traffic:
  green: 10
deployments:
  - name: blue
  - name: green
`, "mirroring is for managed endpoints only"},
	{"mirror-unknown", `name: my-endpoint
traffic:
  blue: 100
mirror_traffic:
  shadow: 10
deployments:
  - name: blue
    instance_type: Standard_F2s_v2
    instance_count: 1
`, "mirror names an existing deployment"},
	{"duplicate-ignoring-case", `name: my-endpoint
deployments:
  - name: blue
    instance_type: Standard_F2s_v2
    instance_count: 1
  - name: Blue
    instance_type: Standard_F2s_v2
    instance_count: 1
`, "the service's names are case-insensitive"},
	{"kubernetes-on-managed", `name: my-endpoint
deployments:
  - name: blue
    type: kubernetes
`, "a Kubernetes deployment needs compute"},
	{"managed-on-kubernetes", `name: my-endpoint
compute: azureml:k8s
deployments:
  - name: blue
    type: Managed
    instance_type: Standard_F2s_v2
    instance_count: 1
`, "a managed deployment cannot run on compute"},
	{"managed-needs-size", `name: my-endpoint
deployments:
  - name: blue
`, "managed deployments need instance_type and instance_count"},
	{"instance-count-bound", `name: my-endpoint
deployments:
  - name: blue
    instance_type: Standard_F2s_v2
    instance_count: 500
`, "a slipped digit"},
	{"request-timeout", `name: my-endpoint
deployments:
  - name: blue
    instance_type: Standard_F2s_v2
    instance_count: 1
    request_settings:
      request_timeout_ms: 200000
`, "managed requests time out within 3 minutes"},
	{"autoscale-managed", `name: my-endpoint
deployments:
  - name: blue
    instance_type: Standard_F2s_v2
    instance_count: 1
    scale_settings:
      type: target_utilization
`, "target utilization is Kubernetes only"},
	{"min-above-max", `name: my-endpoint
compute: azureml:k8s
deployments:
  - name: blue
    scale_settings:
      type: target_utilization
      min_instances: 3
      max_instances: 2
      target_utilization_percentage: 150
`, "min at most max; a percentage at most 100"},
	{"resources-managed", `name: my-endpoint
deployments:
  - name: blue
    instance_type: Standard_F2s_v2
    instance_count: 1
    resources:
      requests:
        cpu: "1"
`, "a managed deployment is sized by its VM"},
	{"aad-kubernetes", `name: my-endpoint
compute: azureml:k8s
auth_mode: AADToken
`, "aad_token is managed only"},
	{"user-identity-without-ids", `name: my-endpoint
identity:
  type: user_assigned
`, "user_assigned needs identities"},
	{"system-identity-with-ids", `name: my-endpoint
identity:
  type: system_assigned
  user_assigned_identities:
    - resource_id: /subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u
`, "identities need user_assigned"},
	{"env-name", `name: my-endpoint
deployments:
  - name: blue
    instance_type: Standard_F2s_v2
    instance_count: 1
    environment_variables:
      API_KEY=x: hunter2
`, "a variable name with '='; the value must not be shown"},
	{"everything-at-once-2021", `name: my_endpoint
auth_mode: aml_token
traffic:
  blue: 50
  green: 40
deployments:
  blue:
    scale_settings:
      scale_type: manual
      instance_count: 0
  green:
    type: kubernetes
    instance_type: Standard_F2s_v2
    scale_settings:
      scale_type: auto
`, "every problem at once, with paths as the 2021 map form wrote them"},
}

func TestValidateGolden(t *testing.T) {
	var out strings.Builder
	for _, tc := range validateCases {
		spec := tc.spec
		for i := 0; strings.Contains(spec, "{{N}}"); i++ {
			spec = strings.Replace(spec, "{{N}}", fmt.Sprintf("%02d", i), 1)
		}
		_, err := Parse(tc.name+".yml", []byte(spec))
		var list ErrorList
		if !errors.As(err, &list) {
			t.Errorf("%s: Parse = %v, want validation errors (%s)", tc.name, err, tc.reason)
			continue
		}
		for _, e := range list {
			if e.Pos.Line == 0 {
				t.Errorf("%s: error without a line: %v", tc.name, e)
			}
		}
		if strings.Contains(list.Lines(), "hunter2") {
			t.Errorf("%s: a message shows an environment variable's value", tc.name)
		}
		fmt.Fprintf(&out, "== %s (%s)\n%s\n", tc.name, tc.reason, list.Lines())
	}
	golden(t, filepath.Join("testdata", "validate", "errors.golden"), out.String())
}

// golden compares got with the golden file, or rewrites the file under
// -update.
func golden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update and review the diff):\n%s", file, got)
	}
}

func TestIsServiceName(t *testing.T) {
	tests := []struct {
		name   string
		want   bool
		reason string
	}{
		{"blue", true, "letters"},
		{"Blue-2", true, "upper case, digit and dash"},
		{"b", true, "one letter matches the pattern; length is checked apart"},
		{"", false, "empty"},
		{"2blue", false, "starts with a digit"},
		{"-blue", false, "starts with a dash"},
		{"blue-", false, "ends with a dash"},
		{"blue_green", false, "underscore"},
		{"blué", false, "non-ASCII letter"},
		{"blue green", false, "space"},
	}
	for _, tt := range tests {
		if got := isServiceName(tt.name); got != tt.want {
			t.Errorf("isServiceName(%q) = %v, want %v (%s)", tt.name, got, tt.want, tt.reason)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	e := Normalized(fullEndpoint())
	b.ReportAllocs()
	for b.Loop() {
		if err := Validate(e); err != nil {
			b.Fatal(err)
		}
	}
}
