package fakes

import (
	"context"
	"time"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/internal/rules"
)

// CreateOrUpdateDeployment implements [backend.Backend]. The deployment
// shows the Creating (or Updating) provisioning state until the operation
// ends, then Succeeded, or Failed when a failure was armed with
// [Service.FailProvisioning]. A deployment with traffic keeps serving while
// it is updated, as in the service's rolling update.
//
// It is [Service.StartCreateOrUpdateDeployment] followed by
// [Operation.Wait].
func (s *Service) CreateOrUpdateDeployment(ctx context.Context, endpointName string, d endpoint.Deployment) error {
	if err := s.begin(ctx, "CreateOrUpdateDeployment"); err != nil {
		return err
	}
	lat, end, err := s.startDeploymentWrite(endpointName, d)
	return s.await(ctx, lat, end, err)
}

// StartCreateOrUpdateDeployment checks and accepts the write of
// [Service.CreateOrUpdateDeployment] without waiting for it: a refusal is
// returned at once, and an accepted write returns its [Operation], whose
// error is the provisioning failure, if any. The call counts as a
// CreateOrUpdateDeployment in [Service.Calls].
func (s *Service) StartCreateOrUpdateDeployment(ctx context.Context, endpointName string, d endpoint.Deployment) (*Operation, error) {
	if err := s.begin(ctx, "CreateOrUpdateDeployment"); err != nil {
		return nil, err
	}
	lat, end, err := s.startDeploymentWrite(endpointName, d)
	if err != nil {
		s.unlock()
		return nil, err
	}
	return s.finishLater(lat, end), nil
}

func (s *Service) startDeploymentWrite(endpointName string, d endpoint.Deployment) (time.Duration, func() error, error) {
	rec := s.endpoints[endpoint.NameKey(endpointName)]
	if rec == nil {
		return 0, nil, endpointNotFound(endpointName)
	}
	spec := s.normalizeDeployment(rec, d)
	existing := rec.deployments[endpoint.NameKey(spec.Name)]
	if want := d.Status.ETag; want != "" {
		have := ""
		if existing != nil {
			have = existing.d.Status.ETag
		}
		if have != want {
			return 0, nil, preconditionFailed("deployment "+spec.Name+" in endpoint "+rec.ep.Name, want, have)
		}
	}
	next, r := rules.PutDeployment(s.view(rec), &spec)
	if r != nil {
		return 0, nil, refused(r)
	}
	if err := s.strictBusy(rec, existing); err != nil {
		return 0, nil, err
	}
	state, lat := endpoint.Updating, s.latency.UpdateDeployment
	if existing == nil {
		state, lat = endpoint.Creating, s.latency.CreateDeployment
		existing = &deploymentRecord{stats: DeploymentStats{Deployment: spec.Name}}
		rec.add(endpoint.NameKey(spec.Name), existing)
	}
	i, _ := rules.FindDeployment(next, spec.Name)
	existing.store(next.Deployments, i)
	return lat, s.startDeploymentOp(rec, existing, "CreateOrUpdateDeployment", state, lat), nil
}

// ScaleDeployment implements [backend.Backend]. The deployment shows the
// Scaling provisioning state until the operation ends. It is
// [Service.StartScaleDeployment] followed by [Operation.Wait].
func (s *Service) ScaleDeployment(ctx context.Context, endpointName, deploymentName string, instanceCount int) error {
	if err := s.begin(ctx, "ScaleDeployment"); err != nil {
		return err
	}
	lat, end, err := s.startScale(endpointName, deploymentName, instanceCount)
	return s.await(ctx, lat, end, err)
}

// StartScaleDeployment checks and accepts the scale of
// [Service.ScaleDeployment] without waiting for it. The call counts as a
// ScaleDeployment in [Service.Calls].
func (s *Service) StartScaleDeployment(ctx context.Context, endpointName, deploymentName string, instanceCount int) (*Operation, error) {
	if err := s.begin(ctx, "ScaleDeployment"); err != nil {
		return nil, err
	}
	lat, end, err := s.startScale(endpointName, deploymentName, instanceCount)
	if err != nil {
		s.unlock()
		return nil, err
	}
	return s.finishLater(lat, end), nil
}

func (s *Service) startScale(endpointName, deploymentName string, instanceCount int) (time.Duration, func() error, error) {
	rec := s.endpoints[endpoint.NameKey(endpointName)]
	if rec == nil {
		return 0, nil, endpointNotFound(endpointName)
	}
	next, r := rules.ScaleDeployment(s.view(rec), deploymentName, instanceCount)
	if r != nil {
		return 0, nil, refused(r)
	}
	existing := rec.deployments[endpoint.NameKey(deploymentName)]
	if err := s.strictBusy(rec, existing); err != nil {
		return 0, nil, err
	}
	i, _ := rules.FindDeployment(next, deploymentName)
	existing.store(next.Deployments, i)
	return s.latency.ScaleDeployment, s.startDeploymentOp(rec, existing, "ScaleDeployment", endpoint.Scaling, s.latency.ScaleDeployment), nil
}

