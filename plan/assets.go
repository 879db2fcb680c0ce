package plan

import (
	"slices"
	"strconv"

	"github.com/rolloutkit/rollout/endpoint"
)

// withAssets adds to one endpoint's steps a register_asset step for each
// local asset that its deployment writes need and do not already use
// (an unchanged folder needs none), one per asset version however many
// deployments use it, with every such write depending on it. A local
// asset whose identity is not known gets no step: executors refuse it
// before anything is written.
func withAssets(steps []Step) []Step {
	var added []Step
	index := map[string]bool{}
	for i := range steps {
		s := &steps[i]
		if (s.Action != CreateDeployment && s.Action != UpdateDeployment) || s.DeploymentAfter == nil {
			continue
		}
		for _, l := range s.DeploymentAfter.LocalAssets() {
			if l.Key() == "" || endpoint.UsesSameAsset(l.Kind, s.DeploymentBefore, s.DeploymentAfter) {
				continue
			}
			id := s.Endpoint + "/asset/" + l.Key()
			if !index[id] {
				index[id] = true
				a := l
				added = append(added, Step{ID: id, Action: RegisterAsset, Endpoint: s.Endpoint, Asset: &a, Reason: assetReason(a)})
			}
			s.DependsOn = append(s.DependsOn, id)
			slices.Sort(s.DependsOn)
		}
	}
	if len(added) == 0 {
		return steps
	}
	return append(added, steps...)
}

func assetReason(a endpoint.LocalAsset) string {
	return "the local " + a.Kind + " " + strconv.Quote(a.Path) + " is not registered in this version"
}

// assetFields are the lines of a register_asset step in the text form:
// the path, the identity, the files and their size.
func assetFields(a *endpoint.LocalAsset) []field {
	f := []field{{sym: symCreate, key: "path", value: strconv.Quote(a.Path)}}
	id := a.Asset
	if id.Hash != "" {
		f = append(f, field{sym: symCreate, key: "content_hash", value: "sha256:" + id.Hash})
	}
	if id.Name != "" {
		f = append(f, field{sym: symCreate, key: "registers_as", value: "azureml:" + id.Name + ":" + id.Version})
	}
	if id.ObjectHash != "" {
		f = append(f, field{sym: symCreate, key: "upload_folder", value: "LocalUpload/" + id.ObjectHash})
	}
	if a.Image != "" {
		f = append(f, field{sym: symCreate, key: "image", value: strconv.Quote(a.Image)})
	}
	if id.Files > 0 {
		f = append(f, field{sym: symCreate, key: "files", value: strconv.Itoa(id.Files) + " (" + byteSize(id.Size) + ")"})
	}
	return f
}

// byteSize writes n bytes the way people read sizes.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return strconv.FormatFloat(float64(n)/float64(div), 'f', 1, 64) + " " + string("KMGTPE"[exp]) + "iB"
}
