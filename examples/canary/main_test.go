package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/plan"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGolden pins the whole output of the program, run inside a synctest
// bubble so that simulated time is exact and the output byte for byte the
// same on every run.
func TestGolden(t *testing.T) {
	tests := []struct {
		name, reason string
		args         []string
		golden       string
		code         int
	}{
		{
			name:   "tutorial",
			reason: "the main command: every stage's plan, progress, traffic and answers, ending with green alone",
			golden: "canary.golden",
		},
		{
			name:   "fail green",
			reason: "green's errors stop the canary at its bake, and the rollback and what it leaves are shown",
			args:   []string{"-fail-green"},
			golden: "fail-green.golden",
			code:   1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			synctest.Test(t, func(t *testing.T) {
				if code := command(t.Context(), tc.args, &stdout, &stderr); code != tc.code {
					t.Errorf("%s: exit status %d, want %d; stderr:\n%s", tc.reason, code, tc.code, stderr.String())
				}
			})
			checkGolden(t, filepath.Join("testdata", tc.golden), stdout.Bytes())
		})
	}
}

func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update if the change is intended):\n%s", golden, cmp.Diff(string(want), string(got)))
	}
}

// rollOut runs the tutorial on a service the test keeps, inside a bubble,
// and returns the service, the error, the output and how long the rollout
// took in the service's time.
func rollOut(t *testing.T, opts options) (svc *fakes.Service, out string, took time.Duration, err error) {
	t.Helper()
	steps, err := loadFlow(opts.fsys, opts.dir, opts.stages)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	synctest.Test(t, func(t *testing.T) {
		svc = newService(opts)
		start := time.Now()
		err = walk(t.Context(), &b, svc, steps, opts)
		took = time.Duration(float64(time.Since(start)) * opts.speed)
	})
	return svc, b.String(), took, err
}

// TestTutorial checks what the service went through: the tutorial's end
// state, the calls it took, green tested alone before any user reached
// it, and the duration the reference service's latencies add up to.
func TestTutorial(t *testing.T) {
	svc, _, took, err := rollOut(t, defaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	calls := svc.Calls() // before the test's own reads

	// One write per change: create the endpoint, blue and its traffic;
	// scale blue; create green; two canary stages; delete blue.
	// GetEndpoint: the program's after each stage and at the end, and the
	// bake's look at who has traffic. ListEndpoints: the program's and the
	// executor's observation before each plan.
	// Invoke: 1,000 requests after each of five stages, 1,000 during the
	// bake and the smoke test's one.
	want := []fakes.CallCount{
		{Op: "CreateOrUpdateDeployment", N: 2},
		{Op: "CreateOrUpdateEndpoint", N: 4},
		{Op: "DeleteDeployment", N: 1},
		{Op: "GetEndpoint", N: 7},
		{Op: "Invoke", N: 6001},
		{Op: "ListEndpoints", N: 10},
		{Op: "ScaleDeployment", N: 1},
	}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}

	ctx := context.Background()
	ep, err := svc.GetEndpoint(ctx, "my-endpoint")
	if err != nil {
		t.Fatal(err)
	}
	if got := ep.Traffic.String(); got != "green=100" {
		t.Errorf("traffic %s, want green=100: the canary ends with all traffic on green", got)
	}
	var names []string
	for _, d := range ep.Deployments {
		names = append(names, d.Name)
		if d.Status.ProvisioningState != endpoint.Succeeded || d.InstanceCount != 2 {
			t.Errorf("%s: %s with %d instances, want Succeeded with 2", d.Name, d.Status.ProvisioningState, d.InstanceCount)
		}
	}
	if !slices.Equal(names, []string{"green"}) {
		t.Errorf("deployments %v, want [green]: blue is deleted last", names)
	}

	for _, st := range svc.Stats("my-endpoint") {
		if st.Deployment == "green" && st.Direct != 1 {
			t.Errorf("green answered %d requests that named it, want 1: the smoke test tests it alone", st.Direct)
		}
	}

	// 1m + 10m + 30s to create the endpoint, blue and its traffic; 12m to
	// scale blue; 10m to create green; 30s + 10m bake + 30s for the canary;
	// 2m to delete blue.
	if want := 46*time.Minute + 30*time.Second; took != want {
		t.Errorf("the rollout took %v of the service's time, want %v", took, want)
	}
}

