package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

// Simulate returns the state after one step, as the service would leave it:
// the written resource with the step's spec and provisioning state
// Succeeded, everything else as it was. It is pure: state is not modified,
// and the result shares no endpoint that changed with it (unchanged
// endpoints are the same pointers). Endpoints are found by name without
// regard to case.
//
// It returns a [*ViolationError] when the service would refuse the step:
// creating what exists or writing what does not (rule P1), traffic that
// names a deployment that does not exist (S2) or does not total 100 or 0
// (S1), a mirror the service does not allow (S3), deleting a deployment
// that still has live or mirror traffic (S4), or changing instance_type,
// a deployment's type or an endpoint's compute in place (S6). Gates change
// nothing.
func Simulate(state []*endpoint.Endpoint, s Step) ([]*endpoint.Endpoint, error) {
	i := slices.IndexFunc(state, func(e *endpoint.Endpoint) bool { return e != nil && strings.EqualFold(e.Name, s.Endpoint) })
	var cur *endpoint.Endpoint
	if i >= 0 {
		cur = state[i]
	}
	next, err := apply(cur, &s)
	if err != nil {
		return nil, err
	}
	if next == cur {
		return slices.Clone(state), nil
	}
	out := make([]*endpoint.Endpoint, 0, len(state)+1)
	for j, e := range state {
		if j != i {
			out = append(out, e)
		} else if next != nil {
			out = append(out, next.Clone())
		}
	}
	if i < 0 && next != nil {
		out = append(out, next.Clone())
	}
	return out, nil
}

// apply returns the endpoint after step s, nil when s deletes it. It copies
// on write and never modifies cur or anything it points to, so the checker
// can keep every intermediate state; the result may share deployments and
// maps with cur and with the step.
func apply(cur *endpoint.Endpoint, s *Step) (*endpoint.Endpoint, *ViolationError) {
	fail := func(rule, format string, args ...any) (*endpoint.Endpoint, *ViolationError) {
		return nil, &ViolationError{Rule: rule, Step: s.ID, Msg: fmt.Sprintf(format, args...)}
	}
	if s.Action == Gate {
		return cur, nil
	}
	if cur == nil && s.Action != CreateEndpoint {
		return fail("P1", "endpoint %s does not exist", s.Endpoint)
	}
	switch s.Action {
	case CreateEndpoint:
		if cur != nil {
			return fail("P1", "endpoint %s exists already", cur.Name)
		}
		if s.EndpointAfter == nil {
			return fail("P1", "create_endpoint step without the endpoint's spec")
		}
		next := *s.EndpointAfter
		next.Deployments = nil
		next.Status = endpoint.Status{ProvisioningState: endpoint.Succeeded}
		return setTraffic(&next, s, fail)

	case UpdateEndpoint:
		if s.EndpointAfter == nil {
			return fail("P1", "update_endpoint step without the endpoint's spec")
		}
		if s.EndpointAfter.Compute != cur.Compute {
			return fail("S6", "compute cannot change in place (%q → %q)", cur.Compute, s.EndpointAfter.Compute)
		}
		next := *s.EndpointAfter
		next.Deployments = cur.Deployments
		next.Status = cur.Status
		next.Status.ProvisioningState = endpoint.Succeeded
		return setTraffic(&next, s, fail)

	case SetTraffic:
		next := *cur
		next.Status.ProvisioningState = endpoint.Succeeded
		return setTraffic(&next, s, fail)

	case DeleteEndpoint:
		return nil, nil

	case CreateDeployment, UpdateDeployment:
		if s.DeploymentAfter == nil {
			return fail("P1", "%s step without the deployment's spec", s.Action)
		}
		name := s.DeploymentAfter.Name
		i, found := findDeployment(cur, name)
		if s.Action == CreateDeployment && found {
			return fail("P1", "deployment %s exists already", name)
		}
		if s.Action == UpdateDeployment && !found {
			return fail("P1", "deployment %s does not exist", name)
		}
		d := *s.DeploymentAfter
		d.Status = endpoint.Status{ProvisioningState: endpoint.Succeeded}
		next := *cur
		if found {
			old := &cur.Deployments[i]
			if field, before, after := fixedField(old, &d); field != "" {
				return fail("S6", "%s of %s cannot change in place (%s → %s)", field, name, before, after)
			}
			d.Status.ETag = old.Status.ETag
			next.Deployments = slices.Clone(cur.Deployments)
			next.Deployments[i] = d
			return &next, nil
		}
		if len(cur.Deployments) >= 20 {
			return fail("P1", "endpoint %s has 20 deployments already, the most the service allows", cur.Name)
		}
		next.Deployments = slices.Insert(slices.Clip(cur.Deployments), i, d)
		return &next, nil

	case DeleteDeployment:
		i, found := findDeployment(cur, s.Deployment)
		if !found {
			return fail("P1", "deployment %s does not exist", s.Deployment)
		}
		if v := cur.Traffic.Get(s.Deployment); v > 0 {
			return fail("S4", "deployment %s still serves %d%% of live traffic", s.Deployment, v)
		}
		if v := cur.Mirror.Get(s.Deployment); v > 0 {
			return fail("S4", "deployment %s still receives %d%% mirror traffic", s.Deployment, v)
		}
		next := *cur
		next.Deployments = slices.Delete(slices.Clone(cur.Deployments), i, i+1)
		if len(next.Deployments) == 0 {
			next.Deployments = nil
		}
		return &next, nil
	}
	return fail("P1", "unknown action %q", s.Action)
}

// setTraffic puts the step's splits on next, refusing what the service
// refuses.
func setTraffic(next *endpoint.Endpoint, s *Step, fail func(string, string, ...any) (*endpoint.Endpoint, *ViolationError)) (*endpoint.Endpoint, *ViolationError) {
	next.Traffic, next.Mirror = s.Traffic, s.Mirror
	if err := next.Traffic.Validate(); err != nil {
		return fail("S1", "live traffic: %v", err)
	}
	for _, split := range []traffic.Split{next.Traffic, next.Mirror} {
		for n := range split.All() {
			if _, found := findDeployment(next, n); !found {
				return fail("S2", "deployment %s not found in endpoint %s", n, next.Name)
			}
		}
	}
	if !next.Mirror.IsZero() && next.Kind() != endpoint.Managed {
		return fail("S3", "mirror traffic is for managed endpoints only")
	}
	if err := next.Mirror.ValidateMirror(next.Traffic); err != nil {
		return fail("S3", "mirror traffic: %v", err)
	}
	return next, nil
}

// findDeployment returns where the deployment is, or where it goes in the
// endpoint's deployments, which are kept sorted by name, and whether it is
// there. A linear scan is cheap at the service's limit of 20 and does not
// trust the order of a state built by hand.
func findDeployment(e *endpoint.Endpoint, name string) (int, bool) {
	at := len(e.Deployments)
	for i := range e.Deployments {
		switch n := e.Deployments[i].Name; {
		case n == name:
			return i, true
		case n > name && at == len(e.Deployments):
			at = i
		}
	}
	return at, false
}
