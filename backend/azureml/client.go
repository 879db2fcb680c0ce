package azureml

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
)

// DefaultAPIVersion is the api-version of the service's REST API that
// requests use unless [Options] say otherwise.
const DefaultAPIVersion = "2024-10-01"

const (
	moduleName    = "rollout-azureml"
	moduleVersion = "v0.1.0"
	// aadScope is the audience of tokens for endpoints in aad_token mode.
	aadScope = "https://ml.azure.com/.default"
)

// Options configure a [Backend]. The zero Options talk to Azure's public
// cloud with api-version [DefaultAPIVersion]; Location is required.
type Options struct {
	// ClientOptions configure the HTTP pipeline: the cloud (sovereign
	// clouds and test servers set Cloud.Services[cloud.ResourceManager],
	// both Endpoint and Audience), retries, logging, the transport. They
	// are copied; the Backend adds its own throttle to the copy.
	ClientOptions *arm.ClientOptions
	// APIVersion is sent with every request; DefaultAPIVersion when empty.
	APIVersion string
	// Location is the region new endpoints and deployments are created in
	// (the workspace's region, "westeurope").
	Location string
	// Insecure allows plain HTTP to the service and to scoring URIs, with
	// credentials and keys sent in clear. It is meant for tests against a
	// local server and nothing else.
	Insecure bool
	// PollFrequency is how often a long-running operation is polled when
	// the service does not say (it usually does, with Retry-After); 10 s
	// when zero.
	PollFrequency time.Duration
	// Throttle bounds the rate of calls to the service; the zero value
	// matches the service's own limits (see [ThrottleOptions]).
	Throttle ThrottleOptions
	// Upload tunes the upload of local files (see [Backend.RegisterAsset]).
	Upload UploadOptions
}

// Backend is the service's REST API as a [backend.Backend], for the online
// endpoints of one workspace. It is safe for concurrent use; all its calls
// share one throttle.
type Backend struct {
	scope      Scope
	cred       azcore.TokenCredential
	pl         runtime.Pipeline
	scoring    runtime.Pipeline
	base       *url.URL
	apiVersion string
	location   string
	insecure   bool
	freq       time.Duration
	// transport and logging are the pipeline's, for the clients of blob
	// containers that uploads make.
	transport policy.Transporter
	logging   policy.LogOptions
	upload    UploadOptions
	// hashes are the content hashes of the code versions observed.
	hashes codeHashes

	// last holds each resource's body as last read, carried over into the
	// next PUT of it (see carry.go).
	last lastReads

	mu sync.Mutex
	// endpoints caches what Invoke needs of each endpoint, by lower-case
	// name, so that a scoring request costs no call to the control plane.
	// Writes and deletes through this Backend drop the entry.
	endpoints map[string]*scoringTarget
}

// scoringTarget is what Invoke needs to call one endpoint. The key and token
// are secrets: never printed, never logged.
type scoringTarget struct {
	uri      string
	authMode endpoint.AuthMode
	keys     backend.Keys
	token    string
	refresh  time.Time
}

var _ backend.Backend = (*Backend)(nil)

// New returns a Backend for the workspace, authenticating with cred (any
// azcore.TokenCredential; programs usually pass azidentity's
// DefaultAzureCredential).
func New(scope Scope, cred azcore.TokenCredential, opts *Options) (*Backend, error) {
	if err := scope.validate(); err != nil {
		return nil, err
	}
	if cred == nil {
		return nil, errors.New("azureml: a credential is required")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Location == "" {
		return nil, errors.New("azureml: Options.Location is required: the service creates every endpoint and deployment in a region")
	}
	if o.APIVersion == "" {
		o.APIVersion = DefaultAPIVersion
	}
	if o.PollFrequency <= 0 {
		o.PollFrequency = 10 * time.Second
	}
	var co arm.ClientOptions
	if o.ClientOptions != nil {
		co = *o.ClientOptions
	}
	co.PerRetryPolicies = append(slices.Clone(co.PerRetryPolicies), newThrottle(o.Throttle))
	co.InsecureAllowCredentialWithHTTP = o.Insecure
	client, err := arm.NewClient(moduleName, moduleVersion, cred, &co)
	if err != nil {
		return nil, fmt.Errorf("azureml: %w", err)
	}
	base, err := url.Parse(client.Endpoint())
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("azureml: resource manager endpoint %q is not a URL", client.Endpoint())
	}
	if base.Scheme != "https" && !o.Insecure {
		return nil, fmt.Errorf("azureml: resource manager endpoint %q is not HTTPS (Options.Insecure allows plain HTTP, for tests)", client.Endpoint())
	}
	scoringOpts := policy.ClientOptions{
		Transport:                       co.Transport,
		Logging:                         co.Logging,
		Telemetry:                       co.Telemetry,
		InsecureAllowCredentialWithHTTP: o.Insecure,
		// A scoring request is the user's, not an operation of the
		// service: its failures are answers to report, not to hide.
		Retry: policy.RetryOptions{MaxRetries: -1},
	}
	return &Backend{
		scope:      scope,
		cred:       cred,
		pl:         client.Pipeline(),
		scoring:    runtime.NewPipeline(moduleName, moduleVersion, runtime.PipelineOptions{}, &scoringOpts),
		base:       base,
		apiVersion: o.APIVersion,
		location:   o.Location,
		insecure:   o.Insecure,
		freq:       o.PollFrequency,
		transport:  co.Transport,
		logging:    co.Logging,
		upload:     o.Upload.withDefaults(),
		endpoints:  make(map[string]*scoringTarget),
	}, nil
}

