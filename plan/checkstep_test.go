package plan

import (
	"errors"
	"testing"

	"github.com/rolloutkit/rollout/endpoint"
)

func TestCheckStep(t *testing.T) {
	canary := mustCompute(t, list(tutorial(4)), list(tutorial(2)), Options{})
	update := &Plan{Steps: []Step{{ID: "s", Action: UpdateEndpoint, Endpoint: ep, EndpointAfter: mk(ep, "", ""), Traffic: mustParse("blue=100")}}}
	for _, tc := range []struct {
		name, reason string
		cur          *endpoint.Endpoint
		p            *Plan
		id           string
		// rule is the rule of the violation wanted, "" for none.
		rule string
	}{
		{"create run again", "green exists with the spec the step writes, its defaults left out as in a spec: running the create again writes nothing new",
			tutorial(3), canary, "my-endpoint/green/create", ""},
		{"traffic before its capacity", "green has 1 of the 2 instances the plan gives it before it takes traffic",
			mk(ep, "blue=100", "", dep("blue", 2, "model-1"), dep("green", 1, "model-2")), canary, "my-endpoint/traffic", "S5"},
		{"traffic after its writes", "green has what the plan gives it",
			tutorial(3), canary, "my-endpoint/traffic", ""},
		{"update of a missing endpoint", "a write to an endpoint that does not exist is left to the service, which answers NotFound",
			nil, update, "s", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckStep(tc.cur, tc.p, tc.id)
			var v *ViolationError
			switch {
			case tc.rule == "" && err != nil:
				t.Errorf("%s: CheckStep = %v, want nil", tc.reason, err)
			case tc.rule != "" && (!errors.As(err, &v) || v.Rule != tc.rule || v.Step != tc.id):
				t.Errorf("%s: CheckStep = %v, want a %s violation at step %s", tc.reason, err, tc.rule, tc.id)
			}
		})
	}
}
