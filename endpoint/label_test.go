package endpoint

import (
	"slices"
	"testing"
)

func mustRef(t *testing.T, s string) Reference {
	t.Helper()
	r, err := ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLabelsResolveToVersions(t *testing.T) {
	latest := func(s, v string) Reference { return mustRef(t, s).WithVersion(v) }
	tests := []struct {
		name   string
		a, b   Reference
		same   bool
		show   string // b's one-line form in a change
		reason string
	}{
		{"label resolved to the version the service holds", mustRef(t, "azureml:m:7"), latest("azureml:m@latest", "7"), true, "azureml:m@latest (→ 7)",
			"observing resolved the label to the version the deployment has: nothing to change"},
		{"label moved", mustRef(t, "azureml:m:7"), latest("azureml:m@latest", "8"), false, "azureml:m@latest (→ 8)",
			"the label points at a newer version than the deployment has"},
		{"unresolved label", mustRef(t, "azureml:m:7"), mustRef(t, "azureml:m@latest"), false, "azureml:m@latest",
			"a label planned without observing compares as written, as before labels were resolved"},
		{"label of another asset", mustRef(t, "azureml:n:7"), latest("azureml:m@latest", "7"), false, "azureml:m@latest (→ 7)",
			"the same version number of another model is another version"},
		{"registry label", mustRef(t, "azureml://registries/azureml/environments/sklearn-1.5/versions/3"), latest("azureml://registries/azureml/environments/sklearn-1.5/labels/latest", "3"), true,
			"azureml://registries/azureml/sklearn-1.5/labels/latest (→ 3)", "a registry label resolves among the registry's versions"},
		{"registry label against the workspace's version", mustRef(t, "azureml:sklearn-1.5:3"), latest("azureml://registries/azureml/environments/sklearn-1.5/labels/latest", "3"), false,
			"azureml://registries/azureml/sklearn-1.5/labels/latest (→ 3)", "the workspace's version 3 is not the registry's"},
		{"two resolutions of one label", latest("azureml:m@latest", "7"), latest("azureml:m@latest", "7"), true, "azureml:m@latest (→ 7)",
			"a desired state compared with itself"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SameAsset(tt.a, tt.b); got != tt.same {
				t.Errorf("SameAsset(%v, %v) = %v, want %v (%s)", tt.a, tt.b, got, tt.same, tt.reason)
			}
			if got := SameAsset(tt.b, tt.a); got != tt.same {
				t.Errorf("SameAsset is not symmetric (%s)", tt.reason)
			}
			ea, eb := Environment{Reference: tt.a}, Environment{Reference: tt.b}
			if got := sameEnvironment(ea, eb); got != tt.same {
				t.Errorf("sameEnvironment = %v, want %v (%s)", got, tt.same, tt.reason)
			}
			if got := showRef(tt.b); got != tt.show {
				t.Errorf("shown as %q, want %q", got, tt.show)
			}
			da, db := Deployment{Name: "blue", Model: tt.a}, Deployment{Name: "blue", Model: tt.b}
			if got := DeploymentEqual(da, db); got != tt.same {
				t.Errorf("DeploymentEqual = %v, want %v", got, tt.same)
			}
			if changes := DiffDeployment(da, db); (len(changes) == 0) != tt.same {
				t.Errorf("DiffDeployment = %v, want a change exactly when the versions differ", changes)
			}
		})
	}
}

func TestPinned(t *testing.T) {
	r := mustRef(t, "azureml://registries/azureml/models/taxi/labels/latest")
	r.Type = "mlflow_model"
	if got := r.Pinned(); got != r {
		t.Errorf("an unresolved label pinned: %+v, want it unchanged", got)
	}
	p := r.WithVersion("4").Pinned()
	if want := (Reference{Registry: "azureml", Name: "taxi", Version: "4", Type: "mlflow_model"}); p != want {
		t.Errorf("pinned %+v, want %+v", p, want)
	}
	d := Deployment{Name: "blue", Model: mustRef(t, "azureml:m@latest").WithVersion("2"), Environment: Environment{Reference: mustRef(t, "azureml:env@latest").WithVersion("5")}}
	pd := d.Pinned()
	if pd.Model.String() != "azureml:m:2" || pd.Environment.Reference.String() != "azureml:env:5" {
		t.Errorf("pinned deployment writes %s and %s", pd.Model, pd.Environment.Reference)
	}
	if d.Model.Resolved() != "2" {
		t.Error("Pinned changed its receiver")
	}
	versioned := mustRef(t, "azureml:m:2")
	if versioned.Pinned() != versioned || versioned.Resolved() != "" {
		t.Error("a versioned reference is not a label")
	}
}

