// Rollout plans and applies rollouts of online endpoints from their YAML
// specs: given the desired state, it prints what would change against
// what the service holds, in the order that keeps every endpoint serving,
// and executes it.
//
// Usage:
//
//	rollout plan  [--json | --format text|json|mermaid|dot] [--detailed-exitcode]
//	              [--strategy direct|canary:10,50|bluegreen|shadow:10] [--out FILE]
//	              [BACKEND] --to PATH
//	rollout apply [--strategy S] [--parallelism N] [--rollback] [GATES] [BACKEND] --to PATH
//	rollout apply [--parallelism N] [--rollback] [GATES] [BACKEND] [--to PATH] FILE
//
//	BACKEND: [--backend fake] [--speed X] [--from PATH]
//	         --backend azureml --subscription ID --resource-group NAME --workspace NAME --location REGION
//	GATES:   [--smoke-request FILE] [--bake DURATION] [--auto-approve]
//
// PATH is a spec file or a directory of them, in any format the endpoint
// package reads; --from and --to may be given more than once (an endpoint
// file and its deployment files, say).
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
// login). Specs must reference registered assets (azureml:NAME:VERSION):
// local files are not uploaded. Keys and tokens are never printed.
//
// # Plans
//
// plan prints text in the style of terraform plan, JSON (format version
// 1, documented in package plan), or the step graph as Mermaid or DOT;
// --out also saves the JSON for apply. apply prints the plan, then one
// line per step and gate as they start and end, then a summary. A saved
// plan is refused when the service no longer holds the state it was
// computed from. Saved plans never hold secret values (environment
// variables named like API_KEY or DB_PASSWORD): apply FILE --to PATH
// takes them from the desired state, and refuses if the files changed
// since the plan.
//
// # Gates
//
// smoke:DEPLOYMENT sends the body of --smoke-request ({} by default) to
// the deployment alone and wants a 2xx answer; bake and shadow:DEPLOYMENT
// wait --bake (default 5m); approval asks on the terminal, and without
// one passes only with --auto-approve. A plan with gates this command
// cannot check is refused before anything is sent.
//
// # Exit status
//
// 0 on success; for plan with --detailed-exitcode, 0 when there is
// nothing to do and 2 when the plan has steps, as terraform plan does,
// so a pipeline can tell the two apart. 1 on invalid input, a plan the
// planner refuses to make, a stale plan, or a step that failed. Errors go
// to standard error, those about specs as FILE:LINE:COL: PATH: message.
// Specs in the 2021 forms (the service's tutorial) load with warnings on
// standard error, FILE:LINE:COL: warning: PATH: message; --refuse-legacy
// refuses them instead, as today's az ml does.
//
// This is what a GitOps pipeline runs: plan on a pull request, apply on
// merge.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
)

// The exit statuses, part of the command's contract with pipelines.
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2
)

const usage = `Usage: rollout COMMAND [flags]

Commands:
  plan    show the steps that take the current state to the desired one
  apply   execute them, from the desired state or from a plan saved by plan --out

Run "rollout plan -h" or "rollout apply -h" for the flags of each.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c := &command{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, terminal: isTerminal(os.Stdin)}
	os.Exit(c.run(ctx, os.Args[1:]))
}

// command is one invocation, with its streams passed in so that tests can
// run it in-process.
type command struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// terminal says a person can answer on stdin, so approval gates may
	// ask.
	terminal bool
	hooks    azureHooks
	// fake is the in-memory service the command last opened, for tests
	// to look into after a run.
	fake *fakes.Service
	// loader reads the spec files; warned holds the warnings printed.
	loader endpoint.Loader
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
	case "help", "-h", "-help", "--help":
		fmt.Fprint(c.stdout, usage)
		return exitOK
	}
	fmt.Fprintf(c.stderr, "rollout: unknown command %q\n\n%s", args[0], usage)
	return exitError
}

// isTerminal reports whether f is a character device, as a terminal is;
// pipes and files are not.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
