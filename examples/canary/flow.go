package main

import (
	"fmt"
	"io/fs"
	"path"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
	"github.com/rolloutkit/rollout/traffic"
)

// stage is one run of the executor: it takes the service to the desired
// state in file. A stage with a through file is a canary: the traffic
// stops at that file's split, behind a smoke test, and bakes there before
// it moves on to file's.
type stage struct {
	title   string
	file    string
	through string
}

// tutorial returns the stages of the service's safe-rollout tutorial over
// the six files in flow/. The tutorial's "give green 10%" and "give green
// 100%" are one canary stage, so that the gates between them, and the
// rollback when one refuses, belong to the plan that moves the traffic.
func tutorial() []stage {
	return []stage{
		{title: "Create the endpoint with blue", file: "1-create-endpoint-with-blue.yaml"},
		{title: "Scale blue out", file: "2-scale-blue.yaml"},
		{title: "Create green, without live traffic", file: "3-create-green.yaml"},
		{title: "Canary: smoke-test green, give it 10% to bake, then all traffic",
			file: "5-full-green.yaml", through: "4-flight-green.yaml"},
		{title: "Delete blue", file: "6-delete-blue.yaml"},
	}
}

// step is a stage with its files loaded and its strategy decided.
type step struct {
	stage
	want     *endpoint.Endpoint
	strategy plan.Strategy
}

// loadFlow loads every stage before anything runs, so that a broken file
// stops the program before it has changed the service.
func loadFlow(fsys fs.FS, dir string, stages []stage) ([]step, error) {
	if len(stages) == 0 {
		return nil, fmt.Errorf("no stages to run")
	}
	var l endpoint.Loader
	load := func(name string) (*endpoint.Endpoint, error) {
		res, err := l.LoadFS(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if len(res.Endpoints) != 1 {
			return nil, fmt.Errorf("%s: want one endpoint, found %d", name, len(res.Endpoints))
		}
		return res.Endpoints[0], nil
	}
	steps := make([]step, 0, len(stages))
	for i, st := range stages {
		want, err := load(st.file)
		if err != nil {
			return nil, err
		}
		if i > 0 && want.Name != steps[0].want.Name {
			return nil, fmt.Errorf("%s: endpoint %s, but the flow is about %s", st.file, want.Name, steps[0].want.Name)
		}
		s := step{stage: st, want: want, strategy: plan.Direct()}
		if st.through != "" {
			if i == 0 {
				return nil, fmt.Errorf("%s: a canary needs the traffic of a stage before it", st.through)
			}
			via, err := load(st.through)
			if err != nil {
				return nil, err
			}
			if s.strategy, err = canary(steps[i-1].want, via, want); err != nil {
				return nil, fmt.Errorf("%s: %w", st.through, err)
			}
		}
		steps = append(steps, s)
	}
	return steps, nil
}

// canary returns the strategy whose one intermediate stage is via's
// traffic, on the way from from's traffic to to's. via must differ from to
// in traffic only: the canary applies to's spec, and a file that asked for
// anything else on the way would be silently ignored.
func canary(from, via, to *endpoint.Endpoint) (plan.Strategy, error) {
	p, err := plan.Compute([]*endpoint.Endpoint{to}, []*endpoint.Endpoint{via}, plan.Options{})
	if err != nil {
		return plan.Strategy{}, err
	}
	for _, s := range p.Steps {
		if s.Action != plan.SetTraffic {
			return plan.Strategy{}, fmt.Errorf("differs from the stage after it in more than traffic (step %s)", s.ID)
		}
	}
	for percent := 1; percent < 100; percent++ {
		ramp, err := traffic.Ramp(from.Traffic, to.Traffic, percent)
		if err != nil {
			return plan.Strategy{}, err
		}
		if len(ramp) == 3 && ramp[1].Equal(via.Traffic) {
			return plan.Canary([]int{percent}), nil
		}
	}
	return plan.Strategy{}, fmt.Errorf("traffic %s is no stage of a canary from %s to %s", via.Traffic, from.Traffic, to.Traffic)
}
