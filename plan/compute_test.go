package plan

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

// The tutorial flow, built in code: the six steps of the service's safe
// rollout walk-through on one endpoint.
const ep = "my-endpoint"

// dep is a managed deployment of a model; options adjust it.
func dep(name string, count int, model string, opts ...func(*endpoint.Deployment)) endpoint.Deployment {
	d := endpoint.Deployment{
		Name:          name,
		Model:         endpoint.Reference{Name: model, Version: "1"},
		Environment:   endpoint.Environment{Reference: endpoint.Reference{Name: "env-" + model, Version: "1"}},
		InstanceType:  "Standard_F2s_v2",
		InstanceCount: count,
	}
	for _, o := range opts {
		o(&d)
	}
	return d
}

func state(s endpoint.ProvisioningState) func(*endpoint.Deployment) {
	return func(d *endpoint.Deployment) { d.Status.ProvisioningState = s }
}

func instanceType(t string) func(*endpoint.Deployment) {
	return func(d *endpoint.Deployment) { d.InstanceType = t }
}

func env(name string) func(*endpoint.Deployment) {
	return func(d *endpoint.Deployment) { d.Environment.Name = name }
}

// mk builds an endpoint from "blue=90 green=10" style traffic and mirror.
func mk(name, live, mirror string, deps ...endpoint.Deployment) *endpoint.Endpoint {
	e := &endpoint.Endpoint{Name: name, AuthMode: endpoint.AuthKey, Deployments: deps}
	if live != "" {
		e.Traffic = mustParse(live)
	}
	if mirror != "" {
		e.Mirror = mustParse(mirror)
	}
	return e
}

func mustParse(s string) traffic.Split {
	sp, err := traffic.Parse(s)
	if err != nil {
		panic(err)
	}
	return sp
}

