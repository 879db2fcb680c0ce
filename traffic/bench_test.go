package traffic_test

import (
	"testing"

	"github.com/rolloutkit/rollout/traffic"
)

var sink string

func BenchmarkRouterPick(b *testing.B) {
	r := traffic.NewRouter(traffic.MustParse("blue=70 green=20 red=10"), traffic.MustParse("shadow=10"))
	b.ReportAllocs()
	var key uint64
	for b.Loop() {
		sink = r.Pick(key)
		key++
	}
}

func BenchmarkRouterMirror(b *testing.B) {
	r := traffic.NewRouter(traffic.MustParse("blue=70 green=20 red=10"), traffic.MustParse("shadow=10"))
	b.ReportAllocs()
	var key uint64
	for b.Loop() {
		sink, _ = r.Mirror(key)
		key++
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := traffic.Parse("blue=70, green=20, red=10"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkString(b *testing.B) {
	s := traffic.MustParse("blue=70 green=20 red=10")
	b.ReportAllocs()
	for b.Loop() {
		sink = s.String()
	}
}

func BenchmarkRamp(b *testing.B) {
	from := traffic.MustParse("a=50 b=30 c=20")
	to := traffic.MustParse("c=20 d=40 e=40")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := traffic.Ramp(from, to, 1, 5, 10, 25, 50, 75); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewRouter(b *testing.B) {
	live := traffic.MustParse("blue=70 green=20 red=10")
	mirror := traffic.MustParse("shadow=10")
	b.ReportAllocs()
	for b.Loop() {
		traffic.NewRouter(live, mirror)
	}
}
