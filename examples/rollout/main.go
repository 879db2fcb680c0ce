// Rollout plans and applies rollouts of online endpoints from their YAML
// specs: given the desired state, it prints what would change against
// what the service holds, in the order that keeps every endpoint serving,
// and executes it.
//
// Usage:
//
//	rollout plan  [--json | --format text|json|markdown|mermaid|dot] [--detailed-exitcode]
//	              [PLANNING] [--out FILE] [NAMES] [BACKEND] --to PATH
//	rollout apply [PLANNING] [APPLYING] [NAMES] [BACKEND] --to PATH
//	rollout apply [APPLYING] [NAMES] [BACKEND] [--to PATH] FILE
//	rollout show  [--json | --format text|json|markdown|mermaid|dot] FILE
//	rollout status [--watch [--interval D]] [BACKEND] [--to PATH] [ENDPOINT...]
//	rollout --version
//
//	PLANNING: [--strategy direct|canary:10,50|bluegreen|shadow:10] [--delete-unlisted] [--allow-replace]
//	APPLYING: [--auto-approve] [--parallelism N] [--rollback] [--json] [GATES]
//	GATES:    [--smoke-request FILE] [--bake DURATION] [--approve-gates]
//	NAMES:    [--endpoint-name NAME | --name NAME]
//	BACKEND:  [--backend fake] [--speed X] [--from PATH]
//	          --backend azureml --subscription ID --resource-group NAME --workspace NAME --location REGION
//
// Every command prints its help on standard output with --help, and
// colours its text on a terminal unless --no-color is given or NO_COLOR
// is set.
//
// PATH is a spec file or a directory of them, in any format the endpoint
// package reads; --from and --to may be given more than once (an endpoint
// file and its deployment files, say). YAML files in a directory that are
// not specs (conda files, assets) are skipped and listed on standard
// error; paths that hold no endpoint at all are refused. --endpoint-name
// names the endpoint of deployment files without endpoint_name and of an
// endpoint file without name (as az ml online-deployment --endpoint-name
// does; the Kubernetes flow of the service's examples needs it); --name
// does the same for a single endpoint file (az ml online-endpoint --name).
//
// # Backends
//
// The current state is what the backend holds. --backend fake, the
// default, is an in-memory service (package fakes) that starts out
// holding --from, every resource provisioned, or nothing without it. It
// is seeded one step at a time, so every run that seeds it from the same
// files holds the same state, ETags included: a plan saved with
// rollout plan --from A --out FILE is current for rollout apply --from A
// FILE, and stale for any other --from. Apply runs it --speed times
// faster than the real service (default 600: a 10-minute deployment
// create takes a second), gate waits included, and shows times on its
// clock.
//
// --backend azureml talks to a workspace's managed online endpoints over
// the REST API, authenticated by azidentity's default chain: environment
// variables (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET),
// workload identity, managed identity, or the Azure CLI's login (az
// login). When none of them can get a token, the command says so and how
// to sign in. Specs must reference registered assets
// (azureml:NAME:VERSION): local files are not uploaded. Keys and tokens
// are never printed.
//
// # Plans
//
// plan prints text in the style of terraform plan, JSON (format version
// 2, documented in package plan), Markdown for a pull-request comment
// (the summary first, one collapsible section per endpoint, the step
// graph in a fenced Mermaid block), or the step graph as Mermaid or DOT;
// --out also saves the JSON for apply, and show prints a saved plan in
// any of these forms without reading the service. --delete-unlisted plans the
// deletion of every endpoint the service holds that --to does not name,
// each shown as a step; --allow-replace replaces a serving deployment
// whose instance_type changes, draining its traffic to the others first.
//
// apply without a plan FILE prints the plan and, on a terminal, asks "Do
// you want to perform these actions?"; only yes goes on. --auto-approve
// skips the question; without a terminal apply refuses before anything
// is sent unless it is given. A saved plan FILE is applied without asking:
// it was reviewed when it was saved. It is refused when the service no
// longer holds the state it was computed from, and, when --to is given,
// when the specs are not those it was computed for (the plan records both
// fingerprints). Saved plans never hold secret values (environment
// variables named like API_KEY or DB_PASSWORD): apply FILE --to PATH takes
// them from the desired state.
//
// # Gates
//
// smoke:DEPLOYMENT sends the body of --smoke-request ({} by default) to
// the deployment alone and wants a 2xx answer; bake and shadow:DEPLOYMENT
// wait --bake (default 5m); approval asks on the terminal, and without
// one passes only with --approve-gates (--auto-approve confirms the plan,
// not its gates). A plan with gates this command cannot check is refused
// before anything is sent.
//
// # Machine-readable output
//
// apply --json writes one JSON object per line on standard output, in the
// manner of terraform's machine-readable UI, version 1.0 (the minor number
// grows when messages or fields are added, the major one when a field
// changes meaning or goes away). Every object has "@level" (info or
// error), "@message" (what the text output prints for it), "@timestamp"
// (RFC 3339, UTC) and "type". The types, in order:
//
//	version          "rollout": the command's version; "ui": "1.0"
//	planned_step     "step": {id, action, endpoint, deployment, gate,
//	                 depends_on}, one per step of the plan
//	change_summary   "changes": {add, change, destroy, traffic, gates};
//	                 "fingerprint" and "desired_fingerprint" of the plan
//	plan_started, step_started, step_retrying, step_finished, step_failed,
//	gate_waiting, gate_passed, gate_failed, rolling_back, plan_finished,
//	waiting          the rollout's events: "step" as above (without
//	                 depends_on) when the event is about a step,
//	                 "endpoint", "attempt" (calls of the step, from 1),
//	                 "error" (with @level error), "progress": {done,
//	                 total} and "elapsed_seconds" on the service's clock
//	apply_complete   "result": {steps, writes, retries}; absent when the
//	                 rollout failed (plan_finished then has the error)
//
// Errors are also printed on standard error, as text.
//
// # Exit status
//
// 0 on success; for plan with --detailed-exitcode, 0 when there is
// nothing to do and 2 when the plan has steps, as terraform plan does,
// so a pipeline can tell the two apart. 1 on invalid input, a plan the
// planner refuses to make, a stale, mismatched or unconfirmed plan, a
// step or gate that failed, or an interrupt (Ctrl-C or SIGTERM, which
// stop an apply safely: no new step starts). Errors go to standard error,
// those about specs as FILE:LINE:COL: PATH: message.
// Specs in the 2021 forms (the service's tutorial) load with warnings on
// standard error, FILE:LINE:COL: warning: PATH: message; --refuse-legacy
// refuses them instead, as today's az ml does.
//
// This is what a GitOps pipeline runs: plan on a pull request, apply on
// merge.
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"golang.org/x/term"

	"github.com/rolloutkit/rollout/fakes"
)

