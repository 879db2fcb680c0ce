package endpoint

import (
	"path/filepath"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/rolloutkit/rollout/traffic"
)

func TestNormalizeDefaults(t *testing.T) {
	e := &Endpoint{Name: "e1", Deployments: []Deployment{{Name: "blue"}}}
	Normalize(e)
	want := &Endpoint{
		Name:                "e1",
		AuthMode:            AuthKey,
		PublicNetworkAccess: Enabled,
		Identity:            &Identity{Type: "system_assigned"},
		Deployments: []Deployment{{
			Name:                      "blue",
			Type:                      Managed,
			InstanceCount:             1,
			ScaleSettings:             ScaleSettings{Type: ScaleDefault},
			RequestSettings:           RequestSettings{RequestTimeoutMS: 5000, MaxConcurrentRequestsPerInstance: 1, MaxQueueWaitMS: 500},
			LivenessProbe:             Probe{InitialDelay: 10, Period: 10, Timeout: 2, SuccessThreshold: 1, FailureThreshold: 30},
			ReadinessProbe:            Probe{InitialDelay: 10, Period: 10, Timeout: 2, SuccessThreshold: 1, FailureThreshold: 3},
			EgressPublicNetworkAccess: Enabled,
		}},
	}
	if !Equal(e, want) {
		t.Errorf("Normalize gave\n%+v\nwant\n%+v\nchanges: %q", e, want, changeLines(DiffDeployment(want.Deployments[0], e.Deployments[0])))
	}
}

