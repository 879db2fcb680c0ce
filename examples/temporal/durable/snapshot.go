package durable

import (
	"github.com/rolloutkit/rollout/endpoint"
)

// Snapshot is one observed endpoint as it travels from the observing
// activity to the workflow. The JSON form of endpoint.Endpoint leaves out
// what the service reports (provisioning states, ETags), which the planner
// needs, so the snapshot carries it beside the spec.
type Snapshot struct {
	Endpoint *endpoint.Endpoint `json:"endpoint"`
	Status   endpoint.Status    `json:"status"`
	// Deployments are the deployments' statuses, in the order of
	// Endpoint.Deployments.
	Deployments []endpoint.Status `json:"deployments"`
}

// snapshotOf returns the snapshot of an observed endpoint.
func snapshotOf(e *endpoint.Endpoint) Snapshot {
	s := Snapshot{Endpoint: e, Status: e.Status, Deployments: make([]endpoint.Status, len(e.Deployments))}
	for i, d := range e.Deployments {
		s.Deployments[i] = d.Status
	}
	return s
}

// observed returns the endpoint the snapshot stands for, statuses
// included.
func (s Snapshot) observed() *endpoint.Endpoint {
	e := s.Endpoint.Clone()
	e.Status = s.Status
	for i := range e.Deployments {
		if i < len(s.Deployments) {
			e.Deployments[i].Status = s.Deployments[i]
		}
	}
	return e
}
