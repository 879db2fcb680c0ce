package endpoint

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrInvalid is matched by every error about a spec: errors.Is(err, ErrInvalid)
// holds for an [*Error] and for an [ErrorList] with at least one entry.
var ErrInvalid = errors.New("endpoint: invalid spec")

// Pos is a position in a spec file. Line and Column are 1-based; zero means
// unknown (specs built in code).
type Pos struct {
	File   string
	Line   int
	Column int
}

// String formats the position as FILE:LINE:COL, leaving out what is unknown.
func (p Pos) String() string {
	s := p.File
	if p.Line > 0 {
		if s != "" {
			s += ":"
		}
		s += fmt.Sprintf("%d", p.Line)
		if p.Column > 0 {
			s += fmt.Sprintf(":%d", p.Column)
		}
	}
	return s
}

// Severity tells a problem that stops loading from one that does not.
type Severity int

// The severities of an [Error]. The zero value is an error.
const (
	// SeverityError: the spec is refused.
	SeverityError Severity = iota
	// SeverityWarning: the spec loads, but is written in a way the
	// service's CLI has deprecated or no longer accepts.
	SeverityWarning
)

func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Error is one problem in a spec: where it is, which field, and what is
// allowed. It prints as `FILE:LINE:COL: PATH: message`, and a warning as
// `FILE:LINE:COL: warning: PATH: message`.
type Error struct {
	Pos Pos
	// Path is the field path in YAML names, e.g. deployments[1].instance_count.
	Path string
	Msg  string
	// Severity is SeverityError for every error the loader returns;
	// warnings come apart, in [Result].Warnings and [Endpoint.Warnings].
	Severity Severity
}

func (e *Error) Error() string {
	var b strings.Builder
	if p := e.Pos.String(); p != "" {
		b.WriteString(p)
		b.WriteString(": ")
	}
	if e.Severity == SeverityWarning {
		b.WriteString("warning: ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is reports whether target is [ErrInvalid] and e is an error, not a
// warning.
func (e *Error) Is(target error) bool { return target == ErrInvalid && e.Severity == SeverityError }

// ErrorList is every problem found in one pass, in the style of
// go/scanner.ErrorList: sorted by file, line, column and path, printed as the
// first error plus a count, with each entry available through errors.As.
// The loader returns errors and warnings in lists of their own.
type ErrorList []*Error

// Add appends an error.
func (l *ErrorList) Add(pos Pos, path, format string, args ...any) {
	*l = append(*l, &Error{Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Sort orders the list by file, line, column, path and message.
func (l ErrorList) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Column != b.Pos.Column {
			return a.Pos.Column < b.Pos.Column
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Msg < b.Msg
	})
}

func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0], len(l)-1)
}

// Unwrap gives the entries to errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// Err returns the list sorted as an error, or nil when it is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	l.Sort()
	return l
}

// Lines prints every error, one a line, as FILE:LINE:COL: PATH: message.
func (l ErrorList) Lines() string {
	var b strings.Builder
	for _, e := range l {
		b.WriteString(e.Error())
		b.WriteByte('\n')
	}
	return b.String()
}

// source remembers where the fields of a loaded endpoint were written, so
// that validation of the loaded value can name file, line, column and the
// path as the user wrote it.
//
// Paths are canonical: deployments are keyed by name
// (deployments[blue].instance_count), since normalization sorts them. The
// written form of a deployment's prefix (deployments[1] in a list,
// deployments.blue in a map, nothing in a deployment file of its own) is in
// shown.
type source struct {
	pos   map[string]Pos
	shown map[string]string
	// file is the endpoint file, the position of paths not recorded.
	file string
	// warnings are about the files the endpoint was loaded from, sorted.
	warnings ErrorList
}

// locate returns the position recorded for the canonical path (or for its
// nearest recorded parent, or the endpoint file) and the path as written.
func (s *source) locate(path string) (Pos, string) {
	if s == nil {
		return Pos{}, path
	}
	return s.at(path), s.written(path)
}

func (s *source) at(path string) Pos {
	for p := path; ; {
		if pos, ok := s.pos[p]; ok {
			return pos
		}
		i := strings.LastIndexAny(p, ".[")
		if i <= 0 {
			break
		}
		p = p[:i]
	}
	return Pos{File: s.file}
}

// written rewrites a canonical deployments[NAME] prefix the way the file
// wrote it.
func (s *source) written(path string) string {
	const pre = "deployments["
	if !strings.HasPrefix(path, pre) {
		return path
	}
	end := strings.IndexByte(path, ']')
	if end < 0 {
		return path
	}
	shown, ok := s.shown[path[:end+1]]
	if !ok {
		return path
	}
	rest := strings.TrimPrefix(path[end+1:], ".")
	switch {
	case shown == "":
		return rest
	case rest == "":
		return shown
	}
	return shown + "." + rest
}

// Warnings returns the warnings about how the files of a loaded endpoint
// are written (2021 field names, deprecated fields), sorted; nil for
// endpoints built in code. They are shared: do not modify them.
func (e *Endpoint) Warnings() ErrorList {
	if e.src == nil {
		return nil
	}
	return e.src.warnings
}

// Position returns where a field of a loaded endpoint was written and the
// field's path as the file wrote it. Path is canonical: deployments are keyed
// by name, as in deployments[blue].instance_type. For endpoints built in code
// the position is zero and the path is returned unchanged. Programs use it to
// point at the source of a problem found after loading, such as a plan the
// planner refuses.
func (e *Endpoint) Position(path string) (Pos, string) {
	return e.src.locate(path)
}
