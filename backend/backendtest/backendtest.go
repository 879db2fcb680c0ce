package backendtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

// Harness describes the backend under test and what it supports.
type Harness struct {
	// New returns a fresh backend with no endpoints. It is called once for
	// every test, inside the test's bubble when Synctest is set.
	New func(t *testing.T) backend.Backend
	// Synctest runs every test inside a testing/synctest bubble. Set it for
	// backends whose operations wait with the time package.
	Synctest bool
	// Kubernetes says the backend accepts endpoints on a Kubernetes compute
	// target (Compute); the rules that differ on Kubernetes are then
	// tested too. Compute names the target ("k8s-compute" when empty).
	Kubernetes bool
	Compute    string
	// FailProvisioning arranges for the next create of the deployment to
	// end in the Failed provisioning state. Without it the test of failed
	// provisioning is skipped.
	FailProvisioning func(t *testing.T, b backend.Backend, endpointName, deploymentName string)
	// ExactRouting says that Invoke splits requests by the exact percents
	// (a deterministic router, as the in-memory service has); otherwise
	// each deployment's share may be off by 5 points.
	ExactRouting bool
	// NoETags says the backend's service declares no ETags (the reference
	// service's REST API does not): reads may carry none and writes are
	// not conditional, so the test of conditional writes is skipped and
	// no status is required to hold an ETag.
	NoETags bool
	// PollInterval is how often the suite reads the backend while it waits
	// to see an operation in progress; 1 s when zero.
	PollInterval time.Duration
}

// TestBackend runs the conformance tests, each as a subtest on a fresh
// backend from h.New.
func TestBackend(t *testing.T, h Harness) {
	if h.New == nil {
		t.Fatal("backendtest: Harness.New is nil")
	}
	if h.Compute == "" {
		h.Compute = "k8s-compute"
	}
	if h.PollInterval <= 0 {
		h.PollInterval = time.Second
	}
	noFailures := func(h Harness) string {
		if h.FailProvisioning == nil {
			return "the harness cannot make provisioning fail (Harness.FailProvisioning)"
		}
		return ""
	}
	tests := []struct {
		name string
		run  func(*testing.T, *suite)
		// skip says why the harness cannot run the test, if it cannot.
		skip func(Harness) string
	}{
		{"RoundTrip", testRoundTrip, nil},
		{"ListEndpointsSorted", testListSorted, nil},
		{"EndpointNamesIgnoreCase", testNamesIgnoreCase, nil},
		{"NotFound", testNotFound, nil},
		{"DeleteMissing", testDeleteMissing, nil},
		{"Names", testNames, nil},
		{"TrafficUnknownDeployment", testTrafficUnknownDeployment, nil},
		{"TrafficTotal", testTrafficTotal, nil},
		{"DeleteDeploymentWithTraffic", testDeleteWithTraffic, nil},
		{"DeleteMirroredDeployment", testDeleteMirrored, nil},
		{"MirrorRules", testMirrorRules, nil},
		{"ImmutableInstanceType", testImmutableInstanceType, nil},
		{"ScaleOnly", testScaleOnly, nil},
		{"ETags", testETags, func(h Harness) string {
			if h.NoETags {
				return "the backend's service declares no ETags (Harness.NoETags)"
			}
			return ""
		}},
		{"OverlappingEndpointOperations", testOverlap, nil},
		{"ProvisioningStates", testProvisioningStates, nil},
		{"FailedProvisioning", testFailedProvisioning, noFailures},
		{"DarkEndpoint", testDarkEndpoint, nil},
		{"InvokeRoutesBySplit", testInvokeRoutes, nil},
		{"MirrorLeavesAnswersAlone", testMirrorAnswers, nil},
		{"Keys", testKeys, nil},
		{"DeleteEndpointDeletesDeployments", testDeleteEndpoint, nil},
		{"NoAliasing", testNoAliasing, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Skipped here, outside the bubble: a skip inside one is
			// reported as a pass.
			if tt.skip != nil {
				if why := tt.skip(h); why != "" {
					t.Skip(why)
				}
			}
			run := func(t *testing.T) {
				tt.run(t, &suite{Harness: h, b: h.New(t), ctx: t.Context()})
			}
			if h.Synctest {
				synctest.Test(t, run)
			} else {
				run(t)
			}
		})
	}
}

