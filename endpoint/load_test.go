package endpoint

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// checkGolden compares got with testdata/load/NAME, or rewrites it with
// -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", "load", name)
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
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", file, diff)
	}
}

// managed is a valid endpoint file with one managed deployment, blue; the
// quirk tests swap one line of it.
const managed = `name: my-endpoint
auth_mode: key
traffic:
  blue: 100
deployments:
  - name: blue
    model: azureml:model-1:1
    environment: azureml:env:1
    instance_type: Standard_DS3_v2
    instance_count: 1
`

// kubernetes is a valid endpoint file in today's forms with one
// Kubernetes deployment, blue.
const kubernetes = `name: k8s-endpoint
compute: azureml:k8s-compute
traffic:
  blue: 100
deployments:
  - name: blue
    model: azureml:model-1:1
    instance_type: defaultinstancetype
    instance_count: 1
    resources:
      requests:
        cpu: 0.1
`

// legacyKubernetes is an endpoint file in every 2021 form of the
// Kubernetes flow.
const legacyKubernetes = `type: online
auth_mode: aml_token
target: azureml:k8s-compute
traffic:
  blue: 100
deployments:
  - name: blue
    model:
      name: model-1
      version: 1
      local_path: ../model-1/model/m.pkl
    code_configuration:
      code:
        local_path: ../model-1/onlinescoring/
      scoring_script: score.py
    environment:
      path: .
      docker:
        image: mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04:20210727.v1
    scale_settings:
      scale_type: auto
      min_instances: 1
      max_instances: 2
    resource_requirements:
      cpu: 0.1
      memory_in_gb: 0.5
`

