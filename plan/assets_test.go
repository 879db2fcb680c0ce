package plan_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
)

// localDesired is an endpoint whose two deployments use one local code
// folder (identity as loading computes it) and a registered model.
func localDesired(hash string) *endpoint.Endpoint {
	d := func(name string) endpoint.Deployment {
		return endpoint.Deployment{
			Name:              name,
			Model:             endpoint.Reference{Name: "m", Version: "1"},
			CodeConfiguration: endpoint.CodeConfiguration{Code: endpoint.Reference{Path: "src", Asset: endpoint.Asset{Hash: hash, Files: 2, Size: 2048}}, ScoringScript: "score.py"},
			Environment:       endpoint.Environment{Reference: endpoint.Reference{Name: "env", Version: "1"}},
			InstanceType:      "Standard_F2s_v2",
			InstanceCount:     1,
		}
	}
	return &endpoint.Endpoint{Name: "my-endpoint", Deployments: []endpoint.Deployment{d("blue"), d("green")}}
}

const (
	hash1 = "83d9657056baace458c4c4842fbb147a1bd4e10b2e2567e43569191981180910"
	hash2 = "725a06bb8c7ec3bedf705b38be72c4f891142a207fe3d69cc0c30c5aa90dbf62"
)

func TestRegisterAssetSteps(t *testing.T) {
	p, err := plan.Compute([]*endpoint.Endpoint{localDesired(hash1)}, nil, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg := p.Step("my-endpoint/asset/code/83d9657056ba")
	if reg == nil || reg.Action != plan.RegisterAsset || p.Summary.Assets != 1 {
		t.Fatalf("plan %v: want one register_asset step for the shared folder", p.Steps)
	}
	for _, id := range []string{"my-endpoint/blue/create", "my-endpoint/green/create"} {
		if s := p.Step(id); s == nil || !strings.Contains(strings.Join(s.DependsOn, " "), reg.ID) {
			t.Errorf("%s does not wait for %s", id, reg.ID)
		}
	}
	if err := plan.Check(nil, p); err != nil {
		t.Errorf("the checker refuses a plan with an asset step: %v", err)
	}
	text := p.String()
	for _, want := range []string{`+ local code "src" {`, "content_hash = sha256:" + hash1, "files        = 2 (2.0 KiB)", "1 asset to upload and register"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	var buf bytes.Buffer
	if err := plan.WriteJSON(&buf, p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"hash": "`+hash1+`"`) {
		t.Errorf("JSON lacks the full content hash:\n%s", buf.String())
	}
	back, err := plan.Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, back, cmp.Comparer(func(a, b endpoint.Endpoint) bool { return endpoint.Equal(&a, &b) })); diff != "" {
		t.Errorf("JSON round trip (-computed +decoded):\n%s", diff)
	}
}

func TestRegisterAssetOnlyForChangedFiles(t *testing.T) {
	actual := localDesired("")
	for i := range actual.Deployments {
		actual.Deployments[i].CodeConfiguration.Code = endpoint.Reference{Name: "c0de", Version: "1", Asset: endpoint.Asset{Hash: hash1}}
	}
	p, err := plan.Compute([]*endpoint.Endpoint{localDesired(hash1)}, []*endpoint.Endpoint{actual}, plan.Options{})
	if err != nil || !p.Empty() {
		t.Fatalf("unchanged folder: %v, %v; want an empty plan", p, err)
	}
	p, err = plan.Compute([]*endpoint.Endpoint{localDesired(hash2)}, []*endpoint.Endpoint{actual}, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range p.Steps {
		ids = append(ids, s.ID)
	}
	if got, want := strings.Join(ids, " "), "my-endpoint/asset/code/725a06bb8c7e my-endpoint/blue/update my-endpoint/green/update"; got != want {
		t.Errorf("changed folder plans %s, want %s", got, want)
	}
	scale := localDesired(hash1)
	scale.Deployments[0].InstanceCount = 3
	p, err = plan.Compute([]*endpoint.Endpoint{scale}, []*endpoint.Endpoint{actual}, plan.Options{})
	if err != nil || len(p.Steps) != 1 || p.Steps[0].Action != plan.UpdateDeployment {
		t.Errorf("scaling with an unchanged folder plans %v, %v; want one update and no registration", p.Steps, err)
	}
}
