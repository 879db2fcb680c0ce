package endpoint

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// maxDepth bounds the nesting of a spec. The deepest field of the model
// (data_collector.collections.NAME.data.path) is five levels down; the bound
// leaves room for that and stops hostile input before anything recurses
// into it.
const maxDepth = 32

// maxTreeErrors stops the structural check of one file early: a file with
// thousands of aliases needs one message to be fixed, not thousands.
const maxTreeErrors = 10

// decoder turns the yaml.Node tree of one file into the model, collecting
// every problem instead of stopping at the first.
type decoder struct {
	file  string
	errs  ErrorList
	warns ErrorList
	// pos records where each loaded field was written, by canonical path.
	pos map[string]Pos
	// shown maps the canonical prefix of each deployment written inside
	// an endpoint file to the prefix as written.
	shown map[string]string
	// refuseLegacy makes the 2021 forms errors (Loader.RefuseLegacy).
	refuseLegacy bool
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, pos: make(map[string]Pos), shown: make(map[string]string)}
}

func (d *decoder) at(n *yaml.Node) Pos {
	return Pos{File: d.file, Line: n.Line, Column: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	pos := Pos{File: d.file}
	if n != nil {
		pos = d.at(n)
	}
	d.errs.Add(pos, path, format, args...)
}

func (d *decoder) warnf(n *yaml.Node, path, format string, args ...any) {
	d.warns = append(d.warns, &Error{Pos: d.at(n), Path: path, Msg: fmt.Sprintf(format, args...), Severity: SeverityWarning})
}

// legacy reports a field written in its 2021 form, at its key k: what
// says what the form is, fix what to write today. The form loads with a
// warning, since the service's own 2021 tutorial uses it; with
// Loader.RefuseLegacy it is an error, as it is for today's az ml.
func (d *decoder) legacy(k *yaml.Node, path, what, fix string) {
	if d.refuseLegacy {
		d.errorf(k, path, "%s, refused as by today's az ml (Loader.RefuseLegacy); %s", what, fix)
		return
	}
	d.warnf(k, path, "%s; %s (today's az ml refuses the 2021 form)", what, fix)
}

// loc is a field path twice over: as the user wrote it (deployments[1] or
// deployments.blue) and in the canonical form the source of an endpoint
// keys positions by (deployments[blue]).
type loc struct{ w, c string }

func (p loc) key(k string) loc { return loc{join(p.w, k), join(p.c, k)} }

// renamed is the path of a field written under its 2021 name: errors show
// what the user wrote, positions are recorded under today's name.
func renamed(p loc, written, canonical string) loc {
	return loc{join(p.w, written), join(p.c, canonical)}
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// record remembers where the field at p was written: the value for
// scalars, the key for collections, whose problems are about the whole.
func (d *decoder) record(p loc, e entry) {
	n := e.v
	if n.Kind != yaml.ScalarNode {
		n = e.k
	}
	d.pos[p.c] = d.at(n)
}

// entry is one key and its value in a mapping.
type entry struct{ k, v *yaml.Node }

// fields are the entries of a mapping in document order.
type fields []entry

func (f fields) get(key string) (entry, bool) {
	for _, e := range f {
		if e.k.Value == key {
			return e, true
		}
	}
	return entry{}, false
}

// fields checks that n is a mapping whose keys are distinct strings from
// allowed, and returns its entries. Entries with a null value are left
// out: `description:` with nothing after it means the field is not set.
// ok is false when n is not a mapping at all.
func (d *decoder) fields(n *yaml.Node, p loc, allowed []string) (fields, bool) {
	if !d.kind(n, p, yaml.MappingNode) {
		return nil, false
	}
	var out fields
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || isNull(k) {
			d.errorf(k, p.w, "keys must be plain strings, got %s", describe(k))
			continue
		}
		if first, ok := seen[k.Value]; ok {
			d.errorf(k, join(p.w, k.Value), "duplicate key; first given at %s", d.at(first))
			continue
		}
		seen[k.Value] = k
		if !contains(allowed, k.Value) {
			d.errorf(k, join(p.w, k.Value), "%s", unknownKey(k.Value, allowed))
			continue
		}
		if isNull(v) {
			continue
		}
		out = append(out, entry{k, v})
	}
	return out, true
}

// unknownKey names the closest allowed key when there is one that is
// plausibly a typo, and lists the allowed keys otherwise.
func unknownKey(key string, allowed []string) string {
	best, bestDist := "", math.MaxInt
	for _, a := range allowed {
		if dist := editDistance(strings.ToLower(key), a); dist < bestDist {
			best, bestDist = a, dist
		}
	}
	if bestDist <= max(1, len(key)/3) {
		return fmt.Sprintf("unknown key %q; did you mean %q?", key, best)
	}
	return fmt.Sprintf("unknown key %q; allowed here: %s", key, strings.Join(allowed, ", "))
}

// editDistance is the Levenshtein distance between a and b, in bytes.
// Keys are ASCII, and the inputs are short.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names the kind of a node for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		if p, ok := placeholderNode(n); ok {
			return "the template placeholder " + p + " (fill it in before loading)"
		}
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		if lines := strings.Count(strings.TrimRight(n.Value, "\n"), "\n") + 1; lines > 1 {
			// Most often a block of the spec that a stray | or >
			// turned into text, secret values included: not shown.
			return fmt.Sprintf("a text of %d lines (not shown: it may hold a secret)", lines)
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

// placeholderNode recognizes an unquoted {{NAME}}, which YAML reads as a
// flow mapping whose only key is another flow mapping.
func placeholderNode(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.MappingNode || n.Style&yaml.FlowStyle == 0 || len(n.Content) != 2 || !isNull(n.Content[1]) {
		return "", false
	}
	k := n.Content[0]
	if k.Kind != yaml.MappingNode || k.Style&yaml.FlowStyle == 0 || len(k.Content) != 2 || k.Content[0].Kind != yaml.ScalarNode || !isNull(k.Content[1]) {
		return "", false
	}
	return "{{" + k.Content[0].Value + "}}", true
}

var kindNames = map[yaml.Kind]string{
	yaml.MappingNode:  "a mapping",
	yaml.SequenceNode: "a list",
	yaml.ScalarNode:   "a single value",
}

func (d *decoder) kind(n *yaml.Node, p loc, want yaml.Kind) bool {
	if n.Kind == want {
		return true
	}
	d.errorf(n, p.w, "want %s, got %s", kindNames[want], describe(n))
	return false
}

// scalar returns the text of a scalar as written, never through a number
// type: versions like 1.10 must stay 1.10. Null is not a value: most
// fields leave it out as not set (see fields); where it gets here, in a
// list or a split, it is an error.
func (d *decoder) scalar(e entry, p loc, what string) (string, bool) {
	if e.v.Kind != yaml.ScalarNode || isNull(e.v) {
		d.errorf(e.v, p.w, "want %s, got %s", what, describe(e.v))
		return "", false
	}
	return e.v.Value, true
}

func (d *decoder) str(e entry, p loc, dst *string) {
	if s, ok := d.scalar(e, p, "a string"); ok {
		*dst = s
		d.record(p, e)
	}
}

// count decodes a non-negative integer. Every integer in a spec is a count,
// a duration or a port, so a negative one is always a mistake; it is caught
// here, where its position is known.
func (d *decoder) count(e entry, p loc, dst *int) {
	s, ok := d.scalar(e, p, "a non-negative integer")
	if !ok {
		return
	}
	n, err := strconv.Atoi(s)
	octal, isOctal := octalToCLI(e.v, n)
	switch {
	case err != nil:
		d.errorf(e.v, p.w, "want a non-negative integer, got %q", s)
	case n < 0:
		d.errorf(e.v, p.w, "want a non-negative integer, got %d", n)
	case isOctal:
		d.errorf(e.v, p.w, "%s is octal %d to the service's CLI, which reads YAML 1.1, and %d to YAML 1.2; write %d, or %d without the leading zero", s, octal, n, octal, n)
	default:
		*dst = n
		d.record(p, e)
	}
}

// octalToCLI returns the number that the service's CLI, which reads YAML
// 1.1, takes n read from the plain scalar v for when that is another:
// with a leading zero (010), it is octal. Taking either silently would
// be wrong for someone. Quoted, or written 0 to 07, the two agree.
func octalToCLI(v *yaml.Node, n int) (int64, bool) {
	s := strings.TrimLeft(v.Value, "+")
	if v.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 ||
		v.ShortTag() == "!!str" || len(s) < 2 || s[0] != '0' || n < 8 {
		return 0, false
	}
	octal, err := strconv.ParseInt(s, 8, 64)
	return octal, err == nil && octal != int64(n)
}

// boolean accepts true and false in any case, quoted or not, because the
// service's examples write enabled: 'True'. The YAML 1.1 words (yes, on)
// are refused: they are too easily meant as strings.
func (d *decoder) boolean(e entry, p loc, dst *bool) {
	s, ok := d.scalar(e, p, "true or false")
	if !ok {
		return
	}
	switch strings.ToLower(s) {
	case "true":
		*dst = true
	case "false":
		*dst = false
	default:
		d.errorf(e.v, p.w, "want true or false, got %q", s)
		return
	}
	d.record(p, e)
}

// fraction decodes a number between 0 and 1 (a sampling rate).
func (d *decoder) fraction(e entry, p loc, dst *float64) {
	s, ok := d.scalar(e, p, "a number between 0 and 1")
	if !ok {
		return
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1 || math.IsNaN(f) {
		d.errorf(e.v, p.w, "want a number between 0 and 1, got %q", s)
		return
	}
	*dst = f
	d.record(p, e)
}

// enum decodes one of allowed, ignoring case and the underscores that
// tell aml_token from AMLToken apart. The result is spelled as in allowed.
func (d *decoder) enum(e entry, p loc, allowed []string, dst *string) {
	s, ok := d.scalar(e, p, "one of "+strings.Join(allowed, ", "))
	if !ok {
		return
	}
	for _, a := range allowed {
		if foldEnum(s) == foldEnum(a) {
			*dst = a
			d.record(p, e)
			return
		}
	}
	d.errorf(e.v, p.w, "want one of %s, got %q", strings.Join(allowed, ", "), s)
}

func foldEnum(s string) string {
	return strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(s, "_", ""), " ", ""))
}

