package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
)

const applyUsage = `Usage: rollout apply [flags] [--backend fake] [--from PATH] --to PATH
       rollout apply [flags] [--backend fake] [--from PATH] [--to PATH] FILE
       rollout apply [flags] --backend azureml --subscription ID --resource-group NAME
                     --workspace NAME --location REGION (--to PATH | [--to PATH] FILE)

Takes the service to the desired state, printing the plan and then the
progress of each step.

With --to alone, the plan is computed from what the service holds now and
printed; on a terminal, apply then asks "Do you want to perform these
actions?" and goes on only when the answer is yes. --auto-approve skips
the question; without a terminal, apply refuses unless it is given.

With FILE, a plan saved by rollout plan --out is executed without asking
(it was reviewed when it was saved), unless the service no longer holds
the state the plan was computed from (the plan is stale: plan again).
--to then names the desired state the plan was computed for: it must be
the same (apply refuses files that changed since), and it supplies the
secret environment values a saved plan leaves out.

Gates: smoke:DEPLOYMENT sends --smoke-request to the deployment alone and
wants a 2xx answer; bake and shadow:DEPLOYMENT wait --bake; approval asks
on the terminal, or passes with --approve-gates. A plan with gates that
cannot be checked (approval without a terminal or --approve-gates, or an
unknown name) is refused before anything is sent.

--json prints one JSON object per line instead of text: the plan, then
each event of the rollout (see the command's documentation, "Machine-
readable output"). It needs --auto-approve or a FILE.

The in-memory service (--backend fake) runs --speed times faster than the
real one, gate waits included, and times are shown on its clock.
`

// applyFlags are apply's own flags.
type applyFlags struct {
	parallelism  int
	speed        float64
	bake         time.Duration
	smokeRequest string
	autoApprove  bool
	approveGates bool
	rollback     bool
	asJSON       bool
	noColor      bool
}

func (f *applyFlags) register(fs *flagSet) {
	fs.IntVar(&f.parallelism, "parallelism", rollout.DefaultParallelism, "at most `N` writes in flight at once (waiting gates do not count); 1 sends one at a time, like the service's tutorial script")
	fs.Float64Var(&f.speed, "speed", defaultSpeed, "fake: run the in-memory service `X` times faster than the real one")
	fs.DurationVar(&f.bake, "bake", 5*time.Minute, "how long the bake and shadow gates wait (`DURATION`)")
	fs.StringVar(&f.smokeRequest, "smoke-request", "", "the request body smoke gates send, read from `FILE`; {} when omitted")
	fs.BoolVar(&f.autoApprove, "auto-approve", false, "apply the plan computed from --to without asking to confirm it")
	fs.BoolVar(&f.approveGates, "approve-gates", false, "pass approval gates without asking")
	fs.BoolVar(&f.rollback, "rollback", false, "when a step fails or a gate refuses, restore each endpoint's last stable traffic split")
	fs.BoolVar(&f.asJSON, "json", false, "print the plan and the rollout's events as JSON, one object per line")
	fs.BoolVar(&f.noColor, "no-color", false, "never colour the output (NO_COLOR in the environment does the same)")
}

// check refuses values out of range, naming them.
func (f *applyFlags) check() error {
	switch {
	case f.parallelism < 1:
		return fmt.Errorf("--parallelism %d: want 1 or more", f.parallelism)
	case math.IsNaN(f.speed) || math.IsInf(f.speed, 0):
		return fmt.Errorf("--speed %v: want a number, 1 (real time) or more", f.speed)
	case f.speed < 1:
		return fmt.Errorf("--speed %v: want 1 (real time) or more", f.speed)
	case f.bake < 0:
		return fmt.Errorf("--bake %v: want a duration of zero or more", f.bake)
	}
	return nil
}

