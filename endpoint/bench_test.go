package endpoint

import (
	"io/fs"
	"testing"
)

// BenchmarkLoadCorpus classifies and decodes every YAML file of the
// service's examples, the work of a directory walk, and reports the time
// per file.
func BenchmarkLoadCorpus(b *testing.B) {
	fsys := corpusFS(b)
	names := corpusFiles(b, fsys)
	data := make([][]byte, len(names))
	for i, name := range names {
		var err error
		if data[i], err = fs.ReadFile(fsys, name); err != nil {
			b.Fatal(err)
		}
	}
	var l Loader
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i, name := range names {
			if f := l.decodeFile(name, data[i], false); len(f.errs) > 0 {
				b.Fatal(f.errs)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(names)), "ns/file")
}

// BenchmarkParse loads one step of the declarative flow: two deployments
// in the 2021 list form, validated and normalized.
func BenchmarkParse(b *testing.B) {
	fsys := corpusFS(b)
	const name = "canary-declarative-flow/2021-08-05/4-flight-green.yml"
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(name, data); err != nil {
			b.Fatal(err)
		}
	}
}
