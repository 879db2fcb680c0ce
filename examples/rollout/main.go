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
	"fmt"
	"io"
	"os"
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

Run "rollout plan -h" for the flags of plan.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command, with its arguments (without the program name)
// and output streams passed in so that tests can run it in-process. It
// returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError
	}
	switch args[0] {
	case "plan":
		return runPlan(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "rollout: unknown command %q\n\n%s", args[0], usage)
	return exitError
}
