package endpoint

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolloutkit/rollout/internal/tutorialtest"
)

// tutorialDir lays out the 2021-08-05 declarative flow as the service's
// tutorial has it (see tutorialtest.Layout) and returns the steps' folder.
func tutorialDir(t *testing.T) string {
	t.Helper()
	steps, _ := tutorialtest.Layout(t, filepath.Join("..", "..", "shared", "corpus"))
	return steps
}

func TestLoadComputesAssetIdentity(t *testing.T) {
	dir := tutorialDir(t)
	es, err := Load(filepath.Join(dir, "3-create-green.yml"))
	if err != nil {
		t.Fatal(err)
	}
	blue, green := es[0].Deployment("blue"), es[0].Deployment("green")
	code := blue.CodeConfiguration.Code
	if len(code.Asset.Hash) != 64 || code.Asset.Files != 1 || code.Asset.Err != "" || !filepath.IsAbs(code.Asset.Source) {
		t.Errorf("code asset = %+v, want a content hash of one file read from an absolute path", code.Asset)
	}
	if green.CodeConfiguration.Code.Asset.Hash == code.Asset.Hash {
		t.Error("two different scoring folders have one content hash")
	}
	if m := blue.Model.Asset; m.Name != "model-1" || m.Version != "1" || len(m.ObjectHash) != 32 || m.Size != int64(len("pickle of model-1")) {
		t.Errorf("model asset = %+v, want model-1:1 as named, with its MD5 object hash and size", m)
	}
	env := blue.Environment.Reference.Asset
	if env.Name != "env-model1" || env.Version != "1" || !strings.HasPrefix(env.Conda, "channels:\n- conda-forge\n") {
		t.Errorf("environment asset = %+v, want env-model1:1 as named, with the conda text re-dumped", env)
	}
}

func TestLoadAnonymousAssets(t *testing.T) {
	dir := t.TempDir()
	spec := `name: ep1
deployments:
  - name: blue
    model: {path: ./model.pkl}
    code_configuration: {code: ./src, scoring_script: score.py}
    environment: {image: "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"}
    instance_type: Standard_F2s_v2
    instance_count: 1
  - name: green
    model: {path: ./missing.pkl}
    code_configuration: {code: ./src, scoring_script: score.py}
    environment: {image: "img:1", conda_file: ./missing.yml}
    instance_type: Standard_F2s_v2
    instance_count: 1
`
	for name, content := range map[string]string{"ep.yml": spec, "model.pkl": "abc", "src/score.py": "import json\n"} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	es, err := Load(filepath.Join(dir, "ep.yml"))
	if err != nil {
		t.Fatal(err)
	}
	blue, green := es[0].Deployment("blue"), es[0].Deployment("green")
	tests := []struct{ reason, got, want string }{
		{"an anonymous model is named by its object hash (MD5, ASSETS.md's vector)", blue.Model.Asset.Name + ":" + blue.Model.Asset.Version, "6c8ba68c9b24c158a1f9b0fa7267caa6:1"},
		{"an inline environment registers as the anonymous one", blue.Environment.Reference.Asset.Name + ":" + blue.Environment.Reference.Asset.Version, "CliV2AnonymousEnvironment:baf18218754be5571da6e579a0c774b5"},
		{"a missing model file leaves no identity", fmt.Sprint(green.Model.Asset.IsZero()), "true"},
		{"a missing conda file leaves no identity", fmt.Sprint(green.Environment.Reference.Asset.IsZero()), "true"},
		{"two deployments of one folder share its hash", green.CodeConfiguration.Code.Asset.Hash, blue.CodeConfiguration.Code.Asset.Hash},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.reason, tt.got, tt.want)
		}
	}
	// What the spec says is written back without what loading found.
	data, err := Marshal(es[0])
	if err != nil || strings.Contains(string(data), "6c8ba68c") || strings.Contains(string(data), "CliV2") {
		t.Errorf("Marshal wrote the identity found by loading: %v\n%s", err, data)
	}
}