// stringMap decodes tags, properties and environment variables: a mapping
// of names to single values, kept as written. With secrets, its values
// may be secret, and no error shows the text of one.
func (d *decoder) stringMap(e entry, p loc, secrets bool) map[string]string {
	if secrets && e.v.Kind == yaml.ScalarNode && !isNull(e.v) {
		// Most often the mapping's own text on one line, secret values
		// included (API_KEY s3cr3t): not shown.
		d.errorf(e.v, p.w, "want a mapping, got a single value (not shown: it may hold a secret)")
		return nil
	}
	if !d.kind(e.v, p, yaml.MappingNode) {
		return nil
	}
	d.record(p, e)
	var m map[string]string
	seen := make(map[string]*yaml.Node, len(e.v.Content)/2)
	for i := 0; i+1 < len(e.v.Content); i += 2 {
		k, v := e.v.Content[i], e.v.Content[i+1]
		if k.Kind != yaml.ScalarNode || isNull(k) || k.Value == "" {
			d.errorf(k, p.w, "keys must be non-empty strings, got %s", describe(k))
			continue
		}
		kp := p.key(k.Value)
		if first, ok := seen[k.Value]; ok {
			d.errorf(k, kp.w, "duplicate key; first given at %s", d.at(first))
			continue
		}
		seen[k.Value] = k
		val := ""
		if !isNull(v) {
			s, ok := d.scalar(entry{k, v}, kp, "a single value")
			if !ok {
				continue
			}
			val = s
		}
		if m == nil {
			m = make(map[string]string)
		}
		m[k.Value] = val
		d.record(kp, entry{k, v})
	}
	return m
}

