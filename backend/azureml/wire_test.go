package azureml

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

var testScope = Scope{
	Subscription:  "00000000-1111-2222-3333-444444444444",
	ResourceGroup: "test-rg",
	Workspace:     "my-aml-workspace",
}

// modelOpts compares models field by field, splits by value.
var modelOpts = cmp.Options{
	cmp.Comparer(func(a, b traffic.Split) bool { return a.Equal(b) }),
	cmpopts.IgnoreUnexported(endpoint.Endpoint{}),
}

// corpusSpecs is where the service's own REST examples are.
var corpusSpecs = filepath.Join("..", "..", "..", "shared", "corpus", "azure-rest-api-specs")

// examplesDir is the service's REST examples of the api-version this
// package speaks.
func examplesDir(t testing.TB) string {
	return corpusDir(t, filepath.Join(corpusSpecs, "stable", "2024-10-01", "examples"))
}

// previewDir is the examples of the 2021 preview, whose responses a
// workspace may still hold and which are decoded too.
func previewDir(t testing.TB) string {
	return corpusDir(t, filepath.Join(corpusSpecs, "preview", "2021-03-01-preview", "examples"))
}

func corpusDir(t testing.TB, dir string) string {
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("REST examples not found at %s (the corpus is not checked out): %v", dir, err)
	}
	return dir
}

// example is one file of the REST examples.
type example struct {
	Parameters struct {
		Body json.RawMessage `json:"body"`
	} `json:"parameters"`
	Responses map[string]struct {
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body"`
	} `json:"responses"`
}

func readExamples(t *testing.T, dir string) map[string]example {
	out := map[string]example{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var ex example
		if err := json.Unmarshal(data, &ex); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rel, _ := filepath.Rel(dir, path)
		out[filepath.ToSlash(rel)] = ex
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no examples under %s", dir)
	}
	return out
}

// decodeExample decodes one response body by what the example is about,
// and returns a line describing the result for the log.
func decodeExample(t *testing.T, name string, body json.RawMessage) {
	t.Helper()
	isDeployment := strings.Contains(name, "OnlineDeployment/")
	base := filepath.Base(name)
	switch {
	case base == "list.json" && isDeployment:
		var p page[onlineDeployment]
		mustUnmarshal(t, body, &p)
		if len(p.Value) == 0 {
			t.Fatal("empty page")
		}
		for _, w := range p.Value {
			if _, err := testScope.decodeDeployment(&w, ""); err != nil {
				t.Fatal(err)
			}
		}
	case base == "list.json":
		var p page[onlineEndpoint]
		mustUnmarshal(t, body, &p)
		if len(p.Value) == 0 {
			t.Fatal("empty page")
		}
		for _, w := range p.Value {
			if _, err := testScope.decodeEndpoint(&w, ""); err != nil {
				t.Fatal(err)
			}
		}
	case base == "listKeys.json":
		var k endpointKeys
		mustUnmarshal(t, body, &k)
		if k.PrimaryKey == "" || k.SecondaryKey == "" {
			t.Fatal("keys not decoded")
		}
	case base == "getToken.json":
		var tok accessToken
		mustUnmarshal(t, body, &tok)
		if tok.AccessToken == "" || tok.TokenType == "" {
			t.Fatal("token not decoded")
		}
	case base == "getLogs.json":
		var logs deploymentLogs
		mustUnmarshal(t, body, &logs)
		if logs.Content == "" {
			t.Fatal("logs not decoded")
		}
	case base == "listSkus.json":
		var p page[skuResource]
		mustUnmarshal(t, body, &p)
		if len(p.Value) == 0 || p.Value[0].Capacity.Maximum == 0 {
			t.Fatalf("skus not decoded: %+v", p)
		}
	case isDeployment:
		var w onlineDeployment
		mustUnmarshal(t, body, &w)
		d, err := testScope.decodeDeployment(&w, "")
		if err != nil {
			t.Fatal(err)
		}
		if d.Status.ProvisioningState == "" || d.Type == "" || d.Model.ID == "" || d.LivenessProbe.Period == 0 || d.ScaleSettings.Type == "" {
			t.Fatalf("deployment decoded without its state, type, model, probe or scale settings: %+v", d)
		}
		if d.Type == endpoint.Kubernetes && d.Resources.Requests.CPU == "" {
			t.Fatalf("Kubernetes deployment decoded without its resources: %+v", d)
		}
	default:
		var w onlineEndpoint
		mustUnmarshal(t, body, &w)
		e, err := testScope.decodeEndpoint(&w, "")
		if err != nil {
			t.Fatal(err)
		}
		if e.AuthMode != endpoint.AuthAMLToken || e.Status.ScoringURI == "" || e.Traffic.Len() == 0 || e.Identity == nil || e.Compute == "" {
			t.Fatalf("endpoint decoded without its auth mode, scoring URI, traffic, identity or compute: %+v", e)
		}
	}
}

func mustUnmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

// placeholders are the examples whose bodies hold a value the service
// cannot send ("string" as a duration), by the field that holds it: their
// decoding must fail on that field and nothing else.
var placeholders = map[string]string{
	"preview/OnlineDeployment/createOrUpdate.json": "scaleSettings.pollingInterval",
	"preview/OnlineDeployment/get.json":            "scaleSettings.pollingInterval",
	"preview/OnlineDeployment/update.json":         "scaleSettings.pollingInterval",
}

// TestDecodeExamples decodes every response body of the service's examples,
// of this api-version and of the 2021 preview.
func TestDecodeExamples(t *testing.T) {
	examples := map[string]example{}
	for prefix, dir := range map[string]string{"stable/": examplesDir(t), "preview/": previewDir(t)} {
		for name, ex := range readExamples(t, dir) {
			examples[prefix+name] = ex
		}
	}
	for _, name := range slices.Sorted(mapsKeys(examples)) {
		ex := examples[name]
		for _, status := range slices.Sorted(mapsKeys(ex.Responses)) {
			body := ex.Responses[status].Body
			if len(body) == 0 {
				continue
			}
			t.Run(name+"/"+status, func(t *testing.T) {
				if want, ok := placeholders[name]; ok {
					t.Run("placeholder", func(t *testing.T) {
						var w onlineDeployment
						mustUnmarshal(t, body, &w)
						if _, err := testScope.decodeDeployment(&w, ""); err == nil || !strings.Contains(err.Error(), want) {
							t.Fatalf("decoding = %v, want an error about %s, which holds a placeholder no service sends", err, want)
						}
					})
					return
				}
				decodeExample(t, name, body)
			})
		}
	}
}

// keySet lists the paths of the keys of a JSON object, recursively. The
// keys of maps whose keys are data (tags, traffic, ...) are not fields and
// are left out, so that placeholder names do not count.
func keySet(t *testing.T, data []byte) []string {
	t.Helper()
	var v any
	mustUnmarshal(t, data, &v)
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		for k, sub := range m {
			path := prefix + k
			out = append(out, path)
			if !dataMaps[k] && !dataMaps[path] {
				walk(path+".", sub)
			}
		}
	}
	walk("", v)
	slices.Sort(out)
	return out
}

// dataMaps are the objects whose keys are names chosen by users, by key or,
// for "properties" (the resource's fields outside, the user's own names
// inside), by path.
var dataMaps = map[string]bool{
	"tags": true, "properties.properties": true, "traffic": true, "mirrorTraffic": true,
	"environmentVariables": true, "userAssignedIdentities": true, "collections": true,
}

