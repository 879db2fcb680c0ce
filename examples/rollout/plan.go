package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
)

const planUsage = `Usage: rollout plan [--json | --format text|json|mermaid|dot] [--detailed-exitcode]
                   [--strategy direct|canary:10,50|bluegreen|shadow:10] [--from PATH] --to PATH

Prints the steps that take the state in --from (nothing, when omitted) to
the state in --to. Exit status 0 on success (with --detailed-exitcode: 0 no
changes, 2 changes), 1 on invalid input or a refused plan.

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

func runPlan(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rollout plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		asJSON   = fs.Bool("json", false, "print the plan as JSON; the same as --format json")
		format   = fs.String("format", "text", "output `FORMAT`: text, json, mermaid or dot")
		detailed = fs.Bool("detailed-exitcode", false, "exit 0 when there is nothing to do and 2 when the plan has steps")
		strategy = fs.String("strategy", "direct", "how traffic moves (`STRATEGY`): direct, canary:10,50, bluegreen or shadow:10")
		from, to pathList
	)
	fs.Var(&from, "from", "the current state: a spec file or directory (`PATH`), every resource in it taken as provisioned; repeatable; omitted, nothing exists")
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
			return usageError(stderr, "--json and --format %s contradict each other", *format)
		}
		*format = "json"
	}
	write, ok := writer(*format)
	switch {
	case fs.NArg() > 0:
		return usageError(stderr, "unexpected argument %q; paths go after --from or --to", fs.Arg(0))
	case !ok:
		return usageError(stderr, "unknown format %q; want text, json, mermaid or dot", *format)
	case len(to) == 0:
		return usageError(stderr, "--to is required: the desired state")
	}
	st, err := plan.ParseStrategy(*strategy)
	if err != nil {
		return usageError(stderr, "--strategy: %v", err)
	}

	desired, err := endpoint.Load(to...)
	if err != nil {
		printError(stderr, err, nil)
		return exitError
	}
	var actual []*endpoint.Endpoint
	if len(from) > 0 {
		if actual, err = endpoint.Load(from...); err != nil {
			printError(stderr, err, nil)
			return exitError
		}
		provisioned(actual)
	}
	p, err := plan.Compute(desired, actual, plan.Options{Strategy: st})
	if err != nil {
		printError(stderr, err, desired)
		return exitError
	}
	if err := write(stdout, p); err != nil {
		fmt.Fprintf(stderr, "rollout: writing the plan: %v\n", err)
		return exitError
	}
	if *detailed && !p.Empty() {
		return exitChanges
	}
	return exitOK
}

func usageError(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "rollout plan: "+format+"\n", args...)
	fmt.Fprintln(stderr, `Run "rollout plan -h" for usage.`)
	return exitError
}

// provisioned marks every resource of a state read from files as the
// service would report it after a successful apply.
func provisioned(state []*endpoint.Endpoint) {
	for _, e := range state {
		e.Status.ProvisioningState = endpoint.Succeeded
		for i := range e.Deployments {
			e.Deployments[i].Status.ProvisioningState = endpoint.Succeeded
		}
	}
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
