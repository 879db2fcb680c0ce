package azureml

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/backend/backendtest"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
	"github.com/rolloutkit/rollout/plan"
)

// labelBackend is the client over TLS to an emulator of svc.
func labelBackend(t *testing.T, svc *fakes.Service) *Backend {
	t.Helper()
	srv := httptest.NewTLSServer(rest.New(svc, rest.Options{}))
	t.Cleanup(srv.Close)
	o := emulatorOptions(srv.Client(), srv.URL)
	o.PollFrequency = time.Millisecond
	b, err := New(testScope, &fake.TokenCredential{}, o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLabelsConformance resolves labels over HTTP, as the SDK does: the
// workspace's versions listed newest first, a registry's through the
// registry discovery, and passes the rules the in-memory service passes.
func TestLabelsConformance(t *testing.T) {
	var svcs services
	backendtest.TestLabels(t, backendtest.LabelHarness{
		New: func(t *testing.T) backend.Backend {
			svc := fakes.New(fakes.Options{})
			b := labelBackend(t, svc)
			svcs.add(b, svc)
			return b
		},
		AddAssetVersion: func(t *testing.T, b backend.Backend, v backendtest.AssetVersion) {
			svcs.mu.Lock()
			svc := svcs.m[b]
			svcs.mu.Unlock()
			err := svc.AddAssetVersion(fakes.AssetVersion{Kind: v.Kind, Registry: v.Registry, Name: v.Name, Version: v.Version,
				Created: v.Created, Archived: v.Archived, Content: v.Name + ":" + v.Version})
			if err != nil {
				t.Fatal(err)
			}
		},
	})
}

// TestLabelsOverHTTP runs a spec that takes the latest model of the
// workspace and the latest environment of a registry through the client
// and the emulator: the deployments are written with the versions the
// labels resolved to, an unchanged spec plans nothing, a new version of the
// model plans the updates of the deployments that use it, and a plan saved
// before the label moved is refused as stale.
func TestLabelsOverHTTP(t *testing.T) {
	ctx := context.Background()
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	add := func(v fakes.AssetVersion) {
		t.Helper()
		v.Content = v.Registry + "/" + v.Name + ":" + v.Version
		if err := svc.AddAssetVersion(v); err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range []string{"1", "2", "10", "7"} {
		add(fakes.AssetVersion{Kind: endpoint.ModelAsset, Name: "taxi-model", Version: v, Created: at.Add(time.Duration(i) * time.Hour)})
	}
	for i, v := range []string{"1", "2"} {
		add(fakes.AssetVersion{Kind: endpoint.EnvironmentAsset, Registry: "azureml", Name: "sklearn-1.5", Version: v, Created: at.Add(time.Duration(i) * time.Hour)})
	}
	b := labelBackend(t, svc)
	spec, err := endpoint.Parse("ep.yml", []byte(`name: my-endpoint
auth_mode: key
traffic: {blue: 100}
deployments:
  - name: blue
    model: azureml:taxi-model@latest
    environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
    instance_type: Standard_DS3_v2
    instance_count: 1
  - name: green
    model: azureml:taxi-model@latest
    environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
    instance_type: Standard_DS3_v2
    instance_count: 1
`))
	if err != nil {
		t.Fatal(err)
	}
	desired := []*endpoint.Endpoint{spec}
	if _, err := rollout.Run(ctx, b, desired, plan.Options{}); err != nil {
		t.Fatal(err)
	}
	e, err := b.GetEndpoint(ctx, "my-endpoint")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range e.Deployments {
		if got := d.Model.String(); got != "azureml:taxi-model:7" {
			t.Errorf("%s written with model %s, want the latest created, azureml:taxi-model:7", d.Name, got)
		}
		if got := d.Environment.Reference.String(); got != "azureml://registries/azureml/sklearn-1.5/versions/2" {
			t.Errorf("%s written with environment %s, want the registry's version 2", d.Name, got)
		}
	}

	planNow := func() *plan.Plan {
		t.Helper()
		actual, err := b.ListEndpoints(ctx)
		if err != nil {
			t.Fatal(err)
		}
		resolved, err := rollout.ResolveLabels(ctx, b, desired)
		if err != nil {
			t.Fatal(err)
		}
		p, err := plan.Compute(resolved, actual, plan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if p := planNow(); !p.Empty() {
		t.Fatalf("an unchanged spec plans steps:\n%s", p)
	}
	saved := planNow()

	add(fakes.AssetVersion{Kind: endpoint.ModelAsset, Name: "taxi-model", Version: "8", Created: at.Add(24 * time.Hour)})
	p := planNow()
	if len(p.Steps) != 2 || p.Summary.Change != 2 {
		t.Fatalf("after a new version: %d steps, want the updates of blue and green:\n%s", len(p.Steps), p)
	}
	for _, s := range p.Steps {
		if !strings.HasPrefix(s.Reason, "model: azureml:taxi-model@latest moved from 7 to 8") {
			t.Errorf("%s: reason %q", s.ID, s.Reason)
		}
	}
	_, err = rollout.Apply(ctx, b, saved)
	var stale *rollout.StalePlanError
	if !errors.As(err, &stale) || len(stale.Moved) != 1 || stale.Moved[0] != "azureml:taxi-model@latest moved from 7 to 8" {
		t.Fatalf("the plan saved before the label moved: %v, want it stale naming the label", err)
	}
	if _, err := rollout.Apply(ctx, b, p); err != nil {
		t.Fatal(err)
	}
	if p := planNow(); !p.Empty() {
		t.Fatalf("after applying, the plan is not empty:\n%s", p)
	}
}
