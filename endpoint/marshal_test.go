package endpoint

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/rolloutkit/rollout/traffic"
)

func TestMarshalSmall(t *testing.T) {
	e := &Endpoint{
		Name:     "my-endpoint",
		Tags:     map[string]string{"z": "last", "a": "1.10", "b": "true"},
		AuthMode: AuthKey,
		Traffic:  traffic.MustNew(map[string]int{"green": 10, "blue": 90}),
		Deployments: []Deployment{{
			Name:              "blue",
			Model:             Reference{Name: "model-1", Version: "1"},
			CodeConfiguration: CodeConfiguration{Code: Reference{Path: "../onlinescoring"}, ScoringScript: "score.py"},
			Environment:       Environment{Reference: Reference{Registry: "azureml", Name: "sklearn", Label: "latest"}},
			InstanceType:      "Standard_F2s_v2",
			InstanceCount:     1,
		}, {
			Name:          "green",
			Model:         Reference{Path: "model", Type: "mlflow_model"},
			Environment:   Environment{Image: "mcr.microsoft.com/img:1", CondaFile: "env/conda.yml"},
			InstanceType:  "Standard_F2s_v2",
			InstanceCount: 2,
		}},
	}
	got, err := Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	// Strings that would read as numbers or booleans are quoted; map keys
	// are sorted; a typed model needs the mapping form.
	want := `name: my-endpoint
tags:
  a: "1.10"
  b: "true"
  z: last
auth_mode: key
traffic:
  blue: 90
  green: 10
deployments:
  - name: blue
    model: azureml:model-1:1
    code_configuration:
      code: ../onlinescoring
      scoring_script: score.py
    environment: azureml://registries/azureml/environments/sklearn/labels/latest
    instance_type: Standard_F2s_v2
    instance_count: 1
  - name: green
    model:
      path: model
      type: mlflow_model
    environment:
      image: mcr.microsoft.com/img:1
      conda_file: env/conda.yml
    instance_type: Standard_F2s_v2
    instance_count: 2
`
	if string(got) != want {
		t.Errorf("Marshal:\n%s\nwant:\n%s", got, want)
	}
	back, err := Parse("spec.yml", got)
	if err != nil {
		t.Fatalf("Parse(Marshal(e)): %v", err)
	}
	if n := Normalized(e); !Equal(back, n) {
		t.Errorf("round trip differs: %q", diffAll(n, back))
	}
}

// diffAll lists every difference between two endpoints, for failure
// messages.
func diffAll(a, b *Endpoint) []string {
	out := changeLines(DiffEndpoint(a, b))
	if !a.Traffic.Equal(b.Traffic) || !a.Mirror.Equal(b.Mirror) {
		out = append(out, "traffic: "+a.Traffic.String()+" / "+a.Mirror.String()+" → "+b.Traffic.String()+" / "+b.Mirror.String())
	}
	if len(a.Deployments) != len(b.Deployments) {
		return append(out, "deployment count differs")
	}
	for i := range a.Deployments {
		for _, c := range DiffDeployment(a.Deployments[i], b.Deployments[i]) {
			out = append(out, a.Deployments[i].Name+"."+c.String())
		}
	}
	return out
}

func TestMarshalFullRoundTrip(t *testing.T) {
	e := Normalized(fullEndpoint())
	data, err := Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("spec.yml", data)
	if err != nil {
		t.Fatalf("Parse(Marshal(e)): %v\n%s", err, data)
	}
	if !Equal(back, e) {
		t.Errorf("round trip differs: %q", diffAll(e, back))
	}
}

func TestMarshalErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func(d *Deployment)
		want   string
		reason string
	}{
		{"typed label", func(d *Deployment) { d.Model = Reference{Name: "m", Label: "latest", Type: "mlflow_model"} },
			"deployments[blue].model: reference azureml:m@latest cannot be written: its one-line form cannot hold it, and the mapping form has only name, version, path and type",
			"the mapping form of a model has no label"},
		{"typed code", func(d *Deployment) { d.CodeConfiguration.Code = Reference{Path: "src", Type: "x"} },
			"deployments[blue].code_configuration.code: reference src cannot be written: this field takes only the one-line form of a reference",
			"code has no mapping form"},
		{"inline env by id", func(d *Deployment) {
			d.Environment = Environment{Reference: Reference{ID: "/subscriptions/s/e"}, Image: "img"}
		},
			"deployments[blue].environment: environment /subscriptions/s/e cannot be written: an inline environment is named by name and version only",
			"an inline environment has no id"},
	}
	for _, tt := range tests {
		e := fullEndpoint()
		tt.change(&e.Deployments[0])
		_, err := Marshal(e)
		if !errors.Is(err, ErrInvalid) || err.Error() != tt.want {
			t.Errorf("%s: Marshal error = %v, want %s (%s)", tt.name, err, tt.want, tt.reason)
		}
	}
	if _, err := Marshal(nil); err == nil {
		t.Error("Marshal(nil) succeeded")
	}
}

