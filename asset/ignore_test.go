package asset

import (
	"testing"
)

func TestIgnore(t *testing.T) {
	tests := []struct {
		reason   string
		patterns string
		path     string
		excluded bool
	}{
		{"a bare name matches at any depth", "*.log", "a/b/debug.log", true},
		{"a bare name matches at the root", "*.log", "debug.log", true},
		{"a star stays within a segment", "a*.py", "ab/c.py", false},
		{"a name matches a folder and all below it", "build", "src/build/out.o", true},
		{"a leading slash anchors to the root", "/build", "src/build/out.o", false},
		{"anchored name at the root", "/build", "build/out.o", true},
		{"a trailing slash matches below a folder", "logs/", "x/logs/today", true},
		{"a trailing slash does not match a file of that name", "logs/", "logs", false},
		{"a pattern with a slash inside is anchored", "doc/*.md", "x/doc/a.md", false},
		{"a pattern with a slash inside, at the root", "doc/*.md", "doc/a.md", true},
		{"double star in the middle spans folders", "a/**/z", "a/b/c/z", true},
		{"double star in the middle spans no folder", "a/**/z", "a/z", true},
		{"trailing double star matches below", "a/**", "a/b", true},
		{"trailing double star does not match the folder", "a/**", "a", false},
		{"**/ matches what is below any folder", "**/", "a/b", true},
		{"**/ does not match a root file", "**/", "a", false},
		{"question mark is one character", "?.py", "ab.py", false},
		{"question mark matches one character", "?.py", "a.py", true},
		{"bracket class", "[ab].txt", "b.txt", true},
		{"negated bracket class", "[!ab].txt", "b.txt", false},
		{"negated bracket class matches others", "[!ab].txt", "c.txt", true},
		{"unclosed bracket is a literal", "[ab.txt", "[ab.txt", true},
		{"escaped star is a literal", `\*.txt`, "a.txt", false},
		{"escaped hash is a literal", `\#x`, "#x", true},
		{"comment lines match nothing", "#x", "#x", false},
		{"a lone slash matches nothing", "/", "a", false},
		{"negation re-includes", "*.log\n!keep.log", "keep.log", false},
		{"the last match decides", "!keep.log\n*.log", "keep.log", true},
		{"surrounding spaces are trimmed", "  *.tmp  ", "a.tmp", true},
		{"matching is case-sensitive", "*.LOG", "a.log", false},
		{"regexp characters are literals", "a+b(c).txt", "a+b(c).txt", true},
		{"a dot is not a wildcard", "a.txt", "abtxt", false},
		{"blank lines are skipped", "\n\n", "a", false},
		{"a byte order mark is not part of the first pattern", "\ufeff*.log", "a.log", true},
		{"a lone carriage return ends a line", "*.log\r*.tmp", "a.tmp", true},
		{"the line ends of Windows", "*.log\r\n*.tmp\r\n", "a.log", true},
		{"Python's white space includes U+001C to U+001F", "*.log\x1f", "a.log", true},
	}
	for _, tt := range tests {
		ig, err := ParseIgnore([]byte(tt.patterns))
		if err != nil {
			t.Errorf("%s: %v", tt.reason, err)
			continue
		}
		if got := ig.Excluded(tt.path); got != tt.excluded {
			t.Errorf("%s: %q excludes %q = %v, want %v", tt.reason, tt.patterns, tt.path, got, tt.excluded)
		}
	}
}

func TestParseIgnoreErrors(t *testing.T) {
	tests := []struct{ reason, patterns, want string }{
		{"a trailing backslash escapes nothing", "ok\nbad\\", `line 2: pattern "bad\\": trailing \ escapes nothing`},
		{"a lone negation matches nothing", "!", `line 1: pattern "!": matches nothing`},
		{"the CLI reads ignore files as UTF-8 and fails on anything else", "*.log\n\xff\n", "not UTF-8 text"},
	}
	for _, tt := range tests {
		_, err := ParseIgnore([]byte(tt.patterns))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: err = %v, want %s", tt.reason, err, tt.want)
		}
	}
}

func TestZeroIgnoreExcludesNothing(t *testing.T) {
	if (Ignore{}).Excluded("anything") {
		t.Error("the zero Ignore excluded a path")
	}
}

func FuzzParseIgnore(f *testing.F) {
	for _, s := range []string{"*.log", "!a\n/b/", "a/**/b", "[!]a-]x", `\[`, "**", "**/", "[", "a[b", "[]]"} {
		f.Add(s, "a/b.log")
	}
	f.Fuzz(func(t *testing.T, patterns, path string) {
		ig, err := ParseIgnore([]byte(patterns))
		if err != nil {
			return
		}
		ig.Excluded(path) // must not panic
		again, err := ParseIgnore([]byte(patterns))
		if err != nil || again.Excluded(path) != ig.Excluded(path) {
			t.Fatalf("parsing %q twice gave different answers for %q", patterns, path)
		}
	})
}
