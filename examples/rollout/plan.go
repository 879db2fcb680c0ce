package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
)

const planUsage = `Usage: rollout plan [flags] [--backend fake] [--from PATH] --to PATH
       rollout plan [flags] --backend azureml --subscription ID --resource-group NAME
                    --workspace NAME --location REGION --to PATH

Prints the steps that take the current state to the state in --to. The
current state is what the service holds: with --backend fake (the
default), an in-memory service that starts out holding --from (nothing,
when omitted); with --backend azureml, the workspace's online endpoints.
--out saves the plan as JSON for rollout apply FILE and rollout show FILE.
--format markdown writes the plan for a pull-request comment: the summary
first, one collapsible section per endpoint, the step graph in Mermaid.
`

// writer returns the function that prints a plan in an output format of
// --format; color applies to text only.
func writer(format string, color bool) (func(io.Writer, *plan.Plan) error, bool) {
	switch format {
	case "text":
		return func(w io.Writer, p *plan.Plan) error {
			return plan.WriteText(w, p, plan.TextOptions{Color: color})
		}, true
	case "json":
		return plan.WriteJSON, true
	case "markdown":
		return plan.WriteMarkdown, true
	case "mermaid":
		return plan.WriteMermaid, true
	case "dot":
		return plan.WriteDOT, true
	}
	return nil, false
}

// formatFlags choose how a plan is printed, for plan and show.
type formatFlags struct {
	asJSON  bool
	format  string
	noColor bool
}

func (f *formatFlags) register(fs *flagSet) {
	fs.BoolVar(&f.asJSON, "json", false, "print the plan as JSON; the same as --format json")
	fs.StringVar(&f.format, "format", "text", "output `FORMAT`: text, json, markdown, mermaid or dot")
	fs.BoolVar(&f.noColor, "no-color", false, "never colour the output (NO_COLOR in the environment does the same)")
}

// writer returns the plan printer the flags choose, or the usage error.
func (f *formatFlags) writer(c *command, fs *flagSet) (func(io.Writer, *plan.Plan) error, error) {
	if f.asJSON {
		if fs.set("format") && f.format != "json" {
			return nil, fmt.Errorf("--json and --format %s contradict each other", f.format)
		}
		f.format = "json"
	}
	write, ok := writer(f.format, c.color(f.noColor))
	if !ok {
		return nil, fmt.Errorf("unknown format %q; want text, json, markdown, mermaid or dot", f.format)
	}
	return write, nil
}

// color reports whether text output is coloured.
func (c *command) color(noColor bool) bool { return c.colorTerminal && !noColor }

// planFlags are the options of the planner, for plan and apply.
type planFlags struct {
	strategy       string
	deleteUnlisted bool
	allowReplace   bool
}

func (f *planFlags) register(fs *flagSet, prefix string) {
	fs.StringVar(&f.strategy, "strategy", "direct", prefix+"how traffic moves (`STRATEGY`): direct, canary:10,50[:GATE,...], bluegreen[:keep] or shadow:10")
	fs.BoolVar(&f.deleteUnlisted, "delete-unlisted", false, prefix+"delete the endpoints the service holds that the desired state does not name; the plan lists each one")
	fs.BoolVar(&f.allowReplace, "allow-replace", false, prefix+"replace a serving deployment whose instance_type or type changes, draining its traffic to the others first, instead of refusing")
}

func (f *planFlags) options() (plan.Options, error) {
	st, err := plan.ParseStrategy(f.strategy)
	if err != nil {
		return plan.Options{}, fmt.Errorf("--strategy: %w", err)
	}
	return plan.Options{Strategy: st, DeleteUnlisted: f.deleteUnlisted, AllowReplace: f.allowReplace}, nil
}

