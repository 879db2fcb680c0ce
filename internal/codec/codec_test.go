package codec

import (
	"testing"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in     string
		ms     int64
		out    string
		reason string
	}{
		{"PT5M", 300_000, "PT5M", "minutes, as the service's examples write them"},
		{"PT0.5S", 500, "PT0.5S", "fractions of a second: max_queue_wait_ms 500"},
		{"PT1M30S", 90_000, "PT1M30S", "mixed units"},
		{"P1DT2H", 93_600_000, "PT26H", "days are written back as hours"},
		{"P1D", 86_400_000, "PT24H", "days alone"},
		{"pt10s", 10_000, "PT10S", "the service reads any case"},
		{"PT0S", 0, "PT0S", "an explicit zero"},
		{"", 0, "PT0S", "absent is zero"},
		{"PT596H31M23.647S", MaxDurationMS, "PT596H31M23.647S", "the longest accepted"},
	} {
		ms, err := ParseDuration(tc.in)
		if err != nil || ms != tc.ms || FormatDuration(ms) != tc.out {
			t.Errorf("%q: %d %v, formatted %q; want %d and %q (%s)", tc.in, ms, err, FormatDuration(ms), tc.ms, tc.out, tc.reason)
		}
	}
	for _, tc := range []struct{ in, reason string }{
		{"P1DT", "a T must be followed by a time; the two sides once disagreed on this one"},
		{"5s", "no P"},
		{"P", "nothing after P"},
		{"PT", "nothing after T"},
		{"P1M", "months have no fixed length"},
		{"P1Y", "years have no fixed length"},
		{"P1W", "weeks are not written by the service"},
		{"PT1D", "days after T"},
		{"P1H", "hours before T"},
		{"PTT1S", "two Ts"},
		{"PT-1S", "negative"},
		{"PT.5S", "a number must start with a digit"},
		{"PT1..5S", "two points"},
		{"PT596H31M23.648S", "one millisecond over the bound"},
		{"string", "the placeholder of the service's examples"},
	} {
		if ms, err := ParseDuration(tc.in); err == nil {
			t.Errorf("%q parsed as %d ms; want an error (%s)", tc.in, ms, tc.reason)
		}
	}
}

func TestEnum(t *testing.T) {
	for _, tc := range []struct {
		e        Enum
		wire     string
		model    string
		known    bool
		backWire string
		reason   string
	}{
		{ComputeTypes, "Managed", "managed", true, "Managed", "a known value"},
		{ComputeTypes, "K8S", "kubernetes", true, "Kubernetes", "the 2021 spelling reads, today's is written"},
		{ComputeTypes, "AzureMLCompute", "AzureMLCompute", false, "AzureMLCompute", "an extensible value the model has no kind for is kept as written"},
		{IdentityTypes, "SystemAssigned, UserAssigned", "system_assigned,user_assigned", true, "SystemAssigned,UserAssigned", "spaces in the service's spelling are ignored"},
		{AuthModes, "amltoken", "aml_token", true, "AMLToken", "case is ignored"},
		{Accesses, "", "", true, "", "absent stays absent"},
	} {
		model, known := tc.e.Model(tc.wire)
		back, backKnown := tc.e.Wire(model)
		if model != tc.model || known != tc.known || back != tc.backWire || backKnown != tc.known {
			t.Errorf("%q: model %q (known %v), back %q (known %v); want %q (%v), %q (%s)",
				tc.wire, model, known, back, backKnown, tc.model, tc.known, tc.backWire, tc.reason)
		}
	}
}

// FuzzDuration: whatever ParseDuration accepts is within bounds, and
// formatting it reads back the same number of milliseconds.
func FuzzDuration(f *testing.F) {
	for _, s := range []string{"PT5M", "PT0.5S", "P1DT2H", "P1DT", "PT1M30.25S", "pt10s", "P", "PT596H31M23.647S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := ParseDuration(s)
		if err != nil {
			return
		}
		if ms < 0 || ms > MaxDurationMS {
			t.Fatalf("%q parsed as %d ms, out of bounds", s, ms)
		}
		out := FormatDuration(ms)
		back, err := ParseDuration(out)
		if err != nil || back != ms {
			t.Fatalf("%q = %d ms, formatted %q, read back %d, %v", s, ms, out, back, err)
		}
	})
}

// FuzzEnum: any value the service sends reads without failing, and a value
// read goes back as the service's spelling of the same value.
func FuzzEnum(f *testing.F) {
	for _, s := range []string{"Managed", "K8S", "AzureMLCompute", "SystemAssigned, UserAssigned", ""} {
		f.Add(s)
	}
	tables := []Enum{AuthModes, ComputeTypes, Accesses, ScaleTypes, RollingRates, IdentityTypes, CollectionModes}
	f.Fuzz(func(t *testing.T, wire string) {
		for _, e := range tables {
			model, known := e.Model(wire)
			back, backKnown := e.Wire(model)
			if backKnown != known {
				t.Fatalf("%q: read known=%v, written known=%v", wire, known, backKnown)
			}
			if !known && (model != wire || back != wire) {
				t.Fatalf("unknown %q read as %q, written as %q: want it kept as written", wire, model, back)
			}
			if again, _ := e.Model(back); known && again != model {
				t.Fatalf("%q read as %q, written as %q, read again as %q", wire, model, back, again)
			}
		}
	})
}

func TestSamplingRate(t *testing.T) {
	zero := 0.0
	for _, tc := range []struct {
		collection, collector float64
		want                  float64
		reason                string
	}{
		{0, 0, 0, "an explicit zero is sent"},
		{0.3, 0.5, 0.3, "a collection's own rate"},
		{0, 0.5, 0.5, "the collector's rate where the collection sets none"},
	} {
		if got := SamplingRate(tc.collection, tc.collector); got == nil || *got != tc.want {
			t.Errorf("SamplingRate(%v, %v) = %v, want %v (%s)", tc.collection, tc.collector, got, tc.want, tc.reason)
		}
	}
	if got := ReadSamplingRate(&zero); got != 0 {
		t.Errorf("a written 0 read as %v", got)
	}
	if got := ReadSamplingRate(nil); got != 1 {
		t.Errorf("an absent rate read as %v, want the service's default 1", got)
	}
}
