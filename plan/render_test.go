package plan_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
	"github.com/rolloutkit/rollout/traffic"
)

// planOpts compares plans the way their JSON form keeps them: not the
// unexported record of where an endpoint was written, nor what the service
// reported about a resource (the fingerprint stands for it), and an empty
// list reads back as nil.
var planOpts = cmp.Options{
	cmpopts.IgnoreUnexported(endpoint.Endpoint{}),
	cmpopts.IgnoreFields(endpoint.Endpoint{}, "Status"),
	cmpopts.IgnoreFields(endpoint.Deployment{}, "Status"),
	cmpopts.EquateEmpty(),
}

func deployment(name, model string, count int) *endpoint.Deployment {
	return &endpoint.Deployment{
		Name:              name,
		Type:              endpoint.Managed,
		Model:             endpoint.Reference{Name: model, Version: "1"},
		CodeConfiguration: endpoint.CodeConfiguration{Code: endpoint.Reference{Path: "onlinescoring"}, ScoringScript: "score.py"},
		Environment:       endpoint.Environment{Reference: endpoint.Reference{Name: "sklearn-serving", Version: "4"}},
		InstanceType:      "Standard_DS3_v2",
		InstanceCount:     count,
	}
}

// canaryPlan is the tutorial's rollout of green as a canary, built by hand
// the way Compute lays it out, so that rendering is tested on its own.
func canaryPlan() *plan.Plan {
	blue1, blue2 := deployment("blue", "model-1", 1), deployment("blue", "model-1", 2)
	green := deployment("green", "model-2", 2)
	green.Environment = endpoint.Environment{Image: "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest", CondaFile: "conda.yaml"}
	blue100 := traffic.MustNew(map[string]int{"blue": 100})
	split := traffic.MustNew(map[string]int{"blue": 90, "green": 10})
	green100 := traffic.MustNew(map[string]int{"green": 100})
	return &plan.Plan{
		FormatVersion: plan.FormatVersion,
		Fingerprint:   "3f2a9c1e4b5d6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b",
		Strategy:      "canary:10",
		Steps: []plan.Step{
			{
				ID: "my-endpoint/blue/update", Action: plan.UpdateDeployment, Endpoint: "my-endpoint", Deployment: "blue",
				DeploymentBefore: blue1, DeploymentAfter: blue2,
				Changes: []endpoint.Change{{Path: "instance_count", Before: "1", After: "2"}},
				Reason:  "instance_count changes",
			},
			{
				ID: "my-endpoint/green/create", Action: plan.CreateDeployment, Endpoint: "my-endpoint", Deployment: "green",
				DeploymentAfter: green,
				Reason:          "green is desired and does not exist",
			},
			{
				ID: "my-endpoint/gate/smoke:green", Action: plan.Gate, Endpoint: "my-endpoint", Gate: "smoke:green",
				DependsOn: []string{"my-endpoint/green/create"},
				Reason:    "green is tested directly before it takes live traffic",
			},
			{
				ID: "my-endpoint/traffic/1", Action: plan.SetTraffic, Endpoint: "my-endpoint",
				DependsOn:     []string{"my-endpoint/blue/update", "my-endpoint/gate/smoke:green"},
				TrafficBefore: blue100, Traffic: split,
				Reason: "canary stage 1 of 2",
			},
			{
				ID: "my-endpoint/gate/bake/1", Action: plan.Gate, Endpoint: "my-endpoint", Gate: "bake",
				DependsOn: []string{"my-endpoint/traffic/1"},
			},
			{
				ID: "my-endpoint/traffic/2", Action: plan.SetTraffic, Endpoint: "my-endpoint",
				DependsOn:     []string{"my-endpoint/gate/bake/1"},
				TrafficBefore: split, Traffic: green100,
				Reason: "canary stage 2 of 2",
			},
			{
				ID: "my-endpoint/blue/delete", Action: plan.DeleteDeployment, Endpoint: "my-endpoint", Deployment: "blue",
				DependsOn:        []string{"my-endpoint/traffic/2"},
				DeploymentBefore: blue2,
				Reason:           "blue is not desired",
			},
		},
		Summary: plan.Summary{Add: 1, Change: 1, Destroy: 1, Traffic: 2, Gates: 2},
	}
}

