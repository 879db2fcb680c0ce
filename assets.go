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

// useRegistered replaces the local assets of d by the versions registered
// from them, which the register_asset steps before it created, as the
// service's CLI writes a deployment once its assets are registered.
func useRegistered(ctx context.Context, b backend.Backend, d *endpoint.Deployment) error {
	locals := d.LocalAssets()
	if len(locals) == 0 {
		return nil
	}
	assets, ok := b.(backend.Assets)
	if !ok {
		return nil // checkAssets refused what needs registering
	}
	for _, l := range locals {
		if l.Key() == "" {
			continue // see checkAssets
		}
		ref, err := assets.FindAsset(ctx, l)
		if err != nil {
			return fmt.Errorf("local %s %s: %w", l.Kind, strconv.Quote(l.Path), err)
		}
		*d = d.WithRegistered(l.Kind, ref)
	}
	return nil
}

// checkAssets refuses, before anything is written, a plan whose
// deployment writes need local files registered that b cannot register:
// every local path when b lacks the capability, and, unless b keeps such
// paths as written (backend.LocalPathKeeper), a local path whose files
// were not found when the spec was loaded, which b would have to upload.
// Such a path is named with the field that holds it and, when desired
// holds the endpoint as loaded from a file, where it was written.
func checkAssets(b backend.Backend, p *plan.Plan, desired []*endpoint.Endpoint) error {
	_, capable := b.(backend.Assets)
	keeper, _ := b.(backend.LocalPathKeeper)
	keeps := keeper != nil && keeper.KeepsLocalPaths()
	for i := range p.Steps {
		s := &p.Steps[i]
		if (s.Action != plan.CreateDeployment && s.Action != plan.UpdateDeployment) || s.DeploymentAfter == nil {
			continue
		}
		for _, l := range s.DeploymentAfter.LocalAssets() {
			switch {
			case l.Asset.Err != "":
				return fmt.Errorf("%w: step %q: local %s %s cannot be registered: %s", ErrInvalidPlan, s.ID, l.Kind, strconv.Quote(l.Path), l.Asset.Err)
			case !capable && !keeps:
				return fmt.Errorf("%w: step %q: %w", ErrInvalidPlan, s.ID, noAssets(l))
			case l.Key() == "" && !keeps:
				return missingFiles(s, l, desired)
			}
		}
	}
	return nil
}

// missingFiles refuses a local path of step s's deployment whose files
// were not found when its spec was loaded: it is placed at the field in
// its file when desired holds the endpoint as loaded.
func missingFiles(s *plan.Step, l endpoint.LocalAsset, desired []*endpoint.Endpoint) error {
	d := s.DeploymentAfter
	field := "deployments[" + d.Name + "]." + assetField(d, l.Kind)
	msg := fmt.Sprintf("local %s %s: no files were found at this path when the spec was loaded, and the backend must upload them before step %s: create them, or reference a registered asset (azureml:NAME:VERSION)",
		l.Kind, strconv.Quote(l.Path), s.ID)
	for _, e := range desired {
		if e != nil && endpoint.SameName(e.Name, s.Endpoint) {
			if pos, path := e.Position(field); pos.File != "" {
				return placedError{&endpoint.Error{Pos: pos, Path: path, Msg: msg}}
			}
		}
	}
	return fmt.Errorf("%w: endpoint %s: %s: %s", ErrInvalidPlan, s.Endpoint, field, msg)
}

// assetField is the field of d that holds its local asset of kind.
func assetField(d *endpoint.Deployment, kind string) string {
	switch {
	case kind == endpoint.CodeAsset:
		return "code_configuration.code"
	case kind == endpoint.ModelAsset:
		return "model.path"
	case d.Environment.Build.Path != "":
		return "environment.build.path"
	}
	return "environment.conda_file"
}

// noAssets is the refusal of a backend that cannot register local files.
func noAssets(l endpoint.LocalAsset) error {
	return fmt.Errorf("%s: %q is a path; this backend takes registered assets only: register it in the workspace (az ml %s create) and reference it as azureml:NAME:VERSION", l.Kind, l.Path, l.Kind)
}
