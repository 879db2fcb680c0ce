package plan

import (
	"encoding/hex"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

func TestFingerprint(t *testing.T) {
	base := func() []*endpoint.Endpoint {
		return list(tutorial(4), mk("b-endpoint", "blue=100", "", dep("blue", 1, "m")))
	}
	fp := Fingerprint(base())
	if b, err := hex.DecodeString(fp); err != nil || len(b) != 32 {
		t.Fatalf("Fingerprint = %q, want 64 hex digits of SHA-256", fp)
	}
	for _, tc := range []struct {
		name, reason string
		edit         func([]*endpoint.Endpoint) []*endpoint.Endpoint
		same         bool
	}{
		{"endpoint order", "the service lists endpoints in no promised order",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint { return list(es[1], es[0]) }, true},
		{"deployment order", "nor deployments",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint {
				d := es[0].Deployments
				d[0], d[1] = d[1], d[0]
				return es
			}, true},
		{"defaults written out", "server defaults are normalized away",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint {
				es[0].PublicNetworkAccess = endpoint.Enabled
				es[0].Deployments[0].RequestSettings.RequestTimeoutMS = 5000
				return es
			}, true},
		{"nil endpoints", "nil entries are skipped",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint { return append(es, nil) }, true},
		{"etag", "a write gives a new ETag",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint { es[0].Status.ETag = "2"; return es }, false},
		{"deployment etag", "also for a deployment",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint { es[0].Deployments[1].Status.ETag = "2"; return es }, false},
		{"provisioning state", "a deployment that finished creating",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint {
				es[0].Deployments[1].Status.ProvisioningState = endpoint.Creating
				return es
			}, false},
		{"spec", "an instance count changed behind the plan's back",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint { es[1].Deployments[0].InstanceCount = 3; return es }, false},
		{"traffic", "traffic moved",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint {
				es[0].Traffic = mustParse("blue=80 green=20")
				return es
			}, false},
		{"endpoint gone", "an endpoint deleted",
			func(es []*endpoint.Endpoint) []*endpoint.Endpoint { return es[:1] }, false},
	} {
		got := Fingerprint(tc.edit(base()))
		if (got == fp) != tc.same {
			t.Errorf("%s: same fingerprint = %v, want %v", tc.reason, got == fp, tc.same)
		}
	}
	if Fingerprint(nil) != Fingerprint([]*endpoint.Endpoint{}) {
		t.Error("nothing is nothing, whatever the slice")
	}
}

func TestPlanRecordsFingerprint(t *testing.T) {
	actual := list(tutorial(3))
	p := mustCompute(t, list(tutorial(4)), actual, Options{})
	if p.Fingerprint != Fingerprint(actual) {
		t.Errorf("plan fingerprint %s, want Fingerprint(actual) %s", p.Fingerprint, Fingerprint(actual))
	}
}

// TestFingerprintCoversEveryField sets each field of the model in turn,
// through reflection, and checks that the fingerprint changes: a field
// added to the model and not to the encoding fails here.
func TestFingerprintCoversEveryField(t *testing.T) {
	base := func() *endpoint.Endpoint {
		e := tutorial(4)
		e.Status = endpoint.Status{ProvisioningState: endpoint.Succeeded, ETag: "1", ScoringURI: "https://x"}
		return e
	}
	want := Fingerprint(list(base()))
	for _, p := range leafPaths(reflect.TypeFor[endpoint.Endpoint]()) {
		e := base()
		name := setLeaf(t, reflect.ValueOf(e).Elem(), p)
		if Fingerprint(list(e)) == want {
			t.Errorf("endpoint field %s does not change the fingerprint", name)
		}
	}
	paths := leafPaths(reflect.TypeFor[endpoint.Deployment]())
	for _, p := range paths {
		e := base()
		name := setLeaf(t, reflect.ValueOf(&e.Deployments[0]).Elem(), p)
		if Fingerprint(list(e)) == want {
			t.Errorf("deployment field %s does not change the fingerprint", name)
		}
	}
	if len(paths) < 50 {
		t.Errorf("found only %d deployment fields; the walk is broken", len(paths))
	}
}

// leafPaths lists the index paths of the fields of t that hold values,
// through structs and pointers to structs; splits and an endpoint's
// deployments, which tests set whole, are left out.
func leafPaths(t reflect.Type) [][]int {
	var out [][]int
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Type == reflect.TypeFor[traffic.Split]() || f.Name == "Deployments" {
				continue
			}
			p := append(slices.Clone(prefix), i)
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				walk(ft, p)
				continue
			}
			out = append(out, p)
		}
	}
	walk(t, nil)
	return out
}

// setLeaf changes the field of v at path (see leafPaths), allocating the
// pointers on the way, and returns its name.
func setLeaf(t *testing.T, v reflect.Value, path []int) string {
	t.Helper()
	var name []string
	for _, i := range path {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		name = append(name, v.Type().Field(i).Name)
		v = v.Field(i)
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "zq1")
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 7)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Float64:
		v.SetFloat(v.Float() + 0.25)
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		if elem.Kind() == reflect.String {
			elem.SetString("zq1")
		} else {
			elem.Field(0).SetBool(true)
		}
		v.SetMapIndex(reflect.ValueOf("zq-key"), elem)
	case reflect.Slice:
		elem := reflect.New(v.Type().Elem()).Elem()
		if elem.Kind() == reflect.String {
			elem.SetString("zq1")
		} else {
			elem.Field(0).SetString("zq1")
		}
		v.Set(reflect.Append(v, elem))
	default:
		t.Fatalf("field %s has kind %s, which this test cannot set", strings.Join(name, "."), v.Kind())
	}
	return strings.Join(name, ".")
}

// BenchmarkFingerprint100 fingerprints 100 endpoints of the tutorial's
// shape: what an executor pays per observation before applying a plan.
func BenchmarkFingerprint100(b *testing.B) {
	var es []*endpoint.Endpoint
	for i := range 100 {
		e := tutorial(4)
		e.Name = "endpoint-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		es = append(es, e)
	}
	b.ReportAllocs()
	for b.Loop() {
		Fingerprint(es)
	}
}
