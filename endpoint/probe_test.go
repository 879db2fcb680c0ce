package endpoint

import (
	"strings"
	"testing"
)

// TestStartupProbe follows a startup probe through every stage of the
// model: loaded from YAML with its defaults filled, validated, compared, written
// back and loaded again.
func TestStartupProbe(t *testing.T) {
	spec := strings.Replace(managed, "    instance_count: 1\n", "    instance_count: 1\n    startup_probe:\n      period: 5\n      failure_threshold: 60\n", 1)
	e, err := Parse("endpoint.yml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	d := e.Deployment("blue")
	if want := (Probe{InitialDelay: 10, Period: 5, Timeout: 2, SuccessThreshold: 1, FailureThreshold: 60}); d.StartupProbe != want {
		t.Errorf("normalized startup_probe %+v, want the service's ProbeSettings defaults filled in: %+v", d.StartupProbe, want)
	}
	out, err := Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("endpoint.yml", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	Normalize(back)
	if !Equal(e, back) {
		t.Errorf("marshalled and loaded again, the endpoint differs:\n%s", out)
	}
	other := *d
	other.StartupProbe.FailureThreshold = 30
	if DeploymentEqual(*d, other) {
		t.Error("deployments differing only in startup_probe compare equal")
	}
	got := changeLines(DiffDeployment(*d, other))
	if len(got) != 1 || !strings.Contains(got[0], "startup_probe.failure_threshold") {
		t.Errorf("diff %q, want one change of startup_probe.failure_threshold", got)
	}
	other.StartupProbe.Period = -1
	e.Deployments[0] = other
	if err := Validate(e); err == nil || !strings.Contains(err.Error(), "startup_probe.period") {
		t.Errorf("Validate of a negative startup_probe.period: %v", err)
	}
}

// TestStartupProbeAbsent: a deployment without a startup probe gets none
// from normalization, as the service runs none unless asked.
func TestStartupProbeAbsent(t *testing.T) {
	e, err := Parse("endpoint.yml", []byte(managed))
	if err != nil {
		t.Fatal(err)
	}
	Normalize(e)
	if p := e.Deployments[0].StartupProbe; p != (Probe{}) {
		t.Errorf("startup_probe %+v after Normalize, want none", p)
	}
}
