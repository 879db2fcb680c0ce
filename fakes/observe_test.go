package fakes

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rolloutkit/rollout/endpoint"
)

// describe prints a state compactly: op, target, phase, and each
// endpoint's state, traffic and deployments' states.
func describe(st State) string {
	var b strings.Builder
	phase := "start"
	if st.End {
		phase = "end"
	}
	fmt.Fprintf(&b, "%d %s %s %s:", st.Seq, st.Op, st.Target, phase)
	for _, e := range st.Endpoints {
		fmt.Fprintf(&b, " %s=%s[%v]", e.Name, e.Status.ProvisioningState, e.Traffic)
		for _, d := range e.Deployments {
			fmt.Fprintf(&b, " %s=%s", d.Name, d.Status.ProvisioningState)
		}
	}
	return b.String()
}

func TestHistory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var seen []State
		s := New(Options{OnState: func(st State) { seen = append(seen, st) }})
		start := time.Now()
		setup(t, s, map[string]int{"blue": 100}, "blue")
		must(t, s.DeleteEndpoint(context.Background(), ep))

		want := []string{
			"1 CreateOrUpdateEndpoint my-endpoint start: my-endpoint=Creating[]",
			"2 CreateOrUpdateEndpoint my-endpoint end: my-endpoint=Succeeded[]",
			"3 CreateOrUpdateDeployment my-endpoint/blue start: my-endpoint=Succeeded[] blue=Creating",
			"4 CreateOrUpdateDeployment my-endpoint/blue end: my-endpoint=Succeeded[] blue=Succeeded",
			"5 CreateOrUpdateEndpoint my-endpoint start: my-endpoint=Updating[blue=100] blue=Succeeded",
			"6 CreateOrUpdateEndpoint my-endpoint end: my-endpoint=Succeeded[blue=100] blue=Succeeded",
			"7 DeleteEndpoint my-endpoint start: my-endpoint=Deleting[blue=100] blue=Deleting",
			"8 DeleteEndpoint my-endpoint end:",
		}
		history := s.History()
		for i, st := range history {
			if i >= len(want) || describe(st) != want[i] {
				t.Errorf("history[%d] = %s", i, describe(st))
			}
		}
		if len(history) != len(want) {
			t.Fatalf("history has %d states, want %d", len(history), len(want))
		}
		if len(seen) != len(history) {
			t.Fatalf("OnState saw %d states, history has %d", len(seen), len(history))
		}
		for i := range seen {
			if describe(seen[i]) != describe(history[i]) {
				t.Errorf("OnState[%d] = %s, history has %s", i, describe(seen[i]), describe(history[i]))
			}
		}
		// Endpoint create 1m, deployment create 10m, traffic 30s, delete 2m.
		ends := []time.Duration{time.Minute, 11 * time.Minute, 11*time.Minute + 30*time.Second, 13*time.Minute + 30*time.Second}
		for i, d := range ends {
			if got := history[2*i+1].Time.Sub(start); got != d {
				t.Errorf("state %d at %v, want %v", 2*i+2, got, d)
			}
		}
	})
}

func TestHistoryIsACopy(t *testing.T) {
	var hooked []State
	s := New(Options{Latency: NoLatency(), OnState: func(st State) { hooked = append(hooked, st) }})
	setup(t, s, nil, "blue")
	h := s.History()
	h[len(h)-1].Endpoints[0].Deployments[0].InstanceCount = 99
	hooked[len(hooked)-1].Endpoints[0].Description = "changed by hook"
	again := s.History()
	last := again[len(again)-1].Endpoint("MY-ENDPOINT")
	if last == nil || last.Deployments[0].InstanceCount != 1 || last.Description != "" {
		t.Errorf("history changed through a copy handed out: %+v", last)
	}
	cur, _ := s.GetEndpoint(context.Background(), ep)
	if cur.Deployments[0].InstanceCount != 1 {
		t.Error("the service's state changed through a history copy")
	}
}

func TestNoHistory(t *testing.T) {
	s := New(Options{Latency: NoLatency(), NoHistory: true})
	setup(t, s, nil, "blue")
	if h := s.History(); len(h) != 0 {
		t.Errorf("History() = %d states with NoHistory", len(h))
	}
}

// TestOnStateMayCallService shows that the hook holds no lock: it reads the
// service and writes to it (the write's states come after the hook
// returns, still in order).
func TestOnStateMayCallService(t *testing.T) {
	var s *Service
	var log []string
	wrote := false
	s = New(Options{Latency: NoLatency(), NoHistory: true, OnState: func(st State) {
		e, err := s.GetEndpoint(context.Background(), ep)
		if err == nil {
			log = append(log, fmt.Sprintf("%d %s %s", st.Seq, st.Op, e.Status.ProvisioningState))
		}
		if st.Seq == 2 && !wrote {
			wrote = true
			must(t, s.CreateOrUpdateEndpoint(context.Background(), &endpoint.Endpoint{Name: ep, Description: "from hook"}))
		}
	}})
	must(t, s.CreateOrUpdateEndpoint(context.Background(), &endpoint.Endpoint{Name: ep}))
	want := "1 CreateOrUpdateEndpoint Succeeded|2 CreateOrUpdateEndpoint Succeeded|3 CreateOrUpdateEndpoint Succeeded|4 CreateOrUpdateEndpoint Succeeded"
	if got := strings.Join(log, "|"); got != want {
		t.Errorf("hook saw %s\nwant %s", got, want)
	}
}