// TestNormalizeSameIntent lists pairs of specs that differ only in how they
// are written; after normalization they must be equal.
func TestNormalizeSameIntent(t *testing.T) {
	tests := []struct {
		name   string
		a, b   *Endpoint
		reason string
	}{
		{"auth case", &Endpoint{AuthMode: "Key"}, &Endpoint{}, "auth_mode: Key in the corpus means the default key"},
		{"access case", &Endpoint{PublicNetworkAccess: "Enabled"}, &Endpoint{}, "enabled is the default"},
		{"identity default", &Endpoint{Identity: &Identity{Type: "System_Assigned"}}, &Endpoint{}, "the service assigns a system identity"},
		{"identity spelling", &Endpoint{Identity: &Identity{Type: "system_assigned, user_assigned", UserAssignedIdentities: []string{"b", "a", "b"}}},
			&Endpoint{Identity: &Identity{Type: "SYSTEM_ASSIGNED,USER_ASSIGNED", UserAssignedIdentities: []string{"a", "b"}}}, "ids are a set; type is case-insensitive"},
		{"identity order", &Endpoint{Identity: &Identity{Type: "user_assigned,system_assigned", UserAssignedIdentities: []string{"a"}}},
			&Endpoint{Identity: &Identity{Type: "system_assigned,user_assigned", UserAssignedIdentities: []string{"a"}}}, "Validate takes the two types in either order, as one identity"},
		{"empty maps", &Endpoint{Properties: map[string]string{}, Deployments: []Deployment{{Name: "d1", EnvironmentVariables: map[string]string{}}}},
			&Endpoint{Deployments: []Deployment{{Name: "d1"}}}, "empty and absent maps are the same"},
		{"enumerations of a deployment", &Endpoint{Deployments: []Deployment{{Name: "d1", Environment: Environment{Image: "i", OSType: "Linux"}, DataCollector: &DataCollector{RollingRate: "Hour"}}}},
			&Endpoint{Deployments: []Deployment{{Name: "d1", Environment: Environment{Image: "i", OSType: "linux"}, DataCollector: &DataCollector{RollingRate: "hour"}}}}, "os_type and rolling_rate are read in any case, as the other enumerations"},
		{"order", &Endpoint{Deployments: []Deployment{{Name: "green"}, {Name: "blue"}}}, &Endpoint{Deployments: []Deployment{{Name: "blue"}, {Name: "green"}}}, "deployments are kept sorted by name"},
		{"split spelling", &Endpoint{Traffic: traffic.MustParse("BLUE=90 green=10"), Mirror: traffic.MustParse("Red=10"), Deployments: []Deployment{{Name: "Blue"}, {Name: "green"}, {Name: "red"}}},
			&Endpoint{Traffic: traffic.MustParse("Blue=90 green=10"), Mirror: traffic.MustParse("red=10"), Deployments: []Deployment{{Name: "Blue"}, {Name: "green"}, {Name: "red"}}},
			"deployment names compare without regard to case and a split may name one either way: the split names each as the endpoint spells it"},
		{"kind", &Endpoint{Compute: "k8s", Deployments: []Deployment{{Name: "d1"}}}, &Endpoint{Compute: "k8s", Deployments: []Deployment{{Name: "d1", Type: "Kubernetes"}}}, "deployment type follows the endpoint's compute"},
		{"paths", &Endpoint{Deployments: []Deployment{{Name: "d1",
			Model:             Reference{Path: " file:../../model-1/model/sklearn_regression_model.pkl"},
			CodeConfiguration: CodeConfiguration{Code: Reference{Path: "../../model-1/onlinescoring/"}},
			Environment:       Environment{CondaFile: "file:../../model-1/environment/conda.yml", Build: Build{Path: `docker\context\`}},
		}}}, &Endpoint{Deployments: []Deployment{{Name: "d1",
			Model:             Reference{Path: "../../model-1/model/sklearn_regression_model.pkl"},
			CodeConfiguration: CodeConfiguration{Code: Reference{Path: "../../model-1/onlinescoring"}},
			Environment:       Environment{CondaFile: "../../model-1/environment/conda.yml", Build: Build{Path: "docker/context"}},
		}}}, "file: prefixes, trailing slashes and backslashes do not change the path"},
		{"remote path", &Endpoint{Deployments: []Deployment{{Name: "d1", Model: Reference{Path: "azureml://datastores/ds/paths/m/ "}}}},
			&Endpoint{Deployments: []Deployment{{Name: "d1", Model: Reference{Path: "azureml://datastores/ds/paths/m/"}}}}, "remote paths are trimmed, not cleaned"},
		{"ref parts", &Endpoint{Deployments: []Deployment{{Name: "d1", Model: Reference{Name: " m ", Version: "1 ", Type: "MLFlow_Model"}}}},
			&Endpoint{Deployments: []Deployment{{Name: "d1", Model: Reference{Name: "m", Version: "1", Type: "mlflow_model"}}}}, "trailing spaces in the corpus"},
		{"defaults written", &Endpoint{Deployments: []Deployment{{Name: "d1", InstanceCount: 1, ScaleSettings: ScaleSettings{Type: "Default"},
			RequestSettings: RequestSettings{RequestTimeoutMS: 5000}, LivenessProbe: Probe{FailureThreshold: 30}, ReadinessProbe: Probe{Period: 10},
			EgressPublicNetworkAccess: "ENABLED"}}},
			&Endpoint{Deployments: []Deployment{{Name: "d1"}}}, "writing a default is the same as leaving it out"},
		{"autoscale defaults", &Endpoint{Compute: "k", Deployments: []Deployment{{Name: "d1", ScaleSettings: ScaleSettings{Type: ScaleTargetUtilization, MinInstances: 1}}}},
			&Endpoint{Compute: "k", Deployments: []Deployment{{Name: "d1", ScaleSettings: ScaleSettings{Type: ScaleTargetUtilization, MinInstances: 1,
				MaxInstances: 1, PollingInterval: 1, TargetUtilizationPercentage: 70}}}},
			"the service answers TargetUtilizationScaleSettings' defaults (maxInstances 1, pollingInterval PT1S, targetUtilizationPercentage 70) where a PUT left them out"},
		{"collector rolling rate", &Endpoint{Deployments: []Deployment{{Name: "d1", DataCollector: &DataCollector{Collections: map[string]Collection{"in": {Enabled: true}}}}}},
			&Endpoint{Deployments: []Deployment{{Name: "d1", DataCollector: &DataCollector{RollingRate: "hour", Collections: map[string]Collection{"in": {Enabled: true}}}}}},
			"the service answers DataCollector's default rollingRate, Hour, where a PUT left it out"},
		{"empty collector", &Endpoint{Deployments: []Deployment{{Name: "d1", DataCollector: &DataCollector{Collections: map[string]Collection{}, RequestLogging: &RequestLogging{}}}}},
			&Endpoint{Deployments: []Deployment{{Name: "d1"}}}, "a collector with nothing set is absent"},
		{"collection data path", &Endpoint{Deployments: []Deployment{{Name: "d1", DataCollector: &DataCollector{Collections: map[string]Collection{"in": {Data: Reference{Path: "file:./x/"}}}}}}},
			&Endpoint{Deployments: []Deployment{{Name: "d1", DataCollector: &DataCollector{Collections: map[string]Collection{"in": {Data: Reference{Path: "x"}}}}}}}, "collected data references are cleaned too"},
		{"collector sampling rate", &Endpoint{Deployments: []Deployment{{Name: "d1", DataCollector: &DataCollector{SamplingRate: 0.5,
			Collections: map[string]Collection{"in": {Enabled: true}, "out": {Enabled: true, SamplingRate: 0.1}}}}}},
			&Endpoint{Deployments: []Deployment{{Name: "d1", DataCollector: &DataCollector{
				Collections: map[string]Collection{"in": {Enabled: true, SamplingRate: 0.5}, "out": {Enabled: true, SamplingRate: 0.1}}}}}},
			"the service keeps rates per collection: the top-level rate is each collection's default, so it reads back there"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := Normalized(tt.a), Normalized(tt.b)
			if !Equal(a, b) {
				t.Errorf("normalized specs differ (%s):\nendpoint: %q\n%+v\n%+v", tt.reason, changeLines(DiffEndpoint(a, b)), a, b)
			}
		})
	}
}

func TestNormalizeKeepsDifferences(t *testing.T) {
	tests := []struct {
		name   string
		a, b   *Endpoint
		reason string
	}{
		{"scale", &Endpoint{Deployments: []Deployment{{Name: "d1", InstanceCount: 2}}}, &Endpoint{Deployments: []Deployment{{Name: "d1"}}}, "a count other than the default stays"},
		{"autoscale count", &Endpoint{Compute: "k", Deployments: []Deployment{{Name: "d1", ScaleSettings: ScaleSettings{Type: ScaleTargetUtilization}}}},
			&Endpoint{Compute: "k", Deployments: []Deployment{{Name: "d1", InstanceCount: 1, ScaleSettings: ScaleSettings{Type: ScaleTargetUtilization}}}}, "an autoscaled deployment gets no instance count"},
		{"manual scale has no autoscale settings", &Endpoint{Deployments: []Deployment{{Name: "d1"}}},
			&Endpoint{Deployments: []Deployment{{Name: "d1", ScaleSettings: ScaleSettings{MaxInstances: 1, PollingInterval: 1, TargetUtilizationPercentage: 70}}}},
			"the autoscaler's defaults are target_utilization's alone"},
		{"auth", &Endpoint{AuthMode: AuthAMLToken}, &Endpoint{}, "a non-default auth mode stays"},
		{"mistyped kind", &Endpoint{Deployments: []Deployment{{Name: "d1", Type: Kubernetes}}}, &Endpoint{Deployments: []Deployment{{Name: "d1"}}}, "a stated type is kept for validation to judge"},
		{"identity none", &Endpoint{Identity: &Identity{Type: "none"}}, &Endpoint{}, "no identity is not the default identity"},
		{"tags written empty", &Endpoint{Tags: map[string]string{}}, &Endpoint{}, "tags: {} manages the tags (none); no tags key leaves them alone"},
		{"deployment tags written empty", &Endpoint{Deployments: []Deployment{{Name: "d1", Tags: map[string]string{}}}},
			&Endpoint{Deployments: []Deployment{{Name: "d1"}}}, "as for the endpoint's tags"},
	}
	for _, tt := range tests {
		if Equal(Normalized(tt.a), Normalized(tt.b)) {
			t.Errorf("%s: normalized specs are equal, want different (%s)", tt.name, tt.reason)
		}
	}
}

func TestNormalizeIdempotent(t *testing.T) {
	for _, e := range []*Endpoint{fullEndpoint(), {}, {Compute: "k8s", Deployments: []Deployment{{Name: "b"}, {Name: "a", Type: "MANAGED"}}}} {
		once := Normalized(e)
		twice := Normalized(once)
		if !Equal(once, twice) {
			t.Errorf("normalizing twice changed %+v: %q", once, changeLines(DiffEndpoint(once, twice)))
		}
	}
}

func TestNormalizedLeavesInput(t *testing.T) {
	e := &Endpoint{AuthMode: "Key", Identity: &Identity{Type: "user_assigned", UserAssignedIdentities: []string{"b", "a"}},
		Deployments: []Deployment{{Name: "green"}, {Name: "blue", Model: Reference{Path: "file:x/"}}}}
	Normalized(e)
	if e.AuthMode != "Key" || e.Identity.UserAssignedIdentities[0] != "b" || e.Deployments[0].Name != "green" ||
		e.Deployments[1].Model.Path != "file:x/" || e.Deployments[0].InstanceCount != 0 {
		t.Errorf("Normalized changed its input: %+v", e)
	}
	Normalize(nil)
	if Normalized(nil) != nil {
		t.Error("Normalized(nil) is not nil")
	}
	if got := Normalized(e).Deployments; !slices.EqualFunc(got, []Deployment{{Name: "blue"}, {Name: "green"}}, func(a, b Deployment) bool { return a.Name == b.Name }) {
		t.Errorf("deployments not sorted: %v", got)
	}
}

func BenchmarkNormalized(b *testing.B) {
	e := fullEndpoint()
	b.ReportAllocs()
	for b.Loop() {
		Normalized(e)
	}
}

// TestNormalizeCorpusIdempotent checks idempotence on real specs: every
// loaded flow step is already normalized, so normalizing again changes
// nothing.
func TestNormalizeCorpusIdempotent(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(corpus(t, "azureml-examples"), "canary-declarative-flow*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		for _, s := range loadFlow(t, dir) {
			if n := Normalized(s.e); !Equal(n, s.e) {
				t.Errorf("%s/%s: normalizing a loaded spec changed it: %q", filepath.Base(dir), s.file, diffAll(s.e, n))
			}
		}
	}
}

// TestNormalizeCompute: the YAML's azureml:NAME and the bare name are the
// same compute, as the service's CLI reads them; ids are kept.
func TestNormalizeCompute(t *testing.T) {
	for _, tc := range []struct{ in, want, reason string }{
		{"azureml:inferencecompute", "inferencecompute", "the CLI's shorthand"},
		{"AzureML:k8s ", "k8s", "any case, trimmed"},
		{"k8s", "k8s", "the bare name"},
		{"azureml:/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/computes/k8s", "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/computes/k8s", "the CLI drops azureml: before an ARM id too, which is no id with it"},
		{"/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/computes/k8s", "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/computes/k8s", "an ARM id as written"},
	} {
		e := &Endpoint{Name: "e", Compute: tc.in}
		Normalize(e)
		if e.Compute != tc.want {
			t.Errorf("compute %q normalized to %q, want %q (%s)", tc.in, e.Compute, tc.want, tc.reason)
		}
	}
}

// TestNormalizeIdempotentProperty normalizes generated endpoints whose
// references, paths, compute and enumerations are written in the
// spellings normalization takes away (white space, file: and azureml:
// prefixes, capitals), and checks that a second normalization changes
// nothing.
func TestNormalizeIdempotentProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := genEndpoint().Draw(t, "endpoint")
		respell := func(label string, s *string, prefixes ...string) {
			if *s == "" {
				return
			}
			p := rapid.SampledFrom(append([]string{"", " ", "\t"}, prefixes...)).Draw(t, label+" prefix")
			q := rapid.SampledFrom([]string{"", " ", "\n"}).Draw(t, label+" suffix")
			*s = p + *s + q
		}
		respell("compute", &e.Compute, "azureml:", "AzureML: ", "azureml:azureml:")
		for i := range e.Deployments {
			d := &e.Deployments[i]
			respell("model path", &d.Model.Path, "file:", "file: ", "file:file:")
			respell("code path", &d.CodeConfiguration.Code.Path, "file:", "file: ./", " file:")
			respell("conda file", &d.Environment.CondaFile, "file:", "file:  ")
			respell("model name", &d.Model.Name)
			respell("type", (*string)(&d.Type))
		}
		once := Normalized(e)
		if twice := Normalized(once); !Equal(once, twice) {
			t.Fatalf("normalizing twice changed %q", diffAll(once, twice))
		}
	})
}
