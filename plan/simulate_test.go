package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/rolloutkit/rollout/endpoint"
)

func TestSimulateRefusals(t *testing.T) {
	green := dep("green", 1, "model-2")
	bigBlue := dep("blue", 2, "model-1", instanceType("Standard_F4s_v2"))
	for _, tc := range []struct {
		name, reason string
		state        []*endpoint.Endpoint
		step         Step
		rule         string
	}{
		{"create existing endpoint", "the CLI's create fails when the endpoint exists",
			list(tutorial(1)), Step{ID: "s", Action: CreateEndpoint, Endpoint: ep, EndpointAfter: mk(ep, "", "")}, "P1"},
		{"create existing, other case", "endpoint names are case-insensitive",
			list(tutorial(1)), Step{ID: "s", Action: CreateEndpoint, Endpoint: "MY-ENDPOINT", EndpointAfter: mk("MY-ENDPOINT", "", "")}, "P1"},
		{"create endpoint with traffic", "traffic cannot name deployments that do not exist yet",
			nil, Step{ID: "s", Action: CreateEndpoint, Endpoint: ep, EndpointAfter: mk(ep, "", ""), Traffic: mustParse("blue=100")}, "S2"},
		{"update missing endpoint", "nothing to update",
			nil, Step{ID: "s", Action: UpdateEndpoint, Endpoint: ep, EndpointAfter: mk(ep, "", "")}, "P1"},
		{"endpoint compute in place", "compute cannot change in place",
			list(tutorial(1)), Step{ID: "s", Action: UpdateEndpoint, Endpoint: ep, EndpointAfter: &endpoint.Endpoint{Name: ep, Compute: "k8s"}, Traffic: mustParse("blue=100")}, "S6"},
		{"traffic to missing deployment", "the service answers 404",
			list(tutorial(1)), Step{ID: "s", Action: SetTraffic, Endpoint: ep, Traffic: mustParse("blue=90 green=10")}, "S2"},
		{"traffic not 100", "the service refuses a total other than 100 or 0",
			list(tutorial(3)), Step{ID: "s", Action: SetTraffic, Endpoint: ep, Traffic: mustParse("blue=90")}, "S1"},
		{"mirror over 50", "the service mirrors at most 50%",
			list(tutorial(3)), Step{ID: "s", Action: SetTraffic, Endpoint: ep, Traffic: mustParse("blue=100"), Mirror: mustParse("green=60")}, "S3"},
		{"create existing deployment", "the CLI's create fails when the deployment exists",
			list(tutorial(3)), Step{ID: "s", Action: CreateDeployment, Endpoint: ep, Deployment: "green", DeploymentAfter: &green}, "P1"},
		{"update missing deployment", "the CLI's update fails when the deployment does not exist",
			list(tutorial(1)), Step{ID: "s", Action: UpdateDeployment, Endpoint: ep, Deployment: "green", DeploymentAfter: &green}, "P1"},
		{"instance type in place", "instance_type cannot change in place",
			list(tutorial(1)), Step{ID: "s", Action: UpdateDeployment, Endpoint: ep, Deployment: "blue", DeploymentAfter: &bigBlue}, "S6"},
		{"delete serving deployment", "the service refuses to delete a deployment with live traffic",
			list(tutorial(4)), Step{ID: "s", Action: DeleteDeployment, Endpoint: ep, Deployment: "green"}, "S4"},
		{"delete mirrored deployment", "nor one that receives mirror traffic",
			list(mk(ep, "blue=100", "green=10", dep("blue", 1, "m"), dep("green", 1, "m"))), Step{ID: "s", Action: DeleteDeployment, Endpoint: ep, Deployment: "green"}, "S4"},
		{"delete missing deployment", "nothing to delete",
			list(tutorial(1)), Step{ID: "s", Action: DeleteDeployment, Endpoint: ep, Deployment: "green"}, "P1"},
		{"deployment of missing endpoint", "a deployment needs its endpoint",
			nil, Step{ID: "s", Action: CreateDeployment, Endpoint: ep, Deployment: "green", DeploymentAfter: &green}, "P1"},
		{"delete endpoint while a deployment is busy", "the service refuses to delete an endpoint while an operation on it or a deployment is in progress",
			list(mk(ep, "blue=100", "", dep("blue", 1, "m"), dep("green", 1, "m", state(endpoint.Updating)))), Step{ID: "s", Action: DeleteEndpoint, Endpoint: ep}, "busy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Simulate(tc.state, tc.step)
			var v *ViolationError
			if !errors.As(err, &v) || v.Rule != tc.rule || v.Step != "s" {
				t.Errorf("%s: Simulate = %v, want a %s violation at step s", tc.reason, err, tc.rule)
			}
		})
	}
}

