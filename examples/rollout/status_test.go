package main

import (
	"strings"
	"testing"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

// TestStatusInFlight: mirror traffic gets its own bars, and an operation
// in progress is named with the resource it runs on.
func TestStatusInFlight(t *testing.T) {
	e := &endpoint.Endpoint{
		Name:    "credit-risk",
		Traffic: traffic.MustNew(map[string]int{"blue": 100}),
		Mirror:  traffic.MustNew(map[string]int{"green": 20}),
		Deployments: []endpoint.Deployment{
			{Name: "blue", InstanceCount: 3},
			{Name: "green", InstanceCount: 1, Status: endpoint.Status{ProvisioningState: endpoint.Updating}},
		},
	}
	var b strings.Builder
	writeEndpoint(&b, e)
	for _, want := range []string{
		"    blue         ████████████████████ 100%\n",
		"  Mirror traffic:\n    green        ████░░░░░░░░░░░░░░░░  20%\n",
		"    green        Updating   instances 1\n",
		"  In flight: deployment green Updating\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in:\n%s", want, b.String())
		}
	}
}
