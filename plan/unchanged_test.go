package plan

import (
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes/gen"
)

// TestPropUnchangedSkipsNothing: Compute skips the planner for an endpoint
// that unchanged reports, as given or after normalization; the planner
// itself must then have had no step to give, with any strategy and
// options, whatever state the service is in.
func TestPropUnchangedSkipsNothing(t *testing.T) {
	skipped, asGiven := 0, 0
	rapid.Check(t, func(t *rapid.T) {
		pair := gen.Pairs().Draw(t, "pair")
		if rapid.Bool().Draw(t, "as_reported") {
			// Desired as the service reports it, defaults written out, as
			// a program that copies an observation writes it.
			pair.Desired = gen.Specs(pair.Actual)
		}
		opts := Options{
			Strategy:       rapid.SampledFrom([]Strategy{Direct(), Canary([]int{10, 50}), BlueGreen(true), Shadow(10)}).Draw(t, "strategy"),
			DeleteUnlisted: rapid.Bool().Draw(t, "delete_unlisted"),
			AllowReplace:   rapid.Bool().Draw(t, "allow_replace"),
		}
		for _, d := range pair.Desired {
			for _, a := range pair.Actual {
				if !strings.EqualFold(d.Name, a.Name) {
					continue
				}
				nd, na := endpoint.Normalized(d), endpoint.Normalized(a)
				nd.Name = na.Name
				raw := unchanged(d, a)
				if !raw && !unchanged(nd, na) {
					continue
				}
				skipped++
				if raw {
					asGiven++
				}
				steps, err := (&planner{opts: opts}).plan(nd, na)
				if err != nil || len(steps) > 0 {
					t.Fatalf("%s is skipped as unchanged (as given: %v) but the planner gives %d steps, error %v", a.Name, raw, len(steps), err)
				}
			}
		}
	})
	if skipped == 0 || asGiven == 0 {
		t.Errorf("%d endpoints skipped, %d of them as given: the generator no longer reaches the skip", skipped, asGiven)
	}
}
