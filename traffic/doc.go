// Package traffic holds the traffic split of an online endpoint, the ramps
// that move traffic between deployments in stages, and a deterministic
// router that serves a split exactly.
//
// It depends on nothing but the standard library, so every layer (spec,
// planner, fakes, executor) can share the one value type.
//
// # Splits
//
// A [Split] maps deployment names to integer percents, like the endpoint's
// traffic map in the service. It is an immutable value with a useful zero
// value (the empty split: a dark endpoint, or no mirror). Entries of 0
// percent are dropped when a split is built, because the service drops them
// too and a plan must not report "green 0 -> (absent)" as a change; so
// "blue=100 green=0" is [Split.Equal] to "blue=100".
//
// Constructors ([New], [FromEntries], [Parse]) check names and percents but
// not totals, because live and mirror traffic obey different rules:
// [Split.Validate] checks live traffic (total exactly 100, or 0 when dark)
// and [Split.ValidateMirror] checks mirror traffic (one deployment, at most
// 50 percent, none of it live).
//
// # Text and JSON
//
// [Parse] reads the command-line form "blue=90 green=10" (commas are
// accepted too) and [Split.String] writes it canonically, with entries in
// name order. JSON is an object, {"blue":90,"green":10}, as the service
// uses. Both forms round-trip. Every error is an *[Error] (or wraps a JSON
// syntax error) and matches [ErrInvalid]; errors from Parse carry the
// offending token and its byte offset.
//
// # Ramps
//
// [Ramp] and [RampStep] compute the stages of a gradual move from one live
// split to another, such as a canary. A stage is the share of live traffic
// the rising side (the deployments whose share grows) holds at that stage,
// as in the set-weight steps of Argo Rollouts and the step weights of
// Flagger: stages 10 and 50 take blue=100 to green=100 through 90/10 and
// 50/50, and take blue=90 green=10 through 50/50 only, since stages at or
// below the rising side's current share, or at or above its desired
// share, are skipped. With several deployments on a side, the rising side
// is shared in proportion to the desired shares and the falling side holds
// the rest in proportion to the current shares, no deployment passing
// either end of its move (the exact rule is in [Ramp]'s documentation).
// Stages are in whole percents that always sum to 100, with each
// deployment moving steadily in one direction. The stages are plain data;
// pausing or checking health between them is the caller's business.
//
// # Routing
//
// A [Router] maps request keys to deployments so that every 100 consecutive
// keys reproduce the live split exactly and short runs are well mixed, and
// decides independently which requests are copied to the mirror. It makes
// fake endpoints and tests deterministic where the real service is
// random.
package traffic
