package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// flagSet is a command's flags, parsed the way its help shows them: every
// flag is written --name, help goes to standard output, and a mistake is
// one line on standard error that says where the help is.
type flagSet struct {
	*flag.FlagSet
	cmd   string // plan, apply, ...
	usage string // the text before the list of flags
	// args are the arguments that are not flags, wherever they were.
	args []string
}

func newFlagSet(cmd, usage string) *flagSet {
	fs := flag.NewFlagSet("rollout "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, cmd: cmd, usage: usage}
}

// parse parses args, flags and arguments in any order: the flag package
// alone stops at the first argument, and would take the flags after it
// (rollout status my-endpoint --watch, rollout show plan.json --json) for
// more arguments. The arguments are in [flagSet.args]. It returns false
// with the exit status when the command should stop: after printing the
// help (exit 0), or after reporting a flag that does not parse (exit 1).
func (fs *flagSet) parse(c *command, args []string) (int, bool) {
	fs.args = nil
	for {
		err := fs.Parse(args)
		switch {
		case errors.Is(err, flag.ErrHelp):
			fs.help(c.stdout)
			return exitOK, false
		case err != nil:
			return c.usageError(fs.cmd, "%s", dashes(err.Error())), false
		case fs.NArg() == 0:
			return 0, true
		case fs.NArg() < len(args) && args[len(args)-fs.NArg()-1] == "--":
			// After --, as for the flag package, nothing is a flag.
			fs.args = append(fs.args, fs.Args()...)
			return 0, true
		}
		fs.args = append(fs.args, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// dashes rewrites the flag package's messages, which name flags with one
// dash, to the --name form the help uses.
func dashes(msg string) string {
	for _, from := range []string{"not defined: -", "needs an argument: -", "for flag -"} {
		if i := strings.Index(msg, from); i >= 0 && !strings.HasPrefix(msg[i+len(from):], "-") {
			return msg[:i+len(from)] + "-" + msg[i+len(from):]
		}
	}
	return msg
}

// help prints the command's usage and its flags, sorted by name.
func (fs *flagSet) help(w io.Writer) {
	fmt.Fprint(w, fs.usage)
	fmt.Fprintln(w, "\nFlags:")
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintln(w, line)
		fmt.Fprintf(w, "    \t%s", strings.ReplaceAll(usage, "\n", "\n    \t"))
		if !isZeroDefault(f) {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
	fmt.Fprint(w, exitStatusHelp)
}

// isZeroDefault reports whether a flag's default is its type's zero value,
// which the help leaves unsaid, as flag.PrintDefaults does.
func isZeroDefault(f *flag.Flag) bool {
	typ := reflect.TypeOf(f.Value)
	var z reflect.Value
	if typ.Kind() == reflect.Pointer {
		z = reflect.New(typ.Elem())
	} else {
		z = reflect.Zero(typ)
	}
	zero := z.Interface().(flag.Value).String()
	return f.DefValue == zero || f.DefValue == "[]" || f.DefValue == ""
}

// set reports whether the flag was given on the command line.
func (fs *flagSet) set(name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// exitStatusHelp ends every command's help: the statuses are the command's
// contract with pipelines.
const exitStatusHelp = `
Exit status:
  0  success; for plan --detailed-exitcode, nothing to do
  1  invalid input, a refused, stale or unconfirmed plan, a failed step or
     gate, or an interrupt
  2  plan --detailed-exitcode only: the plan has steps
`

// usageError reports a mistake on the command line, with where the help
// is, and returns the exit status.
func (c *command) usageError(cmd, format string, args ...any) int {
	fmt.Fprintf(c.stderr, "rollout %s: %s\n", cmd, fmt.Sprintf(format, args...))
	fmt.Fprintf(c.stderr, "Run \"rollout %s --help\" for usage.\n", cmd)
	return exitError
}
