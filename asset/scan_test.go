package asset

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func rels(t *Tree) string {
	var out []string
	for _, f := range t.Files {
		out = append(out, f.Rel)
	}
	return strings.Join(out, " ")
}

func TestScan(t *testing.T) {
	tests := []struct {
		reason string
		files  map[string]string
		want   string
	}{
		{"gitignore applies when there is no amlignore", map[string]string{".gitignore": "*.pyc\n", "a.py": "", "a.pyc": ""}, ".gitignore a.py"},
		{"amlignore wins over gitignore", map[string]string{".amlignore": "*.txt\n", ".gitignore": "*.py\n", "a.py": "", "b.txt": ""}, ".amlignore .gitignore a.py"},
		{"ignore files in sub-folders have no effect", map[string]string{"sub/.amlignore": "*\n", "sub/a.py": ""}, "sub/.amlignore sub/a.py"},
		{"an excluded folder takes its files with it", map[string]string{".amlignore": "__pycache__/\n", "__pycache__/x.pyc": "", "a.py": ""}, ".amlignore a.py"},
		{"the ignore file can exclude itself", map[string]string{".amlignore": ".amlignore\n", "a.py": ""}, "a.py"},
		{"nothing is excluded by default", map[string]string{".git/HEAD": "", "a.py": ""}, ".git/HEAD a.py"},
		{"order is case-insensitive, ties byte-wise", map[string]string{"b": "", "A": "", "a": "", "C/x": ""}, "A a b C/x"},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		writeTree(t, dir, tt.files)
		tree, err := Scan(dir)
		if err != nil {
			t.Errorf("%s: %v", tt.reason, err)
			continue
		}
		if got := rels(tree); got != tt.want {
			t.Errorf("%s: files %q, want %q", tt.reason, got, tt.want)
		}
	}
}

func TestScanEmpty(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{".amlignore": "*\n", "a.py": ""})
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Scan(dir)
	if !errors.Is(err, ErrEmpty) || !strings.Contains(err.Error(), dir) {
		t.Errorf("Scan of a folder whose files are all ignored: %v, want ErrEmpty naming the folder", err)
	}
}

func TestScanLinks(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"shared/util.py": "U", "code/score.py": "S", "target.txt": "T"})
	code := filepath.Join(dir, "code")
	mustLink(t, "../shared", filepath.Join(code, "lib"))
	mustLink(t, "../target.txt", filepath.Join(code, "data.txt"))
	tree, err := Scan(code)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rels(tree), "data.txt lib/util.py score.py"; got != want {
		t.Errorf("files %q, want %q: links take the link's name", got, want)
	}
	plain := filepath.Join(dir, "plain")
	writeTree(t, plain, map[string]string{"data.txt": "T", "lib/util.py": "U", "score.py": "S"})
	a, b := contentHash(t, code), contentHash(t, plain)
	if a != b {
		t.Errorf("a folder with links hashes %s, the same folder with copies %s", a, b)
	}
	mustLink(t, "..", filepath.Join(code, "loop"))
	if _, err := Scan(code); err == nil || !strings.Contains(err.Error(), "links back") {
		t.Errorf("Scan of a link cycle: %v, want an error", err)
	}
	if _, err := ObjectHash(code, MD5); err == nil || !strings.Contains(err.Error(), "links back") {
		t.Errorf("ObjectHash of a link cycle: %v, want an error", err)
	}
}

func mustLink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symbolic links: %v", err)
	}
}

func contentHash(t testing.TB, dir string) string {
	t.Helper()
	tree, err := Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := tree.ContentHash()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestContentHashChangedFile(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.py": "one"})
	tree, err := Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, dir, map[string]string{"a.py": "longer"})
	if _, err := tree.ContentHash(); err == nil || !strings.Contains(err.Error(), "changed while it was read") {
		t.Errorf("ContentHash after the file grew: %v, want an error", err)
	}
}

