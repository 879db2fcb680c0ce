package gen_test

import (
	"fmt"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes/gen"
)

// A property of a planner checks something of every (desired, actual)
// pair. In a test it runs under rapid.Check, which draws the pairs and
// shrinks a failing one:
//
//	rapid.Check(t, func(t *rapid.T) {
//		p := gen.Pairs().Draw(t, "pair")
//		...
//	})
//
// Here it runs on the pairs of fixed seeds, which Example gives without a
// test.
func Example() {
	failures := 0
	for seed := range 200 {
		p := gen.Pairs().Example(seed)
		for _, e := range append(p.Desired, p.Actual...) {
			if err := endpoint.Validate(e); err != nil {
				failures++
			}
			if total := e.Traffic.Total(); total != 0 && total != 100 {
				failures++
			}
		}
	}
	fmt.Println("failures:", failures)
	// Output: failures: 0
}
