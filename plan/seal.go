package plan

import (
	"encoding/binary"
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

// seal records the digest of p, which Compute computed with a sealer as
// it added the steps.
func seal(p *Plan, digest uint64) {
	wp := weak.Make(p)
	seals.Store(wp, digest)
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

// digest hashes every field of p, the steps first, with the encoding of
// the fingerprints for the resources the steps carry; a deployment is
// hashed on its own and counts by that hash (see sealer.deployment).
func digest(p *Plan) uint64 {
	s := newSealer()
	s.steps(p.Steps)
	return s.sum(p)
}

// A sealer computes the digest of a plan step by step, so that Compute
// hashes each endpoint's steps while they are at hand, and then the rest
// of the plan.
type sealer struct {
	h maphash.Hash
	w fpWriter
	// recent are the hashes of the last deployments written, most recent
	// last: steps of several endpoints may carry one deployment (see
	// detach), which is then encoded once.
	recent []hashed
}

// hashed is the hash of a deployment's encoding.
type hashed struct {
	d   *endpoint.Deployment
	sum uint64
}

// maxHashed is how many hashes a sealer keeps: as many as a plan keeps
// copies to share (see shareWindow).
const maxHashed = shareWindow

func newSealer() *sealer {
	s := &sealer{}
	s.h.SetSeed(sealSeed)
	return s
}

func (s *sealer) steps(steps []Step) {
	for i := range steps {
		s.w.buf = s.w.buf[:0]
		s.step(&steps[i])
		s.h.Write(s.w.buf)
	}
}

// learn remembers the hashes of the encodings of the deployments of e,
// which w wrote last without redacting, as those of the copies the
// planner made of them: the fingerprint of the actual state has just
// encoded what the steps of an endpoint carry from it.
func (s *sealer) learn(e *endpoint.Endpoint, w *fpWriter, copies []carried) {
	for _, cd := range copies {
		for k := range e.Deployments {
			if cd.d == &e.Deployments[k] {
				s.remember(cd.copy, maphash.Bytes(sealSeed, w.buf[w.deployments[k]:w.deployments[k+1]]))
			}
		}
	}
}

// deployment writes the hash of the encoding of d, as the fingerprints
// encode it: a fixed size, so that the digest still tells every plan
// from another, and a value the sealer can remember for the next step
// that carries d.
func (s *sealer) deployment(d *endpoint.Deployment) {
	w := &s.w
	for i := len(s.recent) - 1; i >= 0; i-- {
		if e := s.recent[i]; e.d == d {
			w.buf = binary.LittleEndian.AppendUint64(w.buf, e.sum)
			copy(s.recent[i:], s.recent[i+1:])
			s.recent[len(s.recent)-1] = e
			return
		}
	}
	start := len(w.buf)
	w.deployment(d)
	sum := maphash.Bytes(sealSeed, w.buf[start:])
	w.buf = binary.LittleEndian.AppendUint64(w.buf[:start], sum)
	s.remember(d, sum)
}

// remember keeps sum as the hash of d, the most recent, forgetting the
// least recent past maxHashed.
func (s *sealer) remember(d *endpoint.Deployment, sum uint64) {
	switch len(s.recent) {
	case 0:
		s.recent = make([]hashed, 0, maxHashed)
	case maxHashed:
		copy(s.recent, s.recent[1:])
		s.recent = s.recent[:maxHashed-1]
	}
	s.recent = append(s.recent, hashed{d, sum})
}

// sum adds the fields of p besides its steps and returns the digest.
func (s *sealer) sum(p *Plan) uint64 {
	w := &s.w
	w.buf = w.buf[:0]
	w.int(len(p.Steps))
	w.int(p.FormatVersion)
	w.str(p.Fingerprint)
	w.str(p.DesiredFingerprint)
	w.int(len(p.Labels))
	for _, l := range p.Labels {
		w.strs([]string{l.Kind, l.Registry, l.Name, l.Label, l.Version})
	}
	w.str(p.Strategy)
	m := p.Summary
	for _, n := range [...]int{m.Add, m.Change, m.Destroy, m.Traffic, m.Gates, m.Assets} {
		w.int(n)
	}
	s.h.Write(w.buf)
	return s.h.Sum64()
}

// step writes every field of st.
func (s *sealer) step(st *Step) {
	w := &s.w
	w.strs([]string{st.ID, string(st.Action), st.Endpoint, st.Deployment, st.Gate, st.Reason})
	w.strs(st.DependsOn)
	for _, e := range [...]*endpoint.Endpoint{st.EndpointBefore, st.EndpointAfter} {
		w.present(e != nil)
		if e != nil {
			w.endpoint(e)
		}
	}
	for _, d := range [...]*endpoint.Deployment{st.DeploymentBefore, st.DeploymentAfter} {
		w.present(d != nil)
		if d != nil {
			s.deployment(d)
		}
	}
	w.split(st.TrafficBefore)
	w.split(st.MirrorBefore)
	w.split(st.Traffic)
	w.split(st.Mirror)
	w.int(len(st.Changes))
	for _, c := range st.Changes {
		w.strs([]string{c.Path, c.Before, c.After})
		w.bool(c.Sensitive)
	}
	w.present(st.Asset != nil)
	if a := st.Asset; a != nil {
		w.strs([]string{a.Kind, a.Path, a.ModelType, a.Image, a.DockerfilePath})
		w.asset(&a.Asset)
	}
}