// TestFailGreen checks the promise of -fail-green: green never gets more
// than the canary's 10%, the rollout stops at the bake and says so, and
// the traffic returns to blue with green kept for inspection.
func TestFailGreen(t *testing.T) {
	opts := defaultOptions()
	opts.failGreen = true
	svc, out, _, err := rollOut(t, opts)

	var se *rollout.StepError
	if !errors.As(err, &se) {
		t.Fatalf("error %v, want a *rollout.StepError", err)
	}
	if se.Step != "my-endpoint/gate/bake/1" || !slices.Equal(se.RolledBack, []string{"my-endpoint"}) || se.RollbackErr != nil {
		t.Errorf("stopped at %s, rolled back %v (%v); want the bake to refuse and my-endpoint rolled back", se.Step, se.RolledBack, se.RollbackErr)
	}
	if !strings.Contains(err.Error(), "error rate 0.2000 (20 of 100)") {
		t.Errorf("error %q does not say what the gate saw", err)
	}

	history := svc.History()
	if len(history) == 0 {
		t.Fatal("the service kept no history")
	}
	greenSeen := false
	for _, st := range history {
		ep := st.Endpoint("my-endpoint")
		if ep == nil {
			continue
		}
		share := ep.Traffic.Get("green")
		greenSeen = greenSeen || share > 0
		if share > 10 {
			t.Fatalf("state %d (%s %s): green has %d%%, more than the canary's 10%%", st.Seq, st.Op, st.Target, share)
		}
	}
	if !greenSeen {
		t.Error("green never had traffic: the failure must come from live traffic, not from the smoke test")
	}
	last := history[len(history)-1].Endpoint("my-endpoint")
	if got := last.Traffic.String(); got != "blue=100" {
		t.Errorf("traffic ends as %s, want blue=100", got)
	}
	if d := last.Deployment("green"); d == nil || d.Status.ProvisioningState != endpoint.Succeeded {
		t.Errorf("green is %+v, want it kept and healthy for inspection", d)
	}
	for _, want := range []string{
		"refused: metric gate \"bake\" on my-endpoint/green",
		"my-endpoint: rolling back its traffic",
		"  traffic   blue=100\n",
		"  kept      green, without traffic, for inspection\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "Stage 5/5") {
		t.Error("a stage ran after the failed one")
	}
}

// TestPlansBetweenStages checks that each stage prints, before its first
// step, the plan from the state the stage before left to its own desired
// state (issue 3). The service's state holds provisioning states and ETags
// the files do not, so only the fingerprint line may differ from a plan
// computed from the file of the stage before.
func TestPlansBetweenStages(t *testing.T) {
	opts := defaultOptions()
	_, out, _, err := rollOut(t, opts)
	if err != nil {
		t.Fatal(err)
	}
	steps, err := loadFlow(opts.fsys, opts.dir, opts.stages)
	if err != nil {
		t.Fatal(err)
	}
	progress := regexp.MustCompile(`\n  \d+:\d\d:\d\d  `)
	stages := strings.Split(out, "\nStage ")[1:]
	if len(stages) != len(steps) {
		t.Fatalf("%d stages printed, want %d", len(stages), len(steps))
	}
	for i, s := range steps {
		var before []*endpoint.Endpoint
		if i > 0 {
			before = []*endpoint.Endpoint{steps[i-1].want}
		}
		p, err := plan.Compute([]*endpoint.Endpoint{s.want}, before, plan.Options{Strategy: s.strategy})
		if err != nil {
			t.Fatal(err)
		}
		_, want, _ := strings.Cut(p.String(), "\n")
		want = "  " + strings.ReplaceAll(want, "\n", "\n  ")
		want = strings.ReplaceAll(want, "\n  \n", "\n\n")
		at := strings.Index(stages[i], strings.TrimSpace(want))
		first := progress.FindStringIndex(stages[i])
		if at < 0 || first == nil || first[0] < at {
			t.Errorf("stage %d does not print this plan before its progress:\n%s\ngot:\n%s", i+1, want, stages[i])
		}
	}
}

