package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
)

const applyUsage = `Usage: rollout apply [--strategy STRATEGY] [gate flags] [--backend fake] [--from PATH] --to PATH
       rollout apply [gate flags] [--backend fake] [--from PATH] [--to PATH] FILE
       rollout apply [...] --backend azureml --subscription ID --resource-group NAME
                     --workspace NAME --location REGION

Takes the service to the desired state, printing the plan and then the
progress of each step. With --to alone, the plan is computed from what the
service holds now, printed, and executed. With FILE, a plan saved by
rollout plan --out is executed, unless the service no longer holds the
state the plan was computed from (the plan is stale: plan again); --to
then names the desired state the plan was computed for, which supplies the
secret environment values a saved plan leaves out.

Gates: smoke:DEPLOYMENT sends --smoke-request to the deployment alone and
wants a 2xx answer; bake and shadow:DEPLOYMENT wait --bake; approval asks
on the terminal, and without one needs --auto-approve. A plan with other
gate names is refused before anything is sent.

The in-memory service (--backend fake) runs --speed times faster than the
real one, gate waits included, and times are shown on its clock.

Exit status 0 on success, 1 on invalid input, a refused or stale plan, or
a step that failed.

Flags:
`

// applyFlags are apply's own flags.
type applyFlags struct {
	strategy     string
	parallelism  int
	speed        float64
	bake         time.Duration
	smokeRequest string
	autoApprove  bool
	rollback     bool
}

func (c *command) apply(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("rollout apply", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	var (
		f   applyFlags
		svc backendFlags
		to  pathList
	)
	fs.StringVar(&f.strategy, "strategy", "direct", "with --to alone: how traffic moves (`STRATEGY`): direct, canary:10,50, bluegreen or shadow:10")
	fs.IntVar(&f.parallelism, "parallelism", rollout.DefaultParallelism, "at most `N` writes in flight at once (waiting gates do not count); 1 sends one at a time, like the service's tutorial script")
	fs.Float64Var(&f.speed, "speed", defaultSpeed, "fake: run the in-memory service `X` times faster than the real one")
	fs.DurationVar(&f.bake, "bake", 5*time.Minute, "how long the bake and shadow gates wait (`DURATION`)")
	fs.StringVar(&f.smokeRequest, "smoke-request", "", "the request body smoke gates send, read from `FILE`; {} when omitted")
	fs.BoolVar(&f.autoApprove, "auto-approve", false, "pass approval gates without asking")
	fs.BoolVar(&f.rollback, "rollback", false, "when a step fails or a gate refuses, restore each endpoint's last stable traffic split")
	svc.register(fs)
	c.registerSpecFlags(fs)
	fs.Var(&to, "to", "the desired state: a spec file or directory (`PATH`); repeatable")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), applyUsage)
		fs.PrintDefaults()
	}
	// The plan FILE may come before flags, as in rollout apply plan.json
	// --speed 1000, which the flag package alone would not parse.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitError
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	strategySet := false
	fs.Visit(func(fl *flag.Flag) { strategySet = strategySet || fl.Name == "strategy" })
	switch {
	case len(files) > 1:
		return usageError(c.stderr, "apply", "unexpected argument %q; give one plan FILE, and paths after --from or --to", files[1])
	case len(files) == 0 && len(to) == 0:
		return usageError(c.stderr, "apply", "--to or a plan FILE is required")
	case len(files) == 1 && strategySet:
		return usageError(c.stderr, "apply", "--strategy does not go with a plan FILE: the saved plan has its strategy")
	case f.speed < 1:
		return usageError(c.stderr, "apply", "--speed %v: want 1 (real time) or more", f.speed)
	case f.bake < 0:
		return usageError(c.stderr, "apply", "--bake %v: want a duration of zero or more", f.bake)
	}
	if err := svc.check(fs); err != nil {
		return usageError(c.stderr, "apply", "%v", err)
	}
	st, err := plan.ParseStrategy(f.strategy)
	if err != nil {
		return usageError(c.stderr, "apply", "--strategy: %v", err)
	}
	smoke := []byte("{}")
	if f.smokeRequest != "" {
		if smoke, err = os.ReadFile(f.smokeRequest); err != nil {
			fmt.Fprintf(c.stderr, "rollout: --smoke-request: %v\n", err)
			return exitError
		}
	}

	var desired []*endpoint.Endpoint
	if len(to) > 0 {
		if desired, err = c.loadSpecs(to); err != nil {
			printError(c.stderr, err, nil)
			return exitError
		}
	}
	var (
		p    *plan.Plan
		file string
	)
	if len(files) == 1 {
		file = files[0]
		if p, err = c.load(file, desired); err != nil {
			printError(c.stderr, err, desired)
			return exitError
		}
	}
	b, err := c.open(ctx, &svc, f.speed)
	if err != nil {
		printError(c.stderr, err, nil)
		return exitError
	}
	if p == nil {
		actual, err := observe(ctx, b)
		if err != nil {
			printError(c.stderr, err, nil)
			return exitError
		}
		if p, err = plan.Compute(desired, actual, plan.Options{Strategy: st}); err != nil {
			printError(c.stderr, err, desired)
			return exitError
		}
	}
	if err := plan.WriteText(c.stdout, p, plan.TextOptions{}); err != nil {
		fmt.Fprintf(c.stderr, "rollout: writing the plan: %v\n", err)
		return exitError
	}
	fmt.Fprintln(c.stdout)

	opts := []rollout.Option{
		rollout.Parallelism(f.parallelism),
		rollout.Gates(c.gates(f, smoke, b.speed)),
		rollout.OnEvent(progress(c.stdout, b.speed)),
	}
	if f.rollback {
		opts = append(opts, rollout.Rollback())
	}
	res, err := rollout.Apply(ctx, b, p, opts...)
	if err != nil {
		c.applyError(err, file)
		return exitError
	}
	fmt.Fprintf(c.stdout, "Apply complete. Steps: %d, writes: %d, retries: %d.\n", len(res.Completed), res.Calls, res.Retries)
	return exitOK
}

// load reads a saved plan and, when the desired state is given, fills in
// the secret values the saved plan leaves out.
func (c *command) load(path string, desired []*endpoint.Endpoint) (*plan.Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := plan.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if desired == nil {
		return p, nil
	}
	return rollout.FillSecrets(p, desired)
}

// applyError explains why Apply stopped, with what to do next.
func (c *command) applyError(err error, file string) {
	var (
		stale   *rollout.StalePlanError
		stepErr *rollout.StepError
	)
	switch {
	case errors.As(err, &stale):
		fmt.Fprintf(c.stderr, "rollout apply: %s is stale: it was computed from state %.12s, and the service now holds state %.12s; run rollout plan again and apply the new plan\n",
			file, stale.Want, stale.Got)
	case errors.Is(err, rollout.ErrUnboundGate):
		fmt.Fprintf(c.stderr, "rollout apply: the plan has gates this command cannot check (%v); it checks smoke:DEPLOYMENT, bake and shadow:DEPLOYMENT, and approval on a terminal or with --auto-approve\n", err)
	case errors.Is(err, rollout.ErrInvalidPlan):
		fmt.Fprintf(c.stderr, "%v (for a saved plan with secrets, give the desired state it was computed for with --to)\n", err)
	case errors.As(err, &stepErr):
		fmt.Fprintln(c.stderr, err)
		fmt.Fprintln(c.stderr, "The service was left in a safe state; fix the cause and run rollout apply --to again to finish.")
	default:
		printError(c.stderr, err, nil)
	}
}
