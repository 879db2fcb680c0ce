package rollout_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/plan"
)

// secretValue must never appear in a saved plan or an error.
const secretValue = "s3cret-do-not-print-me"

// secretSpec is an endpoint file whose green deployment carries a secret
// environment variable; replace substitutes parts of it for variants.
func secretSpec(t testing.TB, replace ...string) *endpoint.Endpoint {
	t.Helper()
	src := `name: credit-risk
auth_mode: key
traffic:
  blue: 100
deployments:
  - name: blue
    model: azureml:credit-risk:1
    environment: azureml:sklearn-serving:4
    instance_type: Standard_DS3_v2
    instance_count: 1
  - name: green
    model: azureml:credit-risk:2
    environment: azureml:sklearn-serving:4
    instance_type: Standard_DS3_v2
    instance_count: 1
    environment_variables:
      API_KEY: ` + secretValue + `
      LOG_LEVEL: info
`
	src = strings.NewReplacer(replace...).Replace(src)
	e, err := endpoint.Parse("endpoint.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// savedPlan computes the plan that creates desired on an empty service and
// reads it back from its JSON form, as a plan file is.
func savedPlan(t testing.TB, desired []*endpoint.Endpoint) *plan.Plan {
	t.Helper()
	p, err := plan.Compute(desired, nil, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := plan.WriteJSON(&buf, p); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte(secretValue)) {
		t.Fatal("the saved plan carries the secret value")
	}
	saved, err := plan.Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return saved
}

// TestFillSecretsRoundTrip: a saved plan is refused as it stands, and
// applied once its secrets are filled from the same desired state; the
// service then holds the real value.
func TestFillSecretsRoundTrip(t *testing.T) {
	desired := []*endpoint.Endpoint{secretSpec(t)}
	saved := savedPlan(t, desired)

	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	if _, err := rollout.Apply(t.Context(), svc, saved); !errors.Is(err, rollout.ErrInvalidPlan) {
		t.Fatalf("Apply of the saved plan: got %v, want ErrInvalidPlan", err)
	}
	filled, err := rollout.FillSecrets(saved, desired)
	if err != nil {
		t.Fatalf("FillSecrets: %v", err)
	}
	if _, err := rollout.Apply(t.Context(), svc, filled); err != nil {
		t.Fatalf("Apply of the filled plan: %v", err)
	}
	e, ok := svc.Peek("credit-risk")
	if !ok {
		t.Fatal("the endpoint was not created")
	}
	var got map[string]string
	for _, d := range e.Deployments {
		if d.Name == "green" {
			got = d.EnvironmentVariables
		}
	}
	if got["API_KEY"] != secretValue || got["LOG_LEVEL"] != "info" {
		t.Errorf("green's environment variables are %d, want the real secret and LOG_LEVEL=info", len(got))
	}
	for _, s := range saved.Steps {
		if s.DeploymentAfter != nil && s.DeploymentAfter.EnvironmentVariables["API_KEY"] == secretValue {
			t.Error("FillSecrets modified the plan it was given")
		}
	}
}

// TestFillSecretsRefuses: a desired state other than the plan's is
// refused, placed at the deployment in its file, without the secret.
func TestFillSecretsRefuses(t *testing.T) {
	tests := []struct {
		reason  string
		desired func(t *testing.T) []*endpoint.Endpoint
		want    []string // parts of the message
	}{
		{"another instance count: the files changed since the plan",
			func(t *testing.T) []*endpoint.Endpoint {
				return []*endpoint.Endpoint{secretSpec(t, "instance_count: 1\n    environment_variables", "instance_count: 3\n    environment_variables")}
			},
			[]string{"endpoint.yml:11:11: deployments[1]: step credit-risk/green/create", "differs from the saved plan in instance_count"}},
		{"another non-secret variable is a difference too",
			func(t *testing.T) []*endpoint.Endpoint {
				return []*endpoint.Endpoint{secretSpec(t, "LOG_LEVEL: info", "LOG_LEVEL: debug")}
			},
			[]string{"differs from the saved plan in environment_variables.LOG_LEVEL"}},
		{"the secret variable is gone: nothing to fill it with",
			func(t *testing.T) []*endpoint.Endpoint {
				return []*endpoint.Endpoint{secretSpec(t, "API_KEY: "+secretValue, "OTHER_KEY: x")}
			},
			[]string{"no longer defines the secret environment variables API_KEY"}},
		{"the deployment is gone",
			func(t *testing.T) []*endpoint.Endpoint {
				return []*endpoint.Endpoint{secretSpec(t, "name: green", "name: teal")}
			},
			[]string{"no longer defines this deployment"}},
		{"the endpoint is gone",
			func(*testing.T) []*endpoint.Endpoint { return nil },
			[]string{`step "credit-risk/green/create"`, "has no endpoint credit-risk"}},
	}
	saved := savedPlan(t, []*endpoint.Endpoint{secretSpec(t)})
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			p, err := rollout.FillSecrets(saved, tt.desired(t))
			if p != nil || !errors.Is(err, rollout.ErrInvalidPlan) {
				t.Fatalf("FillSecrets: got plan %v, error %v; want ErrInvalidPlan", p != nil, err)
			}
			msg := err.Error()
			var placed *endpoint.Error
			if strings.HasPrefix(msg, "endpoint.yml:") && !errors.As(err, &placed) {
				t.Error("an error placed in a file is not an *endpoint.Error")
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, secretValue) {
				t.Error("the error carries the secret value")
			}
		})
	}
}