func TestCommandFlags(t *testing.T) {
	tests := []struct {
		name, reason string
		args         []string
		code         int
		stderr       string
	}{
		{"help", "asking for help is no error", []string{"-h"}, 0, "Exit status: 0 when"},
		{"unknown flag", "a typo must not start a rollout", []string{"-fail-blue"}, 2, "flag provided but not defined"},
		{"zero speed", "a service that never ends its operations would hang", []string{"-speed", "0"}, 2, "a speed from 1 to 10000"},
		{"too fast", "the bake's requests would not fit in its window in real time", []string{"-speed", "1e5"}, 2, "a speed from 1 to 10000"},
		{"argument", "the program takes no files; the flow is built in", []string{"flow"}, 2, "want no arguments"},
		{"fastest", "the speed changes only how long the rollout takes in real time", []string{"-speed", "10000"}, 0, ""},
		{"fail green", "a stopped rollout is a failure, said once on stderr", []string{"-fail-green"}, 1,
			"canary: rollout: step my-endpoint/gate/bake/1 (gate) failed: metric gate \"bake\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			synctest.Test(t, func(t *testing.T) {
				if code := command(t.Context(), tc.args, &stdout, &stderr); code != tc.code {
					t.Errorf("%s: exit status %d, want %d", tc.reason, code, tc.code)
				}
			})
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("%s: stderr %q lacks %q", tc.reason, stderr.String(), tc.stderr)
			}
			if tc.stderr == "" && stderr.Len() > 0 {
				t.Errorf("%s: stderr %q, want nothing", tc.reason, stderr.String())
			}
		})
	}
}

// TestCancel checks that an interrupt stops the rollout with the
// context's error instead of running on or rolling back.
func TestCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), defaultOptions().real(5*time.Minute))
		defer cancel()
		var stdout, stderr bytes.Buffer
		if code := command(ctx, nil, &stdout, &stderr); code != 1 {
			t.Errorf("exit status %d, want 1", code)
		}
		if !strings.Contains(stderr.String(), context.DeadlineExceeded.Error()) {
			t.Errorf("stderr %q does not name the cancellation", stderr.String())
		}
		if strings.Contains(stdout.String(), "Stage 2/5") {
			t.Error("a stage started after the cancellation")
		}
	})
}

// endpointYAML is a minimal endpoint file with blue and green.
func endpointYAML(name, traffic, greenModel string) string {
	return `name: ` + name + `
traffic: {` + traffic + `}
deployments:
  - name: blue
    model: azureml:m:1
    instance_type: Standard_DS3_v2
    instance_count: 1
  - name: green
    model: ` + greenModel + `
    instance_type: Standard_DS3_v2
    instance_count: 1
`
}

