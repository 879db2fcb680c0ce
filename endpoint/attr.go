package endpoint

//go:generate go test -run TestGenerated -update

import (
	"fmt"
	"slices"
	"strings"
)

// An attr is one field of a spec type S (an [Endpoint], a [Deployment],
// or a group of settings inside one) as every operation sees it: its YAML
// key, and what decoding, writing, diffing and normalizing do with it.
// The tables of attrs (endpointAttrs, deploymentAttrs) are the one place
// that lists the fields of the spec: the loader's allowed keys, the
// order of Marshal's output and of diffs, and the generated Equal and
// Clone (equal_gen.go, rendered from the tables by TestGenerated) all
// come from them. A new field is one entry here plus its wire mapping in
// the backends.
//
// An entry without a Go field (goName "") is another name a field is read
// under (the 2021 names, deprecated fields): it only decodes.
type attr[S any] struct {
	key string
	// goName is the field of S, for the generated code; eq and cp are
	// how it compares and copies there (see cmpValue and the others).
	goName string
	eq, cp string

	// decode reads the field from its entry; nil for keys the caller
	// reads before the others (a deployment's name).
	decode func(d *decoder, f entry, p loc, s *S)
	// write adds the field to m unless it is not set; path is the
	// canonical path of s, for errors.
	write func(w *writer, m mapping, path string, s *S)
	// diff records the changes from a to b under prefix.
	diff func(df *differ, prefix string, a, b *S)
	// normalize rewrites the field into its canonical form; kind is the
	// endpoint's. Nil when there is nothing to do.
	normalize func(s *S, kind Kind)
	// readOnly marks a key that is read and ignored (readOnlyAttr), which
	// tells nothing of what a file holds: kind and location are as much
	// a Kubernetes manifest's or an ARM template's.
	readOnly bool
}

// How the generated Equal compares a field and Clone copies it: templates
// over the two operands.
const (
	cmpValue = "%s == %s"
	cmpMap   = "mapEqual(%s, %s)"
	// cmpVars compares environment variables as cmpMap does, through
	// the names of the last deployment's (see varNames), which the
	// function comparing takes as vars.
	cmpVars = "vars.equal(%s, %s)"
	// cmpTags tells tags not written (nil) from tags written empty.
	cmpTags = "(%[1]s == nil) == (%[2]s == nil) && mapEqual(%[1]s, %[2]s)"
	// cmpRef and cmpEnv compare assets by their rule (sameRef, sameEnv)
	// unless the fields alone decide, as they do for most references:
	// then comparing the fields is the one call.
	cmpRef   = "(%[1]s.byFields() && refEqual(&%[1]s, &%[2]s) || sameRef(&%[1]s, &%[2]s))"
	cmpEnv   = "(%[1]s.byFields() && environmentEqual(&%[1]s, &%[2]s) || sameEnv(&%[1]s, &%[2]s))"
	cpShared = ""
	cpMap    = "maps.Clone(%s)"
)

// cmpCode compares scoring code: the script, and the code as cmpRef does.
var cmpCode = "%[1]s.ScoringScript == %[2]s.ScoringScript && " + fmt.Sprintf(cmpRef, "%[1]s.Code", "%[2]s.Code")

// keysOf lists the YAML keys of a table, in its order: the keys the loader
// allows, as its messages list them.
func keysOf[S any](attrs []attr[S]) []string {
	keys := make([]string, len(attrs))
	for i, a := range attrs {
		keys[i] = a.key
	}
	return keys
}

// decodeAttrs decodes the entries of a mapping, already checked against
// the table's keys, each by its attr.
func decodeAttrs[S any](d *decoder, attrs []attr[S], fs fields, p loc, s *S) {
	for _, f := range fs {
		i := slices.IndexFunc(attrs, func(a attr[S]) bool { return a.key == f.k.Value })
		if i >= 0 && attrs[i].decode != nil {
			attrs[i].decode(d, f, p.key(f.k.Value), s)
		}
	}
}

func writeAttrs[S any](w *writer, attrs []attr[S], m mapping, path string, s *S) {
	for i := range attrs {
		if a := &attrs[i]; a.write != nil {
			a.write(w, m, path, s)
		}
	}
}

func diffAttrs[S any](df *differ, attrs []attr[S], prefix string, a, b *S) {
	for i := range attrs {
		if at := &attrs[i]; at.diff != nil {
			at.diff(df, prefix, a, b)
		}
	}
}

func normalizeAttrs[S any](attrs []attr[S], s *S, kind Kind) {
	for i := range attrs {
		if a := &attrs[i]; a.normalize != nil {
			a.normalize(s, kind)
		}
	}
}

// aliasAttr is another name a field is read under: it only decodes.
func aliasAttr[S any](key string, decode func(d *decoder, f entry, p loc, s *S)) attr[S] {
	return attr[S]{key: key, decode: decode}
}

// readOnlyAttr is a field the service reports and the service's CLI
// writes out (az ml ... show), which the CLI reads back and ignores, and
// so does the loader: status is for observing, not for a spec.
func readOnlyAttr[S any](key string) attr[S] {
	a := aliasAttr(key, func(*decoder, entry, loc, *S) {})
	a.readOnly = true
	return a
}

// textAttr is a string field, kept as written; clean, when given, is its
// normalization.
func textAttr[S any](key, goName string, get func(*S) *string, clean func(string) string) attr[S] {
	a := attr[S]{
		key: key, goName: goName, eq: cmpValue,
		decode: func(d *decoder, f entry, p loc, s *S) { d.str(f, p, get(s)) },
		write:  func(_ *writer, m mapping, _ string, s *S) { m.str(key, *get(s)) },
		diff:   func(df *differ, prefix string, a, b *S) { df.str2(prefix, key, *get(a), *get(b)) },
	}
	if clean != nil {
		a.normalize = func(s *S, _ Kind) { *get(s) = clean(*get(s)) }
	}
	return a
}

// enumAttr is a field of one of allowed values, read in any case and
// normalized to lower case, with def for an unset value ("" for none).
func enumAttr[S any, T ~string](key, goName string, get func(*S) *T, allowed []string, def T) attr[S] {
	return attr[S]{
		key: key, goName: goName, eq: cmpValue,
		decode: func(d *decoder, f entry, p loc, s *S) {
			var v string
			d.enum(f, p, allowed, &v)
			if v != "" {
				*get(s) = T(v)
			}
		},
		write: func(_ *writer, m mapping, _ string, s *S) { m.str(key, string(*get(s))) },
		diff: func(df *differ, prefix string, a, b *S) {
			df.str2(prefix, key, string(*get(a)), string(*get(b)))
		},
		normalize: func(s *S, _ Kind) {
			v := get(s)
			*v = T(lower(string(*v)))
			if *v == "" {
				*v = def
			}
		},
	}
}

// countAttr is a non-negative integer field with def for an unset (zero)
// value (0 for none).
func countAttr[S any](key, goName string, get func(*S) *int, def int) attr[S] {
	a := attr[S]{
		key: key, goName: goName, eq: cmpValue,
		decode: func(d *decoder, f entry, p loc, s *S) { d.count(f, p, get(s)) },
		write:  func(_ *writer, m mapping, _ string, s *S) { m.int(key, *get(s)) },
		diff:   func(df *differ, prefix string, a, b *S) { df.int2(prefix, key, *get(a), *get(b)) },
	}
	if def != 0 {
		a.normalize = func(s *S, _ Kind) { setDefault(get(s), def) }
	}
	return a
}

// boolAttr is a true-or-false field.
func boolAttr[S any](key, goName string, get func(*S) *bool) attr[S] {
	return attr[S]{
		key: key, goName: goName, eq: cmpValue,
		decode: func(d *decoder, f entry, p loc, s *S) { d.boolean(f, p, get(s)) },
		write:  func(_ *writer, m mapping, _ string, s *S) { m.bool(key, *get(s)) },
		diff:   func(df *differ, prefix string, a, b *S) { df.bool2(prefix, key, *get(a), *get(b)) },
	}
}

// mapAttr is a mapping of names to strings (tags, properties, environment
// variables); diffs redact the values of keys that secret reports.
func mapAttr[S any](key, goName string, get func(*S) *map[string]string, secret func(string) bool) attr[S] {
	return attr[S]{
		key: key, goName: goName, eq: cmpMap, cp: cpMap,
		decode: func(d *decoder, f entry, p loc, s *S) { *get(s) = d.stringMap(f, p, secret != nil) },
		write:  func(_ *writer, m mapping, _ string, s *S) { m.strMap(key, *get(s)) },
		diff: func(df *differ, prefix string, a, b *S) {
			df.strMap(join(prefix, key), *get(a), *get(b), secret)
		},
		normalize: func(s *S, _ Kind) { *get(s) = nilIfEmpty(*get(s)) },
	}
}

