package durable

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
	"github.com/rolloutkit/rollout/traffic"
)

// Activities are the workflow's only contact with the service: each
// method is one activity, run by whichever worker polls the task queue.
// Register them with [Register].
type Activities struct {
	// Backend is the service: backend/azureml, or fakes for tests and
	// demonstrations.
	Backend backend.Backend
	// Metrics feeds metric gates; without it they refuse.
	Metrics rollout.MetricSource
	// Heartbeat is how often an activity, a read or a step, reports that
	// its worker is alive; zero is every 10 seconds. The workflow retries
	// an activity whose worker stopped reporting for a minute on another
	// worker, so it must stay well under a minute.
	Heartbeat time.Duration
}

// The activities' names, as [Register] registers them: the prefix keeps
// them apart from a team's own activities on the same worker.
const (
	activityPrefix  = "rollout."
	activityObserve = activityPrefix + "Observe"
	activityStep    = activityPrefix + "ApplyStep"
	activityRestore = activityPrefix + "Restore"
	activityResolve = activityPrefix + "ResolveLabels"
)

// ObserveInput says which endpoints to read.
type ObserveInput struct {
	// Names are the endpoints to read; missing ones are left out.
	Names []string `json:"names,omitempty"`
	// All reads every endpoint of the backend instead.
	All bool `json:"all,omitempty"`
}

// Observe reads what the service holds, the actual state the workflow
// plans from.
func (a *Activities) Observe(ctx context.Context, in ObserveInput) ([]Snapshot, error) {
	var out []Snapshot
	err := a.heartbeating(ctx, func(ctx context.Context) error {
		var err error
		out, err = a.observe(ctx, in)
		return err
	})
	return out, err
}

func (a *Activities) observe(ctx context.Context, in ObserveInput) ([]Snapshot, error) {
	var eps []*endpoint.Endpoint
	if in.All {
		all, err := a.Backend.ListEndpoints(ctx)
		if err != nil {
			return nil, activityError(ctx, fmt.Errorf("observe: %w", err))
		}
		eps = all
	}
	for _, name := range in.Names {
		if in.All {
			break
		}
		e, err := a.Backend.GetEndpoint(ctx, name)
		if errors.Is(err, backend.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, activityError(ctx, fmt.Errorf("observe %s: %w", name, err))
		}
		eps = append(eps, e)
	}
	out := make([]Snapshot, len(eps))
	for i, e := range eps {
		out[i] = snapshotOf(e)
	}
	return out, nil
}

// ResolveLabels resolves the asset labels the desired state uses
// (azureml:NAME@latest) to the versions they point at now, through
// rollout.ResolveLabels, for the workflow to plan with. A label that
// selects no version refuses the rollout (ErrorRefused), before anything
// is written.
func (a *Activities) ResolveLabels(ctx context.Context, desired []*endpoint.Endpoint) ([]*endpoint.Endpoint, error) {
	var out []*endpoint.Endpoint
	err := a.heartbeating(ctx, func(ctx context.Context) error {
		var err error
		out, err = rollout.ResolveLabels(ctx, a.Backend, desired, rollout.MaxAttempts(1))
		return err
	})
	if errors.Is(err, endpoint.ErrInvalid) {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrorRefused, nil)
	}
	return out, activityError(ctx, err)
}

// StepInput is one step of the workflow's plan.
type StepInput struct {
	// Plan holds the one step, without its dependencies, which the
	// workflow has waited for. Its JSON form redacts secret values.
	Plan *plan.Plan `json:"plan"`
	// Desired is the step's endpoint as the request wants it, when the
	// step writes secret values: rollout.FillSecrets takes them from it.
	Desired *endpoint.Endpoint `json:"desired,omitempty"`
	// Gate is how to check a gate step (smoke and metric gates only).
	Gate *GateSpec `json:"gate,omitempty"`
}

