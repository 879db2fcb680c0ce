// Package backendtest is a conformance suite for implementations of
// [backend.Backend], in the spirit of testing/fstest.TestFS: every backend,
// the in-memory service and the real one over HTTP, must pass the same tests
// of the service's rules, so that a rollout tested against one behaves the
// same against the other.
//
// A backend's own test calls [TestBackend] with a [Harness]:
//
//	func TestConformance(t *testing.T) {
//		backendtest.TestBackend(t, backendtest.Harness{
//			New:      func(t *testing.T) backend.Backend { return fakes.New(fakes.Options{}) },
//			Synctest: true,
//		})
//	}
//
// Some tests need an operation to be in progress while the test acts (the
// service answers 409 Conflict to a second operation on a busy endpoint), so
// the backend's writes must take time. Backends that wait with the time
// package run the suite inside testing/synctest bubbles (Harness.Synctest),
// where the waits cost no real time and what is in flight is deterministic.
package backendtest