// CloudFor returns a cloud configuration whose resource manager is at
// endpointURL, for sovereign clouds and test servers.
func CloudFor(endpointURL, audience string) cloud.Configuration {
	return cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
		cloud.ResourceManager: {Endpoint: endpointURL, Audience: audience},
	}}
}

// invalidName is the error for a name the service would refuse to create,
// reported before the name goes anywhere near a URL.
func invalidName(what, name string) error {
	return &backend.Error{Kind: backend.Invalid, Code: "BadArgument",
		Message: fmt.Sprintf("%s name %q is invalid: 3-32 characters, letters, digits and '-', starting with a letter and not ending with '-'", what, name)}
}

// checkPath checks names for calls on resources that exist: the service's
// path pattern is all they must follow, since a resource created elsewhere
// may have any name the service once accepted. It also keeps a name from
// changing which resource a request reaches.
func checkPath(endpointName string, deployment ...string) error {
	for i, n := range append([]string{endpointName}, deployment...) {
		if !pathName(n) {
			what := "endpoint"
			if i > 0 {
				what = "deployment"
			}
			return &backend.Error{Kind: backend.Invalid, Code: "BadArgument",
				Message: fmt.Sprintf("%s name %q cannot be in a request path: 1-255 letters, digits, '-' and '_', starting with a letter or digit", what, n)}
		}
	}
	return nil
}

// checkPut checks the names of a PUT: a resource this Backend has read
// exists and keeps its name, whatever rule created it; any other may be a
// create, whose names must follow the service's documented rule.
func (b *Backend) checkPut(endpointName string, deployment ...string) error {
	if err := checkPath(endpointName, deployment...); err != nil {
		return err
	}
	if !validName(endpointName) && !b.last.known(resourceKey(endpointName)) {
		return invalidName("endpoint", endpointName)
	}
	for _, d := range deployment {
		if !validName(d) && !b.last.known(resourceKey(endpointName, d)) {
			return invalidName("deployment", d)
		}
	}
	return nil
}

// checkRead is checkPath for calls that read an endpoint: no endpoint can
// have a name no path can carry, so it is not found.
func checkRead(endpointName string) error {
	if !pathName(endpointName) {
		return &backend.Error{Kind: backend.NotFound, Code: "ResourceNotFound",
			Message: fmt.Sprintf("no endpoint can be named %q: 1-255 letters, digits, '-' and '_', starting with a letter or digit", endpointName)}
	}
	return nil
}

// resourceURL is the URL of the workspace's online endpoints, or of one
// endpoint and what is below it; every segment is escaped.
func (b *Backend) resourceURL(segments ...string) string {
	u := strings.TrimSuffix(b.base.String(), "/") + b.scope.path() + "/onlineEndpoints"
	for _, s := range segments {
		u += "/" + url.PathEscape(s)
	}
	return u
}

// newRequest builds a request to the control plane with the api-version.
func (b *Backend) newRequest(ctx context.Context, method, u string, body any) (*policy.Request, error) {
	req, err := runtime.NewRequest(ctx, method, u)
	if err != nil {
		return nil, err
	}
	q := req.Raw().URL.Query()
	q.Set("api-version", b.apiVersion)
	req.Raw().URL.RawQuery = q.Encode()
	req.Raw().Header.Set("Accept", "application/json")
	if body != nil {
		if err := runtime.MarshalAsJSON(req, body); err != nil {
			return nil, err
		}
	}
	return req, nil
}

// do sends req and returns the response if its status is one of ok, or the
// error mapped to a [backend.Error].
func (b *Backend) do(req *policy.Request, ok ...int) (*http.Response, error) {
	resp, err := b.pl.Do(req)
	if err != nil {
		return nil, mapError(err)
	}
	if !runtime.HasStatusCode(resp, ok...) {
		return nil, mapError(runtime.NewResponseError(resp))
	}
	return resp, nil
}

// getJSON reads one resource or page into v.
func (b *Backend) getJSON(ctx context.Context, u string, v any) (*http.Response, error) {
	resp, _, err := b.getRaw(ctx, u, v)
	return resp, err
}

// getRaw reads one resource or page into v and returns its body too.
func (b *Backend) getRaw(ctx context.Context, u string, v any) (*http.Response, []byte, error) {
	req, err := b.newRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := b.do(req, http.StatusOK)
	if err != nil {
		return nil, nil, err
	}
	raw, err := runtime.Payload(resp)
	if err == nil {
		err = json.Unmarshal(raw, v)
	}
	if err != nil {
		return nil, nil, &backend.Error{Kind: backend.Internal, Message: "the service's answer is not the JSON expected", Err: err}
	}
	return resp, raw, nil
}

