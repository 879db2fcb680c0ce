package backendtest_test

import (
	"testing"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/backend/backendtest"
	"github.com/rolloutkit/rollout/fakes"
)

// A backend's conformance test: the in-memory service waits with the time
// package, so the suite runs it inside synctest bubbles, and its
// FailProvisioning hook lets the suite test failed provisioning too.
func ExampleTestBackend() {
	conformance := func(t *testing.T) {
		backendtest.TestBackend(t, backendtest.Harness{
			New:      func(*testing.T) backend.Backend { return fakes.New(fakes.Options{}) },
			Synctest: true,
			FailProvisioning: func(t *testing.T, b backend.Backend, ep, dep string) {
				b.(*fakes.Service).FailProvisioning(ep, dep, "ImageBuildFailed", "the image did not build")
			},
			ExactRouting: true,
		})
	}
	_ = conformance // in a _test.go file: func TestConformance(t *testing.T) { ... }
}
