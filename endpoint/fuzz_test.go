package endpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// aliasBomb is "billion laughs": nine levels of nine aliases, which a
// walker that follows aliases would expand to 9^9 nodes.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("name: my-endpoint\nauth_mode: key\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < 9; i++ {
		alias := fmt.Sprintf("*a%d", i-1)
		fmt.Fprintf(&b, "a%d: &a%d [%s%s]\n", i, i, strings.Repeat(alias+", ", 8), alias)
	}
	b.WriteString("tags: *a8\n")
	return b.String()
}

// deepNesting is n levels of flow lists under a spec key.
func deepNesting(n int) string {
	return "name: my-endpoint\nauth_mode: key\ntags: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n"
}

// bigScalar is a spec whose description is size bytes long.
func bigScalar(size int) string {
	return "name: my-endpoint\nauth_mode: key\ndescription: " + strings.Repeat("x", size) + "\n"
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(managed))
	f.Add([]byte(aliasBomb()))
	f.Add([]byte(deepNesting(10000)))
	f.Add([]byte(bigScalar(2 << 20)))
	f.Add([]byte("deployments:\n  blue: {model: 'azureml:m:1', scale_settings: {scale_type: auto, instance_count: 1}}\n"))
	f.Add([]byte("name: e\ntraffic: {a: 101, b: -1}\nmirror_traffic: {a: 50}\n"))
	f.Add([]byte(legacyKubernetes))
	f.Add([]byte(strings.Replace(kubernetes, "cpu: 0.1", "gpu: 1\n      limits: {nvidia.com/gpu: 2}", 1)))
	f.Add([]byte(strings.Replace(managed, "instance_count: 1", "private_network_connection: true\n    model: {id: x, name: m, version: 1}", 1)))
	dir := filepath.Join("..", "..", "shared", "corpus", "azureml-examples")
	if _, err := os.Stat(dir); err == nil {
		fsys := os.DirFS(dir)
		for _, name := range corpusFiles(f, fsys) {
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Parse("fuzz.yml", data)
		if (e == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v: want exactly one of an endpoint and an error", e, err)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		if err := Validate(e); err != nil {
			t.Fatalf("a loaded endpoint does not validate: %v", err)
		}
	})
}

// TestHostileInputs runs the inputs an attacker would try with limits
// that let them reach the parser, and checks they are refused.
func TestHostileInputs(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		want   string
		reason string
	}{
		{"alias bomb", aliasBomb(), "anchors (&a0) are not allowed", "refused before anything follows an alias"},
		{"10000 levels", deepNesting(10000), "nested more than 32 levels deep", "refused before anything recurses into it"},
		{"2 MiB scalar", bigScalar(2 << 20), "", "a long value within the limit is just a long value"},
	}
	l := Loader{MaxFileSize: 4 << 20}
	for _, tt := range tests {
		_, err := l.Parse("hostile.yml", []byte(tt.data))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v (%s)", tt.name, err, tt.reason)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: error %v, want one containing %q (%s)", tt.name, err, tt.want, tt.reason)
		}
	}
}