// endpointPlan creates one endpoint and updates another, with a merged
// traffic change, and replaces a deployment whose instance type changes.
func endpointPlan() *plan.Plan {
	old := deployment("blue", "model-1", 1)
	old.InstanceType = "Standard_DS2_v2"
	repl := deployment("blue", "model-1", 1)
	return &plan.Plan{
		FormatVersion: plan.FormatVersion,
		Steps: []plan.Step{
			{
				ID: "a-endpoint/create", Action: plan.CreateEndpoint, Endpoint: "a-endpoint",
				EndpointAfter: &endpoint.Endpoint{Name: "a-endpoint", AuthMode: endpoint.AuthKey, Tags: map[string]string{"team": "risk"}},
				Reason:        "a-endpoint is desired and does not exist",
			},
			{
				ID: "b-endpoint/blue/delete", Action: plan.DeleteDeployment, Endpoint: "b-endpoint", Deployment: "blue",
				DeploymentBefore: old,
				Reason:           "instance_type cannot change in place",
			},
			{
				ID: "b-endpoint/blue/create", Action: plan.CreateDeployment, Endpoint: "b-endpoint", Deployment: "blue",
				DependsOn:       []string{"b-endpoint/blue/delete"},
				DeploymentAfter: repl,
				Reason:          "instance_type cannot change in place",
			},
			{
				ID: "b-endpoint/update", Action: plan.UpdateEndpoint, Endpoint: "b-endpoint",
				DependsOn:      []string{"b-endpoint/blue/create"},
				EndpointBefore: &endpoint.Endpoint{Name: "b-endpoint", AuthMode: endpoint.AuthKey},
				EndpointAfter: &endpoint.Endpoint{Name: "b-endpoint", AuthMode: endpoint.AuthAMLToken,
					Traffic: traffic.MustNew(map[string]int{"blue": 100})},
				Traffic: traffic.MustNew(map[string]int{"blue": 100}),
				Changes: []endpoint.Change{
					{Path: "auth_mode", Before: `"key"`, After: `"aml_token"`},
					{Path: "traffic.blue", Before: endpoint.None, After: "100"},
				},
			},
		},
		Summary: plan.Summary{Add: 2, Change: 1, Destroy: 1, Traffic: 1},
	}
}

func TestJSONRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		plan   *plan.Plan
		reason string
	}{
		{"canary", canaryPlan(), "every deployment action, gates and staged traffic"},
		{"endpoints", endpointPlan(), "endpoint specs without deployments, a replacement, traffic merged into an endpoint update"},
		{"empty", &plan.Plan{FormatVersion: plan.FormatVersion, Strategy: "direct"}, "a plan with no steps is a valid saved plan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(tt.plan)
			if err != nil {
				t.Fatal(err)
			}
			got, err := plan.Decode(data)
			if err != nil {
				t.Fatalf("Decode: %v (%s)", err, tt.reason)
			}
			if diff := cmp.Diff(tt.plan, got, planOpts); diff != "" {
				t.Errorf("round trip changed the plan (%s) (-want +got):\n%s", tt.reason, diff)
			}
			again, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, again) {
				t.Errorf("encoding the decoded plan gave other bytes (%s):\n%s\n%s", tt.reason, data, again)
			}
		})
	}
}