func TestDeploymentLabels(t *testing.T) {
	d := Deployment{
		Name:              "blue",
		Model:             mustRef(t, "azureml:m@latest"),
		CodeConfiguration: CodeConfiguration{Code: mustRef(t, "azureml:score@latest")},
		Environment:       Environment{Reference: mustRef(t, "azureml://registries/azureml/environments/e/labels/latest")},
	}
	var paths []string
	for _, f := range d.Labels() {
		paths = append(paths, f.Path+"="+f.Label.Kind+" "+f.Label.String())
	}
	want := []string{
		"model=model azureml:m@latest",
		"code_configuration.code=code azureml:score@latest",
		"environment=environment azureml://registries/azureml/environments/e/labels/latest",
	}
	if !slices.Equal(paths, want) {
		t.Errorf("Labels = %q, want %q", paths, want)
	}
	resolved := d.WithLabels(func(f LabelField) string {
		if f.Label.Kind == CodeAsset {
			return ""
		}
		return "9"
	})
	if resolved.Model.Resolved() != "9" || resolved.Environment.Resolved() != "9" || resolved.CodeConfiguration.Code.Resolved() != "" {
		t.Errorf("WithLabels: %+v", resolved)
	}
	if d.Model.Resolved() != "" {
		t.Error("WithLabels changed its receiver")
	}
	if (&Deployment{Model: mustRef(t, "azureml:m:1")}).Labels() != nil {
		t.Error("a deployment without labels lists some")
	}
	before := Deployment{Model: mustRef(t, "azureml:m:7"), Environment: Environment{Reference: mustRef(t, "azureml://registries/azureml/environments/e/versions/9")}}
	moved := LabelsMoved(&before, &resolved)
	if want := []string{"model: azureml:m@latest moved from 7 to 9"}; !slices.Equal(moved, want) {
		t.Errorf("LabelsMoved = %q, want %q (the environment did not move)", moved, want)
	}
}

// TestCuratedEnvironments: the short form of a curated environment
// resolves in the azureml registry, as the service expands it, and is
// pinned there; a model of the same name is the workspace's.
func TestCuratedEnvironments(t *testing.T) {
	r := mustRef(t, "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest")
	if l, _ := r.AssetLabel(EnvironmentAsset); l.Registry != CuratedRegistry {
		t.Errorf("environment label %+v, want it in the %s registry", l, CuratedRegistry)
	}
	if l, _ := r.AssetLabel(ModelAsset); l.Registry != "" {
		t.Errorf("model label %+v, want it in the workspace", l)
	}
	d := Deployment{Name: "blue", Environment: Environment{Reference: r}}.WithLabels(func(LabelField) string { return "36" })
	pinned := d.Pinned().Environment.Reference
	if want := (Reference{Registry: CuratedRegistry, Name: r.Name, Version: "36"}); pinned != want {
		t.Errorf("pinned %+v, want %+v", pinned, want)
	}
	actual := Deployment{Name: "blue", Environment: Environment{Reference: mustRef(t, "azureml://registries/azureml/environments/AzureML-sklearn-1.0-ubuntu20.04-py38-cpu/versions/36")}}
	if !DeploymentEqual(actual, d) || len(DiffDeployment(actual, d)) != 0 {
		t.Errorf("the registry's version 36 and the resolved short form differ: %v", DiffDeployment(actual, d))
	}
	if workspace := (Deployment{Name: "blue", Environment: Environment{Reference: mustRef(t, "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:36")}}); DeploymentEqual(workspace, d) {
		t.Error("the workspace's version 36 equals the registry's")
	}
}
