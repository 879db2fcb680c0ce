package fakes

import (
	"strings"
	"time"

	"github.com/rolloutkit/rollout/endpoint"
)

// State is the whole service at one moment: every endpoint with its
// deployments and provisioning states, as [Service.ListEndpoints] would
// return it. Tests check the safety rules on every State a run went
// through.
type State struct {
	// Seq numbers the states from 1, in the order of the changes.
	Seq int
	// Time is when the change happened (simulated time in a synctest
	// bubble).
	Time time.Time
	// Op is the method whose call made the change
	// ("CreateOrUpdateDeployment"), and Target the resource it changed
	// ("my-endpoint" or "my-endpoint/green").
	Op     string
	Target string
	// End is set for the state after an operation ended (a provisioning
	// state became Succeeded or Failed, or a deleted resource disappeared)
	// and clear for the state after the service accepted it.
	End       bool
	Endpoints []*endpoint.Endpoint
}

// Endpoint returns the named endpoint in st (names are case-insensitive),
// or nil.
func (st State) Endpoint(name string) *endpoint.Endpoint {
	for _, e := range st.Endpoints {
		if strings.EqualFold(e.Name, name) {
			return e
		}
	}
	return nil
}

func (st State) clone() State {
	eps := make([]*endpoint.Endpoint, len(st.Endpoints))
	for i, e := range st.Endpoints {
		eps[i] = e.Clone()
	}
	st.Endpoints = eps
	return st
}

// History returns a copy of every state the service went through, in
// order, unless [Options.NoHistory] turned it off.
func (s *Service) History() []State {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]State, len(s.states))
	for i, st := range s.states {
		out[i] = st.clone()
	}
	return out
}