// suite is one test's backend and helpers.
type suite struct {
	Harness
	b   backend.Backend
	ctx context.Context
}

const (
	epName = "conf-endpoint"
	model  = "conf-model"
)

func newDeployment(name, version string) endpoint.Deployment {
	return endpoint.Deployment{
		Name:          name,
		Model:         endpoint.Reference{Name: model, Version: version},
		InstanceType:  "Standard_DS3_v2",
		InstanceCount: 1,
	}
}

func split(m map[string]int) traffic.Split { return traffic.MustNew(m) }

// setup creates an endpoint with these deployments (versions 1, 2, ...)
// and no traffic.
func (s *suite) setup(t *testing.T, name string, deployments ...string) {
	t.Helper()
	s.must(t, s.b.CreateOrUpdateEndpoint(s.ctx, &endpoint.Endpoint{Name: name, AuthMode: endpoint.AuthKey}))
	for i, d := range deployments {
		s.must(t, s.b.CreateOrUpdateDeployment(s.ctx, name, newDeployment(d, fmt.Sprint(i+1))))
	}
}

// setTraffic writes the endpoint's live and mirror splits unconditionally.
func (s *suite) setTraffic(name string, live, mirror map[string]int) error {
	e, err := s.b.GetEndpoint(s.ctx, name)
	if err != nil {
		return err
	}
	e.Traffic, e.Mirror = split(live), split(mirror)
	e.Status.ETag = ""
	return s.b.CreateOrUpdateEndpoint(s.ctx, e)
}

func (s *suite) get(t *testing.T, name string) *endpoint.Endpoint {
	t.Helper()
	e, err := s.b.GetEndpoint(s.ctx, name)
	s.must(t, err)
	return e
}

func (s *suite) must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// wantKind fails unless err holds a *backend.Error of kind whose message
// contains every part.
func wantKind(t *testing.T, err error, kind backend.Kind, parts ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("err = nil, want %v", kind)
		return
	}
	e, ok := errors.AsType[*backend.Error](err)
	if !ok {
		t.Errorf("err = %T %v, want a *backend.Error of kind %v", err, err, kind)
		return
	}
	if e.Kind != kind {
		t.Errorf("err = %v, want kind %v", err, kind)
	}
	for _, p := range parts {
		if !strings.Contains(e.Message, p) {
			t.Errorf("message %q does not contain %q", e.Message, p)
		}
	}
}

// inFlight starts op in a goroutine and returns once GetEndpoint shows the
// endpoint (deployment "") or the deployment in state. The returned channel
// yields op's error. The test fails if op ends before it was seen in state.
func (s *suite) inFlight(t *testing.T, name, deployment string, state endpoint.ProvisioningState, op func(context.Context) error) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- op(s.ctx) }()
	for {
		if e, err := s.b.GetEndpoint(s.ctx, name); err == nil {
			got := e.Status.ProvisioningState
			if deployment != "" {
				got = ""
				if d := e.Deployment(deployment); d != nil {
					got = d.Status.ProvisioningState
				}
			}
			if got == state {
				return done
			}
		}
		select {
		case err := <-done:
			t.Fatalf("the operation ended (err %v) before %s/%s was seen in the %s state; the backend's operations must take time", err, name, deployment, state)
		case <-time.After(s.PollInterval):
		}
	}
}

