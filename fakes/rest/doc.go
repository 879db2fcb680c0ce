// Package rest serves the reference service's REST protocol (Azure Machine
// Learning online endpoints and deployments, ARM api-version 2024-10-01)
// from the in-memory service of package fakes, so an HTTP client of the
// real service, such as one built on azcore, can be tested against it over
// the wire or in process.
//
// # Control plane
//
// Under /subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.MachineLearningServices/workspaces/{w}:
//
//	GET    onlineEndpoints                          list, paged by nextLink ($skip)
//	GET    onlineEndpoints/{e}                      the endpoint
//	PUT    onlineEndpoints/{e}                      201 (create) or 200, Azure-AsyncOperation
//	PATCH  onlineEndpoints/{e}                      tags, identity: 202, Location
//	DELETE onlineEndpoints/{e}                      202, Location; 204 when missing
//	POST   onlineEndpoints/{e}/listKeys|token|regenerateKeys
//	GET    onlineEndpoints/{e}/deployments          list, paged
//	GET    onlineEndpoints/{e}/deployments/{d}      the deployment
//	PUT    onlineEndpoints/{e}/deployments/{d}      201 or 200, Azure-AsyncOperation
//	PATCH  onlineEndpoints/{e}/deployments/{d}      tags, sku.capacity (scale): 202, Location
//	DELETE onlineEndpoints/{e}/deployments/{d}      202, Location; 204 when missing
//	POST   onlineEndpoints/{e}/deployments/{d}/getLogs
//	GET    onlineEndpoints/{e}/deployments/{d}/skus
//
// Every request needs an api-version the [Options] accept and a bearer
// token (any: the emulator does not check control-plane identities).
// Writes go through the Start methods of [fakes.Service], which accept or
// refuse a write at once and carry out what they accept on the service's
// clock: the answer is the refusal, or 201/200/202 with the polling
// headers, never a guess from waiting. The Azure-AsyncOperation resource
// answers InProgress until the service's [fakes.Operation] ends, then
// Succeeded, or Failed with the service's error code and message (a
// provisioning failure); the Location of a PATCH or DELETE answers 202
// until then, and the final body (PATCH) or 204 (DELETE) after. As the
// specification declares, a PUT answers Azure-AsyncOperation and a PATCH
// or DELETE answers 202 with Location and Retry-After only. Both ask for
// [Options.RetryAfter] between polls.
//
// The emulator follows the specification, not any client: a PUT that
// lacks a property the specification requires (location, properties, an
// endpoint's authMode, a deployment's endpointComputeType) is refused with
// ARM's 400 body, one detail per property. The specification declares no
// ETag for online endpoints and deployments: none is sent, and If-Match
// and If-None-Match are ignored, never answered with 412.
//
// Refusals come back at once with ARM error bodies,
// {"error": {"code", "message", "target", "details"}}, and the status of
// the backend error's kind: not found 404, conflict 409 (a busy endpoint),
// invalid 400, throttled 429 with Retry-After, unavailable 503, anything
// else 500.
//
// # Assets and storage
//
// The asset calls the service's CLI makes to register local files, under
// the same workspace prefix:
//
//	GET  codes|models|environments                 containers, paged
//	GET  codes|models|environments/{n}             a container
//	PUT  codes|models|environments/{n}             create or update a container
//	GET  codes|models|environments/{n}/versions    versions, newest first, paged
//	                                                (?listViewType=, ?$top=, ?$orderBy=createdtime desc|asc;
//	                                                codes also ?hash=&hashVersion=)
//	GET  codes|models|environments/{n}/versions/{v}
//	PUT  codes|models|environments/{n}/versions/{v} 201 (create) or 200
//	POST codes/{n}/versions/{v}/startPendingUpload
//	GET  datastores                                 ?isDefault=, ?names=, ?searchText=
//	GET  datastores/{n}
//	POST datastores/{n}/listSecrets
//
// Versions live in the in-memory service's asset store
// ([fakes.Service.PutAssetVersion] and its neighbours), the one that
// [fakes.Service.RegisterAsset] uses, so the rules are the service's
// model's: a version's path (a code version's codeUri, a model's
// modelUri, an environment's image, build context and conda file) cannot
// change ("Asset paths cannot be updated", 400), and a list of code
// versions by hash finds the versions with that content (their
// hash_sha256 property) whatever the name in the path, as the
// specification says. Names are case-sensitive. Everything else a PUT
// holds is answered back as sent.
//
// A version's systemData.createdAt is its creation time, by which the
// service's SDK finds the latest version ($orderBy=createdtime desc,
// $top=1). Registries, shared by workspaces, are found as the SDK finds
// them, through the registry discovery, which names the subscription,
// resource group and host of the registry's resources; the emulator
// serves both, for the registries its service holds versions in:
//
//	GET  /registrymanagement/v1.0/registries/{r}/discovery   (no api-version)
//	GET  /mferp/managementfrontend/subscriptions/S/resourceGroups/G/providers/
//	     Microsoft.MachineLearningServices/registries/{r}/models|environments/{n}/versions
//
// Uploads go to a real blob service, the workspace's storage account
// ([Options.Storage]; Azurite in tests). startPendingUpload creates a
// container for each upload and answers its URL (blobUri) and a SAS URL
// of it (sasUri) that lets a client without the key read, list and write
// blobs there; a call that repeats a pendingUploadId gets the same
// container again. The workspace's one datastore, [DefaultDatastore], is
// an AzureBlob datastore on a container of the account, created when it is
// first asked for; listSecrets answers the account key or a SAS of the
// container, as [Storage.Credentials] says, and refuses a datastore
// without credentials (identity based: its users reach the account with
// their own Entra tokens, which Azurite takes over HTTPS). The datastore reports the account
// name, container and DNS suffix as the service does, from which a client
// cannot build the URL of an emulator on loopback: tests tell their
// client [Storage.Endpoint] as well. Without a storage account,
// startPendingUpload answers 501 and there are no datastores.
//
// # Bodies
//
// The mapping between REST bodies and the model is the service's: sku
// capacity is instance_count; request timeouts and probe times are ISO-8601
// durations; auth modes are Key, AMLToken and AADToken; endpointComputeType
// is Managed or Kubernetes; a data collector's collections are Enabled or
// Disabled, and a rate set for the whole collector is written on each
// collection that sets none, since the service has no such field. Asset ids
// (model, environmentId, codeId, dataId) are stored as sent, so a GET
// returns exactly what a PUT wrote; references the in-memory service holds
// by name and version are written as ARM ids in the request's workspace.
// Every answer carries systemData and a kind, as the specification's
// examples do, and whatever the last PUT held beyond the model (a
// deployment's identity, the sku's tier, properties of newer api-versions),
// as the service keeps every property it is sent.
//
// # Data plane
//
// POST {BaseURL}/score/{endpoint} invokes the endpoint, with
// Authorization: Bearer and a key from listKeys (auth mode key), the token
// from token (aml_token) or any token (aad_token); the
// azureml-model-deployment header targets one deployment. Endpoints report
// this URL as their scoringUri.
//
// # Faults and transports
//
// [Options.Faults] are [fakes.Rule]s, the same rules [fakes.NewFaults]
// applies to the service's methods, fired by the same engine
// ([fakes.Faults.Pick]): each request is classified into the operation
// and target it carries out, as [fakes.Service.Calls] counts them below
// (a capacity-only PATCH of a deployment is ScaleDeployment, scoring is
// Invoke with the azureml-model-deployment header as its deployment), and
// requests only the protocol has get operations of their own (a GET of one
// deployment or of an endpoint's deployments, a poll of an operation's
// status or result, token, regenerateKeys, getLogs, skus: see
// [fakes.OpPollOperation]). The reads of an asset version (a GET, a list,
// by hash or not) are FindAsset and its PUT is RegisterAsset, the calls a
// client's FindAsset and RegisterAsset send; containers,
// startPendingUpload, datastores and listSecrets have operations of their
// own (see [fakes.OpStartPendingUpload]). So one rule list and seed fail
// the same calls at both levels. Each kind of fault has its HTTP form: Throttle answers
// 429 with Retry-After, ServerError 500 with an ARM error body,
// DropRequest closes the connection before the request is served,
// DropResponse serves it and then closes the connection, Slow serves it
// late, and FailProvisioning lets the write be accepted and its operation
// end Failed. [Server.Injected] counts what fired. The [Server] serves a
// real TLS server (httptest.NewTLSServer) for wire tests, and
// [Server.Transport] calls it in process, so tests of an azcore client can
// run inside testing/synctest bubbles where a 10-minute deployment takes
// no real time.
//
// # Counting calls
//
// [fakes.Service.Calls] counts what a client of the service asked for, as
// if it had called the [backend.Backend] methods: each request that is one
// of them counts once under its name (PUT and PATCH of an endpoint as
// CreateOrUpdateEndpoint, PUT and PATCH of a deployment as
// CreateOrUpdateDeployment or, for a capacity alone, ScaleDeployment,
// DELETEs as the deletes, GET of an endpoint as GetEndpoint, each page of
// the endpoint list as ListEndpoints, listKeys as GetKeys, scoring as
// Invoke). Everything else the emulator reads to build its answers (bodies
// of write answers, deployments, polls, keys to check a scoring request)
// goes through [fakes.Service.Peek] and is not counted.
package rest
