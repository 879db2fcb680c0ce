package endpoint

import (
	"strings"
	"testing"
)

// TestMinInstancesZero: min_instances: 0 (scale to zero) is kept as
// written, and by Marshal; only an absent min_instances takes the
// service's default of 1.
func TestMinInstancesZero(t *testing.T) {
	for _, tc := range []struct {
		scale  string
		want   int
		reason string
	}{
		{"    scale_settings:\n      type: target_utilization\n      min_instances: 0\n      max_instances: 3\n", 0, "an explicit zero is what the user wrote"},
		{"    scale_settings:\n      type: target_utilization\n      max_instances: 3\n", 1, "absent, the service's default"},
		{"    scale_settings:\n      type: target_utilization\n      min_instances: 2\n      max_instances: 3\n", 2, "a value as written"},
	} {
		spec := strings.Replace(managed, "auth_mode: key\n", "auth_mode: key\ncompute: azureml:k8s\n", 1)
		spec = strings.Replace(spec, "    instance_type: Standard_DS3_v2\n    instance_count: 1\n", "    instance_type: defaultinstancetype\n"+tc.scale, 1)
		e, err := Parse("endpoint.yml", []byte(spec))
		if err != nil {
			t.Fatalf("%s: %v", tc.reason, err)
		}
		if got := e.Deployments[0].ScaleSettings.MinInstances; got != tc.want {
			t.Errorf("min_instances %d, want %d (%s)", got, tc.want, tc.reason)
			continue
		}
		data, err := Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse("endpoint.yml", data)
		if err != nil || back.Deployments[0].ScaleSettings.MinInstances != tc.want {
			t.Errorf("%s: written and loaded again as %v, %v:\n%s", tc.reason, back, err, data)
		}
	}
}

// TestSamplingRateZero: a collection's sampling_rate: 0 is kept as
// written; an absent one takes the collector's rate, or the service's
// default of 1.
func TestSamplingRateZero(t *testing.T) {
	for _, tc := range []struct {
		collector string
		want      float64
		reason    string
	}{
		{"      collections:\n        request:\n          enabled: true\n          sampling_rate: 0\n", 0, "an explicit zero is what the user wrote"},
		{"      collections:\n        request:\n          enabled: true\n", 1, "absent, the service's default"},
		{"      collections:\n        request:\n          enabled: true\n          sampling_rate: 0.4\n", 0.4, "a value as written"},
		{"      sampling_rate: 0.5\n      collections:\n        request:\n          enabled: true\n          sampling_rate: 0\n", 0, "a written zero beats the collector's rate"},
		{"      sampling_rate: 0.5\n      collections:\n        request:\n          enabled: true\n", 0.5, "absent, the collector's rate"},
		{"      sampling_rate: 0\n      collections:\n        request:\n          enabled: true\n", 0, "absent, the collector's written zero"},
	} {
		spec := strings.Replace(managed, "    instance_count: 1\n", "    instance_count: 1\n    data_collector:\n"+tc.collector, 1)
		e, err := Parse("endpoint.yml", []byte(spec))
		if err != nil {
			t.Fatalf("%s: %v", tc.reason, err)
		}
		dc := e.Deployments[0].DataCollector
		if dc == nil || dc.Collections["request"].SamplingRate != tc.want {
			t.Errorf("sampling_rate %+v, want %v (%s)", dc, tc.want, tc.reason)
			continue
		}
		data, err := Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse("endpoint.yml", data)
		if err != nil || back.Deployments[0].DataCollector.Collections["request"].SamplingRate != tc.want {
			t.Errorf("%s: written and loaded again as %v, %v", tc.reason, back, err)
		}
	}
}
