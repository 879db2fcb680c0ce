package asset

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// writeTree creates files (relative path -> content) under dir.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fixture is the folder of ASSETS.md's test vectors.
func fixture(t testing.TB) (scoring, model string) {
	dir := t.TempDir()
	scoring = filepath.Join(dir, "onlinescoring")
	writeTree(t, scoring, map[string]string{
		"score.py":      "import json\n",
		"Sub/helper.py": "X = 1\n",
		".amlignore":    "*.log\n",
		"debug.log":     "ignored\n",
	})
	model = filepath.Join(dir, "model.pkl")
	writeTree(t, dir, map[string]string{"model.pkl": "abc"})
	return scoring, model
}

func TestVectors(t *testing.T) {
	scoring, model := fixture(t)
	tree, err := Scan(scoring)
	if err != nil {
		t.Fatal(err)
	}
	var rels []string
	for _, f := range tree.Files {
		rels = append(rels, f.Rel)
	}
	if got, want := fmt.Sprint(rels), "[.amlignore score.py Sub/helper.py]"; got != want {
		t.Errorf("files = %s, want %s", got, want)
	}
	mt, err := Scan(model)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		reason string
		got    func() (string, error)
		want   string
	}{
		{"content hash of a folder, ignored file left out", tree.ContentHash, "83d9657056baace458c4c4842fbb147a1bd4e10b2e2567e43569191981180910"},
		{"content hash of one file", mt.ContentHash, "725a06bb8c7ec3bedf705b38be72c4f891142a207fe3d69cc0c30c5aa90dbf62"},
		{"object hash of a folder, MD5", func() (string, error) { return ObjectHash(scoring, MD5) }, "b21279aee2938b532b3c68a068ce56db"},
		{"object hash of a file, MD5", func() (string, error) { return ObjectHash(model, MD5) }, "3dd4b37a5b6c38dd3ff9b4d192fbe46b"},
		{"object hash of a folder, SHA-256", func() (string, error) { return ObjectHash(scoring, SHA256) }, "9cacdb008b701ae76273922960837118e133354964c138c462b408559097f756"},
		{"object hash of a file, SHA-256", func() (string, error) { return ObjectHash(model, SHA256) }, "8c9f3c3c7166fa465b6774bdf7df9836af6b9f51475fcb9d53d8589958376b25"},
		{"anonymous model name, MD5", func() (string, error) { return AnonymousModelName("3dd4b37a5b6c38dd3ff9b4d192fbe46b", MD5) }, "6c8ba68c9b24c158a1f9b0fa7267caa6"},
		{"anonymous model name, SHA-256", func() (string, error) {
			return AnonymousModelName("8c9f3c3c7166fa465b6774bdf7df9836af6b9f51475fcb9d53d8589958376b25", SHA256)
		}, "bcae4261b3e1566382c7627f4236a2b9cb7f287b59fc197fb97f44cf96da6f3d"},
		{"environment version, image and conda", func() (string, error) { return AnonymousEnvironmentVersion(vectorImage, vectorConda), nil }, "2faf1fd4bca83082f3fc09be1a4de539"},
		{"environment version, image only", func() (string, error) { return AnonymousEnvironmentVersion(vectorImage, ""), nil }, "baf18218754be5571da6e579a0c774b5"},
	}
	for _, tt := range tests {
		got, err := tt.got()
		if err != nil || got != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.reason, got, err, tt.want)
		}
	}
}

const (
	vectorImage = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"
	vectorConda = "channels:\n- conda-forge\ndependencies:\n- python=3.9\n- numpy=1.23.5\n- pip\n- pip:\n  - azureml-defaults==1.52.0\n  - scikit-learn==1.2.2\nname: model-env\n"
)