// TestMarshalRoundTripProperty checks Parse(Marshal(e)) == e and that
// Marshal is deterministic, over generated valid, normalized endpoints.
func TestMarshalRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := genEndpoint().Draw(t, "endpoint")
		Normalize(e)
		if err := Validate(e); err != nil {
			t.Fatalf("generator made an invalid endpoint: %v", err)
		}
		data, err := Marshal(e)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again, _ := Marshal(e.Clone())
		if string(again) != string(data) {
			t.Fatalf("Marshal is not deterministic:\n%s\n---\n%s", data, again)
		}
		back, err := Parse("gen.yml", data)
		if err != nil {
			t.Fatalf("Parse(Marshal(e)): %v\n%s", err, data)
		}
		if !Equal(back, e) {
			t.Fatalf("round trip differs: %q\n%s", diffAll(e, back), data)
		}
	})
}

// genName draws valid endpoint and deployment names.
func genName() *rapid.Generator[string] {
	return rapid.StringMatching(`[a-zA-Z][a-z0-9-]{1,12}[a-z0-9]`)
}

// genText draws free text, including strings YAML would read as something
// else if written plainly.
func genText() *rapid.Generator[string] {
	return rapid.OneOf(rapid.StringMatching(`[ -~]{0,20}`), rapid.String(),
		rapid.SampledFrom([]string{"true", "1.10", "null", "~", "- x", "a: b", "#c", "010", " x ", "\ttab", "'q'", "\"dq\"", "\t\n"}))
}

func genPath() *rapid.Generator[string] {
	return rapid.StringMatching(`(\.\./)?[a-z]{1,6}(/[a-z0-9_.-]{1,8}){0,2}`)
}

func genToken() *rapid.Generator[string] {
	return rapid.StringMatching(`[a-zA-Z0-9][a-zA-Z0-9_.-]{0,10}`)
}

func genMap(vals *rapid.Generator[string]) *rapid.Generator[map[string]string] {
	return rapid.MapOfN(rapid.OneOf(genToken(), genText().Filter(func(s string) bool { return s != "" && !strings.ContainsAny(s, "=\x00") })), vals, 0, 3)
}

func genRef(t *rapid.T, label string, typed bool) Reference {
	var r Reference
	switch rapid.IntRange(0, 5).Draw(t, label+".form") {
	case 0:
	case 1:
		r = Reference{Name: genToken().Draw(t, "name"), Version: genToken().Draw(t, "version")}
	case 2:
		r = Reference{Name: genToken().Draw(t, "name"), Label: "latest"}
	case 3:
		r = Reference{Registry: "azureml", Name: genToken().Draw(t, "name"), Version: genToken().Draw(t, "version")}
	case 4:
		r = Reference{Path: genPath().Draw(t, "path")}
	case 5:
		r = Reference{ID: "/subscriptions/" + genToken().Draw(t, "sub") + "/models/m"}
	}
	if typed && (r.Label == "" && r.Registry == "" && r.ID == "") && rapid.Bool().Draw(t, label+".typed") {
		r.Type = rapid.SampledFrom([]string{"custom_model", "mlflow_model", "triton_model"}).Draw(t, "type")
	}
	return r
}