func TestHashesSeeEveryByte(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"score.py": "import json\n", "sub/x": "1"})
	before := contentHash(t, dir)
	obefore, _ := ObjectHash(dir, MD5)
	writeTree(t, dir, map[string]string{"score.py": "import jsoN\n"})
	if contentHash(t, dir) == before {
		t.Error("content hash unchanged after one byte changed")
	}
	if o, _ := ObjectHash(dir, MD5); o == obefore {
		t.Error("object hash unchanged after one byte changed")
	}
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeTree(t, dir, map[string]string{"score.py": "import json\n"})
	if contentHash(t, dir) != before {
		t.Error("content hash changed by an empty folder, which holds no file")
	}
	if o1, _ := ObjectHash(dir, MD5); o1 == obefore {
		t.Error("object hash ignores an empty folder, which the CLI hashes by name")
	}
}

func TestUnknownAlgorithm(t *testing.T) {
	_, err := ObjectHash(t.TempDir(), "crc32")
	if err == nil || !strings.Contains(err.Error(), `"crc32"`) {
		t.Errorf("ObjectHash with an unknown algorithm: %v", err)
	}
}

// FuzzWalkOrder (run with TMPDIR on a tmpfs: each input writes two folders)
// checks that the hashes do not depend on the order in which
// files are created (and so listed by the file system) nor on the order of
// a tree's files before sorting.
func FuzzWalkOrder(f *testing.F) {
	f.Add(uint64(1), "a,B,b,A/x,a/y,.amlignore")
	f.Add(uint64(7), "score.py,Sub/helper.py,sub/Helper.py,z")
	f.Fuzz(func(t *testing.T, seed uint64, names string) {
		files := fuzzFiles(names)
		if len(files) == 0 {
			return
		}
		rng := rand.New(rand.NewPCG(seed, seed>>1))
		one, two := t.TempDir(), t.TempDir()
		writeInOrder(t, one, files, rng.Perm(len(files)))
		writeInOrder(t, two, files, rng.Perm(len(files)))
		t1, err1 := Scan(one)
		t2, err2 := Scan(two)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("Scan: %v and %v", err1, err2)
		}
		if err1 != nil {
			return
		}
		h1, _ := t1.ContentHash()
		h2, _ := t2.ContentHash()
		rng.Shuffle(len(t2.Files), func(i, j int) { t2.Files[i], t2.Files[j] = t2.Files[j], t2.Files[i] })
		SortFiles(t2.Files)
		h3, _ := t2.ContentHash()
		if h1 != h2 || h2 != h3 {
			t.Fatalf("content hashes differ by walk order: %s %s %s", h1, h2, h3)
		}
		o1, _ := ObjectHash(one, MD5)
		o2, _ := ObjectHash(two, MD5)
		if o1 != o2 {
			t.Fatalf("object hashes differ by walk order: %s %s", o1, o2)
		}
	})
}

// fuzzFiles turns a comma-separated list into distinct relative paths that
// a file system can hold, each file's content being its index.
func fuzzFiles(names string) map[string]string {
	files := map[string]string{}
	for i, n := range strings.Split(names, ",") {
		n = strings.Trim(n, "/")
		if n == "" || len(n) > 40 || strings.ContainsAny(n, "\x00\\:") || strings.Contains(n, "//") {
			continue
		}
		ok := true
		for _, seg := range strings.Split(n, "/") {
			ok = ok && seg != "." && seg != ".."
		}
		if ok && len(files) < 12 {
			files[n] = fmt.Sprint(i)
		}
	}
	// A path cannot be both a file and a folder.
	for n := range files {
		for m := range files {
			if strings.HasPrefix(m, n+"/") {
				delete(files, n)
			}
		}
	}
	return files
}

func writeInOrder(t *testing.T, dir string, files map[string]string, perm []int) {
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, i := range perm {
		writeTree(t, dir, map[string]string{keys[i]: files[keys[i]]})
	}
}

// TestContentHashLargeFiles checks the read-ahead against the definition,
// with files that span several buffers and end inside one.
func TestContentHashLargeFiles(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("0123456789abcdef", (3*bufSize+7)/16)
	writeTree(t, dir, map[string]string{"b.bin": big, "a.bin": big[:bufSize], "c.bin": ""})
	h := sha256.New()
	fmt.Fprintf(h, "3#a.bin#%d#b.bin#%d#c.bin#0%s%s", bufSize, len(big), big[:bufSize], big)
	if got, want := contentHash(t, dir), hex.EncodeToString(h.Sum(nil)); got != want {
		t.Errorf("content hash %s, want %s", got, want)
	}
}