func TestSimulateSteps(t *testing.T) {
	green := dep("green", 2, "model-2")
	bluer := dep("blue", 3, "model-1")
	for _, tc := range []struct {
		name, reason string
		state        []*endpoint.Endpoint
		step         Step
		want         []*endpoint.Endpoint
	}{
		{"create endpoint", "the new endpoint has no deployments and the step's traffic",
			nil, Step{Action: CreateEndpoint, Endpoint: ep, EndpointAfter: mk(ep, "", "", dep("x-x", 1, "m"))},
			list(mk(ep, "", ""))},
		{"create deployment", "green is added in name order",
			list(tutorial(2)), Step{Action: CreateDeployment, Endpoint: ep, Deployment: "green", DeploymentAfter: &green},
			list(tutorial(3))},
		{"update deployment", "blue takes the step's spec",
			list(tutorial(2)), Step{Action: UpdateDeployment, Endpoint: ep, Deployment: "blue", DeploymentAfter: &bluer},
			list(mk(ep, "blue=100", "", dep("blue", 3, "model-1")))},
		{"set traffic", "both splits are replaced",
			list(tutorial(3)), Step{Action: SetTraffic, Endpoint: ep, Traffic: mustParse("blue=90 green=10")},
			list(tutorial(4))},
		{"update endpoint", "settings and traffic in one write; deployments stay",
			list(tutorial(3)), Step{Action: UpdateEndpoint, Endpoint: ep, EndpointAfter: &endpoint.Endpoint{Name: ep, AuthMode: endpoint.AuthKey, Description: "d"}, Traffic: mustParse("blue=90 green=10")},
			list(func() *endpoint.Endpoint { e := tutorial(4); e.Description = "d"; return e }())},
		{"delete deployment", "blue has no traffic left",
			list(tutorial(5)), Step{Action: DeleteDeployment, Endpoint: ep, Deployment: "blue"},
			list(tutorial(6))},
		{"delete endpoint", "the endpoint goes with its deployments",
			list(tutorial(4), mk("other", "", "")), Step{Action: DeleteEndpoint, Endpoint: ep},
			list(mk("other", "", ""))},
		{"gate", "a gate changes nothing",
			list(tutorial(4)), Step{Action: Gate, Endpoint: ep, Gate: "bake"},
			list(tutorial(4))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := make([]*endpoint.Endpoint, len(tc.state))
			for i, e := range tc.state {
				before[i] = e.Clone()
			}
			got, err := Simulate(tc.state, tc.step)
			if err != nil {
				t.Fatalf("%s: %v", tc.reason, err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%s: %d endpoints, want %d", tc.reason, len(got), len(tc.want))
			}
			for i := range got {
				if !endpoint.Equal(got[i], tc.want[i]) {
					t.Errorf("%s: endpoint %d is %+v, want %+v", tc.reason, i, got[i], tc.want[i])
				}
			}
			for i := range tc.state {
				if !endpoint.Equal(tc.state[i], before[i]) {
					t.Errorf("%s: Simulate changed its input", tc.reason)
				}
			}
			if tc.step.Action != Gate && tc.step.Action != DeleteEndpoint {
				for _, e := range got {
					if strings.EqualFold(e.Name, ep) && e.Status.ProvisioningState != endpoint.Succeeded && tc.step.Endpoint == ep &&
						(tc.step.Action == CreateEndpoint || tc.step.Action == UpdateEndpoint || tc.step.Action == SetTraffic) {
						t.Errorf("%s: the written endpoint is %q, want Succeeded", tc.reason, e.Status.ProvisioningState)
					}
					if d := e.Deployment(tc.step.Deployment); d != nil && d.Status.ProvisioningState != endpoint.Succeeded {
						t.Errorf("%s: the written deployment is %q, want Succeeded", tc.reason, d.Status.ProvisioningState)
					}
				}
			}
		})
	}
}

func TestSimulateReplaysPlans(t *testing.T) {
	// Replaying each tutorial plan step by step ends at the desired state.
	state := []*endpoint.Endpoint(nil)
	for n := 1; n <= 6; n++ {
		desired := list(tutorial(n))
		p := mustCompute(t, desired, state, Options{})
		for _, s := range p.Steps {
			next, err := Simulate(state, s)
			if err != nil {
				t.Fatalf("step %d, %s: %v", n, s.ID, err)
			}
			state = next
		}
		if len(state) != 1 || !endpoint.Equal(state[0], endpoint.Normalized(desired[0])) {
			t.Fatalf("after step %d the state is %+v, want the desired one", n, state)
		}
		if again := mustCompute(t, desired, state, Options{}); !again.Empty() {
			t.Errorf("planning step %d again after applying it gives %v, want nothing", n, sketch(again))
		}
	}
}

func TestSimulateReplaysPlansFromActual(t *testing.T) {
	// Each step of a plan applies to the state it was computed from, as
	// that state was given: without the defaults (a deployment's type)
	// that normalizing fills in and the plan's specs carry.
	for _, tc := range []struct {
		from, to int
		reason   string
	}{
		{1, 2, "blue's update writes its spec with its type, which the state leaves out"},
		{2, 6, "green is created beside blue, takes the traffic, and blue goes"},
	} {
		actual := list(tutorial(tc.from))
		desired := list(tutorial(tc.to))
		p := mustCompute(t, desired, actual, Options{})
		state := actual
		for _, s := range p.Steps {
			next, err := Simulate(state, s)
			if err != nil {
				t.Fatalf("%s: %d to %d, step %s: %v", tc.reason, tc.from, tc.to, s.ID, err)
			}
			state = next
		}
		if len(state) != 1 || !endpoint.Equal(endpoint.Normalized(state[0]), endpoint.Normalized(desired[0])) {
			t.Errorf("%s: %d to %d ends in %+v, want the desired state", tc.reason, tc.from, tc.to, state)
		}
	}
}
