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