func TestParseQuirks(t *testing.T) {
	tests := []struct {
		name   string
		spec   string
		loader Loader
		got    func(e *Endpoint) any
		want   any
		reason string
	}{
		{
			name:   "auth_mode Key",
			spec:   strings.Replace(managed, "auth_mode: key", "auth_mode: Key", 1),
			got:    func(e *Endpoint) any { return e.AuthMode },
			want:   AuthKey,
			reason: "the Kubernetes example writes auth_mode: Key",
		},
		{
			name:   "auth_mode AMLToken",
			spec:   strings.Replace(managed, "auth_mode: key", "auth_mode: AMLToken", 1),
			got:    func(e *Endpoint) any { return e.AuthMode },
			want:   AuthAMLToken,
			reason: "the REST spelling of aml_token is accepted too",
		},
		{
			name:   "integer version",
			spec:   strings.Replace(managed, "model: azureml:model-1:1", "model:\n      name: model-1\n      version: 1\n      path: ../model", 1),
			got:    func(e *Endpoint) any { return e.Deployments[0].Model },
			want:   Reference{Name: "model-1", Version: "1", Path: "../model"},
			reason: "version: 1 is an integer in YAML and a string in the model",
		},
		{
			name:   "version 1.10",
			spec:   strings.Replace(managed, "model: azureml:model-1:1", "model:\n      name: model-1\n      version: 1.10\n      path: m", 1),
			got:    func(e *Endpoint) any { return e.Deployments[0].Model.Version },
			want:   "1.10",
			reason: "a version read through a float would become 1.1",
		},
		{
			name:   "trailing spaces",
			spec:   strings.Replace(strings.Replace(managed, "- name: blue", "- name: blue    ", 1), "instance_count: 1", "instance_count: 1   ", 1),
			got:    func(e *Endpoint) any { return []any{e.Deployments[0].Name, e.Deployments[0].InstanceCount} },
			want:   []any{"blue", 1},
			reason: "the 2021 flow has trailing spaces after names and values",
		},
		{
			name:   "file prefix",
			spec:   strings.Replace(managed, "environment: azureml:env:1", "environment:\n      image: mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04\n      conda_file: file:../model-1/environment/conda.yml", 1),
			got:    func(e *Endpoint) any { return e.Deployments[0].Environment.CondaFile },
			want:   "../model-1/environment/conda.yml",
			reason: "the 2021 flow writes conda_file: file:PATH",
		},
		{
			name:   "azureml name version",
			spec:   managed,
			got:    func(e *Endpoint) any { return e.Deployments[0].Model },
			want:   Reference{Name: "model-1", Version: "1"},
			reason: "the one-line reference form",
		},
		{
			name:   "instance_count at top level",
			spec:   strings.Replace(managed, "instance_count: 1", "instance_count: 3", 1),
			got:    func(e *Endpoint) any { return e.Deployments[0].InstanceCount },
			want:   3,
			reason: "today's place for instance_count",
		},
		{
			name: "instance_count inside scale_settings",
			spec: strings.Replace(managed, "instance_count: 1", "scale_settings:\n      scale_type: manual\n      instance_count: 3\n      min_instances: 1\n      max_instances: 3", 1),
			got: func(e *Endpoint) any {
				return []any{e.Deployments[0].InstanceCount, e.Deployments[0].ScaleSettings.Type}
			},
			want:   []any{3, ScaleDefault},
			reason: "the 2021 place for instance_count, with scale_type manual",
		},
		{
			name:   "quoted leading zero",
			spec:   strings.Replace(managed, "instance_count: 1", "instance_count: '010'", 1),
			got:    func(e *Endpoint) any { return e.Deployments[0].InstanceCount },
			want:   10,
			reason: "quoted, 010 is a string to the service's CLI too, which reads it as the decimal 10",
		},
		{
			name:   "no newline at end of file",
			spec:   strings.TrimSuffix(strings.Replace(managed, "instance_count: 1", "instance_count: 4", 1), "\n"),
			got:    func(e *Endpoint) any { return e.Deployments[0].InstanceCount },
			want:   4,
			reason: "the 2021-04 files end without a newline, right after a value",
		},
		{
			name:   "quoted True",
			spec:   managed + "    data_collector:\n      collections:\n        model_inputs:\n          enabled: 'True'\n",
			got:    func(e *Endpoint) any { return e.Deployments[0].DataCollector.Collections["model_inputs"].Enabled },
			want:   true,
			reason: "the data collector examples write enabled: 'True'",
		},
		{
			name:   "map form key is the name",
			spec:   "name: my-endpoint\ntraffic:\n  blue: 100\ndeployments:\n  blue:\n    model: azureml:m:1\n    instance_type: Standard_DS3_v2\n    instance_count: 1\n",
			got:    func(e *Endpoint) any { return e.Deployments[0].Name },
			want:   "blue",
			reason: "the 2021-04 draft keys deployments by name",
		},
		{
			name:   "2021 kubernetes names",
			spec:   legacyKubernetes,
			loader: Loader{EndpointName: "k8s-endpoint"},
			got: func(e *Endpoint) any {
				d := e.Deployments[0]
				return []any{e.Name, e.Compute, d.Type, d.Model.Path, d.CodeConfiguration.Code.Path, d.Environment.Path, d.Environment.Image, d.ScaleSettings.Type, d.Resources.Requests}
			},
			want:   []any{"k8s-endpoint", "k8s-compute", Kubernetes, "../model-1/model/m.pkl", "../model-1/onlinescoring", ".", "mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04:20210727.v1", ScaleTargetUtilization, Quantities{CPU: "0.1", Memory: "0.5Gi"}},
			reason: "every 2021 name of the Kubernetes flow maps onto today's model",
		},
		{
			name: "identity resource ids",
			spec: managed + "identity:\n  type: User_Assigned\n  user_assigned_identities:\n    - resource_id: /subscriptions/s/id2\n    - /subscriptions/s/id1\n",
			got:  func(e *Endpoint) any { return *e.Identity },
			want: Identity{Type: "user_assigned", UserAssignedIdentities: []string{"/subscriptions/s/id1", "/subscriptions/s/id2"}},
			reason: "the managed-identity example writes {resource_id: ID} items; " +
				"plain ids are accepted too",
		},
		{
			name:   "registry environment",
			spec:   strings.Replace(managed, "environment: azureml:env:1", "environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest", 1),
			got:    func(e *Endpoint) any { return e.Deployments[0].Environment.Reference },
			want:   Reference{Registry: "azureml", Name: "sklearn-1.5", Label: "latest"},
			reason: "the curated environment of the managed sample",
		},
		{
			name:   "gpu names",
			spec:   strings.Replace(kubernetes, "cpu: 0.1", "cpu: 0.1\n        gpu: 1\n      limits:\n        nvidia.com/gpu: 2", 1),
			got:    func(e *Endpoint) any { return e.Deployments[0].Resources },
			want:   Resources{Requests: Quantities{CPU: "0.1", GPU: "1"}, Limits: Quantities{GPU: "2"}},
			reason: "the service's CLI reads gpu as nvidia.com/gpu, in requests and limits alike",
		},
		{
			name: "read-only ids",
			spec: strings.Replace(strings.Replace(managed,
				"model: azureml:model-1:1", "model:\n      id: azureml:/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/models/m/versions/9\n      name: model-1\n      version: 1", 1),
				"environment: azureml:env:1", "environment:\n      id: azureml:/subscriptions/s/x/environments/e/versions/9\n      image: img:1", 1),
			got:    func(e *Endpoint) any { return []any{e.Deployments[0].Model, e.Deployments[0].Environment} },
			want:   []any{Reference{Name: "model-1", Version: "1"}, Environment{Image: "img:1"}},
			reason: "the service's CLI writes the asset's id out and drops it on input",
		},
		{
			name:   "private network connection",
			spec:   strings.Replace(managed, "instance_count: 1", "instance_count: 1\n    private_network_connection: true", 1),
			got:    func(e *Endpoint) any { return e.Deployments[0].EgressPublicNetworkAccess },
			want:   Disabled,
			reason: "the deprecated flag means egress disabled",
		},
		{
			name:   "private network connection false",
			spec:   strings.Replace(managed, "instance_count: 1", "instance_count: 1\n    egress_public_network_access: Enabled\n    private_network_connection: false", 1),
			got:    func(e *Endpoint) any { return e.Deployments[0].EgressPublicNetworkAccess },
			want:   Enabled,
			reason: "false agrees with egress enabled",
		},
		{
			name: "read-only fields of the CLI's show output",
			spec: `$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineEndpoint.schema.json
auth_mode: key
id: /subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/onlineEndpoints/my-endpoint
identity:
  principal_id: 00000000-0000-0000-0000-000000000001
  tenant_id: 00000000-0000-0000-0000-000000000002
  type: system_assigned
kind: Managed
location: westeurope
mirror_traffic: {}
name: my-endpoint
openapi_uri: https://my-endpoint.westeurope.inference.ml.azure.com/swagger.json
provisioning_state: Succeeded
public_network_access: enabled
scoring_uri: https://my-endpoint.westeurope.inference.ml.azure.com/score
traffic:
  blue: 100
deployments:
  - name: blue
    id: /subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/onlineEndpoints/my-endpoint/deployments/blue
    provisioning_state: Succeeded
    model: azureml:model-1:1
    environment: azureml:env:1
    instance_type: Standard_DS3_v2
    instance_count: 1
`,
			got: func(e *Endpoint) any {
				want, err := Parse("endpoint.yml", []byte(managed))
				return err == nil && Equal(e, want) && e.Status == (Status{}) && e.Deployments[0].Status == (Status{})
			},
			want: true,
			reason: "the service's CLI reads back what its show command writes, ignoring the read-only fields " +
				"(and location, which it takes from the workspace); so does the loader, leaving Status to observing",
		},
		{
			name:   "read-only ids of user-assigned identities",
			spec:   managed + "identity:\n  type: user_assigned\n  user_assigned_identities:\n    - resource_id: /subscriptions/s/id1\n      client_id: c1\n      principal_id: p1\n      object_id: o1\n",
			got:    func(e *Endpoint) any { return *e.Identity },
			want:   Identity{Type: "user_assigned", UserAssignedIdentities: []string{"/subscriptions/s/id1"}},
			reason: "the CLI writes each identity's client and principal ids out beside its resource id, and reads only the resource id",
		},
		{
			name:   "null values are unset",
			spec:   managed + "description:\ntags:\n",
			got:    func(e *Endpoint) any { return []any{e.Description, e.Tags == nil} },
			want:   []any{"", true},
			reason: "a key with nothing after it sets nothing",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := tt.loader.Parse("endpoint.yml", []byte(tt.spec))
			if err != nil {
				t.Fatalf("Parse: %v (%s)", err, tt.reason)
			}
			if diff := cmp.Diff(tt.want, tt.got(e)); diff != "" {
				t.Errorf("(-want +got) %s:\n%s", tt.reason, diff)
			}
		})
	}
}

