package traffic_test

import (
	"errors"
	"testing"

	"github.com/rolloutkit/rollout/traffic"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
		reason  string
	}{
		{in: "blue=100", reason: "one deployment takes everything"},
		{in: "blue=90 green=10", reason: "two deployments totalling 100"},
		{in: "", reason: "a dark endpoint is valid"},
		{in: "blue=0", reason: "all zero is dark"},
		{in: "blue=60 green=30", wantErr: "traffic: total is 90, must be exactly 100 or 0 (blue=60 green=30)", reason: "under 100 leaves traffic unrouted"},
		{in: "blue=60 green=50", wantErr: "traffic: total is 110, must be exactly 100 or 0 (blue=60 green=50)", reason: "over 100"},
		{in: "blue=1", wantErr: "traffic: total is 1, must be exactly 100 or 0 (blue=1)", reason: "smallest wrong total"},
	}
	for _, tc := range tests {
		err := traffic.MustParse(tc.in).Validate()
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("Validate(%q) = %v, want nil (%s)", tc.in, err, tc.reason)
			}
			continue
		}
		if err == nil || err.Error() != tc.wantErr {
			t.Errorf("Validate(%q) = %v, want %s (%s)", tc.in, err, tc.wantErr, tc.reason)
			continue
		}
		var e *traffic.Error
		if !errors.As(err, &e) || e.Deployment != "" || e.Percent != traffic.MustParse(tc.in).Total() || !errors.Is(err, traffic.ErrInvalid) {
			t.Errorf("Validate(%q) error %#v should carry the total and match ErrInvalid", tc.in, err)
		}
	}
}

func TestValidateMirror(t *testing.T) {
	tests := []struct {
		mirror, live string
		wantErr      string
		reason       string
	}{
		{mirror: "", live: "blue=100", reason: "no mirror"},
		{mirror: "green=10", live: "blue=100", reason: "a small mirror to an idle deployment"},
		{mirror: "green=50", live: "blue=100", reason: "50 is the most allowed"},
		{mirror: "green=10", live: "blue=100 green=0", reason: "a zero live entry is no live traffic"},
		{mirror: "green=10", live: "", reason: "the rules do not need live traffic"},
		{mirror: "green=51", live: "blue=100", wantErr: "traffic: green=51: mirror percent must be at most 50, got 51", reason: "over 50"},
		{mirror: "green=10 red=10", live: "blue=100", wantErr: "traffic: mirror traffic may name at most one deployment, not 2 (green=10 red=10)", reason: "two mirrors"},
		{mirror: "blue=10", live: "blue=90 green=10", wantErr: "traffic: blue=10: mirror deployment also has 90% live traffic; mirror only to a deployment with no live traffic", reason: "mirror to a live deployment"},
	}
	for _, tc := range tests {
		err := traffic.MustParse(tc.mirror).ValidateMirror(traffic.MustParse(tc.live))
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("ValidateMirror(%q, live %q) = %v, want nil (%s)", tc.mirror, tc.live, err, tc.reason)
			}
			continue
		}
		if err == nil || err.Error() != tc.wantErr || !errors.Is(err, traffic.ErrInvalid) {
			t.Errorf("ValidateMirror(%q, live %q) = %v, want %s (%s)", tc.mirror, tc.live, err, tc.wantErr, tc.reason)
		}
	}
}