func (c *command) apply(ctx context.Context, args []string) int {
	fs := newFlagSet("apply", applyUsage)
	var (
		f     applyFlags
		pf    planFlags
		specs specFlags
		svc   backendFlags
	)
	pf.register(fs, "with --to alone: ")
	f.register(fs)
	svc.register(fs)
	specs.register(fs, "the desired state: a spec file or directory (`PATH`); repeatable")
	// The plan FILE may come before flags, as in rollout apply plan.json
	// --speed 1000.
	if code, ok := fs.parse(c, args); !ok {
		return code
	}
	files := fs.args
	if err := c.checkApply(fs, &f, &specs, &svc, files); err != nil {
		return c.usageError("apply", "%v", err)
	}
	opts, err := pf.options()
	if err != nil {
		return c.usageError("apply", "%v", err)
	}
	smoke := []byte("{}")
	if f.smokeRequest != "" {
		if smoke, err = os.ReadFile(f.smokeRequest); err != nil {
			c.printError("apply", fmt.Errorf("--smoke-request: %w", err), nil)
			return exitError
		}
	}
	p, desired, b, code := c.applyPlan(ctx, &specs, &svc, files, opts, f.speed)
	if p == nil {
		return code
	}
	ui := c.ui(f, b.speed)
	if err := ui.plan(p); err != nil {
		c.printError("apply", fmt.Errorf("writing the plan: %w", err), nil)
		return exitError
	}
	gates := c.gates(f, smoke, b.speed)
	if names := unbound(p, gates); len(names) > 0 {
		fmt.Fprintf(c.stderr, "rollout apply: the plan waits at gates this command cannot pass here: %s; nothing was changed.\n", strings.Join(names, ", "))
		fmt.Fprintln(c.stderr, "This command checks smoke:DEPLOYMENT, bake and shadow:DEPLOYMENT, and approval on a terminal or with --approve-gates.")
		return exitError
	}
	if len(files) == 0 && !p.Empty() && !f.autoApprove {
		if code, ok := c.confirm(ctx); !ok {
			return code
		}
	}
	res, err := rollout.Apply(ctx, b.Backend, p, c.applyOptions(f, gates, ui)...)
	if err != nil {
		c.applyError(err, first(files), desired)
		return exitError
	}
	ui.done(res)
	return exitOK
}

// checkApply refuses flags that do not go together.
func (c *command) checkApply(fs *flagSet, f *applyFlags, specs *specFlags, svc *backendFlags, files []string) error {
	planning := false
	for _, name := range []string{"strategy", "delete-unlisted", "allow-replace"} {
		if fs.set(name) && len(files) > 0 {
			return fmt.Errorf("--%s does not go with a plan FILE: the saved plan was computed with its own", name)
		}
		planning = planning || fs.set(name)
	}
	switch {
	case len(files) > 1:
		return fmt.Errorf("unexpected argument %q; give one plan FILE, and paths after --from or --to", files[1])
	case len(files) == 0 && len(specs.to) == 0:
		return errors.New("--to or a plan FILE is required")
	case f.asJSON && len(files) == 0 && !f.autoApprove:
		return errors.New("--json with --to needs --auto-approve: a stream of JSON has no room for a question (or apply a saved plan FILE)")
	}
	if err := f.check(); err != nil {
		return err
	}
	if err := svc.check(fs); err != nil {
		return err
	}
	return specs.check(svc.from)
}

// applyPlan returns the plan to apply, the desired state it was loaded
// with (if any) and the backend, or a nil plan and the exit status after
// reporting why not.
func (c *command) applyPlan(ctx context.Context, specs *specFlags, svc *backendFlags, files []string, opts plan.Options, speed float64) (*plan.Plan, []*endpoint.Endpoint, *service, int) {
	var (
		desired []*endpoint.Endpoint
		p       *plan.Plan
		err     error
	)
	if len(specs.to) > 0 {
		if desired, err = c.loadSpecs(specs, "--to", specs.to); err != nil {
			c.printError("apply", err, nil)
			return nil, nil, nil, exitError
		}
	}
	if len(files) == 1 {
		if p, err = c.load(files[0], desired); err != nil {
			c.printError("apply", err, desired)
			return nil, nil, nil, exitError
		}
	}
	b, err := c.open(ctx, svc, specs, speed)
	if err != nil {
		c.printError("apply", err, nil)
		return nil, nil, nil, exitError
	}
	if p == nil {
		actual, err := observe(ctx, b)
		if err != nil {
			c.printError("apply", err, nil)
			return nil, nil, nil, exitError
		}
		if desired, err = rollout.ResolveLabels(ctx, b.Backend, desired); err != nil {
			c.printError("apply", err, nil)
			return nil, nil, nil, exitError
		}
		if p, err = plan.Compute(desired, actual, opts); err != nil {
			c.printError("apply", err, desired)
			return nil, nil, nil, exitError
		}
	}
	return p, desired, b, exitOK
}

