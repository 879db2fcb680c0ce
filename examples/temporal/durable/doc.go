// Package durable runs rollouts as Temporal workflows, so that a rollout
// outlives any one process: a two-hour bake is a workflow timer that costs
// nothing and survives every restart, an approval is a signal anybody can
// send, and a fleet of endpoints spreads over every worker that polls the
// task queue.
//
// # What runs where
//
// The Temporal server keeps each workflow's history and its timers. The
// workers, as many as a team runs, execute the workflows and the
// activities: they [Register] the [Rollout] and [Fleet] workflows and
// the [Activities], each worker with its own backend (backend/azureml, or
// fakes for tests and demonstrations). Only activities talk to the
// service; workflow code never does I/O.
//
// # The workflow
//
// [Rollout] observes the endpoints through an activity, computes the plan
// inside the workflow with plan.Compute (pure and deterministic, as
// workflow code must be; replaying a recorded history computes the same
// plan), and runs each step as an activity through rollout.ApplyStep, in
// dependency order, independent steps at once under the rule of one
// endpoint-level write per endpoint that rollout.Apply keeps. An attempt
// that fails is retried by Temporal's retry policy, mapped from the
// backend's kinds of failure ([RetryPolicy]): throttling, unavailability
// and conflicts are retried, everything else is final.
//
// Gates wait durably ([GateSpec]): a bake is a timer, an approval waits
// for the approve signal, a smoke test or a metric check is an activity.
// The promote signal skips the remaining gates, as Argo Rollouts' promote
// --full does. The abort signal (or cancelling the workflow) and a gate
// that refuses stop the rollout and roll its traffic back to the last
// split a gate approved. The status query returns the plan, the stage
// reached, each endpoint's live and mirror split, the gates that wait and
// since when, and the steps done.
//
// [Fleet] starts one Rollout child workflow per endpoint, at most
// MaxConcurrent at once, and passes signals on to them.
package durable
