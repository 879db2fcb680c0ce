// Command canary rolls out a new version of a model behind an online
// endpoint the way the service's safe-rollout tutorial does, on the
// in-memory service: create the endpoint with blue, scale blue out, create
// green without live traffic, smoke-test green alone, give it 10% of live
// traffic and let it bake, then all of it, and delete blue.
//
// Each stage takes the service to a desired-state file of flow/. The
// program prints the plan computed from what the service holds, executes
// it, printing each step as it starts and ends, and then sends 1,000
// requests to the endpoint to show who answers them: blue answers v1, green
// v2. The canary's bake sends 1,000 more while a metric gate watches the
// error rate of every deployment with live traffic.
//
// The service's operations take as long as they do for real (a deployment
// takes 10 minutes to create), only 1,000 times faster by default: the
// whole rollout takes about three seconds. Every time printed is simulated.
//
// Usage:
//
//	go run ./examples/canary [-fail-green] [-speed N]
//
// The flags are:
//
//	-fail-green
//		Make green fail one request in five with status 500, a bug its
//		one smoke request does not hit. The metric gate refuses at 10%,
//		the traffic is rolled back to blue=100, and green is kept, without
//		traffic, for inspection.
//	-speed N
//		Run the service N times faster than the real one, from 1 to
//		10000 (default 1000).
//
// The exit status is 0 when the rollout finished, 1 when it stopped (as it
// does with -fail-green, after its rollback), and 2 for bad flags.
package main

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/plan"
	"github.com/rolloutkit/rollout/traffic"
)

// flowFS holds the desired states, so the program runs from any directory.
//
//go:embed flow/*.yaml
var flowFS embed.FS

// The numbers of the walk-through.
const (
	// liveRequests are sent after every stage, and during the bake.
	liveRequests = 1000
	bakeTime     = 10 * time.Minute
	maxErrorRate = 0.01
	// minRequests is what the bake needs of each deployment to judge it;
	// 10% of the bake's requests is twice as many.
	minRequests = 50
	// maxSpeed keeps the simulated waits, a 30 s endpoint update is 3 ms at
	// this speed, longer than the bookkeeping around them.
	maxSpeed = 10000
)

// options are what the flags choose, and where the stages come from.
type options struct {
	fsys   fs.FS
	dir    string
	stages []stage
	// failGreen makes green fail a fifth of its requests.
	failGreen bool
	// speed is how many times faster than the real service the in-memory
	// one runs.
	speed float64
}

func defaultOptions() options {
	return options{fsys: flowFS, dir: "flow", stages: tutorial(), speed: 1000}
}

