package endpoint

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// defaultMaxFileSize is the cap on a file when Loader.MaxFileSize is 0. The
// largest spec in the service's examples is under 4 KiB.
const defaultMaxFileSize = 1 << 20

// Loader loads endpoint specs. The zero value is ready to use.
type Loader struct {
	// EndpointName names an endpoint file that has no name: key (the
	// Kubernetes flow passed it on the command line) and joins deployment
	// files without endpoint_name.
	EndpointName string
	// MaxFileSize caps each file; 0 means 1 MiB. Larger input is an error,
	// not read whole.
	MaxFileSize int64
	// RefuseLegacy makes the 2021 forms of fields (local_path,
	// scale_settings.instance_count, scale_type, docker.image,
	// resource_requirements, an endpoint's type: online and target:)
	// errors, as they are for today's az ml. By default they load, each
	// with a warning that names today's form.
	RefuseLegacy bool
}

// Skipped is a YAML file that is not an endpoint or deployment spec (conda
// file, model/environment asset, package spec, template, ...), found while
// walking a directory.
type Skipped struct {
	Path   string
	Reason string
}

// Result is what [Loader.Load] found.
type Result struct {
	// Endpoints are sorted by name; the deployments of each by name.
	Endpoints []*Endpoint
	// Skipped are sorted by path.
	Skipped []Skipped
	// Warnings are about specs that loaded but are written in a form the
	// service's CLI has deprecated or no longer accepts, sorted, every
	// one with SeverityWarning. Each endpoint has its own too
	// ([Endpoint.Warnings]).
	Warnings ErrorList
}

// Load reads endpoint and deployment specs from the operating system's
// file system. Each path is a file or a directory, which is walked
// recursively for *.yml and *.yaml files (in any case), leaving out
// directories whose names begin with a dot; a symbolic link so named is
// read as the file it links to, from where the link is.
//
// A file named in paths must be a spec; a file found by walking that is not
// one is returned in Result.Skipped with the reason (see the package
// documentation for how files are told apart and what counts as a
// template). Deployment files join the endpoint named by their
// endpoint_name, or by l.EndpointName. Every endpoint is then validated
// and normalized.
//
// Any problem in any file makes Load return a nil result and an
// [ErrorList] with every problem found, sorted.
func (l *Loader) Load(paths ...string) (*Result, error) {
	return l.load(osTree{}, paths)
}

// LoadFS is [Loader.Load] over fsys, with paths as fs.FS names
// (slash-separated, unrooted). Programs can load specs they embed.
func (l *Loader) LoadFS(fsys fs.FS, paths ...string) (*Result, error) {
	return l.load(fsTree{fsys}, paths)
}

// Parse loads one endpoint file, with its deployments inside, from data;
// filename is used in positions and as the base of relative paths, which
// stay relative to its directory. The endpoint is validated and
// normalized.
func (l *Loader) Parse(filename string, data []byte) (*Endpoint, error) {
	var errs ErrorList
	if int64(len(data)) > l.maxFileSize() {
		errs.Add(Pos{File: filename}, "", "file is %d bytes, more than the limit of %d (Loader.MaxFileSize)", len(data), l.maxFileSize())
		return nil, errs.Err()
	}
	f := l.decodeFile(filename, data, true)
	errs = append(errs, f.errs...)
	if len(errs) == 0 && f.kind != endpointFile {
		errs.Add(Pos{File: filename, Line: f.root.Line, Column: f.root.Column}, "", "a deployment file; Parse reads an endpoint file with its deployments inside (use Load with the endpoint file and the deployment files)")
	}
	if len(errs) > 0 {
		return nil, errs.Err()
	}
	e := f.endpoint
	e.src = &source{pos: f.pos, shown: f.shown, file: filename, warnings: f.warns}
	e.src.warnings.Sort()
	if err := finish(e); err != nil {
		appendErr(&errs, err, filename)
		return nil, errs.Err()
	}
	return e, nil
}

// Load loads specs with the zero [Loader] and returns the endpoints,
// leaving out the files it skipped.
func Load(paths ...string) ([]*Endpoint, error) {
	var l Loader
	r, err := l.Load(paths...)
	if err != nil {
		return nil, err
	}
	return r.Endpoints, nil
}

// Parse parses one endpoint file with the zero [Loader].
func Parse(filename string, data []byte) (*Endpoint, error) {
	var l Loader
	return l.Parse(filename, data)
}

func (l *Loader) maxFileSize() int64 {
	if l.MaxFileSize > 0 {
		return l.MaxFileSize
	}
	return defaultMaxFileSize
}