func TestListAndMapFormsAreEqual(t *testing.T) {
	list := `name: my-endpoint
auth_mode: key
traffic:
  blue: 90
  green: 10
deployments:
  - name: green
    model: azureml:m:2
    instance_type: Standard_DS3_v2
    instance_count: 1
  - name: blue
    model: azureml:m:1
    instance_type: Standard_DS3_v2
    instance_count: 2
`
	mapped := `name: my-endpoint
auth_mode: key
traffic:
  blue: 90
  green: 10
deployments:
  blue:
    model: azureml:m:1
    instance_type: Standard_DS3_v2
    instance_count: 2
  green:
    name: green
    model: azureml:m:2
    instance_type: Standard_DS3_v2
    instance_count: 1
`
	a, err := Parse("list.yml", []byte(list))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("map.yml", []byte(mapped))
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(a, b) {
		t.Errorf("list and map forms differ:\n%s", cmp.Diff(a, b, cmp.AllowUnexported(Endpoint{})))
	}
	if got := []string{a.Deployments[0].Name, a.Deployments[1].Name}; !slices.Equal(got, []string{"blue", "green"}) {
		t.Errorf("deployments = %v, want sorted by name", got)
	}
}

func TestLoadJoinsDeploymentFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"app/endpoint.yml": {Data: []byte("$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineEndpoint.schema.json\nname: my-endpoint\nauth_mode: key\ntraffic:\n  blue: 100\n")},
		"app/deployments/blue.yml": {Data: []byte(`name: blue
endpoint_name: My-Endpoint
model:
  path: ../../model-1/model/
code_configuration:
  code: file:./onlinescoring/
  scoring_script: score.py
environment:
  image: mcr.microsoft.com/azureml/minimal-py312-inference:latest
  conda_file: env.yml
instance_type: Standard_DS3_v2
instance_count: 1
`)},
		"app/green.yml": {Data: []byte("name: green\nmodel: azureml:m:2\ninstance_type: Standard_DS3_v2\ninstance_count: 1\n")},
	}
	l := Loader{EndpointName: "my-endpoint"}
	r, err := l.LoadFS(fsys, "app")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Endpoints) != 1 || len(r.Skipped) != 0 {
		t.Fatalf("got %d endpoints and skipped %v, want 1 and none", len(r.Endpoints), r.Skipped)
	}
	e := r.Endpoints[0]
	var names []string
	for _, d := range e.Deployments {
		names = append(names, d.Name)
	}
	if want := []string{"blue", "green"}; !slices.Equal(names, want) {
		t.Fatalf("deployments %v, want %v (endpoint_name matches ignoring case; Loader.EndpointName joins files without one)", names, want)
	}
	blue := e.Deployments[0]
	got := []string{blue.Model.Path, blue.CodeConfiguration.Code.Path, blue.Environment.CondaFile}
	want := []string{"../model-1/model", "deployments/onlinescoring", "deployments/env.yml"}
	if !slices.Equal(got, want) {
		t.Errorf("paths %q, want %q: relative to the endpoint file's directory", got, want)
	}
	out, err := Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := Parse("app/endpoint.yml", out); err != nil || !Equal(e, back) {
		t.Errorf("written in place of the endpoint file, the spec loads as %v, %v; want an equal endpoint:\n%s", back, err, out)
	}
	pos, shown := e.src.locate("deployments[blue].instance_count")
	if pos.String() != "app/deployments/blue.yml:12:17" || shown != "instance_count" {
		t.Errorf("locate = %s %q, want the deployment file's position and its own path", pos, shown)
	}
}