// checkNextLink keeps paging on the service's host: a nextLink elsewhere
// would carry the bearer token to it.
func (b *Backend) checkNextLink(link string) error {
	u, err := url.Parse(link)
	if err != nil || u.Scheme != b.base.Scheme || !strings.EqualFold(u.Host, b.base.Host) {
		return &backend.Error{Kind: backend.Internal, Message: fmt.Sprintf("the service's nextLink %q is not on %s", link, b.base.Host)}
	}
	return nil
}

// listAll reads every page of a list.
func listAll[T any](ctx context.Context, b *Backend, u string) ([]T, error) {
	raws, err := b.listRaw(ctx, u)
	if err != nil {
		return nil, err
	}
	out := make([]T, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			return nil, &backend.Error{Kind: backend.Internal, Message: "the service's answer is not the JSON expected", Err: err}
		}
	}
	return out, nil
}

// listRaw reads every page of a list, starting at u (to which it adds the
// api-version) and following each nextLink exactly as the service gives it:
// it may name another api-version, or carry a token the client must not
// touch.
func (b *Backend) listRaw(ctx context.Context, u string) ([]json.RawMessage, error) {
	req, err := b.newRequest(ctx, http.MethodGet, u, nil)
	var all []json.RawMessage
	for err == nil {
		var resp *http.Response
		if resp, err = b.do(req, http.StatusOK); err != nil {
			return nil, err
		}
		var p page[json.RawMessage]
		if err := runtime.UnmarshalAsJSON(resp, &p); err != nil {
			return nil, &backend.Error{Kind: backend.Internal, Message: "the service's answer is not the JSON expected", Err: err}
		}
		all = append(all, p.Value...)
		if p.NextLink == "" {
			return all, nil
		}
		if err := b.checkNextLink(p.NextLink); err != nil {
			return nil, err
		}
		req, err = runtime.NewRequest(ctx, http.MethodGet, p.NextLink)
		if err == nil {
			req.Raw().Header.Set("Accept", "application/json")
		}
	}
	return nil, &backend.Error{Kind: backend.Internal, Message: "cannot build the request for the next page", Err: err}
}

// GetEndpoint implements [backend.Backend].
func (b *Backend) GetEndpoint(ctx context.Context, name string) (*endpoint.Endpoint, error) {
	if err := checkRead(name); err != nil {
		return nil, err
	}
	var w onlineEndpoint
	resp, raw, err := b.getRaw(ctx, b.resourceURL(name), &w)
	if err != nil {
		return nil, err
	}
	e, err := b.scope.decodeEndpoint(&w, resp.Header.Get("ETag"))
	if err != nil {
		return nil, &backend.Error{Kind: backend.Internal, Err: err}
	}
	if e.Name == "" {
		e.Name = name
	}
	b.last.remember(resourceKey(name), raw)
	if err := b.readDeployments(ctx, name, e); err != nil {
		return nil, err
	}
	return e, nil
}

// readDeployments fills e.Deployments, sorted by name, from one list of
// them (however many pages): one read per endpoint whatever its number of
// deployments. The service declares no ETag for deployments; one the list
// carries is kept, and none is looked for elsewhere.
func (b *Backend) readDeployments(ctx context.Context, name string, e *endpoint.Endpoint) error {
	raws, err := b.listRaw(ctx, b.resourceURL(name, "deployments"))
	if err != nil {
		return err
	}
	e.Deployments = make([]endpoint.Deployment, 0, len(raws))
	for _, raw := range raws {
		var w onlineDeployment
		if err := json.Unmarshal(raw, &w); err != nil {
			return &backend.Error{Kind: backend.Internal, Message: "the service's answer is not the JSON expected", Err: err}
		}
		d, err := b.scope.decodeDeployment(&w, "")
		if err != nil {
			return &backend.Error{Kind: backend.Internal, Err: err}
		}
		if err := b.observeCode(ctx, &d); err != nil {
			return err
		}
		b.last.remember(resourceKey(name, d.Name), raw)
		e.Deployments = append(e.Deployments, d)
	}
	slices.SortFunc(e.Deployments, func(a, b endpoint.Deployment) int { return strings.Compare(a.Name, b.Name) })
	return nil
}

// listParallelism bounds how many endpoints ListEndpoints reads at once:
// enough to hide the service's latency, few enough that the throttle, not
// a burst of goroutines, sets the pace.
const listParallelism = 8

