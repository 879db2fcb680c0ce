// Package rollout rolls out machine-learning online endpoints declaratively:
// write the state you want, review the plan that gets there from the state
// the service holds now, and execute it without ever breaking the endpoint's
// safety rules.
//
// The reference service is Azure Machine Learning's managed online
// endpoints. An endpoint is a stable scoring URI with deployments behind it
// (blue, green, ...), each a model version on its own compute, and a live
// traffic split between them in percent, plus an optional mirror split that
// copies a share of requests to one deployment and discards its answers.
// Desired state is written in the service's own CLI v2 YAML, so the files a
// team already has keep working.
//
// # From files to a plan
//
// Loading, planning and executing are separate layers, each usable and
// testable on its own:
//
//   - Load: the endpoint package reads YAML into one normalized model, so
//     two spellings of the same state (a capitalized enum, a reference
//     written as a string or as a mapping) never show up as a change.
//   - Plan: the plan package compares desired with actual and returns a
//     plan as plain data: steps with field-level changes, reasons and
//     dependencies, printable like terraform plan and serializable as JSON.
//     Planning does no I/O, so the same inputs always give the same plan.
//   - Execute: [Apply] runs a plan through a backend, the service or an
//     in-memory model of it, step by step as dependencies allow; [Run]
//     observes, plans and applies in one call; [ApplyStep] runs a single
//     step. Every step is idempotent against the service and a plan is
//     serializable, so a durable workflow engine (Temporal, Argo Workflows)
//     or a Kubernetes controller can run a saved plan's steps as activities,
//     retrying any of them, across machines and restarts; the library needs
//     no scheduler or state file of its own. After a failure the way
//     forward is to plan again from what the service holds.
//
// # A safe rollout
//
// The service's safe-rollout tutorial is a script of imperative commands:
// create blue, scale it, create green, move traffic, delete blue. Each
// command fails if its resource already exists (or does not yet), so the
// script cannot simply be run again after a failure. Here every step is a
// desired-state file, and the plan is computed against whatever the
// service holds, so running a step twice is a no-op and running it after a
// failure does only what is left. The six files of examples/canary and
// what each one changes against the state its predecessor left:
//
//	1-create-endpoint-with-blue.yaml  + endpoint my-endpoint
//	                                  + deployment blue (Standard_DS3_v2 x1)
//	                                  traffic blue 0 → 100
//	2-scale-blue.yaml                 ~ deployment blue: instance_count 1 → 2
//	3-create-green.yaml               + deployment green (Standard_DS3_v2 x2), no live traffic
//	4-flight-green.yaml               traffic blue 100 → 90, green 0 → 10
//	5-full-green.yaml                 traffic blue 90 → 0, green 10 → 100
//	6-delete-blue.yaml                - deployment blue
//
// Between steps 3 and 4, green serves only requests that name it (the
// azureml-model-deployment header), which is how it is tested before any
// user reaches it. The order inside a step follows from the safety rules,
// not from the file: a deployment is created or scaled up before its share
// grows, scaled down or deleted only after its share is gone, and an
// endpoint that serves keeps serving at every moment in between. That is
// also why steps may be skipped: planning 6-delete-blue.yaml right after
// step 2 creates green, moves all traffic to it in one endpoint update, and
// only then deletes blue. With a canary strategy the same plan moves
// traffic in stages instead, blue=90 green=10 then blue=50 green=50 for
// stages 10 and 50, with a gate that smoke-tests green before its first
// share and a gate after each stage.
//
// # What execution keeps
//
// Every state between two steps keeps the safety rules S1 to S6 that the
// plan package lists, for plans this package computes and for plans it is
// given: [Apply] replays a plan it did not compute through the service's
// rules before the first write ([ErrUnsafePlan]), and [ApplyStep] checks
// its one step against the state the service holds. From any state the
// service can reach (resources that failed to provision, some still
// serving; operations left in flight by a cancelled run), [Run] reaches
// the desired state (P1) and returns nil only once nothing it manages is
// in flight. A rollback restores only a split that a gate watching live
// traffic approved, or the one from before the plan, and only one that
// keeps the rules in the state left; after an endpoint's final stage it
// leaves the final split (see [Apply] for the exact semantics).
//
// # Asset labels
//
// A deployment may select its model or environment by label rather than by
// version: azureml:taxi-model@latest, or
// azureml://registries/azureml/environments/sklearn-1.5/labels/latest. The
// service's REST API takes versions only; its CLI resolves the label just
// before it writes. Here the label is resolved when the service is
// observed ([ResolveLabels], which [Run] calls), so that planning stays
// pure and the plan says what it will write:
//
//	model = azureml:taxi-model@latest (→ 7)
//
// The deployment is written with version 7. While latest stays at 7 an
// unchanged spec plans nothing; once a newer version is created, the same
// spec plans one in-place update of each deployment that uses the label,
// with the reason "model: azureml:taxi-model@latest moved from 7 to 8".
// The versions a plan resolved are part of its fingerprint, so [Apply]
// refuses a saved plan whose label has moved since, as a [*StalePlanError]
// that names the label.
//
// # Packages
//
//   - [github.com/rolloutkit/rollout/traffic]: the traffic split value
//     type, its text and JSON forms, validation of live and mirror splits,
//     ramps between two splits, and a weighted router.
//   - [github.com/rolloutkit/rollout/endpoint]: the model of endpoints and
//     deployments, YAML loading with positioned errors, validation,
//     normalization, field-level comparison and canonical output.
//   - [github.com/rolloutkit/rollout/plan]: plans as data, computed from
//     desired and actual state with a strategy (direct, canary, blue/green,
//     shadow), as text, JSON and graphs.
//   - [github.com/rolloutkit/rollout/backend]: the service a plan is
//     executed against, with typed errors;
//     [github.com/rolloutkit/rollout/backend/backendtest] is the
//     conformance suite every backend passes, and
//     [github.com/rolloutkit/rollout/backend/azureml] is the service itself
//     over Azure Resource Manager.
//   - [github.com/rolloutkit/rollout/fakes]: an in-memory model of the
//     service with its rules, latencies and injectable faults;
//     [github.com/rolloutkit/rollout/fakes/rest] serves it over the
//     service's REST protocol, and
//     [github.com/rolloutkit/rollout/fakes/gen] generates specs and states
//     for property tests.
//   - This package: executing plans, with gates, events, retries and
//     rollback.
//   - examples/canary: the flow above run on the in-memory service, with
//     a smoke test, a baked canary and, on request, a rollback (go run
//     ./examples/canary); examples/rollout: the rollout command that plans
//     and applies, for pipelines, against the in-memory service or a
//     workspace.
package rollout