func TestLoadWalkSkips(t *testing.T) {
	fsys := fstest.MapFS{
		"d/endpoint.yaml":        {Data: []byte("name: my-endpoint\nauth_mode: key\n")},
		"d/env/conda.yml":        {Data: []byte("name: env\nchannels: [conda-forge]\ndependencies: [python=3.12]\n")},
		"d/model.yml":            {Data: []byte("$schema: https://azuremlschemas.azureedge.net/latest/model.schema.json\nname: m\nversion: 1\npath: model\n")},
		"d/template.yml":         {Data: []byte("name: x\nendpoint_name: my-endpoint\nenvironment:\n  image: {{ACR_NAME}}.azurecr.io/img:1\n")},
		"d/empty.yml":            {Data: []byte("# nothing\n")},
		"d/list.YML":             {Data: []byte("- a\n- b\n")},
		"d/.hidden/broken.yml":   {Data: []byte("{{{")},
		"d/readme.md":            {Data: []byte("not yaml")},
		"d/sub/package.yml":      {Data: []byte("target_environment: pkg\ninferencing_server:\n  type: azureml_online\n")},
		"d/sub/olive/config.yml": {Data: []byte("model_repository: ./m\nperf_output: true\n")},
		"d/k8s/configmap.yml":    {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\n  location: x\n")},
	}
	var l Loader
	r, err := l.LoadFS(fsys, "d")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "%s: %s\n", s.Path, s.Reason)
	}
	want := `d/empty.yml: empty
d/env/conda.yml: conda environment file (dependencies, channels)
d/k8s/configmap.yml: no $schema and no endpoint keys (auth_mode, traffic, deployments, ...) or deployment keys (endpoint_name, model, instance_type, ...)
d/list.YML: not a mapping at the top level
d/model.yml: model asset ($schema model.schema.json)
d/sub/olive/config.yml: Triton model analyzer config (model_repository)
d/sub/package.yml: model package spec (target_environment, inferencing_server)
d/template.yml: template: placeholders like {{ACR_NAME}} must be filled in first
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	if len(r.Endpoints) != 1 || r.Endpoints[0].Name != "my-endpoint" {
		t.Errorf("endpoints = %v, want my-endpoint alone", r.Endpoints)
	}
}

func TestLoadOS(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "endpoint.yml")
	if err := os.WriteFile(spec, []byte(managed), 0o644); err != nil {
		t.Fatal(err)
	}
	byFile, err := Load(spec)
	if err != nil {
		t.Fatal(err)
	}
	byDir, err := Load(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(byFile) != 1 || len(byDir) != 1 || !Equal(byFile[0], byDir[0]) {
		t.Errorf("Load(file) = %v, Load(dir, file) = %v; want one equal endpoint (a file reached twice loads once)", byFile, byDir)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, spec)
	if err != nil {
		t.Skipf("no relative path to %s: %v", spec, err)
	}
	spelled, err := Load(filepath.Join(dir, ".", "x", "..")+string(filepath.Separator), "."+string(filepath.Separator)+rel, spec)
	if err != nil || len(spelled) != 1 {
		t.Errorf("Load of one file spelled three ways = %v, %v; want it loaded once", spelled, err)
	}
}

// TestLoadWalkFollowsFileLinks: a symbolic link to a spec, found by
// walking a directory, is loaded as the spec, its relative paths resolved
// from where the link is, as the service's CLI resolves them from the
// path it is given.
func TestLoadWalkFollowsFileLinks(t *testing.T) {
	dir := t.TempDir()
	app, shared := filepath.Join(dir, "app"), filepath.Join(dir, "shared")
	for _, d := range []string{app, shared} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	endpointFile := "name: my-endpoint\nauth_mode: key\ntraffic:\n  blue: 100\n"
	deploymentFile := "name: blue\nendpoint_name: my-endpoint\nmodel:\n  path: model\ninstance_type: Standard_DS3_v2\ninstance_count: 1\n"
	if err := os.WriteFile(filepath.Join(app, "endpoint.yml"), []byte(endpointFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shared, "blue.yml"), []byte(deploymentFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..", "shared", "blue.yml"), filepath.Join(app, "blue.yml")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	es, err := Load(app)
	if err != nil {
		t.Fatalf("Load: %v (a linked deployment file is a spec like any other, not left out)", err)
	}
	if d := es[0].Deployment("blue"); d == nil || d.Model.Path != "model" {
		t.Errorf("deployments %+v, want blue with its model at model, beside the link", es[0].Deployments)
	}
}

// TestLoadErrors records, for each kind of bad input, every error the
// loader reports, in testdata/load/errors.golden.
func TestLoadErrors(t *testing.T) {
	deep := "name: my-endpoint\nauth_mode: key\ntags:\n" + strings.Repeat("  ", 1)
	for i := range 40 {
		deep += fmt.Sprintf("k%d:\n%s", i, strings.Repeat("  ", i+2))
	}
	deep += "v\n"
	bomb := "name: my-endpoint\nauth_mode: key\n" +
		"a: &a [x, x, x, x, x, x, x, x, x]\n" +
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n" +
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	with := func(old, new string) map[string]string {
		return map[string]string{"ep.yml": strings.Replace(managed, old, new, 1)}
	}
	deploymentFile := "name: green\nendpoint_name: other\nmodel: azureml:m:1\ninstance_type: Standard_DS3_v2\ninstance_count: 1\n"
	tests := []struct {
		name   string
		files  map[string]string
		paths  []string // default: every file
		loader Loader
		reason string
	}{
		{name: "unknown key with hint", files: with("instance_count: 1", "instance_cont: 1"), reason: "a typo gets the one key it was meant to be"},
		{name: "unknown key without hint", files: with("instance_count: 1", "replicas: 1"), reason: "nothing close: list what is allowed"},
		{name: "unknown top-level key", files: with("auth_mode: key", "auth: key"), reason: "hint at the top level too"},
		{name: "alias", files: with("auth_mode: key", "auth_mode: &m key\ndescription: *m"), reason: "aliases are refused, never expanded"},
		{name: "anchor", files: with("instance_type: Standard_DS3_v2", "instance_type: &size Standard_DS3_v2"), reason: "anchors are refused too"},
		{name: "alias bomb", files: map[string]string{"ep.yml": bomb}, reason: "billion laughs costs ten errors, not memory"},
		{name: "duplicate key", files: with("auth_mode: key", "auth_mode: key\nauth_mode: aml_token"), reason: "yaml.Node keeps both; the loader refuses"},
		{name: "duplicate key in deployment", files: with("instance_count: 1", "instance_count: 1\n    instance_count: 2"), reason: "duplicates inside deployments"},
		{name: "deployments scalar", files: map[string]string{"ep.yml": "name: my-endpoint\ndeployments: blue\n"}, reason: "neither list nor mapping"},
		{name: "traffic list", files: with("traffic:\n  blue: 100", "traffic:\n  - blue"), reason: "a list where a mapping belongs"},
		{name: "model list", files: with("model: azureml:model-1:1", "model: [a, b]"), reason: "a list where a reference belongs"},
		{name: "environment variables on one line", files: with("instance_count: 1", "instance_count: 1\n    environment_variables: API_KEY s3cr3t"), reason: "the text may hold a secret value: not shown"},
		{name: "alias to no anchor", files: with("instance_count: 1", "instance_count: 1\n    environment_variables:\n      API_KEY: *s3cr3t"), reason: "the YAML parser names the missing anchor, here a secret value behind a stray *: not shown"},
		{name: "deployments as text", files: with("deployments:\n", "deployments: |\n"), reason: "a stray | makes the deployments one text, secret values included: not shown"},
		{name: "tags nested", files: with("auth_mode: key", "auth_mode: key\ntags:\n  team: {a: b}"), reason: "tag values are single values"},
		{name: "oversize", files: map[string]string{"ep.yml": managed}, loader: Loader{MaxFileSize: 64}, reason: "larger than MaxFileSize is refused before parsing"},
		{name: "deep nesting", files: map[string]string{"ep.yml": deep}, reason: "no spec is 40 levels deep"},
		{name: "reference without version", files: with("model: azureml:model-1:1", "model: azureml:model-1"), reason: "the service needs a version or a label"},
		{name: "bad registry reference", files: with("environment: azureml:env:1", "environment: azureml://registries/r/envs/e/versions/1"), reason: "unknown asset kind in a registry URI"},
		{name: "environment path", files: with("environment: azureml:env:1", "environment: ./env"), reason: "a path is not an environment"},
		{name: "unknown endpoint", files: map[string]string{"ep.yml": managed, "green.yml": deploymentFile}, reason: "a deployment file must join a loaded endpoint"},
		{name: "duplicate deployment in list", files: with("  - name: blue\n", "  - name: blue\n    model: azureml:m:1\n  - name: blue\n"), reason: "two items of one name"},
		{name: "duplicate deployment across files", files: map[string]string{"ep.yml": managed, "blue.yml": strings.Replace(strings.Replace(deploymentFile, "green", "blue", 1), "other", "my-endpoint", 1)}, reason: "inline and a file of its own"},
		{name: "duplicate deployment differing in case", files: map[string]string{"ep.yml": managed, "blue.yml": strings.Replace(strings.Replace(deploymentFile, "green", "Blue", 1), "other", "my-endpoint", 1)}, reason: "the service's names ignore case; both places are named"},
		{name: "name mismatch in map form", files: map[string]string{"ep.yml": "name: my-endpoint\ndeployments:\n  blue:\n    name: green\n    instance_type: Standard_DS3_v2\n"}, reason: "the key and name: disagree"},
		{name: "list item without name", files: with("  - name: blue\n", "  - instance_type: x\n  - name: blue\n"), reason: "every list item needs a name"},
		{name: "non-integer instance_count", files: with("instance_count: 1", "instance_count: two"), reason: "counts are integers"},
		{name: "float instance_count", files: with("instance_count: 1", "instance_count: 1.5"), reason: "counts are whole"},
		{name: "leading zero", files: with("instance_count: 1", "instance_count: 010"), reason: "the service's CLI reads YAML 1.1, where a plain 010 is octal 8: neither reading is taken silently"},
		{name: "huge probe period", files: with("instance_count: 1", "instance_count: 1\n    liveness_probe:\n      period: 9223372036854775807"), reason: "an integer Go holds but the service does not is refused where it is written"},
		{name: "negative instance_count", files: with("instance_count: 1", "instance_count: -1"), reason: "counts are never negative"},
		{name: "bad boolean", files: with("instance_count: 1", "instance_count: 1\n    app_insights_enabled: yes"), reason: "YAML 1.1 yes is refused"},
		{name: "bad auth_mode", files: with("auth_mode: key", "auth_mode: password"), reason: "enums list what is allowed"},
		{name: "traffic without a percent", files: with("blue: 100", "blue:"), reason: "a null percent is no number, and shows as nothing"},
		{name: "traffic over 100", files: with("blue: 100", "blue: 101"), reason: "percents are 0..100"},
		{name: "traffic sum", files: with("blue: 100", "blue: 90"), reason: "validation errors point at what was written"},
		{name: "validation in map form", files: map[string]string{"ep.yml": "name: my-endpoint\ntraffic:\n  blue: 100\ndeployments:\n  blue:\n    model: azureml:m:1\n    instance_count: 1\n"}, reason: "validation paths are written the map way"},
		{name: "not YAML", files: map[string]string{"ep.yml": "name: [unclosed\n"}, reason: "syntax errors keep their line"},
		{name: "template named explicitly", files: map[string]string{"ep.yml": "name: my-endpoint\nauth_mode: key\ncompute: {{acr}}.io/x\n"}, reason: "a template that is not YAML says so"},
		{name: "placeholder name", files: map[string]string{"ep.yml": "name: \"{{ENDPOINT_NAME}}\"\nauth_mode: key\n"}, reason: "an explicit file with a placeholder name"},
		{name: "unquoted placeholder", files: with("instance_type: Standard_DS3_v2", "instance_type: {{SKU}}"), reason: "an unquoted placeholder parses as a mapping; say what it is"},
		{name: "two documents", files: map[string]string{"ep.yml": managed + "---\nname: other\n"}, reason: "a second document would be ignored silently"},
		{name: "explicit conda file", files: map[string]string{"conda.yml": "name: env\ndependencies: [python]\n"}, reason: "a file named explicitly must be a spec"},
		{name: "deployment without endpoint", files: map[string]string{"ep.yml": managed, "green.yml": strings.Replace(deploymentFile, "endpoint_name: other\n", "", 1)}, reason: "no endpoint_name and no Loader.EndpointName"},
		{name: "endpoint without name", files: map[string]string{"ep.yml": strings.Replace(managed, "name: my-endpoint\n", "", 1)}, reason: "no name: and no Loader.EndpointName"},
		{name: "two endpoints of one name", files: map[string]string{"a.yml": managed, "b.yml": strings.Replace(managed, "my-endpoint", "My-Endpoint", 1)}, reason: "endpoint names are case-insensitive"},
		{name: "instance_count twice", files: with("instance_count: 1", "instance_count: 1\n    scale_settings:\n      instance_count: 2"), reason: "top level and scale_settings disagree"},
		{name: "type and scale_type", files: with("instance_count: 1", "instance_count: 1\n    scale_settings:\n      type: default\n      scale_type: manual"), reason: "one field under both names"},
		{name: "gpu twice", files: map[string]string{"ep.yml": strings.Replace(kubernetes, "cpu: 0.1", "cpu: 0.1\n        nvidia.com/gpu: 1\n        gpu: 2", 1)}, reason: "one quantity under both its names"},
		{name: "private network disagrees", files: with("instance_count: 1", "instance_count: 1\n    egress_public_network_access: enabled\n    private_network_connection: true"), reason: "the deprecated flag contradicts egress"},
		{name: "private network not a boolean", files: with("instance_count: 1", "instance_count: 1\n    private_network_connection: maybe"), reason: "the deprecated flag is true or false"},
		{name: "2021 names refused", files: map[string]string{"ep.yml": legacyKubernetes}, loader: Loader{EndpointName: "k8s-endpoint", RefuseLegacy: true}, reason: "RefuseLegacy refuses every 2021 form, as today's az ml does"},
		{name: "custom tag", files: with("instance_type: Standard_DS3_v2", "instance_type: !!binary U3RhbmRhcmQ="), reason: "tags beyond plain YAML are refused"},
		{name: "complex key", files: with("auth_mode: key", "? [a, b]\n: c"), reason: "keys are strings"},
		{name: "no paths", files: map[string]string{}, paths: []string{}, reason: "nothing to load is a caller's mistake"},
		{name: "missing file", files: map[string]string{}, paths: []string{"nope.yml"}, reason: "a missing path is an error"},
		{name: "every error at once", files: map[string]string{"a.yml": strings.Replace(managed, "auth_mode: key", "auth_mode: nope", 1), "b.yml": "name: b-endpoint\nauth_mode: key\nbogus: 1\n"}, reason: "errors of every file are collected and sorted"},
	}
	var b strings.Builder
	names := make(map[string]bool)
	for _, tt := range tests {
		if names[tt.name] {
			t.Fatalf("case %q twice", tt.name)
		}
		names[tt.name] = true
		fsys := fstest.MapFS{}
		var paths []string
		for name, data := range tt.files {
			fsys[name] = &fstest.MapFile{Data: []byte(data)}
			paths = append(paths, name)
		}
		slices.Sort(paths)
		if tt.paths != nil {
			paths = tt.paths
		}
		r, err := tt.loader.LoadFS(fsys, paths...)
		if err == nil {
			t.Errorf("%s: no error (%s)", tt.name, tt.reason)
			continue
		}
		if r != nil {
			t.Errorf("%s: result %v with an error; want nil", tt.name, r)
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error does not match ErrInvalid", tt.name)
		}
		var list ErrorList
		if !errors.As(err, &list) {
			t.Errorf("%s: %T is not an ErrorList", tt.name, err)
			continue
		}
		fmt.Fprintf(&b, "== %s (%s)\n%s\n", tt.name, tt.reason, list.Lines())
	}
	checkGolden(t, "errors.golden", b.String())
}

func TestParseRejectsDeploymentFile(t *testing.T) {
	_, err := Parse("blue.yml", []byte("name: blue\nendpoint_name: e\ninstance_count: 1\n"))
	const want = "blue.yml:1:1: a deployment file; Parse reads an endpoint file with its deployments inside (use Load with the endpoint file and the deployment files)"
	if err == nil || err.Error() != want {
		t.Errorf("Parse(deployment file) = %v, want %s", err, want)
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b   string
		want   int
		reason string
	}{
		{"", "", 0, "empty"},
		{"abc", "", 3, "all deleted"},
		{"instance_cont", "instance_count", 1, "one insertion"},
		{"auht_mode", "auth_mode", 2, "a swap costs two"},
		{"kitten", "sitting", 3, "the textbook case"},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d (%s)", tt.a, tt.b, got, tt.want, tt.reason)
		}
	}
}