// TestJSONFields pins the field names other tools read (the rollout
// command's contract), by path into the decoded document.
func TestJSONFields(t *testing.T) {
	var buf bytes.Buffer
	if err := plan.WriteJSON(&buf, canaryPlan()); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path   []any
		want   any
		reason string
	}{
		{[]any{"format_version"}, float64(plan.FormatVersion), "readers check the version first"},
		{[]any{"fingerprint"}, canaryPlan().Fingerprint, "stale plans are refused by fingerprint"},
		{[]any{"strategy"}, "canary:10", "the strategy in the CLI's syntax"},
		{[]any{"summary", "traffic"}, 2.0, "the summary counts traffic shifts"},
		{[]any{"steps", 0, "before", "instance_count"}, 1.0, "before is the full deployment spec"},
		{[]any{"steps", 0, "after", "instance_count"}, 2.0, "after is the spec with YAML field names"},
		{[]any{"steps", 0, "changes", 0, "path"}, "instance_count", "changes name the YAML path"},
		{[]any{"steps", 0, "depends_on"}, []any{}, "depends_on is always a list, never null"},
		{[]any{"steps", 1, "after", "model", "name"}, "model-2", "nested fields keep their YAML names"},
		{[]any{"steps", 1, "after", "environment", "image"}, "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest", "an inline environment, which has no name, is kept"},
		{[]any{"steps", 1, "changes"}, []any{}, "changes is always a list"},
		{[]any{"steps", 2, "action"}, "gate", "actions are snake_case strings"},
		{[]any{"steps", 2, "gate"}, "smoke:green", "gates are named"},
		{[]any{"steps", 3, "traffic"}, map[string]any{"blue": 90.0, "green": 10.0}, "the full live map after the step"},
		{[]any{"steps", 3, "traffic_before"}, map[string]any{"blue": 100.0}, "the live map before the step"},
		{[]any{"steps", 3, "mirror_traffic"}, map[string]any{}, "an empty mirror is {} on traffic steps, as the service wants it"},
		{[]any{"steps", 3, "depends_on", 1}, "my-endpoint/gate/smoke:green", "dependencies are step ids"},
		{[]any{"steps", 6, "after"}, nil, "a delete has no after"},
		{[]any{"steps", 6, "traffic"}, nil, "deployment steps carry no splits"},
	}
	for _, tt := range tests {
		got := lookup(doc, tt.path)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%v (%s) (-want +got):\n%s", tt.path, tt.reason, diff)
		}
	}
}

func lookup(v any, path []any) any {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[p]
		case int:
			l, _ := v.([]any)
			if p >= len(l) {
				return nil
			}
			v = l[p]
		}
	}
	return v
}

