package asset

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkContentHash hashes a folder of 16 files of 4 MiB and, in the
// same iterations, the same bytes (64 MiB, not one buffer that the cache keeps) from memory with crypto/sha256 alone, and
// reports the folder's throughput as a share of the raw one
// (raw-sha256-ratio): reading files and walking the folder must cost little
// beside hashing. The two are interleaved so that a loaded machine slows
// both alike.
func BenchmarkContentHash(b *testing.B) {
	const files, size = 16, 4 << 20
	dir := b.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([][]byte, files)
	for i := range data {
		data[i] = make([]byte, size)
		for j := range data[i] {
			data[i][j] = byte(rng.Uint32())
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d.bin", i)), data[i], 0o644); err != nil {
			b.Fatal(err)
		}
	}
	tree, err := Scan(dir)
	if err != nil {
		b.Fatal(err)
	}
	total := float64(files * size)
	var folder, raw time.Duration
	b.SetBytes(files * size)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := tree.ContentHash(); err != nil {
			b.Fatal(err)
		}
		folder += time.Since(start)
		start = time.Now()
		h := sha256.New()
		for _, d := range data {
			h.Write(d)
		}
		h.Sum(nil)
		raw += time.Since(start)
	}
	b.ReportMetric(total*float64(b.N)/folder.Seconds()/1e6, "folder-MB/s")
	b.ReportMetric(total*float64(b.N)/raw.Seconds()/1e6, "raw-MB/s")
	b.ReportMetric(raw.Seconds()/folder.Seconds(), "raw-sha256-ratio")
}
