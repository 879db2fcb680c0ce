package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

const statusUsage = `Usage: rollout status [--watch [--interval DURATION]] [BACKEND] [--to PATH] [ENDPOINT...]

Shows what the service holds for the endpoints named, or those of --to, or
all: each endpoint's live and mirror traffic as bars, each deployment's
provisioning state and instance count, and any operation in flight, as
kubectl argo rollouts get rollout shows a rollout. --watch shows it again
every --interval until interrupted.
`

func (c *command) status(ctx context.Context, args []string) int {
	fs := newFlagSet("status", statusUsage)
	var (
		specs    specFlags
		svc      backendFlags
		watch    = fs.Bool("watch", false, "show the status again every --interval until interrupted")
		interval = fs.Duration("interval", 2*time.Second, "how often --watch reads the service (`DURATION`)")
	)
	svc.register(fs)
	specs.register(fs, "show the endpoints of these specs (`PATH`); repeatable")
	if code, ok := fs.parse(c, args); !ok {
		return code
	}
	if err := svc.check(fs); err != nil {
		return c.usageError("status", "%v", err)
	}
	if *interval <= 0 {
		return c.usageError("status", "--interval %v: want a duration above zero", *interval)
	}
	names := fs.args
	if len(specs.to) > 0 {
		desired, err := c.loadSpecs(&specs, "--to", specs.to)
		if err != nil {
			c.printError("status", err, nil)
			return exitError
		}
		for _, e := range desired {
			names = append(names, e.Name)
		}
	}
	b, err := c.open(ctx, &svc, &specs, 0)
	if err != nil {
		c.printError("status", err, nil)
		return exitError
	}
	for {
		actual, err := observe(ctx, b)
		if err != nil {
			c.printError("status", err, nil)
			return exitError
		}
		if err := writeStatus(c.stdout, pick(actual, names), names); err != nil {
			c.printError("status", err, nil)
			return exitError
		}
		if !*watch {
			return exitOK
		}
		select {
		case <-ctx.Done():
			return exitOK
		case <-time.After(*interval):
			fmt.Fprintln(c.stdout)
		}
	}
}

// pick returns the endpoints named (all without names), by name.
func pick(actual []*endpoint.Endpoint, names []string) []*endpoint.Endpoint {
	var out []*endpoint.Endpoint
	for _, e := range actual {
		if len(names) == 0 || slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, e.Name) }) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *endpoint.Endpoint) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return out
}

// writeStatus writes one block per endpoint, and a line per named
// endpoint the service does not hold.
func writeStatus(w io.Writer, es []*endpoint.Endpoint, names []string) error {
	var b strings.Builder
	for _, n := range names {
		if !slices.ContainsFunc(es, func(e *endpoint.Endpoint) bool { return strings.EqualFold(n, e.Name) }) {
			fmt.Fprintf(&b, "Endpoint %s: not found\n\n", n)
		}
	}
	if len(es) == 0 && len(names) == 0 {
		b.WriteString("No endpoints.\n")
	}
	for _, e := range es {
		writeEndpoint(&b, e)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeEndpoint(b *strings.Builder, e *endpoint.Endpoint) {
	fmt.Fprintf(b, "Endpoint %s: %s\n", e.Name, state(e.Status.ProvisioningState))
	bars(b, "live", e.Traffic, e.Deployments)
	if !e.Mirror.IsZero() {
		bars(b, "mirror", e.Mirror, e.Deployments)
	}
	b.WriteString("  Deployments:\n")
	for _, d := range e.Deployments {
		fmt.Fprintf(b, "    %-12s %-10s instances %d\n", d.Name, state(d.Status.ProvisioningState), d.InstanceCount)
	}
	var busy []string
	if e.Status.ProvisioningState.Busy() {
		busy = append(busy, "endpoint "+string(e.Status.ProvisioningState))
	}
	for _, d := range e.Deployments {
		if d.Status.ProvisioningState.Busy() {
			busy = append(busy, "deployment "+d.Name+" "+string(d.Status.ProvisioningState))
		}
	}
	if len(busy) > 0 {
		fmt.Fprintf(b, "  In flight: %s\n", strings.Join(busy, ", "))
	}
	b.WriteString("\n")
}

// bars draws a split, one bar of 20 cells per deployment.
func bars(b *strings.Builder, label string, s traffic.Split, deps []endpoint.Deployment) {
	fmt.Fprintf(b, "  %s traffic:\n", strings.ToUpper(label[:1])+label[1:])
	if s.IsZero() {
		b.WriteString("    (none)\n")
		return
	}
	for _, d := range deps {
		p := s.Get(d.Name)
		if p == 0 && label == "mirror" {
			continue
		}
		cells := p / 5
		fmt.Fprintf(b, "    %-12s %s%s %3d%%\n", d.Name, strings.Repeat("█", cells), strings.Repeat("░", 20-cells), p)
	}
}

func state(s endpoint.ProvisioningState) string {
	if s == "" {
		return "Succeeded"
	}
	return string(s)
}