func TestDecodeRefuses(t *testing.T) {
	step := func(s string) string {
		return `{"format_version":1,"fingerprint":"","strategy":"","summary":{"add":0,"change":0,"destroy":0,"traffic":0,"gates":0},"steps":[` + s + `]}`
	}
	tests := []struct {
		name, doc, want, reason string
	}{
		{"not json", `{`, "unexpected end of JSON input", "a truncated file"},
		{"no version", `{"steps":[]}`, "format_version is missing", "a document that is not a plan"},
		{"newer version", `{"format_version":3,"steps":[{"new":1}]}`, "format_version is 3", "the version is checked before the fields, so the error names it"},
		{"version 0", `{"format_version":0,"steps":[]}`, "format_version is 0", "versions start at 1"},
		{"desired fingerprint in version 1", `{"format_version":1,"desired_fingerprint":"ab","steps":[]}`, "desired_fingerprint is not a field of format_version 1", "version 1 never had the field: a plan claiming both was not written by a writer of either"},
		{"unknown field", `{"format_version":1,"steps":[],"extra":true}`, `unknown field "extra"`, "a newer writer's addition could change the meaning"},
		{"unknown step field", step(`{"id":"a","action":"gate","endpoint":"e","depends_on":[],"changes":[],"when":"now"}`), `unknown field "when"`, "strictness reaches the steps"},
		{"unknown action", step(`{"id":"a","action":"restart","endpoint":"e","depends_on":[],"changes":[]}`), `unknown action "restart"`, "an executor could not run it"},
		{"unknown spec field", step(`{"id":"a","action":"create_deployment","endpoint":"e","deployment":"d","after":{"name":"d","instances":2},"depends_on":[],"changes":[]}`), `unknown field "instances"`, "a misspelt spec field would be dropped silently"},
		{"spec on traffic step", step(`{"id":"a","action":"set_traffic","endpoint":"e","after":{"name":"d"},"depends_on":[],"changes":[]}`), "a set_traffic step has no after", "only resource steps carry specs"},
		{"bad split", step(`{"id":"a","action":"set_traffic","endpoint":"e","traffic":{"blue":101},"depends_on":[],"changes":[]}`), "between 0 and 100", "splits are checked as they are read"},
		{"endpoint write without its split", step(`{"id":"a","action":"update_endpoint","endpoint":"e","after":{"name":"e"},"traffic_before":{"blue":100},"mirror_traffic_before":{},"mirror_traffic":{},"depends_on":[],"changes":[]}`),
			"traffic", "the step writes the full split, always written; read as absent it would be {}, and take the endpoint dark"},
		{"no id", step(`{"id":"","action":"gate","endpoint":"e","depends_on":[],"changes":[]}`), "steps[0] has no id", "dependencies name steps by id"},
		{"duplicate id", step(`{"id":"a","action":"gate","endpoint":"e","depends_on":[],"changes":[]},{"id":"a","action":"gate","endpoint":"e","depends_on":[],"changes":[]}`), `"a" is used twice`, "ids must be unique"},
		{"forward dependency", step(`{"id":"a","action":"gate","endpoint":"e","depends_on":["b"],"changes":[]},{"id":"b","action":"gate","endpoint":"e","depends_on":[],"changes":[]}`), `depends on "b", which is not an earlier step`, "steps are in topological order"},
		{"trailing data", `{"format_version":1,"steps":[]} {}`, "", "two documents in one file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := plan.Decode([]byte(tt.doc))
			if err == nil {
				t.Fatalf("Decode accepted it (%s): %+v", tt.reason, p)
			}
			if !errors.Is(err, plan.ErrFormat) {
				t.Errorf("error %v does not match ErrFormat (%s)", err, tt.reason)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q (%s)", err, tt.want, tt.reason)
			}
		})
	}
}

// TestSecretsRedacted checks every output: secrets in a plan end up in
// pull-request comments and CI logs otherwise.
func TestSecretsRedacted(t *testing.T) {
	const secret = "hunter2-very-secret"
	d := deployment("green", "model-2", 1)
	d.EnvironmentVariables = map[string]string{"API_KEY": secret, "LOG_LEVEL": "debug"}
	before := d.Clone()
	before.EnvironmentVariables["API_KEY"] = secret + "-old"
	p := &plan.Plan{
		FormatVersion: plan.FormatVersion,
		Steps: []plan.Step{
			{ID: "e/green/create", Action: plan.CreateDeployment, Endpoint: "e", Deployment: "green", DeploymentAfter: d},
			{
				ID: "e/green/update", Action: plan.UpdateDeployment, Endpoint: "e", Deployment: "green",
				DeploymentBefore: &before, DeploymentAfter: d,
				// Not marked sensitive on purpose: the renderers must not
				// rely on the producer having redacted.
				Changes: []endpoint.Change{{Path: "environment_variables.API_KEY", Before: secret + "-old", After: secret}},
			},
		},
	}
	outputs := map[string]func(*bytes.Buffer) error{
		"json":    func(b *bytes.Buffer) error { return plan.WriteJSON(b, p) },
		"text":    func(b *bytes.Buffer) error { return plan.WriteText(b, p, plan.TextOptions{Color: true}) },
		"mermaid": func(b *bytes.Buffer) error { return plan.WriteMermaid(b, p) },
		"dot":     func(b *bytes.Buffer) error { return plan.WriteDOT(b, p) },
	}
	for name, write := range outputs {
		var buf bytes.Buffer
		if err := write(&buf); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.Contains(buf.String(), secret) {
			t.Errorf("%s output holds the secret:\n%s", name, buf.String())
		}
		if name != "mermaid" && name != "dot" && !strings.Contains(buf.String(), "debug") {
			t.Errorf("%s output hides a value that is not secret:\n%s", name, buf.String())
		}
	}
	if d.EnvironmentVariables["API_KEY"] != secret || p.Steps[1].Changes[0].After != secret {
		t.Error("rendering modified the plan")
	}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := plan.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if v := got.Steps[0].DeploymentAfter.EnvironmentVariables["API_KEY"]; v != endpoint.Redacted {
		t.Errorf("decoded secret = %q, want the placeholder %q", v, endpoint.Redacted)
	}
	if c := got.Steps[1].Changes[0]; !c.Sensitive || c.After != endpoint.Redacted {
		t.Errorf("decoded change = %+v, want it marked sensitive and redacted", c)
	}
}

