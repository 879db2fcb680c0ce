package asset

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ContentHashVersion is the version of the content hash algorithm, which the
// service stores beside the hash (hash_version) and takes in list-by-hash
// queries (hashVersion).
const ContentHashVersion = "202208"

// CodeName is the name a code version with content hash h is registered
// under: a UUID drawn from the hash, where the service's CLI draws a random
// one. Any name serves, since the service finds code by its content
// whatever its name; one drawn from the content names the same version
// when the same files are registered again, after a crash or from another
// machine.
func CodeName(h string) string {
	sum := sha256.Sum256([]byte(h))
	x := hex.EncodeToString(sum[:16])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// bufSize is the read size of the hashers: large enough that a read costs
// little beside hashing what it read.
const bufSize = 256 << 10

// ContentHash returns the content hash of the tree's files (SHA-256,
// [ContentHashVersion]), the key by which the service finds a code version
// with the same content, whatever its name:
//
//	sha256( count
//	        "#" rel "#" size    for each file, in [SortFiles] order
//	        bytes               for each file, in the same order )
//
// with count and size in decimal. A file whose size has changed since the
// tree was scanned is an error: the hash would not describe what gets
// uploaded.
func (t *Tree) ContentHash() (string, error) {
	h := sha256.New()
	h.Write([]byte(strconv.Itoa(len(t.Files))))
	for _, f := range t.Files {
		io.WriteString(h, "#"+f.Rel+"#"+strconv.FormatInt(f.Size, 10))
	}
	if err := hashContents(h, t.Files); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readAhead is how many buffers the reader of [hashContents] may fill
// before the hash has taken them.
const readAhead = 4

// hashContents feeds the files' bytes to h, in order. One goroutine reads
// while the caller hashes, so that on a machine with two cores reading
// costs almost nothing beside hashing.
func hashContents(h hash.Hash, files []File) error {
	free := make(chan []byte, readAhead)
	full := make(chan chunk, readAhead)
	for range readAhead {
		free <- make([]byte, bufSize)
	}
	go readFiles(files, free, full)
	var err error
	for c := range full {
		h.Write(c.b)
		free <- c.b[:cap(c.b)]
		err = c.err
	}
	return err
}

// chunk is a piece of a file, or the error that ended the reading.
type chunk struct {
	b   []byte
	err error
}

// readFiles sends the bytes of files in order, in buffers taken from free,
// and closes full when done or at the first error (sent as the last chunk).
func readFiles(files []File, free chan []byte, full chan<- chunk) {
	defer close(full)
	for _, f := range files {
		if err := readFile(f, free, full); err != nil {
			full <- chunk{b: (<-free)[:0], err: err}
			return
		}
	}
}

func readFile(f File, free chan []byte, full chan<- chunk) error {
	r, err := os.Open(f.Source)
	if err != nil {
		return err
	}
	defer r.Close()
	var total int64
	for {
		buf := <-free
		n, err := io.ReadFull(r, buf)
		total += int64(n)
		full <- chunk{b: buf[:n]}
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return sizeCheck(f, total)
		case err != nil:
			return fmt.Errorf("asset: reading %s: %w", f.Source, err)
		}
	}
}

func sizeCheck(f File, n int64) error {
	if n != f.Size {
		return fmt.Errorf("asset: %s changed while it was read (%d bytes, %d when listed)", f.Source, n, f.Size)
	}
	return nil
}

func hashFile(h hash.Hash, f File, buf []byte) error {
	r, err := os.Open(f.Source)
	if err != nil {
		return err
	}
	defer r.Close()
	n, err := io.CopyBuffer(h, onlyReader{r}, buf)
	if err != nil {
		return fmt.Errorf("asset: reading %s: %w", f.Source, err)
	}
	return sizeCheck(f, n)
}

// onlyReader hides os.File's WriterTo, so that io.CopyBuffer uses the
// buffer it is given instead of a small one of its own.
type onlyReader struct{ io.Reader }

// Algorithm is the hash function of the object hash.
type Algorithm string

// The object hash algorithms. Every release of the service's Python SDK
// stored in Azure/azure-sdk-for-python uses MD5; a newer source seen only in
// a fork uses SHA-256 with the same seed and walk. MD5 is the default, so
// that anonymous models and build environments that the CLI registered are
// found again under the same name.
const (
	MD5    Algorithm = "md5"
	SHA256 Algorithm = "sha256"
)

func (a Algorithm) new() (hash.Hash, error) {
	switch a {
	case MD5, "":
		return md5.New(), nil
	case SHA256:
		return sha256.New(), nil
	}
	return nil, fmt.Errorf("asset: unknown object hash algorithm %q (want md5 or sha256)", string(a))
}

// objectHashSeed starts every object hash.
const objectHashSeed = "Initialize for october 2021 AML CLI version"

// ObjectHash returns the object hash of the asset at p, which names the
// LocalUpload/<hash>/ folder of a datastore upload and, hashed once more,
// an anonymous model ([AnonymousModelName]):
//
//   - a file: the seed, then the file's bytes (its name is not hashed);
//   - a folder, recursively: for each entry in case-insensitive name order
//     that the root's ignore file does not exclude, its name, then a
//     file's bytes or a folder's entries. The root folder's name is not
//     hashed; an empty sub-folder changes the hash (its name is hashed).
//
// Links are followed, relative to the link's own folder; a link whose
// target is missing adds only its name. Entries are matched against the
// ignore file as by [Scan], through the real path of their folder. A name
// that is not UTF-8 is an error, as for the CLI.
func ObjectHash(p string, alg Algorithm) (string, error) {
	h, err := alg.new()
	if err != nil {
		return "", err
	}
	io.WriteString(h, objectHashSeed)
	fi, err := os.Stat(p)
	if err != nil {
		return "", err
	}
	buf := make([]byte, bufSize)
	if !fi.IsDir() {
		err = hashFile(h, File{Source: p, Size: fi.Size()}, buf)
	} else {
		var ig Ignore
		if ig, err = ReadIgnore(p); err == nil {
			o := objectHasher{h: h, ignore: ig, buf: buf, onPath: map[string]bool{}}
			err = o.dir(p)
		}
	}
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

type objectHasher struct {
	h      hash.Hash
	ignore Ignore
	buf    []byte
	onPath map[string]bool
}

func (o *objectHasher) dir(dir string) error {
	real, err := realPath(dir)
	if err != nil {
		return err
	}
	if o.onPath[real] {
		return fmt.Errorf("asset: %s links back into a folder that contains it", dir)
	}
	o.onPath[real] = true
	defer delete(o.onPath, real)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	slices.SortFunc(names, compareNames)
	for _, name := range names {
		if err := o.entry(dir, real, name); err != nil {
			return err
		}
	}
	return nil
}

// entry hashes the entry name of the folder dir, whose real path is real.
// Folders are matched against the ignore file too, as by the CLI.
func (o *objectHasher) entry(dir, real, name string) error {
	if o.ignore.excludedIn(real, name) {
		return nil
	}
	if err := checkUTF8(name); err != nil {
		return err
	}
	io.WriteString(o.h, name)
	src := filepath.Join(dir, name)
	fi, err := os.Stat(src)
	switch {
	case missing(err):
		return nil // a link whose target is missing: its name only, as for the CLI
	case err != nil:
		return err
	case fi.IsDir():
		return o.dir(src)
	case fi.Mode().IsRegular():
		return hashFile(o.h, File{Source: src, Size: fi.Size()}, o.buf)
	}
	return nil
}

func compareNames(a, b string) int {
	if c := strings.Compare(pyLower(a), pyLower(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// AnonymousModelName is the name the service's CLI gives a model registered
// from a local path without a name: the hex digest, by the same algorithm,
// of the object hash's hex text. Its version is always "1".
func AnonymousModelName(objectHash string, alg Algorithm) (string, error) {
	h, err := alg.new()
	if err != nil {
		return "", err
	}
	io.WriteString(h, objectHash)
	return hex.EncodeToString(h.Sum(nil)), nil
}
