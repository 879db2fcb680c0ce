// Rollout plans rollouts of online endpoints from their YAML specs: given
// the desired state and, optionally, the current one, it prints what would
// change, in the order that keeps every endpoint serving.
//
// Usage:
//
//	rollout plan [--json | --format text|json|mermaid|dot] [--detailed-exitcode]
//	             [--strategy direct|canary:10,50|bluegreen|shadow:10] [--from PATH] --to PATH
//
// PATH is a spec file or a directory of them, in any format the endpoint
// package reads; --from and --to may be given more than once (an endpoint
// file and its deployment files, say). --from is the current state, every
// resource in it taken as provisioned; without it nothing exists yet.
//
// The plan goes to standard output: text in the style of terraform plan,
// JSON (format version 1, documented in package plan), or the step graph
// as Mermaid or DOT. Errors go to standard error, one a line, as
// FILE:LINE:COL: PATH: message.
//
// Exit status: 0 on success; with --detailed-exitcode, 0 when there is
// nothing to do and 2 when the plan has steps, as terraform plan does, so
// a pipeline can tell the two apart. 1 on invalid input or a plan the
// planner refuses to make.
//
// This is what a GitOps pipeline runs on a pull request: what will merging
// this do?
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

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