func genEndpoint() *rapid.Generator[*Endpoint] {
	return rapid.Custom(func(t *rapid.T) *Endpoint {
		e := &Endpoint{
			Name:        genName().Draw(t, "name"),
			Description: genText().Draw(t, "description"),
			Tags:        genMap(genText()).Draw(t, "tags"),
			Properties:  genMap(genToken()).Draw(t, "properties"),
			AuthMode:    rapid.SampledFrom([]AuthMode{"", AuthKey, AuthAMLToken}).Draw(t, "auth"),
		}
		kube := rapid.Bool().Draw(t, "kubernetes")
		if kube {
			e.Compute = "azureml:" + genToken().Draw(t, "compute")
		} else if rapid.Bool().Draw(t, "aad") {
			e.AuthMode = AuthAADToken
		}
		switch rapid.IntRange(0, 3).Draw(t, "identity") {
		case 1:
			e.Identity = &Identity{Type: "system_assigned"}
		case 2:
			e.Identity = &Identity{Type: "none"}
		case 3:
			e.Identity = &Identity{Type: "user_assigned", UserAssignedIdentities: rapid.SliceOfN(rapid.StringMatching(`/subscriptions/[a-z0-9]{1,6}/ids/[a-z]{1,4}`), 1, 3).Draw(t, "ids")}
		}
		e.PublicNetworkAccess = rapid.SampledFrom([]Access{"", Enabled, Disabled}).Draw(t, "access")

		names := rapid.SliceOfNDistinct(genName(), 0, 4, strings.ToLower).Draw(t, "deployments")
		for _, name := range names {
			e.Deployments = append(e.Deployments, genDeployment(t, name, kube))
		}
		if len(names) > 0 && rapid.Bool().Draw(t, "serving") {
			live := map[string]int{}
			left := 100
			for i, name := range names {
				p := left
				if i < len(names)-1 {
					p = rapid.IntRange(0, left).Draw(t, "percent")
				}
				live[name] = p
				left -= p
			}
			e.Traffic = traffic.MustNew(live)
			if !kube {
				for _, name := range names {
					if e.Traffic.Get(name) == 0 && rapid.Bool().Draw(t, "mirror") {
						e.Mirror = traffic.MustNew(map[string]int{name: rapid.IntRange(1, 50).Draw(t, "mirror percent")})
						break
					}
				}
			}
		}
		return e
	})
}

func genDeployment(t *rapid.T, name string, kube bool) Deployment {
	d := Deployment{
		Name:                 name,
		Description:          genText().Draw(t, "description"),
		Tags:                 genMap(genText()).Draw(t, "tags"),
		Model:                genRef(t, "model", true),
		ModelMountPath:       rapid.SampledFrom([]string{"", "/var/model"}).Draw(t, "mount"),
		EnvironmentVariables: genMap(genText()).Draw(t, "env"),
		InstanceType:         rapid.SampledFrom([]string{"Standard_F2s_v2", "Standard_DS3_v2"}).Draw(t, "instance type"),
		InstanceCount:        rapid.IntRange(1, 5).Draw(t, "count"),
		RequestSettings: RequestSettings{
			RequestTimeoutMS:                 rapid.IntRange(0, MaxRequestTimeoutMS).Draw(t, "timeout"),
			MaxConcurrentRequestsPerInstance: rapid.IntRange(0, 8).Draw(t, "concurrency"),
			MaxQueueWaitMS:                   rapid.IntRange(0, 1000).Draw(t, "wait"),
		},
		LivenessProbe:      Probe{Period: rapid.IntRange(0, 30).Draw(t, "period"), FailureThreshold: rapid.IntRange(0, 30).Draw(t, "failures")},
		AppInsightsEnabled: rapid.Bool().Draw(t, "insights"),
	}
	if code := genRef(t, "code", false); code.Label == "" && code.Registry == "" {
		d.CodeConfiguration = CodeConfiguration{Code: code, ScoringScript: rapid.SampledFrom([]string{"", "score.py"}).Draw(t, "script")}
	}
	if rapid.Bool().Draw(t, "inline environment") {
		d.Environment = Environment{
			Reference: Reference{Name: rapid.SampledFrom([]string{"", "env"}).Draw(t, "env name"), Version: rapid.SampledFrom([]string{"", "1", "1.10"}).Draw(t, "env version")},
			Image:     rapid.SampledFrom([]string{"", "mcr.microsoft.com/azureml/minimal:latest"}).Draw(t, "image"),
			CondaFile: rapid.SampledFrom([]string{"", "env/conda.yml"}).Draw(t, "conda"),
			Build:     Build{Path: rapid.SampledFrom([]string{"", "docker"}).Draw(t, "build"), DockerfilePath: rapid.SampledFrom([]string{"", "Dockerfile"}).Draw(t, "dockerfile")},
			InferenceConfig: InferenceConfig{ScoringRoute: Route{
				Path: rapid.SampledFrom([]string{"", "/score"}).Draw(t, "route"), Port: rapid.IntRange(0, 9000).Draw(t, "port")}},
			OSType: rapid.SampledFrom([]string{"", "linux", "windows"}).Draw(t, "os"),
		}
		if d.Environment == (Environment{Reference: d.Environment.Reference}) {
			d.Environment.Image = "img:1"
		}
	} else if r := genRef(t, "environment", false); r.Path == "" {
		d.Environment.Reference = r
	}
	if kube {
		d.InstanceType = ""
		if rapid.Bool().Draw(t, "autoscale") {
			d.InstanceCount = 0
			d.ScaleSettings = ScaleSettings{Type: ScaleTargetUtilization, MinInstances: 1, MaxInstances: rapid.IntRange(1, 5).Draw(t, "max"),
				PollingInterval: rapid.IntRange(0, 10).Draw(t, "poll"), TargetUtilizationPercentage: rapid.IntRange(0, 100).Draw(t, "target")}
		}
		d.Resources = Resources{Requests: Quantities{CPU: rapid.SampledFrom([]string{"", "0.1", "1"}).Draw(t, "cpu"), Memory: rapid.SampledFrom([]string{"", "200Mi"}).Draw(t, "memory")},
			Limits: Quantities{GPU: rapid.SampledFrom([]string{"", "1"}).Draw(t, "gpu")}}
	} else {
		d.EgressPublicNetworkAccess = rapid.SampledFrom([]Access{"", Enabled, Disabled}).Draw(t, "egress")
	}
	if rapid.Bool().Draw(t, "collector") {
		d.DataCollector = &DataCollector{
			Collections: rapid.MapOfN(rapid.SampledFrom([]string{"model_inputs", "model_outputs", "request"}), rapid.Custom(func(t *rapid.T) Collection {
				c := Collection{Enabled: rapid.Bool().Draw(t, "enabled"), ClientID: rapid.SampledFrom([]string{"", "cid"}).Draw(t, "client"),
					SamplingRate: rapid.Float64Range(0, 1).Draw(t, "rate")}
				if r := genRef(t, "data", false); r.Label == "" && r.Registry == "" && r.ID == "" {
					c.Data = r
				}
				return c
			}), 0, 2).Draw(t, "collections"),
			SamplingRate: rapid.Float64Range(0, 1).Draw(t, "rate"),
			RollingRate:  rapid.SampledFrom([]string{"", "minute", "hour", "day"}).Draw(t, "rolling"),
		}
		if rapid.Bool().Draw(t, "headers") {
			d.DataCollector.RequestLogging = &RequestLogging{CaptureHeaders: rapid.SliceOfN(genToken(), 1, 2).Draw(t, "headers")}
		}
	}
	return d
}

