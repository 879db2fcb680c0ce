package rollout_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/plan"
)

// TestSerializePerEndpoint: a plan that creates two deployments of one
// endpoint overlaps them by default, which a strict service refuses with
// 409 (retried until it passes); SerializePerEndpoint runs them one after
// the other without a single refusal.
func TestSerializePerEndpoint(t *testing.T) {
	desired := []*endpoint.Endpoint{desiredEndpoint("my-endpoint", "blue=50 green=50", deployment("blue", 1, 1), deployment("green", 2, 1))}
	tests := []struct {
		reason    string
		opts      []rollout.Option
		conflicts bool
	}{
		{"overlapping deployment writes conflict on a strict service", nil, true},
		{"serialized writes never conflict", []rollout.Option{rollout.SerializePerEndpoint()}, false},
	}
	for _, tc := range tests {
		synctest.Test(t, func(t *testing.T) {
			svc := fakes.New(fakes.Options{Strict: true})
			res, err := rollout.Run(t.Context(), svc, desired, plan.Options{}, append(tc.opts, rollout.MaxAttempts(20))...)
			if err != nil {
				t.Fatalf("%s: %v", tc.reason, err)
			}
			if got := res.Retries > 0; got != tc.conflicts {
				t.Errorf("%s: %d retries", tc.reason, res.Retries)
			}
			converged(t, svc, desired, plan.Options{})
		})
	}
}

// TestParallelismBounds: no more steps run at once than Parallelism
// allows, and values below 1 mean the default.
func TestParallelismBounds(t *testing.T) {
	var desired []*endpoint.Endpoint
	for i := range 30 {
		desired = append(desired, desiredEndpoint("fleet-"+string(rune('a'+i/26))+string(rune('a'+i%26)), "blue=100", deployment("blue", 1, 1)))
	}
	tests := []struct {
		reason string
		opt    rollout.Option
		want   int
	}{
		{"one at a time", rollout.Parallelism(1), 1},
		{"a bound of 7 is reached and kept", rollout.Parallelism(7), 7},
		{"zero means the default, above the fleet", rollout.Parallelism(0), min(30, rollout.DefaultParallelism)},
		{"no option is the default", nil, min(30, rollout.DefaultParallelism)},
	}
	for _, tc := range tests {
		synctest.Test(t, func(t *testing.T) {
			svc := fakes.New(fakes.Options{})
			running, peak := 0, 0
			count := rollout.OnEvent(func(e rollout.Event) {
				switch e.Kind {
				case rollout.StepStarted:
					running++
					peak = max(peak, running)
				case rollout.StepFinished:
					running--
				}
			})
			if _, err := rollout.Run(t.Context(), svc, desired, plan.Options{}, tc.opt, count); err != nil {
				t.Fatal(err)
			}
			if peak != tc.want {
				t.Errorf("%s: %d steps ran at once, want %d", tc.reason, peak, tc.want)
			}
		})
	}
}

// TestGatesHoldNoSlot: Parallelism bounds the writes in flight, not the
// gates: with room for one write, a bake that is waiting on one endpoint
// does not keep the next endpoint's write from starting.
func TestGatesHoldNoSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var from, to []*endpoint.Endpoint
		for _, name := range []string{"alpha", "bravo", "charlie"} {
			from = append(from, desiredEndpoint(name, "blue=100", deployment("blue", 1, 1)))
			to = append(to, desiredEndpoint(name, "green=100", deployment("blue", 1, 1), deployment("green", 2, 1)))
		}
		svc := fakes.New(fakes.Options{})
		if _, err := rollout.Run(t.Context(), svc, from, plan.Options{}); err != nil {
			t.Fatal(err)
		}
		writes, gates, peakWrites, overlap := 0, 0, 0, 0
		count := rollout.OnEvent(func(e rollout.Event) {
			switch e.Kind {
			case rollout.StepStarted:
				writes++
				peakWrites = max(peakWrites, writes)
				if gates > 0 {
					overlap++
				}
			case rollout.StepFinished:
				writes--
			case rollout.GateWaiting:
				gates++
			case rollout.GatePassed:
				gates--
			}
		})
		bake := rollout.Gates(map[string]rollout.Gate{"smoke": rollout.SmokeTest(nil, nil), "bake": rollout.Pause(time.Hour)})
		if _, err := rollout.Run(t.Context(), svc, to, plan.Options{Strategy: plan.Canary([]int{10})}, rollout.Parallelism(1), bake, count); err != nil {
			t.Fatal(err)
		}
		if peakWrites != 1 {
			t.Errorf("%d writes at once, want 1", peakWrites)
		}
		if overlap == 0 {
			t.Error("no write started while a bake was waiting: the gates held the only slot")
		}
	})
}