// tree is a file system Load can walk: the operating system's or an
// fs.FS. Their paths differ (OS-specific and possibly absolute, or
// slash-separated and unrooted), and so does how a directory is named for
// resolving relative paths between files.
type tree interface {
	stat(name string) (fs.FileInfo, error)
	walk(root string, fn func(name string)) error
	open(name string) (io.ReadCloser, error)
	// dir is the directory of the file name, in a form that rel accepts.
	dir(name string) (string, error)
	// rel is the slash-separated path of target relative to base.
	rel(base, target string) (string, error)
	// same is the one spelling of name's path that every spelling of it
	// has (./ep.yml, ep.yml, d/../ep.yml), so a file reached twice is
	// read once.
	same(name string) string
}

type osTree struct{}

func (osTree) stat(name string) (fs.FileInfo, error)   { return os.Stat(name) }
func (osTree) open(name string) (io.ReadCloser, error) { return os.Open(name) }
func (osTree) dir(name string) (string, error)         { return filepath.Abs(filepath.Dir(name)) }

func (osTree) same(name string) string {
	if abs, err := filepath.Abs(name); err == nil {
		return abs
	}
	return filepath.Clean(name)
}

func (osTree) rel(base, target string) (string, error) {
	r, err := filepath.Rel(base, target)
	return filepath.ToSlash(r), err
}

func (osTree) walk(root string, fn func(string)) error {
	return filepath.WalkDir(root, func(name string, d fs.DirEntry, err error) error {
		return visit(name, root, d, err, fn)
	})
}

type fsTree struct{ fsys fs.FS }

func (t fsTree) stat(name string) (fs.FileInfo, error)   { return fs.Stat(t.fsys, name) }
func (t fsTree) open(name string) (io.ReadCloser, error) { return t.fsys.Open(name) }
func (fsTree) dir(name string) (string, error)           { return path.Dir(name), nil }
func (fsTree) same(name string) string                   { return path.Clean(name) }

// rel works on fs.FS names, which have no "..": the base is always a
// directory inside the same tree.
func (fsTree) rel(base, target string) (string, error) {
	r, err := filepath.Rel(filepath.FromSlash(base), filepath.FromSlash(target))
	return filepath.ToSlash(r), err
}

func (t fsTree) walk(root string, fn func(string)) error {
	return fs.WalkDir(t.fsys, root, func(name string, d fs.DirEntry, err error) error {
		return visit(name, root, d, err, fn)
	})
}

// visit is the WalkDirFunc both trees share.
func visit(name, root string, d fs.DirEntry, err error, fn func(string)) error {
	if err != nil {
		return err
	}
	if d.IsDir() {
		if name != root && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		return nil
	}
	// A link is read as the file it names (or reported as the error
	// reading it gives): left out, a linked deployment file would
	// vanish from its endpoint without a word.
	if isYAMLName(name) && (d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0) {
		fn(name)
	}
	return nil
}

func isYAMLName(name string) bool {
	ext := strings.ToLower(path.Ext(filepath.ToSlash(name)))
	return ext == ".yml" || ext == ".yaml"
}

// file is one decoded file.
type file struct {
	name string
	kind fileKind
	root *yaml.Node
	// skip is why a file found by walking is not loaded; "" for specs.
	skip  string
	errs  ErrorList
	warns ErrorList

	endpoint *Endpoint
	shown    map[string]string

	deployment   Deployment
	depName      *yaml.Node
	endpointName string
	endpointAt   *yaml.Node

	pos map[string]Pos
	// dir is the file's directory, for resolving relative paths.
	dir string
}

// templateRE finds placeholders like {{ENDPOINT_NAME}} that the service's
// examples fill in with sed before use.
var templateRE = regexp.MustCompile(`\{\{[^{}\n]*\}\}`)

// decodeFile parses, classifies and decodes one file. explicit tells a
// file the caller named, which must be a spec, from one found by walking,
// which is skipped (with the reason in skip) when it is not a spec or is a
// template.
func (l *Loader) decodeFile(name string, data []byte, explicit bool) *file {
	f := &file{name: name}
	if !explicit {
		if m := templateRE.Find(data); m != nil {
			f.skip = fmt.Sprintf("template: placeholders like %s must be filled in first", m)
			return f
		}
	}
	root, perr, syntax := parseYAML(name, data)
	if perr != nil {
		if m := templateRE.Find(data); m != nil && syntax {
			perr.Msg += fmt.Sprintf(" (a template: fill in placeholders like %s first)", m)
		}
		f.errs = append(f.errs, perr)
		return f
	}
	f.root = root
	f.kind, f.skip = classify(root)
	if f.kind == otherFile {
		if explicit {
			f.errs.Add(Pos{File: name, Line: 1, Column: 1}, "", "not an endpoint or deployment spec: %s", f.skip)
			f.skip = ""
		}
		return f
	}
	d := newDecoder(name)
	d.refuseLegacy = l.RefuseLegacy
	if !d.checkTree(root) {
		f.errs = d.errs
		return f
	}
	switch f.kind {
	case endpointFile:
		f.endpoint, f.shown = d.endpoint(root, l.EndpointName), d.shown
	case deploymentFile:
		l.decodeDeploymentFile(d, f, root)
	}
	f.errs = d.errs
	f.warns = d.warns
	f.pos = d.pos
	return f
}

