package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
)

// ResolveLabels resolves the asset labels that desired uses
// (azureml:taxi-model@latest,
// azureml://registries/R/models/M/labels/latest) to the versions they point
// at now, as the service's CLI resolves them before it writes a
// deployment, through b's [backend.Labels] capability. It returns desired
// with each endpoint that uses a label replaced by a copy whose label
// references carry their versions ([endpoint.Reference.Resolved]); the
// others, and desired itself, are left as they are. [Run] calls it after
// each observation; programs that observe and call plan.Compute themselves
// call it on the desired specs first, so that the plan shows, writes and
// pins the versions it resolved (see plan.Plan.Labels).
//
// Each label is resolved once per call. A label that selects no version (an
// asset without versions, or only archived ones; a label other than
// latest, which the service does not have) and a code label (the CLI takes
// code by version only) are spec errors: an [endpoint.ErrorList], each
// positioned at the field that wrote the label, as in
//
//	blue.yml:3:8: model: no version of taxi-model carries the label latest
//
// A backend without the capability leaves the labels unresolved, and
// plan.Compute refuses to plan a write of one, as the service takes
// versions only (plan.RefusedError, rule "spec"). Other failures of the
// backend are returned as they are, after retries as for writes.
func ResolveLabels(ctx context.Context, b backend.Backend, desired []*endpoint.Endpoint, opts ...Option) ([]*endpoint.Endpoint, error) {
	return newConfig(opts).resolveLabels(ctx, b, desired)
}

func (c *config) resolveLabels(ctx context.Context, b backend.Backend, desired []*endpoint.Endpoint) ([]*endpoint.Endpoint, error) {
	lb, ok := b.(backend.Labels)
	if !ok {
		return desired, nil
	}
	r := &resolver{c: c, b: lb, versions: make(map[endpoint.AssetLabel]string)}
	var out []*endpoint.Endpoint
	for i, e := range desired {
		if e == nil || !e.UsesLabels() {
			continue
		}
		resolved, err := r.endpoint(ctx, e)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = slices.Clone(desired)
		}
		out[i] = resolved
	}
	if out == nil {
		out = desired
	}
	r.errs.Sort()
	if err := r.errs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// resolver resolves each label once, and collects the positioned errors.
type resolver struct {
	c        *config
	b        backend.Labels
	versions map[endpoint.AssetLabel]string
	errs     endpoint.ErrorList
}

// endpoint returns a copy of e with its labels resolved. The copy keeps
// e's positions; its deployments are copies, its maps are shared.
func (r *resolver) endpoint(ctx context.Context, e *endpoint.Endpoint) (*endpoint.Endpoint, error) {
	c := *e
	c.Deployments = slices.Clone(e.Deployments)
	for i := range c.Deployments {
		d := &c.Deployments[i]
		var failed error
		*d = d.WithLabels(func(f endpoint.LabelField) string {
			v, err := r.version(ctx, e, d.Name, f)
			if err != nil && failed == nil {
				failed = err
			}
			return v
		})
		if failed != nil {
			return nil, failed
		}
	}
	return &c, nil
}

// version resolves the label of one field; a label that selects nothing
// is recorded as a positioned error at the field and resolves to "".
func (r *resolver) version(ctx context.Context, e *endpoint.Endpoint, deployment string, f endpoint.LabelField) (string, error) {
	l := f.Label
	l.Version = ""
	pos, path := e.Position("deployments[" + deployment + "]." + f.Path)
	if l.Kind == endpoint.CodeAsset {
		r.errs.Add(pos, path, "%s selects a version by label; the service's CLI takes code by version only: write azureml:%s:VERSION", l, l.Name)
		return "", nil
	}
	v, ok := r.versions[l]
	if !ok {
		err := r.c.retry(ctx, nil, func(ctx context.Context) error {
			var err error
			v, err = r.b.ResolveLabel(ctx, l)
			return err
		})
		switch {
		case errors.Is(err, backend.ErrNotFound):
			v = ""
		case err != nil:
			return "", fmt.Errorf("rollout: resolve %s: %w", l, err)
		}
		r.versions[l] = v
	}
	// A label that selects nothing is reported at every field that
	// writes it, though it is resolved once.
	if v == "" {
		r.errs.Add(pos, path, "no version of %s carries the label %s", assetName(l), l.Label)
	}
	return v, nil
}

// assetName is the asset's name, with its registry when it has one.
func assetName(l endpoint.AssetLabel) string {
	if l.Registry != "" {
		return l.Name + " in registry " + l.Registry
	}
	return l.Name
}

// checkLabels refuses a plan whose deployment writes carry a label that
// was not resolved, which the service would refuse, or a resolved label
// that the plan does not list with that version: the fingerprint covers
// the listed versions only. Compute plans neither, so such a plan was
// edited by hand.
func checkLabels(p *plan.Plan) error {
	for i := range p.Steps {
		s := &p.Steps[i]
		if s.DeploymentAfter == nil {
			continue
		}
		for _, f := range s.DeploymentAfter.Labels() {
			if !f.Label.IsResolved() {
				return fmt.Errorf("%w: step %q writes %s as %s, a label that was not resolved, which the service refuses", ErrInvalidPlan, s.ID, f.Path, f.Label)
			}
			if !slices.Contains(p.Labels, f.Label) {
				return fmt.Errorf("%w: step %q writes %s at version %s, which the plan's labels do not list", ErrInvalidPlan, s.ID, f.Label, f.Label.Version)
			}
		}
	}
	return nil
}

// labelsNow resolves the labels of a plan again, as they are now, and
// describes the ones that moved since the plan was computed. A label that
// selects no version any more is listed with no version.
func (c *config) labelsNow(ctx context.Context, b backend.Backend, p *plan.Plan) (now []endpoint.AssetLabel, moved []string, err error) {
	if len(p.Labels) == 0 {
		return nil, nil, nil
	}
	lb, ok := b.(backend.Labels)
	if !ok {
		return nil, nil, fmt.Errorf("%w: the plan writes versions resolved from asset labels, which this backend cannot resolve to check that they have not moved", ErrInvalidPlan)
	}
	for _, l := range p.Labels {
		cur := l
		err := c.retry(ctx, nil, func(ctx context.Context) error {
			var err error
			cur.Version, err = lb.ResolveLabel(ctx, l)
			return err
		})
		switch {
		case errors.Is(err, backend.ErrNotFound):
			cur.Version = ""
		case err != nil:
			return nil, nil, fmt.Errorf("rollout: observe: resolve %s: %w", l, err)
		}
		now = append(now, cur)
		if cur.Version != l.Version {
			moved = append(moved, fmt.Sprintf("%s moved from %s to %s", l, l.Version, versionOrNone(cur.Version)))
		}
	}
	return now, moved, nil
}

func versionOrNone(v string) string {
	if v == "" {
		return "no version"
	}
	return v
}
