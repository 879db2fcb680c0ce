package plan_test

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes/gen"
	"github.com/rolloutkit/rollout/internal/cputime"
	"github.com/rolloutkit/rollout/plan"
	"github.com/rolloutkit/rollout/traffic"
)

// benchDeployment is a managed deployment as users write it, with an
// environment variable that looks secret so that redaction is part of the
// cost measured.
func benchDeployment(name string, model, count int) endpoint.Deployment {
	return endpoint.Deployment{
		Name:  name,
		Type:  endpoint.Managed,
		Model: endpoint.Reference{Name: "model", Version: strconv.Itoa(model)},
		CodeConfiguration: endpoint.CodeConfiguration{
			Code:          endpoint.Reference{Name: "score-code", Version: "1"},
			ScoringScript: "score.py",
		},
		Environment:          endpoint.Environment{Reference: endpoint.Reference{Name: "sklearn-env", Version: "3"}},
		EnvironmentVariables: map[string]string{"LOG_LEVEL": "info", "API_KEY": "s3cr3t-bench"},
		InstanceType:         "Standard_DS3_v2",
		InstanceCount:        count,
	}
}

// benchCanary is one endpoint in the middle of a canary: actual serves
// blue=100 and has green at 0 with a new model on one instance; desired
// scales green up, moves 10 percent to it and bumps blue's model.
func benchCanary(name string) (desired, actual *endpoint.Endpoint) {
	actual = &endpoint.Endpoint{
		Name:        name,
		AuthMode:    endpoint.AuthKey,
		Traffic:     traffic.MustNew(map[string]int{"blue": 100}),
		Deployments: []endpoint.Deployment{benchDeployment("blue", 1, 2), benchDeployment("green", 2, 1)},
	}
	desired = actual.Clone()
	desired.Traffic = traffic.MustNew(map[string]int{"blue": 90, "green": 10})
	desired.Deployments[1].InstanceCount = 2
	return desired, actual
}

// benchWide is one endpoint with n deployments sharing the traffic; the
// desired state moves a share from the second to the first, scales the
// first up and gives every fourth deployment a new model.
func benchWide(name string, n int) (desired, actual *endpoint.Endpoint) {
	actual = &endpoint.Endpoint{Name: name, AuthMode: endpoint.AuthKey}
	shares := map[string]int{}
	for i := range n {
		d := fmt.Sprintf("d%02d", i)
		actual.Deployments = append(actual.Deployments, benchDeployment(d, 1, 1))
		shares[d] = 100 / n
	}
	shares["d00"] += 100 - 100/n*n
	actual.Traffic = traffic.MustNew(shares)
	desired = actual.Clone()
	shares["d00"] += shares["d01"]
	shares["d01"] = 0
	desired.Traffic = traffic.MustNew(shares)
	desired.Deployments[0].InstanceCount = 2
	for i := 0; i < n; i += 4 {
		desired.Deployments[i].Model.Version = "2"
	}
	return desired, actual
}

// benchFleet is n endpoints of 4 deployments each: blue and green serve,
// canary takes a mirror and old is idle. Desired moves half of blue's
// share to green (scaling green up first), updates canary's model and
// deletes old, so each endpoint needs a scale-up, an update, a traffic
// step and a delete.
func benchFleet(n int) (desired, actual []*endpoint.Endpoint) {
	for i := range n {
		a := &endpoint.Endpoint{
			Name:     fmt.Sprintf("fleet-%05d", i),
			AuthMode: endpoint.AuthKey,
			Traffic:  traffic.MustNew(map[string]int{"blue": 80, "green": 20}),
			Mirror:   traffic.MustNew(map[string]int{"canary": 10}),
			Deployments: []endpoint.Deployment{
				benchDeployment("blue", 1, 3), benchDeployment("canary", 3, 1),
				benchDeployment("green", 2, 1), benchDeployment("old", 1, 1),
			},
		}
		d := a.Clone()
		d.Traffic = traffic.MustNew(map[string]int{"blue": 40, "green": 60})
		d.Deployments[1].Model.Version = "4"
		d.Deployments[2].InstanceCount = 3
		d.Deployments = d.Deployments[:3]
		desired = append(desired, d)
		actual = append(actual, a)
	}
	return desired, gen.Provisioned(actual)
}

// benchCompute plans desired against actual b.N times and reports the
// cost per endpoint as well as per plan, in wall and thread CPU time.
func benchCompute(b *testing.B, desired, actual []*endpoint.Endpoint) {
	b.Helper()
	benchAgainst(b, desired, actual, nil)
}

