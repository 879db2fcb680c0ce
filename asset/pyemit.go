package asset

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// pyDump is yaml.dump(v, sort_keys=True) with PyYAML's defaults, as the
// CLI calls it: block style, indent 2, width 80, no unicode (text outside
// ASCII goes in double quotes, escaped), and an anchor (&id001) on each
// collection or date met more than once.
func pyDump(v *pyValue) string {
	e := &emitter{indent: -1, whitespace: true, indention: true,
		anchors: anchorsOf(v), serialized: map[*pyValue]bool{}}
	e.node(v, context{root: true})
	e.writeIndent()
	if e.openEnded {
		e.writeIndicator("...", true, false, false)
		e.writeIndent()
	}
	return e.b.String()
}

// aliasable reports whether PyYAML may write v once and refer to it again:
// anything but None, str, bool, int and float.
func (v *pyValue) aliasable() bool { return v.kind == pyDate || v.kind == pySeq || v.kind == pyMap }

// anchorsOf names the values met twice, in the order PyYAML's serializer
// meets them the second time.
func anchorsOf(root *pyValue) map[*pyValue]string {
	seen, anchors := map[*pyValue]bool{}, map[*pyValue]string{}
	var walk func(v *pyValue)
	walk = func(v *pyValue) {
		if !v.aliasable() {
			return
		}
		if seen[v] {
			if anchors[v] == "" {
				anchors[v] = fmt.Sprintf("id%03d", len(anchors)+1)
			}
			return
		}
		seen[v] = true
		for _, item := range v.items {
			walk(item)
		}
		for _, p := range v.sorted() {
			walk(p.key)
			walk(p.value)
		}
	}
	walk(root)
	return anchors
}

// sorted is the mapping's pairs as sorted() orders them, or in the file's
// order when Python cannot compare the keys (a TypeError PyYAML swallows).
func (v *pyValue) sorted() []pyPair {
	pairs := slices.Clone(v.pairs)
	if !sortable(pairs) {
		return pairs
	}
	slices.SortStableFunc(pairs, func(a, b pyPair) int {
		if a.key.numeric() {
			return compareFloat(a.key.num, b.key.num)
		}
		return strings.Compare(a.key.text, b.key.text)
	})
	return pairs
}

// sortable reports whether Python orders the keys: all strings, all
// numbers or all dates. Datetimes, which may mix time zones, are left in
// the file's order, and so is None among other keys.
func sortable(pairs []pyPair) bool {
	if len(pairs) < 2 {
		return true
	}
	first := pairs[0].key
	for _, p := range pairs {
		k := p.key
		switch {
		case k.numeric() && first.numeric(),
			k.kind == pyStr && first.kind == pyStr,
			k.kind == pyDate && first.kind == pyDate && len(k.text) == len("2006-01-02") && len(first.text) == len(k.text):
		default:
			return false
		}
	}
	return true
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// context is what PyYAML's emitter knows of the place of a node.
type context struct{ root, mapping, simpleKey bool }

// emitter follows PyYAML's Emitter for the events yaml.dump makes of
// safe_load's values.
type emitter struct {
	b          strings.Builder
	column     int
	whitespace bool
	indention  bool
	openEnded  bool
	indent     int // -1 for none yet
	indents    []int
	ctx        context
	anchors    map[*pyValue]string
	serialized map[*pyValue]bool
}

func (e *emitter) node(v *pyValue, ctx context) {
	e.ctx = ctx
	anchor := e.anchors[v]
	if anchor != "" && e.serialized[v] {
		e.writeIndicator("*"+anchor, true, false, false)
		return
	}
	e.serialized[v] = true
	if anchor != "" {
		e.writeIndicator("&"+anchor, true, false, false)
	}
	switch {
	case v.kind == pySeq && len(v.items) == 0:
		e.writeIndicator("[]", true, false, false)
	case v.kind == pyMap && len(v.pairs) == 0:
		e.writeIndicator("{}", true, false, false)
	case v.kind == pySeq:
		e.sequence(v)
	case v.kind == pyMap:
		e.mapping(v)
	default:
		e.increaseIndent(true, false)
		e.scalar(v)
		e.popIndent()
	}
}

func (e *emitter) sequence(v *pyValue) {
	e.increaseIndent(false, e.ctx.mapping && !e.indention)
	for _, item := range v.items {
		e.writeIndent()
		e.writeIndicator("-", true, false, true)
		e.node(item, context{})
	}
	e.popIndent()
}

func (e *emitter) mapping(v *pyValue) {
	e.increaseIndent(false, false)
	for _, p := range v.sorted() {
		e.writeIndent()
		if simpleKey(p.key) {
			e.node(p.key, context{mapping: true, simpleKey: true})
			e.writeIndicator(":", false, false, false)
		} else {
			e.writeIndicator("?", true, false, true)
			e.node(p.key, context{mapping: true})
			e.writeIndent()
			e.writeIndicator(":", true, false, true)
		}
		e.node(p.value, context{mapping: true})
	}
	e.popIndent()
}

// simpleKey is check_simple_key for a scalar key.
func simpleKey(k *pyValue) bool {
	a := analyze(k.text)
	return utf8.RuneCountInString(k.text) < 128 && !a.empty && !a.multiline
}

func (e *emitter) increaseIndent(flow, indentless bool) {
	e.indents = append(e.indents, e.indent)
	switch {
	case e.indent < 0 && flow:
		e.indent = 2
	case e.indent < 0:
		e.indent = 0
	case !indentless:
		e.indent += 2
	}
}

func (e *emitter) popIndent() {
	e.indent = e.indents[len(e.indents)-1]
	e.indents = e.indents[:len(e.indents)-1]
}

// scalarTags are the tags PyYAML's representer gives each kind of scalar.
var scalarTags = map[pyKind]string{pyNull: "!!null", pyBool: "!!bool", pyInt: "!!int", pyFloat: "!!float", pyStr: "!!str", pyDate: "!!timestamp"}

// scalar chooses a style as choose_scalar_style does and writes v in it.
func (e *emitter) scalar(v *pyValue) {
	a := analyze(v.text)
	split := !e.ctx.simpleKey
	switch {
	case pyResolve(v.text) == scalarTags[v.kind] && !(e.ctx.simpleKey && (a.empty || a.multiline)) && a.allowBlockPlain:
		e.writePlain(v.text, split)
	case a.allowSingleQuoted && !(e.ctx.simpleKey && a.multiline):
		e.writeSingleQuoted([]rune(v.text), split)
	default:
		e.writeDoubleQuoted([]rune(v.text), split)
	}
}

const bestWidth = 80

func (e *emitter) write(s string) {
	e.b.WriteString(s)
	e.column += utf8.RuneCountInString(s)
}

func (e *emitter) writeIndicator(indicator string, needWhitespace, whitespace, indention bool) {
	if !e.whitespace && needWhitespace {
		indicator = " " + indicator
	}
	e.whitespace = whitespace
	e.indention = e.indention && indention
	e.openEnded = false
	e.write(indicator)
}

func (e *emitter) writeIndent() {
	indent := max(e.indent, 0)
	if !e.indention || e.column > indent || e.column == indent && !e.whitespace {
		e.writeLineBreak("\n")
	}
	if e.column < indent {
		e.whitespace = true
		e.write(strings.Repeat(" ", indent-e.column))
	}
}

func (e *emitter) writeLineBreak(br string) {
	e.whitespace, e.indention = true, true
	e.b.WriteString(br)
	e.column = 0
}
