package asset

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// The ignore files the service's CLI reads, in order of precedence: only the
// first that exists in the asset's root folder is used.
const (
	AMLIgnoreFile = ".amlignore"
	GitIgnoreFile = ".gitignore"
)

// Ignore is the compiled ignore file of an asset's root folder. The zero
// value excludes nothing.
//
// Patterns follow gitignore's wildmatch rules as the service's CLI compiles
// them (a vendored copy of Python's pathspec): blank lines and lines starting
// with # are skipped, ! negates, a leading / anchors to the root, a trailing
// / matches only what is below a folder, ** spans folders, * ? and [...]
// stay within one path segment, and \ escapes the next character. Lines are
// trimmed of surrounding spaces, as the CLI does.
//
// When several patterns match a path, the last one decides, as in git. The
// CLI's releases differ here (older ones stop at the first match, some
// deduplicate the lines into an unordered set); last-match is the only rule
// that gives one answer for every ignore file, and it agrees with the CLI
// whenever the patterns do not contradict each other.
type Ignore struct {
	// File is the path of the ignore file read, or "" for none.
	File  string
	rules []rule
}

type rule struct {
	re      *regexp.Regexp
	exclude bool
}

// ReadIgnore reads the ignore file of root: .amlignore if it exists,
// otherwise .gitignore, otherwise none (an Ignore that excludes nothing).
// Ignore files in sub-folders have no effect, as in the CLI.
func ReadIgnore(root string) (Ignore, error) {
	for _, name := range []string{AMLIgnoreFile, GitIgnoreFile} {
		p := filepath.Join(root, name)
		data, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return Ignore{}, err
		}
		ig, err := ParseIgnore(data)
		if err != nil {
			return Ignore{}, fmt.Errorf("%s: %w", p, err)
		}
		ig.File = p
		return ig, nil
	}
	return Ignore{}, nil
}

// ParseIgnore compiles the text of an ignore file. An error names the line
// that cannot be compiled.
func ParseIgnore(data []byte) (Ignore, error) {
	var ig Ignore
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		r, ok, err := compilePattern(sc.Text())
		if err != nil {
			return Ignore{}, fmt.Errorf("line %d: %w", n, err)
		}
		if ok {
			ig.rules = append(ig.rules, r)
		}
	}
	return ig, sc.Err()
}

// Excluded reports whether the file or folder at rel, a /-separated path
// relative to the root folder, is excluded.
func (ig Ignore) Excluded(rel string) bool {
	for i := len(ig.rules) - 1; i >= 0; i-- {
		if ig.rules[i].re.MatchString(rel) {
			return ig.rules[i].exclude
		}
	}
	return false
}

// compilePattern turns one line into a rule; ok is false for blank lines,
// comments and the lone "/", which match nothing.
func compilePattern(line string) (rule, bool, error) {
	p := strings.TrimSpace(line)
	if p == "" || p == "/" || strings.HasPrefix(p, "#") {
		return rule{}, false, nil
	}
	r := rule{exclude: true}
	if rest, ok := strings.CutPrefix(p, "!"); ok {
		r.exclude, p = false, rest
	}
	expr, err := patternRegexp(p)
	if err != nil {
		return rule{}, false, fmt.Errorf("pattern %q: %w", line, err)
	}
	r.re, err = regexp.Compile(expr)
	if err != nil {
		return rule{}, false, fmt.Errorf("pattern %q: %w", line, err)
	}
	return r, true, nil
}

// patternRegexp translates a gitwildmatch pattern (without its leading !)
// into an anchored regular expression over /-separated relative paths.
func patternRegexp(p string) (string, error) {
	segs := collapseDoubleStars(strings.Split(p, "/"))
	if len(segs) == 2 && segs[0] == "**" && segs[1] == "" {
		return `^.+/.*$`, nil // "**/": everything below some folder
	}
	switch {
	case segs[0] == "":
		segs = segs[1:] // anchored to the root
	case len(segs) == 1 || len(segs) == 2 && segs[1] == "":
		if segs[0] != "**" {
			segs = append([]string{"**"}, segs...) // matches at any depth
		}
	}
	if len(segs) == 0 {
		return "", fmt.Errorf("matches nothing")
	}
	if len(segs) > 1 && segs[len(segs)-1] == "" {
		segs[len(segs)-1] = "**" // "dir/": everything below dir
	}
	return segmentsRegexp(segs)
}

func collapseDoubleStars(segs []string) []string {
	out := segs[:1]
	for _, s := range segs[1:] {
		if s == "**" && out[len(out)-1] == "**" {
			continue
		}
		out = append(out, s)
	}
	return out
}

func segmentsRegexp(segs []string) (string, error) {
	var b strings.Builder
	b.WriteString("^")
	needSlash := false
	end := len(segs) - 1
	for i, seg := range segs {
		if seg == "**" {
			switch {
			case i == 0 && i == end:
				b.WriteString(".+")
			case i == 0:
				b.WriteString("(?:.+/)?")
				needSlash = false
			case i == end:
				b.WriteString("/.*")
			default:
				b.WriteString("(?:/.+)?")
				needSlash = true
			}
			continue
		}
		if needSlash {
			b.WriteString("/")
		}
		if seg == "*" {
			b.WriteString("[^/]+")
		} else {
			g, err := globRegexp(seg)
			if err != nil {
				return "", err
			}
			b.WriteString(g)
		}
		if i == end {
			b.WriteString("(?:/.*)?") // a name matches the folder and all below it
		}
		needSlash = true
	}
	b.WriteString("$")
	return b.String(), nil
}

// globRegexp translates one path segment: * ? [...] and \ escapes.
func globRegexp(seg string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(seg); i++ {
		switch c := seg[i]; c {
		case '\\':
			if i+1 == len(seg) {
				return "", fmt.Errorf("trailing \\ escapes nothing")
			}
			i++
			b.WriteString(regexp.QuoteMeta(seg[i : i+1]))
		case '*':
			b.WriteString("[^/]*")
		case '?':
			b.WriteString("[^/]")
		case '[':
			expr, n, ok := bracket(seg[i+1:])
			if !ok {
				b.WriteString(`\[`)
				continue
			}
			b.WriteString(expr)
			i += n
		default:
			b.WriteString(regexp.QuoteMeta(seg[i : i+1]))
		}
	}
	return b.String(), nil
}

// bracket translates the bracket expression that follows a '[': "[!...]"
// negates, a ']' first is a literal, and a '^' first is a literal too. It
// returns the regexp, the bytes consumed and whether the bracket closes.
func bracket(s string) (string, int, bool) {
	j := 0
	if j < len(s) && s[j] == '!' {
		j++
	}
	if j < len(s) && s[j] == ']' {
		j++
	}
	for j < len(s) && s[j] != ']' {
		j++
	}
	if j == len(s) {
		return "", 0, false
	}
	body := s[:j]
	var b strings.Builder
	b.WriteString("[")
	switch {
	case strings.HasPrefix(body, "!"):
		b.WriteString("^")
		body = body[1:]
	case strings.HasPrefix(body, "^"):
		b.WriteString(`\^`)
		body = body[1:]
	}
	b.WriteString(strings.NewReplacer(`\`, `\\`, `[`, `\[`).Replace(body))
	b.WriteString("]")
	return b.String(), j + 1, true
}
