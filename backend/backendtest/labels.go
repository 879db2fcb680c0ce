package backendtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
)

// AssetVersion is an asset version that [TestLabels] has the service hold,
// through [LabelHarness].AddAssetVersion.
type AssetVersion struct {
	// Kind is model or environment.
	Kind string
	// Registry is the registry that holds it; empty for the workspace.
	Registry string
	Name     string
	Version  string
	// Created is its creation time. The versions of one asset are added
	// in the order of their creation times, except where a test says
	// otherwise.
	Created time.Time
	// Archived versions are left out of lists.
	Archived bool
}

// LabelHarness sets up the backends of [TestLabels].
type LabelHarness struct {
	// New returns a fresh backend, which must implement [backend.Labels].
	New func(t *testing.T) backend.Backend
	// AddAssetVersion has the backend's service hold an asset version
	// created at v.Created, as a PUT of the version does; adding an
	// existing version again with Archived set archives it.
	AddAssetVersion func(t *testing.T, b backend.Backend, v AssetVersion)
}

// TestLabels runs the conformance tests of the [backend.Labels]
// capability, each as a subtest on a fresh backend: the rules that
// backend.Labels lists.
func TestLabels(t *testing.T, h LabelHarness) {
	if h.New == nil || h.AddAssetVersion == nil {
		t.Fatal("backendtest: LabelHarness.New and AddAssetVersion are required")
	}
	tests := []struct {
		name string
		run  func(t *testing.T, s *labelSuite)
	}{
		{"LatestIsCreatedLast", testLatestIsCreatedLast},
		{"ArchivedLeftOut", testArchivedLeftOut},
		{"NoVersion", testNoVersion},
		{"RegistryApart", testRegistryApart},
		{"KindsApart", testKindsApart},
		{"NamesCaseSensitive", testLabelNamesCaseSensitive},
		{"OnlyLatest", testOnlyLatest},
		{"NoCodeLabels", testNoCodeLabels},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := h.New(t)
			lb, ok := b.(backend.Labels)
			if !ok {
				t.Fatalf("backendtest: %T does not implement backend.Labels", b)
			}
			tt.run(t, &labelSuite{t: t, h: h, b: b, l: lb})
		})
	}
}

type labelSuite struct {
	t *testing.T
	h LabelHarness
	b backend.Backend
	l backend.Labels
}

var labelEpoch = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// add adds versions of one asset, created an hour apart in the order given.
func (s *labelSuite) add(kind, registry, name string, versions ...string) {
	for i, v := range versions {
		s.h.AddAssetVersion(s.t, s.b, AssetVersion{Kind: kind, Registry: registry, Name: name, Version: v, Created: labelEpoch.Add(time.Duration(i) * time.Hour)})
	}
}

func (s *labelSuite) resolve(l endpoint.AssetLabel) (string, error) {
	return s.l.ResolveLabel(context.Background(), l)
}

func (s *labelSuite) want(l endpoint.AssetLabel, version string) {
	s.t.Helper()
	got, err := s.resolve(l)
	if err != nil || got != version {
		s.t.Errorf("ResolveLabel(%s) = %q, %v; want %q", describe(l), got, err, version)
	}
}

func (s *labelSuite) wantErr(l endpoint.AssetLabel, target error) {
	s.t.Helper()
	got, err := s.resolve(l)
	if !errors.Is(err, target) {
		s.t.Errorf("ResolveLabel(%s) = %q, %v; want %v", describe(l), got, err, target)
	}
}

func describe(l endpoint.AssetLabel) string { return l.Kind + " " + l.String() }

func latest(kind, registry, name string) endpoint.AssetLabel {
	return endpoint.AssetLabel{Kind: kind, Registry: registry, Name: name, Label: endpoint.LatestLabel}
}

// The SDK lists versions ordered by creation time and takes the first: not
// the highest version number, which 10 after 9 would be, nor a string
// order, which 9 after 10 would be.
func testLatestIsCreatedLast(t *testing.T, s *labelSuite) {
	s.add(endpoint.ModelAsset, "", "taxi-model", "1", "10", "9")
	s.want(latest(endpoint.ModelAsset, "", "taxi-model"), "9")
	s.add(endpoint.ModelAsset, "", "fraud", "9", "10")
	s.want(latest(endpoint.ModelAsset, "", "fraud"), "10")
}

// Archiving the newest version moves latest back to the one before; a
// resolved version left in the label is ignored.
func testArchivedLeftOut(t *testing.T, s *labelSuite) {
	s.add(endpoint.ModelAsset, "", "taxi-model", "1", "2", "3")
	s.h.AddAssetVersion(t, s.b, AssetVersion{Kind: endpoint.ModelAsset, Name: "taxi-model", Version: "3", Created: labelEpoch.Add(2 * time.Hour), Archived: true})
	l := latest(endpoint.ModelAsset, "", "taxi-model")
	l.Version = "3"
	s.want(l, "2")
}

func testNoVersion(t *testing.T, s *labelSuite) {
	s.wantErr(latest(endpoint.ModelAsset, "", "never-registered"), backend.ErrNotFound)
	s.add(endpoint.ModelAsset, "", "all-archived", "1")
	s.h.AddAssetVersion(t, s.b, AssetVersion{Kind: endpoint.ModelAsset, Name: "all-archived", Version: "1", Created: labelEpoch, Archived: true})
	s.wantErr(latest(endpoint.ModelAsset, "", "all-archived"), backend.ErrNotFound)
}

func testRegistryApart(t *testing.T, s *labelSuite) {
	s.add(endpoint.EnvironmentAsset, "azureml", "sklearn-1.5", "1", "2", "3")
	s.add(endpoint.EnvironmentAsset, "", "sklearn-1.5", "7")
	s.want(latest(endpoint.EnvironmentAsset, "azureml", "sklearn-1.5"), "3")
	s.want(latest(endpoint.EnvironmentAsset, "", "sklearn-1.5"), "7")
	s.wantErr(latest(endpoint.EnvironmentAsset, "other-registry", "sklearn-1.5"), backend.ErrNotFound)
}

func testKindsApart(t *testing.T, s *labelSuite) {
	s.add(endpoint.ModelAsset, "", "shared-name", "4")
	s.wantErr(latest(endpoint.EnvironmentAsset, "", "shared-name"), backend.ErrNotFound)
}

// Asset names are case-sensitive in the REST API ("Container name. This
// is case-sensitive."), unlike endpoint and deployment names.
func testLabelNamesCaseSensitive(t *testing.T, s *labelSuite) {
	s.add(endpoint.ModelAsset, "", "taxi-model", "1")
	s.wantErr(latest(endpoint.ModelAsset, "", "Taxi-Model"), backend.ErrNotFound)
}

func testOnlyLatest(t *testing.T, s *labelSuite) {
	s.add(endpoint.ModelAsset, "", "taxi-model", "1")
	l := latest(endpoint.ModelAsset, "", "taxi-model")
	l.Label = "champion"
	s.wantErr(l, backend.ErrNotFound)
}

func testNoCodeLabels(t *testing.T, s *labelSuite) {
	s.wantErr(latest(endpoint.CodeAsset, "", "score"), backend.ErrInvalid)
}