func TestShift(t *testing.T) {
	s := func(m map[string]int) traffic.Split { return traffic.MustNew(m) }
	tests := []struct {
		before, after traffic.Split
		want, reason  string
	}{
		{s(map[string]int{"blue": 100}), s(map[string]int{"blue": 90, "green": 10}), "blue 100 → 90, green 0 → 10", "the form the issue gives"},
		{s(map[string]int{"blue": 50, "green": 50}), s(map[string]int{"blue": 50, "green": 40, "red": 10}), "blue 50, green 50 → 40, red 0 → 10", "an unchanged share is shown once, so the full map stays visible"},
		{s(map[string]int{"blue": 100}), traffic.Split{}, "blue 100 → 0", "going dark"},
		{traffic.Split{}, traffic.Split{}, "none", "two empty splits"},
	}
	for _, tt := range tests {
		if got := plan.Shift(tt.before, tt.after); got != tt.want {
			t.Errorf("Shift(%v, %v) = %q, want %q (%s)", tt.before, tt.after, got, tt.want, tt.reason)
		}
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name   string
		plan   *plan.Plan
		want   string
		reason string
	}{
		{
			name:   "empty",
			plan:   &plan.Plan{FormatVersion: plan.FormatVersion},
			want:   "No changes. The service matches the desired state.\n",
			reason: "terraform's wording for a plan with nothing to do",
		},
		{
			name: "endpoints",
			plan: endpointPlan(),
			want: `Actions are shown with these symbols:
  + create
  ~ update in place
-/+ destroy, then create again (replacement)

Steps, in an order their dependencies allow:

  # a-endpoint/create: endpoint "a-endpoint" will be created
  #   a-endpoint is desired and does not exist
  + endpoint "a-endpoint" {
      + tags.team = "risk"
      + auth_mode = "key"
    }

  # b-endpoint/blue/delete: deployment "b-endpoint/blue" will be destroyed, then created again by b-endpoint/blue/create
  #   instance_type cannot change in place
-/+ deployment "b-endpoint/blue"

  # b-endpoint/blue/create: deployment "b-endpoint/blue" will be created again, replacing the one b-endpoint/blue/delete destroys
  #   instance_type cannot change in place
  #   after b-endpoint/blue/delete
-/+ deployment "b-endpoint/blue" {
      + type                              = "managed"
      + model                             = azureml:model-1:1
      + code_configuration.code           = onlinescoring
      + code_configuration.scoring_script = "score.py"
      + environment                       = azureml:sklearn-serving:4
      ~ instance_type                     = "Standard_DS2_v2" → "Standard_DS3_v2" # forces replacement
      + instance_count                    = 1
    }

  # b-endpoint/update: endpoint "b-endpoint" will be updated in place
  #   after b-endpoint/blue/create
  ~ endpoint "b-endpoint" {
      ~ auth_mode    = "key" → "aml_token"
      ~ live traffic = blue 0 → 100
    }

Plan: 2 to add, 1 to change, 1 to destroy, 1 traffic shift.
`,
			reason: "creates list fields, a replacement marks what forces it, a merged endpoint update shows traffic once",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := plan.WriteText(&buf, tt.plan, plan.TextOptions{}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.reason, diff)
			}
			if got := tt.plan.String(); got != buf.String() {
				t.Errorf("String() differs from WriteText without color")
			}
		})
	}
}

