package plan

import (
	"cmp"
	"maps"
	"slices"
	"unsafe"

	"github.com/rolloutkit/rollout/endpoint"
)

// detach gives the steps copies of the deployments they carry, which point
// into the normalizers' storage until then. A deployment that two steps
// carry is copied once, and one identical to a recent copy, of this
// endpoint or of the ones before, is that copy: the desired deployments
// of a fleet planned alike are mostly the same, and a deployment is large.
// The new copies of an endpoint are taken from its slab together. Maps of
// equal content (the environment variables of a deployment before and
// after its update, or of the deployments of a fleet alike) are copied
// once and shared too.
func (p *planner) detach() {
	p.carried = p.carried[:0]
	missing := 0
	for i := range p.steps {
		for _, d := range [...]*endpoint.Deployment{p.steps[i].DeploymentBefore, p.steps[i].DeploymentAfter} {
			if d != nil && p.carries(d) < 0 {
				c := p.recentCopy(d)
				if c == nil {
					missing++
				}
				p.carried = append(p.carried, carried{d, c})
			}
		}
	}
	p.copyMissing(missing)
	for i := range p.steps {
		s := &p.steps[i]
		s.DeploymentBefore, s.DeploymentAfter = p.own(s.DeploymentBefore), p.own(s.DeploymentAfter)
	}
}

// carried is a deployment that steps carry, and the plan's copy of it.
type carried struct {
	d, copy *endpoint.Deployment
}

// copyMissing makes the copies that detach found no recent one for, the
// given number, in the slab: what is left of the current one first, so
// that none of it goes unused.
func (p *planner) copyMissing(missing int) {
	var slab []endpoint.Deployment
	for i := range p.carried {
		cd := &p.carried[i]
		if cd.copy != nil {
			continue
		}
		if len(slab) == 0 {
			slab = p.take(cmp.Or(min(cap(p.slab)-len(p.slab), missing), missing))
		}
		cd.copy = &slab[0]
		slab, missing = slab[1:], missing-1
		cloneSharing(cd.copy, cd.d, p.recent)
		p.remember(cd.copy)
	}
}

// own returns the plan's copy of d, a deployment that steps carry; nil
// stays nil.
func (p *planner) own(d *endpoint.Deployment) *endpoint.Deployment {
	if d == nil {
		return nil
	}
	return p.carried[p.carries(d)].copy
}

// carries returns the index of d in carried, or -1.
func (p *planner) carries(d *endpoint.Deployment) int {
	return slices.IndexFunc(p.carried, func(cd carried) bool { return cd.d == d })
}

// recentCopy returns a recent copy identical to d, or nil. The copy
// found becomes the most recent, so that the copies a fleet shares stay
// while those of one endpoint come and go.
func (p *planner) recentCopy(d *endpoint.Deployment) *endpoint.Deployment {
	for i := len(p.recent) - 1; i >= 0; i-- {
		if c := p.recent[i]; identical(c, d) {
			copy(p.recent[i:], p.recent[i+1:])
			p.recent[len(p.recent)-1] = c
			return c
		}
	}
	return nil
}

// remember adds c to the recent copies as the most recent, forgetting
// the least recent past shareWindow.
func (p *planner) remember(c *endpoint.Deployment) {
	switch len(p.recent) {
	case 0:
		p.recent = make([]*endpoint.Deployment, 0, shareWindow)
	case shareWindow:
		copy(p.recent, p.recent[1:])
		p.recent = p.recent[:shareWindow-1]
	}
	p.recent = append(p.recent, c)
}

// maxSlab bounds the deployments of one slab: as many as fill 72 KB, a
// whole number of the allocator's 8 KB pages, so that the largest slabs,
// which hold most of a fleet's copies, waste less than one deployment.
const maxSlab = (72 << 10) / int(unsafe.Sizeof(endpoint.Deployment{}))