func testRoundTrip(t *testing.T, s *suite) {
	want := &endpoint.Endpoint{
		Name:        epName,
		Description: "conformance",
		Tags:        map[string]string{"team": "ml"},
		AuthMode:    endpoint.AuthKey,
	}
	s.must(t, s.b.CreateOrUpdateEndpoint(s.ctx, want))
	blue := newDeployment("blue", "1")
	blue.EnvironmentVariables = map[string]string{"MODE": "fast"}
	blue.RequestSettings.RequestTimeoutMS = 3000
	green := newDeployment("green", "2")
	green.InstanceCount = 2
	// Written out of order: reads return deployments sorted by name.
	s.must(t, s.b.CreateOrUpdateDeployment(s.ctx, epName, green))
	s.must(t, s.b.CreateOrUpdateDeployment(s.ctx, epName, blue))
	want.Traffic = split(map[string]int{"blue": 90, "green": 10})
	s.must(t, s.b.CreateOrUpdateEndpoint(s.ctx, want))

	got := s.get(t, epName)
	want.Deployments = []endpoint.Deployment{blue, green}
	if !endpoint.Equal(endpoint.Normalized(want), endpoint.Normalized(got)) {
		t.Errorf("GetEndpoint returned\n%+v\nwant (normalized)\n%+v", endpoint.Normalized(got), endpoint.Normalized(want))
	}
	if len(got.Deployments) != 2 || got.Deployments[0].Name != "blue" || got.Deployments[1].Name != "green" {
		t.Errorf("deployments not sorted by name: %+v", got.Deployments)
	}
	if got.Status.ProvisioningState != endpoint.Succeeded || (got.Status.ETag == "" && !s.NoETags) || got.Status.ScoringURI == "" {
		t.Errorf("endpoint status = %+v, want Succeeded with an ETag and a scoring URI", got.Status)
	}
	for _, d := range got.Deployments {
		if d.Status.ProvisioningState != endpoint.Succeeded || (d.Status.ETag == "" && !s.NoETags) {
			t.Errorf("deployment %s status = %+v, want Succeeded with an ETag", d.Name, d.Status)
		}
	}
}

func testListSorted(t *testing.T, s *suite) {
	for _, name := range []string{"charlie-ep", "alpha-ep", "bravo-ep"} {
		s.setup(t, name)
	}
	s.must(t, s.b.CreateOrUpdateDeployment(s.ctx, "alpha-ep", newDeployment("zulu", "1")))
	s.must(t, s.b.CreateOrUpdateDeployment(s.ctx, "alpha-ep", newDeployment("alpha", "1")))
	list, err := s.b.ListEndpoints(s.ctx)
	s.must(t, err)
	var names []string
	for _, e := range list {
		names = append(names, e.Name)
	}
	if strings.Join(names, ",") != "alpha-ep,bravo-ep,charlie-ep" {
		t.Errorf("ListEndpoints names = %v, want sorted", names)
	}
	if len(list) > 0 && (len(list[0].Deployments) != 2 || list[0].Deployments[0].Name != "alpha") {
		t.Errorf("alpha-ep deployments = %+v, want alpha, zulu", list[0].Deployments)
	}
}

func testNamesIgnoreCase(t *testing.T, s *suite) {
	s.setup(t, "Case-Test")
	e := s.get(t, "case-test")
	if e.Name != "Case-Test" {
		t.Errorf("name = %q, want the spelling it was created with", e.Name)
	}
	s.must(t, s.b.CreateOrUpdateEndpoint(s.ctx, &endpoint.Endpoint{Name: "CASE-TEST", Description: "updated"}))
	list, err := s.b.ListEndpoints(s.ctx)
	s.must(t, err)
	if len(list) != 1 || list[0].Description != "updated" {
		t.Errorf("after writing CASE-TEST: %d endpoints, want the one endpoint updated", len(list))
	}
	s.must(t, s.b.CreateOrUpdateDeployment(s.ctx, "CASE-test", newDeployment("blue", "1")))
}

func testNotFound(t *testing.T, s *suite) {
	s.setup(t, epName, "blue")
	tests := []struct {
		name   string
		call   func() error
		reason string
	}{
		{"get", func() error { _, err := s.b.GetEndpoint(s.ctx, "missing-ep"); return err }, "no such endpoint"},
		{"deployment on missing endpoint", func() error {
			return s.b.CreateOrUpdateDeployment(s.ctx, "missing-ep", newDeployment("blue", "1"))
		}, "a deployment needs its endpoint"},
		{"scale missing endpoint", func() error { return s.b.ScaleDeployment(s.ctx, "missing-ep", "blue", 2) }, "scaling needs the endpoint"},
		{"scale missing deployment", func() error { return s.b.ScaleDeployment(s.ctx, epName, "ghost", 2) }, "scaling does not create"},
		{"delete deployment of missing endpoint", func() error { return s.b.DeleteDeployment(s.ctx, "missing-ep", "blue") }, "the parent must exist"},
		{"invoke", func() error {
			_, err := s.b.Invoke(s.ctx, "missing-ep", backend.InvokeRequest{Body: []byte("{}")})
			return err
		}, "no scoring URI to call"},
		{"keys", func() error { _, err := s.b.GetKeys(s.ctx, "missing-ep"); return err }, "no keys without an endpoint"},
	}
	for _, tt := range tests {
		err := tt.call()
		if backend.KindOf(err) != backend.NotFound || err == nil {
			t.Errorf("%s: err = %v, want NotFound (%s)", tt.name, err, tt.reason)
		}
	}
}