// confirm asks, as terraform apply does, whether to perform the plan just
// printed; only "yes" goes on. Without a terminal nobody can answer: the
// plan is refused, saying which flag applies it without asking.
func (c *command) confirm(ctx context.Context) (int, bool) {
	if !c.terminal {
		fmt.Fprintln(c.stderr, "rollout apply: standard input is not a terminal, so the plan cannot be confirmed; nothing was changed.")
		fmt.Fprintln(c.stderr, "Add --auto-approve to apply it without asking, or save it with rollout plan --out FILE and apply the FILE.")
		return exitError, false
	}
	fmt.Fprint(c.stderr, "Do you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ")
	answer, err := c.answer(ctx)
	if err != nil || answer != "yes" {
		fmt.Fprintln(c.stderr, "\nApply cancelled; nothing was changed.")
		return exitError, false
	}
	fmt.Fprintln(c.stderr)
	return exitOK, true
}

// answer reads one line from stdin, or gives up when ctx ends.
func (c *command) answer(ctx context.Context) (string, error) {
	in := c.reader()
	ch := make(chan string, 1)
	go func() {
		line, _ := in.ReadString('\n')
		ch <- strings.TrimSpace(line)
	}()
	select {
	case a := <-ch:
		return a, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// applyOptions are the executor's options the flags choose.
func (c *command) applyOptions(f applyFlags, gates map[string]rollout.Gate, ui applyUI) []rollout.Option {
	opts := []rollout.Option{
		rollout.Parallelism(f.parallelism),
		rollout.Gates(gates),
		rollout.OnEvent(ui.event),
	}
	if f.rollback {
		opts = append(opts, rollout.Rollback())
	}
	return opts
}

func first(files []string) string {
	if len(files) == 0 {
		return ""
	}
	return files[0]
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
	if err := checkDesired(path, p, desired); err != nil {
		return nil, err
	}
	return rollout.FillSecrets(p, desired)
}

// checkDesired refuses a saved plan applied with specs other than those
// it was computed for: their secrets would be written with a plan made for
// other specs.
func checkDesired(path string, p *plan.Plan, desired []*endpoint.Endpoint) error {
	if p.DesiredFingerprint == "" {
		return fmt.Errorf("%s does not record the desired state it was computed for (plan format %d), so it cannot be checked against --to; run rollout plan again", path, p.FormatVersion)
	}
	if got := plan.DesiredFingerprint(desired); got != p.DesiredFingerprint {
		return fmt.Errorf("%s was computed for another desired state (%.12s) than --to holds now (%.12s); run rollout plan again with these files", path, p.DesiredFingerprint, got)
	}
	return nil
}

// applyError explains why Apply stopped, with what to do next.
func (c *command) applyError(err error, file string, desired []*endpoint.Endpoint) {
	var (
		stale   *rollout.StalePlanError
		stepErr *rollout.StepError
	)
	switch {
	case errors.As(err, &stale):
		if file == "" {
			file = "the plan"
		}
		fmt.Fprintf(c.stderr, "rollout apply: %s is stale: it was computed from state %.12s, and the service now holds state %.12s; run rollout plan again and apply the new plan\n",
			file, stale.Want, stale.Got)
	case errors.Is(err, rollout.ErrInvalidPlan):
		fmt.Fprintf(c.stderr, "rollout apply: %s (for a saved plan with secrets, give the desired state it was computed for with --to)\n", strings.TrimPrefix(err.Error(), "rollout: "))
	case errors.As(err, &stepErr):
		c.printError("apply", err, desired)
		fmt.Fprintln(c.stderr, "The service was left in a safe state; fix the cause and run rollout apply --to again to finish.")
	default:
		c.printError("apply", err, desired)
	}
}