// TestFillSecretsNamesWithoutCase: the service's names compare without
// regard to case, so a desired state that spells the endpoint or the
// deployment otherwise than the service does is still the state the plan
// was computed for, and fills its secrets.
func TestFillSecretsNamesWithoutCase(t *testing.T) {
	scaled := []string{"instance_count: 1\n    environment_variables", "instance_count: 2\n    environment_variables"}
	tests := []struct {
		reason  string
		replace []string
	}{
		{"the deployment is spelled Green, the service's green", append([]string{"name: green", "name: Green"}, scaled...)},
		{"the endpoint is spelled Credit-Risk, the service's credit-risk", append([]string{"name: credit-risk", "name: Credit-Risk"}, scaled...)},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
			runTo(t, svc, []*endpoint.Endpoint{secretSpec(t)}, plan.Options{})
			desired := []*endpoint.Endpoint{secretSpec(t, tc.replace...)}
			applySaved(t, svc, desired)
			converged(t, svc, desired, plan.Options{})
		})
	}
}

// TestFillSecretsUnwrittenTags: tags a spec does not write are not
// managed, nor are properties it leaves out, and the plan writes them back
// as the service holds them; the desired state that leaves them out is
// still the state the plan was computed for, and fills its secrets.
func TestFillSecretsUnwrittenTags(t *testing.T) {
	tagged := []string{"    environment_variables:", "    tags:\n      team: risk\n    properties:\n      owner: ml\n    environment_variables:"}
	scaled := []string{"instance_count: 1\n    environment_variables", "instance_count: 2\n    environment_variables"}
	tests := []struct {
		reason  string
		replace []string
	}{
		{"the desired state leaves green's tags and properties out", scaled},
		{"the desired state writes the tags and properties green has", []string{"instance_count: 1\n    environment_variables", "instance_count: 2\n    tags:\n      team: risk\n    properties:\n      owner: ml\n    environment_variables"}},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
			runTo(t, svc, []*endpoint.Endpoint{secretSpec(t, tagged...)}, plan.Options{})
			desired := []*endpoint.Endpoint{secretSpec(t, tc.replace...)}
			applySaved(t, svc, desired)
			e, _ := svc.Peek("credit-risk")
			if d := e.Deployment("green"); d == nil || d.InstanceCount != 2 || d.Tags["team"] != "risk" || d.Properties["owner"] != "ml" {
				t.Errorf("green is %+v, want 2 instances and its tags and properties kept", d)
			}
		})
	}
}