// decodeDeploymentFile decodes a deployment file of its own: its name and
// the endpoint it joins come first, since canonical paths contain the name.
func (l *Loader) decodeDeploymentFile(d *decoder, f *file, root *yaml.Node) {
	if root.Kind != yaml.MappingNode {
		d.kind(root, loc{}, yaml.MappingNode)
		return
	}
	name, nameNode := d.deploymentName(root, loc{}, "")
	f.depName = nameNode
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "endpoint_name" || isNull(v) {
			continue
		}
		f.endpointAt = v
		if v.Kind != yaml.ScalarNode {
			d.errorf(v, "endpoint_name", "want an endpoint name, got %s", describe(v))
		} else if placeholder(v.Value) {
			d.errorf(v, "endpoint_name", "%q is a template placeholder; fill it in before loading", v.Value)
		} else {
			f.endpointName = v.Value
			d.pos["endpoint_name"] = d.at(v)
		}
	}
	c := "deployments[" + name + "]"
	if nameNode != nil {
		d.pos[c] = d.at(nameNode)
	}
	f.deployment = d.deployment(root, loc{"", c}, true)
	f.deployment.Name = name
	if f.deployment.Type == "" {
		f.deployment.Type = schemaType(root)
	}
}

func (l *Loader) load(t tree, paths []string) (*Result, error) {
	var errs ErrorList
	if len(paths) == 0 {
		errs.Add(Pos{}, "", "no files or directories to load")
		return nil, errs.Err()
	}
	res := &Result{}
	var files []*file
	seen := make(map[string]bool)
	read := func(name string, explicit bool) {
		if seen[t.same(name)] {
			return
		}
		seen[t.same(name)] = true
		data, err := l.read(t, name)
		if err != nil {
			errs.Add(Pos{File: name}, "", "%s", err)
			return
		}
		f := l.decodeFile(name, data, explicit)
		if f.skip != "" {
			res.Skipped = append(res.Skipped, Skipped{Path: name, Reason: f.skip})
			return
		}
		if len(f.errs) > 0 {
			errs = append(errs, f.errs...)
			return
		}
		if f.dir, err = t.dir(name); err != nil {
			errs.Add(Pos{File: name}, "", "%s", err)
			return
		}
		files = append(files, f)
	}
	for _, p := range paths {
		info, err := t.stat(p)
		if err != nil {
			errs.Add(Pos{File: p}, "", "%s", describeFSError(err))
			continue
		}
		if !info.IsDir() {
			read(p, true)
			continue
		}
		var names []string
		if err := t.walk(p, func(name string) { names = append(names, name) }); err != nil {
			errs.Add(Pos{File: p}, "", "%s", describeFSError(err))
			continue
		}
		for _, name := range names {
			read(name, false)
		}
	}
	endpoints := l.join(t, files, &errs)
	for _, e := range endpoints {
		if t == (osTree{}) {
			resolveAssets(e, filepath.Dir(e.src.file))
		}
		if err := finish(e); err != nil {
			appendErr(&errs, err, e.src.file)
		}
	}
	if len(errs) > 0 {
		return nil, errs.Err()
	}
	slices.SortFunc(endpoints, func(a, b *Endpoint) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(res.Skipped, func(a, b Skipped) int { return strings.Compare(a.Path, b.Path) })
	res.Endpoints = endpoints
	for _, e := range endpoints {
		e.src.warnings.Sort()
		res.Warnings = append(res.Warnings, e.src.warnings...)
	}
	res.Warnings.Sort()
	return res, nil
}

// read reads one file, refusing to read more than the size limit.
func (l *Loader) read(t tree, name string) ([]byte, error) {
	r, err := t.open(name)
	if err != nil {
		return nil, errors.New(describeFSError(err))
	}
	defer r.Close()
	limit := l.maxFileSize()
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, errors.New(describeFSError(err))
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("file is larger than the limit of %d bytes (Loader.MaxFileSize)", limit)
	}
	return data, nil
}

