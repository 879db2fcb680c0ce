// Package azureml is the [backend.Backend] of Azure Machine Learning
// managed online endpoints: a client of the service's REST API (Azure
// Resource Manager, api-version 2024-10-01 by default) for the online
// endpoints and deployments of one workspace, built on azcore.
//
// # Authentication
//
// [New] takes any azcore.TokenCredential. Programs usually take
// azidentity's default chain (environment, workload identity, managed
// identity, Azure CLI), which this package does not import:
//
//	cred, err := azidentity.NewDefaultAzureCredential(nil)
//	if err != nil { ... }
//	b, err := azureml.New(azureml.Scope{
//		Subscription:  "00000000-0000-0000-0000-000000000000",
//		ResourceGroup: "ml-rg",
//		Workspace:     "ml-ws",
//	}, cred, &azureml.Options{Location: "westeurope"})
//
// Requests go over HTTPS only; Options.Insecure allows plain HTTP, for tests
// against a local server. Sovereign clouds and test servers are set with
// Options.ClientOptions.Cloud ([CloudFor]). Every endpoint, deployment and
// workspace name is checked against the specification's path pattern
// before it is put into a URL, so a name can never address another
// resource. Names created elsewhere are read, listed and updated whatever
// rule created them; a name this client would create must follow the
// service's documented rule (3-32 letters, digits and '-').
//
// # Mapping
//
// The model of package endpoint maps to the REST bodies as the service's
// CLI maps its YAML: instance_count is the sku's capacity (sku "Default"),
// the *_ms settings and probe times are ISO-8601 durations (PT5S), auth_mode
// is Key, AMLToken or AADToken, type is the endpointComputeType. References
// become ARM ids: azureml:NAME:VERSION the workspace's model, environment or
// code id, a registry reference an azureml://registries/... id, an id as
// written. CreateOrUpdateEndpoint is a PUT carrying the whole traffic and
// mirror maps (zeros dropped), because the service replaces both;
// [Backend.PatchEndpoint] changes tags and identity alone, and scaling is a
// PATCH of the sku's capacity alone.
//
// A PUT replaces the whole resource, and the model does not hold all of it:
// every property the last read of the resource returned and the model does
// not hold (the resource's kind, a deployment's identity, the sku's tier,
// size and family, properties a newer api-version adds) is carried into
// the next PUT, so that a rollout never deletes settings it does not
// manage. Values of the service's extensible enumerations that this client
// does not know are read as written and sent back as read; a write whose
// body depends on one (a deployment's compute type) is refused, as is
// calling an endpoint whose auth mode is unknown.
//
// # Local files
//
// The Backend registers local files as the service's CLI does
// ([backend.Assets]): code by its content hash (found by the service's
// list by hash, else uploaded to the temporary container of
// startPendingUpload and registered), models and environment build
// contexts through the workspace's default datastore (uploaded under
// LocalUpload/OBJECTHASH/ with the account key or SAS of listSecrets, or
// the Backend's credential for an identity-based datastore), and inline
// environments with their image and conda text. Blobs go through the
// storage SDK (azblob); metadata on the first blob confirms a finished
// upload, which is then never sent again, and an upload a crash
// interrupted is overwritten and finished by the next run. Observing
// reads the content hash of the code versions deployments run, once per
// version, so that an unchanged local folder is no change. See
// [Backend.RegisterAsset] and [UploadOptions].
//
// # Labels
//
// The service's REST API takes asset versions only; its CLI resolves a
// label (azureml:NAME@latest, azureml://registries/R/models/M/labels/latest)
// before it writes. [Backend.ResolveLabel] resolves latest as the CLI's SDK
// does: the asset's versions listed by creation time, newest first
// ($orderBy=createdtime desc, $top=1, archived versions left out), in the
// workspace, or in a registry found through the cloud's registry
// discovery. The executor writes the version it resolved; a deployment
// that reaches the client with a label still unresolved, which plan.Compute
// does not plan, is refused before it is sent.
//
// # Operations
//
// Writes block until the service's long-running operation ends, following
// it as the service says: a PUT through its Azure-AsyncOperation resource,
// then a read of the resource; a PATCH or DELETE through its Location.
// The Begin methods return the [Operation] in flight instead, whose
// resume token lets another process, or this one after a restart, wait
// for it ([Backend.Resume]).
//
// Errors are [*backend.Error]s kinded by HTTP status and the service's
// code: 404 NotFound; 409 and OperationCanceled Conflict (retryable); 429
// Throttled with the Retry-After; 412 Precondition (the specification
// declares no ETag for online endpoints and deployments, so none is looked
// for; one the service returns is kept and sent back as If-Match); 400
// Invalid; 5xx and dropped
// connections Unavailable; an operation that ends Failed is
// ProvisioningFailed with the service's code and message.
//
// # Throttling
//
// All calls of one Backend share two token buckets that match Azure
// Resource Manager's per-principal limits (writes: 200 burst, 10 per
// second; reads: 250, 25 per second), so that a fleet rolled out through
// one Backend waits on the client instead of drawing 429s. See
// [ThrottleOptions].
//
// # Scoring
//
// [Backend.Invoke] posts to the endpoint's scoring URI with the endpoint's
// primary key (from listKeys), an AML token (from the token action) or an
// Entra ID token from the credential, by the endpoint's auth mode, and
// the azureml-model-deployment header when it targets one deployment. The
// scoring URI and the key are read once and cached; they are never logged,
// printed or put in an error.
package azureml
