package plan

import (
	"fmt"
	"io"
	"strings"
)

// nodeClass is how a step is drawn in a graph: a class name and fill and
// stroke colors per kind of change, the colors of the text form's symbols.
func nodeClass(s symbol) (name, fill, stroke string) {
	switch s {
	case symCreate:
		return "create", "#e6ffed", "#22863a"
	case symUpdate:
		return "update", "#fff5b1", "#b08800"
	case symDelete:
		return "delete", "#ffeef0", "#cb2431"
	case symReplace:
		return "replace", "#f5f0ff", "#6f42c1"
	}
	return "gate", "#e1f5fe", "#0366d6"
}

// graphNode is a step as the graph writers need it.
type graphNode struct {
	step  *Step
	sym   symbol
	label string
}

// graphOf groups the steps by endpoint, in the order endpoints first appear
// in the plan, so that each endpoint is drawn as a box of its own.
func graphOf(p *Plan) graph {
	pairs := replacements(p.Steps)
	g := graph{byEndpoint: map[string][]int{}, index: make(map[string]int, len(p.Steps))}
	for i := range p.Steps {
		s := &p.Steps[i]
		sym := stepSymbol(*s, pairs)
		g.nodes = append(g.nodes, graphNode{step: s, sym: sym, label: nodeLabel(*s, sym)})
		g.index[s.ID] = i
		if _, ok := g.byEndpoint[s.Endpoint]; !ok {
			g.endpoints = append(g.endpoints, s.Endpoint)
		}
		g.byEndpoint[s.Endpoint] = append(g.byEndpoint[s.Endpoint], i)
	}
	return g
}

// graph is a plan laid out for drawing.
type graph struct {
	nodes      []graphNode
	endpoints  []string
	byEndpoint map[string][]int
	// index finds a node by step id.
	index map[string]int
}

// edges calls f for each dependency, from the step waited for to the one
// that waits, in plan order. Dependencies on steps not in the plan (only
// possible in a plan built by hand) are not drawn.
func (g graph) edges(f func(from, to int)) {
	for i, n := range g.nodes {
		for _, d := range n.step.DependsOn {
			if j, ok := g.index[d]; ok {
				f(j, i)
			}
		}
	}
}

// nodeLabel is the one-line text of a step inside its endpoint's box, so
// the endpoint's name is left out.
func nodeLabel(s Step, sym symbol) string {
	mark, _ := sym.text()
	mark += " "
	switch s.Action {
	case CreateEndpoint:
		return mark + "create endpoint"
	case UpdateEndpoint:
		if t := trafficLabel(s); t != "" {
			return mark + "update endpoint, " + t
		}
		return mark + "update endpoint"
	case DeleteEndpoint:
		return mark + "delete endpoint"
	case CreateDeployment:
		return mark + "create " + s.Deployment
	case UpdateDeployment:
		return mark + "update " + s.Deployment
	case DeleteDeployment:
		return mark + "delete " + s.Deployment
	case SetTraffic:
		if t := trafficLabel(s); t != "" {
			return mark + t
		}
		return mark + "traffic " + Shift(s.TrafficBefore, s.Traffic)
	case Gate:
		return mark + "gate " + s.Gate
	}
	return mark + string(s.Action)
}

// trafficLabel describes the splits a step changes, or is empty when it
// changes none.
func trafficLabel(s Step) string {
	var parts []string
	if !s.TrafficBefore.Equal(s.Traffic) {
		parts = append(parts, "traffic "+Shift(s.TrafficBefore, s.Traffic))
	}
	if !s.MirrorBefore.Equal(s.Mirror) {
		parts = append(parts, "mirror "+Shift(s.MirrorBefore, s.Mirror))
	}
	return strings.Join(parts, "; ")
}

// WriteMermaid writes the plan's step graph as a Mermaid flowchart, which
// GitHub and GitLab draw in pull-request comments inside a ```mermaid
// block. Each endpoint is a subgraph; an arrow goes from a step to each
// step that waits for it; colors follow the text form's symbols. Nodes are
// named s0, s1, ... in plan order, because step ids hold characters
// Mermaid does not allow in ids; the labels carry the meaning.
func WriteMermaid(w io.Writer, p *Plan) error {
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	if len(p.Steps) == 0 {
		b.WriteString("  empty[\"No changes\"]\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	g := graphOf(p)
	for e, name := range g.endpoints {
		fmt.Fprintf(&b, "  subgraph e%d[\"%s\"]\n", e, mermaidText(name))
		for _, i := range g.byEndpoint[name] {
			left, right := "[\"", "\"]"
			if g.nodes[i].sym == symGate {
				left, right = "{{\"", "\"}}"
			}
			fmt.Fprintf(&b, "    s%d%s%s%s\n", i, left, mermaidText(g.nodes[i].label), right)
		}
		b.WriteString("  end\n")
	}
	g.edges(func(from, to int) { fmt.Fprintf(&b, "  s%d --> s%d\n", from, to) })
	for _, sym := range []symbol{symCreate, symUpdate, symDelete, symReplace, symGate} {
		var members []string
		for i, n := range g.nodes {
			if n.sym == sym {
				members = append(members, fmt.Sprintf("s%d", i))
			}
		}
		if len(members) == 0 {
			continue
		}
		name, fill, stroke := nodeClass(sym)
		fmt.Fprintf(&b, "  classDef %s fill:%s,stroke:%s\n", name, fill, stroke)
		fmt.Fprintf(&b, "  class %s %s\n", strings.Join(members, ","), name)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mermaidText escapes what would end a quoted Mermaid label or be read as
// markup, with Mermaid's own #code; entities.
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '"', '#', '<', '>', '&', '`':
			fmt.Fprintf(&b, "#%d;", r)
		case '\n', '\r':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// WriteDOT writes the plan's step graph in Graphviz's DOT language
// (dot -Tsvg draws it): one cluster per endpoint, nodes named by step id,
// an edge from a step to each step that waits for it, gates as hexagons.
func WriteDOT(w io.Writer, p *Plan) error {
	var b strings.Builder
	b.WriteString("digraph plan {\n")
	b.WriteString("\trankdir=TB;\n")
	b.WriteString("\tnode [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n")
	if len(p.Steps) == 0 {
		b.WriteString("\tempty [label=\"No changes\", fillcolor=\"#ffffff\"];\n}\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	g := graphOf(p)
	for e, name := range g.endpoints {
		fmt.Fprintf(&b, "\tsubgraph cluster_%d {\n", e)
		fmt.Fprintf(&b, "\t\tlabel=%s;\n", dotQuote(name))
		for _, i := range g.byEndpoint[name] {
			n := g.nodes[i]
			_, fill, stroke := nodeClass(n.sym)
			shape := ""
			if n.sym == symGate {
				shape = ", shape=hexagon"
			}
			fmt.Fprintf(&b, "\t\t%s [label=%s, fillcolor=%s, color=%s%s];\n",
				dotQuote(n.step.ID), dotQuote(n.label), dotQuote(fill), dotQuote(stroke), shape)
		}
		b.WriteString("\t}\n")
	}
	g.edges(func(from, to int) {
		fmt.Fprintf(&b, "\t%s -> %s;\n", dotQuote(g.nodes[from].step.ID), dotQuote(g.nodes[to].step.ID))
	})
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// dotQuote makes a DOT double-quoted string, the one form that takes any
// text as an id or a label.
func dotQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
