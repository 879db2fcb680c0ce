package durable

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Registry is where workflows and activities are registered: a
// worker.Worker, or the SDK's test environment.
type Registry interface {
	worker.WorkflowRegistry
	worker.ActivityRegistry
}

// Register registers the Rollout and Fleet workflows and the activities
// of a on r, under the names the workflows call them by. Every worker of
// the task queue registers the same, each with its own backend.
func Register(r Registry, a *Activities) {
	r.RegisterWorkflowWithOptions(Rollout, workflow.RegisterOptions{Name: WorkflowRollout})
	r.RegisterWorkflowWithOptions(Fleet, workflow.RegisterOptions{Name: WorkflowFleet})
	r.RegisterActivityWithOptions(a, activity.RegisterOptions{Name: activityPrefix})
}