// ListEndpoints implements [backend.Backend]: one list of the endpoints,
// then one list of each endpoint's deployments, read concurrently; a
// failure is the first by endpoint name. Names the service lists are taken
// as they are, whoever created them.
func (b *Backend) ListEndpoints(ctx context.Context) ([]*endpoint.Endpoint, error) {
	raws, err := b.listRaw(ctx, b.resourceURL())
	if err != nil {
		return nil, err
	}
	out := make([]*endpoint.Endpoint, 0, len(raws))
	for _, raw := range raws {
		var w onlineEndpoint
		if err := json.Unmarshal(raw, &w); err != nil {
			return nil, &backend.Error{Kind: backend.Internal, Message: "the service's answer is not the JSON expected", Err: err}
		}
		e, err := b.scope.decodeEndpoint(&w, "")
		if err != nil {
			return nil, &backend.Error{Kind: backend.Internal, Err: err}
		}
		if !pathName(e.Name) {
			return nil, &backend.Error{Kind: backend.Internal, Message: fmt.Sprintf("the service lists an endpoint named %q, which no request path can name", e.Name)}
		}
		b.last.remember(resourceKey(e.Name), raw)
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *endpoint.Endpoint) int { return strings.Compare(a.Name, b.Name) })
	errs := make([]error, len(out))
	sem := make(chan struct{}, listParallelism)
	var wg sync.WaitGroup
	for i, e := range out {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = b.readDeployments(ctx, e.Name, e)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CreateOrUpdateEndpoint implements [backend.Backend].
func (b *Backend) CreateOrUpdateEndpoint(ctx context.Context, e *endpoint.Endpoint) error {
	op, err := b.BeginCreateOrUpdateEndpoint(ctx, e)
	if err != nil {
		return err
	}
	return op.Wait(ctx)
}

// BeginCreateOrUpdateEndpoint starts CreateOrUpdateEndpoint and returns the
// operation in flight without waiting for it.
func (b *Backend) BeginCreateOrUpdateEndpoint(ctx context.Context, e *endpoint.Endpoint) (*Operation, error) {
	if err := b.checkPut(e.Name); err != nil {
		return nil, err
	}
	w, err := b.scope.encodeEndpoint(e, b.location)
	if err != nil {
		return nil, &backend.Error{Kind: backend.Invalid, Message: err.Error()}
	}
	body, err := b.last.carryOver(resourceKey(e.Name), w)
	if err != nil {
		return nil, &backend.Error{Kind: backend.Internal, Err: err}
	}
	b.forget(e.Name)
	return b.begin(ctx, http.MethodPut, b.resourceURL(e.Name), body, e.Status.ETag, runtime.FinalStateViaAzureAsyncOp)
}

// PatchEndpoint writes only the endpoint's tags and identity (the
// service's PATCH), leaving its traffic, mirror and every other setting as
// the service holds them, and its tags too when e.Tags is nil (not
// managed) or its identity when e.Identity is nil. It is conditional when
// e.Status.ETag is set.
func (b *Backend) PatchEndpoint(ctx context.Context, e *endpoint.Endpoint) error {
	if err := checkPath(e.Name); err != nil {
		return err
	}
	body, err := encodeEndpointPatch(e)
	if err != nil {
		return &backend.Error{Kind: backend.Invalid, Message: err.Error()}
	}
	op, err := b.begin(ctx, http.MethodPatch, b.resourceURL(e.Name), body, e.Status.ETag, runtime.FinalStateViaLocation)
	if err != nil {
		return err
	}
	return op.Wait(ctx)
}

// DeleteEndpoint implements [backend.Backend].
func (b *Backend) DeleteEndpoint(ctx context.Context, name string) error {
	op, err := b.BeginDeleteEndpoint(ctx, name)
	if err != nil {
		return err
	}
	return op.Wait(ctx)
}

// BeginDeleteEndpoint starts DeleteEndpoint and returns the operation in
// flight without waiting for it.
func (b *Backend) BeginDeleteEndpoint(ctx context.Context, name string) (*Operation, error) {
	if err := checkPath(name); err != nil {
		return nil, err
	}
	b.forget(name)
	b.last.forget(resourceKey(name))
	op, err := b.begin(ctx, http.MethodDelete, b.resourceURL(name), nil, "", runtime.FinalStateViaLocation)
	if backend.KindOf(err) == backend.NotFound {
		return &Operation{b: b}, nil
	}
	return op, err
}

// CreateOrUpdateDeployment implements [backend.Backend].
func (b *Backend) CreateOrUpdateDeployment(ctx context.Context, endpointName string, d endpoint.Deployment) error {
	op, err := b.BeginCreateOrUpdateDeployment(ctx, endpointName, d)
	if err != nil {
		return err
	}
	return op.Wait(ctx)
}

// BeginCreateOrUpdateDeployment starts CreateOrUpdateDeployment and returns
// the operation in flight without waiting for it. When the service answers
// 409 because the deployment is busy (an earlier PUT of it, whose answer
// was lost, is still being carried out), it first waits for that
// operation: if it left the deployment as d specifies, nothing more is
// sent and the operation returned has ended; otherwise d is sent again.
func (b *Backend) BeginCreateOrUpdateDeployment(ctx context.Context, endpointName string, d endpoint.Deployment) (*Operation, error) {
	if err := b.checkPut(endpointName, d.Name); err != nil {
		return nil, err
	}
	w, err := b.scope.encodeDeployment(&d, b.location)
	if err != nil {
		return nil, &backend.Error{Kind: backend.Invalid, Message: err.Error()}
	}
	body, err := b.last.carryOver(resourceKey(endpointName, d.Name), w)
	if err != nil {
		return nil, &backend.Error{Kind: backend.Internal, Err: err}
	}
	u := b.resourceURL(endpointName, "deployments", d.Name)
	op, err := b.begin(ctx, http.MethodPut, u, body, d.Status.ETag, runtime.FinalStateViaAzureAsyncOp)
	if backend.KindOf(err) != backend.Conflict {
		return op, err
	}
	// The deployment may be busy with this very write: when the answer
	// to the PUT is lost, the pipeline sends it again, and the service
	// refuses the second while it carries out the first. Wait for the
	// operation in progress, then send the PUT only if it did not write d.
	settled, done, werr := b.awaitDeployment(ctx, endpointName, d)
	switch {
	case werr != nil:
		return nil, werr
	case !settled:
		return nil, err // the conflict is not this deployment's
	case done:
		return &Operation{b: b}, nil
	}
	return b.begin(ctx, http.MethodPut, u, body, d.Status.ETag, runtime.FinalStateViaAzureAsyncOp)
}

// awaitDeployment waits, polling, while deployment d of the endpoint is
// busy with an operation. It reports whether it waited for one (settled),
// and whether that operation left the deployment as d specifies, in
// Succeeded (done). A deployment it leaves as d specifies in Failed is
// d's provisioning failure.
func (b *Backend) awaitDeployment(ctx context.Context, endpointName string, d endpoint.Deployment) (settled, done bool, err error) {
	for {
		var w onlineDeployment
		if _, err := b.getJSON(ctx, b.resourceURL(endpointName, "deployments", d.Name), &w); err != nil {
			if backend.KindOf(err) == backend.NotFound {
				return false, false, nil
			}
			return false, false, err
		}
		got, err := b.scope.decodeDeployment(&w, "")
		if err != nil {
			return false, false, &backend.Error{Kind: backend.Internal, Err: err}
		}
		state := got.Status.ProvisioningState
		if !state.Busy() {
			if !settled {
				return false, false, nil
			}
			return true, state == endpoint.Succeeded && sameDeployment(got, d), failedAs(got, d, endpointName)
		}
		settled = true
		if err := sleepCtx(ctx, b.freq); err != nil {
			return false, false, err
		}
	}
}

// failedAs is the provisioning failure of d when the service holds it as
// d specifies, in Failed.
func failedAs(got, d endpoint.Deployment, endpointName string) error {
	if got.Status.ProvisioningState != endpoint.Failed || !sameDeployment(got, d) {
		return nil
	}
	return &backend.Error{Kind: backend.ProvisioningFailed, Code: "DeploymentFailed",
		Message: fmt.Sprintf("deployment %s of endpoint %s ended in Failed", d.Name, endpointName)}
}

// sameDeployment reports whether two deployments mean the same spec.
func sameDeployment(a, b endpoint.Deployment) bool {
	na := endpoint.Normalized(&endpoint.Endpoint{Name: "e", Deployments: []endpoint.Deployment{a}})
	nb := endpoint.Normalized(&endpoint.Endpoint{Name: "e", Deployments: []endpoint.Deployment{b}})
	return endpoint.DeploymentEqual(na.Deployments[0], nb.Deployments[0])
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ScaleDeployment implements [backend.Backend].
func (b *Backend) ScaleDeployment(ctx context.Context, endpointName, deploymentName string, instanceCount int) error {
	op, err := b.BeginScaleDeployment(ctx, endpointName, deploymentName, instanceCount)
	if err != nil {
		return err
	}
	return op.Wait(ctx)
}

// BeginScaleDeployment starts ScaleDeployment and returns the operation in
// flight without waiting for it.
func (b *Backend) BeginScaleDeployment(ctx context.Context, endpointName, deploymentName string, instanceCount int) (*Operation, error) {
	if err := checkPath(endpointName, deploymentName); err != nil {
		return nil, err
	}
	if instanceCount < 0 {
		return nil, &backend.Error{Kind: backend.Invalid, Code: "BadArgument", Message: fmt.Sprintf("instance count %d is negative", instanceCount)}
	}
	// Only the capacity: the sku's name is the service's.
	body := deploymentPatch{SKU: &sku{Capacity: &instanceCount}}
	return b.begin(ctx, http.MethodPatch, b.resourceURL(endpointName, "deployments", deploymentName), body, "", runtime.FinalStateViaLocation)
}

// DeleteDeployment implements [backend.Backend].
func (b *Backend) DeleteDeployment(ctx context.Context, endpointName, deploymentName string) error {
	op, err := b.BeginDeleteDeployment(ctx, endpointName, deploymentName)
	if err != nil {
		return err
	}
	return op.Wait(ctx)
}

// BeginDeleteDeployment starts DeleteDeployment and returns the operation
// in flight without waiting for it.
func (b *Backend) BeginDeleteDeployment(ctx context.Context, endpointName, deploymentName string) (*Operation, error) {
	if err := checkPath(endpointName, deploymentName); err != nil {
		return nil, err
	}
	b.last.forget(resourceKey(endpointName, deploymentName))
	op, err := b.begin(ctx, http.MethodDelete, b.resourceURL(endpointName, "deployments", deploymentName), nil, "", runtime.FinalStateViaLocation)
	if backend.KindOf(err) != backend.NotFound {
		return op, err
	}
	// A missing deployment is deleted already, but only if its endpoint
	// exists: the 404 does not say which of the two is missing.
	var w onlineEndpoint
	if _, err := b.getJSON(ctx, b.resourceURL(endpointName), &w); err != nil {
		return nil, err
	}
	return &Operation{b: b}, nil
}

// begin sends a write and returns its operation. A non-empty etag makes it
// conditional (If-Match).
func (b *Backend) begin(ctx context.Context, method, u string, body any, etag string, final runtime.FinalStateVia) (*Operation, error) {
	req, err := b.newRequest(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if etag != "" {
		req.Raw().Header.Set("If-Match", etag)
	}
	resp, err := b.do(req, http.StatusOK, http.StatusCreated, http.StatusAccepted, http.StatusNoContent)
	if err != nil {
		return nil, err
	}
	p, err := runtime.NewPoller(resp, b.pl, &runtime.NewPollerOptions[operationResult]{FinalStateVia: final})
	if err != nil {
		return nil, &backend.Error{Kind: backend.Internal, Message: "cannot follow the service's operation", Err: err}
	}
	return &Operation{b: b, p: p}, nil
}

// operationResult is what an operation's poller decodes at the end: nothing,
// because callers read the resource again. Its name is part of every
// resume token: renaming it breaks tokens already stored.
type operationResult struct{}

// Operation is a long-running operation of the service in flight: a write
// the service accepted and is carrying out. Its resume token lets another
// process, or this one after a restart, wait for it.
type Operation struct {
	b *Backend
	// p is nil for operations that had nothing to do (deleting what is
	// not there).
	p *runtime.Poller[operationResult]
}

// Done reports whether the operation has ended, as of the last poll.
func (o *Operation) Done() bool { return o.p == nil || o.p.Done() }

// ResumeToken returns a token that [Backend.Resume] turns back into this
// operation, in this process or another. An operation that has ended has
// none.
func (o *Operation) ResumeToken() (string, error) {
	if o.Done() {
		return "", errors.New("azureml: the operation has ended; there is nothing to resume")
	}
	return o.p.ResumeToken()
}

// Wait polls until the operation ends, and returns nil when it succeeded,
// ctx's error when ctx ends first (the operation goes on in the service),
// or a [*backend.Error].
func (o *Operation) Wait(ctx context.Context) error {
	if o.p == nil {
		return nil
	}
	_, err := o.p.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: o.b.freq})
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return ctx.Err()
		}
		return operationError(err)
	}
	return nil
}

