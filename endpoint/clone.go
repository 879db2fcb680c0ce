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
	c.Tags = maps.Clone(e.Tags)
	c.Properties = maps.Clone(e.Properties)
	if e.Identity != nil {
		id := *e.Identity
		id.UserAssignedIdentities = slices.Clone(e.Identity.UserAssignedIdentities)
		c.Identity = &id
	}
	if e.Deployments != nil {
		c.Deployments = make([]Deployment, len(e.Deployments))
		for i, d := range e.Deployments {
			c.Deployments[i] = d.Clone()
		}
	}
	return &c
}

// Clone returns a deep copy of d that shares no map, slice or pointer with d.
func (d Deployment) Clone() Deployment {
	d.Tags = maps.Clone(d.Tags)
	d.Properties = maps.Clone(d.Properties)
	d.EnvironmentVariables = maps.Clone(d.EnvironmentVariables)
	d.DataCollector = d.DataCollector.clone()
	return d
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
// DataCollector equals an empty one. Deployments are compared in order;
// [Normalize] sorts them by name, so compare normalized values (see
// [Normalized]) to ask whether two specs mean the same thing. Two nil
// endpoints are equal; nil never equals a non-nil endpoint.
func Equal(a, b *Endpoint) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Name != b.Name ||
		a.Description != b.Description ||
		!maps.Equal(a.Tags, b.Tags) ||
		!maps.Equal(a.Properties, b.Properties) ||
		a.AuthMode != b.AuthMode ||
		a.Compute != b.Compute ||
		!identityEqual(a.Identity, b.Identity) ||
		a.PublicNetworkAccess != b.PublicNetworkAccess ||
		!a.Traffic.Equal(b.Traffic) ||
		!a.Mirror.Equal(b.Mirror) ||
		len(a.Deployments) != len(b.Deployments) {
		return false
	}
	for i := range a.Deployments {
		if !DeploymentEqual(a.Deployments[i], b.Deployments[i]) {
			return false
		}
	}
	return true
}

func identityEqual(a, b *Identity) bool {
	var za, zb Identity
	if a != nil {
		za = *a
	}
	if b != nil {
		zb = *b
	}
	return za.Type == zb.Type && slices.Equal(za.UserAssignedIdentities, zb.UserAssignedIdentities)
}

// DeploymentEqual reports whether a and b specify the same deployment, with
// the rules of [Equal]: Status is ignored and maps compare by content.
func DeploymentEqual(a, b Deployment) bool {
	return a.Name == b.Name &&
		a.Type == b.Type &&
		a.Description == b.Description &&
		maps.Equal(a.Tags, b.Tags) &&
		maps.Equal(a.Properties, b.Properties) &&
		SameAsset(a.Model, b.Model) &&
		a.ModelMountPath == b.ModelMountPath &&
		SameAsset(a.CodeConfiguration.Code, b.CodeConfiguration.Code) &&
		a.CodeConfiguration.ScoringScript == b.CodeConfiguration.ScoringScript &&
		sameEnvironment(a.Environment, b.Environment) &&
		maps.Equal(a.EnvironmentVariables, b.EnvironmentVariables) &&
		a.InstanceType == b.InstanceType &&
		a.InstanceCount == b.InstanceCount &&
		a.ScaleSettings == b.ScaleSettings &&
		a.RequestSettings == b.RequestSettings &&
		a.LivenessProbe == b.LivenessProbe &&
		a.ReadinessProbe == b.ReadinessProbe &&
		a.StartupProbe == b.StartupProbe &&
		a.AppInsightsEnabled == b.AppInsightsEnabled &&
		a.EgressPublicNetworkAccess == b.EgressPublicNetworkAccess &&
		dataCollectorEqual(a.DataCollector, b.DataCollector) &&
		a.Resources == b.Resources
}

func dataCollectorEqual(a, b *DataCollector) bool {
	var za, zb DataCollector
	if a != nil {
		za = *a
	}
	if b != nil {
		zb = *b
	}
	var ha, hb []string
	if za.RequestLogging != nil {
		ha = za.RequestLogging.CaptureHeaders
	}
	if zb.RequestLogging != nil {
		hb = zb.RequestLogging.CaptureHeaders
	}
	return za.SamplingRate == zb.SamplingRate &&
		za.RollingRate == zb.RollingRate &&
		maps.Equal(za.Collections, zb.Collections) &&
		slices.Equal(ha, hb)
}
