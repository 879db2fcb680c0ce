package rollout_test

import (
	"testing"
	"time"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
)

func TestEventString(t *testing.T) {
	tests := []struct {
		reason string
		event  rollout.Event
		want   string
	}{
		{"a step names its id and progress",
			rollout.Event{Kind: rollout.StepFinished, Step: "my-endpoint/green/create", Done: 3, Total: 7, Elapsed: 12*time.Minute + 30*time.Second},
			"[3/7 12m30s] step finished: my-endpoint/green/create"},
		{"a retry says which attempt and why",
			rollout.Event{Kind: rollout.StepRetrying, Step: "e/traffic", Attempt: 2, Err: &backend.Error{Kind: backend.Throttled, Code: "TooManyRequests"}, Total: 1},
			"[0/1 0s] step retrying: e/traffic (attempt 2): backend: throttled: TooManyRequests"},
		{"a rollback names its endpoint",
			rollout.Event{Kind: rollout.RollingBack, Endpoint: "my-endpoint", Attempt: 1, Elapsed: 1500 * time.Millisecond},
			"[0/0 2s] rolling back: my-endpoint"},
		{"an unknown kind still prints", rollout.Event{Kind: 99}, "[0/0 0s] EventKind(99)"},
	}
	for _, tc := range tests {
		if got := tc.event.String(); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.reason, got, tc.want)
		}
	}
}
