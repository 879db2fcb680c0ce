package fakes_test

import (
	"testing"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/backend/backendtest"
	"github.com/rolloutkit/rollout/fakes"
)

func TestConformance(t *testing.T) {
	for _, strict := range []bool{false, true} {
		name := "default"
		if strict {
			name = "strict"
		}
		t.Run(name, func(t *testing.T) {
			backendtest.TestBackend(t, backendtest.Harness{
				New:      func(*testing.T) backend.Backend { return fakes.New(fakes.Options{Strict: strict}) },
				Synctest: true,
				FailProvisioning: func(t *testing.T, b backend.Backend, ep, dep string) {
					b.(*fakes.Service).FailProvisioning(ep, dep, "ImageBuildFailure", "the image did not build")
				},
				Kubernetes:   true,
				ExactRouting: true,
			})
		})
	}
}

func TestAssetsConformance(t *testing.T) {
	backendtest.TestAssets(t, backendtest.Harness{
		New: func(*testing.T) backend.Backend { return fakes.New(fakes.Options{}) },
	})
}