// shareWindow is how many recent copies a deployment is compared with,
// whole and for its maps: enough for an endpoint's and the last one's,
// few enough that comparing costs less than a copy would.
const shareWindow = 8

// take returns n zeroed deployments from the planner's slab.
func (p *planner) take(n int) []endpoint.Deployment { return carve(&p.slab, n, maxSlab) }

// cloneSharing makes *dst a deep copy of d whose tags, properties and
// environment variables are the maps of an earlier copy when their
// contents are equal. It writes in place and copies d once: a deployment
// is large, and each copy of it by value counts.
func cloneSharing(dst, d *endpoint.Deployment, earlier []*endpoint.Deployment) {
	*dst = *d
	if d.DataCollector != nil {
		// The one reference besides the maps; Clone knows how deep it goes.
		dst.DataCollector = (&endpoint.Deployment{DataCollector: d.DataCollector}).Clone().DataCollector
	}
	dst.Tags = shareMap(d.Tags, earlier, func(e *endpoint.Deployment) map[string]string { return e.Tags })
	dst.Properties = shareMap(d.Properties, earlier, func(e *endpoint.Deployment) map[string]string { return e.Properties })
	dst.EnvironmentVariables = shareMap(d.EnvironmentVariables, earlier, func(e *endpoint.Deployment) map[string]string { return e.EnvironmentVariables })
}

// shareMap returns the map that field gives for one of the earlier copies
// if it equals m, or else a copy of m.
func shareMap(m map[string]string, earlier []*endpoint.Deployment, field func(*endpoint.Deployment) map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	for _, e := range earlier {
		if e := field(e); e != nil && maps.Equal(e, m) {
			return e
		}
	}
	return maps.Clone(m)
}

// identical reports whether a and b hold the same values in every field,
// status included, with maps and slices compared by content and nil
// told from empty: whether a step may carry either. Unlike
// [endpoint.DeploymentEqual], it compares what the deployments hold, not
// what they specify. The fields most likely to differ come first: the
// name, and the status an observed deployment's ETag makes its own.
func identical(a, b *endpoint.Deployment) bool {
	return a.Name == b.Name && a.Status == b.Status && a.InstanceCount == b.InstanceCount &&
		a.Model == b.Model && a.CodeConfiguration == b.CodeConfiguration && a.Environment == b.Environment &&
		a.Type == b.Type && a.Description == b.Description && a.ModelMountPath == b.ModelMountPath &&
		a.InstanceType == b.InstanceType && a.ScaleSettings == b.ScaleSettings && a.RequestSettings == b.RequestSettings &&
		a.LivenessProbe == b.LivenessProbe && a.ReadinessProbe == b.ReadinessProbe && a.StartupProbe == b.StartupProbe &&
		a.AppInsightsEnabled == b.AppInsightsEnabled && a.EgressPublicNetworkAccess == b.EgressPublicNetworkAccess &&
		a.Resources == b.Resources &&
		sameMap(a.Tags, b.Tags) && sameMap(a.Properties, b.Properties) && sameMap(a.EnvironmentVariables, b.EnvironmentVariables) &&
		sameCollector(a.DataCollector, b.DataCollector)
}

// sameMap reports whether a and b are both nil or both not nil with the
// same entries.
func sameMap[V comparable](a, b map[string]V) bool {
	return (a == nil) == (b == nil) && maps.Equal(a, b)
}

// sameCollector is identical for data collectors.
func sameCollector(a, b *endpoint.DataCollector) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.SamplingRate == b.SamplingRate && a.RollingRate == b.RollingRate && sameMap(a.Collections, b.Collections) &&
		(a.RequestLogging == nil) == (b.RequestLogging == nil) &&
		(a.RequestLogging == nil || sameSlice(a.RequestLogging.CaptureHeaders, b.RequestLogging.CaptureHeaders))
}

// sameSlice reports whether a and b are both nil or both not nil with the
// same elements.
func sameSlice(a, b []string) bool { return (a == nil) == (b == nil) && slices.Equal(a, b) }
