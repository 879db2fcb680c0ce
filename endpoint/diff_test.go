package endpoint

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func changeLines(cs []Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.String())
	}
	return out
}

func TestDiffDeployment(t *testing.T) {
	tests := []struct {
		name   string
		change func(d *Deployment)
		want   []string
		reason string
	}{
		{"none", func(*Deployment) {}, nil, "equal deployments have no changes"},
		{"status only", func(d *Deployment) { d.Status = Status{ProvisioningState: Failed} }, nil, "status is not spec"},
		{"scale", func(d *Deployment) { d.InstanceCount = 3 }, []string{"instance_count: 2 → 3"}, "the canary flow's scale step"},
		{"unset int", func(d *Deployment) { d.RequestSettings.MaxQueueWaitMS = 0 }, []string{"request_settings.max_queue_wait_ms: 100 → (none)"}, "an unset number shows as (none)"},
		{"instance type quoted", func(d *Deployment) { d.InstanceType = "Standard_F4s_v2 " }, []string{`instance_type: "Standard_F2s_v2" → "Standard_F4s_v2 "`}, "strings are quoted so a trailing space is visible"},
		{"description cleared", func(d *Deployment) { d.Description = "" }, []string{`description: "the blue one" → (none)`}, "an empty string is not set"},
		{"model", func(d *Deployment) { d.Model.Version = "2" }, []string{"model: azureml:model-1:1 → azureml:model-1:2"}, "references print in their one-line form"},
		{"model type", func(d *Deployment) { d.Model.Type = "mlflow_model" }, []string{`model.type: (none) → "mlflow_model"`}, "the format is not in the one-line form, so it has its own path"},
		{"model by id", func(d *Deployment) {
			d.Model = Reference{ID: "/subscriptions/s/models/m", Name: "m"}
		}, []string{"model: azureml:model-1:1 → /subscriptions/s/models/m"}, "id replaces a name"},
		{"code", func(d *Deployment) { d.CodeConfiguration.Code.Path = "../other" }, []string{"code_configuration.code: ../onlinescoring → ../other"}, "code path"},
		{"environment renamed", func(d *Deployment) { d.Environment.Name = "env2" }, []string{"environment: azureml:env:3 → azureml:env2:3"}, "the 2022-02-19 flow renames an environment"},
		{"inline env", func(d *Deployment) {
			d.Environment.Image = "img:1"
			d.Environment.InferenceConfig.ScoringRoute = Route{Path: "/score", Port: 8080}
		}, []string{`environment.image: (none) → "img:1"`, `environment.inference_config.scoring_route.path: (none) → "/score"`, "environment.inference_config.scoring_route.port: (none) → 8080"}, "inline environment fields in declaration order"},
		{"tags", func(d *Deployment) { d.Tags = map[string]string{"color": "b", "a": ""} }, []string{`tags.a: (none) → ""`, `tags.color: "blue" → "b"`}, "map keys sorted; a present empty value is not (none)"},
		{"env var plain", func(d *Deployment) { delete(d.EnvironmentVariables, "MODE") }, []string{`environment_variables.MODE: "fast" → (none)`}, "non-secret values are shown"},
		{"env var secret", func(d *Deployment) { d.EnvironmentVariables["API_KEY"] = "hunter3" }, []string{"environment_variables.API_KEY: (sensitive value) → (sensitive value)"}, "secret values are redacted"},
		{"probe", func(d *Deployment) { d.LivenessProbe.Period = 7; d.ReadinessProbe.FailureThreshold = 9 }, []string{"liveness_probe.period: 5 → 7", "readiness_probe.failure_threshold: 4 → 9"}, "probe fields, liveness before readiness"},
		{"scale settings", func(d *Deployment) {
			d.ScaleSettings = ScaleSettings{Type: ScaleTargetUtilization, MinInstances: 1, MaxInstances: 4}
		}, []string{`scale_settings.type: "default" → "target_utilization"`, "scale_settings.min_instances: (none) → 1", "scale_settings.max_instances: (none) → 4"}, "scale settings"},
		{"bool", func(d *Deployment) { d.AppInsightsEnabled = false }, []string{"app_insights_enabled: true → false"}, "booleans always print"},
		{"collector removed", func(d *Deployment) { d.DataCollector = nil }, []string{
			"data_collector.collections.model_inputs.enabled: true → false",
			"data_collector.collections.model_inputs.data: azureml:inputs:1 → (none)",
			"data_collector.sampling_rate: 0.5 → (none)",
			`data_collector.rolling_rate: "hour" → (none)`,
			`data_collector.request_logging.capture_headers: ["x-a", "x-b"] → (none)`,
		}, "an absent collector compares as an empty one"},
		{"resources", func(d *Deployment) { d.Resources.Limits.GPU = "1" }, []string{`resources.limits.nvidia.com/gpu: (none) → "1"`}, "kubernetes resources use YAML names"},
		{"every section", func(d *Deployment) {
			d.Name = "green"
			d.Type = Kubernetes
			d.EgressPublicNetworkAccess = Enabled
			d.ModelMountPath = ""
			d.InstanceCount = 1
		}, []string{`name: "blue" → "green"`, `type: "managed" → "kubernetes"`, `model_mount_path: "/var/model" → (none)`, "instance_count: 2 → 1", `egress_public_network_access: "disabled" → "enabled"`}, "declaration order across the struct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fullDeployment("blue")
			tt.change(&b)
			got := changeLines(DiffDeployment(fullDeployment("blue"), b))
			if !slices.Equal(got, tt.want) {
				t.Errorf("DiffDeployment (%s):\ngot  %q\nwant %q", tt.reason, got, tt.want)
			}
		})
	}
}