// tutorial returns step n (1 to 6) of the flow.
func tutorial(n int) *endpoint.Endpoint {
	switch n {
	case 1:
		return mk(ep, "blue=100", "", dep("blue", 1, "model-1"))
	case 2:
		return mk(ep, "blue=100", "", dep("blue", 2, "model-1"))
	case 3:
		return mk(ep, "blue=100", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2"))
	case 4:
		return mk(ep, "blue=90 green=10", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2"))
	case 5:
		return mk(ep, "green=100", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2"))
	case 6:
		return mk(ep, "green=100", "", dep("green", 2, "model-2"))
	}
	panic(n)
}

// sketch prints a plan one step a line as "ID ACTION <- DEPENDENCIES",
// which is what the ordering tests compare.
func sketch(p *Plan) []string {
	var out []string
	for _, s := range p.Steps {
		line := s.ID + " " + string(s.Action)
		if len(s.DependsOn) > 0 {
			line += " <- " + strings.Join(s.DependsOn, ",")
		}
		out = append(out, line)
	}
	return out
}

func list(es ...*endpoint.Endpoint) []*endpoint.Endpoint { return es }

// computeCase is one (desired, actual) pair with the plan expected.
type computeCase struct {
	name    string
	reason  string
	desired []*endpoint.Endpoint
	actual  []*endpoint.Endpoint
	opts    Options
	want    []string
	// summary is checked when set.
	summary *Summary
}

func runComputeCases(t *testing.T, cases []computeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compute(tc.desired, tc.actual, tc.opts)
			if err != nil {
				t.Fatalf("%s: Compute: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, sketch(p)); diff != "" {
				t.Errorf("%s: steps (-want +got):\n%s", tc.reason, diff)
			}
			if tc.summary != nil && *tc.summary != p.Summary {
				t.Errorf("%s: summary = %+v, want %+v", tc.reason, p.Summary, *tc.summary)
			}
			if err := Verify(tc.desired, tc.actual, p); err != nil {
				t.Errorf("%s: Verify: %v", tc.reason, err)
			}
			if !Computed(p) {
				t.Errorf("%s: the plan Compute returned is not Computed", tc.reason)
			}
		})
	}
}

func TestComputeTutorialDirect(t *testing.T) {
	runComputeCases(t, []computeCase{
		{
			name:    "nothing to 1",
			reason:  "a new endpoint exists before its deployment, which exists before the traffic naming it",
			desired: list(tutorial(1)),
			want: []string{
				"my-endpoint/create create_endpoint",
				"my-endpoint/blue/create create_deployment <- my-endpoint/create",
				"my-endpoint/traffic set_traffic <- my-endpoint/blue/create",
			},
			summary: &Summary{Add: 2, Traffic: 1},
		},
		{
			name:    "1 to 2",
			reason:  "scaling blue out is one update with no traffic step, since its share stays 100",
			desired: list(tutorial(2)), actual: list(tutorial(1)),
			want:    []string{"my-endpoint/blue/update update_deployment"},
			summary: &Summary{Change: 1},
		},
		{
			name:    "2 to 3",
			reason:  "green is created at 0%, so no traffic step",
			desired: list(tutorial(3)), actual: list(tutorial(2)),
			want: []string{"my-endpoint/green/create create_deployment"},
		},
		{
			name:    "3 to 4",
			reason:  "a flight of 10% is one traffic step with nothing to wait for",
			desired: list(tutorial(4)), actual: list(tutorial(3)),
			want:    []string{"my-endpoint/traffic set_traffic"},
			summary: &Summary{Traffic: 1},
		},
		{
			name:    "4 to 5",
			reason:  "full green is one traffic step",
			desired: list(tutorial(5)), actual: list(tutorial(4)),
			want: []string{"my-endpoint/traffic set_traffic"},
		},
		{
			name:    "5 to 6",
			reason:  "blue already has no traffic: its delete waits for nothing",
			desired: list(tutorial(6)), actual: list(tutorial(5)),
			want:    []string{"my-endpoint/blue/delete delete_deployment"},
			summary: &Summary{Destroy: 1},
		},
		{
			name:    "3 to 5",
			reason:  "skipping the flight: still one traffic step",
			desired: list(tutorial(5)), actual: list(tutorial(3)),
			want: []string{"my-endpoint/traffic set_traffic"},
		},
		{
			name:    "4 to 6",
			reason:  "blue loses its 90% first, then is deleted",
			desired: list(tutorial(6)), actual: list(tutorial(4)),
			want: []string{
				"my-endpoint/traffic set_traffic",
				"my-endpoint/blue/delete delete_deployment <- my-endpoint/traffic",
			},
		},
		{
			name:    "2 to 6",
			reason:  "the whole rollout at once: create green, move traffic, delete blue",
			desired: list(tutorial(6)), actual: list(tutorial(2)),
			want: []string{
				"my-endpoint/green/create create_deployment",
				"my-endpoint/traffic set_traffic <- my-endpoint/green/create",
				"my-endpoint/blue/delete delete_deployment <- my-endpoint/traffic",
			},
			summary: &Summary{Add: 1, Destroy: 1, Traffic: 1},
		},
		{
			name:   "5 to 6 with a renamed environment",
			reason: "the 2022-02-19 edit: green's environment changes in place while it serves 100%, beside blue's delete",
			desired: list(mk(ep, "green=100", "",
				dep("green", 2, "model-2", env("env-model2-renamed")))),
			actual: list(tutorial(5)),
			want: []string{
				"my-endpoint/green/update update_deployment",
				"my-endpoint/blue/delete delete_deployment",
			},
		},
		{
			name:    "6 to 6",
			reason:  "the desired state is the actual one: nothing to do",
			desired: list(tutorial(6)), actual: list(tutorial(6)),
			want: nil,
		},
	})
	for n := 1; n <= 6; n++ {
		p, err := Compute(list(tutorial(n)), nil, Options{})
		if err != nil {
			t.Fatalf("nothing to %d: %v", n, err)
		}
		if err := Verify(list(tutorial(n)), nil, p); err != nil {
			t.Errorf("nothing to %d: %v", n, err)
		}
		if d := depth(p); d > 3 {
			t.Errorf("nothing to %d: depth %d, want at most 3", n, d)
		}
	}
}

// depth is the number of steps on the longest dependency chain.
func depth(p *Plan) int {
	level := map[string]int{}
	most := 0
	for _, s := range p.Steps {
		l := 1
		for _, d := range s.DependsOn {
			l = max(l, level[d]+1)
		}
		level[s.ID] = l
		most = max(most, l)
	}
	return most
}

func TestComputeOrdering(t *testing.T) {
	tagged := func(e *endpoint.Endpoint) *endpoint.Endpoint {
		e.Tags = map[string]string{"team": "ml"}
		return e
	}
	withCompute := func(e *endpoint.Endpoint, c string) *endpoint.Endpoint {
		e.Compute = c
		for i := range e.Deployments {
			e.Deployments[i].Type = endpoint.Kubernetes
		}
		return e
	}
	runComputeCases(t, []computeCase{
		{
			name:    "failed deployment re-applied before traffic",
			reason:  "green's provisioning failed: its spec is written again before it is given traffic",
			desired: list(tutorial(4)),
			actual:  list(mk(ep, "blue=100", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2", state(endpoint.Failed)))),
			want: []string{
				"my-endpoint/green/update update_deployment",
				"my-endpoint/traffic set_traffic <- my-endpoint/green/update",
			},
		},
		{
			name:    "failed deployment without traffic",
			reason:  "a canceled deployment is re-applied even though its spec did not change",
			desired: list(tutorial(3)),
			actual:  list(mk(ep, "blue=100", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2", state(endpoint.Canceled)))),
			want:    []string{"my-endpoint/green/update update_deployment"},
		},
		{
			name:    "failed deployment scaled down as its traffic leaves",
			reason:  "green failed while serving 90%; its re-apply also removes instances, so it waits for the traffic to move (S5) rather than going first",
			desired: list(mk(ep, "blue=100", "", dep("blue", 2, "model-1"), dep("green", 1, "model-2"))),
			actual:  list(mk(ep, "blue=10 green=90", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2", state(endpoint.Failed)))),
			want: []string{
				"my-endpoint/traffic set_traffic",
				"my-endpoint/green/update update_deployment <- my-endpoint/traffic",
			},
		},
		{
			name:    "failed deployment deleted",
			reason:  "a failed deployment the desired state drops is just deleted",
			desired: list(tutorial(2)),
			actual:  list(mk(ep, "blue=100", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2", state(endpoint.Failed)))),
			want:    []string{"my-endpoint/green/delete delete_deployment"},
		},
		{
			name:    "mirror removed before delete",
			reason:  "green only receives mirror traffic, which must be removed before green can be deleted",
			desired: list(tutorial(2)),
			actual:  list(mk(ep, "blue=100", "green=10", dep("blue", 2, "model-1"), dep("green", 2, "model-2"))),
			want: []string{
				"my-endpoint/traffic set_traffic",
				"my-endpoint/green/delete delete_deployment <- my-endpoint/traffic",
			},
		},
		{
			name:    "mirror added after create",
			reason:  "a new deployment exists before traffic is mirrored to it",
			desired: list(mk(ep, "blue=100", "green=20", dep("blue", 2, "model-1"), dep("green", 1, "model-2"))),
			actual:  list(tutorial(2)),
			want: []string{
				"my-endpoint/green/create create_deployment",
				"my-endpoint/traffic set_traffic <- my-endpoint/green/create",
			},
		},
		{
			name:    "endpoint settings and traffic merged",
			reason:  "the service takes tags and traffic in one endpoint update",
			desired: list(tagged(tutorial(4))), actual: list(tutorial(3)),
			want:    []string{"my-endpoint/update update_endpoint"},
			summary: &Summary{Change: 1, Traffic: 1},
		},
		{
			name:    "endpoint settings alone",
			reason:  "a tag change without a traffic change is an update that resends the unchanged traffic",
			desired: list(tagged(tutorial(3))), actual: list(tutorial(3)),
			want:    []string{"my-endpoint/update update_endpoint"},
			summary: &Summary{Change: 1},
		},
		{
			name:    "merged update waits for the create",
			reason:  "the merged update carries traffic to green, so it waits for green",
			desired: list(tagged(tutorial(4))), actual: list(tutorial(2)),
			want: []string{
				"my-endpoint/green/create create_deployment",
				"my-endpoint/update update_endpoint <- my-endpoint/green/create",
			},
		},
		{
			name:    "scale up before traffic grows, scale down after it shrinks",
			reason:  "green grows from 1 to 3 instances before its share rises; blue shrinks from 4 to 1 after its share falls",
			desired: list(mk(ep, "blue=20 green=80", "", dep("blue", 1, "model-1"), dep("green", 3, "model-2"))),
			actual:  list(mk(ep, "blue=80 green=20", "", dep("blue", 4, "model-1"), dep("green", 1, "model-2"))),
			want: []string{
				"my-endpoint/green/update update_deployment",
				"my-endpoint/traffic set_traffic <- my-endpoint/green/update",
				"my-endpoint/blue/update update_deployment <- my-endpoint/traffic",
			},
		},
		{
			name:    "scale down without a share change",
			reason:  "blue keeps its share, so its scale-down waits for nothing",
			desired: list(mk(ep, "blue=100", "", dep("blue", 1, "model-1"))),
			actual:  list(tutorial(2)),
			want:    []string{"my-endpoint/blue/update update_deployment"},
		},
		{
			name:    "idle deployment replaced",
			reason:  "green has no traffic before or after, so its new instance_type is a delete then a create",
			desired: list(mk(ep, "blue=100", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2", instanceType("Standard_F4s_v2")))),
			actual:  list(tutorial(3)),
			want: []string{
				"my-endpoint/green/delete delete_deployment",
				"my-endpoint/green/create create_deployment <- my-endpoint/green/delete",
			},
			summary: &Summary{Add: 1, Destroy: 1},
		},
		{
			name:    "serving deployment replaced with AllowReplace",
			reason:  "blue is drained to green, replaced, and given its share back; the endpoint serves throughout",
			desired: list(mk(ep, "blue=90 green=10", "", dep("blue", 2, "model-1", instanceType("Standard_F4s_v2")), dep("green", 2, "model-2"))),
			actual:  list(tutorial(4)),
			opts:    Options{AllowReplace: true},
			want: []string{
				"my-endpoint/traffic/1 set_traffic",
				"my-endpoint/blue/delete delete_deployment <- my-endpoint/traffic/1",
				"my-endpoint/blue/create create_deployment <- my-endpoint/blue/delete",
				"my-endpoint/traffic/2 set_traffic <- my-endpoint/blue/create,my-endpoint/traffic/1",
			},
		},
		{
			name:    "idle endpoint replaced",
			reason:  "compute changes on an endpoint that serves nothing: delete it, create it again with its deployments",
			desired: list(withCompute(mk(ep, "blue=100", "", dep("blue", 1, "model-1")), "k8s-2")),
			actual:  list(withCompute(mk(ep, "", "", dep("blue", 1, "model-1")), "k8s-1")),
			want: []string{
				"my-endpoint/delete delete_endpoint",
				"my-endpoint/create create_endpoint <- my-endpoint/delete",
				"my-endpoint/blue/create create_deployment <- my-endpoint/create",
				"my-endpoint/traffic set_traffic <- my-endpoint/blue/create",
			},
		},
		{
			name:    "unlisted endpoint kept",
			reason:  "without DeleteUnlisted an endpoint the desired state does not name is left alone",
			desired: list(tutorial(1)),
			actual:  list(tutorial(1), mk("other-endpoint", "blue=100", "", dep("blue", 1, "model-1"))),
			want:    nil,
		},
		{
			name:    "unlisted endpoint deleted",
			reason:  "with DeleteUnlisted it is deleted in one step, deployments and all",
			desired: list(tutorial(1)),
			actual:  list(tutorial(1), mk("other-endpoint", "blue=100", "", dep("blue", 1, "model-1"))),
			opts:    Options{DeleteUnlisted: true},
			want:    []string{"other-endpoint/delete delete_endpoint"},
		},
		{
			name:    "endpoints are independent",
			reason:  "two endpoints, in name order, with no dependency between them",
			desired: list(mk("b-endpoint", "blue=100", "", dep("blue", 1, "model-1")), tutorial(4)),
			actual:  list(tutorial(3)),
			want: []string{
				"b-endpoint/create create_endpoint",
				"b-endpoint/blue/create create_deployment <- b-endpoint/create",
				"b-endpoint/traffic set_traffic <- b-endpoint/blue/create",
				"my-endpoint/traffic set_traffic",
			},
		},
		{
			name:    "names match without case",
			reason:  "the service's endpoint names are case-insensitive; the plan uses the name it reports",
			desired: list(mk("My-Endpoint", "blue=100", "", dep("blue", 2, "model-1"))),
			actual:  list(tutorial(1)),
			want:    []string{"my-endpoint/blue/update update_deployment"},
		},
		{
			name:    "busy deployment of an untouched endpoint",
			reason:  "a deployment still Updating does not matter when the plan leaves its endpoint alone",
			desired: list(tutorial(3)),
			actual:  list(mk(ep, "blue=100", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2", state(endpoint.Updating)))),
			want:    nil,
		},
	})
}

func TestComputeRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, reason    string
		desired, actual []*endpoint.Endpoint
		opts            Options
		is              error
		// contains are fragments the message must have.
		contains []string
	}{
		{
			name:     "instance type of a serving deployment",
			reason:   "blue serves all traffic; replacing it would take the endpoint down",
			desired:  list(mk(ep, "blue=100", "", dep("blue", 2, "model-1", instanceType("Standard_F4s_v2")))),
			actual:   list(tutorial(2)),
			is:       ErrRefused,
			contains: []string{"my-endpoint/blue: S6", "instance_type cannot change in place", "serves 100% of live traffic", "new name (e.g. blue-2)", "shift traffic from blue", "then delete blue"},
		},
		{
			name:     "instance type of a deployment about to serve",
			reason:   "green has no traffic yet but is to take 10%",
			desired:  list(mk(ep, "blue=90 green=10", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2", instanceType("Standard_F4s_v2")))),
			actual:   list(tutorial(3)),
			is:       ErrRefused,
			contains: []string{"is to serve 10% of live traffic"},
		},
		{
			name:     "instance type of a mirrored deployment",
			reason:   "green receives mirror traffic before the plan",
			desired:  list(mk(ep, "blue=100", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2", instanceType("Standard_F4s_v2")))),
			actual:   list(mk(ep, "blue=100", "green=10", dep("blue", 2, "model-1"), dep("green", 2, "model-2"))),
			is:       ErrRefused,
			contains: []string{"receives 10% mirror traffic"},
		},
		{
			name:     "AllowReplace with nobody to take the traffic",
			reason:   "blue is the only deployment serving: draining it would make the endpoint dark",
			desired:  list(mk(ep, "blue=100", "", dep("blue", 2, "model-1", instanceType("Standard_F4s_v2")))),
			actual:   list(tutorial(2)),
			opts:     Options{AllowReplace: true},
			is:       ErrRefused,
			contains: []string{"no other provisioned deployment"},
		},
		{
			name:   "compute of a serving endpoint",
			reason: "an endpoint's compute cannot change in place, and it serves traffic",
			desired: list(func() *endpoint.Endpoint {
				e := tutorial(2)
				e.Compute = "k8s"
				e.Deployments[0].Type = endpoint.Kubernetes
				return e
			}()),
			actual:   list(tutorial(2)),
			opts:     Options{AllowReplace: true},
			is:       ErrRefused,
			contains: []string{"compute cannot change in place", "create an endpoint under a new name"},
		},
		{
			name:     "busy deployment",
			reason:   "green is still Creating: the plan would write its endpoint",
			desired:  list(tutorial(4)),
			actual:   list(mk(ep, "blue=100", "", dep("blue", 2, "model-1"), dep("green", 2, "model-2", state(endpoint.Creating)))),
			is:       ErrBusy,
			contains: []string{"my-endpoint/green is Creating", "plan again"},
		},
		{
			name:    "busy endpoint",
			reason:  "the endpoint itself is Updating",
			desired: list(tutorial(4)),
			actual: list(func() *endpoint.Endpoint {
				e := tutorial(3)
				e.Status.ProvisioningState = endpoint.Updating
				return e
			}()),
			is:       ErrBusy,
			contains: []string{"my-endpoint is Updating"},
		},
		{
			name:     "invalid desired state",
			reason:   "traffic naming a deployment that is not there is the spec's problem, reported with endpoint errors",
			desired:  list(mk(ep, "blue=50 red=50", "", dep("blue", 1, "model-1"))),
			is:       endpoint.ErrInvalid,
			contains: []string{"red"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compute(tc.desired, tc.actual, tc.opts)
			if !errors.Is(err, tc.is) {
				t.Fatalf("%s: err = %v (plan %v), want %v", tc.reason, err, p, tc.is)
			}
			if tc.is == ErrBusy && errors.Is(err, ErrRefused) {
				t.Errorf("%s: a busy resource must not count as a refusal", tc.reason)
			}
			for _, c := range tc.contains {
				if !strings.Contains(err.Error(), c) {
					t.Errorf("%s: error %q lacks %q", tc.reason, err, c)
				}
			}
		})
	}
}

func TestComputeRefusedErrorFields(t *testing.T) {
	_, err := Compute(list(mk(ep, "blue=100", "", dep("blue", 2, "model-1", instanceType("Standard_F4s_v2")))), list(tutorial(2)), Options{})
	var re *RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a *RefusedError", err)
	}
	if re.Endpoint != ep || re.Deployment != "blue" || re.Rule != "S6" || re.Remedy == "" || re.Path != "deployments[blue].instance_type" {
		t.Errorf("RefusedError = %+v, want endpoint, deployment, rule S6, the field's path and a remedy", re)
	}
}

func TestComputeDoesNotModifyInputs(t *testing.T) {
	desired := list(tutorial(6))
	actual := list(tutorial(2))
	actual[0].Deployments[0].Status.ETag = "etag-1"
	wantD, wantA := desired[0].Clone(), actual[0].Clone()
	if _, err := Compute(desired, actual, Options{Strategy: Canary([]int{10, 50})}); err != nil {
		t.Fatal(err)
	}
	if !endpoint.Equal(desired[0], wantD) || desired[0].AuthMode != wantD.AuthMode || desired[0].Deployments[0].RequestSettings != wantD.Deployments[0].RequestSettings {
		t.Error("Compute changed the desired endpoint")
	}
	if !endpoint.Equal(actual[0], wantA) || actual[0].Deployments[0].Status != wantA.Deployments[0].Status {
		t.Error("Compute changed the actual endpoint")
	}
}

func TestComputeInputOrderDoesNotMatter(t *testing.T) {
	a := list(tutorial(4), mk("b-endpoint", "blue=100", "", dep("blue", 1, "model-1")))
	d := list(tutorial(6), mk("b-endpoint", "blue=100", "", dep("blue", 3, "model-1")), mk("c-endpoint", "x1x=100", "", dep("x1x", 1, "m")))
	p1, err := Compute(d, a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := Compute([]*endpoint.Endpoint{d[2], d[0], d[1]}, []*endpoint.Endpoint{a[1], a[0]}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sketch(p1), sketch(p2)); diff != "" {
		t.Errorf("reordered inputs give another plan (-first +second):\n%s", diff)
	}
	if p1.Fingerprint != p2.Fingerprint {
		t.Error("reordered actual state gives another fingerprint")
	}
}

func TestComputeStepContents(t *testing.T) {
	desired := list(tutorial(4))
	desired[0].Tags = map[string]string{"team": "ml"}
	desired[0].Deployments[1].EnvironmentVariables = map[string]string{"API_KEY": "hunter2"}
	actual := list(tutorial(2))
	p, err := Compute(desired, actual, Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := p.Step("my-endpoint/update")
	if u == nil {
		t.Fatalf("no merged update in %v", sketch(p))
	}
	if got := u.Traffic.String(); got != "blue=90 green=10" {
		t.Errorf("update traffic = %s, want the full split blue=90 green=10", got)
	}
	if got := u.TrafficBefore.String(); got != "blue=100" {
		t.Errorf("update traffic before = %s, want blue=100", got)
	}
	if u.EndpointAfter == nil || u.EndpointAfter.Deployments != nil || u.EndpointAfter.Tags["team"] != "ml" {
		t.Errorf("update carries %+v, want the endpoint's own fields without deployments", u.EndpointAfter)
	}
	var paths []string
	for _, c := range u.Changes {
		paths = append(paths, c.Path)
	}
	if want := []string{"tags.team", "traffic.blue", "traffic.green"}; !slices.Equal(paths, want) {
		t.Errorf("update changes %v, want %v", paths, want)
	}
	c := p.Step("my-endpoint/green/create")
	if c == nil || c.DeploymentAfter == nil || c.DeploymentAfter.InstanceCount != 2 || c.DeploymentAfter.RequestSettings.RequestTimeoutMS == 0 {
		t.Errorf("create carries %+v, want the normalized green spec", c)
	}
	for _, s := range p.Steps {
		for _, ch := range s.Changes {
			if strings.Contains(ch.Before+ch.After, "hunter2") {
				t.Errorf("step %s shows a secret in its changes", s.ID)
			}
		}
		if s.Reason == "" {
			t.Errorf("step %s has no reason", s.ID)
		}
	}
	if p.Strategy != "direct" || p.FormatVersion != FormatVersion || len(p.Fingerprint) != 64 {
		t.Errorf("plan header = %q, %d, %q", p.Strategy, p.FormatVersion, p.Fingerprint)
	}
}

func TestComputeInvalidInputs(t *testing.T) {
	for _, tc := range []struct {
		name, reason    string
		desired, actual []*endpoint.Endpoint
		opts            Options
		contains        string
	}{
		{"nil desired", "a nil endpoint is a caller's mistake", []*endpoint.Endpoint{nil}, nil, Options{}, "desired endpoint 0 is nil"},
		{"nil actual", "likewise in the actual state", nil, []*endpoint.Endpoint{nil}, Options{}, "actual endpoint 0 is nil"},
		{"twice", "the service cannot hold two endpoints whose names differ only in case",
			list(tutorial(1), mk("MY-ENDPOINT", "blue=100", "", dep("blue", 1, "m"))), nil, Options{}, "are the same endpoint"},
		{"bad strategy", "canary stages must increase", nil, nil, Options{Strategy: Canary([]int{50, 10})}, "strictly increasing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compute(tc.desired, tc.actual, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("%s: err = %v, want one containing %q", tc.reason, err, tc.contains)
			}
		})
	}
}

func ExampleCompute() {
	blue := endpoint.Deployment{
		Name:          "blue",
		Model:         endpoint.Reference{Name: "model-1", Version: "1"},
		InstanceType:  "Standard_F2s_v2",
		InstanceCount: 2,
	}
	green := blue
	green.Name = "green"
	green.Model.Name = "model-2"

	actual := &endpoint.Endpoint{Name: "my-endpoint", Traffic: traffic.MustNew(map[string]int{"blue": 100}),
		Deployments: []endpoint.Deployment{blue}}
	desired := &endpoint.Endpoint{Name: "my-endpoint", Traffic: traffic.MustNew(map[string]int{"green": 100}),
		Deployments: []endpoint.Deployment{green}}

	p, err := Compute([]*endpoint.Endpoint{desired}, []*endpoint.Endpoint{actual}, Options{})
	if err != nil {
		panic(err)
	}
	for _, s := range p.Steps {
		fmt.Println(s.ID, s.DependsOn, s.Reason)
	}
	// Output:
	// my-endpoint/green/create [] new deployment
	// my-endpoint/traffic [my-endpoint/green/create] set the desired traffic
	// my-endpoint/blue/delete [my-endpoint/traffic] not in the desired state
}

func TestComputeDeploymentLimit(t *testing.T) {
	// twenty returns an endpoint with d01..d20, the first n serving 5%
	// each except d01, which takes the rest.
	twenty := func(n int) *endpoint.Endpoint {
		e := &endpoint.Endpoint{Name: ep}
		live := map[string]int{}
		for i := 1; i <= 20; i++ {
			name := fmt.Sprintf("d%02d", i)
			e.Deployments = append(e.Deployments, dep(name, 1, "m"))
			if i <= n {
				live[name] = 5
			}
		}
		live["d01"] = 100 - 5*(n-1)
		e.Traffic = traffic.MustNew(live)
		return e
	}
	swap := func(e *endpoint.Endpoint, drop string) *endpoint.Endpoint {
		e.Deployments = slices.DeleteFunc(e.Deployments, func(d endpoint.Deployment) bool { return d.Name == drop })
		e.Deployments = append(e.Deployments, dep("new", 1, "m"))
		e.Traffic = e.Traffic.Without(drop).With("d01", e.Traffic.Get("d01")+e.Traffic.Get(drop))
		return e
	}

	actual := list(twenty(19))
	desired := list(swap(twenty(19), "d20"))
	p := mustCompute(t, desired, actual, Options{})
	want := []string{
		"my-endpoint/d20/delete delete_deployment",
		"my-endpoint/new/create create_deployment <- my-endpoint/d20/delete",
	}
	if diff := cmp.Diff(want, sketch(p)); diff != "" {
		t.Errorf("at 20 deployments the new one must wait for the idle delete (-want +got):\n%s", diff)
	}
	if err := Verify(desired, actual, p); err != nil {
		t.Error(err)
	}

	// At 20 serving deployments, a new one that takes no traffic can wait
	// for the delete that follows the traffic step.
	actual = list(twenty(20))
	desired = list(swap(twenty(20), "d20"))
	p = mustCompute(t, desired, actual, Options{})
	want = []string{
		"my-endpoint/traffic set_traffic",
		"my-endpoint/d20/delete delete_deployment <- my-endpoint/traffic",
		"my-endpoint/new/create create_deployment <- my-endpoint/d20/delete",
	}
	if diff := cmp.Diff(want, sketch(p)); diff != "" {
		t.Errorf("at 20 serving deployments a new idle one must wait for the delete after the traffic (-want +got):\n%s", diff)
	}
	if err := Verify(desired, actual, p); err != nil {
		t.Error(err)
	}

	// Blue/green keeping the old deployments deletes none: no room at all.
	_, err := Compute(desired, actual, Options{Strategy: BlueGreen(true)})
	if re := (*RefusedError)(nil); !errors.As(err, &re) || re.Rule != "limit" {
		t.Errorf("bluegreen:keep at the limit: err = %v, want a refusal naming the limit", err)
	}

	// One that takes d20's traffic must exist before it moves: no room.
	serving := swap(twenty(20), "d20")
	serving.Traffic = serving.Traffic.With("d01", serving.Traffic.Get("d01")-5).With("new", 5)
	_, err = Compute(list(serving), actual, Options{})
	var re *RefusedError
	if !errors.As(err, &re) || re.Rule != "limit" || !strings.Contains(err.Error(), "21 deployments at once") {
		t.Errorf("replacing a serving deployment at the limit: err = %v, want a refusal naming the limit", err)
	}
}
