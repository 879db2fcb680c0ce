// Package plan computes, checks and renders the steps that take the actual
// state of online endpoints to the desired one.
//
// A plan is plain data. [Compute] is pure: it reads the desired specs and
// what the service reports, and returns a [Plan] without doing any I/O, so
// the same inputs always give the same plan, byte for byte in every output.
// Executing a plan is the job of the root package, which walks the steps in
// any order their dependencies allow, one write in flight per endpoint.
//
// # Steps
//
// A [Step] creates, updates or deletes an endpoint or a deployment, sets an
// endpoint's traffic, or waits at a gate. Steps name the steps they wait for
// in DependsOn; Plan.Steps lists them in a topological order. Step ids are
// readable and stable: ENDPOINT/create, ENDPOINT/update, ENDPOINT/delete,
// ENDPOINT/DEPLOYMENT/create (update, delete; scale for the later
// scale-down of a failed deployment that is written again before traffic
// leaves it), ENDPOINT/traffic (or
// ENDPOINT/traffic/1, /2, ... for staged ramps) and ENDPOINT/gate/NAME (or
// ENDPOINT/gate/NAME/1, ... when a gate recurs).
//
// Steps that write the endpoint carry its full live and mirror splits,
// before and after: the service replaces both maps on every update, so a
// step that sent only the live split would drop the mirror.
//
// # Safety rules
//
// Every plan keeps these rules after each step, in every order its
// dependencies allow; [Check] replays a plan to verify them and [Verify]
// also checks that it converges.
//
//   - S1: live traffic sums to 100, or is all 0 (dark); an endpoint that
//     served before the plan serves throughout it unless the desired state
//     is dark or deleted.
//   - S2: traffic names only deployments that exist and provisioned
//     successfully.
//   - S3: mirror traffic goes to at most one deployment, at most 50 percent,
//     never one with live traffic, on managed endpoints only.
//   - S4: a deployment is deleted only once its live and mirror shares are 0.
//   - S5: capacity first: scale up or create before a share grows, scale
//     down only after it shrank.
//   - S6: what cannot change in place (instance_type, endpoint compute, a
//     property the service holds) is
//     replaced, and only when no traffic depends on it; otherwise Compute
//     refuses with an error ([RefusedError]) that spells out the safe path:
//     a new deployment, a traffic shift, then deleting the old one.
//   - S7: one write in flight per endpoint (the executor's part).
//
// The rules of the service that these rest on are one model, shared by
// [Compute]'s ordering, [Simulate], [Check] and [Verify], and the in-memory
// service in package fakes. Among them: a deployment's spec names asset
// versions, never labels, which clients resolve before they write; a plan
// that would write a label no one resolved is refused. Where the
// service's documentation is silent,
// the model keeps the in-memory service's rule:
//   - names of endpoints and deployments compare without regard to case
//     ([endpoint.SameName]): Blue and blue are one deployment, which keeps
//     the spelling it was created with; a split may name it either way;
//   - instance_type compares without regard to case, so Standard_DS3_v2
//     and standard_ds3_v2 are one instance type and no replacement;
//   - every endpoint write sends its full splits, and the service refuses
//     one that names a deployment whose provisioning did not succeed, even
//     when it only re-sends the share that deployment already has. So a
//     deployment that failed while it serves is written again before any
//     endpoint write that names it, and one that is to have no traffic
//     leaves the split in the plan's first traffic step;
//   - creating a deployment while another deployment of the same endpoint
//     is being written is allowed.
//
// # Strategies
//
// [Options].Strategy decides how traffic moves; the safety rules hold for
// all of them. [Direct] (the default) moves traffic in one step. [Canary]
// moves it through a ramp of stages with gates between them (bake) and a
// smoke:DEPLOYMENT gate before a deployment first takes live traffic; a
// stage is the share the rising deployments hold (canary:10,50 is 90/10,
// 50/50, then the desired split; resumed at 90/10 it goes to 50/50 next),
// shared among several rising deployments in proportion to their desired
// shares and among falling ones in proportion to their current shares, as
// [traffic.Ramp] defines exactly.
// [BlueGreen] brings the new deployment up at 0 percent, waits at a gate,
// switches all traffic at once, waits again, then deletes the old
// deployment or keeps it for a fast rollback. [Shadow] mirrors a share of
// live requests to the new deployment and waits at a gate before it takes
// live traffic. Gates are only names: the executor binds them to smoke
// tests, metric checks or approvals. [ParseStrategy] reads the command-line
// form (direct, canary:10,50, bluegreen, shadow:10).
//
// # Output
//
// [WriteText] (and [Plan.String]) prints a plan for people in the style of
// terraform plan: + create, ~ update in place, - destroy, -/+ replace, ? gate,
// traffic as "blue 100 → 90, green 0 → 10" and a summary line:
//
//	Plan: 1 to add, 1 to change, 1 to destroy, 2 traffic shifts.
//
// [WriteMermaid] draws the step graph for pull-request comments and
// [WriteDOT] for Graphviz. [WriteJSON] writes the JSON form below, which
// [Decode] reads back, for saved plans and for other tools.
//
// # JSON format, version 2
//
// A plan is one JSON object:
//
//	format_version  2. Readers refuse versions they do not know; see below.
//	fingerprint     hex sha256 of the actual state the plan was computed
//	                from; an executor refuses the plan when a fresh read of
//	                the service gives another. The value depends on how this
//	                version encodes a state (see [Fingerprint]): a plan saved
//	                by a version that encodes it otherwise reads as stale,
//	                even against an unchanged service, and is computed again.
//	                The encoding changed once, to a compact binary one:
//	                plans saved by earlier versions of this package read as
//	                stale.
//	desired_fingerprint
//	                hex sha256 of the desired state the plan was computed
//	                for ([DesiredFingerprint]: secret values left out);
//	                whoever applies the plan with specs refuses specs that
//	                give another. Absent when unknown (a plan not made by
//	                [Compute]).
//	labels          the asset labels the desired state selects versions
//	                by, each {kind, registry, name, label, version} with
//	                the version it resolved to when the service was
//	                observed ([Plan.Labels]); the fingerprint covers them.
//	                Absent when the desired state resolved none.
//	strategy        the strategy in the command-line form (canary:10,50).
//	steps           the steps, an array in a topological order.
//	summary         counts: add, change, destroy (resources created,
//	                updated, deleted), traffic (steps that change a live or
//	                mirror split) and gates.
//
// Each step is an object:
//
//	id              the step's stable id (see Steps above).
//	action          create_endpoint, update_endpoint, delete_endpoint,
//	                create_deployment, update_deployment, delete_deployment,
//	                set_traffic or gate.
//	endpoint        the endpoint's name.
//	deployment      the deployment's name; absent for endpoint and traffic
//	                steps, and on a gate step the deployment it tests, if
//	                any (smoke:green tests green).
//	depends_on      ids of the steps that must finish first; always an
//	                array, empty for steps that wait for nothing. Every id
//	                names an earlier step.
//	gate            the gate's name (smoke:green, bake); gate steps only.
//	before, after   the resource as it is before the step and as the step
//	                leaves it, with the field names of the YAML spec
//	                (after.instance_count, after.scale_settings.max_instances,
//	                after.model.name). Endpoint steps carry the endpoint
//	                without its deployments, which have steps of their own.
//	                before is absent on creates, after on deletes; traffic
//	                and gate steps have neither. What the service reports
//	                (provisioning state, ETag) is not part of a spec; the
//	                fingerprint stands for it.
//	traffic_before, mirror_traffic_before, traffic, mirror_traffic
//	                the full live and mirror splits before and after the
//	                step, as objects from deployment name to percent
//	                ({"blue": 90, "green": 10}; {} is empty: dark, or no
//	                mirror). Always present on set_traffic, create_endpoint
//	                and update_endpoint steps.
//	changes         the fields the step changes, each {path, before, after}
//	                with printable values and sensitive: true when the
//	                values were redacted; always an array.
//	reason          why the step is there, for people.
//
// Values of environment variables whose names look secret (see
// [endpoint.IsSecretName]) are written as [endpoint.Redacted], in before,
// after and changes alike, so a plan can be posted where people read it.
// A decoded plan holds that placeholder too: whoever applies a saved plan
// takes the secrets from the desired spec, never from the plan.
//
// [Decode] refuses what it cannot read exactly: another format_version,
// unknown fields (a newer writer may have added one that changes what a
// step means), unknown actions, resource specs on traffic or gate steps,
// a step that writes the endpoint without one of its four splits (read as
// {}, it would take the endpoint dark),
// a step whose spec names another endpoint or deployment than the step,
// duplicate ids and dependencies on later or missing steps. [Plan.StepIndex]
// is that graph check, the one [Check] and executors make too. The version
// changes only when a plan could be misread; readers check it first.
//
// Version 1 is version 2 without desired_fingerprint. [Decode] still reads
// it, as a plan whose desired state is unknown; a version 1 plan that has
// the field is refused. Version 2 was introduced so that an older reader
// refuses a plan whose desired fingerprint it would ignore, rather than
// apply it to specs that changed.
package plan