// operationError maps the error of an operation the service accepted. One
// followed through its Location (a PATCH, a DELETE) ends with the status
// the service answers there, 400 when it failed: that is the operation's
// provisioning failure, as a Failed status of an Azure-AsyncOperation is,
// not a request found invalid, which the service refuses before it
// accepts it.
func operationError(err error) error {
	e := mapError(err)
	if be, ok := e.(*backend.Error); ok && be.Kind == backend.Invalid {
		be.Kind = backend.ProvisioningFailed
	}
	return e
}

// Resume returns the operation a resume token stands for.
func (b *Backend) Resume(token string) (*Operation, error) {
	p, err := runtime.NewPollerFromResumeToken(token, b.pl, &runtime.NewPollerFromResumeTokenOptions[operationResult]{})
	if err != nil {
		return nil, fmt.Errorf("azureml: resume token: %w", err)
	}
	return &Operation{b: b, p: p}, nil
}

// GetKeys implements [backend.Backend]: it asks the service every time
// (listKeys), so that it sees keys regenerated elsewhere; Invoke keeps its
// own copy.
func (b *Backend) GetKeys(ctx context.Context, endpointName string) (backend.Keys, error) {
	if err := checkRead(endpointName); err != nil {
		return backend.Keys{}, err
	}
	req, err := b.newRequest(ctx, http.MethodPost, b.resourceURL(endpointName, "listKeys"), nil)
	if err != nil {
		return backend.Keys{}, err
	}
	resp, err := b.do(req, http.StatusOK)
	if err != nil {
		return backend.Keys{}, err
	}
	var k endpointKeys
	if err := runtime.UnmarshalAsJSON(resp, &k); err != nil {
		// The body holds secrets: the decoding error is not passed on.
		return backend.Keys{}, &backend.Error{Kind: backend.Internal, Message: "the service's keys are not the JSON expected"}
	}
	return backend.NewKeys(k.PrimaryKey, k.SecondaryKey), nil
}