// startDeploymentOp marks a deployment whose new spec is stored as busy in
// state, records the change, and returns what ends the operation, which
// takes lat. s.mu is held.
func (s *Service) startDeploymentOp(rec *endpointRecord, dr *deploymentRecord, op string, state endpoint.ProvisioningState, lat time.Duration) func() error {
	f, fail := s.takeFailure(rec.ep.Name, dr.d.Name)
	// The target names the deployment in states and in the failure; a
	// service that records no states and fails nothing needs none.
	target := ""
	if s.recording() || fail {
		target = rec.ep.Name + "/" + dr.d.Name
	}
	dr.d.Status = endpoint.Status{ProvisioningState: state, ETag: s.startETag(lat)}
	s.changed(op, target, false)
	return func() error {
		dr.d.Status.ETag = s.nextETag()
		dr.d.Status.ProvisioningState = endpoint.Succeeded
		if fail {
			dr.d.Status.ProvisioningState = endpoint.Failed
		}
		s.changed(op, target, true)
		if fail {
			return provisioningFailed(f, "deployment "+target)
		}
		return nil
	}
}

// DeleteDeployment implements [backend.Backend]. The service refuses while
// the deployment has live or mirror traffic, with [backend.Invalid]: the
// call fails until the traffic moves, so retrying it as is cannot help. It
// is [Service.StartDeleteDeployment] followed by [Operation.Wait].
func (s *Service) DeleteDeployment(ctx context.Context, endpointName, deploymentName string) error {
	op, err := s.StartDeleteDeployment(ctx, endpointName, deploymentName)
	if err != nil {
		return err
	}
	return op.Wait(ctx)
}

// StartDeleteDeployment checks and accepts the delete of
// [Service.DeleteDeployment] without waiting for it. Deleting a deployment
// that does not exist succeeds: its Operation has already ended. The call
// counts as a DeleteDeployment in [Service.Calls].
func (s *Service) StartDeleteDeployment(ctx context.Context, endpointName, deploymentName string) (*Operation, error) {
	const op = "DeleteDeployment"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	rec := s.endpoints[endpoint.NameKey(endpointName)]
	if rec == nil {
		s.unlock()
		return nil, endpointNotFound(endpointName)
	}
	key := endpoint.NameKey(deploymentName)
	dr := rec.deployments[key]
	if dr == nil {
		s.unlock()
		return ended(), nil
	}
	if _, r := rules.DeleteDeployment(s.view(rec), deploymentName); r != nil {
		s.unlock()
		return nil, refused(r)
	}
	if err := s.strictBusy(rec, dr); err != nil {
		s.unlock()
		return nil, err
	}
	deploymentName = dr.d.Name
	target := rec.ep.Name + "/" + deploymentName
	dr.d.Status.ProvisioningState = endpoint.Deleting
	dr.d.Status.ETag = s.nextETag()
	s.changed(op, target, false)
	return s.finishLater(s.latency.DeleteDeployment, func() error {
		rec.remove(key)
		s.changed(op, target, true)
		return nil
	}), nil
}

// strictBusy returns, in strict mode, the Conflict for an operation on a
// deployment (dr, or nil for a create) while another deployment of the
// endpoint has one in progress: the service's documentation does not say
// whether that is refused, and by default the fake allows it. s.mu is held.
func (s *Service) strictBusy(rec *endpointRecord, dr *deploymentRecord) error {
	if other := rec.busyDeployment(); s.strict && other != nil && other != dr {
		return conflict("Endpoint %s has an operation in progress on deployment %s (%s provisioning state); operations on one endpoint run one at a time", rec.ep.Name, other.d.Name, other.d.Status.ProvisioningState)
	}
	return nil
}

// normalizeDeployment returns a copy of d with the service's defaults
// filled in for an endpoint of rec's kind and no status. The endpoint it
// normalizes d in is the service's, reused from one write to the next.
// s.mu is held.
func (s *Service) normalizeDeployment(rec *endpointRecord, d endpoint.Deployment) endpoint.Deployment {
	e := &s.scratch
	*e = endpoint.Endpoint{Compute: rec.ep.Compute, Deployments: append(e.Deployments[:0], d.Clone())}
	endpoint.Normalize(e)
	spec := e.Deployments[0]
	e.Deployments[0] = endpoint.Deployment{}
	spec.Status = endpoint.Status{}
	return spec
}