func TestSameAsset(t *testing.T) {
	const h1, h2 = "83d9657056baace458c4c4842fbb147a1bd4e10b2e2567e43569191981180910", "725a06bb8c7ec3bedf705b38be72c4f891142a207fe3d69cc0c30c5aa90dbf62"
	localCode := Reference{Path: "../src", Asset: Asset{Hash: h1, Files: 2, Source: "/a/src"}}
	tests := []struct {
		reason string
		a, b   Reference
		same   bool
	}{
		{"a folder and the code version registered from it", localCode, Reference{Name: "0e3c-uuid", Version: "1", Asset: Asset{Hash: h1}}, true},
		{"a changed folder and the version registered before", localCode, Reference{Name: "0e3c-uuid", Version: "1", Asset: Asset{Hash: h2}}, false},
		{"a folder and a code version whose content is not known", localCode, Reference{Name: "0e3c-uuid", Version: "1"}, false},
		{"order does not matter", Reference{Name: "x", Version: "1", Asset: Asset{Hash: h1}}, localCode, true},
		{"a model file and its registered name and version", Reference{Path: "m.pkl", Asset: Asset{Name: "m", Version: "1"}}, Reference{Name: "m", Version: "1"}, true},
		{"a model file and another version", Reference{Path: "m.pkl", Asset: Asset{Name: "m", Version: "1"}}, Reference{Name: "m", Version: "2"}, false},
		{"a model file whose identity is unknown", Reference{Path: "m.pkl", Asset: Asset{Err: "no such file or directory"}}, Reference{Name: "m", Version: "1"}, false},
		{"a registry model is never a local file's version", Reference{Path: "m.pkl", Asset: Asset{Name: "m", Version: "1"}}, Reference{Registry: "r", Name: "m", Version: "1"}, false},
		{"one folder read in two places", localCode, Reference{Path: "../src", Asset: Asset{Hash: h1, Files: 2, Source: "/b/src"}}, true},
		{"one path whose files changed", localCode, Reference{Path: "../src", Asset: Asset{Hash: h2}}, false},
		{"one path, the files missing on one side", localCode, Reference{Path: "../src", Asset: Asset{Err: "no such file or directory"}}, true},
		{"registered references ignore what the service reports", Reference{Name: "c", Version: "1"}, Reference{Name: "c", Version: "1", Asset: Asset{Hash: h1}}, true},
	}
	for _, tt := range tests {
		if got := SameAsset(tt.a, tt.b); got != tt.same {
			t.Errorf("%s: SameAsset = %v, want %v", tt.reason, got, tt.same)
		}
	}
}

func TestLocalAssetsInDiffAndEqual(t *testing.T) {
	const h1, h2 = "83d9657056baace458c4c4842fbb147a1bd4e10b2e2567e43569191981180910", "725a06bb8c7ec3bedf705b38be72c4f891142a207fe3d69cc0c30c5aa90dbf62"
	desired := fullDeployment("blue")
	desired.Model = Reference{Path: "model.pkl", Asset: Asset{Name: "m", Version: "1"}}
	desired.CodeConfiguration.Code = Reference{Path: "src", Asset: Asset{Hash: h1}}
	desired.Environment = Environment{Image: "img:1", Reference: Reference{Asset: Asset{Name: "CliV2AnonymousEnvironment", Version: "v1"}}}
	actual := desired
	actual.Model = Reference{Name: "m", Version: "1"}
	actual.CodeConfiguration.Code = Reference{Name: "uuid", Version: "1", Asset: Asset{Hash: h1}}
	actual.Environment = Environment{Reference: Reference{Name: "CliV2AnonymousEnvironment", Version: "v1"}}
	if !DeploymentEqual(desired, actual) || len(DiffDeployment(actual, desired)) != 0 {
		t.Errorf("local files and the versions registered from them differ: %q", changeLines(DiffDeployment(actual, desired)))
	}
	desired.CodeConfiguration.Code.Asset.Hash = h2
	got := changeLines(DiffDeployment(actual, desired))
	want := "code_configuration.code: azureml:uuid:1 (content 83d9657056ba) → src (content 725a06bb8c7e)"
	if DeploymentEqual(desired, actual) || len(got) != 1 || got[0] != want {
		t.Errorf("a changed file: %q, want [%q]", got, want)
	}
}
