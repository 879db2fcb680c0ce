package plan

import (
	"fmt"
	"slices"

	"github.com/rolloutkit/rollout/endpoint"
)

// resolvedLabels appends the resolved labels the deployments of e use to
// out. Compute gathers them as it reaches each desired endpoint, while its
// memory is at hand, rather than in a pass of its own over the fleet.
func resolvedLabels(out []endpoint.AssetLabel, e *endpoint.Endpoint) []endpoint.AssetLabel {
	for i := range e.Deployments {
		for _, f := range e.Deployments[i].Labels() {
			if f.Label.IsResolved() {
				out = append(out, f.Label)
			}
		}
	}
	return out
}

// uniqueLabels sorts the resolved labels of the desired endpoints and
// keeps each once. One label resolved to two versions (desired endpoints
// resolved at different times) is an error: the plan could not say which
// version it writes.
func uniqueLabels(out []endpoint.AssetLabel) ([]endpoint.AssetLabel, error) {
	if len(out) == 0 {
		return nil, nil
	}
	slices.SortFunc(out, endpoint.AssetLabel.Compare)
	out = slices.Compact(out)
	for i := 1; i < len(out); i++ {
		if out[i].Same(out[i-1]) {
			return nil, fmt.Errorf("plan: %s resolved to both %s and %s in the desired state; resolve its labels once", out[i], out[i-1].Version, out[i].Version)
		}
	}
	return out, nil
}
