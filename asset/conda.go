package asset

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// CondaText returns a conda file as the service's CLI sends it and hashes
// it: not the file's bytes, but the YAML loaded by PyYAML's safe_load and
// dumped again by yaml.dump with sorted keys (block style, sequences not
// indented under their key, lines folded at 80 columns, strings quoted
// where PyYAML quotes them, text outside ASCII escaped in double quotes,
// collections met twice written once with an anchor). Two conda files that
// say the same thing thus give one environment version, as they do for the
// CLI.
//
// A file whose content is empty, null, false, zero or an empty collection
// gives "": the CLI then sends no conda file and leaves it out of the
// environment's version. A file that is not UTF-8 (UTF-16 included),
// holds several documents or has a tab outside comments, quotes and block
// scalars is an error, as for the CLI. So are the tags !!binary, !!set, !!omap and !!pairs, which
// safe_load accepts but whose dump this package does not reproduce.
func CondaText(data []byte) (string, error) {
	if !utf8.Valid(data) {
		return "", errors.New("conda file: not UTF-8 text") // the CLI reads it as UTF-8 only
	}
	root, err := loadSingle(data)
	if err == nil && root != nil {
		err = checkTabs(strings.TrimPrefix(string(data), "\ufeff"), root)
	}
	if err != nil {
		return "", fmt.Errorf("conda file: %w", err)
	}
	if root == nil {
		return "", nil
	}
	c := constructor{done: map[*yaml.Node]*pyValue{}}
	v, err := c.value(root)
	if err != nil {
		return "", fmt.Errorf("conda file: %w", err)
	}
	if v.falsy() {
		return "", nil
	}
	return pyDump(v), nil
}

