package main

import (
	"fmt"
	"os"

	"github.com/rolloutkit/rollout/plan"
)

const showUsage = `Usage: rollout show [--json | --format text|json|markdown|mermaid|dot] FILE

Prints a plan saved by rollout plan --out, as plan prints it, without
reading any service: to review a plan before rollout apply FILE, or to
post it on a pull request with --format markdown. Plans of format 1 and
2 are read; anything else is refused.
`

func (c *command) show(args []string) int {
	fs := newFlagSet("show", showUsage)
	var ff formatFlags
	ff.register(fs)
	if code, ok := fs.parse(c, args); !ok {
		return code
	}
	write, err := ff.writer(c, fs)
	switch {
	case err != nil:
		return c.usageError("show", "%v", err)
	case len(fs.args) == 0:
		return c.usageError("show", "a plan FILE is required")
	case len(fs.args) > 1:
		return c.usageError("show", "unexpected argument %q; give one plan FILE", fs.args[1])
	}
	path := fs.args[0]
	data, err := os.ReadFile(path)
	if err != nil {
		c.printError("show", err, nil)
		return exitError
	}
	p, err := plan.Decode(data)
	if err != nil {
		c.printError("show", fmt.Errorf("%s: %w", path, err), nil)
		return exitError
	}
	if err := write(c.stdout, p); err != nil {
		c.printError("show", fmt.Errorf("writing the plan: %w", err), nil)
		return exitError
	}
	return exitOK
}
