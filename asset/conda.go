package asset

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// CondaText returns a conda file as the service's CLI sends it and hashes
// it: not the file's bytes, but the YAML loaded and dumped again by PyYAML
// with sorted keys (block style, sequences not indented under their key,
// plain scalars where PyYAML writes them plain, single quotes otherwise).
// Two conda files that say the same thing thus give one environment
// version, as they do for the CLI.
//
// This is PyYAML's output for what conda files hold: mappings, sequences,
// strings, numbers, booleans and nulls. Where PyYAML would fold a long
// string or choose double quotes (control characters), the text differs,
// and the environment is registered under another version than the CLI's:
// an equal environment, built once more.
func CondaText(data []byte) (string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("conda file: %w", err)
	}
	if doc.Kind == 0 {
		return "null\n...\n", nil
	}
	var b strings.Builder
	root := doc.Content[0]
	if err := dumpNode(&b, root, 0, false); err != nil {
		return "", fmt.Errorf("conda file: %w", err)
	}
	if root.Kind == yaml.ScalarNode {
		b.WriteString("...\n") // PyYAML ends a document that is one scalar
	}
	return b.String(), nil
}

// dumpNode writes n at indent; inline says the line is already started
// ("- " of a sequence item), so the first line takes no indentation.
func dumpNode(b *strings.Builder, n *yaml.Node, indent int, inline bool) error {
	switch n.Kind {
	case yaml.AliasNode:
		return dumpNode(b, n.Alias, indent, inline)
	case yaml.ScalarNode:
		b.WriteString(pyScalar(n) + "\n")
	case yaml.MappingNode:
		if len(n.Content) == 0 {
			b.WriteString("{}\n")
			return nil
		}
		return dumpMapping(b, n, indent, inline)
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			b.WriteString("[]\n")
			return nil
		}
		return dumpSequence(b, n, indent, inline)
	default:
		return fmt.Errorf("line %d: unsupported YAML node", n.Line)
	}
	return nil
}

func dumpMapping(b *strings.Builder, n *yaml.Node, indent int, inline bool) error {
	type pair struct {
		k string
		v *yaml.Node
	}
	pairs := make([]pair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		pairs = append(pairs, pair{pyScalar(n.Content[i]), n.Content[i+1]})
	}
	slices.SortStableFunc(pairs, func(x, y pair) int { return strings.Compare(x.k, y.k) })
	for i, p := range pairs {
		if i > 0 || !inline {
			b.WriteString(strings.Repeat(" ", indent))
		}
		b.WriteString(p.k + ":")
		v := p.v
		if v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		var err error
		switch {
		case v.Kind == yaml.MappingNode && len(v.Content) > 0:
			b.WriteString("\n")
			err = dumpMapping(b, v, indent+2, false)
		case v.Kind == yaml.SequenceNode && len(v.Content) > 0:
			b.WriteString("\n")
			err = dumpSequence(b, v, indent, false)
		default:
			b.WriteString(" ")
			err = dumpNode(b, v, indent+2, true)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func dumpSequence(b *strings.Builder, n *yaml.Node, indent int, inline bool) error {
	for i, item := range n.Content {
		if i > 0 || !inline {
			b.WriteString(strings.Repeat(" ", indent))
		}
		b.WriteString("- ")
		if err := dumpNode(b, item, indent+2, true); err != nil {
			return err
		}
	}
	return nil
}

// pyResolved matches the plain scalars that PyYAML's resolver reads as
// something other than a string: such strings must be quoted.
var pyResolved = regexp.MustCompile(`^(?:~|null|Null|NULL|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|` +
	`[-+]?(?:0b[0-1_]+|0[0-7_]+|(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)|` +
	`[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|` +
	`[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?.*|<<|=)$`)

// pyScalar writes a scalar as PyYAML dumps the value safe_load gives:
// numbers, booleans and nulls in PyYAML's spelling, strings plain where it
// allows, single-quoted otherwise.
func pyScalar(n *yaml.Node) string {
	if n.Style == 0 {
		// YAML 1.1, which PyYAML reads, has more booleans than 1.2.
		switch n.Value {
		case "yes", "Yes", "YES", "on", "On", "ON":
			return "true"
		case "no", "No", "NO", "off", "Off", "OFF":
			return "false"
		}
	}
	tag := n.ShortTag()
	if n.Style == 0 && n.Value != "" && tag != "!!str" && !pyResolved.MatchString(n.Value) {
		// Plain text that YAML 1.2 resolves (08 as a float) but PyYAML's
		// YAML 1.1 resolver reads as a string.
		tag = "!!str"
	}
	switch tag {
	case "!!null":
		return "null"
	case "!!bool":
		var v bool
		if n.Decode(&v) == nil {
			return fmt.Sprint(v)
		}
	case "!!int":
		var v int64
		if n.Decode(&v) == nil {
			return fmt.Sprint(v)
		}
	case "!!float":
		var v float64
		if n.Decode(&v) == nil {
			return pyFloat(v)
		}
	}
	s := n.Value
	switch {
	case plainOK(s):
		return s
	case strings.ContainsFunc(s, isControl):
		return strconv.Quote(s)
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func pyFloat(v float64) string {
	s := fmt.Sprint(v)
	if !strings.ContainsAny(s, ".eEnI") {
		s += ".0"
	}
	return s
}

// plainOK approximates PyYAML's analysis of whether a string can be written
// plain in block context.
func plainOK(s string) bool {
	if s == "" || pyResolved.MatchString(s) || strings.TrimSpace(s) != s {
		return false
	}
	// A line that starts with a document marker would end or start a
	// document when read back.
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		return false
	}
	if strings.ContainsAny(s[:1], "#,[]{}&*!|>'\"%@`") {
		return false
	}
	if strings.ContainsAny(s[:1], "-?:") && (len(s) == 1 || s[1] == ' ') {
		return false
	}
	if strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.HasSuffix(s, ":") {
		return false
	}
	return !strings.ContainsFunc(s, isControl)
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }
