package plan

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes the plan for a pull-request comment (GitHub or
// GitLab flavoured Markdown): the summary first, with a table of what
// changes on each endpoint, then one collapsible section per endpoint
// holding its steps as [WriteText] prints them, then the step graph as a
// fenced Mermaid block, which both sites draw. Secret values are
// redacted as in every output. An empty plan is one line.
func WriteMarkdown(w io.Writer, p *Plan) error {
	var b strings.Builder
	if p.Empty() {
		b.WriteString("**No changes.** The service matches the desired state.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "**Plan:** %s\n\n", p.Summary)
	fmt.Fprintf(&b, "Strategy `%s`", p.Strategy)
	if p.Fingerprint != "" {
		fmt.Fprintf(&b, ", computed from the state with fingerprint `%s`", shortFingerprint(p.Fingerprint))
	}
	b.WriteString(".\n\n")
	groups := byEndpoint(p.Steps)
	b.WriteString("| Endpoint | Add | Change | Destroy | Traffic shifts | Gates |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|\n")
	for _, g := range groups {
		s := g.Summary
		fmt.Fprintf(&b, "| `%s` | %d | %d | %d | %d | %d |\n", g.name, s.Add, s.Change, s.Destroy, s.Traffic, s.Gates)
	}
	for _, g := range groups {
		fmt.Fprintf(&b, "\n<details><summary><code>%s</code>: %s</summary>\n\n", g.name, g.Summary)
		fence(&b, "", renderText(g.Plan, TextOptions{}))
		b.WriteString("\n</details>\n")
	}
	b.WriteString("\n<details><summary>Step graph</summary>\n\n")
	var graph strings.Builder
	if err := WriteMermaid(&graph, p); err != nil {
		return err
	}
	fence(&b, "mermaid", graph.String())
	b.WriteString("\n</details>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// endpointPlan is the part of a plan that concerns one endpoint.
type endpointPlan struct {
	name string
	*Plan
}

// byEndpoint splits steps by endpoint, in the order the endpoints first
// appear (the plan's order: by name).
func byEndpoint(steps []Step) []endpointPlan {
	var out []endpointPlan
	index := map[string]int{}
	for _, s := range steps {
		i, ok := index[s.Endpoint]
		if !ok {
			i = len(out)
			index[s.Endpoint] = i
			out = append(out, endpointPlan{name: s.Endpoint, Plan: &Plan{}})
		}
		out[i].Steps = append(out[i].Steps, s)
	}
	for _, g := range out {
		g.Summary = summarize(g.Steps)
	}
	return out
}

// fence writes text as a fenced code block, with a fence longer than any
// run of backquotes in it.
func fence(b *strings.Builder, lang, text string) {
	marks := "```"
	for strings.Contains(text, marks) {
		marks += "`"
	}
	fmt.Fprintf(b, "%s%s\n%s", marks, lang, text)
	if !strings.HasSuffix(text, "\n") {
		b.WriteByte('\n')
	}
	b.WriteString(marks + "\n")
}
