package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/rolloutkit/rollout/endpoint"
)

// pathList is a flag that may be given more than once.
type pathList []string

func (l *pathList) String() string { return strings.Join(*l, ",") }

func (l *pathList) Set(s string) error {
	if s == "" {
		return errors.New("empty path")
	}
	*l = append(*l, s)
	return nil
}

// specFlags say where the desired state is, and name what the files leave
// unnamed, as az ml's --name and --endpoint-name do.
type specFlags struct {
	to           pathList
	endpointName string
	name         string
	refuseLegacy bool
}

func (f *specFlags) register(fs *flagSet, toUsage string) {
	fs.Var(&f.to, "to", toUsage)
	fs.StringVar(&f.endpointName, "endpoint-name", "", "the endpoint (`NAME`) of deployment files without endpoint_name, and of an endpoint file without name")
	fs.StringVar(&f.name, "name", "", "the `NAME` of the endpoint in a single endpoint file that has no name: key (as az ml online-endpoint --name)")
	fs.BoolVar(&f.refuseLegacy, "refuse-legacy", false, "refuse the 2021 forms of fields (local_path, scale_settings.instance_count, docker.image, type: online, target:, ...) as today's az ml does, instead of warning")
}

// check refuses names that contradict each other or the paths.
func (f *specFlags) check(from pathList) error {
	if f.name == "" {
		return nil
	}
	if f.endpointName != "" && !strings.EqualFold(f.name, f.endpointName) {
		return fmt.Errorf("--name %q and --endpoint-name %q name different endpoints", f.name, f.endpointName)
	}
	for _, l := range []struct {
		flag  string
		paths pathList
	}{{"--to", f.to}, {"--from", from}} {
		if len(l.paths) > 1 {
			return fmt.Errorf("--name is for a single endpoint file, and %s is given %d times; use --endpoint-name", l.flag, len(l.paths))
		}
		if len(l.paths) == 1 {
			if st, err := os.Stat(l.paths[0]); err == nil && st.IsDir() {
				return fmt.Errorf("--name is for a single endpoint file, and %s %s is a directory; use --endpoint-name", l.flag, l.paths[0])
			}
		}
	}
	return nil
}

// loader returns the endpoint loader the flags configure.
func (f *specFlags) loader() *endpoint.Loader {
	name := f.endpointName
	if f.name != "" {
		name = f.name
	}
	return &endpoint.Loader{EndpointName: name, RefuseLegacy: f.refuseLegacy}
}

// errNoSpecs is the refusal of paths that hold no endpoint: planning
// against nothing would say "No changes", or delete everything.
var errNoSpecs = errors.New("no endpoint specs")

// loadSpecs loads the specs at paths, named by flag in messages. Warnings and
// the files it skipped are reported on standard error, each warning once
// per run however often its file is loaded, as FILE:LINE:COL: warning:
// PATH: message; paths that hold no endpoint at all are refused with the
// list of what was skipped and why.
func (c *command) loadSpecs(f *specFlags, flag string, paths []string) ([]*endpoint.Endpoint, error) {
	r, err := f.loader().Load(paths...)
	if err != nil {
		return nil, unnamed(err)
	}
	c.warn(r.Warnings)
	if f.name != "" {
		for _, e := range r.Endpoints {
			if !strings.EqualFold(e.Name, f.name) {
				return nil, fmt.Errorf("%s %s names endpoint %q, not --name %q", flag, strings.Join(paths, " "), e.Name, f.name)
			}
		}
	}
	if len(r.Endpoints) == 0 {
		var b strings.Builder
		if len(r.Skipped) == 0 {
			b.WriteString(": no YAML files")
		}
		for _, s := range r.Skipped {
			fmt.Fprintf(&b, "\n  skipped %s: %s", s.Path, s.Reason)
		}
		return nil, fmt.Errorf("%w in %s %s%s", errNoSpecs, flag, strings.Join(paths, " "), b.String())
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(c.stderr, "rollout: skipped %s: %s\n", s.Path, s.Reason)
	}
	return r.Endpoints, nil
}

// warn prints the warnings not printed yet.
func (c *command) warn(warnings []*endpoint.Error) {
	for _, w := range warnings {
		line := w.Error()
		if c.warned[line] {
			continue
		}
		if c.warned == nil {
			c.warned = make(map[string]bool)
		}
		c.warned[line] = true
		fmt.Fprintln(c.stderr, line)
	}
}

// unnamedError is a spec error list in which a file lacks the endpoint's
// name, which this command takes from --endpoint-name or --name.
type unnamedError struct{ endpoint.ErrorList }

func (e unnamedError) Unwrap() error { return e.ErrorList }

// nameHint is printed after the errors of an unnamedError.
const nameHint = "Give the endpoint's name with --endpoint-name NAME (or --name NAME for a single endpoint file), as az ml takes it.\n"

// unnamed marks a spec error list that says a name is missing.
func unnamed(err error) error {
	var list endpoint.ErrorList
	if !errors.As(err, &list) {
		return err
	}
	for _, e := range list {
		if (e.Path == "name" || e.Path == "endpoint_name") && strings.HasPrefix(e.Msg, "missing") {
			return unnamedError{list}
		}
	}
	return err
}