// The exit statuses, part of the command's contract with pipelines (see
// exitStatusHelp).
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2
)

const usage = `Usage: rollout COMMAND [flags]
       rollout --version

Commands:
  plan     show the steps that take the current state to the desired one
  apply    execute them, from the desired state or from a plan saved by plan --out
  show     print a plan saved by plan --out, as text, JSON, Markdown or a graph
  status   show the traffic (as bars), deployments and operations of endpoints

Run "rollout COMMAND --help" for the flags of each. Colour is used on
terminals unless --no-color is given or NO_COLOR is set.
`

func main() {
	// SIGTERM is how pipelines cancel a job and how Kubernetes stops a
	// pod: it stops an apply as safely as Ctrl-C does, rather than kill
	// it between a write and the next.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := &command{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		terminal:      term.IsTerminal(int(os.Stdin.Fd())),
		colorTerminal: term.IsTerminal(int(os.Stdout.Fd())) && os.Getenv("NO_COLOR") == "",
	}
	os.Exit(c.run(ctx, os.Args[1:]))
}

// command is one invocation, with its streams passed in so that tests can
// run it in-process.
type command struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// terminal says a person can answer on stdin, so apply may ask to
	// confirm a plan and approval gates may ask to go on.
	terminal bool
	// colorTerminal says stdout is a terminal that may be coloured:
	// --no-color and NO_COLOR turn it off.
	colorTerminal bool
	hooks         azureHooks
	// fake is the in-memory service the command last opened, for tests
	// to look into after a run.
	fake *fakes.Service
	// in reads answers from stdin, shared by every question.
	in *bufio.Reader
	// warned holds the spec warnings printed, so that each is printed
	// once however often its file is loaded.
	warned map[string]bool
}

// run runs the command without a terminal or test hooks; see command.run.
func run(args []string, stdout, stderr io.Writer) int {
	c := &command{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr}
	return c.run(context.Background(), args)
}

// run is the whole command, with its arguments (without the program name).
// It returns the exit status. Cancelling ctx (an interrupt) stops an apply
// safely: no new step starts, and the state left is a safe one.
func (c *command) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, usage)
		return exitError
	}
	switch args[0] {
	case "plan":
		return c.plan(ctx, args[1:])
	case "apply":
		return c.apply(ctx, args[1:])
	case "show":
		return c.show(args[1:])
	case "status":
		return c.status(ctx, args[1:])
	case "help", "-h", "-help", "--help":
		fmt.Fprint(c.stdout, usage)
		return exitOK
	case "version", "-version", "--version":
		fmt.Fprintln(c.stdout, version())
		return exitOK
	}
	fmt.Fprintf(c.stderr, "rollout: unknown command %q\n\n%s", args[0], usage)
	return exitError
}

// version names the command's module version, from the build information
// the go command records: a tagged version when installed with go install
// module@version, a pseudo-version or (devel) when built in a checkout.
func version() string {
	v := "(unknown)"
	goVersion := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "" {
			v = info.Main.Version
		}
		goVersion = " " + info.GoVersion
	}
	return "rollout " + v + goVersion
}

// reader returns the reader of answers on stdin.
func (c *command) reader() *bufio.Reader {
	if c.in == nil {
		c.in = bufio.NewReader(c.stdin)
	}
	return c.in
}