// loadSingle parses the one document of data; nil for an empty stream.
func loadSingle(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err == io.EOF {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var next yaml.Node
	if err := dec.Decode(&next); err != io.EOF {
		if err == nil {
			err = errors.New("expected a single document in the stream, but found another document")
		}
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// pyKind is the Python type that safe_load makes of a node.
type pyKind int

const (
	pyNull pyKind = iota
	pyBool
	pyInt
	pyFloat
	pyStr
	pyDate // datetime.date and datetime.datetime
	pySeq
	pyMap
)

// pyValue is a value as safe_load builds it. One node gives one value, so
// that a collection reached through an alias is the same value twice, as
// the same Python object is.
type pyValue struct {
	kind pyKind
	// text is a scalar as PyYAML writes it: the string itself, the digits
	// of an int, the repr of a float, true or false, an ISO date.
	text string
	// num orders numeric keys: ints and floats by value, bools as 0 and 1.
	num   float64
	items []*pyValue // pySeq
	pairs []pyPair   // pyMap, in the order of the file
}

type pyPair struct{ key, value *pyValue }

// falsy reports whether Python's truth test fails on v.
func (v *pyValue) falsy() bool {
	switch v.kind {
	case pyNull:
		return true
	case pyBool, pyInt, pyFloat:
		return v.num == 0
	case pyStr:
		return v.text == ""
	case pySeq:
		return len(v.items) == 0
	case pyMap:
		return len(v.pairs) == 0
	}
	return false
}

// constructor builds values from nodes as PyYAML's SafeConstructor does.
type constructor struct {
	done map[*yaml.Node]*pyValue
}

func (c *constructor) value(n *yaml.Node) (*pyValue, error) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if v, ok := c.done[n]; ok {
		return v, nil
	}
	v := &pyValue{}
	c.done[n] = v // before the content, as PyYAML does for recursive aliases
	var err error
	switch n.Kind {
	case yaml.ScalarNode:
		err = scalarValue(n, v)
	case yaml.SequenceNode:
		err = c.sequence(n, v)
	case yaml.MappingNode:
		err = c.mapping(n, v)
	default:
		err = fmt.Errorf("line %d: unsupported YAML node", n.Line)
	}
	return v, err
}

func (c *constructor) sequence(n *yaml.Node, v *pyValue) error {
	if err := checkTag(n, "!!seq"); err != nil {
		return err
	}
	v.kind = pySeq
	for _, item := range n.Content {
		iv, err := c.value(item)
		if err != nil {
			return err
		}
		v.items = append(v.items, iv)
	}
	return nil
}

func (c *constructor) mapping(n *yaml.Node, v *pyValue) error {
	if err := checkTag(n, "!!map"); err != nil {
		return err
	}
	v.kind = pyMap
	pairs, err := flatten(n)
	if err != nil {
		return err
	}
	index := map[string]int{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i].Kind != yaml.ScalarNode && pairs[i].Kind != yaml.AliasNode {
			return fmt.Errorf("line %d: found unhashable key", pairs[i].Line)
		}
		k, err := c.key(pairs[i])
		if err == nil && (k.kind == pySeq || k.kind == pyMap) {
			err = fmt.Errorf("line %d: found unhashable key", pairs[i].Line)
		}
		if err != nil {
			return err
		}
		val, err := c.value(pairs[i+1])
		if err != nil {
			return err
		}
		v.set(index, k, val)
	}
	return nil
}

// key constructs a mapping key: as flatten_mapping does, a key that
// resolves to !!value (=) is a string.
func (c *constructor) key(n *yaml.Node) (*pyValue, error) {
	if d := deref(n); d.Kind == yaml.ScalarNode && scalarTag(d) == "!!value" {
		return &pyValue{kind: pyStr, text: d.Value}, nil
	}
	return c.value(n)
}

// set stores key: value as a Python dict does: a key equal to one already
// there keeps that key and its place, and takes the new value. index maps
// each key's identity to its place.
func (v *pyValue) set(index map[string]int, k, val *pyValue) {
	id := k.identity()
	if i, ok := index[id]; ok {
		v.pairs[i].value = val
		return
	}
	index[id] = len(v.pairs)
	v.pairs = append(v.pairs, pyPair{k, val})
}

// identity is what Python's dict compares of a key: numbers by value
// (True == 1 == 1.0), other scalars by type and text. Every NaN is one
// key: safe_load makes each the same float object.
func (v *pyValue) identity() string {
	switch {
	case v.numeric() && v.num != v.num:
		return "nan"
	case v.kind == pyInt:
		return "n:" + v.text // exact, whatever its size
	case v.numeric() && v.num == math.Trunc(v.num) && math.Abs(v.num) < 1<<53:
		return "n:" + strconv.FormatFloat(v.num, 'f', 0, 64)
	case v.numeric():
		return "f:" + strconv.FormatFloat(v.num, 'g', -1, 64)
	}
	return fmt.Sprint(v.kind, ":", v.text)
}

func (v *pyValue) numeric() bool { return v.kind == pyBool || v.kind == pyInt || v.kind == pyFloat }

// flatten returns a mapping's key and value nodes with merge keys (<<)
// expanded: SafeConstructor.flatten_mapping. Merged pairs come first, so
// that the mapping's own keys override them.
func flatten(n *yaml.Node) ([]*yaml.Node, error) {
	var merged, own []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], deref(n.Content[i+1])
		if !isMergeKey(k) {
			own = append(own, n.Content[i], n.Content[i+1])
			continue
		}
		m, err := mergeSource(val)
		if err != nil {
			return nil, err
		}
		merged = append(merged, m...)
	}
	return append(merged, own...), nil
}

func mergeSource(val *yaml.Node) ([]*yaml.Node, error) {
	switch val.Kind {
	case yaml.MappingNode:
		return flatten(val)
	case yaml.SequenceNode:
		var out []*yaml.Node
		for i := len(val.Content) - 1; i >= 0; i-- {
			sub := deref(val.Content[i])
			if sub.Kind != yaml.MappingNode {
				return nil, fmt.Errorf("line %d: expected a mapping for merging", sub.Line)
			}
			m, err := flatten(sub)
			if err != nil {
				return nil, err
			}
			out = append(out, m...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("line %d: expected a mapping or list of mappings for merging", val.Line)
}

func deref(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		return n.Alias
	}
	return n
}

func isMergeKey(k *yaml.Node) bool {
	k = deref(k)
	return k.Kind == yaml.ScalarNode && (k.Style == 0 && k.Value == "<<" || k.Tag == "!!merge")
}

// checkTag refuses a collection tagged other than its plain kind: safe_load
// fails on unknown tags, and the dumps of !!set, !!omap and !!pairs are not
// reproduced here.
func checkTag(n *yaml.Node, plain string) error {
	if t := n.ShortTag(); t != plain {
		return fmt.Errorf("line %d: the tag %s is not supported", n.Line, t)
	}
	return nil
}