func testDeleteMissing(t *testing.T, s *suite) {
	s.setup(t, epName)
	if err := s.b.DeleteEndpoint(s.ctx, "missing-ep"); err != nil {
		t.Errorf("DeleteEndpoint(missing) = %v, want nil: deletes are repeatable", err)
	}
	if err := s.b.DeleteDeployment(s.ctx, epName, "ghost"); err != nil {
		t.Errorf("DeleteDeployment(missing) = %v, want nil: deletes are repeatable", err)
	}
}

func testNames(t *testing.T, s *suite) {
	s.setup(t, epName)
	tests := []struct {
		name   string
		ok     bool
		reason string
	}{
		{"ab", false, "shorter than 3"},
		{strings.Repeat("a", 33), false, "longer than 32"},
		{"1abc", false, "must start with a letter"},
		{"abc-", false, "must not end with '-'"},
		{"a_bc", false, "'_' is not allowed"},
		{"a.bc", false, "'.' is not allowed"},
		{"", false, "a name is required"},
		{"abc", true, "3 is the shortest"},
		{strings.Repeat("b", 32), true, "32 is the longest"},
		{"A-1-b", true, "letters, digits and '-' inside"},
	}
	for _, tt := range tests {
		errEp := s.b.CreateOrUpdateEndpoint(s.ctx, &endpoint.Endpoint{Name: tt.name})
		errDep := s.b.CreateOrUpdateDeployment(s.ctx, epName, newDeployment(tt.name, "1"))
		for _, r := range []struct {
			what string
			err  error
		}{{"endpoint", errEp}, {"deployment", errDep}} {
			what, err := r.what, r.err
			switch {
			case tt.ok && err != nil:
				t.Errorf("%s name %q: %v, want success (%s)", what, tt.name, err, tt.reason)
			case !tt.ok && backend.KindOf(err) != backend.Invalid:
				t.Errorf("%s name %q: err = %v, want Invalid (%s)", what, tt.name, err, tt.reason)
			}
		}
		if !tt.ok && tt.name != "" {
			if _, err := s.b.GetEndpoint(s.ctx, tt.name); backend.KindOf(err) != backend.NotFound {
				t.Errorf("endpoint %q exists after a refused create (err %v)", tt.name, err)
			}
		}
	}
}

func testTrafficUnknownDeployment(t *testing.T, s *suite) {
	s.setup(t, epName, "blue")
	s.must(t, s.setTraffic(epName, map[string]int{"blue": 100}, nil))
	err := s.setTraffic(epName, map[string]int{"blue": 90, "ghost": 10}, nil)
	wantKind(t, err, backend.NotFound, "Deployment ghost not found in endpoint "+epName)
	if got := s.get(t, epName).Traffic; !got.Equal(split(map[string]int{"blue": 100})) {
		t.Errorf("traffic after a refused update = %v, want blue=100", got)
	}
}

func testTrafficTotal(t *testing.T, s *suite) {
	s.setup(t, epName, "blue", "green")
	tests := []struct {
		live   map[string]int
		kind   backend.Kind
		reason string
	}{
		{map[string]int{"blue": 50}, backend.Invalid, "sums to 50"},
		{map[string]int{"blue": 60, "green": 60}, backend.Invalid, "sums to 120"},
		{map[string]int{"blue": 100}, -1, "sums to 100"},
		{map[string]int{"blue": 0, "green": 0}, -1, "all 0 is a dark endpoint"},
	}
	for _, tt := range tests {
		err := s.setTraffic(epName, tt.live, nil)
		if tt.kind < 0 {
			if err != nil {
				t.Errorf("traffic %v: %v, want success (%s)", tt.live, err, tt.reason)
			}
			continue
		}
		if backend.KindOf(err) != tt.kind || err == nil {
			t.Errorf("traffic %v: err = %v, want %v (%s)", tt.live, err, tt.kind, tt.reason)
		}
	}
}