func TestLoadFlow(t *testing.T) {
	files := fstest.MapFS{
		"f/blue.yaml":      {Data: []byte(endpointYAML("my-ep", "blue: 100", "azureml:m:2"))},
		"f/green.yaml":     {Data: []byte(endpointYAML("my-ep", "green: 100", "azureml:m:2"))},
		"f/ten.yaml":       {Data: []byte(endpointYAML("my-ep", "blue: 90, green: 10", "azureml:m:2"))},
		"f/half.yaml":      {Data: []byte(endpointYAML("my-ep", "blue: 50, green: 50", "azureml:m:2"))},
		"f/newer.yaml":     {Data: []byte(endpointYAML("my-ep", "blue: 90, green: 10", "azureml:m:3"))},
		"f/other.yaml":     {Data: []byte(endpointYAML("other-ep", "blue: 100", "azureml:m:2"))},
		"f/bad.yaml":       {Data: []byte(endpointYAML("my-ep", "blue: 60", "azureml:m:2"))},
		"f/dark.yaml":      {Data: []byte(endpointYAML("my-ep", "", "azureml:m:2"))},
		"f/notes/ten.yaml": {Data: []byte("not: [a spec")},
	}
	tests := []struct {
		name, reason string
		stages       []stage
		strategies   []string
		err          string
	}{
		{
			name:       "canary",
			reason:     "the through file's split is the stage at 10% of the way",
			stages:     []stage{{file: "blue.yaml"}, {file: "green.yaml", through: "ten.yaml"}},
			strategies: []string{"direct", "canary:10"},
		},
		{
			name:       "half",
			reason:     "any split on the ramp works, not only the tutorial's",
			stages:     []stage{{file: "blue.yaml"}, {file: "green.yaml", through: "half.yaml"}},
			strategies: []string{"direct", "canary:50"},
		},
		{
			name:   "no stages",
			reason: "nothing to run is a mistake in the options, not an empty rollout",
			err:    "no stages to run",
		},
		{
			name:   "missing file",
			reason: "a stage naming a file that is not there stops before anything runs",
			stages: []stage{{file: "gone.yaml"}},
			err:    "gone.yaml",
		},
		{
			name:   "two endpoints",
			reason: "a stage about another endpoint would make the walk-through meaningless",
			stages: []stage{{file: "blue.yaml"}, {file: "other.yaml"}},
			err:    "other.yaml: endpoint other-ep, but the flow is about my-ep",
		},
		{
			name:   "invalid spec",
			reason: "the loader's positioned error reaches the user unchanged",
			stages: []stage{{file: "bad.yaml"}},
			err:    "f/bad.yaml:2:",
		},
		{
			name:   "through first",
			reason: "a canary starts from the traffic of the stage before",
			stages: []stage{{file: "green.yaml", through: "ten.yaml"}},
			err:    "ten.yaml: a canary needs the traffic of a stage before it",
		},
		{
			name:   "more than traffic",
			reason: "the canary applies only the through file's traffic, so any other change in it would be lost",
			stages: []stage{{file: "blue.yaml"}, {file: "green.yaml", through: "newer.yaml"}},
			err:    "newer.yaml: differs from the stage after it in more than traffic",
		},
		{
			name:   "off the ramp",
			reason: "a split the ramp never reaches cannot be a canary stage",
			stages: []stage{{file: "blue.yaml"}, {file: "ten.yaml", through: "half.yaml"}},
			err:    "half.yaml: traffic blue=50 green=50 is no stage of a canary from blue=100 to blue=90 green=10",
		},
		{
			name:   "dark",
			reason: "a ramp needs traffic at both ends",
			stages: []stage{{file: "dark.yaml"}, {file: "green.yaml", through: "ten.yaml"}},
			err:    "ten.yaml: traffic",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			steps, err := loadFlow(files, "f", tc.stages)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("%s: error %v, want one containing %q", tc.reason, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.reason, err)
			}
			var got []string
			for _, s := range steps {
				got = append(got, s.strategy.String())
			}
			if !slices.Equal(got, tc.strategies) {
				t.Errorf("%s: strategies %v, want %v", tc.reason, got, tc.strategies)
			}
		})
	}
}

// TestRunLoadsFirst checks that a broken stage stops the program before it
// prints or changes anything.
func TestRunLoadsFirst(t *testing.T) {
	opts := defaultOptions()
	opts.stages = append(tutorial(), stage{title: "Missing", file: "7-missing.yaml"})
	var out bytes.Buffer
	if err := run(context.Background(), &out, opts); err == nil || !strings.Contains(err.Error(), "7-missing.yaml") {
		t.Fatalf("error %v, want one about 7-missing.yaml", err)
	}
	if out.Len() != 0 {
		t.Errorf("printed %q before failing", out.String())
	}
}