// RegenerateKeys makes the service replace the endpoint's primary or
// secondary key, and waits until it has.
func (b *Backend) RegenerateKeys(ctx context.Context, endpointName string, primary bool) error {
	if err := checkPath(endpointName); err != nil {
		return err
	}
	keyType := "Secondary"
	if primary {
		keyType = "Primary"
	}
	b.forget(endpointName)
	op, err := b.begin(ctx, http.MethodPost, b.resourceURL(endpointName, "regenerateKeys"), map[string]string{"keyType": keyType}, "", runtime.FinalStateViaLocation)
	if err != nil {
		return err
	}
	return op.Wait(ctx)
}

// token asks the service for an AML token of an endpoint in aml_token mode.
func (b *Backend) token(ctx context.Context, endpointName string) (accessToken, error) {
	req, err := b.newRequest(ctx, http.MethodPost, b.resourceURL(endpointName, "token"), nil)
	if err != nil {
		return accessToken{}, err
	}
	resp, err := b.do(req, http.StatusOK)
	if err != nil {
		return accessToken{}, err
	}
	var t accessToken
	if err := runtime.UnmarshalAsJSON(resp, &t); err != nil || t.AccessToken == "" {
		return accessToken{}, &backend.Error{Kind: backend.Internal, Message: "the service's token is not the JSON expected"}
	}
	return t, nil
}

