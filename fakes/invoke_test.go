package fakes

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"

	"github.com/rolloutkit/rollout/backend"
)

func invoke(t *testing.T, s *Service, n int, deployment string) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		resp, err := s.Invoke(context.Background(), ep, backend.InvokeRequest{Deployment: deployment, Body: []byte(`{"x": 1}`)})
		must(t, err)
		got[fmt.Sprintf("%s %d %s", resp.Deployment, resp.Status, resp.Body)]++
	}
	return got
}

func TestInvoke(t *testing.T) {
	s := New(Options{Latency: NoLatency(), Handlers: map[string]Handler{
		"blue":              Respond(200, "v1"),
		"green":             Respond(200, "v2"),
		"MY-ENDPOINT/green": Respond(200, "v2 here"),
	}})
	setup(t, s, map[string]int{"blue": 90, "green": 10}, "blue", "green", "red")
	must(t, setSplit(s, map[string]int{"blue": 90, "green": 10}, map[string]int{"red": 20}))

	got := invoke(t, s, 1000, "")
	want := map[string]int{"blue 200 v1": 900, "green 200 v2 here": 100}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("1000 requests at 90/10: %v, want %v (the endpoint's handler wins over the name's)", got, want)
	}
	got = invoke(t, s, 10, "red")
	if want := `{"deployment":"red","model":"azureml:model:3"}`; got["red 200 "+want] != 10 {
		t.Errorf("direct requests to red: %v, want the default echo of its model", got)
	}

	s.SetHandler("green", Respond(500, "boom"))
	s.SetHandler("my-endpoint/green", nil)
	got = invoke(t, s, 100, "")
	if got["green 500 boom"] != 10 || got["blue 200 v1"] != 90 {
		t.Errorf("after green turned unhealthy: %v", got)
	}

	stats := fmt.Sprint(s.Stats(ep))
	// Mirroring copies 20% of the 1,100 routed requests to red.
	want2 := "[{blue 990 0 0 0 0} {green 110 0 10 0 0} {red 10 10 0 220 0}]"
	if stats != want2 {
		t.Errorf("Stats = %s, want %s", stats, want2)
	}
	if s.Stats("missing") != nil {
		t.Error("Stats of a missing endpoint is not nil")
	}
}

func TestInvokeNotServing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Options{})
		setup(t, s, nil, "blue")
		done := make(chan error)
		go func() { done <- s.CreateOrUpdateDeployment(context.Background(), ep, dep("green", "2")) }()
		defer func() { must(t, <-done) }()
		synctest.Wait()
		tests := []struct {
			deployment string
			want       string
			reason     string
		}{
			{"green", "green 503 Deployment green is not serving: it is in Creating provisioning state", "a deployment serves once created"},
			{"ghost", " 404 Deployment ghost not found in endpoint my-endpoint", "unknown deployments are not found"},
			{"", " 404 Endpoint my-endpoint has no live traffic: every deployment's share is 0", "a dark endpoint answers 404"},
		}
		for _, tt := range tests {
			got := invoke(t, s, 1, tt.deployment)
			if got[tt.want] != 1 {
				t.Errorf("Invoke(%q) = %v, want %q (%s)", tt.deployment, got, tt.want, tt.reason)
			}
		}
		got := invoke(t, s, 1, "blue")
		if len(got) != 1 || got[`blue 200 {"deployment":"blue","model":"azureml:model:1"}`] != 1 {
			t.Errorf("blue keeps serving while green is created: %v", got)
		}
	})
}

func TestInvokeCopies(t *testing.T) {
	var seen []byte
	s := New(Options{Latency: NoLatency(), Handlers: map[string]Handler{
		"blue": func(_ context.Context, _ string, body []byte) (int, []byte) {
			seen = body
			body[0] = 'X'
			return 200, body
		},
	}})
	setup(t, s, map[string]int{"blue": 100}, "blue")
	in := []byte("abc")
	resp, err := s.Invoke(context.Background(), ep, backend.InvokeRequest{Body: in})
	must(t, err)
	seen[1] = 'Y'
	if string(in) != "abc" || string(resp.Body) != "Xbc" {
		t.Errorf("request %q, response %q: the handler's buffers leaked into the caller's", in, resp.Body)
	}
}
