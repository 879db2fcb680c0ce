package servertest_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/examples/temporal/durable"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/plan"
)

var record = flag.Bool("record", false, "write the runs' histories to "+histories+" for the replay test")

// histories is where the durable package's replay test reads them.
const histories = "../durable/testdata/histories"

// flow is the canary example's walk-through.
const flow = "../../canary/flow"

// TestOnServer runs the workflows on a real Temporal server in process:
// the history goes through the server's persistence, timers fire in real
// time, signals and queries travel over gRPC. With -record, each run's
// history is written for the replay test.
func TestOnServer(t *testing.T) {
	srv := temporaltest.NewServer(temporaltest.WithT(t))
	c := srv.GetDefaultClient()
	for _, tc := range []struct {
		name     string
		workflow string
		input    any
		// steer signals the run once an approval gate waits; nil leaves
		// it alone.
		steer   func(ctx context.Context, c client.Client, id string) error
		wantErr string
		want    string
	}{{
		name: "tutorial", workflow: durable.WorkflowRollout,
		input: tutorial(t, "canary:10"), want: "green=100",
	}, {
		name: "approve", workflow: durable.WorkflowRollout,
		input: tutorial(t, "canary:10:approve"), want: "green=100",
		steer: signal(durable.SignalApprove),
	}, {
		name: "abort", workflow: durable.WorkflowRollout,
		input: tutorial(t, "canary:10,50:approve"), want: "blue=100",
		steer: signal(durable.SignalAbort), wantErr: durable.ErrorAborted,
	}, {
		name: "promote", workflow: durable.WorkflowRollout,
		input: tutorial(t, "canary:10,50:approve"), want: "green=100",
		steer: signal(durable.SignalPromote),
	}, {
		name: "fleet", workflow: durable.WorkflowFleet,
		input: durable.FleetRequest{Rollout: tutorial(t, "canary:10"), MaxConcurrent: 1}, want: "green=100",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			svc := seeded(t)
			queue := "rollout-" + tc.name
			srv.NewWorker(queue, func(r worker.Registry) { durable.Register(r, &durable.Activities{Backend: svc}) })
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: tc.name, TaskQueue: queue}, tc.workflow, tc.input)
			if err != nil {
				t.Fatal(err)
			}
			if tc.steer != nil {
				if err := tc.steer(ctx, c, run.GetID()); err != nil {
					t.Fatal(err)
				}
			}
			err = run.Get(ctx, nil)
			var app *temporal.ApplicationError
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("the workflow failed: %v", err)
			case tc.wantErr != "" && !(errors.As(err, &app) && app.Type() == tc.wantErr):
				t.Fatalf("the workflow ended with %v, want an error of type %s", err, tc.wantErr)
			}
			if e, _ := svc.Peek("my-endpoint"); e == nil || e.Traffic.String() != tc.want {
				t.Errorf("my-endpoint serves %v, want %s", e, tc.want)
			}
			if *record {
				save(ctx, t, c, tc.name, run.GetID())
			}
		})
	}
}

// tutorial is the walk-through's canary with a one-second bake, in real
// time on a real server.
func tutorial(t *testing.T, strategy string) durable.Request {
	desired, err := endpoint.Load(filepath.Join(flow, "6-delete-blue.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return durable.Request{Desired: desired, Strategy: strategy, Gates: durable.DefaultGates(time.Second)}
}

// seeded returns an in-memory service holding the walk-through's second
// stage: blue, scaled out, taking all traffic.
func seeded(t *testing.T) *fakes.Service {
	state, err := endpoint.Load(filepath.Join(flow, "2-scale-blue.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	if _, err := rollout.Run(context.Background(), svc, state, plan.Options{}); err != nil {
		t.Fatal(err)
	}
	return svc
}

// signal returns a steer that sends the named signal once an approval
// gate waits. The smoke test waits before it, and an approve signal that
// finds no approval gate waiting is ignored, as documented.
func signal(name string) func(ctx context.Context, c client.Client, id string) error {
	return func(ctx context.Context, c client.Client, id string) error {
		for {
			v, err := c.QueryWorkflow(ctx, id, "", durable.QueryStatus)
			if err != nil {
				return err
			}
			var st durable.Status
			if err := v.Get(&st); err != nil {
				return err
			}
			if slices.ContainsFunc(st.Waiting, func(w durable.Wait) bool { return w.Kind == durable.Approval }) {
				return c.SignalWorkflow(ctx, id, "", name, durable.Signal{})
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

// save writes the history of workflow id, and those of its children, as
// JSON in the form the Temporal CLI prints and the replayer reads.
func save(ctx context.Context, t *testing.T, c client.Client, name, id string) {
	t.Helper()
	var h historypb.History
	it := c.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var children []string
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
		if a := ev.GetChildWorkflowExecutionStartedEventAttributes(); a != nil {
			children = append(children, a.GetWorkflowExecution().GetWorkflowId())
		}
	}
	data, err := temporalproto.CustomJSONMarshalOptions{Indent: " "}.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(histories, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(histories, name+".json"), append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	slices.Sort(children)
	for i, child := range children {
		save(ctx, t, c, fmt.Sprintf("%s-child-%d", name, i+1), child)
	}
}
