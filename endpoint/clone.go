package endpoint

import (
	"maps"
	"slices"
)

// Clone returns a deep copy of e: no map, slice or pointer of the copy is
// shared with e, so a holder of state (an in-memory service, a cache) can
// hand values out and take them in without callers reaching into it. The
// traffic splits are immutable values and are shared. Clone keeps the
// record of where the fields were written, which is never modified after
// loading, so a clone still validates with positions. Clone(nil) is nil.
func (e *Endpoint) Clone() *Endpoint {
	if e == nil {
		return nil
	}
	c := *e
	c.cloneShared()
	return &c
}

// Clone returns a deep copy of d that shares no map, slice or pointer with d.
func (d Deployment) Clone() Deployment {
	d.cloneShared()
	return d
}

// cloneDeployments returns deep copies of ds; nil stays nil.
func cloneDeployments(ds []Deployment) []Deployment {
	if ds == nil {
		return nil
	}
	c := make([]Deployment, len(ds))
	for i := range ds {
		c[i] = ds[i]
		c[i].cloneShared()
	}
	return c
}

// clone returns a deep copy of dc; nil stays nil.
func (dc *DataCollector) clone() *DataCollector {
	if dc == nil {
		return nil
	}
	c := *dc
	c.Collections = maps.Clone(dc.Collections)
	if c.RequestLogging != nil {
		rl := *c.RequestLogging
		rl.CaptureHeaders = slices.Clone(rl.CaptureHeaders)
		c.RequestLogging = &rl
	}
	return &c
}

// Equal reports whether a and b specify the same endpoint. It compares the
// spec only: Status and the positions the fields were written at are
// ignored, traffic is compared with [traffic.Split.Equal], and maps by
// content, so a nil map equals an empty one and a nil Identity or
// DataCollector equals an empty one; tags are the exception, nil (not
// written, not managed) apart from empty (managed, none), as the package
// documentation's Tags says. Deployments are compared in order;
// [Normalize] sorts them by name, so compare normalized values (see
// [Normalized]) to ask whether two specs mean the same thing. Two nil
// endpoints are equal; nil never equals a non-nil endpoint. Equal does
// not allocate.
func Equal(a, b *Endpoint) bool {
	if a == nil || b == nil {
		return a == b
	}
	return endpointEqual(a, b)
}

// DeploymentEqual reports whether a and b specify the same deployment, with
// the rules of [Equal]: Status is ignored and maps compare by content.
func DeploymentEqual(a, b Deployment) bool { return deploymentEqual(&a, &b, &varNames{}) }

func deploymentsEqual(a, b []Deployment) bool {
	if len(a) != len(b) {
		return false
	}
	var vars varNames
	for i := range a {
		if !deploymentEqual(&a[i], &b[i], &vars) {
			return false
		}
	}
	return true
}

func identityEqual(a, b *Identity) bool {
	if a == b {
		return true
	}
	za, zb := a.orZero(), b.orZero()
	return za.Type == zb.Type && slices.Equal(za.UserAssignedIdentities, zb.UserAssignedIdentities)
}

// mapEqual is [maps.Equal] that returns before ranging over empty maps,
// which most of a spec's maps are.
func mapEqual[V comparable](a, b map[string]V) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 {
		return true
	}
	for k, va := range a {
		if vb, ok := b[k]; !ok || va != vb {
			return false
		}
	}
	return true
}

// dataCollectorEqual compares two collectors through their pointers, an
// absent one as an empty one.
func dataCollectorEqual(a, b *DataCollector) bool {
	if a == b {
		return true
	}
	var zero DataCollector
	if a == nil {
		a = &zero
	}
	if b == nil {
		b = &zero
	}
	return a.SamplingRate == b.SamplingRate &&
		a.RollingRate == b.RollingRate &&
		slices.Equal(a.RequestLogging.headers(), b.RequestLogging.headers()) &&
		mapEqual(a.Collections, b.Collections)
}

// headers returns the headers to capture; none for a nil rl.
func (rl *RequestLogging) headers() []string {
	if rl == nil {
		return nil
	}
	return rl.CaptureHeaders
}
