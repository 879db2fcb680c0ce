package fakes

import (
	"context"
	"testing"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

func BenchmarkInvoke(b *testing.B) {
	s := New(Options{Latency: NoLatency(), NoHistory: true})
	setup(b, s, map[string]int{"blue": 90, "green": 10}, "blue", "green")
	ctx := context.Background()
	req := backend.InvokeRequest{Body: []byte(`{"data": [1, 2, 3]}`)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Invoke(ctx, ep, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSetTraffic is the write an executor issues most: a traffic
// update, here without latency, history or hook, so it measures the
// service's own cost (validation, copies, router).
func BenchmarkSetTraffic(b *testing.B) {
	s := New(Options{Latency: NoLatency(), NoHistory: true})
	setup(b, s, nil, "blue", "green")
	ctx := context.Background()
	splits := []*endpoint.Endpoint{
		{Name: ep, Traffic: traffic.MustNew(map[string]int{"blue": 90, "green": 10})},
		{Name: ep, Traffic: traffic.MustNew(map[string]int{"blue": 10, "green": 90})},
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := s.CreateOrUpdateEndpoint(ctx, splits[i%2]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkScaleDeployment(b *testing.B) {
	s := New(Options{Latency: NoLatency(), NoHistory: true})
	setup(b, s, map[string]int{"blue": 100}, "blue")
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := s.ScaleDeployment(ctx, ep, "blue", 1+i%3); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkGetEndpoint(b *testing.B) {
	s := New(Options{Latency: NoLatency(), NoHistory: true})
	setup(b, s, map[string]int{"blue": 90, "green": 10}, "blue", "green")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetEndpoint(ctx, ep); err != nil {
			b.Fatal(err)
		}
	}
}