func testDeleteWithTraffic(t *testing.T, s *suite) {
	s.setup(t, epName, "blue", "green")
	s.must(t, s.setTraffic(epName, map[string]int{"blue": 90, "green": 10}, nil))
	wantKind(t, s.b.DeleteDeployment(s.ctx, epName, "green"), backend.Invalid, "green")
	if s.get(t, epName).Deployment("green") == nil {
		t.Fatal("green was deleted while it had live traffic")
	}
	s.must(t, s.setTraffic(epName, map[string]int{"blue": 100}, nil))
	s.must(t, s.b.DeleteDeployment(s.ctx, epName, "green"))
	if s.get(t, epName).Deployment("green") != nil {
		t.Error("green still exists after its delete succeeded")
	}
}

func testDeleteMirrored(t *testing.T, s *suite) {
	s.setup(t, epName, "blue", "green")
	s.must(t, s.setTraffic(epName, map[string]int{"blue": 100}, map[string]int{"green": 20}))
	wantKind(t, s.b.DeleteDeployment(s.ctx, epName, "green"), backend.Invalid, "green")
	if s.get(t, epName).Deployment("green") == nil {
		t.Fatal("green was deleted while it had mirror traffic")
	}
	s.must(t, s.setTraffic(epName, map[string]int{"blue": 100}, nil))
	s.must(t, s.b.DeleteDeployment(s.ctx, epName, "green"))
}

func testMirrorRules(t *testing.T, s *suite) {
	s.setup(t, epName, "blue", "green", "red")
	s.must(t, s.setTraffic(epName, map[string]int{"blue": 100}, nil))
	tests := []struct {
		name   string
		mirror map[string]int
		kind   backend.Kind
		reason string
	}{
		{"over 50", map[string]int{"green": 51}, backend.Invalid, "at most 50% may be mirrored"},
		{"live deployment", map[string]int{"blue": 10}, backend.Invalid, "never mirror to a deployment with live traffic"},
		{"two deployments", map[string]int{"green": 10, "red": 10}, backend.Invalid, "one mirror deployment at most"},
		{"unknown deployment", map[string]int{"ghost": 10}, backend.NotFound, "mirror names existing deployments only"},
		{"50", map[string]int{"green": 50}, -1, "50% is allowed"},
	}
	for _, tt := range tests {
		err := s.setTraffic(epName, map[string]int{"blue": 100}, tt.mirror)
		if tt.kind < 0 {
			if err != nil {
				t.Errorf("%s: %v, want success (%s)", tt.name, err, tt.reason)
			}
			continue
		}
		if backend.KindOf(err) != tt.kind || err == nil {
			t.Errorf("%s: err = %v, want %v (%s)", tt.name, err, tt.kind, tt.reason)
		}
	}
	if !s.Kubernetes {
		return
	}
	const k8s = "conf-k8s"
	s.must(t, s.b.CreateOrUpdateEndpoint(s.ctx, &endpoint.Endpoint{Name: k8s, Compute: s.Compute}))
	for _, name := range []string{"blue", "green"} {
		d := newDeployment(name, "1")
		d.Type = endpoint.Kubernetes
		s.must(t, s.b.CreateOrUpdateDeployment(s.ctx, k8s, d))
	}
	s.must(t, s.setTraffic(k8s, map[string]int{"blue": 100}, nil))
	if err := s.setTraffic(k8s, map[string]int{"blue": 100}, map[string]int{"green": 10}); backend.KindOf(err) != backend.Invalid || err == nil {
		t.Errorf("mirror on Kubernetes: err = %v, want Invalid (managed endpoints only)", err)
	}
}

