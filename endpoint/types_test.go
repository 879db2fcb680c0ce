package endpoint

import (
	"encoding/json"
	"strings"
	"testing"
)

// An inline environment has no name, so the IsZero promoted from Reference
// would call it zero and omitzero would drop it from JSON.
func TestInlineEnvironmentIsNotZero(t *testing.T) {
	d := Deployment{Name: "blue", Environment: Environment{Image: "mcr.microsoft.com/azureml/minimal:1"}}
	if d.Environment.IsZero() {
		t.Fatal("inline environment reported as zero")
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"environment":{"image":"mcr.microsoft.com/azureml/minimal:1"}`) {
		t.Errorf("JSON lost the inline environment: %s", b)
	}
	if !(Environment{}).IsZero() {
		t.Error("unset environment not zero")
	}
}

func TestPosition(t *testing.T) {
	spec := "name: my-endpoint\ntraffic:\n  blue: 100\ndeployments:\n  - name: blue\n    instance_type: Standard_DS3_v2\n    instance_count: 1\n"
	e, err := Parse("ep.yml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		reason, path, pos, shown string
	}{
		{"a deployment field is found by name and shown by index", "deployments[blue].instance_type", "ep.yml:6:20", "deployments[0].instance_type"},
		{"an endpoint field", "traffic", "ep.yml:2:1", "traffic"},
		{"an unrecorded field falls back to its parent", "deployments[blue].request_settings.max_queue_wait_ms", "ep.yml:5:11", "deployments[0].request_settings.max_queue_wait_ms"},
	}
	for _, tc := range tests {
		pos, shown := e.Position(tc.path)
		if pos.String() != tc.pos || shown != tc.shown {
			t.Errorf("%s: Position(%q) = %s, %q; want %s, %q", tc.reason, tc.path, pos, shown, tc.pos, tc.shown)
		}
	}
	var built Endpoint
	if pos, shown := built.Position("traffic"); pos != (Pos{}) || shown != "traffic" {
		t.Errorf("built in code: Position = %v, %q; want zero and the path", pos, shown)
	}
}
