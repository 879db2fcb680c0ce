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

func TestLabelsConformance(t *testing.T) {
	backendtest.TestLabels(t, backendtest.LabelHarness{
		New:             func(*testing.T) backend.Backend { return fakes.New(fakes.Options{}) },
		AddAssetVersion: AddAssetVersion,
	})
}

// AddAssetVersion adds v to the in-memory service b, with files named by
// its name and version.
func AddAssetVersion(t *testing.T, b backend.Backend, v backendtest.AssetVersion) {
	t.Helper()
	err := b.(*fakes.Service).AddAssetVersion(fakes.AssetVersion{Kind: v.Kind, Registry: v.Registry, Name: v.Name, Version: v.Version,
		Created: v.Created, Archived: v.Archived, Content: v.Name + ":" + v.Version})
	if err != nil {
		t.Fatal(err)
	}
}
