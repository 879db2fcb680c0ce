package rest

import (
	"testing"

	"github.com/rolloutkit/rollout/endpoint"
)

func TestDurations(t *testing.T) {
	for _, tc := range []struct {
		in     string
		ms     int64
		out    string
		reason string
	}{
		{"PT5M", 300000, "PT5M", "minutes, as the examples write them"},
		{"PT0.5S", 500, "PT0.5S", "fractions of a second: max_queue_wait_ms 500"},
		{"PT1M30S", 90000, "PT1M30S", "mixed units"},
		{"P1DT2H", 93600000, "PT26H", "days are written as hours"},
		{"pt10s", 10000, "PT10S", "readers accept lower case"},
		{"", 0, "PT0S", "absent is zero"},
	} {
		ms, err := parseDuration(tc.in)
		if err != nil || ms != tc.ms || formatDuration(ms) != tc.out {
			t.Errorf("%q: %d %v, formatted %q; want %d and %q (%s)", tc.in, ms, err, formatDuration(ms), tc.ms, tc.out, tc.reason)
		}
	}
	for _, bad := range []string{"5s", "P", "PT", "P1M", "PT1D", "PTT1S", "PT-1S", "P1H"} {
		if ms, err := parseDuration(bad); err == nil {
			t.Errorf("%q parsed as %d ms; want an error", bad, ms)
		}
	}
}

// TestDataCollector checks that a deployment's data collector is read
// from a PUT and written back in the service's form.
func TestDataCollector(t *testing.T) {
	sc := scope{subscription: "sub", resourceGroup: "rg", workspace: "ws"}
	d, err := parseDeploymentPut("blue", []byte(`{"properties": {"dataCollector": {
		"collections": {"model_inputs": {"dataCollectionMode": "Enabled", "dataId": "azureml:inputs:1", "samplingRate": 0.5}, "request": {"dataCollectionMode": "Disabled"}},
		"requestLogging": {"captureHeaders": ["x-id"]}, "rollingRate": "Hour"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	dc := d.DataCollector
	if dc == nil || dc.RollingRate != "hour" || len(dc.Collections) != 2 || !dc.Collections["model_inputs"].Enabled ||
		dc.Collections["model_inputs"].SamplingRate != 0.5 || dc.Collections["model_inputs"].Data.Name != "inputs" ||
		dc.Collections["request"].Enabled || dc.RequestLogging == nil || dc.RequestLogging.CaptureHeaders[0] != "x-id" {
		t.Fatalf("decoded collector %+v", dc)
	}
	w := encodeDataCollector(sc, dc)
	if in := w.Collections["model_inputs"]; in.DataCollectionMode != "Enabled" || in.DataID != sc.workspaceID()+"/data/inputs/versions/1" || w.RollingRate != "Hour" {
		t.Errorf("encoded collector %+v: want the service's spellings and the data asset's id in the workspace", w)
	}
	// The CLI's rate for the whole collector applies to collections that
	// set none, since the service has no such field.
	top := &endpoint.DataCollector{SamplingRate: 0.25, Collections: map[string]endpoint.Collection{"request": {Enabled: true}}}
	if got := encodeDataCollector(sc, top).Collections["request"].SamplingRate; got == nil || *got != 0.25 {
		t.Errorf("collection rate %v, want the collector's 0.25", got)
	}
	if _, err := parseDeploymentPut("blue", []byte(`{"properties": {"dataCollector": {"rollingRate": "Weekly"}}}`)); err == nil {
		t.Error("an unknown rolling rate was accepted")
	}
}

// TestStartupProbe: a deployment's startup probe is read from a PUT and
// written back on a GET, in the service's durations.
func TestStartupProbe(t *testing.T) {
	d, err := parseDeploymentPut("blue", []byte(`{"properties": {"endpointComputeType": "Managed",
		"startupProbe": {"initialDelay": "PT30S", "period": "PT5S", "timeout": "PT2S", "successThreshold": 1, "failureThreshold": 60}}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := endpoint.Probe{InitialDelay: 30, Period: 5, Timeout: 2, SuccessThreshold: 1, FailureThreshold: 60}
	if d.StartupProbe != want {
		t.Fatalf("startup probe %+v, want %+v", d.StartupProbe, want)
	}
	s := &Server{}
	w := s.encodeDeployment(scope{"sub", "rg", "ws"}, "ep", d)
	if p := w.Properties.StartupProbe; p == nil || p.InitialDelay != "PT30S" || p.Period != "PT5S" || p.FailureThreshold != 60 {
		t.Errorf("startup probe written back as %+v", p)
	}
}

// TestMinInstancesZero: the emulator keeps a written minInstances of 0 and
// takes the specification's default of 1 only when it is absent.
func TestMinInstancesZero(t *testing.T) {
	for _, tc := range []struct {
		body string
		want int
	}{
		{`{"properties": {"scaleSettings": {"scaleType": "TargetUtilization", "minInstances": 0, "maxInstances": 3}}}`, 0},
		{`{"properties": {"scaleSettings": {"scaleType": "TargetUtilization", "maxInstances": 3}}}`, 1},
	} {
		d, err := parseDeploymentPut("blue", []byte(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		if d.ScaleSettings.MinInstances != tc.want {
			t.Errorf("%s: min %d, want %d", tc.body, d.ScaleSettings.MinInstances, tc.want)
		}
		w := (&Server{}).encodeDeployment(scope{"s", "g", "w"}, "ep", d)
		if m := w.Properties.ScaleSettings.MinInstances; m == nil || *m != tc.want {
			t.Errorf("%s: answered min %v, want %d written out", tc.body, m, tc.want)
		}
	}
}

// TestSamplingRateZero: the emulator keeps a written samplingRate of 0 and
// takes the specification's default of 1 only when it is absent.
func TestSamplingRateZero(t *testing.T) {
	for _, tc := range []struct {
		collection string
		want       float64
	}{
		{`{"dataCollectionMode": "Enabled", "samplingRate": 0}`, 0},
		{`{"dataCollectionMode": "Enabled"}`, 1},
		{`{"dataCollectionMode": "Enabled", "samplingRate": 0.3}`, 0.3},
	} {
		d, err := parseDeploymentPut("blue", []byte(`{"properties": {"dataCollector": {"collections": {"request": `+tc.collection+`}}}}`))
		if err != nil {
			t.Fatal(err)
		}
		if got := d.DataCollector.Collections["request"].SamplingRate; got != tc.want {
			t.Errorf("%s: rate %v, want %v", tc.collection, got, tc.want)
		}
		w := (&Server{}).encodeDeployment(scope{"s", "g", "w"}, "ep", d)
		if r := w.Properties.DataCollector.Collections["request"].SamplingRate; r == nil || *r != tc.want {
			t.Errorf("%s: answered rate %v, want %v written out", tc.collection, r, tc.want)
		}
	}
}