func TestTextColor(t *testing.T) {
	p := canaryPlan()
	var plain, color bytes.Buffer
	if err := plan.WriteText(&plain, p, plan.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := plan.WriteText(&color, p, plan.TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("plain text holds ANSI escapes")
	}
	for _, want := range []string{"\x1b[32m+\x1b[0m", "\x1b[33m~\x1b[0m", "\x1b[31m-\x1b[0m", "\x1b[36m?\x1b[0m", "\x1b[1mPlan:\x1b[0m"} {
		if !strings.Contains(color.String(), want) {
			t.Errorf("colored text lacks %q:\n%s", want, color.String())
		}
	}
	stripped := strings.NewReplacer("\x1b[0m", "", "\x1b[1m", "", "\x1b[31m", "", "\x1b[32m", "", "\x1b[33m", "", "\x1b[36m", "").Replace(color.String())
	if diff := cmp.Diff(plain.String(), stripped); diff != "" {
		t.Errorf("color changes more than the escapes (-plain +stripped):\n%s", diff)
	}
}

func TestMermaid(t *testing.T) {
	var buf bytes.Buffer
	if err := plan.WriteMermaid(&buf, canaryPlan()); err != nil {
		t.Fatal(err)
	}
	want := `flowchart TD
  subgraph e0["my-endpoint"]
    s0["~ update blue"]
    s1["+ create green"]
    s2{{"? gate smoke:green"}}
    s3["~ traffic blue 100 → 90, green 0 → 10"]
    s4{{"? gate bake"}}
    s5["~ traffic blue 90 → 0, green 10 → 100"]
    s6["- delete blue"]
  end
  s1 --> s2
  s0 --> s3
  s2 --> s3
  s3 --> s4
  s4 --> s5
  s5 --> s6
  classDef create fill:#e6ffed,stroke:#22863a
  class s1 create
  classDef update fill:#fff5b1,stroke:#b08800
  class s0,s3,s5 update
  classDef delete fill:#ffeef0,stroke:#cb2431
  class s6 delete
  classDef gate fill:#e1f5fe,stroke:#0366d6
  class s2,s4 gate
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDOT(t *testing.T) {
	var buf bytes.Buffer
	if err := plan.WriteDOT(&buf, endpointPlan()); err != nil {
		t.Fatal(err)
	}
	want := `digraph plan {
	rankdir=TB;
	node [shape=box, style="rounded,filled", fontname="Helvetica"];
	subgraph cluster_0 {
		label="a-endpoint";
		"a-endpoint/create" [label="+ create endpoint", fillcolor="#e6ffed", color="#22863a"];
	}
	subgraph cluster_1 {
		label="b-endpoint";
		"b-endpoint/blue/delete" [label="-/+ delete blue", fillcolor="#f5f0ff", color="#6f42c1"];
		"b-endpoint/blue/create" [label="-/+ create blue", fillcolor="#f5f0ff", color="#6f42c1"];
		"b-endpoint/update" [label="~ update endpoint, traffic blue 0 → 100", fillcolor="#fff5b1", color="#b08800"];
	}
	"b-endpoint/blue/delete" -> "b-endpoint/blue/create";
	"b-endpoint/blue/create" -> "b-endpoint/update";
}
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestGraphEscaping feeds names that would break the syntax of each
// language; plans built by hand or decoded from files may hold them.
func TestGraphEscaping(t *testing.T) {
	p := &plan.Plan{Steps: []plan.Step{{
		ID: `e/gate/x"y`, Action: plan.Gate, Endpoint: `e"1#<b>`, Gate: "x\"y\\z\n`w`&",
	}}}
	tests := []struct {
		write  func(*bytes.Buffer) error
		want   []string
		reason string
	}{
		{
			func(b *bytes.Buffer) error { return plan.WriteMermaid(b, p) },
			[]string{`subgraph e0["e#34;1#35;#60;b#62;"]`, `s0{{"? gate x#34;y\z #96;w#96;#38;"}}`},
			"Mermaid takes #code; entities inside quoted labels",
		},
		{
			func(b *bytes.Buffer) error { return plan.WriteDOT(b, p) },
			[]string{`label="e\"1#<b>";`, `"e/gate/x\"y" [label="? gate x\"y\\z\n` + "`w`&" + `"`},
			"DOT quoted strings escape quote and backslash",
		},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := tt.write(&buf); err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("output lacks %s (%s):\n%s", w, tt.reason, buf.String())
			}
		}
	}
}

