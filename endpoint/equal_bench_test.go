package endpoint

import (
	"maps"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rolloutkit/rollout/internal/cputime"
	"github.com/rolloutkit/rollout/traffic"
)

// fleetDeployment is a deployment of the planner's fleet benchmarks:
// registered assets and two environment variables.
func fleetDeployment(name string, model, count int) Deployment {
	return Deployment{
		Name:  name,
		Model: Reference{Name: "model", Version: strconv.Itoa(model)},
		CodeConfiguration: CodeConfiguration{
			Code:          Reference{Name: "score-code", Version: "1"},
			ScoringScript: "score.py",
		},
		Environment:          Environment{Reference: Reference{Name: "sklearn-env", Version: "3"}},
		EnvironmentVariables: map[string]string{"LOG_LEVEL": "info", "API_KEY": "s3cr3t-bench"},
		InstanceType:         "Standard_DS3_v2",
		InstanceCount:        count,
	}
}

// fleetEndpoint is an endpoint of four deployments, normalized, built
// anew on every call so that two of them share no map.
func fleetEndpoint() *Endpoint {
	return Normalized(&Endpoint{
		Name:    "fleet-00001",
		Traffic: traffic.MustNew(map[string]int{"blue": 80, "green": 20}),
		Mirror:  traffic.MustNew(map[string]int{"canary": 10}),
		Deployments: []Deployment{
			fleetDeployment("blue", 1, 3), fleetDeployment("canary", 3, 1),
			fleetDeployment("green", 2, 1), fleetDeployment("old", 1, 1),
		},
	})
}

// BenchmarkEqual4 compares two equal endpoints of four deployments with
// Equal and, in the same run, with a comparison written out field by
// field (the shape Equal had before it was generated from the tables),
// the two taking turns in short rounds so that a loaded machine slows
// both alike. It reports both times, wall and CPU (which a loaded machine
// inflates less), and Equal's as a ratio of the baseline's.
func BenchmarkEqual4(b *testing.B) {
	x, y := fleetEndpoint(), fleetEndpoint()
	if !Equal(x, y) || !baselineEqual(x, y) {
		b.Fatal("the endpoints differ")
	}
	const round = 1024
	var equal, baseline, equalCPU, baselineCPU time.Duration
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	for b.Loop() {
		start, startCPU := time.Now(), cputime.Thread()
		for range round {
			if !Equal(x, y) {
				b.Fatal("not equal")
			}
		}
		mid, midCPU := time.Now(), cputime.Thread()
		for range round {
			if !baselineEqual(x, y) {
				b.Fatal("not equal")
			}
		}
		equal += mid.Sub(start)
		baseline += time.Since(mid)
		equalCPU += midCPU - startCPU
		baselineCPU += cputime.Thread() - midCPU
	}
	n := float64(b.N * round)
	b.ReportMetric(float64(equal.Nanoseconds())/n, "ns/Equal")
	b.ReportMetric(float64(baseline.Nanoseconds())/n, "ns/baseline")
	b.ReportMetric(float64(equal)/float64(baseline), "Equal/baseline")
	if equalCPU > 0 {
		b.ReportMetric(float64(equalCPU.Nanoseconds())/n, "cpu-ns/Equal")
		b.ReportMetric(float64(baselineCPU.Nanoseconds())/n, "cpu-ns/baseline")
	}
}

// baselineEqual is Equal written out field by field, deployments passed
// by value.
func baselineEqual(a, b *Endpoint) bool {
	if a.Name != b.Name || a.Description != b.Description ||
		!maps.Equal(a.Tags, b.Tags) || !maps.Equal(a.Properties, b.Properties) ||
		a.AuthMode != b.AuthMode || a.Compute != b.Compute ||
		!identityEqual(a.Identity, b.Identity) || a.PublicNetworkAccess != b.PublicNetworkAccess ||
		!a.Traffic.Equal(b.Traffic) || !a.Mirror.Equal(b.Mirror) ||
		len(a.Deployments) != len(b.Deployments) {
		return false
	}
	return slices.EqualFunc(a.Deployments, b.Deployments, baselineDeploymentEqual)
}

func baselineDeploymentEqual(a, b Deployment) bool {
	return a.Name == b.Name && a.Type == b.Type && a.Description == b.Description &&
		maps.Equal(a.Tags, b.Tags) && maps.Equal(a.Properties, b.Properties) &&
		SameAsset(a.Model, b.Model) && a.ModelMountPath == b.ModelMountPath &&
		SameAsset(a.CodeConfiguration.Code, b.CodeConfiguration.Code) &&
		a.CodeConfiguration.ScoringScript == b.CodeConfiguration.ScoringScript &&
		sameEnvironment(a.Environment, b.Environment) &&
		maps.Equal(a.EnvironmentVariables, b.EnvironmentVariables) &&
		a.InstanceType == b.InstanceType && a.InstanceCount == b.InstanceCount &&
		a.ScaleSettings == b.ScaleSettings && a.RequestSettings == b.RequestSettings &&
		a.LivenessProbe == b.LivenessProbe && a.ReadinessProbe == b.ReadinessProbe &&
		a.StartupProbe == b.StartupProbe && a.AppInsightsEnabled == b.AppInsightsEnabled &&
		a.EgressPublicNetworkAccess == b.EgressPublicNetworkAccess &&
		dataCollectorEqual(a.DataCollector, b.DataCollector) && a.Resources == b.Resources
}
