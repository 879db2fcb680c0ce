// Command canary walks through a blue/green canary rollout of one online
// endpoint, the flow of the service's safe-rollout tutorial, written as six
// desired-state files: create blue, scale it, create green with no traffic,
// give green 10%, then 100%, then delete blue.
//
// For each step it loads the file, shows the deployments and the traffic it
// asks for, and what changed since the step before, which is what a plan
// computed from the previous state would have to do.
//
// Usage:
//
//	go run ./examples/canary
package main

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"text/tabwriter"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
	"github.com/rolloutkit/rollout/traffic"
)

// flowFS holds the steps, so the program runs from any directory.
//
//go:embed flow/*.yaml
var flowFS embed.FS

// options say where the desired states come from. Running the flow against
// a service will add the backend to apply each step through.
type options struct {
	// fsys and dir hold the step files, taken in name order.
	fsys fs.FS
	dir  string
}

func defaultOptions() options {
	return options{fsys: flowFS, dir: "flow"}
}

func main() {
	if err := run(os.Stdout, defaultOptions()); err != nil {
		fmt.Fprintln(os.Stderr, "canary:", err)
		os.Exit(1)
	}
}

// step is one desired state of the flow.
type step struct {
	file  string
	title string
	want  *endpoint.Endpoint
}

// run loads every step before printing anything, so a broken file fails
// the walk-through instead of cutting it off half-way.
func run(w io.Writer, opts options) error {
	steps, err := loadSteps(opts.fsys, opts.dir)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "A canary rollout of %s, one desired-state file per step.\n", steps[0].want.Name)
	var prev *endpoint.Endpoint
	for i, s := range steps {
		fmt.Fprintf(&b, "\n%d. %s\n", i+1, s.title)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "   file\t%s\n", s.file)
		writeState(tw, s.want)
		writeChanges(tw, prev, s.want)
		if err := tw.Flush(); err != nil {
			return err
		}
		prev = s.want
	}
	_, err = w.Write(b.Bytes())
	return err
}

func loadSteps(fsys fs.FS, dir string) ([]step, error) {
	// fs.Glob sorts, and the files are numbered, so name order is flow order.
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no *.yaml files in %s", dir)
	}
	var l endpoint.Loader
	steps := make([]step, 0, len(names))
	for _, name := range names {
		res, err := l.LoadFS(fsys, name)
		if err != nil {
			return nil, err
		}
		if len(res.Endpoints) != 1 {
			return nil, fmt.Errorf("%s: want one endpoint, found %d", name, len(res.Endpoints))
		}
		e := res.Endpoints[0]
		if len(steps) > 0 && e.Name != steps[0].want.Name {
			return nil, fmt.Errorf("%s: endpoint %s, but the flow is about %s", name, e.Name, steps[0].want.Name)
		}
		steps = append(steps, step{file: name, title: title(name), want: e})
	}
	return steps, nil
}

// title turns "flow/4-flight-green.yaml" into "Flight green".
func title(name string) string {
	base := strings.TrimSuffix(path.Base(name), path.Ext(name))
	if _, rest, ok := strings.Cut(base, "-"); ok {
		base = rest
	}
	base = strings.ReplaceAll(base, "-", " ")
	if base == "" {
		return name
	}
	return strings.ToUpper(base[:1]) + base[1:]
}

// row writes one labelled line of a step's block; the label column is
// aligned across the block, and so are the deployments' columns.
func row(w io.Writer, label string, cells ...string) {
	fmt.Fprintf(w, "   %s\t%s\n", label, strings.Join(cells, "\t"))
}

// writeState shows what the step asks for: each deployment with its
// compute, model and share of live traffic, then the splits.
func writeState(w io.Writer, e *endpoint.Endpoint) {
	label := "deployments"
	for _, d := range e.Deployments {
		share := "no live traffic"
		if p := e.Traffic.Get(d.Name); p > 0 {
			share = fmt.Sprintf("%d%% of live traffic", p)
		}
		if p := e.Mirror.Get(d.Name); p > 0 {
			share += fmt.Sprintf(", %d%% mirrored", p)
		}
		row(w, label, d.Name, fmt.Sprintf("%s x%d", d.InstanceType, d.InstanceCount), d.Model.String(), share)
		label = ""
	}
	row(w, "traffic", splitText(e.Traffic))
	if !e.Mirror.IsZero() {
		row(w, "mirror", splitText(e.Mirror))
	}
}

// splitText spells out an empty split, which means a dark endpoint (live)
// or no mirroring.
func splitText(s traffic.Split) string {
	if s.IsZero() {
		return "none"
	}
	return s.String()
}

// writeChanges lists what moves from prev to next, in the order a plan
// must apply it: deployments created or updated first (capacity before
// traffic), then traffic, then deployments deleted. A nil prev is an
// endpoint that does not exist yet.
func writeChanges(w io.Writer, prev, next *endpoint.Endpoint) {
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	if prev == nil {
		add("+ endpoint %s", next.Name)
	} else {
		for _, c := range endpoint.DiffEndpoint(prev, next) {
			add("~ endpoint %s", c)
		}
	}
	for _, d := range next.Deployments {
		var old *endpoint.Deployment
		if prev != nil {
			old = prev.Deployment(d.Name)
		}
		if old == nil {
			add("+ deployment %s", d.Name)
			continue
		}
		for _, c := range endpoint.DiffDeployment(*old, d) {
			add("~ deployment %s %s", d.Name, c)
		}
	}
	var before, mirrorBefore traffic.Split
	if prev != nil {
		before, mirrorBefore = prev.Traffic, prev.Mirror
	}
	if !before.Equal(next.Traffic) {
		add("~ traffic %s", plan.Shift(before, next.Traffic))
	}
	if !mirrorBefore.Equal(next.Mirror) {
		add("~ mirror %s", plan.Shift(mirrorBefore, next.Mirror))
	}
	if prev != nil {
		for _, d := range prev.Deployments {
			if next.Deployment(d.Name) == nil {
				add("- deployment %s", d.Name)
			}
		}
	}
	if len(lines) == 0 {
		lines = []string{"none"}
	}
	label := "changes"
	for _, l := range lines {
		row(w, label, l)
		label = ""
	}
}