func TestGraphEmpty(t *testing.T) {
	var m, d bytes.Buffer
	if err := plan.WriteMermaid(&m, &plan.Plan{}); err != nil {
		t.Fatal(err)
	}
	if err := plan.WriteDOT(&d, &plan.Plan{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.String(), `empty["No changes"]`) || !strings.Contains(d.String(), `empty [label="No changes"`) {
		t.Errorf("an empty plan should draw one node saying so:\n%s\n%s", m.String(), d.String())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	p := canaryPlan()
	for name, err := range map[string]error{
		"text":    plan.WriteText(failWriter{}, p, plan.TextOptions{}),
		"json":    plan.WriteJSON(failWriter{}, p),
		"mermaid": plan.WriteMermaid(failWriter{}, p),
		"dot":     plan.WriteDOT(failWriter{}, p),
	} {
		if err == nil || err.Error() != "disk full" {
			t.Errorf("%s: error = %v, want the writer's", name, err)
		}
	}
}

// fleetPlan is a Direct plan over n copies of the tutorial's canary step:
// green created beside blue and given 10 percent, the common shape of a
// plan posted on a pull request, at fleet size.
func fleetPlan(b *testing.B, n int) *plan.Plan {
	b.Helper()
	var desired, actual []*endpoint.Endpoint
	for i := range n {
		name := fmt.Sprintf("endpoint-%04d", i)
		blue := *deployment("blue", "model-1", 2)
		green := *deployment("green", "model-2", 2)
		a := &endpoint.Endpoint{Name: name, AuthMode: endpoint.AuthKey,
			Traffic: traffic.MustNew(map[string]int{"blue": 100}), Deployments: []endpoint.Deployment{blue}}
		provisioned(a)
		d := &endpoint.Endpoint{Name: name, AuthMode: endpoint.AuthKey,
			Traffic: traffic.MustNew(map[string]int{"blue": 90, "green": 10}), Deployments: []endpoint.Deployment{blue, green}}
		actual, desired = append(actual, a), append(desired, d)
	}
	p, err := plan.Compute(desired, actual, plan.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func BenchmarkWriteText100(b *testing.B) {
	p := fleetPlan(b, 100)
	b.ReportAllocs()
	for b.Loop() {
		if err := plan.WriteText(io.Discard, p, plan.TextOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteJSON100(b *testing.B) {
	p := fleetPlan(b, 100)
	b.ReportAllocs()
	for b.Loop() {
		if err := plan.WriteJSON(io.Discard, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode100(b *testing.B) {
	var buf bytes.Buffer
	if err := plan.WriteJSON(&buf, fleetPlan(b, 100)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := plan.Decode(buf.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteMermaid100(b *testing.B) {
	p := fleetPlan(b, 100)
	b.ReportAllocs()
	for b.Loop() {
		if err := plan.WriteMermaid(io.Discard, p); err != nil {
			b.Fatal(err)
		}
	}
}