// describeFSError drops the path that fs errors repeat, since the error's
// position names the file already.
func describeFSError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// join gathers the deployment files into the endpoints they name, with
// the deployments' relative paths rebased onto the endpoint file's
// directory.
func (l *Loader) join(t tree, files []*file, errs *ErrorList) []*Endpoint {
	var endpoints []*Endpoint
	byName := make(map[string]*file)
	for _, f := range files {
		if f.kind != endpointFile {
			continue
		}
		e := f.endpoint
		key := strings.ToLower(e.Name)
		if first, ok := byName[key]; ok {
			errs.Add(f.namePos(), "name", "endpoint %q is already defined in %s", e.Name, first.namePos())
			continue
		}
		byName[key] = f
		e.src = &source{pos: f.pos, shown: f.shown, file: f.name, warnings: f.warns}
		endpoints = append(endpoints, e)
	}
	for _, f := range files {
		if f.kind != deploymentFile {
			continue
		}
		target, at, field := f.endpointName, f.endpointAt, "endpoint_name"
		if target == "" {
			target, at = l.EndpointName, f.root
		}
		if target == "" {
			errs.Add(f.at(f.root), "endpoint_name", "missing; write endpoint_name: or set Loader.EndpointName")
			continue
		}
		ef, ok := byName[strings.ToLower(target)]
		if !ok {
			errs.Add(f.at(at), field, "endpoint %q is not among the files loaded%s", target, loadedNames(byName))
			continue
		}
		e := ef.endpoint
		dep := f.deployment
		key := "deployments[" + dep.Name + "]"
		if first := e.Deployment(dep.Name); first != nil {
			errs.Add(f.at(f.depName), "name", "deployment %q is defined twice; first at %s", dep.Name, e.src.pos[key])
			continue
		}
		rel, err := t.rel(ef.dir, f.dir)
		if err != nil {
			errs.Add(Pos{File: f.name}, "", "cannot resolve its paths against %s: %v", ef.name, err)
			continue
		}
		rebase(&dep, rel)
		e.Deployments = append(e.Deployments, dep)
		e.src.shown[key] = ""
		e.src.warnings = append(e.src.warnings, f.warns...)
		for k, v := range f.pos {
			if strings.HasPrefix(k, key) {
				e.src.pos[k] = v
			}
		}
	}
	return endpoints
}

func (f *file) at(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: f.name}
	}
	return Pos{File: f.name, Line: n.Line, Column: n.Column}
}

func (f *file) namePos() Pos {
	if p, ok := f.pos["name"]; ok {
		return p
	}
	return f.at(f.root)
}

func loadedNames(byName map[string]*file) string {
	if len(byName) == 0 {
		return " (no endpoint file was loaded)"
	}
	names := make([]string, 0, len(byName))
	for _, f := range byName {
		names = append(names, f.endpoint.Name)
	}
	slices.Sort(names)
	return " (loaded: " + strings.Join(names, ", ") + ")"
}

// rebase makes the relative local paths of a deployment, written relative
// to its own file's directory, relative to rel's base: the endpoint file's
// directory, against which every path of a loaded endpoint is kept.
func rebase(d *Deployment, rel string) {
	if rel == "." {
		return
	}
	move := func(p *string) {
		s := strings.ReplaceAll(*p, `\`, "/")
		if s == "" || strings.Contains(s, "://") || path.IsAbs(s) || filepath.IsAbs(*p) {
			return
		}
		*p = path.Join(rel, s)
	}
	move(&d.Model.Path)
	move(&d.CodeConfiguration.Code.Path)
	move(&d.Environment.Path)
	move(&d.Environment.CondaFile)
	move(&d.Environment.Build.Path)
	if d.DataCollector != nil {
		for k, c := range d.DataCollector.Collections {
			move(&c.Data.Path)
			d.DataCollector.Collections[k] = c
		}
	}
}

// finish validates a decoded endpoint and normalizes it. Validation comes
// first, so that its errors point at what was written.
func finish(e *Endpoint) error {
	if err := Validate(e); err != nil {
		return err
	}
	Normalize(e)
	return nil
}

// appendErr adds the entries of an error from validation to errs.
func appendErr(errs *ErrorList, err error, file string) {
	var list ErrorList
	var one *Error
	switch {
	case errors.As(err, &list):
		*errs = append(*errs, list...)
	case errors.As(err, &one):
		*errs = append(*errs, one)
	default:
		errs.Add(Pos{File: file}, "", "%v", err)
	}
}
