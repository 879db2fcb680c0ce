package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/backend/azureml"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/plan"
)

// defaultSpeed runs the in-memory service 600 times faster than the real
// one: a 10-minute deployment create takes a second, a 5-minute bake half
// of one.
const defaultSpeed = 600

// azureHooks point the azureml backend at a test server. Only tests set
// them; the command itself always talks to Azure with azidentity's
// default credential chain.
type azureHooks struct {
	// endpoint is the resource manager's URL; empty means Azure's public
	// cloud.
	endpoint  string
	transport policy.Transporter
	cred      azcore.TokenCredential
	// blobEndpoint is a storage emulator's blob endpoint, which the
	// workspace's datastores stand for; it allows plain HTTP.
	blobEndpoint string
}

// backendFlags are the flags that choose the service, shared by plan and
// apply.
type backendFlags struct {
	kind                                        string
	subscription, resourceGroup, workspace, loc string
	from                                        pathList
}

func (f *backendFlags) register(fs *flagSet) {
	fs.StringVar(&f.kind, "backend", "fake", "the service (`KIND`): fake, an in-memory service that starts out holding --from, or azureml")
	fs.StringVar(&f.subscription, "subscription", "", "azureml: the workspace's subscription `ID`")
	fs.StringVar(&f.resourceGroup, "resource-group", "", "azureml: the workspace's resource group (`NAME`)")
	fs.StringVar(&f.workspace, "workspace", "", "azureml: the workspace (`NAME`)")
	fs.StringVar(&f.loc, "location", "", "azureml: the workspace's region (`REGION`, e.g. westeurope), where new endpoints are created")
	fs.Var(&f.from, "from", "fake: the state the in-memory service starts out holding, a spec file or directory (`PATH`), every resource provisioned; repeatable; omitted, nothing exists")
}

// check refuses flags that do not go with the chosen backend, so that a
// forgotten --backend azureml never plans against an empty fake.
func (f *backendFlags) check(fs *flagSet) error {
	var azureFlags []string
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "subscription", "resource-group", "workspace", "location":
			azureFlags = append(azureFlags, "--"+fl.Name)
		}
	})
	switch f.kind {
	case "fake":
		if len(azureFlags) > 0 {
			return fmt.Errorf("%s is for --backend azureml", azureFlags[0])
		}
	case "azureml":
		if len(f.from) > 0 {
			return errors.New("--from is for --backend fake: the service's own state is the current one")
		}
		for _, req := range []struct{ name, v string }{
			{"--subscription", f.subscription}, {"--resource-group", f.resourceGroup},
			{"--workspace", f.workspace}, {"--location", f.loc},
		} {
			if req.v == "" {
				return fmt.Errorf("%s is required with --backend azureml", req.name)
			}
		}
	default:
		return fmt.Errorf("unknown backend %q; want fake or azureml", f.kind)
	}
	return nil
}

// service is a backend ready for use, and how its clock relates to real
// time.
type service struct {
	backend.Backend
	// speed is how many times faster than real time the service runs: 1
	// for Azure, --speed for the in-memory service.
	speed float64
}

// open returns the chosen backend. The in-memory service is seeded with
// --from (see seed); speed 0 gives it no latency at all, for planning.
func (c *command) open(ctx context.Context, f *backendFlags, specs *specFlags, speed float64) (*service, error) {
	if f.kind == "azureml" {
		b, err := c.azure(f)
		if err != nil {
			return nil, err
		}
		return &service{Backend: b, speed: 1}, nil
	}
	var from []*endpoint.Endpoint
	if len(f.from) > 0 {
		var err error
		if from, err = c.loadSpecs(specs, "--from", f.from); err != nil {
			return nil, err
		}
	}
	opts := fakes.Options{NoHistory: true, Latency: fakes.NoLatency()}
	if speed > 0 {
		opts = fakes.Options{NoHistory: true, TimeScale: 1 / speed}
	}
	svc := fakes.New(opts)
	c.fake = svc
	if err := seed(ctx, svc, from); err != nil {
		return nil, err
	}
	if speed == 0 {
		speed = 1
	}
	return &service{Backend: svc, speed: speed}, nil
}

