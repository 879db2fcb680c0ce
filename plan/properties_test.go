package plan_test

import (
	"errors"
	"maps"
	"testing"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
)

// othersProperties is the endpoint as the service holds it, with
// properties that the service or another client added to the endpoint and
// to its deployment.
func othersProperties() *endpoint.Endpoint {
	return provisioned(spec(`
name: props
auth_mode: key
properties: {created-by: svc}
traffic: {blue: 100}
deployments:
  - {name: blue, model: azureml:m:1, environment: azureml:env:1, instance_type: Standard_DS3_v2, instance_count: 1, properties: {owner: ops}}
`))
}

// TestPropertiesAreAddedNeverRemoved: the specification says of the
// properties of endpoints and deployments that they "can be added, but not
// removed or altered". A property a spec leaves out is therefore no change
// (planning its removal would plan it again after every apply), an added
// one is written beside those held, and an altered one is refused as what
// cannot change in place.
func TestPropertiesAreAddedNeverRemoved(t *testing.T) {
	tests := []struct {
		name    string
		desired string
		// wantSteps is the number of steps; wantEP and wantDep the
		// properties that the endpoint's and the deployment's writes
		// carry (nil: no such write).
		wantSteps       int
		wantEP, wantDep map[string]string
		// refused is the path of the refused field, when refused.
		refused string
		reason  string
	}{
		{"left out", `
name: props
auth_mode: key
traffic: {blue: 100}
deployments:
  - {name: blue, model: azureml:m:1, environment: azureml:env:1, instance_type: Standard_DS3_v2, instance_count: 1}
`, 0, nil, nil, "", "properties held and not written cannot be removed: no change"},
		{"left out, other changes", `
name: props
description: now described
auth_mode: key
traffic: {blue: 100}
deployments:
  - {name: blue, model: azureml:m:1, environment: azureml:env:1, instance_type: Standard_DS3_v2, instance_count: 2}
`, 2, map[string]string{"created-by": "svc"}, map[string]string{"owner": "ops"}, "", "a write for another reason sends the properties held back"},
		{"added", `
name: props
auth_mode: key
traffic: {blue: 100}
deployments:
  - {name: blue, model: azureml:m:1, environment: azureml:env:1, instance_type: Standard_DS3_v2, instance_count: 1, properties: {team: ml}}
`, 1, nil, map[string]string{"owner": "ops", "team": "ml"}, "", "an added property is written beside those held"},
		{"altered on a serving deployment", `
name: props
auth_mode: key
traffic: {blue: 100}
deployments:
  - {name: blue, model: azureml:m:1, environment: azureml:env:1, instance_type: Standard_DS3_v2, instance_count: 1, properties: {owner: me}}
`, 0, nil, nil, "deployments[blue].properties.owner", "a property cannot be altered, and blue serves: refused with the safe path"},
		{"altered on a serving endpoint", `
name: props
auth_mode: key
properties: {created-by: me}
traffic: {blue: 100}
deployments:
  - {name: blue, model: azureml:m:1, environment: azureml:env:1, instance_type: Standard_DS3_v2, instance_count: 1}
`, 0, nil, nil, "properties.created-by", "an endpoint's property cannot be altered, and it serves"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desired, actual := []*endpoint.Endpoint{spec(tt.desired)}, []*endpoint.Endpoint{othersProperties()}
			p, err := plan.Compute(desired, actual, plan.Options{})
			if tt.refused != "" {
				var re *plan.RefusedError
				if !errors.As(err, &re) || re.Rule != "S6" || re.Path != tt.refused {
					t.Fatalf("Compute: %v (plan %v); want an S6 refusal of %s (%s)", err, p, tt.refused, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Steps) != tt.wantSteps {
				t.Fatalf("%d steps, want %d (%s):\n%s", len(p.Steps), tt.wantSteps, tt.reason, p)
			}
			if err := plan.Verify(desired, actual, p); err != nil {
				t.Errorf("Verify: %v (%s)", err, tt.reason)
			}
			var gotEP, gotDep map[string]string
			for _, s := range p.Steps {
				if s.EndpointAfter != nil {
					gotEP = s.EndpointAfter.Properties
				}
				if s.DeploymentAfter != nil {
					gotDep = s.DeploymentAfter.Properties
				}
			}
			if !maps.Equal(gotEP, tt.wantEP) || !maps.Equal(gotDep, tt.wantDep) {
				t.Errorf("writes carry properties %v and %v, want %v and %v (%s)", gotEP, gotDep, tt.wantEP, tt.wantDep, tt.reason)
			}
		})
	}
}
