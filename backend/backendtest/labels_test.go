package backendtest_test

import (
	"cmp"
	"context"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/backend/backendtest"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
)

const brokenLabelsEnv = "BACKENDTEST_BROKEN_LABELS"

// resolver is an in-memory service whose label resolution is replaced.
type resolver struct {
	*fakes.Service
	resolve func(ctx context.Context, s *fakes.Service, l endpoint.AssetLabel) (string, error)
}

func (r resolver) ResolveLabel(ctx context.Context, l endpoint.AssetLabel) (string, error) {
	return r.resolve(ctx, r.Service, l)
}

// highest picks the highest version number, active or not: the most
// natural wrong reading of latest.
func highest(_ context.Context, s *fakes.Service, l endpoint.AssetLabel) (string, error) {
	vs := s.AssetVersions(l.Kind, l.Registry, l.Name, true)
	if len(vs) == 0 {
		return "", backend.ErrNotFound
	}
	return slices.MaxFunc(vs, func(a, b fakes.AssetVersion) int {
		x, _ := strconv.Atoi(a.Version)
		y, _ := strconv.Atoi(b.Version)
		return cmp.Compare(x, y)
	}).Version, nil
}

// brokenResolvers each break one rule of backend.Labels, with the test
// that must catch it.
var brokenResolvers = []struct {
	name, catches string
	resolve       func(ctx context.Context, s *fakes.Service, l endpoint.AssetLabel) (string, error)
}{
	{"highest version number", "LatestIsCreatedLast", highest},
	{"archived versions count", "ArchivedLeftOut", func(_ context.Context, s *fakes.Service, l endpoint.AssetLabel) (string, error) {
		vs := s.AssetVersions(l.Kind, l.Registry, l.Name, true)
		if len(vs) == 0 {
			return "", backend.ErrNotFound
		}
		return vs[0].Version, nil
	}},
	{"registry ignored", "RegistryApart", func(ctx context.Context, s *fakes.Service, l endpoint.AssetLabel) (string, error) {
		l.Registry = ""
		return s.ResolveLabel(ctx, l)
	}},
	{"every label is latest", "OnlyLatest", func(ctx context.Context, s *fakes.Service, l endpoint.AssetLabel) (string, error) {
		l.Label = endpoint.LatestLabel
		return s.ResolveLabel(ctx, l)
	}},
	{"names ignore case", "NamesCaseSensitive", func(ctx context.Context, s *fakes.Service, l endpoint.AssetLabel) (string, error) {
		l.Name = strings.ToLower(l.Name)
		return s.ResolveLabel(ctx, l)
	}},
}

// TestLabelSuiteCatchesBrokenResolvers runs TestLabels in a child process
// on resolvers that each break one rule, and checks that the rule's test
// fails.
func TestLabelSuiteCatchesBrokenResolvers(t *testing.T) {
	if name := os.Getenv(brokenLabelsEnv); name != "" {
		for _, b := range brokenResolvers {
			if b.name == name {
				backendtest.TestLabels(t, backendtest.LabelHarness{
					New: func(*testing.T) backend.Backend { return resolver{fakes.New(fakes.Options{}), b.resolve} },
					AddAssetVersion: func(t *testing.T, b backend.Backend, v backendtest.AssetVersion) {
						err := b.(resolver).AddAssetVersion(fakes.AssetVersion{Kind: v.Kind, Registry: v.Registry, Name: v.Name, Version: v.Version,
							Created: v.Created, Archived: v.Archived, Content: v.Name + ":" + v.Version})
						if err != nil {
							t.Fatal(err)
						}
					},
				})
				return
			}
		}
		t.Fatalf("no broken resolver %q", name)
	}
	if testing.Short() {
		t.Skip("starts a child process per broken resolver")
	}
	for _, b := range brokenResolvers {
		t.Run(b.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestLabelSuiteCatchesBrokenResolvers$", "-test.v")
			cmd.Env = append(os.Environ(), brokenLabelsEnv+"="+b.name)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a resolver that breaks a rule (%s)", b.name)
			}
			if !strings.Contains(string(out), "--- FAIL: TestLabelSuiteCatchesBrokenResolvers/"+b.catches+" ") {
				t.Errorf("the suite did not fail %s for a resolver whose %s:\n%s", b.catches, b.name, out)
			}
		})
	}
}
