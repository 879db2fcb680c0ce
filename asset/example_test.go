package asset_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/rolloutkit/rollout/asset"
)

// The content hash of a scoring folder, as the service stores it in the
// hash_sha256 property of a code version; the .amlignore leaves the log out.
func Example() {
	dir, _ := os.MkdirTemp("", "asset-example")
	defer os.RemoveAll(dir)
	code := filepath.Join(dir, "onlinescoring")
	os.MkdirAll(filepath.Join(code, "Sub"), 0o755)
	os.WriteFile(filepath.Join(code, "score.py"), []byte("import json\n"), 0o644)
	os.WriteFile(filepath.Join(code, "Sub", "helper.py"), []byte("X = 1\n"), 0o644)
	os.WriteFile(filepath.Join(code, ".amlignore"), []byte("*.log\n"), 0o644)
	os.WriteFile(filepath.Join(code, "debug.log"), []byte("ignored\n"), 0o644)

	tree, err := asset.Scan(code)
	if err != nil {
		fmt.Println(err)
		return
	}
	hash, err := tree.ContentHash()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tree.Name(), len(tree.Files), "files,", tree.Size(), "bytes")
	fmt.Println(hash)
	// Output:
	// onlinescoring 3 files, 24 bytes
	// 83d9657056baace458c4c4842fbb147a1bd4e10b2e2567e43569191981180910
}