func TestCondaText(t *testing.T) {
	tests := []struct{ reason, in, want string }{
		{"the vector's file, keys sorted, sequences not indented", "name: model-env\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.9\n  - numpy=1.23.5\n  - pip\n  - pip:\n    - azureml-defaults==1.52.0\n    - scikit-learn==1.2.2\n", vectorConda},
		{"numbers and booleans in PyYAML's spelling", "a: 3.10\nb: 007\nc: yes\nd: ~\n", "a: 3.1\nb: 7\nc: true\nd: null\n"},
		{"strings that would read as something else are quoted", "a: '3.9'\nb: 'true'\nc: ''\nd: 'x: y'\ne: it's\n", "a: '3.9'\nb: 'true'\nc: ''\nd: 'x: y'\ne: it's\n"},
		{"quotes inside quoted strings are doubled", "a: \"'q\"\n", "a: '''q'\n"},
		{"empty collections", "a: []\nb: {}\n", "a: []\nb: {}\n"},
		{"mappings in mappings are indented", "a:\n  z: 1\n  b: 2\n", "a:\n  b: 2\n  z: 1\n"},
		{"strings that start with a document marker are quoted", "a: ...\nb: ---x\n", "a: '...'\nb: '---x'\n"},
		{"what YAML 1.1 reads as a string stays one", "a: 08\nb: 0o7\n", "a: 08\nb: 0o7\n"},
		{"an empty value is null", "a:\nb: ~\n", "a: null\nb: null\n"},
		// The rest were computed by PyYAML's safe_load and yaml.dump as the
		// CLI calls them.
		{"the CLI sends no conda file for an empty one", "", ""},
		{"nor for one that is only comments", "# none\n", ""},
		{"nor for an empty mapping", "{}\n", ""},
		{"nor for false", "false\n", ""},
		{"text outside ASCII is escaped in double quotes", "name: caf\u00e9-env\ndependencies:\n  - \u65e5\u672c\n  - env-\U0001f600\n", "dependencies:\n- \"\\u65E5\\u672C\"\n- \"env-\\U0001F600\"\nname: \"caf\\xE9-env\"\n"},
		{"a collection met twice is written once with an anchor", "base: &deps\n  - numpy\ndependencies: *deps\nx: &m {a: 1}\ny: *m\n", "base: &id001\n- numpy\ndependencies: *id001\nx: &id002\n  a: 1\ny: *id002\n"},
		{"merge keys are expanded, own keys winning", "base: &b {a: 1, b: 2}\nderived:\n  <<: *b\n  b: 3\n", "base:\n  a: 1\n  b: 2\nderived:\n  a: 1\n  b: 3\n"},
		{"a long string is folded at 80 columns", "a: word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word end\n", "a: word word word word word word word word word word word word word word word word\n  word word word word word word word word word word word word word word end\n"},
		{"a long string with escapes is folded with a backslash", "a: \"\u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \u00e9 \"\n", "a: \"\\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9\\\n  \\ \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9\\\n  \\ \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9 \\xE9\\\n  \\ \\xE9 \\xE9 \"\n"},
		{"dates and times in ISO form", "a: 2021-01-01\nb: 2001-12-14t21:59:43.10-05:00\nc: 2001-12-14 21:59:43 Z\nd: 2021-1-1\n", "a: 2021-01-01\nb: 2001-12-14 21:59:43.100000-05:00\nc: 2001-12-14 21:59:43+00:00\nd: 2021-1-1\n"},
		{"ints of any size and in YAML 1.1 forms", "a: 123456789012345678901234567890\nb: 017\nc: 0x1F\nd: 190:20:30\ne: 0b101\nf: 1_000\n", "a: 123456789012345678901234567890\nb: 15\nc: 31\nd: 685230\ne: 5\nf: 1000\n"},
		{"floats in PyYAML's spelling", "a: .Inf\nb: -.inf\nc: .NaN\nd: 1.0e+3\ne: 1e3\nf: 6.02E+23\ng: 1:30.5\nh: 1.0e+16\n", "a: .inf\nb: -.inf\nc: .nan\nd: 1000.0\ne: 1e3\nf: 6.02e+23\ng: 90.5\nh: 1.0e+16\n"},
		{"the last of duplicate keys wins", "name: a\nname: b\n", "name: b\n"},
		{"numeric keys sort by value", "10: a\n9: b\n1.5: c\n", "1.5: c\n9: b\n10: a\n"},
		{"keys of mixed types keep their order", "b: 1\n1: 2\na: 3\n", "b: 1\n1: 2\na: 3\n"},
		{"a key that is an empty string is a complex key", "'': x\n", "? ''\n: x\n"},
		{"a string that starts a document is quoted, without an end marker", " ...", "'...'\n"},
		{"a plain string document ends with an end marker", "hello\n", "hello\n...\n"},
		{"a question mark inside a string is no indicator", "a: x?\n", "a: x?\n"},
		{"tabs are allowed in comments, quotes and block scalars", "a: x # a\tcomment\nb: \"t\\tq\tx\"\nc: 'u\tv'\nd: |\n  l\tm\n# \t\n", "a: x\nb: \"t\\tq\\tx\"\nc: \"u\\tv\"\nd: \"l\\tm\\n\"\n"},
		{"= is a string as a key", "=: x\n", "'=': x\n"},
		{"literal blocks become quoted lines", "a: |\n  line1\n  line2\n", "a: 'line1\n\n  line2\n\n  '\n"},
	}
	for _, tt := range tests {
		got, err := CondaText([]byte(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.reason, got, err, tt.want)
		}
	}
}

// TestCondaTextErrors: what the CLI refuses to load is refused.
func TestCondaTextErrors(t *testing.T) {
	tests := []struct{ reason, in string }{
		{"broken YAML", "a: ["},
		{"a tab after a colon", "name:\tx\n"},
		{"a tab at the end of a line", "name: x\t\n"},
		{"a tab inside a plain scalar", "a: x\ty\n"},
		{"a tab in a flow sequence", "a: [x,\ty]\n"},
		{"a tab before a comment", "a: x\t# c\n"},
		{"UTF-16, which the CLI does not decode", "\xff\xfen\x00:\x00 \x00x\x00\n\x00"},
		{"two documents", "a: 1\n---\nb: 2\n"},
		{"an unknown tag", "a: !!python/tuple [1, 2]\n"},
		{"= as a value", "a: =\n"},
		{"<< as a value", "a: <<\n"},
		{"an invalid date", "a: 2021-13-01\n"},
	}
	for _, tt := range tests {
		if got, err := CondaText([]byte(tt.in)); err == nil {
			t.Errorf("%s: got %q, want an error", tt.reason, got)
		}
	}
}

func FuzzCondaText(f *testing.F) {
	f.Add([]byte(vectorConda))
	f.Add([]byte("a: &x [1]\nb: *x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		s, err := CondaText(data)
		if err != nil {
			return
		}
		again, err := CondaText([]byte(s))
		if err != nil || again != s {
			t.Fatalf("the dump of %q does not read back to itself: %q, %v", s, again, err)
		}
	})
}

// TestCodeName: the name is a UUID drawn from the hash, the same for the
// same hash and another for another.
func TestCodeName(t *testing.T) {
	const vector = "83d9657056baace458c4c4842fbb147a1bd4e10b2e2567e43569191981180910"
	got := CodeName(vector)
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(got) {
		t.Errorf("CodeName = %q, not a UUID", got)
	}
	if CodeName(vector) != got || CodeName(vector[:63]+"1") == got {
		t.Error("CodeName is not a function of the hash alone")
	}
}
