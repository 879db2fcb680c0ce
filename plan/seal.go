package plan

import (
	"hash/maphash"
	"runtime"
	"sync"
	"weak"

	"github.com/rolloutkit/rollout/endpoint"
)

// Compute seals the plans it returns: the process remembers a digest of
// each one's content, keyed weakly by the plan (the entry goes when the
// plan is collected), so that [Computed] can tell a plan handed back
// unchanged from any other. The seed is random per process: a digest
// means nothing outside it, and cannot be matched by design.
var (
	sealSeed = maphash.MakeSeed()
	seals    sync.Map // weak.Pointer[Plan] -> uint64
)

func seal(p *Plan) {
	wp := weak.Make(p)
	seals.Store(wp, digest(p))
	runtime.AddCleanup(p, func(wp weak.Pointer[Plan]) { seals.Delete(wp) }, wp)
}

// Computed reports whether p is a plan that [Compute] returned in this
// process and whose content has not changed since: every field of the
// plan and of its steps, the resources the steps carry included. A
// decoded plan, a plan built or copied by hand, and a computed plan
// changed in place (a step, a dependency, a deployment it carries, a map
// shared with the specs it was computed from) are not.
//
// Compute's plans keep the service's rules by construction, from the state
// they were computed from, so an executor that has found the service in
// that state ([Plan.Fingerprint]) may skip [Check] for a plan Computed
// accepts, and must check every other.
func Computed(p *Plan) bool {
	if p == nil {
		return false
	}
	d, ok := seals.Load(weak.Make(p))
	return ok && d.(uint64) == digest(p)
}

// digest hashes every field of p, step by step, with the encoding of
// the fingerprints for the resources the steps carry.
func digest(p *Plan) uint64 {
	var h maphash.Hash
	h.SetSeed(sealSeed)
	w := &fpWriter{}
	w.int(p.FormatVersion)
	w.str(p.Fingerprint)
	w.str(p.DesiredFingerprint)
	w.int(len(p.Labels))
	for _, l := range p.Labels {
		w.strs([]string{l.Kind, l.Registry, l.Name, l.Label, l.Version})
	}
	w.str(p.Strategy)
	s := p.Summary
	for _, n := range [...]int{s.Add, s.Change, s.Destroy, s.Traffic, s.Gates, s.Assets} {
		w.int(n)
	}
	w.int(len(p.Steps))
	for i := range p.Steps {
		w.step(&p.Steps[i])
		h.Write(w.buf)
		w.buf = w.buf[:0]
	}
	h.Write(w.buf)
	return h.Sum64()
}

func (w *fpWriter) step(s *Step) {
	w.strs([]string{s.ID, string(s.Action), s.Endpoint, s.Deployment, s.Gate, s.Reason})
	w.strs(s.DependsOn)
	for _, e := range [...]*endpoint.Endpoint{s.EndpointBefore, s.EndpointAfter} {
		w.present(e != nil)
		if e != nil {
			w.endpoint(e)
		}
	}
	for _, d := range [...]*endpoint.Deployment{s.DeploymentBefore, s.DeploymentAfter} {
		w.present(d != nil)
		if d != nil {
			w.deployment(d)
		}
	}
	w.split(s.TrafficBefore)
	w.split(s.MirrorBefore)
	w.split(s.Traffic)
	w.split(s.Mirror)
	w.int(len(s.Changes))
	for _, c := range s.Changes {
		w.strs([]string{c.Path, c.Before, c.After})
		w.bool(c.Sensitive)
	}
	w.present(s.Asset != nil)
	if a := s.Asset; a != nil {
		w.strs([]string{a.Kind, a.Path, a.ModelType, a.Image, a.DockerfilePath})
		w.asset(&a.Asset)
	}
}