// TestRequestsMatchExamples builds requests from the models the examples'
// responses decode to, and compares their key sets with the examples'
// request bodies. The examples fill every optional field, so the requests
// may leave out what the model does not hold; anything they send must be in
// the examples, except the fields the design requires on every write.
func TestRequestsMatchExamples(t *testing.T) {
	examples := readExamples(t, examplesDir(t))
	tests := []struct {
		file string
		// build encodes the request from the decoded response.
		build func(t *testing.T, resp json.RawMessage) any
		// notHeld are keys of the example the model has no field for.
		notHeld []string
		// extra are keys sent that the example leaves out.
		extra  []string
		reason string
	}{
		{
			file: "Workspace/OnlineEndpoint/createOrUpdate.json",
			build: func(t *testing.T, resp json.RawMessage) any {
				var w onlineEndpoint
				mustUnmarshal(t, resp, &w)
				e, err := testScope.decodeEndpoint(&w, "")
				if err != nil {
					t.Fatal(err)
				}
				body, err := testScope.encodeEndpoint(e, "string")
				if err != nil {
					t.Fatal(err)
				}
				return body
			},
			notHeld: []string{"kind", "sku", "sku.capacity", "sku.family", "sku.name", "sku.size", "sku.tier"},
			extra:   []string{"properties.mirrorTraffic"},
			reason:  "an endpoint PUT carries the mirror map too, or the service drops mirror traffic",
		},
		{
			file: "Workspace/OnlineEndpoint/update.json",
			build: func(t *testing.T, resp json.RawMessage) any {
				var w onlineEndpoint
				mustUnmarshal(t, resp, &w)
				e, err := testScope.decodeEndpoint(&w, "")
				if err != nil {
					t.Fatal(err)
				}
				// The example's request writes its tags, {}: managed, and
				// none. Read, the same {} is no tags held (nil).
				e.Tags = map[string]string{}
				body, err := encodeEndpointPatch(e)
				if err != nil {
					t.Fatal(err)
				}
				return body
			},
			reason: "an endpoint PATCH carries tags and identity, nothing else",
		},
		{
			file: "OnlineDeployment/ManagedOnlineDeployment/createOrUpdate.json",
			build: func(t *testing.T, resp json.RawMessage) any {
				return deploymentPUT(t, resp)
			},
			notHeld: []string{"identity", "identity.type", "identity.userAssignedIdentities", "kind", "sku.family", "sku.size", "sku.tier"},
			reason:  "a managed deployment PUT carries every field of the model",
		},
		{
			file: "OnlineDeployment/KubernetesOnlineDeployment/createOrUpdate.json",
			build: func(t *testing.T, resp json.RawMessage) any {
				return deploymentPUT(t, resp)
			},
			notHeld: []string{"identity", "identity.type", "identity.userAssignedIdentities", "kind", "sku.family", "sku.size", "sku.tier"},
			reason:  "a Kubernetes deployment PUT adds the container's requests and limits",
		},
		{
			file: "OnlineDeployment/ManagedOnlineDeployment/update.json",
			build: func(t *testing.T, resp json.RawMessage) any {
				return deploymentPatch{Tags: map[string]string{"k": "v"}, SKU: &sku{Name: "Default", Capacity: new(3)}}
			},
			notHeld: []string{"sku.family", "sku.size", "sku.tier"},
			reason:  "scaling is a PATCH of the sku's capacity",
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ex, ok := examples[tt.file]
			if !ok {
				t.Fatalf("no example %s", tt.file)
			}
			resp := ex.Responses["200"].Body
			body, err := json.Marshal(tt.build(t, resp))
			if err != nil {
				t.Fatal(err)
			}
			want := slices.DeleteFunc(keySet(t, ex.Parameters.Body), func(k string) bool { return slices.Contains(tt.notHeld, k) })
			want = append(want, tt.extra...)
			slices.Sort(want)
			if diff := cmp.Diff(want, keySet(t, body)); diff != "" {
				t.Errorf("%s: request keys differ from the example (-want +got):\n%s", tt.reason, diff)
			}
		})
	}
}

