package asset

import (
	"os"
	"path/filepath"
	"testing"
)

// node is one entry of a test tree: kind "f" is a file with content arg,
// "l" a symbolic link to arg.
type node struct{ kind, rel, arg string }

func buildNodes(t *testing.T, dir string, nodes []node) {
	t.Helper()
	for _, n := range nodes {
		p := filepath.Join(dir, filepath.FromSlash(n.rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		switch n.kind {
		case "f":
			if err := os.WriteFile(p, []byte(n.arg), 0o644); err != nil {
				t.Fatal(err)
			}
		case "l":
			mustLink(t, n.arg, p)
		}
	}
}

// TestSDKVectors holds trees on which this package once disagreed with the
// SDK. The expected values were computed by the SDK's own functions
// (azure-ai-ml _asset_utils.py: get_content_hash, get_object_hash,
// get_ignore_file) on the same trees, the asset being "a". An empty
// content hash means the SDK fails on the tree.
func TestSDKVectors(t *testing.T) {
	tests := []struct {
		reason                  string
		nodes                   []node
		files, content          string
		objectMD5, objectSHA256 string
	}{
		{"an ignore file written with a byte order mark",
			[]node{{"f", "a/.amlignore", "\ufeff*.log\n"}, {"f", "a/x.log", "1"}, {"f", "a/z", "3"}},
			".amlignore z", "3a865d80f7a8612eb7deee95e23e705eff1749a0572ba9ea75521e94711ae54f",
			"4ceb7c1a5e0e1391ca7d5b53c11aac80", "be771c3e5bedb9fe1ad70e3a258c5e63bea77b953c524094db397c8071b86ba3"},
		{"an ignore file with classic Mac line ends",
			[]node{{"f", "a/.amlignore", "*.log\r*.tmp\r"}, {"f", "a/x.log", "1"}, {"f", "a/y.tmp", "2"}, {"f", "a/z", "3"}},
			".amlignore z", "17326c430c0623e373a8b2c237b1930d1e72c1efb707e710a4b499612f5f7269",
			"727a38bccf71d0be5819a6f2c97814ae", "3658901c2a06841c661966b60d035dad0ba826245e9ee1f3d9bafa99455aeaf9"},
		{"Python strips the separators \\x1c-\\x1f as white space",
			[]node{{"f", "a/.amlignore", "x.log\x1c\n"}, {"f", "a/x.log", "1"}, {"f", "a/y", "2"}},
			".amlignore y", "01ef2a59f6ac9324841629fa4cbc27730dd20dbd14fa9693aa4d808ea40a26fb",
			"7e9744a63b573b3d30374c0e41df7d78", "630995dca7bdbab4971c930b80319fa16a1965320cfab7029f8e416ffe09dd68"},
		{"files in a linked folder are matched by their real path",
			[]node{{"f", "shared/u.py", "U"}, {"f", "shared/v.log", "V"}, {"f", "a/.amlignore", "*.log\nlib/\n"}, {"f", "a/x", "1"}, {"l", "a/lib", "../shared"}},
			".amlignore lib/u.py x", "c4aa93916fe064c6a52f8619fb5c9825624811221125a54902d118e82d23ea78",
			"941ecf77541f7744f076546c6f9e4785", "9fa23b861c3036c3ef455ca4290129c82b414420d6c2b9e63667150851ce1408"},
		{"an anchored pattern does not see through a link",
			[]node{{"f", "shared/u.py", "U"}, {"f", "a/.amlignore", "/lib/u.py\n"}, {"f", "a/x", "1"}, {"l", "a/lib", "../shared"}},
			".amlignore lib/u.py x", "f391607aafdbbbb4e796ffb3fd7ce220be3ef1a82cfa62e591785737b0917ed7",
			"1b73283a7ba1c8802a49ede56ce61e0a", "2f4c06d56a749c2328550824e6725e1193ca55325d8dbe7a98e1a2b1a54b2f2e"},
		{"a link inside the folder is matched by its target's path",
			[]node{{"f", "a/real/u.py", "U"}, {"f", "a/real/w.py", "W"}, {"f", "a/.amlignore", "/real/u.py\n"}, {"l", "a/alias", "real"}},
			".amlignore alias/w.py real/w.py", "371f63f41d5e09077d055ca2dd398a780839340c28be1e1f62a949fcc8e0c73b",
			"7faa3b9c74783fca2fa994a29c22fbdb", "cdb4ff334a02b865fd7eb5dfa9f945eb51e3135f6e91ed1b54f6ed8d48236078"},
		{"an ignore file that is a link is relative to its target's folder",
			[]node{{"f", "shared/.amlignore", "/x.log\n"}, {"f", "a/x.log", "1"}, {"f", "a/y", "2"}, {"l", "a/.amlignore", "../shared/.amlignore"}},
			".amlignore x.log y", "5472a77a860735cf77d567f8b926a43483111e4dd73f37a5a91d720c95569dea",
			"e12d36e235aaa8a450854747529d7a9c", "22bd6c783fcdd28051498c09f0b81fcf8e6f5b578e0c2393e73a126cbe76229c"},
		{"a dangling link that is excluded is skipped",
			[]node{{"f", "a/.amlignore", "dang\n"}, {"f", "a/x", "1"}, {"l", "a/dang", "nowhere"}},
			".amlignore x", "2418af6d4f205c385144cbd535927df70eebeacd6a633b738e141a80ad1ad912",
			"b460874e782f7f0b1eb8f776f7a53427", "38c2e286e69d7f4672affe4f9a2debfc059d1b84cb24a65cdffdfb17f1ea9b12"},
		{"a dangling link adds only its name to the object hash",
			[]node{{"f", "a/.amlignore", "*.log\n"}, {"f", "a/x", "1"}, {"l", "a/dang", "nowhere"}},
			"", "",
			"e4cdcadc08a8040daa5737d031130231", "e8414b4ef3f6a500620319f5e4277b5f9a0691fe92a82615fc7e707bed40ba5e"},
		{"a single file reached through a link takes its target's name",
			[]node{{"f", "target.bin", "abc"}, {"l", "a", "target.bin"}},
			"target.bin", "1857cbb22b6392e70947c6db4dbedc0b3b0e854c1070bcc162b2a29a5da877e2",
			"3dd4b37a5b6c38dd3ff9b4d192fbe46b", "8c9f3c3c7166fa465b6774bdf7df9836af6b9f51475fcb9d53d8589958376b25"},
		{"a dotted capital I lowers to two characters",
			[]node{{"f", "a/\u0130x", "1"}, {"f", "a/iy", "2"}, {"f", "a/ia", "3"}},
			"ia iy \u0130x", "ccf2d68d3ef3674a89219d87402b21e503df47d07167536425718894eccdfe81",
			"0f8f6e2727a876f1a71f9e63791ab0ae", "a79209a2e9b3a258c69d876987440150d3c963474683be264b4e1ce9b63c7f5e"},
		{"a final capital sigma lowers to the final form",
			[]node{{"f", "a/\u0391\u03a3", "1"}, {"f", "a/\u03b1\u03c3\u03b1", "2"}, {"f", "a/\u03b1\u03c2a", "3"}},
			"\u0391\u03a3 \u03b1\u03c2a \u03b1\u03c3\u03b1", "2723db33f0a8b80bccdc6b0bffebaa6e2b5af5b98690f17f1ac8240a13895428",
			"8b85a2ee6ca7d4dac4801acba3cc98cc", "b6f5cbfc503ae4e86f2279e63ac54ccbdc3dd9c05de3aa1b093a56c657e2bcb4"},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		buildNodes(t, dir, tt.nodes)
		a := filepath.Join(dir, "a")
		tree, err := Scan(a)
		switch {
		case tt.content == "" && err == nil:
			t.Errorf("%s: Scan succeeded, want an error as the SDK fails", tt.reason)
		case tt.content != "" && err != nil:
			t.Errorf("%s: Scan: %v", tt.reason, err)
		case err == nil:
			if got := rels(tree); got != tt.files {
				t.Errorf("%s: files %q, want %q", tt.reason, got, tt.files)
			}
			if h, err := tree.ContentHash(); err != nil || h != tt.content {
				t.Errorf("%s: content hash %s, %v; want %s", tt.reason, h, err, tt.content)
			}
		}
		for alg, want := range map[Algorithm]string{MD5: tt.objectMD5, SHA256: tt.objectSHA256} {
			if h, err := ObjectHash(a, alg); err != nil || h != want {
				t.Errorf("%s: %s object hash %s, %v; want %s", tt.reason, alg, h, err, want)
			}
		}
	}
}

// TestNamesNotUTF8: the CLI fails on a file name that is not UTF-8 (it
// cannot encode it to hash it), unless the ignore file excludes it.
func TestNamesNotUTF8(t *testing.T) {
	tests := []struct {
		reason string
		nodes  []node
		fails  bool
	}{
		{"a file", []node{{"f", "a/ok", "1"}, {"f", "a/bad\xff", "2"}}, true},
		{"a file in a folder", []node{{"f", "a/ok", "1"}, {"f", "a/bad\xff/x", "2"}}, true},
		{"an excluded file", []node{{"f", "a/ok", "1"}, {"f", "a/bad\xff", "2"}, {"f", "a/.amlignore", "bad*\n"}}, false},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		buildNodes(t, dir, tt.nodes)
		a := filepath.Join(dir, "a")
		_, err := Scan(a)
		_, oerr := ObjectHash(a, MD5)
		if (err != nil) != tt.fails || (oerr != nil) != tt.fails {
			t.Errorf("%s: Scan: %v, ObjectHash: %v; want failures %v", tt.reason, err, oerr, tt.fails)
		}
	}
}

// TestTreeName: the name in front of the blobs is that of the resolved
// path, as the CLI resolves it (Path.resolve) before it uploads.
func TestTreeName(t *testing.T) {
	dir := t.TempDir()
	buildNodes(t, dir, []node{{"f", "real/x", "1"}, {"l", "alias", "real"}, {"f", "m.pkl", "m"}, {"l", "model", "m.pkl"}})
	t.Chdir(filepath.Join(dir, "real"))
	tests := []struct{ reason, path, want string }{
		{"the current folder", ".", "real"},
		{"a link to a folder", filepath.Join(dir, "alias"), "real"},
		{"a link to a file", filepath.Join(dir, "model"), "m.pkl"},
		{"a plain folder", filepath.Join(dir, "real"), "real"},
	}
	for _, tt := range tests {
		tree, err := Scan(tt.path)
		if err != nil {
			t.Errorf("%s: %v", tt.reason, err)
		} else if got := tree.Name(); got != tt.want {
			t.Errorf("%s: Name() = %q, want %q", tt.reason, got, tt.want)
		}
	}
}
