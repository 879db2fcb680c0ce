package traffic_test

import (
	"fmt"

	"github.com/rolloutkit/rollout/traffic"
)

func ExampleParse() {
	s, err := traffic.Parse("green=10, blue=90")
	if err != nil {
		panic(err)
	}
	fmt.Println(s)
	fmt.Println(s.Get("green"), s.Validate())

	_, err = traffic.Parse("blue=90 green=1O")
	fmt.Println(err)
	// Output:
	// blue=90 green=10
	// 10 <nil>
	// traffic: offset 8: "green=1O": percent must be an integer written with digits only
}

func ExampleSplit_Validate() {
	s := traffic.MustParse("blue=60 green=30")
	fmt.Println(s.Validate())
	// Output:
	// traffic: total is 90, must be exactly 100 or 0 (blue=60 green=30)
}

func ExampleRamp() {
	from := traffic.MustParse("blue=100")
	to := traffic.MustParse("green=100")
	stages, err := traffic.Ramp(from, to, 10, 50)
	if err != nil {
		panic(err)
	}
	for _, s := range stages {
		fmt.Println(s)
	}
	// Output:
	// blue=100
	// blue=90 green=10
	// blue=50 green=50
	// green=100
}

func ExampleRamp_resumed() {
	// A canary stopped at 90/10 and run again with the same stages: 10 is
	// behind it, so the next stage is 50/50.
	from := traffic.MustParse("blue=90 green=10")
	to := traffic.MustParse("green=100")
	stages, err := traffic.Ramp(from, to, 10, 50)
	if err != nil {
		panic(err)
	}
	for _, s := range stages {
		fmt.Println(s)
	}
	// Output:
	// blue=90 green=10
	// blue=50 green=50
	// green=100
}

func ExampleRamp_several() {
	// d and e rise: at stage 25 they hold 25 points, shared 40:40 as in
	// the desired split (the odd point to d, first by name). a and b fall
	// and hold the rest, 55, shared 50:30 as now. c keeps its share.
	from := traffic.MustParse("a=50 b=30 c=20")
	to := traffic.MustParse("c=20 d=40 e=40")
	stages, err := traffic.Ramp(from, to, 25, 50)
	if err != nil {
		panic(err)
	}
	for _, s := range stages {
		fmt.Println(s)
	}
	// Output:
	// a=50 b=30 c=20
	// a=34 b=21 c=20 d=13 e=12
	// a=19 b=11 c=20 d=25 e=25
	// c=20 d=40 e=40
}

func ExampleRouter() {
	r := traffic.NewRouter(traffic.MustParse("blue=90 green=10"), traffic.MustParse("shadow=5"))
	served := map[string]int{}
	mirrored := 0
	for key := uint64(1000); key < 1100; key++ {
		served[r.Pick(key)]++
		if _, ok := r.Mirror(key); ok {
			mirrored++
		}
	}
	fmt.Println(served["blue"], served["green"], mirrored)
	// Output:
	// 90 10 5
}