// TestFillSecretsLabels: the plan writes a label as the version it
// resolved to, and the desired state loaded again has the label alone: it
// is still the state the plan was computed for, and fills its secrets,
// while a label changed since is a difference.
func TestFillSecretsLabels(t *testing.T) {
	spec := `name: my-endpoint
traffic: {blue: 100}
deployments:
  - name: blue
    model: azureml:taxi-model@latest
    environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
    instance_type: Standard_F2s_v2
    instance_count: 1
    environment_variables:
      API_KEY: ` + secretValue + "\n"
	tests := []struct {
		reason string
		edit   []string // replacements in the spec after planning
		want   string   // part of the refusal, or "" for none
	}{
		{"the same labels", nil, ""},
		{"the model pinned since to the version its label resolved to: the same write", []string{"taxi-model@latest", "taxi-model:7"}, ""},
		{"the model pinned since to another version", []string{"taxi-model@latest", "taxi-model:6"}, "differs from the saved plan in model"},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ep.yml")
			writeFile(t, path, spec)
			load := func() []*endpoint.Endpoint {
				es, err := endpoint.Load(path)
				if err != nil {
					t.Fatal(err)
				}
				return es
			}
			svc := labelService(t)
			saved := savedOf(t, planFor(t, svc, load()))
			writeFile(t, path, strings.NewReplacer(tc.edit...).Replace(spec))
			filled, err := rollout.FillSecrets(saved, load())
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("FillSecrets = %v, want a refusal naming %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("FillSecrets: %v", err)
			}
			if _, err := rollout.Apply(t.Context(), svc, filled); err != nil {
				t.Fatalf("Apply of the filled plan: %v", err)
			}
		})
	}
}

// TestFillSecretsKeepsOtherSteps: steps without redacted values are the
// plan's own, and a nil plan is refused like Apply refuses it.
func TestFillSecretsKeepsOtherSteps(t *testing.T) {
	if _, err := rollout.FillSecrets(nil, nil); !errors.Is(err, rollout.ErrInvalidPlan) {
		t.Errorf("FillSecrets(nil): got %v, want ErrInvalidPlan", err)
	}
	desired := []*endpoint.Endpoint{secretSpec(t)}
	saved := savedPlan(t, desired)
	filled, err := rollout.FillSecrets(saved, desired)
	if err != nil {
		t.Fatal(err)
	}
	if filled.Fingerprint != saved.Fingerprint || len(filled.Steps) != len(saved.Steps) {
		t.Fatal("FillSecrets changed the plan's fingerprint or steps")
	}
	changed := 0
	for i := range saved.Steps {
		if filled.Steps[i].DeploymentAfter != saved.Steps[i].DeploymentAfter {
			changed++
			if saved.Steps[i].Deployment != "green" {
				t.Errorf("step %s has no secrets but was replaced", saved.Steps[i].ID)
			}
		}
	}
	if changed != 1 {
		t.Errorf("%d steps were filled, want 1 (green's create)", changed)
	}
}

// BenchmarkFillSecrets: the cost of filling a saved plan's secrets before
// it is applied, for the three-step plan of one endpoint.
func BenchmarkFillSecrets(b *testing.B) {
	desired := []*endpoint.Endpoint{secretSpec(b)}
	saved := savedPlan(b, desired)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rollout.FillSecrets(saved, desired); err != nil {
			b.Fatal(err)
		}
	}
}

// applySaved plans desired against svc, saves the plan as a file would
// keep it, fills its secrets from desired and applies it.
func applySaved(t *testing.T, svc *fakes.Service, desired []*endpoint.Endpoint) {
	t.Helper()
	p, err := plan.Compute(desired, observe(t, svc), plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	filled, err := rollout.FillSecrets(savedOf(t, p), desired)
	if err != nil {
		t.Fatalf("FillSecrets: %v", err)
	}
	if _, err := rollout.Apply(t.Context(), svc, filled); err != nil {
		t.Fatalf("Apply of the filled plan: %v", err)
	}
}
