// Package fakes is an in-memory model of the reference service (Azure
// Machine Learning managed online endpoints) for tests, demonstrations and
// programs that show a rollout without a cloud account.
//
// A [Service] implements [backend.Backend] and enforces the service's rules
// with its error codes and messages: names, at most 20 deployments, traffic
// that sums to 100 or 0 and names only deployments that exist and whose
// provisioning succeeded, the mirror rules, no deleting a deployment that has
// traffic, immutable instance_type and compute, one endpoint-level operation
// at a time (409 Conflict for a second), no creating a deployment while its
// endpoint is updating, asset versions rather than labels in a
// deployment's spec. Those rules are the one model of the service that
// the planner and the plan checker of package plan use too; the Service
// adds time, concurrency, injected faults and observation. Where the
// service's documentation is silent it keeps these rules (the plan
// package's documentation lists them): names of endpoints and deployments,
// and instance types, compare without regard to case, and a resource keeps
// the spelling of the name it was created with; an endpoint write is
// refused when its splits name a deployment whose provisioning did not
// succeed, even one that already has that share. It passes the conformance
// suite in [github.com/rolloutkit/rollout/backend/backendtest].
//
// It holds asset versions too, of the workspace and of registries, with
// their creation times and archived flags: registered from local files
// ([Service.RegisterAsset]) or put as the service's PUT does
// ([Service.AddAssetVersion]). It resolves the latest label as the
// service's SDK does ([Service.ResolveLabel]): the active version created
// last.
//
// # Time
//
// Operations take as long as they do in the service (see [DefaultLatency]),
// waited with the standard time package. Inside a testing/synctest bubble the
// clock is simulated: a 10-minute create returns at once in real time, and
// the bubble's clock says 10 minutes passed, so tests measure a rollout's
// duration exactly. Programs use [Options.TimeScale]; [NoLatency] ends every
// operation at once.
//
// # Traffic
//
// [Service.Invoke] routes requests by the live split with a traffic.Router
// keyed by a per-endpoint counter, so counts are exact: 1,000 requests at
// blue=90 green=10 reach blue 900 times. Each deployment answers with a
// [Handler] the test supplies (blue answers v1, green answers v2), and
// [Service.Stats] counts requests and errors per deployment.
//
// # Faults and observation
//
// [Faults] wrap any backend and inject failures by [Rule]s that select
// calls by operation, target, count or seeded probability: throttling with
// Retry-After, 5xx, dropped requests and lost responses, slow operations
// and provisioning failures. A provisioning failure belongs to the call it
// was injected into: when the service refuses that call, it does not fire
// on a later one. The REST emulator in fakes/rest takes the same rules and
// fires them with the same engine ([Faults.Pick]) on its requests, giving
// each fault its HTTP form, so a test can move from the service's methods
// to the wire and keep its faults. [Service.FailProvisioning] arms a
// provisioning failure directly, and [Service.SetHandler] makes a deployment
// turn unhealthy in the middle of a run.
//
// [Interceptor] is not a second fault model: it fires no rules, and only
// replaces single methods of a working backend with the test's own code.
// Faults use it to reach each method; tests use it for what rules cannot
// say, such as cancelling a run after its k-th write or changing the
// service between two calls.
//
// [Options.OnState] sees every state after every change, and
// [Service.History] keeps them, so a test can check the safety rules at
// every moment of a run; [Service.Calls] counts calls by method and
// [Service.Stats] requests by deployment.
//
// # Operations in progress
//
// A write stores the new spec at once, with the provisioning state Creating,
// Updating, Scaling or Deleting, and ends when its latency has passed. While
// it runs:
//   - an endpoint-level write (create, update, traffic, delete) gets
//     Conflict if the endpoint or any of its deployments is busy;
//   - a deployment write gets Conflict if its endpoint or the deployment
//     itself is busy ("Cannot create a deployment in endpoint X because it
//     is in Updating provisioning state"), or, with [Options.Strict], if any
//     deployment of the endpoint is busy.
//
// A caller whose context ends leaves the operation running, as the service
// does.
//
// Every write also has a Start form ([Service.StartCreateOrUpdateEndpoint],
// [Service.StartCreateOrUpdateDeployment], ...) that checks and accepts the
// write and returns at once: a refusal as its error, or the accepted
// write's [Operation], which ends when the latency has passed and reports
// the provisioning outcome. The blocking methods are Start followed by
// [Operation.Wait]. Adapters that answer "accepted" before an operation
// ends, like the REST emulator in fakes/rest, use the Start forms, and read
// the service with [Service.Peek], which is not counted in
// [Service.Calls].
package fakes
