package rollout

import (
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/rolloutkit/rollout/plan"
)

// TestDependents holds dependents to the graph that an index of every id
// gives, for dependencies just before a step and further back than the
// steps it looks at first.
func TestDependents(t *testing.T) {
	cases := []struct {
		name   string
		deps   [][]int // the positions each step depends on
		reason string
	}{
		{"none", [][]int{{}, {}, {}}, "no step depends on another"},
		{"chain", [][]int{{}, {0}, {1}, {2}}, "each step depends on the one before"},
		{"fan in and out", [][]int{{}, {0}, {0}, {1, 2}}, "a step with two dependents, one with two dependencies"},
		{"far back", far(), "a step depends on steps further back than the near ones, the first of them too"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			steps := stepsOn(tc.deps)
			if got, want := dependents(steps), indexedDependents(steps); !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("dependents = %v, want %v: %s", got, want, tc.reason)
			}
		})
	}
}

// far returns a graph whose last step depends on the first and on one
// just before it, with more than nearSteps steps between them.
func far() [][]int {
	deps := make([][]int, 3*nearSteps)
	deps[len(deps)-1] = []int{0, len(deps) - 2, nearSteps}
	return deps
}

func TestDependentsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 4*nearSteps).Draw(t, "steps")
		deps := make([][]int, n)
		for i := 1; i < n; i++ {
			on := rapid.SliceOfNDistinct(rapid.IntRange(0, i-1), 0, min(i, 4), rapid.ID[int]).Draw(t, fmt.Sprint("deps", i))
			deps[i] = on
		}
		steps := stepsOn(deps)
		if got, want := dependents(steps), indexedDependents(steps); !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("dependents = %v, want %v", got, want)
		}
	})
}

// stepsOn returns steps with the dependencies deps gives by position.
func stepsOn(deps [][]int) []plan.Step {
	steps := make([]plan.Step, len(deps))
	for i, on := range deps {
		steps[i].ID = fmt.Sprintf("ep-%02d/step", i)
		for _, j := range on {
			steps[i].DependsOn = append(steps[i].DependsOn, steps[j].ID)
		}
	}
	return steps
}

// indexedDependents is dependents computed through an index of every id.
func indexedDependents(steps []plan.Step) [][]int {
	index := map[string]int{}
	for i, s := range steps {
		index[s.ID] = i
	}
	out := make([][]int, len(steps))
	for i, s := range steps {
		for _, d := range s.DependsOn {
			out[index[d]] = append(out[index[d]], i)
		}
	}
	return out
}