// TestDiffReferenceHiddenParts checks that a difference the one-line form of
// a reference cannot show is still reported, field by field.
func TestDiffReferenceHiddenParts(t *testing.T) {
	a := Deployment{Model: Reference{ID: "/subscriptions/s/models/m", Version: "1"}}
	b := Deployment{Model: Reference{ID: "/subscriptions/s/models/m", Version: "2"}}
	got := changeLines(DiffDeployment(a, b))
	want := []string{`model.version: "1" → "2"`}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDiffEndpoint(t *testing.T) {
	tests := []struct {
		name   string
		change func(e *Endpoint)
		want   []string
		reason string
	}{
		{"none", func(*Endpoint) {}, nil, "equal endpoints"},
		{"deployments and traffic ignored", func(e *Endpoint) {
			e.Deployments = nil
			e.Traffic = e.Mirror
		}, nil, "the plan handles deployments and traffic itself"},
		{"fields in order", func(e *Endpoint) {
			e.PublicNetworkAccess = Disabled
			e.AuthMode = AuthAADToken
			e.Description = "new"
			e.Compute = "k8s-compute"
		}, []string{`description: "scores things" → "new"`, `auth_mode: "key" → "aad_token"`, `compute: (none) → "k8s-compute"`, `public_network_access: "enabled" → "disabled"`}, "declaration order, not the order of the edits"},
		{"tags and properties", func(e *Endpoint) {
			e.Tags = nil
			e.Properties["z"] = "9"
		}, []string{`tags.cost: "a1" → (none)`, `tags.team: "ml" → (none)`, `properties.z: (none) → "9"`}, "one change per key, keys sorted"},
		{"identity", func(e *Endpoint) { e.Identity = &Identity{Type: "system_assigned"} }, []string{
			`identity.type: "user_assigned" → "system_assigned"`,
			`identity.user_assigned_identities: ["/subscriptions/s/id1", "/subscriptions/s/id2"] → (none)`,
		}, "identity type and ids"},
		{"identity removed", func(e *Endpoint) { e.Identity = nil; e.Name = "x" }, []string{
			`name: "my-endpoint" → "x"`,
			`identity.type: "user_assigned" → (none)`,
			`identity.user_assigned_identities: ["/subscriptions/s/id1", "/subscriptions/s/id2"] → (none)`,
		}, "a nil identity compares as an empty one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fullEndpoint()
			tt.change(b)
			got := changeLines(DiffEndpoint(fullEndpoint(), b))
			if !slices.Equal(got, tt.want) {
				t.Errorf("DiffEndpoint (%s):\ngot  %q\nwant %q", tt.reason, got, tt.want)
			}
		})
	}
	if got := DiffEndpoint(nil, nil); got != nil {
		t.Errorf("DiffEndpoint(nil, nil) = %q, want nil", changeLines(got))
	}
	if got := changeLines(DiffEndpoint(nil, &Endpoint{Name: "e1"})); !slices.Equal(got, []string{`name: (none) → "e1"`}) {
		t.Errorf("DiffEndpoint(nil, e1) = %q", got)
	}
	if got := changeLines(DiffEndpoint(&Endpoint{}, &Endpoint{Tags: map[string]string{}})); !slices.Equal(got, []string{"tags: (none) → {}"}) {
		t.Errorf("DiffEndpoint(tags not written, tags: {}) = %q, want the one change Equal sees: tags managed, and none", got)
	}
}