// TestTutorialStages checks that the built-in flow uses every file in
// flow/, so that none lies about what the program does.
func TestTutorialStages(t *testing.T) {
	entries, err := flowFS.ReadDir("flow")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	var used []string
	for _, s := range tutorial() {
		used = append(used, s.file)
		if s.through != "" {
			used = append(used, s.through)
		}
	}
	slices.Sort(used)
	if !slices.Equal(used, names) {
		t.Errorf("stages use %v, flow/ holds %v", used, names)
	}
}

func TestAnswers(t *testing.T) {
	tests := []struct {
		name, reason string
		add          func(answers)
		want         string
	}{
		{
			name:   "one answer each",
			reason: "a deployment that always answers the same shows the answer once, without a count",
			add: func(a answers) {
				a.add(&backend.InvokeResponse{Deployment: "green", Status: 200, Body: []byte("v2")})
				a.add(&backend.InvokeResponse{Deployment: "blue", Status: 200, Body: []byte("v1")})
				a.add(&backend.InvokeResponse{Deployment: "blue", Status: 200, Body: []byte("v1")})
			},
			want: "blue 2 (v1), green 1 (v2)",
		},
		{
			name:   "errors",
			reason: "errors are told apart from answers by their status, with a count for each",
			add: func(a answers) {
				for i := range 1200 {
					if i%5 == 0 {
						a.add(&backend.InvokeResponse{Deployment: "green", Status: 500, Body: []byte("internal server error")})
						continue
					}
					a.add(&backend.InvokeResponse{Deployment: "green", Status: 200, Body: []byte("v2")})
				}
			},
			want: "green 1,200 (960 v2, 240 status 500)",
		},
		{
			name:   "dark",
			reason: "a request no deployment answered is counted, not dropped",
			add: func(a answers) {
				a.add(&backend.InvokeResponse{Status: 404})
			},
			want: "no deployment 1 (status 404)",
		},
	}
	for _, tc := range tests {
		a := answers{}
		tc.add(a)
		if got := a.String(); got != tc.want {
			t.Errorf("%s: %q, want %q: %s", tc.name, got, tc.want, tc.reason)
		}
	}
}

func TestThousands(t *testing.T) {
	tests := []struct {
		n            int
		want, reason string
	}{
		{0, "0", "no separator in short numbers"},
		{999, "999", "three digits stay one group"},
		{1000, "1,000", "the first separator"},
		{1234567, "1,234,567", "every group of three from the right"},
	}
	for _, tc := range tests {
		if got := thousands(tc.n); got != tc.want {
			t.Errorf("thousands(%d) = %q, want %q: %s", tc.n, got, tc.want, tc.reason)
		}
	}
}

// BenchmarkRun measures a whole run in real time at the top speed, where
// 46.5 simulated minutes take 279 ms of waiting; the rest is the program's
// and the library's own work.
func BenchmarkRun(b *testing.B) {
	b.ReportAllocs()
	opts := defaultOptions()
	opts.speed = maxSpeed
	for b.Loop() {
		if err := run(context.Background(), io.Discard, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendNow measures a stage's 1,000 live requests at blue=90
// green=10, routed by the service and counted by answer.
func BenchmarkSendNow(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	opts := defaultOptions()
	steps, err := loadFlow(opts.fsys, opts.dir, []stage{{file: "4-flight-green.yaml"}})
	if err != nil {
		b.Fatal(err)
	}
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency(), Handlers: handlers(false)})
	if _, err := rollout.Run(ctx, svc, []*endpoint.Endpoint{steps[0].want}, plan.Options{}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		got, err := sendNow(ctx, svc, "my-endpoint", liveRequests)
		if err != nil {
			b.Fatal(err)
		}
		if got["green"]["v2"] != liveRequests/10 {
			b.Fatalf("green answered %v, want %d", got["green"], liveRequests/10)
		}
	}
}

// BenchmarkLoadFlow measures loading, validating and normalizing the six
// files and deciding the canary's percent.
func BenchmarkLoadFlow(b *testing.B) {
	b.ReportAllocs()
	opts := defaultOptions()
	for b.Loop() {
		if _, err := loadFlow(opts.fsys, opts.dir, opts.stages); err != nil {
			b.Fatal(err)
		}
	}
}
