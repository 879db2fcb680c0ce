package main

import (
	"bytes"
	"context"
	"flag"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rolloutkit/rollout/examples/temporal/durable"
	"github.com/rolloutkit/rollout/traffic"
)

const flow = "../../../canary/flow"

// TestRefusals checks that bad command lines fail before any connection,
// with an error that names what is wrong.
func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		reason string
		args   []string
		want   string
	}{
		{"no command", nil, "usage: rollout-temporal"},
		{"an unknown command", []string{"deploy"}, `unknown command "deploy"`},
		{"an unknown flag", []string{"start", "--speed", "3"}, "start: flag provided but not defined: -speed"},
		{"start without --to", []string{"start"}, "--to is required"},
		{"a bad strategy", []string{"start", "--to", flow + "/6-delete-blue.yaml", "--strategy", "canary:110"}, "--strategy"},
		{"a bad bake", []string{"start", "--to", flow + "/6-delete-blue.yaml", "--bake", "0s"}, "--bake 0s"},
		{"a missing spec", []string{"start", "--to", "no/such/file.yaml"}, "no/such/file.yaml"},
		{"status without an id", []string{"status"}, "status: want one workflow id, got 0"},
		{"approve with two ids", []string{"approve", "a", "b"}, "approve: want one workflow id, got 2"},
		{"abort with two ids around a flag", []string{"abort", "a", "--reason", "r", "b"}, "abort: want one workflow id, got 2"},
		{"an unknown flag after the id", []string{"promote", "a", "--now"}, "promote: flag provided but not defined: -now"},
		{"an unknown backend", []string{"worker", "--backend", "aws"}, `unknown backend "aws"`},
		{"azureml without a workspace", []string{"worker", "--backend", "azureml", "--subscription", "s", "--resource-group", "g", "--location", "l"}, "--workspace is required"},
		{"a fake slower than real", []string{"worker", "--speed", "0.5"}, "--speed 0.5"},
	} {
		err := run(context.Background(), tc.args, new(bytes.Buffer))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v: got %v, want an error containing %q", tc.reason, tc.args, err, tc.want)
		}
	}
}

// TestParse checks that flags are read before and after the operands, as
// the usage writes them.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		reason   string
		args     []string
		operands []string
		step     string
	}{
		{"flags after the id, as the usage writes them", []string{"wf-1", "--step", "my-endpoint/gate/approve/1"}, []string{"wf-1"}, "my-endpoint/gate/approve/1"},
		{"flags before the id", []string{"--step=s", "wf-1"}, []string{"wf-1"}, "s"},
		{"flags between operands", []string{"a", "--step", "s", "b"}, []string{"a", "b"}, "s"},
		{"operands only", []string{"a", "b"}, []string{"a", "b"}, ""},
		{"operands after -- that look like flags", []string{"wf-1", "--", "--step", "s"}, []string{"wf-1", "--step", "s"}, ""},
	} {
		fs := flag.NewFlagSet("approve", flag.ContinueOnError)
		step := fs.String("step", "", "")
		got, err := parse(fs, tc.args)
		if err != nil || !slices.Equal(got, tc.operands) || *step != tc.step {
			t.Errorf("%s: %v: operands %q, step %q (%v); want %q, %q", tc.reason, tc.args, got, *step, err, tc.operands, tc.step)
		}
	}
}

// TestRequest checks the workflow input that start builds from its flags.
func TestRequest(t *testing.T) {
	c := &command{to: flow + "/6-delete-blue.yaml", strategy: "canary:10:approve", bake: time.Hour}
	wf, input, err := c.request()
	if err != nil {
		t.Fatal(err)
	}
	req, ok := input.(durable.Request)
	if wf != durable.WorkflowRollout || !ok {
		t.Fatalf("start builds %s with %T, want %s with a Request", wf, input, durable.WorkflowRollout)
	}
	if len(req.Desired) != 1 || req.Desired[0].Name != "my-endpoint" || req.Strategy != "canary:10:approve" {
		t.Errorf("request %+v", req)
	}
	if g := req.Gates["bake"]; g.Kind != durable.Bake || g.Duration != time.Hour {
		t.Errorf("bake gate %+v, want a bake of an hour", g)
	}

	c.fleet, c.maxConcurrent = true, 25
	wf, input, err = c.request()
	if fr, ok := input.(durable.FleetRequest); err != nil || wf != durable.WorkflowFleet || !ok || fr.MaxConcurrent != 25 {
		t.Errorf("start --fleet builds %s with %+v (%v), want a fleet of 25 at once", wf, input, err)
	}
}

// TestPrintStatus checks what status prints.
func TestPrintStatus(t *testing.T) {
	since := time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC)
	var b bytes.Buffer
	printStatus(&b, durable.Status{
		Phase: durable.PhaseRunning, Strategy: "canary:10", Steps: 6,
		Done: []string{"a", "b", "c"}, Stage: "my-endpoint/traffic/1",
		Traffic: []durable.EndpointTraffic{{Endpoint: "my-endpoint", Live: traffic.MustParse("blue=90 green=10")}},
		Waiting: []durable.Wait{{Step: "my-endpoint/gate/bake/1", Gate: "bake", Endpoint: "my-endpoint", Kind: durable.Bake, Since: since}},
	})
	want := `phase:    running
strategy: canary:10
steps:    3 of 6 done, at my-endpoint/traffic/1
traffic:  my-endpoint live blue=90 green=10
waiting:  bake gate bake on my-endpoint since 2026-05-01T09:30:00Z (step my-endpoint/gate/bake/1)
`
	if b.String() != want {
		t.Errorf("printed\n%s\nwant\n%s", b.String(), want)
	}
}
