package plan_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rolloutkit/rollout/plan"
)

func TestMarkdown(t *testing.T) {
	var buf bytes.Buffer
	if err := plan.WriteMarkdown(&buf, canaryPlan()); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	tests := []struct {
		want   string
		reason string
	}{
		{"**Plan:** ", "the summary comes first"},
		{"| `my-endpoint` |", "a table row per endpoint"},
		{"<details><summary><code>my-endpoint</code>: ", "one collapsible section per endpoint"},
		{"```mermaid\nflowchart TD\n", "the graph in a fence that the sites draw"},
	}
	last := -1
	for _, tt := range tests {
		i := strings.Index(md, tt.want)
		if i < 0 {
			t.Errorf("no %q (%s):\n%s", tt.want, tt.reason, md)
			continue
		}
		if i < last {
			t.Errorf("%q is out of order (%s)", tt.want, tt.reason)
		}
		last = i
	}
	if !strings.HasPrefix(md, "**Plan:** ") {
		t.Errorf("the summary is not first:\n%s", md)
	}
	if strings.Count(md, "<details>") != strings.Count(md, "</details>") {
		t.Error("unbalanced <details>")
	}
	buf.Reset()
	if err := plan.WriteMarkdown(&buf, &plan.Plan{}); err != nil || !strings.Contains(buf.String(), "No changes") {
		t.Errorf("an empty plan: %q, %v", buf.String(), err)
	}
}