// real returns how long a simulated duration takes at the options' speed.
func (o options) real(d time.Duration) time.Duration {
	return time.Duration(float64(d) / o.speed)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := command(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `Usage: canary [-fail-green] [-speed N]

Rolls out green in place of blue behind my-endpoint on the in-memory
service, stage by stage as the service's safe-rollout tutorial does,
printing each stage's plan, its progress in simulated time, and who
answers live requests.

Exit status: 0 when the rollout finished; 1 when it stopped (as it does
with -fail-green, after rolling its traffic back); 2 for bad flags.

Flags:
`

// command is the program with its arguments and streams passed in, so that
// tests run it in-process; it returns the exit status.
func command(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts := defaultOptions()
	flags := flag.NewFlagSet("canary", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprint(stderr, usage)
		flags.PrintDefaults()
	}
	flags.BoolVar(&opts.failGreen, "fail-green", false, "make green fail one request in five, so that the canary's metric gate refuses and the rollout rolls back")
	flags.Float64Var(&opts.speed, "speed", opts.speed, "run the service `N` times faster than the real one, up to 10000")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if flags.NArg() > 0 || opts.speed < 1 || opts.speed > maxSpeed {
		fmt.Fprintf(stderr, "canary: want no arguments and a speed from 1 to %d\n\n", maxSpeed)
		flags.Usage()
		return 2
	}
	if err := run(ctx, stdout, opts); err != nil {
		fmt.Fprintln(stderr, "canary:", err)
		return 1
	}
	return 0
}

// run loads every stage, and then rolls them out on a new in-memory
// service.
func run(ctx context.Context, w io.Writer, opts options) error {
	steps, err := loadFlow(opts.fsys, opts.dir, opts.stages)
	if err != nil {
		return err
	}
	return walk(ctx, w, newService(opts), steps, opts)
}

// newService returns the in-memory service with the reference service's
// latencies, sped up.
func newService(opts options) *fakes.Service {
	return fakes.New(fakes.Options{TimeScale: 1 / opts.speed, Handlers: handlers(opts.failGreen)})
}

// walk applies the steps one after the other, each with a plan computed
// from what the service holds when it starts, and stops at the first that
// fails, once its traffic is rolled back.
func walk(ctx context.Context, w io.Writer, svc *fakes.Service, steps []step, opts options) error {
	r := newReport(w, opts.speed)
	name := steps[0].want.Name
	apply := []rollout.Option{
		rollout.Gates(map[string]rollout.Gate{
			"smoke": rollout.SmokeTest([]byte(request), nil),
			"bake":  bake(svc, liveRequests, opts.real(bakeTime), r),
		}),
		rollout.Rollback(),
		rollout.OnEvent(r.event),
		// Retries wait in simulated time too.
		rollout.Backoff(opts.real(rollout.DefaultBackoffBase), opts.real(rollout.DefaultBackoffCap)),
	}

	r.printf("A safe rollout of %s on the in-memory service, in %d stages.\n", name, len(steps))
	r.printf("Times are simulated: the service runs %s times faster than the real one.\n",
		strconv.FormatFloat(opts.speed, 'f', -1, 64))
	writes, retries := 0, 0
	for i, s := range steps {
		r.printf("\nStage %d/%d: %s\n", i+1, len(steps), s.title)
		desired := s.file
		if s.through != "" {
			desired += ", through " + s.through
		}
		r.field("desired", desired)
		r.field("strategy", s.strategy.String())

		actual, err := svc.ListEndpoints(ctx)
		if err != nil {
			return err
		}
		p, err := plan.Compute([]*endpoint.Endpoint{s.want}, actual, plan.Options{Strategy: s.strategy})
		if err != nil {
			return err
		}
		if p.Summary.Gates > 0 {
			r.field("gates", "smoke:DEPLOYMENT  one request to the deployment alone must succeed")
			r.field("", fmt.Sprintf("bake              %s of live traffic, at most %g%% errors per deployment",
				minutes(bakeTime), maxErrorRate*100))
		}
		if err := r.showPlan(p); err != nil {
			return err
		}

		res, applyErr := rollout.Apply(ctx, svc, p, apply...)
		if res != nil {
			writes += res.Calls
			retries += res.Retries
		}
		if err := ctx.Err(); err != nil {
			return cmp.Or(applyErr, err)
		}
		ep, err := svc.GetEndpoint(ctx, name)
		if err != nil {
			return errors.Join(applyErr, err)
		}
		got, err := sendNow(ctx, svc, name, liveRequests)
		if err != nil {
			return errors.Join(applyErr, err)
		}
		r.printf("\n")
		r.field("traffic", splitText(ep.Traffic))
		r.field("requests", thousands(liveRequests)+": "+got.String())
		if applyErr != nil {
			for _, d := range ep.Deployments {
				if ep.Traffic.Get(d.Name) == 0 {
					r.field("kept", d.Name+", without traffic, for inspection")
				}
			}
			r.printf("\nStopped at %s, after %d writes to the service: stage %d failed.\n", r.clock(), writes, i+1)
			return errors.Join(applyErr, r.Err())
		}
	}
	ep, err := svc.GetEndpoint(ctx, name)
	if err != nil {
		return err
	}
	r.printf("\nDone at %s: %s serves %s, after %d writes to the service and %d retries.\n",
		r.clock(), name, splitText(ep.Traffic), writes, retries)
	return r.Err()
}

// splitText spells out an empty split, which means a dark endpoint.
func splitText(s traffic.Split) string {
	if s.IsZero() {
		return "none"
	}
	return s.String()
}
