package plan_test

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
)

// othersTagged is the endpoint as the service holds it, with tags that
// another tool set on the endpoint and on its deployment.
func othersTagged() *endpoint.Endpoint {
	return provisioned(spec(`
name: tagged
auth_mode: key
tags: {cost-center: "42"}
traffic: {blue: 100}
deployments:
  - {name: blue, model: azureml:m:1, environment: azureml:env:1, instance_type: Standard_DS3_v2, instance_count: 1, tags: {owner: ops}}
`))
}

func TestTagsNotWrittenAreLeftAlone(t *testing.T) {
	othersEP, othersDep := map[string]string{"cost-center": "42"}, map[string]string{"owner": "ops"}
	tests := []struct {
		name    string
		desired string
		// wantSteps is the number of steps; wantEP and wantDep the
		// tags that the endpoint's and the deployment's writes carry
		// (nil: no such write).
		wantSteps       int
		wantEP, wantDep map[string]string
		reason          string
	}{
		{"unwritten", `
name: tagged
auth_mode: key
traffic: {blue: 100}
deployments:
  - {name: blue, model: azureml:m:1, environment: azureml:env:1, instance_type: Standard_DS3_v2, instance_count: 1}
`, 0, nil, nil, "a spec without tags: keys does not manage tags, so others' tags are no change"},
		{"unwritten, other changes", `
name: tagged
description: now described
auth_mode: key
traffic: {blue: 100}
deployments:
  - {name: blue, model: azureml:m:1, environment: azureml:env:1, instance_type: Standard_DS3_v2, instance_count: 2}
`, 2, othersEP, othersDep, "a write caused by another change sends the service's tags back"},
		{"written empty", `
name: tagged
auth_mode: key
tags: {}
traffic: {blue: 100}
deployments:
  - {name: blue, model: azureml:m:1, environment: azureml:env:1, instance_type: Standard_DS3_v2, instance_count: 1, tags: {}}
`, 2, map[string]string{}, map[string]string{}, "tags: {} manages the tags whole: others' tags are removed"},
		{"written", `
name: tagged
auth_mode: key
tags: {team: ml}
traffic: {blue: 100}
deployments:
  - {name: blue, model: azureml:m:1, environment: azureml:env:1, instance_type: Standard_DS3_v2, instance_count: 1, tags: {owner: ops}}
`, 1, map[string]string{"team": "ml"}, nil, "written tags replace the service's whole; equal ones are no change"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desired, actual := []*endpoint.Endpoint{spec(tt.desired)}, []*endpoint.Endpoint{othersTagged()}
			p, err := plan.Compute(desired, actual, plan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Steps) != tt.wantSteps {
				t.Fatalf("%d steps, want %d (%s):\n%s", len(p.Steps), tt.wantSteps, tt.reason, p)
			}
			if err := plan.Verify(desired, actual, p); err != nil {
				t.Errorf("Verify: %v (%s)", err, tt.reason)
			}
			data, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			var saved plan.Plan
			if err := json.Unmarshal(data, &saved); err != nil {
				t.Fatal(err)
			}
			for _, q := range []*plan.Plan{p, &saved} {
				var gotEP, gotDep map[string]string
				for _, s := range q.Steps {
					if s.EndpointAfter != nil {
						gotEP = s.EndpointAfter.Tags
					}
					if s.DeploymentAfter != nil {
						gotDep = s.DeploymentAfter.Tags
					}
				}
				if (gotEP == nil) != (tt.wantEP == nil) || !maps.Equal(gotEP, tt.wantEP) ||
					(gotDep == nil) != (tt.wantDep == nil) || !maps.Equal(gotDep, tt.wantDep) {
					t.Errorf("writes carry tags %v and %v, want %v and %v (%s)", gotEP, gotDep, tt.wantEP, tt.wantDep, tt.reason)
				}
			}
			if saved.DesiredFingerprint != plan.DesiredFingerprint(desired) {
				t.Error("the saved plan's desired fingerprint is not that of its specs")
			}
		})
	}
}

// TestTagsWrittenEmptyAreASpec checks that tags: {} and no tags key are
// different specs to everything that tells specs apart.
func TestTagsWrittenEmptyAreASpec(t *testing.T) {
	unwritten := spec("name: tagless\nauth_mode: key\n")
	empty := spec("name: tagless\nauth_mode: key\ntags: {}\n")
	null := spec("name: tagless\nauth_mode: key\ntags:\n")
	if unwritten.Tags != nil || null.Tags != nil || empty.Tags == nil {
		t.Fatalf("loaded tags %#v, %#v, %#v: want nil, nil (null is not written) and empty", unwritten.Tags, null.Tags, empty.Tags)
	}
	if plan.DesiredFingerprint([]*endpoint.Endpoint{unwritten}) == plan.DesiredFingerprint([]*endpoint.Endpoint{empty}) {
		t.Error("tags: {} and no tags have one desired fingerprint: a saved plan would not see the spec change")
	}
	out, err := endpoint.Marshal(empty)
	if err != nil {
		t.Fatal(err)
	}
	if again := spec(string(out)); again.Tags == nil {
		t.Errorf("tags: {} is lost by Marshal:\n%s", out)
	}
}