// benchAgainst is benchCompute that, given a floor, also runs it after
// every plan, so that a loaded machine slows both alike, and reports the
// plan's time as a ratio of the floor's: x-floor in wall time, and
// cpu-x-floor in the CPU time of the thread, which time others hold the
// machine inflates less.
func benchAgainst(b *testing.B, desired, actual []*endpoint.Endpoint, floor func()) {
	b.Helper()
	if _, err := plan.Compute(desired, actual, plan.Options{}); err != nil {
		b.Fatal(err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	var before, after runtime.MemStats
	var compute, under, computeCPU, underCPU time.Duration
	runtime.ReadMemStats(&before)
	for b.Loop() {
		start, startCPU := time.Now(), cputime.Thread()
		if _, err := plan.Compute(desired, actual, plan.Options{}); err != nil {
			b.Fatal(err)
		}
		mid, midCPU := time.Now(), cputime.Thread()
		compute += mid.Sub(start)
		computeCPU += midCPU - startCPU
		if floor == nil {
			continue
		}
		floor()
		under += time.Since(mid)
		underCPU += cputime.Thread() - midCPU
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	n := float64(b.N) * float64(len(desired))
	b.ReportMetric(float64(compute.Nanoseconds())/n, "ns/endpoint")
	if computeCPU > 0 {
		b.ReportMetric(float64(computeCPU.Nanoseconds())/n, "cpu-ns/endpoint")
	}
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/endpoint")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "B/endpoint")
	if floor != nil {
		b.ReportMetric(float64(under.Nanoseconds())/n, "ns/floor")
		b.ReportMetric(float64(compute)/float64(under), "x-floor")
		if underCPU > 0 {
			b.ReportMetric(float64(underCPU.Nanoseconds())/n, "cpu-ns/floor")
			b.ReportMetric(float64(computeCPU)/float64(underCPU), "cpu-x-floor")
		}
	}
}

// perEndpoint plans desired against actual at least once and until about
// 200,000 endpoints have been planned, and returns the time (wall, and
// CPU of the process: the collector's included, others' excluded),
// bytes and allocations per endpoint, in the steady state of a process
// that plans such fleets again and again: after a first plan, untimed.
func perEndpoint(b *testing.B, desired, actual []*endpoint.Endpoint) (ns, cpu, bytes, allocs float64) {
	b.Helper()
	runs := max(1, 200_000/len(desired))
	var before, after runtime.MemStats
	// The first plan grows the heap to what planning this fleet takes,
	// faulting in its pages: about 0.6 GB for 100,000 changed endpoints.
	// The smaller fleets are planned hundreds of times, and all but the
	// first find it grown; the largest only twice.
	if _, err := plan.Compute(desired, actual, plan.Options{}); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&before)
	start, startCPU := time.Now(), cputime.Process()
	for range runs {
		if _, err := plan.Compute(desired, actual, plan.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	elapsed, used := time.Since(start), cputime.Process()-startCPU
	runtime.ReadMemStats(&after)
	n := float64(runs * len(desired))
	return float64(elapsed.Nanoseconds()) / n, float64(used.Nanoseconds()) / n,
		float64(after.TotalAlloc-before.TotalAlloc) / n, float64(after.Mallocs-before.Mallocs) / n
}

// BenchmarkComputeFleetCurve plans fleets of 1,000, 10,000 and 100,000
// endpoints of 4 deployments, unchanged and with 4 changes each, and
// reports the cost per endpoint at each size and the ratio of the largest
// to the smallest, measured in one run, in wall time (100k/1k) and in the
// CPU time of the process (cpu-100k/1k), which a loaded machine inflates
// less: planning is linear in the fleet when the ratio stays near 1.
func BenchmarkComputeFleetCurve(b *testing.B) {
	for _, kind := range []string{"unchanged", "changed"} {
		b.Run(kind, func(b *testing.B) {
			sizes := []int{1000, 10000, 100000}
			ns := make([]float64, len(sizes))
			cpu := make([]float64, len(sizes))
			for b.Loop() {
				for i, n := range sizes {
					desired, actual := benchFleet(n)
					if kind == "unchanged" {
						desired = gen.Specs(actual)
					}
					var bytes, allocs float64
					ns[i], cpu[i], bytes, allocs = perEndpoint(b, desired, actual)
					b.ReportMetric(ns[i], fmt.Sprintf("ns/endpoint@%dk", n/1000))
					b.ReportMetric(cpu[i], fmt.Sprintf("cpu-ns/endpoint@%dk", n/1000))
					b.ReportMetric(bytes, fmt.Sprintf("B/endpoint@%dk", n/1000))
					b.ReportMetric(allocs, fmt.Sprintf("allocs/endpoint@%dk", n/1000))
				}
			}
			b.ReportMetric(ns[2]/ns[0], "100k/1k")
			if cpu[0] > 0 {
				b.ReportMetric(cpu[2]/cpu[0], "cpu-100k/1k")
			}
		})
	}
}

func BenchmarkCompute2(b *testing.B) {
	d, a := benchCanary("my-endpoint")
	benchCompute(b, []*endpoint.Endpoint{d}, gen.Provisioned([]*endpoint.Endpoint{a}))
}

func BenchmarkCompute20(b *testing.B) {
	d, a := benchWide("wide-endpoint", 20)
	benchCompute(b, []*endpoint.Endpoint{d}, gen.Provisioned([]*endpoint.Endpoint{a}))
}

func BenchmarkComputeFleet10000x4(b *testing.B) {
	desired, actual := benchFleet(10000)
	benchCompute(b, desired, actual)
}

// BenchmarkComputeFleetUnchanged10000x4 plans a fleet whose desired state
// is what the service reports, the common case of a periodic
// reconciliation: the plan is empty and planning should cost little more
// than comparing. endpoint.Equal over the same pairs, timed after every
// plan in the same run, is the floor; x-floor (cpu-x-floor in CPU time)
// is the ratio.
func BenchmarkComputeFleetUnchanged10000x4(b *testing.B) {
	_, actual := benchFleet(10000)
	desired := gen.Specs(actual)
	benchAgainst(b, desired, actual, func() {
		for i := range desired {
			if !endpoint.Equal(desired[i], actual[i]) {
				b.Fatalf("%s differs", desired[i].Name)
			}
		}
	})
}

// BenchmarkComputed measures what trusting a computed plan costs an
// executor: plan.Computed digests every step again, for a plan over 50
// endpoints with 4 changes each.
func BenchmarkComputed(b *testing.B) {
	desired, actual := benchFleet(50)
	p, err := plan.Compute(desired, actual, plan.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if !plan.Computed(p) {
			b.Fatal("the plan Compute returned is not Computed")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(p.Steps)), "ns/step")
}
