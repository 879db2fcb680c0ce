// Command rollout-temporal runs rollouts as Temporal workflows: workers that
// execute them against the service, and the client commands that start,
// watch and steer them.
//
// Usage:
//
//	rollout-temporal worker [--backend fake|azureml] [flags]
//	rollout-temporal start --to PATH [--strategy canary:10] [--bake 10m] [--fleet] [--id ID]
//	rollout-temporal status ID
//	rollout-temporal approve ID [--step STEP]
//	rollout-temporal abort ID [--reason TEXT]
//	rollout-temporal promote ID
//
// Every command talks to the Temporal server at --address (default
// localhost:7233, as Temporal's own CLI; `temporal server start-dev`
// serves one on a laptop) in --namespace, on task queue --task-queue.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/backend/azureml"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/examples/temporal/durable"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/plan"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "rollout-temporal:", err)
		os.Exit(1)
	}
}

const usage = `usage: rollout-temporal COMMAND [flags]

commands:
  worker    run a worker: the workflows and the activities, against a backend
  start     start a rollout (or, with --fleet, one child per endpoint)
  status    print a rollout's status
  approve   pass the approval gates that wait
  abort     stop a rollout and roll its traffic back
  promote   skip the remaining gates`

// run runs one command; errors are to be printed.
func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	cmd, args := args[0], args[1:]
	c := &command{out: out}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.address, "address", client.DefaultHostPort, "the Temporal server (`HOST:PORT`)")
	fs.StringVar(&c.namespace, "namespace", client.DefaultNamespace, "the Temporal `NAMESPACE`")
	fs.StringVar(&c.queue, "task-queue", "rollout", "the task `QUEUE` the workers poll")
	var do func(context.Context, []string) error
	switch cmd {
	case "worker":
		c.workerFlags(fs)
		do = c.worker
	case "start":
		c.startFlags(fs)
		do = c.start
	case "status":
		do = c.status
	case "approve":
		fs.StringVar(&c.sig.Step, "step", "", "approve only the gate of step `ID`")
		do = c.signal(durable.SignalApprove)
	case "abort":
		fs.StringVar(&c.sig.Reason, "reason", "", "why, for the status (`TEXT`)")
		do = c.signal(durable.SignalAbort)
	case "promote":
		do = c.signal(durable.SignalPromote)
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
	operands, err := parse(fs, args)
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	return do(ctx, operands)
}

// parse parses the flags of args, before and after the operands, as the
// usage writes them (approve ID --step STEP): package flag stops at the
// first operand. It returns the operands; those after "--" are operands
// whatever they look like.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var operands []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); len(rest) == 0 || n > 0 && args[n-1] == "--" {
			return append(operands, rest...), nil
		}
		operands, args = append(operands, rest[0]), rest[1:]
	}
}

// command holds the flags of every command.
type command struct {
	out                       io.Writer
	address, namespace, queue string

	// worker
	backend                                     string
	from                                        string
	speed                                       float64
	subscription, resourceGroup, workspace, loc string

	// start
	to, strategy, id string
	bake             time.Duration
	fleet            bool
	maxConcurrent    int

	// approve, abort
	sig durable.Signal
}

func (c *command) workerFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.backend, "backend", "fake", "the service (`KIND`): fake, in memory, or azureml")
	fs.StringVar(&c.from, "from", "", "fake: the state the service starts out holding (`PATH`, a spec file or directory)")
	fs.Float64Var(&c.speed, "speed", 600, "fake: how many times faster than the real service it runs")
	fs.StringVar(&c.subscription, "subscription", "", "azureml: the workspace's subscription `ID`")
	fs.StringVar(&c.resourceGroup, "resource-group", "", "azureml: the workspace's resource group (`NAME`)")
	fs.StringVar(&c.workspace, "workspace", "", "azureml: the workspace (`NAME`)")
	fs.StringVar(&c.loc, "location", "", "azureml: the workspace's region (`REGION`)")
}

func (c *command) startFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.to, "to", "", "the desired state (`PATH`, a spec file or directory)")
	fs.StringVar(&c.strategy, "strategy", "direct", "the `STRATEGY`: direct, canary:10,50, canary:10:approve, bluegreen, shadow:10")
	fs.DurationVar(&c.bake, "bake", 10*time.Minute, "how long bake gates wait")
	fs.BoolVar(&c.fleet, "fleet", false, "one child workflow per endpoint, --max-concurrent at once")
	fs.IntVar(&c.maxConcurrent, "max-concurrent", durable.DefaultMaxConcurrent, "with --fleet: endpoints rolled out at once")
	fs.StringVar(&c.id, "id", "", "the workflow `ID`; rollout-TIME when empty")
}

func (c *command) dial() (client.Client, error) {
	return client.Dial(client.Options{HostPort: c.address, Namespace: c.namespace})
}

// worker runs a worker until ctx ends.
func (c *command) worker(ctx context.Context, _ []string) error {
	acts, err := c.activities(ctx)
	if err != nil {
		return err
	}
	cl, err := c.dial()
	if err != nil {
		return err
	}
	defer cl.Close()
	w := worker.New(cl, c.queue, worker.Options{})
	durable.Register(w, acts)
	if err := w.Start(); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "worker polling %s on %s (%s backend)\n", c.queue, c.address, c.backend)
	<-ctx.Done()
	w.Stop()
	return nil
}

