package durable_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/examples/temporal/durable"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/traffic"
)

// TestReadsHeartbeat holds every read of the service until the activity
// has reported that its worker is alive: the workflow gives each
// activity a minute between reports, and reading many endpoints from a
// slow service can take longer than that, so reads report as writes do.
func TestReadsHeartbeat(t *testing.T) {
	for _, c := range []struct {
		name string
		run  func(*testsuite.TestActivityEnvironment, *durable.Activities) error
	}{
		{"observe by name", func(env *testsuite.TestActivityEnvironment, a *durable.Activities) error {
			_, err := env.ExecuteActivity(a.Observe, durable.ObserveInput{Names: []string{"my-endpoint"}})
			return err
		}},
		{"observe all", func(env *testsuite.TestActivityEnvironment, a *durable.Activities) error {
			_, err := env.ExecuteActivity(a.Observe, durable.ObserveInput{All: true})
			return err
		}},
		{"restore", func(env *testsuite.TestActivityEnvironment, a *durable.Activities) error {
			_, err := env.ExecuteActivity(a.Restore, durable.RestoreInput{Endpoint: "my-endpoint", Live: traffic.MustParse("blue=100")})
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			beat := make(chan struct{}, 1)
			alive := func() error {
				select {
				case <-beat:
					return nil
				case <-time.After(5 * time.Second):
					return errors.New("no heartbeat while reading")
				}
			}
			b := fakes.Intercept(newService(t, load(t, "2-scale-blue.yaml")), fakes.Interceptor{
				GetEndpoint: func(ctx context.Context, next backend.Backend, name string) (*endpoint.Endpoint, error) {
					if err := alive(); err != nil {
						return nil, err
					}
					return next.GetEndpoint(ctx, name)
				},
				ListEndpoints: func(ctx context.Context, next backend.Backend) ([]*endpoint.Endpoint, error) {
					if err := alive(); err != nil {
						return nil, err
					}
					return next.ListEndpoints(ctx)
				},
			})
			var s testsuite.WorkflowTestSuite
			env := s.NewTestActivityEnvironment()
			env.SetOnActivityHeartbeatListener(func(*activity.Info, converter.EncodedValues) {
				select {
				case beat <- struct{}{}:
				default:
				}
			})
			a := &durable.Activities{Backend: b, Heartbeat: 10 * time.Millisecond}
			env.RegisterActivity(a)
			if err := c.run(env, a); err != nil {
				t.Error(err)
			}
		})
	}
}