func deploymentPUT(t *testing.T, resp json.RawMessage) any {
	var w onlineDeployment
	mustUnmarshal(t, resp, &w)
	d, err := testScope.decodeDeployment(&w, "")
	if err != nil {
		t.Fatal(err)
	}
	body, err := testScope.encodeDeployment(&d, "string")
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// richDeployment sets every field the service holds.
func richDeployment() endpoint.Deployment {
	return endpoint.Deployment{
		Name:                      "green",
		Type:                      endpoint.Managed,
		Description:               "second version",
		Tags:                      map[string]string{"team": "ml"},
		Properties:                map[string]string{"p": "q"},
		Model:                     endpoint.Reference{Name: "churn", Version: "2"},
		ModelMountPath:            "/var/model",
		CodeConfiguration:         endpoint.CodeConfiguration{Code: endpoint.Reference{Name: "score", Version: "7"}, ScoringScript: "score.py"},
		Environment:               endpoint.Environment{Reference: endpoint.Reference{Registry: "azureml", Name: "sklearn", Version: "12"}},
		EnvironmentVariables:      map[string]string{"LOG_LEVEL": "debug"},
		InstanceType:              "Standard_DS3_v2",
		InstanceCount:             3,
		ScaleSettings:             endpoint.ScaleSettings{Type: endpoint.ScaleTargetUtilization, MinInstances: 1, MaxInstances: 5, PollingInterval: 10, TargetUtilizationPercentage: 70},
		RequestSettings:           endpoint.RequestSettings{RequestTimeoutMS: 90500, MaxConcurrentRequestsPerInstance: 2, MaxQueueWaitMS: 500},
		LivenessProbe:             endpoint.Probe{InitialDelay: 10, Period: 10, Timeout: 2, SuccessThreshold: 1, FailureThreshold: 30},
		ReadinessProbe:            endpoint.Probe{InitialDelay: 3600, Period: 5},
		StartupProbe:              endpoint.Probe{InitialDelay: 30, Period: 5, Timeout: 2, SuccessThreshold: 1, FailureThreshold: 60},
		AppInsightsEnabled:        true,
		EgressPublicNetworkAccess: endpoint.Disabled,
		DataCollector: &endpoint.DataCollector{
			Collections: map[string]endpoint.Collection{
				"model_inputs":  {Enabled: true, Data: endpoint.Reference{Name: "inputs", Version: "1"}, SamplingRate: 0.5},
				"model_outputs": {Enabled: false, ClientID: "c1", SamplingRate: 1},
			},
			RollingRate:    "hour",
			RequestLogging: &endpoint.RequestLogging{CaptureHeaders: []string{"x-id"}},
		},
		Resources: endpoint.Resources{Requests: endpoint.Quantities{CPU: "1", Memory: "2Gi"}, Limits: endpoint.Quantities{GPU: "1"}},
	}
}

// TestDeploymentRoundTrip: what is written reads back equal, through JSON.
func TestDeploymentRoundTrip(t *testing.T) {
	d := richDeployment()
	w, err := testScope.encodeDeployment(&d, "westeurope")
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	var back onlineDeployment
	mustUnmarshal(t, data, &back)
	back.Name = d.Name
	got, err := testScope.decodeDeployment(&back, `W/"1"`)
	if err != nil {
		t.Fatal(err)
	}
	want := d
	want.Status.ETag = `W/"1"`
	if diff := cmp.Diff(want, got, modelOpts); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(data), `"model":"/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/test-rg/providers/Microsoft.MachineLearningServices/workspaces/my-aml-workspace/models/churn/versions/2"`) {
		t.Errorf("model not sent as the workspace's ARM id: %s", data)
	}
	if !strings.Contains(string(data), `"environmentId":"azureml://registries/azureml/environments/sklearn/versions/12"`) {
		t.Errorf("registry environment not sent as a registry id: %s", data)
	}
	if !strings.Contains(string(data), `"startupProbe":{"initialDelay":"PT30S","period":"PT5S","timeout":"PT2S","successThreshold":1,"failureThreshold":60}`) {
		t.Errorf("startup probe not sent: %s", data)
	}
	if !strings.Contains(string(data), `"sku":{"name":"Default","capacity":3}`) {
		t.Errorf("instance count not sent as the sku's capacity: %s", data)
	}
}

