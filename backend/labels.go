package backend

import (
	"context"

	"github.com/rolloutkit/rollout/endpoint"
)

// Labels is the optional capability of a [Backend] that resolves the labels
// of registered assets (azureml:taxi-model@latest,
// azureml://registries/R/models/M/labels/latest) to versions, as the
// service's CLI does before it writes a deployment: the service's REST API
// takes versions only. Observing resolves every label the desired specs
// use, so that a plan shows, writes and pins the versions it resolved.
//
// The rules, checked by the conformance suite (backendtest.TestLabels), are
// those of the official SDK (azure-ai-ml), which lists the asset's versions
// ordered by creation time, newest first, and takes the first:
//   - latest is the version created last, not the highest version
//     number nor the one updated last;
//   - archived versions are left out (the list's default view is
//     ActiveOnly); a label whose asset has no version left is
//     [ErrNotFound];
//   - an asset in a registry is resolved among the registry's versions,
//     apart from the workspace's; models and environments are apart, and
//     names are case-sensitive;
//   - latest is the only label: the SDK resolves no other and the REST API
//     has no labels on versions, so any other label is [ErrNotFound];
//   - code is taken by version only, so a code label is refused with
//     [Invalid].
//
// The CLI resolves workspace labels itself (the orchestrator's
// _resolve_label_to_asset), but sends registry URIs, labels included, and
// the curated environments' azureml:AzureML-NAME short form to the service
// unchanged, which resolves them when it writes the deployment (a curated
// environment in the azureml registry, endpoint.CuratedRegistry). Here
// those labels are resolved too, by the same rule among the registry's
// versions, so that the plan shows and pins the version the service would
// pick, and a label that moves makes a saved plan stale.
//
// ResolveLabel ignores l.Version and returns the version l selects now.
type Labels interface {
	ResolveLabel(ctx context.Context, l endpoint.AssetLabel) (version string, err error)
}