// activities returns the activities against the chosen backend.
func (c *command) activities(ctx context.Context) (*durable.Activities, error) {
	switch c.backend {
	case "azureml":
		b, err := c.azure()
		if err != nil {
			return nil, err
		}
		return &durable.Activities{Backend: b}, nil
	case "fake":
		if c.speed < 1 {
			return nil, fmt.Errorf("--speed %v: want 1 or more", c.speed)
		}
		svc := fakes.New(fakes.Options{TimeScale: 1 / c.speed, NoHistory: true})
		if c.from != "" {
			state, err := endpoint.Load(c.from)
			if err != nil {
				return nil, err
			}
			if _, err := rollout.Run(ctx, svc, state, plan.Options{}); err != nil {
				return nil, fmt.Errorf("seeding the in-memory service from --from: %w", err)
			}
		}
		return &durable.Activities{Backend: svc, Metrics: fakeMetrics(svc)}, nil
	}
	return nil, fmt.Errorf("unknown backend %q; want fake or azureml", c.backend)
}

// fakeMetrics reads the in-memory service's request counters.
func fakeMetrics(svc *fakes.Service) rollout.MetricSource {
	return rollout.MetricSourceFunc(func(_ context.Context, ep, d string) (rollout.MetricSample, error) {
		for _, s := range svc.Stats(ep) {
			if strings.EqualFold(s.Deployment, d) {
				return rollout.MetricSample{Endpoint: ep, Deployment: d, Requests: int64(s.Requests), Errors: int64(s.Errors)}, nil
			}
		}
		return rollout.MetricSample{Endpoint: ep, Deployment: d}, nil
	})
}

// azure returns the workspace's backend, signed in with azidentity's
// default credential chain (environment, workload identity, managed
// identity, az login).
func (c *command) azure() (backend.Backend, error) {
	for _, f := range []struct{ name, v string }{
		{"--subscription", c.subscription}, {"--resource-group", c.resourceGroup},
		{"--workspace", c.workspace}, {"--location", c.loc},
	} {
		if f.v == "" {
			return nil, fmt.Errorf("%s is required with --backend azureml", f.name)
		}
	}
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	scope := azureml.Scope{Subscription: c.subscription, ResourceGroup: c.resourceGroup, Workspace: c.workspace}
	return azureml.New(scope, cred, &azureml.Options{Location: c.loc})
}

// request builds the workflow's input from the start flags.
func (c *command) request() (string, any, error) {
	if c.to == "" {
		return "", nil, errors.New("start: --to is required")
	}
	desired, err := endpoint.Load(c.to)
	if err != nil {
		return "", nil, err
	}
	if _, err := plan.ParseStrategy(c.strategy); err != nil {
		return "", nil, fmt.Errorf("start: --strategy: %w", err)
	}
	if c.bake <= 0 {
		return "", nil, fmt.Errorf("start: --bake %v: want a duration above zero", c.bake)
	}
	req := durable.Request{Desired: desired, Strategy: c.strategy, Gates: durable.DefaultGates(c.bake)}
	if c.fleet {
		return durable.WorkflowFleet, durable.FleetRequest{Rollout: req, MaxConcurrent: c.maxConcurrent}, nil
	}
	return durable.WorkflowRollout, req, nil
}

// start starts the workflow and prints its id.
func (c *command) start(ctx context.Context, _ []string) error {
	wf, input, err := c.request()
	if err != nil {
		return err
	}
	id := c.id
	if id == "" {
		id = "rollout-" + time.Now().UTC().Format("20060102-150405")
	}
	cl, err := c.dial()
	if err != nil {
		return err
	}
	defer cl.Close()
	run, err := cl.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: c.queue}, wf, input)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.out, run.GetID())
	return nil
}

// status prints the status a workflow's query returns.
func (c *command) status(ctx context.Context, args []string) error {
	id, err := oneID("status", args)
	if err != nil {
		return err
	}
	cl, err := c.dial()
	if err != nil {
		return err
	}
	defer cl.Close()
	v, err := cl.QueryWorkflow(ctx, id, "", durable.QueryStatus)
	if err != nil {
		return err
	}
	desc, err := cl.DescribeWorkflow(ctx, id, "")
	if err != nil {
		return err
	}
	if desc.WorkflowType.Name == durable.WorkflowFleet {
		var st durable.FleetStatus
		if err := v.Get(&st); err != nil {
			return err
		}
		printFleet(c.out, st)
		return nil
	}
	var st durable.Status
	if err := v.Get(&st); err != nil {
		return err
	}
	printStatus(c.out, st)
	return nil
}

// signal returns the command that sends the named signal.
func (c *command) signal(name string) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		id, err := oneID(name, args)
		if err != nil {
			return err
		}
		cl, err := c.dial()
		if err != nil {
			return err
		}
		defer cl.Close()
		return cl.SignalWorkflow(ctx, id, "", name, c.sig)
	}
}

func oneID(cmd string, args []string) (string, error) {
	if len(args) != 1 {
		return "", fmt.Errorf("%s: want one workflow id, got %d arguments", cmd, len(args))
	}
	return args[0], nil
}
