package endpoint

import (
	"maps"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/rolloutkit/rollout/traffic"
)

// fullEndpoint returns an endpoint with every field of the model set, so
// that tests of copying and comparing reach every field.
func fullEndpoint() *Endpoint {
	return &Endpoint{
		Name:                "my-endpoint",
		Description:         "scores things",
		Tags:                map[string]string{"team": "ml", "cost": "a1"},
		Properties:          map[string]string{"p": "1"},
		AuthMode:            AuthKey,
		Identity:            &Identity{Type: "user_assigned", UserAssignedIdentities: []string{"/subscriptions/s/id1", "/subscriptions/s/id2"}},
		PublicNetworkAccess: Enabled,
		Traffic:             traffic.MustNew(map[string]int{"blue": 90, "green": 10}),
		Deployments:         []Deployment{fullDeployment("blue"), fullDeployment("green")},
		Status:              Status{ProvisioningState: Succeeded, ETag: "e1", ScoringURI: "https://x"},
	}
}

func fullDeployment(name string) Deployment {
	return Deployment{
		Name:                      name,
		Type:                      Managed,
		Description:               "the " + name + " one",
		Tags:                      map[string]string{"color": name},
		Properties:                map[string]string{"q": "2"},
		Model:                     Reference{Name: "model-1", Version: "1"},
		ModelMountPath:            "/var/model",
		CodeConfiguration:         CodeConfiguration{Code: Reference{Path: "../onlinescoring"}, ScoringScript: "score.py"},
		Environment:               Environment{Reference: Reference{Name: "env", Version: "3"}},
		EnvironmentVariables:      map[string]string{"API_KEY": "hunter2", "MODE": "fast"},
		InstanceType:              "Standard_F2s_v2",
		InstanceCount:             2,
		ScaleSettings:             ScaleSettings{Type: ScaleDefault},
		RequestSettings:           RequestSettings{RequestTimeoutMS: 3000, MaxConcurrentRequestsPerInstance: 2, MaxQueueWaitMS: 100},
		LivenessProbe:             Probe{InitialDelay: 5, Period: 5, Timeout: 1, SuccessThreshold: 1, FailureThreshold: 10},
		ReadinessProbe:            Probe{InitialDelay: 6, Period: 6, Timeout: 2, SuccessThreshold: 1, FailureThreshold: 4},
		AppInsightsEnabled:        true,
		EgressPublicNetworkAccess: Disabled,
		DataCollector: &DataCollector{
			Collections:    map[string]Collection{"model_inputs": {Enabled: true, Data: Reference{Name: "inputs", Version: "1"}}},
			SamplingRate:   0.5,
			RollingRate:    "hour",
			RequestLogging: &RequestLogging{CaptureHeaders: []string{"x-a", "x-b"}},
		},
		Status: Status{ProvisioningState: Succeeded},
	}
}

func TestCloneDoesNotAlias(t *testing.T) {
	orig := fullEndpoint()
	c := orig.Clone()
	if !Equal(orig, c) {
		t.Fatal("clone differs from the original")
	}
	// Change every reference-typed field of the clone; the original must
	// keep its values.
	c.Tags["team"] = "x"
	c.Properties["p"] = "x"
	c.Identity.Type = "none"
	c.Identity.UserAssignedIdentities[0] = "x"
	d := &c.Deployments[0]
	d.Tags["color"] = "x"
	d.Properties["q"] = "x"
	d.EnvironmentVariables["MODE"] = "x"
	d.DataCollector.Collections["model_inputs"] = Collection{}
	d.DataCollector.SamplingRate = 1
	d.DataCollector.RequestLogging.CaptureHeaders[0] = "x"
	c.Deployments[1].Name = "x"
	if !Equal(orig, fullEndpoint()) {
		t.Error("changing the clone changed the original")
	}
}

