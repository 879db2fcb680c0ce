package asset

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"
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
// trimmed of surrounding white space, as the CLI does.
//
// When several patterns match a path, the last one decides, as in git. The
// CLI's releases differ here (older ones stop at the first match, some
// deduplicate the lines into an unordered set); last-match is the only rule
// that gives one answer for every ignore file, and it agrees with the CLI
// whenever the patterns do not contradict each other.
type Ignore struct {
	// File is the path of the ignore file read, or "" for none.
	File string
	// base is the real path of the folder that holds File, which paths
	// are made relative to (see [Ignore.excludedIn]).
	base  string
	rules []rule
}

type rule struct {
	re      *regexp.Regexp
	exclude bool
}

// ReadIgnore reads the ignore file of root: .amlignore if it exists,
// otherwise .gitignore, otherwise none (an Ignore that excludes nothing).
// Ignore files in sub-folders have no effect, as in the CLI. A link whose
// target is missing counts as no file, as for the CLI.
func ReadIgnore(root string) (Ignore, error) {
	for _, name := range []string{AMLIgnoreFile, GitIgnoreFile} {
		p := filepath.Join(root, name)
		data, err := os.ReadFile(p)
		if missing(err) {
			continue
		}
		if err != nil {
			return Ignore{}, err
		}
		ig, err := ParseIgnore(data)
		if err == nil {
			ig.base, err = realDir(p)
		}
		if err != nil {
			return Ignore{}, fmt.Errorf("%s: %w", p, err)
		}
		ig.File = p
		return ig, nil
	}
	return Ignore{}, nil
}

// missing reports whether err says that a path, or a link's target, does
// not exist: the errors for which Python's Path.exists and is_file answer
// false instead of failing.
func missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.ELOOP)
}

// realDir is the real path of the folder that holds the file p, links
// resolved in p itself too: the CLI resolves the ignore file's path.
func realDir(p string) (string, error) {
	real, err := realPath(p)
	return filepath.Dir(real), err
}

// realPath is the absolute path of p with every link resolved.
func realPath(p string) (string, error) {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", err
	}
	return filepath.Abs(real)
}

// ParseIgnore compiles the text of an ignore file, read as the CLI reads
// it: UTF-8 (anything else is an error, as for the CLI), a leading byte
// order mark dropped, and lines ended by "\n", "\r\n" or a lone "\r"
// (Python's universal newlines). An error names the line that cannot be
// compiled.
func ParseIgnore(data []byte) (Ignore, error) {
	if !utf8.Valid(data) {
		return Ignore{}, errors.New("not UTF-8 text")
	}
	text := strings.TrimPrefix(string(data), "\ufeff")
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	var ig Ignore
	for n, line := range strings.Split(text, "\n") {
		r, ok, err := compilePattern(line)
		if err != nil {
			return Ignore{}, fmt.Errorf("line %d: %w", n+1, err)
		}
		if ok {
			ig.rules = append(ig.rules, r)
		}
	}
	return ig, nil
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

// excludedIn reports whether the entry name of the folder whose real path
// is dir is excluded. The CLI matches an entry by its path from the ignore
// file's real folder through the real path of the folder that holds it:
// a file in a linked folder is matched where the link leads (a path that
// starts with ../ when that is outside the root), not where the link is.
// Only an Ignore read by [ReadIgnore] knows its folder.
func (ig Ignore) excludedIn(dir, name string) bool {
	if len(ig.rules) == 0 || ig.base == "" {
		return false
	}
	rel, err := filepath.Rel(ig.base, filepath.Join(dir, name))
	if err != nil {
		return true // another volume: the CLI excludes what it cannot relate
	}
	return ig.Excluded(filepath.ToSlash(rel))
}

// compilePattern turns one line into a rule; ok is false for blank lines,
// comments and the lone "/", which match nothing.
func compilePattern(line string) (rule, bool, error) {
	p := strings.TrimFunc(line, isPySpace)
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

// isPySpace is Python's str.isspace, which the CLI strips lines by: Go's
// white space plus the separators U+001C to U+001F.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
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