// ApplyStep runs one step through rollout.ApplyStep, once: retries are
// Temporal's, by the retry policy of the workflow (see RetryPolicy), so
// every attempt is in the history. Writes are idempotent against the
// service, so repeating one after a crash that lost its answer leaves the
// service as running it once.
func (a *Activities) ApplyStep(ctx context.Context, in StepInput) error {
	if in.Plan == nil || len(in.Plan.Steps) != 1 {
		return temporal.NewNonRetryableApplicationError("step input holds no single step", errInvalidPlan, nil)
	}
	p := in.Plan
	if in.Desired != nil {
		filled, err := rollout.FillSecrets(p, []*endpoint.Endpoint{in.Desired})
		if err != nil {
			return activityError(ctx, err)
		}
		p = filled
	}
	opts := []rollout.Option{rollout.MaxAttempts(1)}
	if s := p.Steps[0]; s.Action == plan.Gate {
		g, err := a.gate(in.Gate)
		if err != nil {
			return temporal.NewNonRetryableApplicationError(err.Error(), errGateRefused, nil)
		}
		opts = append(opts, rollout.Gates(map[string]rollout.Gate{s.Gate: g}))
	}
	return activityError(ctx, a.heartbeating(ctx, func(ctx context.Context) error {
		return rollout.ApplyStep(ctx, a.Backend, p, p.Steps[0].ID, opts...)
	}))
}

// gate returns the library's gate for a smoke or metric spec.
func (a *Activities) gate(g *GateSpec) (rollout.Gate, error) {
	switch {
	case g == nil:
		return nil, errors.New("gate step without a gate")
	case g.Kind == Smoke:
		return rollout.SmokeTest(g.Request, nil), nil
	case g.Kind == Metric && a.Metrics == nil:
		return nil, errors.New("metric gate on a worker without a metric source")
	case g.Kind == Metric:
		return rollout.Metric(a.Metrics, rollout.MaxErrorRate(g.MaxErrorRate, g.MinRequests), g.Duration), nil
	}
	return nil, fmt.Errorf("%s gates wait in the workflow, not in an activity", g.Kind)
}

// RestoreInput is an endpoint's traffic to restore.
type RestoreInput struct {
	Endpoint string        `json:"endpoint"`
	Live     traffic.Split `json:"live"`
	Mirror   traffic.Split `json:"mirror"`
}

// Restore is the rollback of one endpoint: it writes the live and mirror
// split back, unless the service holds them already, and reports whether
// it wrote. As rollout.Apply's rollback does, it leaves an endpoint alone,
// with an error, when the split names a deployment that is gone or did
// not provision successfully, and an endpoint that is gone without one.
func (a *Activities) Restore(ctx context.Context, in RestoreInput) (bool, error) {
	var wrote bool
	err := a.heartbeating(ctx, func(ctx context.Context) error {
		var err error
		wrote, err = a.restore(ctx, in)
		return err
	})
	return wrote, err
}

func (a *Activities) restore(ctx context.Context, in RestoreInput) (bool, error) {
	cur, err := a.Backend.GetEndpoint(ctx, in.Endpoint)
	if errors.Is(err, backend.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, activityError(ctx, fmt.Errorf("rollback of %s: %w", in.Endpoint, err))
	}
	if cur.Traffic.Equal(in.Live) && cur.Mirror.Equal(in.Mirror) {
		return false, nil
	}
	for _, name := range append(in.Live.Names(), in.Mirror.Names()...) {
		d := cur.Deployment(name)
		if d == nil || d.Status.ProvisioningState != "" && d.Status.ProvisioningState != endpoint.Succeeded {
			msg := fmt.Sprintf("rollback of %s: cannot restore traffic %s: deployment %s cannot take it", in.Endpoint, in.Live, name)
			return false, temporal.NewNonRetryableApplicationError(msg, errRollback, nil)
		}
	}
	p := &plan.Plan{FormatVersion: plan.FormatVersion, Steps: []plan.Step{{
		ID: in.Endpoint + "/rollback", Action: plan.SetTraffic, Endpoint: in.Endpoint,
		TrafficBefore: cur.Traffic, MirrorBefore: cur.Mirror, Traffic: in.Live, Mirror: in.Mirror,
		Reason: "rollback to the last split a gate approved",
	}}}
	if err := rollout.ApplyStep(ctx, a.Backend, p, p.Steps[0].ID, rollout.MaxAttempts(1)); err != nil {
		return false, activityError(ctx, err)
	}
	return true, nil
}

// heartbeating runs f while reporting to Temporal that the worker is
// alive, so that a worker that dies is noticed in a minute rather than at
// the end of the step's timeout. Every activity runs under it, reads
// too: the workflow gives each a minute between reports, which reading
// many endpoints from a slow service can take. f runs on the activity's own goroutine,
// so a panic in it fails the attempt rather than the worker.
func (a *Activities) heartbeating(ctx context.Context, f func(context.Context) error) error {
	every := a.Heartbeat
	if every <= 0 {
		every = 10 * time.Second
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return f(ctx)
}
