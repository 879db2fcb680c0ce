package rollout

import (
	"context"
	"fmt"
	"strconv"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
)

// register runs a register_asset step: the backend uploads what the
// service lacks and registers the version, reporting progress as
// StepProgress events.
func (r *runner) register(ctx context.Context, s *plan.Step) error {
	assets, ok := r.b.(backend.Assets)
	if !ok {
		return noAssets(*s.Asset)
	}
	_, err := assets.RegisterAsset(ctx, *s.Asset, func(p backend.Progress) {
		r.em.emit(Event{Kind: StepProgress, Step: s.ID, Action: s.Action, Endpoint: s.Endpoint, Progress: p})
	})
	return err
}

// withRegistered replaces the local assets of d by the versions registered
// from them, which the register_asset steps before it created, as the
// service's CLI writes a deployment once its assets are registered.
func withRegistered(ctx context.Context, b backend.Backend, d endpoint.Deployment) (endpoint.Deployment, error) {
	locals := d.LocalAssets()
	if len(locals) == 0 {
		return d, nil
	}
	assets, ok := b.(backend.Assets)
	if !ok {
		return d, nil // checkAssets refused what needs registering
	}
	for _, l := range locals {
		if l.Key() == "" {
			continue // see checkAssets
		}
		ref, err := assets.FindAsset(ctx, l)
		if err != nil {
			return d, fmt.Errorf("local %s %s: %w", l.Kind, strconv.Quote(l.Path), err)
		}
		d = d.WithRegistered(l.Kind, ref)
	}
	return d, nil
}

// checkAssets refuses, before anything is written, a plan whose
// deployment writes need local files registered that b cannot register.
//
// A local path whose files were not found when the spec was loaded has no
// identity to register: it is passed to the backend as written, which
// refuses it (the Azure backend says to register the asset) or, for the
// in-memory service, keeps it, so that specs can be tried out without
// their files.
func checkAssets(b backend.Backend, p *plan.Plan) error {
	_, capable := b.(backend.Assets)
	for i := range p.Steps {
		s := &p.Steps[i]
		if (s.Action != plan.CreateDeployment && s.Action != plan.UpdateDeployment) || s.DeploymentAfter == nil {
			continue
		}
		for _, l := range s.DeploymentAfter.LocalAssets() {
			switch {
			case l.Asset.Err != "":
				return fmt.Errorf("%w: step %q: local %s %s cannot be registered: %s", ErrInvalidPlan, s.ID, l.Kind, strconv.Quote(l.Path), l.Asset.Err)
			case l.Key() != "" && !capable:
				return fmt.Errorf("%w: step %q: %w", ErrInvalidPlan, s.ID, noAssets(l))
			}
		}
	}
	return nil
}

// noAssets is the refusal of a backend that cannot register local files.
func noAssets(l endpoint.LocalAsset) error {
	return fmt.Errorf("%s: %q is a path; this backend takes registered assets only: register it in the workspace (az ml %s create) and reference it as azureml:NAME:VERSION", l.Kind, l.Path, l.Kind)
}
