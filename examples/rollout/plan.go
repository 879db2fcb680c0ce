package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
)

const planUsage = `Usage: rollout plan [--json | --format text|json|mermaid|dot] [--detailed-exitcode]
                   [--strategy direct|canary:10,50|bluegreen|shadow:10] [--out FILE]
                   [--backend fake] [--from PATH] --to PATH
       rollout plan [flags] --backend azureml --subscription ID --resource-group NAME
                   --workspace NAME --location REGION --to PATH

Prints the steps that take the current state to the state in --to. The
current state is what the service holds: with --backend fake (the
default), an in-memory service that starts out holding --from (nothing,
when omitted); with --backend azureml, the workspace's online endpoints.
--out saves the plan as JSON for rollout apply FILE. Exit status 0 on
success (with --detailed-exitcode: 0 no changes, 2 changes), 1 on invalid
input or a refused plan.

Flags:
`

// writer returns the function that prints a plan in an output format of
// --format.
func writer(format string) (func(io.Writer, *plan.Plan) error, bool) {
	switch format {
	case "text":
		return func(w io.Writer, p *plan.Plan) error { return plan.WriteText(w, p, plan.TextOptions{}) }, true
	case "json":
		return plan.WriteJSON, true
	case "mermaid":
		return plan.WriteMermaid, true
	case "dot":
		return plan.WriteDOT, true
	}
	return nil, false
}

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

func (c *command) plan(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("rollout plan", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	var (
		asJSON   = fs.Bool("json", false, "print the plan as JSON; the same as --format json")
		format   = fs.String("format", "text", "output `FORMAT`: text, json, mermaid or dot")
		detailed = fs.Bool("detailed-exitcode", false, "exit 0 when there is nothing to do and 2 when the plan has steps")
		strategy = fs.String("strategy", "direct", "how traffic moves (`STRATEGY`): direct, canary:10,50, bluegreen or shadow:10")
		out      = fs.String("out", "", "also save the plan as JSON in `FILE`, for rollout apply FILE")
		svc      backendFlags
		to       pathList
	)
	svc.register(fs)
	c.registerSpecFlags(fs)
	fs.Var(&to, "to", "the desired state: a spec file or directory (`PATH`); repeatable; required")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), planUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitError
	}
	if *asJSON {
		explicit := false
		fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "format" })
		if explicit && *format != "json" {
			return usageError(c.stderr, "plan", "--json and --format %s contradict each other", *format)
		}
		*format = "json"
	}
	write, ok := writer(*format)
	switch {
	case fs.NArg() > 0:
		return usageError(c.stderr, "plan", "unexpected argument %q; paths go after --from or --to", fs.Arg(0))
	case !ok:
		return usageError(c.stderr, "plan", "unknown format %q; want text, json, mermaid or dot", *format)
	case len(to) == 0:
		return usageError(c.stderr, "plan", "--to is required: the desired state")
	}
	if err := svc.check(fs); err != nil {
		return usageError(c.stderr, "plan", "%v", err)
	}
	st, err := plan.ParseStrategy(*strategy)
	if err != nil {
		return usageError(c.stderr, "plan", "--strategy: %v", err)
	}

	desired, err := c.loadSpecs(to)
	if err != nil {
		printError(c.stderr, err, nil)
		return exitError
	}
	b, err := c.open(ctx, &svc, 0)
	if err != nil {
		printError(c.stderr, err, nil)
		return exitError
	}
	actual, err := observe(ctx, b)
	if err != nil {
		printError(c.stderr, err, nil)
		return exitError
	}
	p, err := plan.Compute(desired, actual, plan.Options{Strategy: st})
	if err != nil {
		printError(c.stderr, err, desired)
		return exitError
	}
	if err := write(c.stdout, p); err != nil {
		fmt.Fprintf(c.stderr, "rollout: writing the plan: %v\n", err)
		return exitError
	}
	if *out != "" {
		if err := save(*out, p); err != nil {
			fmt.Fprintf(c.stderr, "rollout: saving the plan: %v\n", err)
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

func usageError(stderr io.Writer, cmd, format string, args ...any) int {
	fmt.Fprintf(stderr, "rollout "+cmd+": "+format+"\n", args...)
	fmt.Fprintf(stderr, "Run \"rollout %s -h\" for usage.\n", cmd)
	return exitError
}

// printError prints err for people, one problem a line, as
// FILE:LINE:COL: PATH: message. The planner may refuse several changes at
// once (errors joined); each gets its line. A refused plan is about the
// desired state, so it is located in the desired endpoints as loaded.
func printError(w io.Writer, err error, desired []*endpoint.Endpoint) {
	if list, ok := err.(endpoint.ErrorList); ok {
		fmt.Fprint(w, list.Lines())
		return
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			printError(w, e, desired)
		}
		return
	}
	var (
		list    endpoint.ErrorList
		one     *endpoint.Error
		refused *plan.RefusedError
	)
	switch {
	case errors.As(err, &list):
		fmt.Fprint(w, list.Lines())
	case errors.As(err, &one):
		fmt.Fprintln(w, one)
	case errors.As(err, &refused):
		fmt.Fprintln(w, refusal(refused, desired))
	default:
		fmt.Fprintf(w, "rollout: %v\n", err)
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