// tagsAttr is the tags of a resource, which a spec manages only when it
// writes them. Nil is "not written": the service's tags are left alone
// (the planner adopts them before comparing). An empty non-nil map is
// "written empty": the resource is to have no tags. Decoding, writing,
// normalizing and comparing keep the two apart.
func tagsAttr[S any](get func(*S) *map[string]string) attr[S] {
	a := mapAttr("tags", "Tags", get, nil)
	a.eq = cmpTags
	a.decode = func(d *decoder, f entry, p loc, s *S) {
		// A null value is not written; the decoder leaves it out.
		*get(s) = nonNil(d.stringMap(f, p, false))
	}
	a.write = func(_ *writer, m mapping, _ string, s *S) {
		if t := *get(s); t != nil && len(t) == 0 {
			// Written empty stays written: tags: {}.
			m.node("tags", newMapping().n)
			return
		}
		m.strMap("tags", *get(s))
	}
	a.diff = func(df *differ, prefix string, x, y *S) {
		tx, ty := *get(x), *get(y)
		if len(tx) == 0 && len(ty) == 0 && (tx == nil) != (ty == nil) {
			// No entry differs, and yet one side manages the tags
			// and the other does not: a change Equal sees.
			df.add(prefix, "tags", showTags(tx), showTags(ty))
			return
		}
		df.strMap(join(prefix, "tags"), tx, ty, nil)
	}
	a.normalize = nil
	return a
}

// showTags shows tags without entries: not written, or written empty.
func showTags(t map[string]string) string {
	if t == nil {
		return None
	}
	return "{}"
}

// nonNil returns m, or an empty map when m is nil.
func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// groupAttr is a mapping of settings with a table of its own. Its values
// compare with ==; diffs name each setting under the group's key. An
// optional group takes the defaults of its settings only when one of them
// is set (a startup probe is run only when asked for).
//
// A group that is not written, or that holds its defaults already (as the
// service reports them), normalizes to its defaults, computed once for
// each kind of deployment: without a call for each of its settings.
func groupAttr[S any, T comparable](key, goName string, get func(*S) *T, attrs []attr[T], optional bool) attr[S] {
	keys := keysOf(attrs)
	var zero T
	defaults := func(kind Kind) T {
		g := zero
		normalizeAttrs(attrs, &g, kind)
		return g
	}
	managed, kubernetes := defaults(Managed), defaults(Kubernetes)
	a := attr[S]{
		key: key, goName: goName, eq: cmpValue,
		decode: func(d *decoder, f entry, p loc, s *S) {
			fs, ok := d.fields(f.v, p, keys)
			if !ok {
				return
			}
			d.record(p, f)
			decodeAttrs(d, attrs, fs, p, get(s))
		},
		write: func(w *writer, m mapping, path string, s *S) {
			sub := newMapping()
			writeAttrs(w, attrs, sub, join(path, key), get(s))
			m.sub(key, sub)
		},
		diff: func(df *differ, prefix string, a, b *S) {
			if ga, gb := get(a), get(b); *ga != *gb {
				diffAttrs(df, attrs, join(prefix, key), ga, gb)
			}
		},
		normalize: func(s *S, kind Kind) {
			g := get(s)
			def, known := managed, kind == Managed
			if kind == Kubernetes {
				def, known = kubernetes, true
			}
			switch {
			case optional && *g == zero:
			case known && (*g == zero || *g == def):
				*g = def
			default:
				normalizeAttrs(attrs, g, kind)
			}
		},
	}
	if !slices.ContainsFunc(attrs, func(a attr[T]) bool { return a.normalize != nil }) {
		// Settings kept as written (resources): nothing to normalize.
		a.normalize = nil
	}
	return a
}

// customAttr is a field whose every operation is its own.
func customAttr[S any](key, goName, eq, cp string, ops attr[S]) attr[S] {
	ops.key, ops.goName, ops.eq, ops.cp = key, goName, eq, cp
	return ops
}

// signals lists the keys of a table that are not in others: the keys that
// tell one kind of spec file from the other.
func signals[S any](attrs []attr[S], others ...string) []string {
	var out []string
	for _, a := range attrs {
		if !slices.Contains(others, a.key) && !strings.HasPrefix(a.key, "$") && !a.readOnly {
			out = append(out, a.key)
		}
	}
	return out
}