// Logs returns the last tail lines of a container of a deployment
// (container is "InferenceServer" or "StorageInitializer").
func (b *Backend) Logs(ctx context.Context, endpointName, deploymentName, container string, tail int) (string, error) {
	if err := checkPath(endpointName, deploymentName); err != nil {
		return "", err
	}
	body := map[string]any{"containerType": container, "tail": tail}
	req, err := b.newRequest(ctx, http.MethodPost, b.resourceURL(endpointName, "deployments", deploymentName, "getLogs"), body)
	if err != nil {
		return "", err
	}
	resp, err := b.do(req, http.StatusOK)
	if err != nil {
		return "", err
	}
	var l deploymentLogs
	if err := runtime.UnmarshalAsJSON(resp, &l); err != nil {
		return "", &backend.Error{Kind: backend.Internal, Message: "the service's logs are not the JSON expected", Err: err}
	}
	return l.Content, nil
}

// SKU is an instance count range the service allows a deployment.
type SKU struct {
	Name                      string
	Minimum, Maximum, Default int
	ScaleType                 string
}

// SKUs lists what a deployment may be scaled to.
func (b *Backend) SKUs(ctx context.Context, endpointName, deploymentName string) ([]SKU, error) {
	if err := checkPath(endpointName, deploymentName); err != nil {
		return nil, err
	}
	ws, err := listAll[skuResource](ctx, b, b.resourceURL(endpointName, "deployments", deploymentName, "skus"))
	if err != nil {
		return nil, err
	}
	out := make([]SKU, len(ws))
	for i, w := range ws {
		out[i] = SKU{Name: w.SKU.Name, Minimum: w.Capacity.Minimum, Maximum: w.Capacity.Maximum, Default: w.Capacity.Default, ScaleType: w.Capacity.ScaleType}
	}
	return out, nil
}

// forget drops what Invoke cached of an endpoint.
func (b *Backend) forget(endpointName string) {
	b.mu.Lock()
	delete(b.endpoints, strings.ToLower(endpointName))
	b.mu.Unlock()
}

// target returns how to call an endpoint, from the cache or the service.
func (b *Backend) target(ctx context.Context, endpointName string) (*scoringTarget, error) {
	key := strings.ToLower(endpointName)
	b.mu.Lock()
	t, ok := b.endpoints[key]
	b.mu.Unlock()
	if ok && (t.authMode != endpoint.AuthAMLToken || time.Now().Before(t.refresh)) {
		return t, nil
	}
	var w onlineEndpoint
	if _, err := b.getJSON(ctx, b.resourceURL(endpointName), &w); err != nil {
		return nil, err
	}
	e, err := b.scope.decodeEndpoint(&w, "")
	if err != nil {
		return nil, &backend.Error{Kind: backend.Internal, Err: err}
	}
	u, err := url.Parse(e.Status.ScoringURI)
	if err != nil || u.Host == "" {
		return nil, &backend.Error{Kind: backend.Unavailable, Message: fmt.Sprintf("endpoint %s has no scoring URI yet", endpointName)}
	}
	if u.Scheme != "https" && !b.insecure {
		return nil, &backend.Error{Kind: backend.Internal, Message: fmt.Sprintf("endpoint %s: scoring URI %s is not HTTPS", endpointName, e.Status.ScoringURI)}
	}
	t = &scoringTarget{uri: e.Status.ScoringURI, authMode: e.AuthMode}
	switch e.AuthMode {
	case endpoint.AuthAMLToken:
		tok, err := b.token(ctx, endpointName)
		if err != nil {
			return nil, err
		}
		t.token, t.refresh = tok.AccessToken, time.Unix(tok.RefreshAfterTimeUTC, 0)
	case endpoint.AuthAADToken:
		// Fetched per request: the credential caches and refreshes it.
	case endpoint.AuthKey, "":
		keys, err := b.GetKeys(ctx, endpointName)
		if err != nil {
			return nil, err
		}
		t.keys = keys
	default:
		// A mode newer than this client: how to authenticate is exactly
		// what it would have to understand.
		return nil, &backend.Error{Kind: backend.Invalid, Code: "UnknownAuthMode",
			Message: fmt.Sprintf("endpoint %s has auth mode %q, which this client does not know how to call", endpointName, e.AuthMode)}
	}
	b.mu.Lock()
	b.endpoints[key] = t
	b.mu.Unlock()
	return t, nil
}