func testImmutableInstanceType(t *testing.T, s *suite) {
	s.setup(t, epName, "blue")
	d := newDeployment("blue", "1")
	d.InstanceType = "Standard_DS4_v2"
	wantKind(t, s.b.CreateOrUpdateDeployment(s.ctx, epName, d), backend.Invalid, "instance_type")
	if got := s.get(t, epName).Deployment("blue").InstanceType; got != "Standard_DS3_v2" {
		t.Errorf("instance_type = %s after a refused change", got)
	}
	d = newDeployment("blue", "2")
	d.InstanceCount = 2
	s.must(t, s.b.CreateOrUpdateDeployment(s.ctx, epName, d))
	if got := s.get(t, epName).Deployment("blue"); got.Model.Version != "2" || got.InstanceCount != 2 {
		t.Errorf("model and count change in place; got %v x%d", got.Model, got.InstanceCount)
	}
}

func testScaleOnly(t *testing.T, s *suite) {
	s.setup(t, epName, "blue")
	before := s.get(t, epName).Deployment("blue")
	s.must(t, s.b.ScaleDeployment(s.ctx, epName, "blue", 3))
	after := s.get(t, epName).Deployment("blue")
	if after.InstanceCount != 3 {
		t.Errorf("instance_count = %d, want 3", after.InstanceCount)
	}
	after.InstanceCount = before.InstanceCount
	if !endpoint.DeploymentEqual(*before, *after) {
		t.Errorf("scaling changed more than the count:\n%+v\n%+v", *before, *after)
	}
	if after.Status.ProvisioningState != endpoint.Succeeded {
		t.Errorf("state after scaling = %s", after.Status.ProvisioningState)
	}
}

func testETags(t *testing.T, s *suite) {
	s.setup(t, epName, "blue")
	e1 := s.get(t, epName)
	stale := e1.Clone()
	e1.Description = "changed"
	s.must(t, s.b.CreateOrUpdateEndpoint(s.ctx, e1))
	e2 := s.get(t, epName)
	if e2.Status.ETag == stale.Status.ETag {
		t.Errorf("endpoint ETag %s did not change on a write", e2.Status.ETag)
	}
	stale.Description = "lost update"
	wantKind(t, s.b.CreateOrUpdateEndpoint(s.ctx, stale), backend.Precondition)
	if got := s.get(t, epName).Description; got != "changed" {
		t.Errorf("description = %q after a stale write", got)
	}

	d1 := *e2.Deployment("blue")
	staleD := d1.Clone()
	d1.InstanceCount = 2
	s.must(t, s.b.CreateOrUpdateDeployment(s.ctx, epName, d1))
	d2 := *s.get(t, epName).Deployment("blue")
	if d2.Status.ETag == staleD.Status.ETag {
		t.Errorf("deployment ETag %s did not change on a write", d2.Status.ETag)
	}
	wantKind(t, s.b.CreateOrUpdateDeployment(s.ctx, epName, staleD), backend.Precondition)
	d2.InstanceCount = 3
	s.must(t, s.b.CreateOrUpdateDeployment(s.ctx, epName, d2))
}

func testOverlap(t *testing.T, s *suite) {
	s.setup(t, epName, "blue")
	s.must(t, s.setTraffic(epName, map[string]int{"blue": 100}, nil))
	first := s.get(t, epName)
	first.Status.ETag = ""
	first.Description = "first"
	done := s.inFlight(t, epName, "", endpoint.Updating, func(ctx context.Context) error {
		return s.b.CreateOrUpdateEndpoint(ctx, first)
	})

	second := first.Clone()
	second.Description = "second"
	err := s.b.CreateOrUpdateEndpoint(s.ctx, second)
	wantKind(t, err, backend.Conflict, "Updating")
	if !backend.IsRetryable(err) {
		t.Errorf("a conflict with an operation in progress must be retryable: %v", err)
	}
	wantKind(t, s.b.CreateOrUpdateDeployment(s.ctx, epName, newDeployment("green", "2")), backend.Conflict,
		"Cannot create a deployment in endpoint "+epName+" because it is in Updating provisioning state")
	wantKind(t, s.b.DeleteEndpoint(s.ctx, epName), backend.Conflict)

	s.must(t, <-done)
	s.must(t, s.b.CreateOrUpdateEndpoint(s.ctx, second))
	if got := s.get(t, epName).Description; got != "second" {
		t.Errorf("description = %q, want the retried write", got)
	}
}