// TestDiffNeverShowsSecrets checks every output of a diff (fields, String,
// JSON) for the secret values of every way a secret can change.
func TestDiffNeverShowsSecrets(t *testing.T) {
	secrets := []string{"s3cr3t-before", "s3cr3t-after"}
	tests := []struct {
		name   string
		a, b   map[string]string
		reason string
	}{
		{"changed", map[string]string{"API_KEY": secrets[0]}, map[string]string{"API_KEY": secrets[1]}, "a rotated key"},
		{"added", nil, map[string]string{"db_password": secrets[1]}, "a new secret; lowercase name"},
		{"removed", map[string]string{"ConnectionString": secrets[0]}, nil, "a dropped secret"},
		{"emptied", map[string]string{"TOKEN": secrets[0]}, map[string]string{"TOKEN": ""}, "even an empty new value is hidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := DiffDeployment(Deployment{EnvironmentVariables: tt.a}, Deployment{EnvironmentVariables: tt.b})
			if len(cs) != 1 {
				t.Fatalf("got %d changes, want 1 (%s)", len(cs), tt.reason)
			}
			c := cs[0]
			if !c.Sensitive || c.Before != Redacted || c.After != Redacted {
				t.Errorf("change %+v is not redacted (%s)", c, tt.reason)
			}
			js, err := json.Marshal(cs)
			if err != nil {
				t.Fatal(err)
			}
			for _, out := range []string{c.String(), string(js), c.Path} {
				for _, s := range secrets {
					if strings.Contains(out, s) {
						t.Errorf("output %q shows secret %q (%s)", out, s, tt.reason)
					}
				}
			}
		})
	}
}

func BenchmarkDiffDeployment(b *testing.B) {
	x := fullDeployment("blue")
	same := x.Clone()
	changed := x.Clone()
	changed.InstanceCount = 3
	changed.EnvironmentVariables["API_KEY"] = "rotated"
	changed.Environment.Version = "4"
	b.Run("equal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if DiffDeployment(x, same) != nil {
				b.Fatal("changes between equal deployments")
			}
		}
	})
	b.Run("three changes", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if len(DiffDeployment(x, changed)) != 3 {
				b.Fatal("want 3 changes")
			}
		}
	})
}

// TestEqualIffNoDiff checks, over generated normalized endpoints and
// copies of them with one field changed, that Equal reports a difference
// exactly when the diffs show one: the endpoint's own fields, the splits
// and each deployment. A difference Equal sees and no diff shows leaves a
// plan or a checker with nothing to say about it.
func TestEqualIffNoDiff(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := genEndpoint().Draw(t, "a")
		b := a.Clone()
		changeOneField(t, b)
		if rapid.Bool().Draw(t, "independent") {
			b = genEndpoint().Draw(t, "b")
		}
		Normalize(a)
		Normalize(b)
		if eq, none := Equal(a, b), noDiff(a, b); eq != none {
			t.Fatalf("Equal = %v, but the diffs show %q", eq, diffAll(a, b))
		}
	})
}

// changeOneField changes one field of e that has an empty form: the ones
// where Equal and the diffs are most likely to part.
func changeOneField(t *rapid.T, e *Endpoint) {
	empty := func(m map[string]string) map[string]string {
		if m == nil {
			return map[string]string{}
		}
		return nil
	}
	var d *Deployment
	if len(e.Deployments) > 0 {
		d = &e.Deployments[rapid.IntRange(0, len(e.Deployments)-1).Draw(t, "deployment")]
	}
	switch rapid.IntRange(0, 5).Draw(t, "change") {
	case 0:
		e.Tags = empty(e.Tags)
	case 1:
		e.Identity = nil
	case 2:
		e.Properties = empty(e.Properties)
	case 3:
		if d != nil {
			d.Tags = empty(d.Tags)
		}
	case 4:
		if d != nil && d.DataCollector != nil {
			d.DataCollector = nil
		} else if d != nil {
			d.DataCollector = &DataCollector{RequestLogging: &RequestLogging{}}
		}
	case 5:
		if d != nil {
			d.EnvironmentVariables = empty(d.EnvironmentVariables)
		}
	}
}

// noDiff reports whether no diff tells a from b: DiffEndpoint, the
// splits, the names of the deployments and DiffDeployment of each.
func noDiff(a, b *Endpoint) bool {
	if len(DiffEndpoint(a, b)) > 0 || !a.Traffic.Equal(b.Traffic) || !a.Mirror.Equal(b.Mirror) || len(a.Deployments) != len(b.Deployments) {
		return false
	}
	for i := range a.Deployments {
		if a.Deployments[i].Name != b.Deployments[i].Name || len(DiffDeployment(a.Deployments[i], b.Deployments[i])) > 0 {
			return false
		}
	}
	return true
}
