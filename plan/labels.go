package plan

import (
	"fmt"
	"slices"

	"github.com/rolloutkit/rollout/endpoint"
)

// labelsOf lists the resolved labels the desired endpoints use, sorted and
// each once. One label resolved to two versions (desired endpoints
// resolved at different times) is an error: the plan could not say which
// version it writes.
func labelsOf(desired []*endpoint.Endpoint) ([]endpoint.AssetLabel, error) {
	var out []endpoint.AssetLabel
	for _, e := range desired {
		if e == nil {
			continue
		}
		for i := range e.Deployments {
			for _, f := range e.Deployments[i].Labels() {
				if f.Label.Version != "" {
					out = append(out, f.Label)
				}
			}
		}
	}
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