// seed makes svc hold state, every resource provisioned, the way the
// service would after state was applied to it. It applies state one step
// at a time, so that the service's ETags come out the same on every run:
// a plan saved by one run is then current, not stale, for the service the
// next run seeds from the same files.
//
// A deployment of state that selects an asset by label had a version of it
// to be written with, so the service holds version 1 of each such asset,
// which the label resolves to until specs register others.
func seed(ctx context.Context, svc *fakes.Service, state []*endpoint.Endpoint) error {
	if len(state) == 0 {
		return nil
	}
	for _, e := range state {
		for i := range e.Deployments {
			for _, f := range e.Deployments[i].Labels() {
				l := f.Label
				if l.Kind == endpoint.CodeAsset {
					continue // refused when the labels are resolved
				}
				v := fakes.AssetVersion{Kind: l.Kind, Registry: l.Registry, Name: l.Name, Version: "1", Content: l.String()}
				if err := svc.AddAssetVersion(v); err != nil {
					return fmt.Errorf("seeding the in-memory service from --from: %w", err)
				}
			}
		}
	}
	if _, err := rollout.Run(ctx, svc, state, plan.Options{}, rollout.Parallelism(1), rollout.SerializePerEndpoint()); err != nil {
		return fmt.Errorf("seeding the in-memory service from --from: %w", err)
	}
	return nil
}

// azure returns the azureml backend for the workspace of the flags,
// authenticated by azidentity's default chain: environment variables
// (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_SECRET or a
// certificate), workload identity, managed identity, then the Azure CLI's
// login (az login).
func (c *command) azure(f *backendFlags) (*azureml.Backend, error) {
	cred := c.hooks.cred
	if cred == nil {
		var err error
		if cred, err = azidentity.NewDefaultAzureCredential(nil); err != nil {
			return nil, &authError{err}
		}
	}
	cred = signIn{cred}
	opts := &azureml.Options{Location: f.loc}
	if c.hooks.endpoint != "" {
		opts.ClientOptions = &arm.ClientOptions{
			ClientOptions: policy.ClientOptions{
				Transport: c.hooks.transport,
				Cloud:     azureml.CloudFor(c.hooks.endpoint, "https://management.core.windows.net/"),
			},
			DisableRPRegistration: true,
		}
		opts.PollFrequency = time.Millisecond
	}
	if e := c.hooks.blobEndpoint; e != "" {
		opts.Upload.BlobEndpoint = func(string, string) string { return e }
		opts.Insecure = true
	}
	return azureml.New(azureml.Scope{Subscription: f.subscription, ResourceGroup: f.resourceGroup, Workspace: f.workspace}, cred, opts)
}

// signIn marks the failures of a credential as failures to authenticate,
// so that they are reported as such (with how to sign in) rather than as
// a service that does not answer: the request never left the machine.
type signIn struct{ azcore.TokenCredential }

func (s signIn) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tok, err := s.TokenCredential.GetToken(ctx, opts)
	if err != nil && ctx.Err() == nil {
		err = &authError{err}
	}
	return tok, err
}

// authError is a failure to get a token for the resource manager.
type authError struct{ err error }

func (e *authError) Error() string {
	return "authentication failed: no Azure credential could get a token (" + e.err.Error() + ")"
}

func (e *authError) Unwrap() error { return e.err }

// signInHelp says how to give the command credentials; it follows an
// authError.
const signInHelp = `Sign in with "az login", or set AZURE_TENANT_ID, AZURE_CLIENT_ID and
AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH) for a service
principal; workload identity and managed identity are used when present.
`

// observe reads what the service holds, for planning.
func observe(ctx context.Context, b backend.Backend) ([]*endpoint.Endpoint, error) {
	actual, err := b.ListEndpoints(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the current state: %w", err)
	}
	return actual, nil
}
