package endpoint

import (
	"errors"
	"testing"

	"pgregory.net/rapid"
)

func TestParseReference(t *testing.T) {
	tests := []struct {
		in     string
		want   Reference
		reason string
	}{
		{"azureml:my-model:1", Reference{Name: "my-model", Version: "1"}, "registered asset by version"},
		{"azureml:azureml-infschema:1.10", Reference{Name: "azureml-infschema", Version: "1.10"}, "versions are strings, 1.10 is not 1.1"},
		{"azureml:iris_mlflow_model@latest", Reference{Name: "iris_mlflow_model", Label: "latest"}, "registered asset by label"},
		{"  azureml:m:2  ", Reference{Name: "m", Version: "2"}, "surrounding spaces (trailing spaces in the corpus) are dropped"},
		{"azureml://registries/azureml/environments/sklearn-1.5/labels/latest", Reference{Registry: "azureml", Name: "sklearn-1.5", Label: "latest"}, "registry environment by label, from the corpus"},
		{"azureml://registries/shared/models/m/versions/3", Reference{Registry: "shared", Name: "m", Version: "3"}, "registry model by version"},
		{"azureml://registries/shared/m/versions/3", Reference{Registry: "shared", Name: "m", Version: "3"}, "the kind-less form String prints reads back"},
		{"azureml://subscriptions/s/resourcegroups/g/workspaces/w/models/m/versions/1", Reference{ID: "azureml://subscriptions/s/resourcegroups/g/workspaces/w/models/m/versions/1"}, "workspace URI is kept whole as an id"},
		{"/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/environments/e/versions/1", Reference{ID: "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/environments/e/versions/1"}, "ARM id"},
		{"azureml:/subscriptions/s/x", Reference{ID: "/subscriptions/s/x"}, "azureml: before an ARM id is dropped"},
		{"file:../model-1/environment/conda.yml", Reference{Path: "../model-1/environment/conda.yml"}, "file: prefix from the 2021 flow is dropped"},
		{"file: ../model", Reference{Path: "../model"}, "space after file: is no part of the path"},
		{"../model-1/onlinescoring/", Reference{Path: "../model-1/onlinescoring/"}, "plain relative path, kept as written"},
		{"model", Reference{Path: "model"}, "a bare word is a local path, as in the CLI"},
		{"azureml://datastores/workspaceblobstore/paths/x", Reference{Path: "azureml://datastores/workspaceblobstore/paths/x"}, "datastore URI is a remote path"},
		{"https://example.com/model.pkl", Reference{Path: "https://example.com/model.pkl"}, "URL is a remote path"},
	}
	for _, tt := range tests {
		got, err := ParseReference(tt.in)
		if err != nil {
			t.Errorf("ParseReference(%q): %v (%s)", tt.in, err, tt.reason)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseReference(%q) = %+v, want %+v (%s)", tt.in, got, tt.want, tt.reason)
		}
	}
}

func TestParseReferenceErrors(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		reason string
	}{
		{"", "empty reference; want azureml:NAME:VERSION, azureml:NAME@LABEL, an azureml:// URI, an ARM id or a path", "nothing to reference"},
		{"azureml:my-model", `reference "azureml:my-model" has no version or label; write azureml:my-model:VERSION or azureml:my-model@latest`, "the service needs a version or a label"},
		{"azureml::1", `reference "azureml::1" has an empty name`, "no name"},
		{"azureml:m:", `reference "azureml:m:" has an empty version`, "no version after the colon"},
		{"azureml:m@", `reference "azureml:m@" has an empty label`, "no label after the at sign"},
		{"azureml:m:1:2", `reference "azureml:m:1:2": version "1:2" must not contain ':', '@', '/' or spaces`, "one colon too many"},
		{"azureml:a/b:1", `reference "azureml:a/b:1": name "a/b" must not contain ':', '@', '/' or spaces`, "slashes belong to URIs"},
		{"file:", "file: reference without a path", "file: with nothing after it"},
		{"azureml://registries/r/widgets/m/versions/1", `registry reference "azureml://registries/r/widgets/m/versions/1"; want azureml://registries/REGISTRY/KIND/NAME/versions/VERSION or .../labels/LABEL (KIND one of models, environments, codes, components, data)`, "unknown asset kind"},
		{"azureml://registries/r/models/m/tags/x", `registry reference "azureml://registries/r/models/m/tags/x"; want azureml://registries/REGISTRY/KIND/NAME/versions/VERSION or .../labels/LABEL (KIND one of models, environments, codes, components, data)`, "neither versions nor labels"},
		{"azureml://registries/r/models/m", `registry reference "azureml://registries/r/models/m"; want azureml://registries/REGISTRY/KIND/NAME/versions/VERSION or .../labels/LABEL (KIND one of models, environments, codes, components, data)`, "no version part"},
		{"azureml://locations/x", `unknown azureml:// URI "azureml://locations/x"; want azureml://registries/..., azureml://subscriptions/... or azureml://datastores/...`, "unknown azureml:// authority"},
	}
	for _, tt := range tests {
		got, err := ParseReference(tt.in)
		if err == nil {
			t.Errorf("ParseReference(%q) = %+v, want error (%s)", tt.in, got, tt.reason)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("ParseReference(%q) error:\n got %s\nwant %s\n(%s)", tt.in, err, tt.want, tt.reason)
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseReference(%q) error does not match ErrInvalid (%s)", tt.in, tt.reason)
		}
	}
}