// TestEndpointRoundTrip: what is written reads back equal, and both maps
// are always sent.
func TestEndpointRoundTrip(t *testing.T) {
	e := &endpoint.Endpoint{
		Name:                "churn",
		Description:         "churn scoring",
		Tags:                map[string]string{"a": "b"},
		AuthMode:            endpoint.AuthAADToken,
		Identity:            &endpoint.Identity{Type: "system_assigned,user_assigned", UserAssignedIdentities: []string{"/id/a", "/id/b"}},
		PublicNetworkAccess: endpoint.Disabled,
		Traffic:             traffic.MustNew(map[string]int{"blue": 90, "green": 10, "red": 0}),
		Mirror:              traffic.MustNew(map[string]int{"shadow": 20}),
	}
	w, err := testScope.encodeEndpoint(e, "westeurope")
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"traffic":{"blue":90,"green":10}`) {
		t.Errorf("traffic not sent without its zeros: %s", data)
	}
	var back onlineEndpoint
	mustUnmarshal(t, data, &back)
	back.Name = e.Name
	back.Properties.ScoringURI = "https://churn.westeurope.inference.ml.azure.com/score"
	back.Properties.ProvisioningState = "Succeeded"
	got, err := testScope.decodeEndpoint(&back, "")
	if err != nil {
		t.Fatal(err)
	}
	want := *e
	want.Status = endpoint.Status{ProvisioningState: endpoint.Succeeded, ScoringURI: back.Properties.ScoringURI}
	if diff := cmp.Diff(&want, got, modelOpts); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}

	dark, err := testScope.encodeEndpoint(&endpoint.Endpoint{Name: "dark"}, "westeurope")
	if err != nil {
		t.Fatal(err)
	}
	data, _ = json.Marshal(dark)
	if !strings.Contains(string(data), `"traffic":{}`) || !strings.Contains(string(data), `"mirrorTraffic":{}`) {
		t.Errorf("empty maps not sent, so the service would keep the old ones: %s", data)
	}
}

func TestDurations(t *testing.T) {
	tests := []struct {
		ms     int64
		iso    string
		reason string
	}{
		{5000, "PT5S", "seconds"},
		{300000, "PT5M", "whole minutes are written as minutes, as the service does"},
		{90000, "PT1M30S", "minutes and seconds"},
		{500, "PT0.5S", "below a second"},
		{90500, "PT1M30.5S", "a fraction after minutes"},
		{3_600_000, "PT1H", "hours"},
		{0, "PT0S", "zero"},
	}
	for _, tt := range tests {
		if got := formatDuration(tt.ms); got != tt.iso {
			t.Errorf("%s: formatDuration(%d) = %q, want %q", tt.reason, tt.ms, got, tt.iso)
		}
		got, err := parseDuration("f", tt.iso)
		if err != nil || got != tt.ms {
			t.Errorf("%s: parseDuration(%q) = %d, %v, want %d", tt.reason, tt.iso, got, err, tt.ms)
		}
	}
	parses := []struct {
		iso    string
		ms     int64
		reason string
	}{
		{"P1D", 86_400_000, "days"},
		{"P1DT1S", 86_401_000, "days and time"},
		{"pt2s", 2000, "lower case"},
		{"PT90S", 90000, "seconds past a minute"},
		{"", 0, "absent"},
	}
	for _, tt := range parses {
		got, err := parseDuration("f", tt.iso)
		if err != nil || got != tt.ms {
			t.Errorf("%s: parseDuration(%q) = %d, %v, want %d", tt.reason, tt.iso, got, err, tt.ms)
		}
	}
	bad := []struct{ iso, reason string }{
		{"5S", "no P"},
		{"P", "no units"},
		{"PT", "T and nothing"},
		{"P5S", "seconds before T"},
		{"PT5D", "days after T"},
		{"PT-5S", "negative"},
		{"PT1e3S", "exponent"},
		{"PTT5S", "two Ts"},
		{"PT99999999999S", "overflows an int"},
		{"PTS", "unit without a number"},
	}
	for _, tt := range bad {
		if ms, err := parseDuration("f", tt.iso); err == nil {
			t.Errorf("%s: parseDuration(%q) = %d, want an error", tt.reason, tt.iso, ms)
		}
	}
}

// TestReferences: what can be sent as an ARM id and what must be registered
// first.
func TestReferences(t *testing.T) {
	ws := "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/test-rg/providers/Microsoft.MachineLearningServices/workspaces/my-aml-workspace"
	tests := []struct {
		ref     endpoint.Reference
		want    string
		wantErr string
		reason  string
	}{
		{endpoint.Reference{Name: "m", Version: "1"}, ws + "/models/m/versions/1", "", "a registered asset resolves to the workspace's id"},
		{endpoint.Reference{Registry: "azureml", Name: "m", Version: "1"}, "azureml://registries/azureml/models/m/versions/1", "", "a registry asset keeps its registry"},
		{endpoint.Reference{ID: "/subscriptions/x/y"}, "/subscriptions/x/y", "", "an ARM id is sent as written"},
		{endpoint.Reference{Path: "./model"}, "", "register it in the workspace (az ml model create)", "local paths need uploading, which is out of scope"},
		{endpoint.Reference{Name: "m", Label: "latest"}, "", "name the version", "the service does not resolve labels"},
		{endpoint.Reference{Name: "m/../x", Version: "1"}, "", "not a valid name", "a name cannot change which resource the id points at"},
	}
	for _, tt := range tests {
		got, err := testScope.referenceID("model", "models", tt.ref)
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", tt.reason, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || got != tt.want):
			t.Errorf("%s: got %q, %v, want %q", tt.reason, got, err, tt.want)
		}
		if tt.wantErr == "" {
			if back := testScope.referenceFromID(got); back != tt.ref {
				t.Errorf("%s: %q reads back as %+v, want %+v", tt.reason, got, back, tt.ref)
			}
		}
	}
	d := richDeployment()
	d.Environment = endpoint.Environment{Image: "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest"}
	if _, err := testScope.encodeDeployment(&d, "x"); err == nil || !strings.Contains(err.Error(), "register it") {
		t.Errorf("inline environment: error %v, want one that says to register it", err)
	}
}

// FuzzDecode: no response body makes decoding panic, and a decoded model
// written and read again is stable after one round.
func FuzzDecode(f *testing.F) {
	_ = filepath.WalkDir(corpusSpecs, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		var ex example
		if json.Unmarshal(data, &ex) == nil {
			for _, r := range ex.Responses {
				if len(r.Body) > 0 {
					f.Add([]byte(r.Body))
				}
			}
		}
		return nil
	})
	d := richDeployment()
	w, _ := testScope.encodeDeployment(&d, "x")
	seed, _ := json.Marshal(w)
	f.Add(seed)
	f.Add([]byte(`{"properties":{"traffic":{"a":101},"requestSettings":{"requestTimeout":"PT1e9S"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var we onlineEndpoint
		if json.Unmarshal(data, &we) == nil {
			if e, err := testScope.decodeEndpoint(&we, ""); err == nil {
				e2 := endpointCycle(t, e)
				if e3 := endpointCycle(t, e2); !reflect.DeepEqual(e2, e3) {
					t.Fatalf("endpoint not stable:\n%+v\n%+v", e2, e3)
				}
			}
		}
		var wd onlineDeployment
		if json.Unmarshal(data, &wd) == nil {
			if d, err := testScope.decodeDeployment(&wd, ""); err == nil {
				d2 := deploymentCycle(t, d)
				if d3 := deploymentCycle(t, d2); !reflect.DeepEqual(d2, d3) {
					t.Fatalf("deployment not stable:\n%+v\n%+v", d2, d3)
				}
			}
		}
	})
}

func endpointCycle(t *testing.T, e *endpoint.Endpoint) *endpoint.Endpoint {
	w, err := testScope.encodeEndpoint(e, "x")
	if err != nil {
		t.Fatalf("decoded endpoint does not encode: %v", err)
	}
	data, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	var back onlineEndpoint
	mustUnmarshal(t, data, &back)
	back.Name = e.Name
	got, err := testScope.decodeEndpoint(&back, "")
	if err != nil {
		t.Fatalf("encoded endpoint does not decode: %v\n%s", err, data)
	}
	return got
}

func deploymentCycle(t *testing.T, d endpoint.Deployment) endpoint.Deployment {
	w, err := testScope.encodeDeployment(&d, "x")
	if err != nil {
		// Decoded references the service could send but that cannot be
		// written back (a registry id with a bad name) end the cycle.
		t.Skipf("decoded deployment does not encode: %v", err)
	}
	data, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	var back onlineDeployment
	mustUnmarshal(t, data, &back)
	back.Name = d.Name
	got, err := testScope.decodeDeployment(&back, "")
	if err != nil {
		t.Fatalf("encoded deployment does not decode: %v\n%s", err, data)
	}
	return got
}

// TestPatchTags: a PATCH sends the endpoint's tags as the model holds
// them: nil is not managed, so the PATCH leaves the service's tags alone;
// empty and written tags replace them.
func TestPatchTags(t *testing.T) {
	for _, tc := range []struct {
		tags   map[string]string
		want   string
		reason string
	}{
		{nil, `{}`, "tags nil are not managed: a PATCH of the identity alone must not remove them"},
		{map[string]string{}, `{"tags":{}}`, "tags written empty remove the service's"},
		{map[string]string{"team": "ml"}, `{"tags":{"team":"ml"}}`, "tags written replace the service's"},
	} {
		body, err := encodeEndpointPatch(&endpoint.Endpoint{Name: "e", Tags: tc.tags})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(body)
		if string(got) != tc.want {
			t.Errorf("tags %v: PATCH body %s, want %s (%s)", tc.tags, got, tc.want, tc.reason)
		}
	}
}