// corpus returns the path of a file or directory of the shared corpus of
// real specs, which lives beside the module, skipping the test when the
// corpus is not there.
func corpus(t *testing.T, elem ...string) string {
	t.Helper()
	root := filepath.Join("..", "..", "shared", "corpus")
	if _, err := os.Stat(root); err != nil {
		t.Skipf("corpus not found at %s: %v", root, err)
	}
	return filepath.Join(append([]string{root}, elem...)...)
}

// TestMarshalCorpus round-trips every loadable spec of the corpus: each
// step of the canary flows and every endpoint of the examples.
func TestMarshalCorpus(t *testing.T) {
	flows := corpus(t, "azureml-examples")
	var files []string
	for _, pattern := range []string{"canary-declarative-flow/*/*.y*ml", "canary-declarative-flow-kubernetes/*/*.y*ml"} {
		m, err := filepath.Glob(filepath.Join(flows, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no flow steps found in the corpus")
	}
	l := Loader{EndpointName: "my-endpoint"}
	var endpoints []*Endpoint
	for _, f := range files {
		r, err := l.Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		endpoints = append(endpoints, r.Endpoints...)
	}
	// The examples hold one endpoint per directory, with its deployment
	// files beside it; a directory that does not load on its own (its
	// deployments join an endpoint elsewhere) is left to the loader's tests.
	examples := filepath.Join(flows, "endpoints", "online")
	err := filepath.WalkDir(examples, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		r, err := l.Load(path)
		if err == nil {
			endpoints = append(endpoints, r.Endpoints...)
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("round-tripping %d endpoints", len(endpoints))
	for _, e := range endpoints {
		data, err := Marshal(e)
		if err != nil {
			t.Errorf("%s: Marshal: %v", e.Name, err)
			continue
		}
		back, err := Parse("spec.yml", data)
		if err != nil {
			t.Errorf("%s: Parse(Marshal(e)): %v\n%s", e.Name, err, data)
			continue
		}
		if !Equal(back, e) {
			t.Errorf("%s: round trip differs: %q", e.Name, diffAll(e, back))
		}
	}
}

func BenchmarkMarshal(b *testing.B) {
	e := Normalized(fullEndpoint())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal(e); err != nil {
			b.Fatal(err)
		}
	}
}
