package backend

import (
	"context"

	"github.com/rolloutkit/rollout/endpoint"
)

// Assets is the optional capability of a [Backend] that registers local
// files as the service's CLI does: it uploads a deployment's local code
// folder, model file or folder and inline environment, and registers them
// as asset versions, so that the deployment can be written with their ids.
// A backend without it is given only registered assets: the executor
// refuses a plan with local files before it writes anything.
//
// Both methods take a [endpoint.LocalAsset] whose identity loading
// computed, and return the registered version as a reference by name and
// version (with Asset.Hash set for code).
//
// The rules, checked by the conformance suite (backendtest.TestAssets):
//   - FindAsset finds a registered version by identity, without writing:
//     code by content hash whatever its name, models and environments by
//     name and version; [ErrNotFound] when there is none.
//   - RegisterAsset is idempotent and content-addressed: registering what
//     the service holds uploads nothing and returns the same version; an
//     upload interrupted at any point is finished by the next call.
//   - Registering a model or an environment under a name and version that
//     exist with other files is refused as the service refuses it
//     ([Invalid], "Asset paths cannot be updated").
//   - A local asset whose identity is unknown (Asset.Err, or no identity)
//     is refused with [Invalid] and changes nothing.
type Assets interface {
	FindAsset(ctx context.Context, a endpoint.LocalAsset) (endpoint.Reference, error)
	RegisterAsset(ctx context.Context, a endpoint.LocalAsset, progress func(Progress)) (endpoint.Reference, error)
}

// Progress reports an upload: the files and bytes sent so far, of the
// totals to send (which leave out what the service already holds).
type Progress struct {
	Files, TotalFiles int
	Bytes, TotalBytes int64
}

// LocalPathKeeper is the optional capability of a backend that takes a
// deployment whose local path had no files when its spec was loaded, and
// keeps the path as written: the in-memory service does, so that specs can
// be tried out on machines that do not hold their files. Every other
// backend would have to upload those files and cannot, so the executor
// refuses such a plan before it writes anything, naming the path and
// where it was written.
type LocalPathKeeper interface {
	// KeepsLocalPaths reports whether the backend keeps such paths; a
	// wrapper answers for the backend it wraps.
	KeepsLocalPaths() bool
}
