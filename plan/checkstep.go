package plan

import (
	"fmt"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/internal/rules"
)

// CheckStep checks the step of p with the given id, about to run on its
// own against endpoint cur as the service holds it now (nil when it does
// not exist): what an executor that runs the steps of a saved plan one at
// a time must check, since [Check] needs the state the plan was computed
// from. It refuses a malformed plan, a step whose spec names another
// resource than the step, and, with a [*ViolationError] naming the rule:
//   - a write the service's rules refuse, except for an operation in
//     progress, which an executor waits out;
//   - an endpoint write that raises a deployment's live or mirror share
//     while the deployment has fewer instances than the plan gives it
//     (S5): the steps the write depends on have not run.
//
// A create of what exists already is the step run again, and is checked
// as the write it then makes: a create_endpoint step keeps the traffic
// the endpoint has. A write to an endpoint that does not exist is left to
// the service, which answers NotFound.
func CheckStep(cur *endpoint.Endpoint, p *Plan, id string) error {
	if p == nil {
		return fmt.Errorf("plan: no plan to check")
	}
	if _, err := p.StepIndex(); err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	s := p.Step(id)
	if s == nil {
		return fmt.Errorf("plan: no step %q", id)
	}
	fail := func(rule, format string, args ...any) error {
		return &ViolationError{Rule: rule, Step: s.ID, Msg: fmt.Sprintf(format, args...)}
	}
	if msg := s.mismatch(); msg != "" {
		return fail("P1", "%s", msg)
	}
	if cur != nil {
		// Compared with the step's normalized spec, as Check compares
		// the state it replays: a default left out is no change.
		cur = endpoint.Normalized(cur)
	}
	next, r, err := stepWrite(cur, s)
	if err != nil {
		return fail("P1", "%v", err)
	}
	if r != nil && r.Rule != "busy" {
		return fail(r.Rule, "the service refuses: %s", r.Msg)
	}
	if next == nil || r != nil || (s.Action != CreateEndpoint && s.Action != UpdateEndpoint && s.Action != SetTraffic) {
		return nil
	}
	want := plannedCapacity(p, s.Endpoint)
	for _, n := range union(next.Traffic, next.Mirror) {
		var was, wasMirror int
		if cur != nil {
			was, wasMirror = cur.Traffic.Get(n), cur.Mirror.Get(n)
		}
		if next.Traffic.Get(n) <= was && next.Mirror.Get(n) <= wasMirror {
			continue
		}
		i, _ := rules.FindDeployment(next, n)
		if c, ok := want[endpoint.NameKey(n)]; ok && next.Deployments[i].Capacity() < c {
			return fail("S5", "the share of %s grows while it has %d instances of the %d the plan gives it; run the steps %s depends on first",
				n, next.Deployments[i].Capacity(), c, s.ID)
		}
	}
	return nil
}

// stepWrite returns the state the write of step s leaves cur in, through
// the service's rules, or their refusal; nil for steps it does not check,
// and an error for a step without the spec it writes.
func stepWrite(cur *endpoint.Endpoint, s *Step) (*endpoint.Endpoint, *rules.Refusal, error) {
	switch s.Action {
	case CreateEndpoint, UpdateEndpoint:
		if s.EndpointAfter == nil {
			return nil, nil, fmt.Errorf("%s step without the endpoint's spec", s.Action)
		}
		if s.Action == UpdateEndpoint && cur == nil {
			return nil, nil, nil
		}
		w := *s.EndpointAfter
		w.Traffic, w.Mirror = s.Traffic, s.Mirror
		if s.Action == CreateEndpoint && cur != nil {
			w.Traffic, w.Mirror = cur.Traffic, cur.Mirror
		}
		next, r := rules.PutEndpoint(cur, &w)
		return next, r, nil
	case SetTraffic:
		if cur == nil {
			return nil, nil, nil
		}
		w := *cur
		w.Traffic, w.Mirror = s.Traffic, s.Mirror
		next, r := rules.PutEndpoint(cur, &w)
		return next, r, nil
	case CreateDeployment, UpdateDeployment:
		if s.DeploymentAfter == nil {
			return nil, nil, fmt.Errorf("%s step without the deployment's spec", s.Action)
		}
		if cur == nil {
			return nil, nil, nil
		}
		next, r := rules.PutDeployment(cur, s.DeploymentAfter)
		return next, r, nil
	case DeleteDeployment:
		if cur == nil {
			return nil, nil, nil
		}
		next, r := rules.DeleteDeployment(cur, s.Deployment)
		return next, r, nil
	}
	return nil, nil, nil
}

// plannedCapacity returns the instances p leaves each deployment of the
// endpoint with, by name key, for the deployments it writes.
func plannedCapacity(p *Plan, name string) map[string]int {
	out := map[string]int{}
	for i := range p.Steps {
		s := &p.Steps[i]
		if !endpoint.SameName(s.Endpoint, name) {
			continue
		}
		switch s.Action {
		case CreateDeployment, UpdateDeployment:
			if s.DeploymentAfter != nil {
				out[endpoint.NameKey(s.DeploymentAfter.Name)] = s.DeploymentAfter.Capacity()
			}
		case DeleteDeployment:
			delete(out, endpoint.NameKey(s.Deployment))
		}
	}
	return out
}
