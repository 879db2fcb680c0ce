// Package servertest runs the durable workflows on a real Temporal server
// in process (go.temporal.io/server/temporaltest): histories go through
// the server's persistence, timers fire in real time, and signals and
// queries travel over gRPC. It is a module of its own because the server
// needs a newer Go than the rest of the project and pins the SDK and API
// versions it was built with (sdk v1.44.0, api v1.63.5, through replace),
// while the durable package itself is built with sdk v1.51.0.
//
// Its second purpose is recording: with -record, TestOnServer writes each
// run's history (and those of a fleet's children) as JSON to
// ../durable/testdata/histories, where the durable package's TestReplay
// replays them through the workflows as they are now. That replay test is
// what CI runs; this module is not built in CI (the server's first build
// takes many minutes on two cores).
//
// To re-record, after a deliberate change to what the workflows decide
// (old histories would otherwise fail TestReplay), from this directory:
//
//	GOTOOLCHAIN=go1.27.3 go test -run TestOnServer -record -count=1 .
//
// then run `go test ./durable` in examples/temporal and commit the changed
// files under durable/testdata/histories. Rollouts already running on a
// server keep their old histories: a change that fails the replay test
// needs workflow.GetVersion, or a new workflow type, before it ships.
package servertest