func testProvisioningStates(t *testing.T, s *suite) {
	done := s.inFlight(t, epName, "", endpoint.Creating, func(ctx context.Context) error {
		return s.b.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: epName})
	})
	s.must(t, <-done)
	done = s.inFlight(t, epName, "green", endpoint.Creating, func(ctx context.Context) error {
		return s.b.CreateOrUpdateDeployment(ctx, epName, newDeployment("green", "1"))
	})
	s.must(t, <-done)
	if st := s.get(t, epName).Deployment("green").Status.ProvisioningState; st != endpoint.Succeeded {
		t.Errorf("state after create = %s, want Succeeded", st)
	}
	done = s.inFlight(t, epName, "green", endpoint.Scaling, func(ctx context.Context) error {
		return s.b.ScaleDeployment(ctx, epName, "green", 2)
	})
	s.must(t, <-done)
	done = s.inFlight(t, epName, "green", endpoint.Deleting, func(ctx context.Context) error {
		return s.b.DeleteDeployment(ctx, epName, "green")
	})
	s.must(t, <-done)
	e := s.get(t, epName)
	if e.Deployment("green") != nil {
		t.Error("green still exists after its delete ended")
	}
	if e.Status.ProvisioningState != endpoint.Succeeded {
		t.Errorf("endpoint state = %s, want Succeeded", e.Status.ProvisioningState)
	}
}

func testFailedProvisioning(t *testing.T, s *suite) {
	s.setup(t, epName, "blue")
	s.must(t, s.setTraffic(epName, map[string]int{"blue": 100}, nil))
	for _, tc := range []struct {
		exists bool // green is created before the write
		write  func() error
		reason string
	}{
		{false, func() error { return s.b.CreateOrUpdateDeployment(s.ctx, epName, newDeployment("green", "2")) },
			"a create whose provisioning fails"},
		{true, func() error { return s.b.ScaleDeployment(s.ctx, epName, "green", 2) },
			"a scale whose provisioning fails (a PATCH, whose operation ends at its Location)"},
	} {
		if tc.exists {
			s.must(t, s.b.CreateOrUpdateDeployment(s.ctx, epName, newDeployment("green", "2")))
		}
		s.FailProvisioning(t, s.b, epName, "green")
		err := tc.write()
		if e, ok := errors.AsType[*backend.Error](err); !ok || e.Kind != backend.ProvisioningFailed {
			t.Errorf("%s: err = %v, want kind %s", tc.reason, err, backend.ProvisioningFailed)
		}
		if backend.IsRetryable(err) {
			t.Errorf("%s: failed provisioning must not be retried as is: %v", tc.reason, err)
		}
		green := s.get(t, epName).Deployment("green")
		if green == nil || green.Status.ProvisioningState != endpoint.Failed {
			t.Fatalf("%s: green = %+v, want it in the Failed state", tc.reason, green)
		}
		wantKind(t, s.setTraffic(epName, map[string]int{"blue": 90, "green": 10}, nil), backend.Invalid, "green")
		s.must(t, s.b.DeleteDeployment(s.ctx, epName, "green"))
	}
}

func testDarkEndpoint(t *testing.T, s *suite) {
	s.setup(t, epName, "blue")
	resp, err := s.b.Invoke(s.ctx, epName, backend.InvokeRequest{Body: []byte(`{"data": [1]}`)})
	s.must(t, err)
	if resp.Status != 404 || resp.Deployment != "" {
		t.Errorf("dark endpoint answered %d from %q, want 404 from none", resp.Status, resp.Deployment)
	}
	resp, err = s.b.Invoke(s.ctx, epName, backend.InvokeRequest{Deployment: "blue", Body: []byte(`{"data": [1]}`)})
	s.must(t, err)
	if resp.Status != 200 || resp.Deployment != "blue" {
		t.Errorf("direct request answered %d from %q, want 200 from blue", resp.Status, resp.Deployment)
	}
	s.must(t, s.setTraffic(epName, map[string]int{"blue": 100}, nil))
	resp, err = s.b.Invoke(s.ctx, epName, backend.InvokeRequest{Body: []byte(`{"data": [1]}`)})
	s.must(t, err)
	if resp.Status != 200 || resp.Deployment != "blue" {
		t.Errorf("serving endpoint answered %d from %q, want 200 from blue", resp.Status, resp.Deployment)
	}
}