// checkTree rejects, before anything reads the tree, what the model never
// needs and an attacker could use: anchors and aliases (an alias bomb
// expands exponentially in any walker that follows aliases), nesting beyond
// maxDepth, and tags other than YAML's own scalar and collection tags.
// It reports whether the tree is safe to decode.
func (d *decoder) checkTree(root *yaml.Node) bool {
	before := len(d.errs)
	d.checkNode(root, "", 1)
	return len(d.errs) == before
}

var plainTags = []string{"!!str", "!!int", "!!float", "!!bool", "!!null", "!!map", "!!seq"}

func (d *decoder) checkNode(n *yaml.Node, p string, depth int) {
	if len(d.errs) >= maxTreeErrors {
		return
	}
	if n.Kind == yaml.AliasNode {
		d.errorf(n, p, "aliases (*%s) are not allowed in specs; write the value out", n.Value)
		return
	}
	if n.Anchor != "" {
		d.errorf(n, p, "anchors (&%s) are not allowed in specs; write the value out", n.Anchor)
	}
	if n.Style&yaml.TaggedStyle != 0 && !contains(plainTags, n.ShortTag()) {
		d.errorf(n, p, "tag %s is not allowed in specs", n.Tag)
	}
	if len(n.Content) > 0 && depth >= maxDepth {
		d.errorf(n, p, "nested more than %d levels deep; specs are never that deep", maxDepth)
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			d.checkNode(k, p, depth+1)
			d.checkNode(n.Content[i+1], join(p, k.Value), depth+1)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			d.checkNode(c, fmt.Sprintf("%s[%d]", p, i), depth+1)
		}
	}
}

