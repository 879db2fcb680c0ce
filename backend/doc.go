// Package backend defines the service a plan is executed against: the
// [Backend] interface, its typed errors and the redacted [Keys] value.
//
// A Backend is the reference service (Azure Machine Learning managed online
// endpoints) over HTTP, or the in-memory model of it in package fakes.
// Both pass the same conformance suite, [github.com/rolloutkit/rollout/backend/backendtest],
// so a rollout tested against the model behaves the same against the
// service.
//
// # Capabilities
//
// Backends may implement optional interfaces beside [Backend], which
// callers find with a type assertion: [Assets] registers local files as
// asset versions, [LocalPathKeeper] keeps a local path whose files are
// missing as written (the in-memory service), and [Labels] resolves asset
// labels (azureml:NAME@latest) to versions.
//
// # Operations
//
// Every method blocks until the service's long-running operation ends. The
// service allows one operation at a time on an endpoint: a second one gets
// [Conflict] while the first runs, and creating a deployment while its
// endpoint is being updated fails the same way. Whether two deployments of
// one endpoint may change at once is not documented by the service; the
// model allows it unless told to be strict.
//
// # Errors
//
// Failures are [*Error] values with a [Kind], the service's code and
// message, and the Retry-After the service asked for. Use the sentinels
// with errors.Is, or [KindOf], [IsRetryable] and [RetryAfter]:
//
//	switch {
//	case errors.Is(err, backend.ErrNotFound):
//		// create it
//	case backend.IsRetryable(err):
//		wait, _ := backend.RetryAfter(err)
//		// back off at least wait, then try again
//	}
//
// The kinds, with the service's codes the in-memory model uses:
//
//	NotFound            404 NotFound: "Deployment X not found in endpoint Y"
//	Conflict            409 Conflict: an operation is in progress
//	Invalid             400 BadArgument: names, traffic and mirror rules,
//	                    immutable fields, deleting a deployment with traffic
//	Throttled           429 TooManyRequests, with Retry-After
//	Precondition        412 PreconditionFailed: a stale ETag
//	ProvisioningFailed  the resource ended Failed; Code is the reason
//	Unavailable         5xx, or a dropped connection
//	Internal            anything else
//
// Deleting a deployment that has live or mirror traffic is [Invalid], not
// [Conflict]: it fails until the caller moves the traffic away, so
// retrying it as is would only wait for nothing.
package backend