func (s *suite) count(t *testing.T, n int, req backend.InvokeRequest) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		resp, err := s.b.Invoke(s.ctx, epName, req)
		s.must(t, err)
		got[resp.Deployment]++
	}
	return got
}

func testInvokeRoutes(t *testing.T, s *suite) {
	s.setup(t, epName, "blue", "green")
	s.must(t, s.setTraffic(epName, map[string]int{"blue": 90, "green": 10}, nil))
	got := s.count(t, 1000, backend.InvokeRequest{Body: []byte("{}")})
	slack := 0
	if !s.ExactRouting {
		slack = 50
	}
	for name, want := range map[string]int{"blue": 900, "green": 100} {
		if d := got[name] - want; d < -slack || d > slack {
			t.Errorf("%s answered %d of 1000 requests, want %d±%d", name, got[name], want, slack)
		}
	}
	if len(got) != 2 {
		t.Errorf("answers came from %v, want blue and green only", got)
	}
}

func testMirrorAnswers(t *testing.T, s *suite) {
	s.setup(t, epName, "blue", "green")
	s.must(t, s.setTraffic(epName, map[string]int{"blue": 100}, map[string]int{"green": 20}))
	if got := s.count(t, 100, backend.InvokeRequest{Body: []byte("{}")}); got["blue"] != 100 {
		t.Errorf("answers with green mirrored = %v, want blue's only", got)
	}
	if got := s.count(t, 10, backend.InvokeRequest{Deployment: "green", Body: []byte("{}")}); got["green"] != 10 {
		t.Errorf("direct requests to the mirror = %v, want green's", got)
	}
}

func testKeys(t *testing.T, s *suite) {
	s.setup(t, epName)
	k, err := s.b.GetKeys(s.ctx, epName)
	s.must(t, err)
	if k.Primary() == "" || k.Secondary() == "" {
		t.Fatal("GetKeys returned empty keys")
	}
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		outputs = append(outputs, fmt.Sprintf(verb, k), fmt.Sprintf(verb, struct{ k backend.Keys }{k}))
	}
	j, err := json.Marshal(map[string]any{"keys": k})
	s.must(t, err)
	var logs strings.Builder
	slog.New(slog.NewTextHandler(&logs, nil)).Info("keys", "keys", k)
	outputs = append(outputs, string(j), logs.String())
	for _, out := range outputs {
		if strings.Contains(out, k.Primary()) || strings.Contains(out, k.Secondary()) {
			t.Errorf("printing the keys leaks a secret: %s", out)
		}
	}
}

func testDeleteEndpoint(t *testing.T, s *suite) {
	s.setup(t, epName, "blue")
	s.must(t, s.setTraffic(epName, map[string]int{"blue": 100}, nil))
	s.must(t, s.b.DeleteEndpoint(s.ctx, epName))
	if _, err := s.b.GetEndpoint(s.ctx, epName); backend.KindOf(err) != backend.NotFound {
		t.Fatalf("GetEndpoint after delete: err = %v, want NotFound", err)
	}
	s.setup(t, epName)
	if e := s.get(t, epName); len(e.Deployments) != 0 {
		t.Errorf("a recreated endpoint has deployments %+v; deleting an endpoint deletes its deployments", e.Deployments)
	}
}

func testNoAliasing(t *testing.T, s *suite) {
	in := &endpoint.Endpoint{Name: epName, Tags: map[string]string{"a": "1"}}
	s.must(t, s.b.CreateOrUpdateEndpoint(s.ctx, in))
	d := newDeployment("blue", "1")
	d.Tags = map[string]string{"b": "2"}
	s.must(t, s.b.CreateOrUpdateDeployment(s.ctx, epName, d))
	in.Tags["a"] = "changed by caller"
	d.Tags["b"] = "changed by caller"

	out := s.get(t, epName)
	out.Tags["a"] = "changed by reader"
	out.Deployments[0].Tags["b"] = "changed by reader"
	out.Deployments[0].InstanceCount = 9

	again := s.get(t, epName)
	if again.Tags["a"] != "1" || again.Deployments[0].Tags["b"] != "2" || again.Deployments[0].InstanceCount != 1 {
		t.Errorf("the backend's state changed through a caller's value: %+v", again)
	}
}
