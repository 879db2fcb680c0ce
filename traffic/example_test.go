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

func ExampleRamp_several() {
	// a and b give up 80 points in proportion 50:30; d and e take them
	// 40:40; c is in both splits with the same share and never moves.
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
	// a=37 b=23 c=20 d=10 e=10
	// a=25 b=15 c=20 d=20 e=20
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