// Invoke implements [backend.Backend]: a POST to the endpoint's scoring URI
// with its key (or token) as a bearer token. The endpoint's scoring URI and
// key are read once and cached; an answer of 401 drops them and the request
// is made once more, since keys may have been regenerated elsewhere.
func (b *Backend) Invoke(ctx context.Context, endpointName string, req backend.InvokeRequest) (*backend.InvokeResponse, error) {
	if err := checkRead(endpointName); err != nil {
		return nil, err
	}
	if req.Deployment != "" {
		if err := checkPath(endpointName, req.Deployment); err != nil {
			return nil, err
		}
	}
	for attempt := 0; ; attempt++ {
		t, err := b.target(ctx, endpointName)
		if err != nil {
			return nil, err
		}
		resp, err := b.score(ctx, t, req)
		if err != nil {
			return nil, err
		}
		if resp.Status == http.StatusUnauthorized && attempt == 0 {
			b.forget(endpointName)
			continue
		}
		return resp, nil
	}
}

func (b *Backend) score(ctx context.Context, t *scoringTarget, in backend.InvokeRequest) (*backend.InvokeResponse, error) {
	req, err := runtime.NewRequest(ctx, http.MethodPost, t.uri)
	if err != nil {
		return nil, &backend.Error{Kind: backend.Internal, Err: err}
	}
	bearer := t.keys.Primary()
	switch t.authMode {
	case endpoint.AuthAMLToken:
		bearer = t.token
	case endpoint.AuthAADToken:
		tok, err := b.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{aadScope}})
		if err != nil {
			return nil, &backend.Error{Kind: backend.Internal, Message: "cannot get a token for the scoring URI", Err: err}
		}
		bearer = tok.Token
	}
	h := req.Raw().Header
	h.Set("Authorization", "Bearer "+bearer)
	h.Set("Content-Type", "application/json")
	if in.Deployment != "" {
		h.Set("azureml-model-deployment", in.Deployment)
	}
	if err := req.SetBody(streaming.NopCloser(bytes.NewReader(in.Body)), "application/json"); err != nil {
		return nil, &backend.Error{Kind: backend.Internal, Err: err}
	}
	resp, err := b.scoring.Do(req)
	if err != nil {
		return nil, mapError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, mapError(err)
	}
	return &backend.InvokeResponse{Deployment: resp.Header.Get("azureml-model-deployment"), Status: resp.StatusCode, Body: body}, nil
}

// mapError turns what the pipeline or a poller returned into a
// [*backend.Error] by HTTP status and the service's error code; context
// errors are returned as they are.
func mapError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		// The request got no answer: a dropped connection, a refused dial.
		return &backend.Error{Kind: backend.Unavailable, Message: "no answer from the service", Err: err}
	}
	e := &backend.Error{Code: re.ErrorCode}
	if re.RawResponse != nil {
		setErrorBody(e, re.RawResponse)
		e.RetryAfter = retryAfter(re.RawResponse.Header)
	}
	status := re.StatusCode
	switch {
	case re.ErrorCode == "OperationCanceled",
		status >= 200 && status < 300 && re.ErrorCode == "Conflict":
		// Another operation took the resource over, or held it when the
		// service came to run this one; either ends by itself.
		e.Kind = backend.Conflict
	case status >= 200 && status < 300:
		// An operation the service accepted ended in Failed: the
		// answer is the operation's status, whose error is the reason.
		e.Kind = backend.ProvisioningFailed
	case status == http.StatusNotFound:
		e.Kind = backend.NotFound
	case status == http.StatusConflict:
		e.Kind = backend.Conflict
	case status == http.StatusTooManyRequests:
		e.Kind = backend.Throttled
	case status == http.StatusPreconditionFailed:
		e.Kind = backend.Precondition
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		e.Kind = backend.Invalid
	case status == http.StatusRequestTimeout || status >= 500:
		e.Kind = backend.Unavailable
	default:
		e.Kind = backend.Internal
	}
	if e.Code == "" {
		e.Code = http.StatusText(status)
	}
	return e
}

// setErrorBody fills e from an ARM error body, or from the error of an
// operation's status: the message, and the target, details and additional
// information where the service gives its reasons.
func setErrorBody(e *backend.Error, resp *http.Response) {
	body, err := runtime.Payload(resp)
	if err != nil {
		return
	}
	var ae armError
	if json.Unmarshal(body, &ae) != nil {
		return
	}
	d := ae.Error.toBackend(0)
	e.Message, e.Target, e.Details, e.AdditionalInfo = d.Message, d.Target, d.Details, d.AdditionalInfo
}

// retryAfter reads the wait a response asks for: milliseconds first (the
// more precise), then Retry-After in seconds or as a date.
func retryAfter(h http.Header) time.Duration {
	for _, name := range []string{"Retry-After-Ms", "X-Ms-Retry-After-Ms"} {
		if ms, err := strconv.Atoi(h.Get(name)); err == nil && ms > 0 {
			return time.Duration(ms) * time.Millisecond
		}
	}
	v := h.Get("Retry-After")
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}