func TestCloneNil(t *testing.T) {
	var e *Endpoint
	if e.Clone() != nil {
		t.Error("Clone of nil endpoint is not nil")
	}
	var d Deployment
	if c := d.Clone(); !DeploymentEqual(c, d) || c.Tags != nil || c.DataCollector != nil {
		t.Errorf("Clone of zero deployment = %+v, want zero", c)
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		name   string
		change func(e *Endpoint)
		want   bool
		reason string
	}{
		{"same", func(*Endpoint) {}, true, "a fresh copy is equal"},
		{"status", func(e *Endpoint) { e.Status.ETag = "e2"; e.Deployments[0].Status.ProvisioningState = Failed }, true, "status is observed, not spec"},
		{"name", func(e *Endpoint) { e.Name = "other" }, false, "endpoint name"},
		{"description", func(e *Endpoint) { e.Description = "" }, false, "endpoint description"},
		{"tag value", func(e *Endpoint) { e.Tags["team"] = "web" }, false, "maps compare by content"},
		{"auth", func(e *Endpoint) { e.AuthMode = AuthAMLToken }, false, "auth mode"},
		{"compute", func(e *Endpoint) { e.Compute = "k8s" }, false, "compute"},
		{"identity nil", func(e *Endpoint) { e.Identity = nil }, false, "a user-assigned identity is not the absent one"},
		{"identity ids", func(e *Endpoint) { e.Identity.UserAssignedIdentities = e.Identity.UserAssignedIdentities[:1] }, false, "identity ids"},
		{"network", func(e *Endpoint) { e.PublicNetworkAccess = Disabled }, false, "public network access"},
		{"traffic", func(e *Endpoint) { e.Traffic = traffic.MustNew(map[string]int{"blue": 100}) }, false, "live split"},
		{"mirror", func(e *Endpoint) { e.Mirror = traffic.MustNew(map[string]int{"green": 10}) }, false, "mirror split"},
		{"deployment removed", func(e *Endpoint) { e.Deployments = e.Deployments[:1] }, false, "deployment count"},
		{"instance count", func(e *Endpoint) { e.Deployments[1].InstanceCount = 3 }, false, "a deployment field"},
		{"env var", func(e *Endpoint) { e.Deployments[1].EnvironmentVariables["API_KEY"] = "other" }, false, "secret values still compare"},
		{"env var renamed", func(e *Endpoint) {
			vars := e.Deployments[1].EnvironmentVariables
			vars["OTHER"] = vars["MODE"]
			delete(vars, "MODE")
		}, false, "the names of the first deployment's variables do not stand for the second's"},
		{"collector nil", func(e *Endpoint) { e.Deployments[0].DataCollector = nil }, false, "a set collector is not the absent one"},
		{"headers", func(e *Endpoint) { e.Deployments[0].DataCollector.RequestLogging.CaptureHeaders = nil }, false, "captured headers"},
		{"collection", func(e *Endpoint) {
			e.Deployments[0].DataCollector.Collections["model_inputs"] = Collection{Enabled: false}
		}, false, "collection content"},
		{"resources", func(e *Endpoint) { e.Deployments[0].Resources.Limits.GPU = "1" }, false, "kubernetes resources"},
		{"environment image", func(e *Endpoint) { e.Deployments[0].Environment.Image = "img" }, false, "inline environment field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fullEndpoint()
			tt.change(b)
			if got := Equal(fullEndpoint(), b); got != tt.want {
				t.Errorf("Equal = %v, want %v (%s)", got, tt.want, tt.reason)
			}
			if got := Equal(b, fullEndpoint()); got != tt.want {
				t.Errorf("Equal reversed = %v, want %v (%s)", got, tt.want, tt.reason)
			}
		})
	}
}

func TestEqualEmptyEquivalents(t *testing.T) {
	tests := []struct {
		name string
		a, b *Endpoint
		want bool
		why  string
	}{
		{"both nil", nil, nil, true, "nil equals nil"},
		{"one nil", nil, &Endpoint{}, false, "nil is not an endpoint"},
		{"nil map", &Endpoint{Properties: nil}, &Endpoint{Properties: map[string]string{}}, true, "maps compare by content"},
		{"tags not written", &Endpoint{Tags: nil}, &Endpoint{Tags: map[string]string{}}, false, "tags not written are not managed; tags: {} manages them"},
		{"nil identity", &Endpoint{}, &Endpoint{Identity: &Identity{}}, true, "absent and empty identity mean the same"},
		{"nil collector", &Endpoint{Deployments: []Deployment{{}}}, &Endpoint{Deployments: []Deployment{{DataCollector: &DataCollector{RequestLogging: &RequestLogging{}}}}}, true, "absent and empty collector mean the same"},
	}
	for _, tt := range tests {
		if got := Equal(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: Equal = %v, want %v (%s)", tt.name, got, tt.want, tt.why)
		}
	}
}

