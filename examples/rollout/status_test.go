package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

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

// TestStatusWatch: --watch reads the service again every --interval, with
// a blank line between one status and the next, until interrupted, and
// then exits 0. The clock is a synctest bubble's, so the count of reads is
// exact.
func TestStatusWatch(t *testing.T) {
	args := []string{"status", "--from", filepath.Join("testdata", "specs"), "credit-risk"}
	var once strings.Builder
	if code := (&command{stdin: strings.NewReader(""), stdout: &once, stderr: io.Discard}).run(context.Background(), args); code != exitOK {
		t.Fatalf("status: exit %d", code)
	}
	tests := []struct {
		reason   string
		interval string
		stop     time.Duration
		reads    int
	}{
		{"reads at 0, 1, 2 and 3 seconds, stopped at 3.5", "1s", 3500 * time.Millisecond, 4},
		{"stopped before the second read", "10s", 9 * time.Second, 1},
		{"stopped just after the third read, while waiting for the fourth", "2s", 4*time.Second + time.Millisecond, 3},
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tt.stop)
			defer cancel()
			var stdout, stderr strings.Builder
			c := &command{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr}
			code := c.run(ctx, append([]string{"status", "--watch", "--interval", tt.interval}, args[1:]...))
			if code != exitOK {
				t.Fatalf("%s: exit %d, stderr:\n%s", tt.reason, code, stderr.String())
			}
			want := strings.Repeat(once.String()+"\n", tt.reads-1) + once.String()
			if stdout.String() != want {
				t.Errorf("%s: %d reads, want %d; stdout:\n%s", tt.reason, strings.Count(stdout.String(), "Endpoint credit-risk"), tt.reads, stdout.String())
			}
		})
	}
}