// syntaxLine finds the line in yaml's untyped syntax errors.
var syntaxLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML parses one YAML document. It returns the top-level node, or
// nil for an empty document. More than one document is an error: a spec is
// one file, one document, and a silently ignored second document would hide
// half of what the user wrote. syntax tells a file that is not YAML at all,
// which a directory walk may skip as a template, from a YAML file with too
// many documents, which is always an error.
func parseYAML(file string, data []byte) (root *yaml.Node, err *Error, syntax bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, nil, false
		}
		return nil, syntaxError(file, err, data), true
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case err == io.EOF:
	case err != nil:
		return nil, syntaxError(file, err, data), true
	default:
		return nil, &Error{Pos: Pos{File: file, Line: second.Line, Column: second.Column}, Msg: "more than one YAML document; a spec file holds one"}, false
	}
	if len(doc.Content) == 0 {
		return nil, nil, false
	}
	return doc.Content[0], nil, false
}

// unknownAnchor finds yaml's error for an alias that refers to no anchor,
// which names the alias: text of the file that may be a secret value
// behind a stray * (API_KEY: *s3cr3t).
var unknownAnchor = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)

// syntaxError turns yaml's untyped error into a positioned one, never
// showing the text of data.
func syntaxError(file string, err error, data []byte) *Error {
	msg := err.Error()
	pos := Pos{File: file}
	if m := unknownAnchor.FindStringSubmatch(msg); m != nil {
		pos.Line, pos.Column = position(data, bytes.Index(data, []byte("*"+m[1])))
		return &Error{Pos: pos, Msg: "not valid YAML: an alias (*NAME) refers to no anchor; aliases are not allowed in specs, write the value out (a * that begins a plain value makes it an alias: quote the value)"}
	}
	if m := syntaxLine.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	return &Error{Pos: pos, Msg: "not valid YAML: " + msg}
}

// position is the 1-based line and column of the byte at offset in data,
// or zeros for an offset not found (-1).
func position(data []byte, offset int) (line, column int) {
	if offset < 0 {
		return 0, 0
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	return line, utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
}