func (c *command) plan(ctx context.Context, args []string) int {
	fs := newFlagSet("plan", planUsage)
	var (
		ff       formatFlags
		pf       planFlags
		specs    specFlags
		svc      backendFlags
		detailed = fs.Bool("detailed-exitcode", false, "exit 0 when there is nothing to do and 2 when the plan has steps")
		out      = fs.String("out", "", "also save the plan as JSON in `FILE`, for rollout apply FILE")
	)
	ff.register(fs)
	pf.register(fs, "")
	svc.register(fs)
	specs.register(fs, "the desired state: a spec file or directory (`PATH`); repeatable; required")
	if code, ok := fs.parse(c, args); !ok {
		return code
	}
	write, err := ff.writer(c, fs)
	switch {
	case len(fs.args) > 0:
		return c.usageError("plan", "unexpected argument %q; paths go after --from or --to", fs.args[0])
	case err != nil:
		return c.usageError("plan", "%v", err)
	case len(specs.to) == 0:
		return c.usageError("plan", "--to is required: the desired state")
	}
	opts, err := pf.options()
	if err == nil {
		err = svc.check(fs)
	}
	if err == nil {
		err = specs.check(svc.from)
	}
	if err != nil {
		return c.usageError("plan", "%v", err)
	}

	desired, err := c.loadSpecs(&specs, "--to", specs.to)
	if err != nil {
		c.printError("plan", err, nil)
		return exitError
	}
	b, err := c.open(ctx, &svc, &specs, 0)
	if err != nil {
		c.printError("plan", err, nil)
		return exitError
	}
	actual, err := observe(ctx, b)
	if err != nil {
		c.printError("plan", err, nil)
		return exitError
	}
	if desired, err = rollout.ResolveLabels(ctx, b.Backend, desired); err != nil {
		c.printError("plan", err, nil)
		return exitError
	}
	p, err := plan.Compute(desired, actual, opts)
	if err != nil {
		c.printError("plan", err, desired)
		return exitError
	}
	if err := write(c.stdout, p); err != nil {
		c.printError("plan", fmt.Errorf("writing the plan: %w", err), nil)
		return exitError
	}
	if *out != "" {
		if err := save(*out, p); err != nil {
			c.printError("plan", fmt.Errorf("saving the plan: %w", err), nil)
			return exitError
		}
	}
	if *detailed && !p.Empty() {
		return exitChanges
	}
	return exitOK
}

// save writes p as JSON to path, readable by its owner only: a plan names
// the workspace's resources and settings, though never a secret value.
func save(path string, p *plan.Plan) error {
	var buf bytes.Buffer
	if err := plan.WriteJSON(&buf, p); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o600)
}

// printError prints err for people, one problem a line: spec errors as
// FILE:LINE:COL: PATH: message, others after the command's name, once
// (the library's own errors begin with rollout: too). The planner may refuse several changes at
// once (errors joined); each gets its line. A refused plan is about the
// desired state, so it is located in the desired endpoints as loaded.
func (c *command) printError(cmd string, err error, desired []*endpoint.Endpoint) {
	w := c.stderr
	switch e := err.(type) {
	case endpoint.ErrorList:
		fmt.Fprint(w, e.Lines())
		return
	case unnamedError:
		fmt.Fprint(w, e.Lines(), nameHint)
		return
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			c.printError(cmd, e, desired)
		}
		return
	}
	var (
		list    endpoint.ErrorList
		one     *endpoint.Error
		refused *plan.RefusedError
		auth    *authError
	)
	switch {
	case errors.As(err, &auth):
		fmt.Fprintf(w, "rollout %s: %v\n%s", cmd, auth, signInHelp)
	case errors.As(err, &list):
		fmt.Fprint(w, list.Lines())
	case errors.As(err, &one):
		fmt.Fprintln(w, one)
	case errors.As(err, &refused):
		fmt.Fprintln(w, refusal(refused, desired))
	default:
		fmt.Fprintf(w, "rollout %s: %s\n", cmd, strings.TrimPrefix(err.Error(), "rollout: "))
	}
}

// refusal formats a refused plan like a spec error: where the refused field
// was written, the rule, what cannot be done and the safe path. A resource
// that no file defines (built in code, or a name given on the command line)
// is named instead.
func refusal(r *plan.RefusedError, desired []*endpoint.Endpoint) *endpoint.Error {
	e := &endpoint.Error{Msg: fmt.Sprintf("%s: %s; %s", r.Rule, r.Msg, r.Remedy)}
	for _, d := range desired {
		if strings.EqualFold(d.Name, r.Endpoint) {
			e.Pos, e.Path = d.Position(r.Path)
			if e.Pos.Line > 0 {
				return e
			}
		}
	}
	e.Path = r.Endpoint
	if r.Deployment != "" {
		e.Path += "/" + r.Deployment
	}
	return e
}
