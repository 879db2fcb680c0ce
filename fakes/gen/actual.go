package gen

import (
	"fmt"
	"strings"

	"pgregory.net/rapid"

	"github.com/rolloutkit/rollout/endpoint"
)

// MaxEndpoints is the most endpoints in a generated actual or desired state.
const MaxEndpoints = 4

// Actual generates what the service reports: up to [MaxEndpoints] valid
// endpoints with every server default written out (as [endpoint.Normalize]
// writes them), each resource with a provisioning state, an ETag and, for
// endpoints, a scoring URI.
//
// Most states are settled (every resource Succeeded), since that is what a
// planner meets almost always. The rest hold a few resources in another
// state, as the service can leave them: either failures (deployments whose
// creation failed or was canceled, with no traffic, or whose update failed,
// still serving; endpoints whose update failed) or operations in flight
// (deployments Creating or Deleting, with no traffic, Updating or Scaling;
// endpoints Updating). Use [Settled] to
// tell settled states apart.
func Actual() *rapid.Generator[[]*endpoint.Endpoint] {
	return rapid.Custom(func(t *rapid.T) []*endpoint.Endpoint {
		_, actual := drawActual(t)
		return actual
	})
}

// drawActual draws an actual state, and the specs it was drawn from as a
// user would write them, without the server defaults.
func drawActual(t *rapid.T) (written, actual []*endpoint.Endpoint) {
	written = Endpoints(MaxEndpoints).Draw(t, "actual")
	actual = make([]*endpoint.Endpoint, len(written))
	for i, e := range written {
		actual[i] = endpoint.Normalized(e)
	}
	observe(t, actual)
	return written, actual
}

// The ways a state can be unsettled. They are drawn apart, because a
// planner refuses to plan around an operation in flight, and a state with
// failed deployments would almost always have a busy one too if each
// resource drew its state on its own: failures would rarely be planned.
const (
	settled = iota
	failures
	inFlight
)

// observe gives every resource of eps a status.
func observe(t *rapid.T, eps []*endpoint.Endpoint) {
	mode := rapid.SampledFrom([]int{settled, settled, settled, settled, settled, failures, inFlight}).Draw(t, "unsettled")
	for _, e := range eps {
		e.Status = endpoint.Status{
			ProvisioningState: endpoint.Succeeded,
			ETag:              etag(t),
			ScoringURI:        scoringURI(e.Name),
		}
		switch mode {
		case inFlight:
			e.Status.ProvisioningState = rapid.SampledFrom([]endpoint.ProvisioningState{
				endpoint.Succeeded, endpoint.Succeeded, endpoint.Succeeded, endpoint.Updating,
			}).Draw(t, "endpoint_state")
		case failures:
			e.Status.ProvisioningState = rapid.SampledFrom([]endpoint.ProvisioningState{
				endpoint.Succeeded, endpoint.Succeeded, endpoint.Succeeded, endpoint.Succeeded, endpoint.Failed,
			}).Draw(t, "endpoint_state")
		}
		for i := range e.Deployments {
			d := &e.Deployments[i]
			d.Status = endpoint.Status{ProvisioningState: endpoint.Succeeded, ETag: etag(t)}
			if mode != settled {
				d.Status.ProvisioningState = deploymentState(t, mode, e, d.Name)
			}
		}
	}
}

// deploymentState draws a state the service could report for a deployment
// with the traffic it has: one that takes live or mirror traffic has been
// created, so it can only be updating, scaling, or failed or canceled after
// an update.
func deploymentState(t *rapid.T, mode int, e *endpoint.Endpoint, name string) endpoint.ProvisioningState {
	states := []endpoint.ProvisioningState{endpoint.Succeeded, endpoint.Succeeded, endpoint.Succeeded}
	if mode == failures {
		states = append(states, endpoint.Failed, endpoint.Failed, endpoint.Canceled)
	} else {
		states = append(states, endpoint.Updating, endpoint.Scaling)
		if e.Traffic.Get(name) == 0 && e.Mirror.Get(name) == 0 {
			states = append(states, endpoint.Creating, endpoint.Deleting)
		}
	}
	return rapid.SampledFrom(states).Draw(t, "deployment_state")
}

func etag(t *rapid.T) string {
	return fmt.Sprintf("%q", fmt.Sprintf("%08x-0000-0800-0000-%012x", rapid.Uint32().Draw(t, "etag"), rapid.Uint64Max(1<<48-1).Draw(t, "etag_time")))
}

func scoringURI(name string) string {
	return "https://" + strings.ToLower(name) + ".westeurope.inference.ml.azure.com/score"
}

// Settled reports whether every endpoint and deployment of eps has
// provisioning state Succeeded: nothing is in flight and nothing failed.
func Settled(eps []*endpoint.Endpoint) bool {
	for _, e := range eps {
		if e.Status.ProvisioningState != endpoint.Succeeded {
			return false
		}
		for _, d := range e.Deployments {
			if d.Status.ProvisioningState != endpoint.Succeeded {
				return false
			}
		}
	}
	return true
}

// Provisioned returns deep copies of eps as the service would report them
// once every resource is provisioned: state Succeeded, an ETag and a scoring
// URI. It is how a desired state becomes the actual one in tests of
// idempotence (planning desired against itself must give an empty plan).
// The ETags are derived from the names, so the result is deterministic.
func Provisioned(eps []*endpoint.Endpoint) []*endpoint.Endpoint {
	out := make([]*endpoint.Endpoint, len(eps))
	for i, e := range eps {
		c := e.Clone()
		c.Status = endpoint.Status{ProvisioningState: endpoint.Succeeded, ETag: fmt.Sprintf("%q", "e-"+c.Name), ScoringURI: scoringURI(c.Name)}
		for j := range c.Deployments {
			c.Deployments[j].Status = endpoint.Status{ProvisioningState: endpoint.Succeeded, ETag: fmt.Sprintf("%q", "d-"+c.Name+"-"+c.Deployments[j].Name)}
		}
		out[i] = c
	}
	return out
}

// Specs returns deep copies of eps without what the service reports (the
// status of each endpoint and deployment): the desired state of a program
// that writes back what it observed, which plans against eps as nothing to
// do unless something failed.
func Specs(eps []*endpoint.Endpoint) []*endpoint.Endpoint {
	out := make([]*endpoint.Endpoint, len(eps))
	for i, e := range eps {
		c := e.Clone()
		c.Status = endpoint.Status{}
		for j := range c.Deployments {
			c.Deployments[j].Status = endpoint.Status{}
		}
		out[i] = c
	}
	return out
}
