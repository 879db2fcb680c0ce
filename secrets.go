package rollout

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/internal/rules"
	"github.com/rolloutkit/rollout/plan"
)

// FillSecrets returns a copy of p whose redacted secret values are taken
// from desired, so that a plan saved as JSON can be applied: the JSON form
// writes secret-looking environment variables as [endpoint.Redacted], and
// [Apply] refuses to write that placeholder ([ErrInvalidPlan]).
//
// desired must be the state the plan was computed for, loaded again: for
// every deployment step whose spec carries a redacted value, the desired
// deployment of the same endpoint and name must equal the step's spec in
// every field once the redacted values are filled in, and define every
// redacted variable. It is compared as the planner compared it: names
// without regard to case, each asset label as the version the plan
// resolved it to, and the tags and properties it does not write as the
// plan writes them back. Otherwise the desired files changed since the plan was
// saved, and applying the plan's spec with today's secrets would write a
// mixture of both; FillSecrets then refuses with an error that matches
// [ErrInvalidPlan] and, for deployments loaded from files, wraps an
// [*endpoint.Error] placed at the deployment in its file. Every such
// deployment is reported, joined.
//
// Steps without redacted values are kept as they are, and p is not
// modified. The values are never part of an error.
//
// The state a step starts from (the deployment before an update) stays
// redacted, since desired does not say what the service held: an update
// that changes only the instance count of a deployment with secrets is
// written as a full update of its spec rather than as a scale operation.
func FillSecrets(p *plan.Plan, desired []*endpoint.Endpoint) (*plan.Plan, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: no plan", ErrInvalidPlan)
	}
	out := *p
	out.Steps = slices.Clone(p.Steps)
	var errs []error
	for i := range out.Steps {
		s := &out.Steps[i]
		if s.DeploymentAfter == nil || !redacted(s.DeploymentAfter.EnvironmentVariables) {
			continue
		}
		filled, err := fill(s, desired)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.DeploymentAfter = filled
	}
	switch len(errs) {
	case 0:
		return &out, nil
	case 1:
		return nil, errs[0]
	}
	return nil, errors.Join(errs...)
}

// fill returns step s's deployment with its redacted values taken from
// the matching desired deployment, or the error that refuses it.
func fill(s *plan.Step, desired []*endpoint.Endpoint) (*endpoint.Deployment, error) {
	name := s.DeploymentAfter.Name
	var src *endpoint.Endpoint
	for _, e := range desired {
		if e != nil && endpoint.SameName(e.Name, s.Endpoint) {
			src = e
			break
		}
	}
	if src == nil {
		return nil, fmt.Errorf("%w: step %q writes deployment %s/%s with redacted secrets, and the desired state has no endpoint %s to take them from; plan again",
			ErrInvalidPlan, s.ID, s.Endpoint, name, s.Endpoint)
	}
	// The desired deployment may spell its name otherwise than the plan,
	// which spells it as the service does: it is the same deployment, and
	// it is compared under the plan's spelling.
	// Tags the desired spec does not write, and properties it leaves out,
	// are the service's: the plan writes them back as the service held
	// them, which desired does not say, and they are no difference.
	var want *endpoint.Deployment
	norm := endpoint.Normalized(src)
	rules.Adopt(norm, &endpoint.Endpoint{Deployments: []endpoint.Deployment{*s.DeploymentAfter}})
	for i := range norm.Deployments {
		if endpoint.SameName(norm.Deployments[i].Name, name) {
			want = &norm.Deployments[i]
			break
		}
	}
	if want == nil {
		return nil, mismatch(s, src, name, "the desired state no longer defines this deployment")
	}
	name, want.Name = want.Name, name
	*want = withVersionsOf(*want, s.DeploymentAfter)
	filled := s.DeploymentAfter.Clone()
	var missing []string
	for k, v := range filled.EnvironmentVariables {
		if v != endpoint.Redacted {
			continue
		}
		w, ok := want.EnvironmentVariables[k]
		if !ok {
			missing = append(missing, k)
			continue
		}
		filled.EnvironmentVariables[k] = w
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, mismatch(s, src, name, "the desired state no longer defines the secret environment variables "+strings.Join(missing, ", "))
	}
	if !endpoint.DeploymentEqual(filled, *want) {
		var paths []string
		for _, c := range endpoint.DiffDeployment(filled, *want) {
			paths = append(paths, c.Path)
		}
		return nil, mismatch(s, src, name, "the desired state differs from the saved plan in "+strings.Join(paths, ", "))
	}
	return &filled, nil
}

// withVersionsOf returns d with each of its labels resolved to the
// version planned resolved the same label to in the same field: the plan
// writes a label as the version it resolved, and a desired state loaded
// again has the label alone. A label planned does not have stays as it is.
func withVersionsOf(d endpoint.Deployment, planned *endpoint.Deployment) endpoint.Deployment {
	resolved := planned.Labels()
	return d.WithLabels(func(f endpoint.LabelField) string {
		for _, r := range resolved {
			if r.Path == f.Path && r.Label.Same(f.Label) {
				return r.Label.Version
			}
		}
		return f.Label.Version
	})
}

// mismatch refuses step s because the desired deployment name of src is
// not the one the plan was computed for. The error is placed at the
// deployment in its file when src was loaded from one.
func mismatch(s *plan.Step, src *endpoint.Endpoint, name, why string) error {
	pos, path := src.Position("deployments[" + name + "]")
	return placedError{&endpoint.Error{
		Pos:  pos,
		Path: path,
		Msg: fmt.Sprintf("step %s writes redacted secrets, and %s: the files changed since the plan was saved; plan again",
			s.ID, why),
	}}
}

// placedError is a refusal located in a spec file: it prints as the
// [*endpoint.Error] it wraps, FILE:LINE:COL: PATH: message, as a
// program shows spec errors, and matches [ErrInvalidPlan] besides.
type placedError struct{ err *endpoint.Error }

func (e placedError) Error() string { return e.err.Error() }

func (e placedError) Unwrap() error { return e.err }

func (e placedError) Is(target error) bool { return target == ErrInvalidPlan }

func redacted(env map[string]string) bool {
	for _, v := range env {
		if v == endpoint.Redacted {
			return true
		}
	}
	return false
}