func BenchmarkEqual(b *testing.B) {
	x, y := Normalized(fullEndpoint()), Normalized(fullEndpoint())
	b.ReportAllocs()
	for b.Loop() {
		if !Equal(x, y) {
			b.Fatal("not equal")
		}
	}
}

func BenchmarkClone(b *testing.B) {
	e := fullEndpoint()
	b.ReportAllocs()
	for b.Loop() {
		e.Clone()
	}
}

// TestEqualSeesEveryLeaf changes each string, number and boolean of a
// deployment in turn, through nested and embedded structs, and expects
// DeploymentEqual to tell the change: the generated comparison leaves no
// field out. Status is not spec, and the identity of a reference that is
// not local (Asset) is not compared by rule.
func TestEqualSeesEveryLeaf(t *testing.T) {
	base := fullEndpoint().Deployments[0]
	for _, leaf := range leaves(reflect.TypeFor[Deployment](), nil) {
		c := base.Clone()
		v := reflect.ValueOf(&c).Elem().FieldByIndex(leaf)
		switch v.Kind() {
		case reflect.String:
			v.SetString(v.String() + "x")
		case reflect.Int, reflect.Int64:
			v.SetInt(v.Int() + 1)
		case reflect.Bool:
			v.SetBool(!v.Bool())
		default:
			continue // maps, slices and pointers: TestEqual's cases
		}
		if DeploymentEqual(base, c) {
			t.Errorf("DeploymentEqual does not see a change of %v", reflect.TypeFor[Deployment]().FieldByIndex(leaf).Name)
		}
	}
}

// leaves lists the index paths of the fields of t that are not structs,
// Status and Asset left out.
func leaves(t reflect.Type, at []int) [][]int {
	var out [][]int
	for f := range t.Fields() {
		idx := append(slices.Clone(at), f.Index...)
		switch {
		case !f.IsExported() || f.Name == "Status" || f.Name == "Asset":
		case f.Type.Kind() == reflect.Struct:
			out = append(out, leaves(f.Type, idx)...)
		default:
			out = append(out, idx)
		}
	}
	return out
}

// TestVarNames compares maps in turn with one varNames, as Equal compares
// the deployments of an endpoint, and checks each verdict against
// maps.Equal: the names kept from the last map never decide for the next.
func TestVarNames(t *testing.T) {
	ab := map[string]string{"A": "1", "B": "2"}
	tests := []struct {
		name   string
		a, b   map[string]string
		reason string
	}{
		{"first", ab, map[string]string{"A": "1", "B": "2"}, "no names kept yet: ranged over"},
		{"same names", map[string]string{"A": "1", "B": "2"}, map[string]string{"B": "2", "A": "1"}, "looked up by the kept names"},
		{"value differs", map[string]string{"A": "1", "B": "2"}, map[string]string{"A": "1", "B": "3"}, "a kept name with another value"},
		{"name missing in b", map[string]string{"A": "1", "B": "2"}, map[string]string{"A": "1", "C": "2"}, "b lacks a kept name"},
		{"other names", map[string]string{"A": "1", "C": "2"}, map[string]string{"A": "1", "C": "2"}, "a lacks a kept name: ranged over, and C kept"},
		{"after other names", map[string]string{"A": "1", "B": "2"}, map[string]string{"A": "1", "B": "2"}, "B is no longer kept"},
		{"empty value", map[string]string{"A": "", "B": "2"}, map[string]string{"B": "2", "Z": ""}, "an absent name is not an empty value"},
		{"more names", map[string]string{"A": "1", "B": "2", "C": "3"}, map[string]string{"A": "1", "B": "2", "C": "3"}, "another count"},
		{"empty", nil, map[string]string{}, "nil and empty are equal"},
		{"many", manyVars(10), manyVars(10), "more names than are kept"},
		{"many differ", manyVars(10), manyVars(9), "another count"},
	}
	var v varNames
	for _, tt := range tests {
		if got, want := v.equal(tt.a, tt.b), maps.Equal(tt.a, tt.b); got != want {
			t.Errorf("%s: equal = %v, want %v (%s)", tt.name, got, want, tt.reason)
		}
	}
}

func manyVars(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[strconv.Itoa(i)] = "v"
	}
	return m
}
