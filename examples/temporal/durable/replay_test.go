package durable_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/rolloutkit/rollout/examples/temporal/durable"
)

// TestReplay replays histories recorded on a real Temporal server (see
// the servertest module, -record) through the workflows as they are now:
// a change that makes them decide differently from the same history (a
// plan computed differently, a step started in another order, a timer
// added) fails here before it could break the rollouts that are running.
func TestReplay(t *testing.T) {
	files, err := filepath.Glob("testdata/histories/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded histories in testdata/histories")
	}
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(durable.Rollout, workflow.RegisterOptions{Name: durable.WorkflowRollout})
	r.RegisterWorkflowWithOptions(durable.Fleet, workflow.RegisterOptions{Name: durable.WorkflowFleet})
	for _, f := range files {
		if err := replay(r, f); err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
	}
}

// replay replays one recorded history under the workflow ID it was
// recorded with, the file's name (a fleet names its children after it).
func replay(r worker.WorkflowReplayer, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		return err
	}
	id := strings.TrimSuffix(filepath.Base(file), ".json")
	opts := worker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: id}}
	return r.ReplayWorkflowHistoryWithOptions(nil, h, opts)
}
