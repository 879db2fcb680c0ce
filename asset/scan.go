package asset

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// ErrEmpty is returned for a folder that holds no file once the ignore file
// has been applied: the service's CLI refuses to upload it
// (EmptyDirectoryError), and so does this package.
var ErrEmpty = errors.New("asset: folder holds no files to upload")

// File is one regular file of an asset.
type File struct {
	// Rel is the /-separated path below the asset's folder (the folder's own
	// name not included), or the base name for a single-file asset. A file
	// reached through a symbolic link has the link's name.
	Rel string
	// Source is the path the bytes are read from (the link's target for a
	// link).
	Source string
	// Size is the size in bytes when the asset was scanned.
	Size int64
}

// Tree is a local asset as the service's CLI uploads it: a single file, or
// the regular files of a folder minus those its ignore file excludes.
type Tree struct {
	// Path is the asset's path, as given to [Scan].
	Path string
	// Dir reports whether the asset is a folder.
	Dir bool
	// Files are sorted by the content hash's order: case-insensitively by
	// Rel, then by Rel byte-wise, so that the order never depends on the
	// order in which the file system lists a folder.
	Files []File
	// Ignore is the root folder's ignore file (zero for none and for files).
	Ignore Ignore
	// name is the base name of Path with links resolved.
	name string
}

// Name is the base name of the asset's path, links resolved as the
// service's CLI resolves the path: the folder or file name that it puts in
// front of every blob it uploads.
func (t *Tree) Name() string {
	if t.name == "" {
		return filepath.Base(filepath.Clean(t.Path))
	}
	return t.name
}

// Size is the sum of the sizes of the files.
func (t *Tree) Size() int64 {
	var n int64
	for _, f := range t.Files {
		n += f.Size
	}
	return n
}

// Scan lists the files of the asset at p, following symbolic links as the
// service's CLI does: a link in a folder takes the link's name and the
// target's bytes, and a link to a folder is walked like a folder (a link
// that leads back into a folder being walked is an error, not an endless
// walk). A single file reached through a link takes its target's name, as
// the CLI resolves the asset's path. Only the root folder's ignore file
// applies (see [ReadIgnore]), to files only: a file is matched by its path
// through the real path of its folder, so a file in a linked folder is
// matched where the link leads. Files in a folder that a pattern excludes
// are excluded with it. A link whose target is missing is an error unless
// it is excluded. Anything that is not a regular file or a folder (a
// socket, a device) is skipped. A file name that is not UTF-8 is an error,
// as for the CLI.
func Scan(p string) (*Tree, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	real, err := realPath(p)
	if err != nil {
		return nil, err
	}
	t := &Tree{Path: p, Dir: fi.IsDir(), name: filepath.Base(real)}
	if !t.Dir {
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("asset: %s is neither a regular file nor a folder", p)
		}
		t.Files = []File{{Rel: t.name, Source: p, Size: fi.Size()}}
		return t, checkUTF8(t.name)
	}
	if t.Ignore, err = ReadIgnore(p); err != nil {
		return nil, err
	}
	w := walker{ignore: t.Ignore, onPath: map[string]bool{}}
	if err := w.walk(p, ""); err != nil {
		return nil, err
	}
	if len(w.files) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrEmpty, p)
	}
	SortFiles(w.files)
	t.Files = w.files
	return t, nil
}

// SortFiles sorts files into the content hash's order: by Rel lowered as
// Python lowers it, then by Rel.
func SortFiles(files []File) {
	slices.SortFunc(files, compareFiles)
}

func compareFiles(a, b File) int {
	if c := strings.Compare(pyLower(a.Rel), pyLower(b.Rel)); c != 0 {
		return c
	}
	return strings.Compare(a.Rel, b.Rel)
}

type walker struct {
	ignore Ignore
	// onPath holds the real paths of the folders being walked, to refuse
	// a link cycle.
	onPath map[string]bool
	files  []File
}

func (w *walker) walk(dir, rel string) error {
	real, err := realPath(dir)
	if err != nil {
		return err
	}
	if w.onPath[real] {
		return fmt.Errorf("asset: %s links back into a folder that contains it", dir)
	}
	w.onPath[real] = true
	defer delete(w.onPath, real)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := w.entry(dir, real, rel, e.Name()); err != nil {
			return err
		}
	}
	return nil
}

// entry takes the entry name of the folder dir, whose real path is real.
func (w *walker) entry(dir, real, rel, name string) error {
	src := filepath.Join(dir, name)
	fi, err := os.Stat(src) // follows links
	switch {
	case err == nil && fi.IsDir():
		return w.walk(src, path.Join(rel, name))
	case w.ignore.excludedIn(real, name):
		return nil
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return nil
	}
	r := path.Join(rel, name)
	if err := checkUTF8(r); err != nil {
		return err
	}
	w.files = append(w.files, File{Rel: r, Source: src, Size: fi.Size()})
	return nil
}

// checkUTF8 refuses a name that is not UTF-8, which the CLI cannot encode
// to hash it.
func checkUTF8(name string) error {
	if !utf8.ValidString(name) {
		return fmt.Errorf("asset: the name %q is not UTF-8 text", name)
	}
	return nil
}
