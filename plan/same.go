package plan

import "github.com/rolloutkit/rollout/endpoint"

// sameReferences reports whether the deployments of d and a, which
// [endpoint.Equal] found equal, hold the same references and environments
// field for field, assets included. Equal compares them as the service
// uses them: a local folder is the version registered from it, and the
// identity observing found for a registered version (its hash) is not
// part of the spec. The fingerprints encode them as they are.
//
// The comparisons are == on each field, written out: == on the structs
// calls the runtime's comparison of memory for every string, empty or
// not, some forty for a deployment, where most of them are empty. A test
// changes every field in turn, so that one added to these types and left
// out here fails it.
func sameReferences(d, a *endpoint.Endpoint) bool {
	for i := range d.Deployments {
		x, y := &d.Deployments[i], &a.Deployments[i]
		if !sameRef(&x.Model, &y.Model) || !sameRef(&x.CodeConfiguration.Code, &y.CodeConfiguration.Code) ||
			!sameText(x.CodeConfiguration.ScoringScript, y.CodeConfiguration.ScoringScript) ||
			!sameEnvironment(&x.Environment, &y.Environment) {
			return false
		}
	}
	return true
}

// sameText is a == b that calls nothing for two empty strings.
func sameText(a, b string) bool { return len(a) == len(b) && (len(a) == 0 || a == b) }

func sameRef(a, b *endpoint.Reference) bool {
	return sameText(a.Name, b.Name) && sameText(a.Version, b.Version) && sameText(a.Label, b.Label) &&
		sameText(a.Registry, b.Registry) && sameText(a.ID, b.ID) && sameText(a.Path, b.Path) &&
		sameText(a.Type, b.Type) && sameAsset(&a.Asset, &b.Asset)
}

func sameAsset(a, b *endpoint.Asset) bool {
	return a.Files == b.Files && a.Size == b.Size &&
		sameText(a.Name, b.Name) && sameText(a.Version, b.Version) && sameText(a.Hash, b.Hash) &&
		sameText(a.ObjectHash, b.ObjectHash) && sameText(a.Conda, b.Conda) && sameText(a.Source, b.Source) &&
		sameText(a.Err, b.Err) && sameText(a.Registry, b.Registry)
}

func sameEnvironment(a, b *endpoint.Environment) bool {
	ia, ib := &a.InferenceConfig, &b.InferenceConfig
	return sameRef(&a.Reference, &b.Reference) &&
		sameText(a.Image, b.Image) && sameText(a.CondaFile, b.CondaFile) &&
		sameText(a.Build.Path, b.Build.Path) && sameText(a.Build.DockerfilePath, b.Build.DockerfilePath) &&
		sameRoute(&ia.LivenessRoute, &ib.LivenessRoute) && sameRoute(&ia.ReadinessRoute, &ib.ReadinessRoute) &&
		sameRoute(&ia.ScoringRoute, &ib.ScoringRoute) && sameText(a.OSType, b.OSType)
}

func sameRoute(a, b *endpoint.Route) bool { return a.Port == b.Port && sameText(a.Path, b.Path) }
