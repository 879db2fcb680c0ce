package plan

import (
	"fmt"
	"slices"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/internal/rules"
)

// Simulate returns the state after one step, as the service would leave it:
// the written resource with the step's spec and provisioning state
// Succeeded, everything else as it was. It is pure: state is not modified,
// and the result shares no endpoint that changed with it (unchanged
// endpoints are the same pointers). Endpoints and deployments are found by
// name without regard to case, as the service finds them.
//
// It returns a [*ViolationError] when the plan or the service would refuse
// the step. The plan refuses creating what exists, writing what does not,
// and a step whose spec names another endpoint or deployment than the step
// (rule P1). The service refuses, with its own message: traffic that names
// a deployment that does not exist or whose provisioning did not succeed
// (S2) or does not total 100 or 0 (S1), a mirror it does not allow (S3),
// deleting a deployment that still has live or mirror traffic (S4),
// changing instance_type (compared without regard to case), a deployment's
// type or an endpoint's compute in place (S6), a deployment past the limit
// of 20 (rule "limit"), a spec its static rules reject ("spec"), and a
// write while an operation is in progress ("busy"). Gates change nothing.
func Simulate(state []*endpoint.Endpoint, s Step) ([]*endpoint.Endpoint, error) {
	i := slices.IndexFunc(state, func(e *endpoint.Endpoint) bool { return e != nil && endpoint.SameName(e.Name, s.Endpoint) })
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

// apply returns the endpoint after step s, nil when s deletes it: the
// write the step makes, through the service's rules (package
// internal/rules), with the plan's own checks around it (a create of what
// exists, an update or delete of what does not, a step whose spec names
// another resource than the step). It copies on write and never modifies
// cur or anything it points to, so the checker can keep every intermediate
// state; the result may share deployments and maps with cur and with the
// step.
func apply(cur *endpoint.Endpoint, s *Step) (*endpoint.Endpoint, *ViolationError) {
	fail := func(rule, format string, args ...any) (*endpoint.Endpoint, *ViolationError) {
		return nil, &ViolationError{Rule: rule, Step: s.ID, Msg: fmt.Sprintf(format, args...)}
	}
	refused := func(r *rules.Refusal) (*endpoint.Endpoint, *ViolationError) {
		return nil, &ViolationError{Rule: r.Rule, Step: s.ID, Msg: "the service refuses: " + r.Msg}
	}
	if s.Action == Gate || s.Action == RegisterAsset {
		return cur, nil // neither changes the endpoint
	}
	if msg := s.mismatch(); msg != "" {
		return fail("P1", "%s", msg)
	}
	if cur == nil && s.Action != CreateEndpoint {
		return fail("P1", "endpoint %s does not exist", s.Endpoint)
	}
	var next *endpoint.Endpoint
	var r *rules.Refusal
	switch s.Action {
	case CreateEndpoint, UpdateEndpoint:
		switch {
		case s.EndpointAfter == nil:
			return fail("P1", "%s step without the endpoint's spec", s.Action)
		case s.Action == CreateEndpoint && cur != nil:
			return fail("P1", "endpoint %s exists already", cur.Name)
		}
		w := *s.EndpointAfter
		w.Traffic, w.Mirror = s.Traffic, s.Mirror
		next, r = rules.PutEndpoint(cur, &w)

	case SetTraffic:
		w := *cur
		w.Traffic, w.Mirror = s.Traffic, s.Mirror
		next, r = rules.PutEndpoint(cur, &w)

	case DeleteEndpoint:
		if r := rules.DeleteEndpoint(cur); r != nil {
			return refused(r)
		}
		return nil, nil

	case CreateDeployment, UpdateDeployment:
		if s.DeploymentAfter == nil {
			return fail("P1", "%s step without the deployment's spec", s.Action)
		}
		name := s.DeploymentAfter.Name
		_, found := rules.FindDeployment(cur, name)
		if s.Action == CreateDeployment && found {
			return fail("P1", "deployment %s exists already", name)
		}
		if s.Action == UpdateDeployment && !found {
			return fail("P1", "deployment %s does not exist", name)
		}
		next, r = rules.PutDeployment(cur, s.DeploymentAfter)

	case DeleteDeployment:
		if _, found := rules.FindDeployment(cur, s.Deployment); !found {
			return fail("P1", "deployment %s does not exist", s.Deployment)
		}
		next, r = rules.DeleteDeployment(cur, s.Deployment)

	default:
		return fail("P1", "unknown action %q", s.Action)
	}
	if r != nil {
		return refused(r)
	}
	return next, nil
}

// mismatch says how the step's resource spec names another resource than
// the step itself, or is "". An executor writes the spec, so a step that
// said one endpoint and carried another's spec would be checked as one
// write and executed as another.
func (s *Step) mismatch() string {
	for _, e := range [...]*endpoint.Endpoint{s.EndpointBefore, s.EndpointAfter} {
		if e != nil && !endpoint.SameName(e.Name, s.Endpoint) {
			return fmt.Sprintf("step %s is for endpoint %s but its spec is endpoint %s", s.ID, s.Endpoint, e.Name)
		}
	}
	for _, d := range [...]*endpoint.Deployment{s.DeploymentBefore, s.DeploymentAfter} {
		if d != nil && !endpoint.SameName(d.Name, s.Deployment) {
			return fmt.Sprintf("step %s is for deployment %s but its spec is deployment %s", s.ID, s.Deployment, d.Name)
		}
	}
	return ""
}