func TestReferenceString(t *testing.T) {
	tests := []struct {
		r      Reference
		want   string
		parses bool
		reason string
	}{
		{Reference{Name: "m", Version: "1"}, "azureml:m:1", true, "registered by version"},
		{Reference{Name: "m", Label: "latest"}, "azureml:m@latest", true, "registered by label"},
		{Reference{Name: "m", Version: "1", Label: "latest"}, "azureml:m:1", false, "a version wins over a label"},
		{Reference{Registry: "azureml", Name: "sklearn-1.5", Label: "latest"}, "azureml://registries/azureml/sklearn-1.5/labels/latest", true, "registry by label, without kind"},
		{Reference{Registry: "r", Name: "m", Version: "2"}, "azureml://registries/r/m/versions/2", true, "registry by version"},
		{Reference{ID: "/subscriptions/s/x"}, "/subscriptions/s/x", true, "an id prints as itself"},
		{Reference{Path: "../model-1/onlinescoring"}, "../model-1/onlinescoring", true, "a path prints as itself"},
		{Reference{Path: "azureml:odd"}, "file:azureml:odd", true, "a path that looks like a reference keeps file:"},
		{Reference{Path: "/subscriptions/dir"}, "file:/subscriptions/dir", true, "a local folder named subscriptions is not an id"},
		{Reference{Path: "file:x"}, "file:file:x", true, "a path beginning with file: survives the prefix being dropped"},
		{Reference{Path: "azureml://datastores/d/paths/p"}, "azureml://datastores/d/paths/p", true, "datastore URIs need no prefix"},
		{Reference{Name: "model-1", Version: "1", Path: "../model-1/model/m.pkl"}, "model-1:1 (../model-1/model/m.pkl)", false, "2021 inline asset: readable, not parsed back"},
		{Reference{}, "", false, "zero reference"},
	}
	for _, tt := range tests {
		got := tt.r.String()
		if got != tt.want {
			t.Errorf("%+v.String() = %q, want %q (%s)", tt.r, got, tt.want, tt.reason)
		}
		if !tt.parses {
			continue
		}
		back, err := ParseReference(got)
		if err != nil || back != tt.r {
			t.Errorf("ParseReference(%q) = %+v, %v; want %+v (%s)", got, back, err, tt.r, tt.reason)
		}
	}
}

func TestReferencePredicates(t *testing.T) {
	tests := []struct {
		r             Reference
		zero, isLocal bool
		reason        string
	}{
		{Reference{}, true, false, "zero value"},
		{Reference{Type: "mlflow_model"}, false, false, "a type alone is still something"},
		{Reference{Path: "model"}, false, true, "relative local path"},
		{Reference{Path: "/abs/model"}, false, true, "absolute local path"},
		{Reference{Path: "azureml://datastores/d/paths/p"}, false, false, "datastore path is uploaded already"},
		{Reference{Path: "https://x/y"}, false, false, "URL is not uploaded"},
		{Reference{Name: "m", Version: "1", Path: "m.pkl"}, false, true, "2021 inline asset is uploaded"},
		{Reference{Name: "m", Version: "1"}, false, false, "registered asset"},
	}
	for _, tt := range tests {
		if got := tt.r.IsZero(); got != tt.zero {
			t.Errorf("%+v.IsZero() = %v (%s)", tt.r, got, tt.reason)
		}
		if got := tt.r.IsLocal(); got != tt.isLocal {
			t.Errorf("%+v.IsLocal() = %v (%s)", tt.r, got, tt.reason)
		}
	}
}

// TestReferenceStringProperty checks the promise of String: every
// reference ParseReference produces reads back from its String into an
// equal value, over strings built from the forms' prefixes and their
// separators.
func TestReferenceStringProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.OneOf(rapid.String(), rapid.StringMatching(`(azureml:|file:|azureml://registries/|/subscriptions/|azureml:/subscriptions/| )?[a-z@:/ .-]{0,12}`)).Draw(t, "s")
		r, err := ParseReference(s)
		if err != nil {
			return
		}
		if back, err := ParseReference(r.String()); err != nil || back != r {
			t.Fatalf("%q reads as %+v, whose String %q reads as %+v, %v", s, r, r.String(), back, err)
		}
	})
}
