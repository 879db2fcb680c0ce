package plan

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/internal/rules"
	"github.com/rolloutkit/rollout/traffic"
)

// planner builds the steps of one endpoint at a time.
type planner struct {
	opts Options
	name string
	// a is the actual endpoint (nil when it is created); d the desired one.
	a, d *endpoint.Endpoint

	steps []Step
	// pre are the writes that must precede the traffic that uses them, by
	// deployment; a pre write is depended on once, by the first step that
	// needs it, the rest follow through that step.
	pre []preWrite
	// post are the writes that must follow the traffic that leaves them.
	post []postWrite
	errs []error
	// carried is scratch space for detach.
	carried []carried
	// slab is where detach takes the copies of the endpoints' deployments
	// from, across the endpoints of a plan (see take); recent are the last
	// copies it made, which it shares (see recentCopy).
	slab   []endpoint.Deployment
	recent []*endpoint.Deployment
	// stages and last are scratch space for traffic.
	stages []stage
	last   changes
	// text holds the strings of the steps, across the endpoints of a plan.
	text textArena
	// changes is the slab of traffic changes (see carve); changed is
	// scratch space for trafficChanges.
	changes, changed []endpoint.Change
	// ids is the slab of the traffic steps' dependencies; deps is scratch
	// space for them.
	ids, deps []string
}

type preWrite struct {
	deployment, id string
	used           bool
}

type postWrite struct {
	step       int // index into steps
	deployment string
	// drained marks the delete of a replaced deployment, which waits for
	// the step that drained it rather than for the last change.
	drained bool
}

// plan returns the steps of one endpoint, unordered, in the planner's
// scratch space: a fleet is planned with one planner, so the next call
// reuses the space and the caller copies the steps out first.
func (p *planner) plan(d, a *endpoint.Endpoint) ([]Step, error) {
	p.steps, p.pre, p.post, p.errs = p.steps[:0], p.pre[:0], p.post[:0], p.errs[:0]
	// What detach carried for the last endpoint points into the storage
	// the normalizers reuse for this one.
	p.carried = p.carried[:0]
	if d == nil {
		if a == nil || !p.opts.DeleteUnlisted {
			return nil, nil
		}
		if err := busy(a); err != nil {
			return nil, err
		}
		return append(p.steps, deleteEndpoint(a, "not in the desired state")), nil
	}
	p.name, p.a, p.d = d.Name, a, d
	field, before, after := "", "", ""
	if a != nil {
		field, before, after = rules.FixedEndpointField(a, d)
	}
	switch {
	case a == nil:
		p.create("", "new endpoint")
	case field != "":
		p.replaceEndpoint(field, before, after)
	default:
		p.update()
	}
	p.refuseUnresolved()
	if a != nil && (len(p.steps) > 0 || len(p.errs) > 0) {
		if err := busy(a); err != nil {
			return nil, err
		}
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	p.detach()
	return p.steps, nil
}

// refuseUnresolved refuses the deployment writes planned that select an
// asset by a label no one resolved, which the service refuses
// (rules.UnresolvedLabel): one refusal for each deployment.
func (p *planner) refuseUnresolved() {
	var refused []string
	for i := range p.steps {
		s := &p.steps[i]
		if s.DeploymentAfter == nil || slices.Contains(refused, s.Deployment) {
			continue
		}
		if field, l := rules.UnresolvedLabel(s.DeploymentAfter); field != "" {
			refused = append(refused, s.Deployment)
			p.errs = append(p.errs, &RefusedError{
				Endpoint: p.name, Deployment: s.Deployment, Rule: "spec",
				Path:   "deployments[" + s.Deployment + "]." + field,
				Msg:    fmt.Sprintf("%s is %s, a label the service does not resolve", field, l),
				Remedy: "resolve the labels of the desired state to the versions they select before planning (rollout.ResolveLabels; rollout.Run and the rollout command do)",
			})
		}
	}
}

// maxIDs bounds the dependencies of one slab: 4 KB of them.
const maxIDs = (4 << 10) / int(unsafe.Sizeof(""))

// keep returns a copy of ids in the planner's slab of dependencies, or
// nil when there are none.
func (p *planner) keep(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	c := carve(&p.ids, len(ids), maxIDs)
	copy(c, ids)
	return c
}

// maxChanges bounds the traffic changes of one slab: 8 KB of them.
const maxChanges = (8 << 10) / int(unsafe.Sizeof(endpoint.Change{}))

// carve returns n zeroed elements of *slab, a slab shared by the
// endpoints of a plan: one allocation for several endpoints, with none
// of the rounding up to a size class that each endpoint's few values
// would pay. Their capacity ends with them, so that appending to them
// never reaches the next ones. A slab is twice the last, from n up to
// limit, so that a small plan takes no more than it needs, and holds
// what fits in its size class besides. A step keeps its slabs alive,
// which the plan does anyway.
func carve[T any](slab *[]T, n, limit int) []T {
	if cap(*slab)-len(*slab) < n {
		*slab = slices.Grow([]T(nil), max(n, min(2*cap(*slab), limit)))
	}
	k := len(*slab)
	*slab = (*slab)[:k+n]
	return (*slab)[k : k+n : k+n]
}

// id returns the id of a step of the endpoint: its name and the parts,
// joined by slashes.
func (p *planner) id(parts ...string) string {
	var buf [8]string
	all := append(buf[:0], p.name)
	for _, s := range parts {
		all = append(all, "/", s)
	}
	return p.text.join(all...)
}

// A textArena carves the strings of steps (ids, reasons, the paths of
// traffic changes) out of shared blocks: one allocation for the text of
// many steps, which the plan keeps alive anyway, instead of one for each
// string. A block's bytes are never written twice, so a string taken from
// it stays what it was.
type textArena struct {
	b strings.Builder
}

// The first block holds the text of a step or two, and each is twice
// the last up to textBlock, the text of a few dozen steps, so that a
// small plan takes no more than it needs.
const (
	firstTextBlock = 128
	textBlock      = 4 << 10
)

// join returns the concatenation of parts.
func (t *textArena) join(parts ...string) string {
	n := 0
	for _, s := range parts {
		n += len(s)
	}
	if t.b.Cap()-t.b.Len() < n {
		size := min(max(2*t.b.Cap(), firstTextBlock), textBlock)
		t.b = strings.Builder{}
		t.b.Grow(max(n, size))
	}
	start := t.b.Len()
	for _, s := range parts {
		t.b.WriteString(s)
	}
	return t.b.String()[start:]
}

func (p *planner) add(s Step) int {
	slices.Sort(s.DependsOn)
	p.steps = append(p.steps, s)
	return len(p.steps) - 1
}

// usePre returns the id of the deployment's pending pre write and marks it
// used, or "" when there is none left.
func (p *planner) usePre(dep string) string {
	for i := range p.pre {
		if w := &p.pre[i]; w.deployment == dep && !w.used {
			w.used = true
			return w.id
		}
	}
	return ""
}

// replaceEndpoint plans the delete and create of an endpoint whose field
// cannot change in place (rules.FixedEndpointField), or refuses (S6) when
// it serves traffic.
func (p *planner) replaceEndpoint(field, before, after string) {
	if serving(p.a) {
		p.errs = append(p.errs, &RefusedError{
			Endpoint: p.name,
			Rule:     "S6",
			Path:     field,
			Msg:      fmt.Sprintf("%s cannot change in place (%s → %s) and the endpoint serves traffic", field, before, after),
			Remedy: fmt.Sprintf("create an endpoint under a new name with %s %s and its deployments, move clients to its scoring URI, then delete %s",
				field, after, p.name),
		})
		return
	}
	reason := fmt.Sprintf("replaced: %s changes from %s to %s, which cannot change in place; the endpoint serves no traffic", field, before, after)
	del := deleteEndpoint(p.a, reason)
	p.add(del)
	p.create(del.ID, reason)
}

// create plans a new endpoint: the endpoint without traffic (the service
// refuses traffic to deployments that do not exist yet), its deployments,
// then its traffic.
func (p *planner) create(after, reason string) {
	ep := endpointOnly(p.d)
	ep.Traffic, ep.Mirror = traffic.Split{}, traffic.Split{}
	s := Step{ID: p.id("create"), Action: CreateEndpoint, Endpoint: p.name, EndpointAfter: ep, Reason: reason}
	if after != "" {
		s.DependsOn = []string{after}
	}
	p.add(s)
	for i := range p.d.Deployments {
		dep := &p.d.Deployments[i]
		id := p.id(dep.Name, "create")
		p.add(Step{ID: id, Action: CreateDeployment, Endpoint: p.name, Deployment: dep.Name,
			DependsOn: []string{s.ID}, DeploymentAfter: dep, Reason: "new deployment"})
		p.pre = append(p.pre, preWrite{deployment: dep.Name, id: id})
	}
	p.traffic(traffic.Split{}, traffic.Split{}, nil, false)
}

// update plans the changes to an endpoint that exists with the same
// compute.
func (p *planner) update() {
	a, d := p.a, p.d
	// drain are the deployments to replace that serve, dropped the failed
	// ones to delete that serve: both leave the traffic in the first step.
	var drain, dropped []string
	// creates, idle and draining are the new deployments' creates, the
	// deletes that wait for no traffic and those that wait for traffic to
	// leave, by step index, for the service's limit.
	var creates, idle, draining []int
	i, j := 0, 0
	for i < len(a.Deployments) || j < len(d.Deployments) {
		switch {
		case j == len(d.Deployments) || i < len(a.Deployments) && a.Deployments[i].Name < d.Deployments[j].Name:
			old := &a.Deployments[i]
			if k := p.remove(old); k >= 0 {
				if hasTraffic(a, old.Name) {
					draining = append(draining, k)
				} else {
					idle = append(idle, k)
				}
			}
			if hasTraffic(a, old.Name) && old.Status.ProvisioningState.Failed() {
				dropped = append(dropped, old.Name)
			}
			i++
		case i == len(a.Deployments) || d.Deployments[j].Name < a.Deployments[i].Name:
			dep := &d.Deployments[j]
			id := p.id(dep.Name, "create")
			creates = append(creates, p.add(Step{ID: id, Action: CreateDeployment, Endpoint: p.name, Deployment: dep.Name, DeploymentAfter: dep, Reason: "new deployment"}))
			p.pre = append(p.pre, preWrite{deployment: dep.Name, id: id})
			j++
		default:
			switch p.change(&a.Deployments[i], &d.Deployments[j]) {
			case leaveReplaced:
				drain = append(drain, a.Deployments[i].Name)
			case leaveFailed:
				dropped = append(dropped, a.Deployments[i].Name)
			}
			i++
			j++
		}
	}
	if len(p.errs) > 0 {
		return
	}
	p.limit(creates, idle, draining)

	var first []stage
	live, mirror := a.Traffic, a.Mirror
	if len(drain) > 0 || len(dropped) > 0 {
		st, ok := p.drain(drain, dropped)
		if !ok {
			return
		}
		first = []stage{st}
		live, mirror = st.live, st.mirror
	}
	settings := len(endpoint.DiffEndpoint(a, d)) > 0 || a.Status.ProvisioningState.Failed()
	p.traffic(live, mirror, first, settings)
}

// remove plans the delete of a deployment the desired state leaves out and
// returns the step's index, or -1 when the deployment is kept.
func (p *planner) remove(dep *endpoint.Deployment) int {
	if p.opts.Strategy.kind == blueGreen && p.opts.Strategy.keepOld && p.a.Traffic.Get(dep.Name) > 0 {
		return -1
	}
	k := p.add(Step{ID: p.id(dep.Name, "delete"), Action: DeleteDeployment, Endpoint: p.name, Deployment: dep.Name,
		DeploymentBefore: dep, Reason: "not in the desired state"})
	p.post = append(p.post, postWrite{step: k, deployment: dep.Name})
	return k
}

// limit keeps the endpoint within the service's limit of deployments.
// When creating the new deployments before any delete would pass it, the
// creates wait for deletes: those of deployments that will take traffic
// wait only for the deletes that wait for no traffic (they must exist
// before traffic moves to them), and those that will take none may also
// wait for the deletes that follow the traffic. Only when the deployments
// that take traffic cannot fit beside those still serving is the plan
// refused.
func (p *planner) limit(creates, idle, draining []int) {
	room := endpoint.MaxDeployments - len(p.a.Deployments) + len(idle)
	if len(creates) <= endpoint.MaxDeployments-len(p.a.Deployments) {
		return
	}
	var serving []int
	for _, c := range creates {
		if hasTraffic(p.d, p.steps[c].Deployment) {
			serving = append(serving, c)
		}
	}
	// Deployments kept for a fast rollback (bluegreen:keep) are never
	// deleted, so the deletes after the traffic may not make room either.
	if len(serving) > room || len(creates) > room+len(draining) {
		need := len(p.a.Deployments) - len(idle) + len(serving)
		if len(serving) <= room {
			need = len(p.a.Deployments) - len(idle) - len(draining) + len(creates)
		}
		p.errs = append(p.errs, &RefusedError{
			Endpoint: p.name,
			Rule:     "limit",
			Path:     "deployments",
			Msg: fmt.Sprintf("the endpoint would need %d deployments at once while traffic moves, and the service allows %d",
				need, endpoint.MaxDeployments),
			Remedy: "plan in two steps: first create fewer deployments or move traffic off the ones to delete, then the rest",
		})
		return
	}
	late := len(creates) > room
	for _, c := range creates {
		s := &p.steps[c]
		for _, d := range idle {
			s.DependsOn = append(s.DependsOn, p.steps[d].ID)
		}
		if late && !hasTraffic(p.d, s.Deployment) {
			for _, d := range draining {
				s.DependsOn = append(s.DependsOn, p.steps[d].ID)
			}
		}
		slices.Sort(s.DependsOn)
	}
}

// leave says why a deployment's traffic must move in the first traffic
// step of an endpoint.
type leave int

const (
	stays         leave = iota
	leaveReplaced       // it is replaced (deleted, then created)
	leaveFailed         // it failed, and has no share at the end
)

// change plans the writes that take deployment a to b, and reports whether
// its traffic must leave it first.
func (p *planner) change(a, b *endpoint.Deployment) leave {
	if field, before, after := rules.FixedField(a, b); field != "" {
		if p.replace(a, b, field, before, after) {
			return leaveReplaced
		}
		return stays
	}
	reapply := a.Status.ProvisioningState.Failed()
	changes := endpoint.DiffDeployment(*a, *b)
	if len(changes) == 0 && !reapply {
		return stays
	}
	s := Step{ID: p.id(b.Name, "update"), Action: UpdateDeployment, Endpoint: p.name, Deployment: b.Name,
		DeploymentBefore: a, DeploymentAfter: b, Changes: changes}
	ca, cb := a.Capacity(), b.Capacity()
	// A failed deployment is written again before traffic grows towards
	// it (S2); one that loses traffic and instances is written after, like
	// any scale-down (S5): its traffic was already there, so waiting
	// serves nobody worse. One that still has traffic is written before
	// any endpoint write, since the service refuses every write that names
	// it (rules.PutEndpoint), keeping its instances until its share has
	// shrunk.
	grows := p.d.Traffic.Get(b.Name) > p.a.Traffic.Get(b.Name) || p.d.Mirror.Get(b.Name) > p.a.Mirror.Get(b.Name)
	if reapply && hasTraffic(p.a, a.Name) && hasTraffic(p.d, b.Name) {
		p.rewrite(s, a, b, ca, cb)
		return stays
	}
	lower := cb < ca && !(reapply && grows)
	switch {
	case reapply && lower:
		s.Reason = fmt.Sprintf("provisioning state %s: apply the spec again, with fewer instances once its traffic has moved", a.Status.ProvisioningState)
	case reapply:
		s.Reason = fmt.Sprintf("provisioning state %s: apply the spec again before it serves traffic", a.Status.ProvisioningState)
	case lower:
		s.Reason = p.text.join("scale down from ", strconv.Itoa(ca), " to ", strconv.Itoa(cb), " instances after its traffic has moved")
	case cb > ca:
		s.Reason = p.text.join("scale up from ", strconv.Itoa(ca), " to ", strconv.Itoa(cb), " instances before its traffic grows")
	default:
		s.Reason = "update in place (rolling)"
	}
	if m := endpoint.LabelsMoved(a, b); len(m) > 0 {
		s.Reason = strings.Join(m, ", ") + "; " + s.Reason
	}
	k := p.add(s)
	if lower {
		p.post = append(p.post, postWrite{step: k, deployment: b.Name})
	} else {
		p.pre = append(p.pre, preWrite{deployment: b.Name, id: s.ID})
	}
	if reapply && hasTraffic(p.a, a.Name) {
		return leaveFailed
	}
	return stays
}

// rewrite plans the write of a failed deployment a that has traffic before
// and after the plan: before any endpoint write, with its desired spec b, and, when b has
// fewer instances and a share that shrinks, with a's capacity first and a
// scale-down (ENDPOINT/DEPLOYMENT/scale) once the share has moved (S5).
func (p *planner) rewrite(s Step, a, b *endpoint.Deployment, ca, cb int) {
	shrinks := p.d.Traffic.Get(b.Name) < p.a.Traffic.Get(b.Name) || p.d.Mirror.Get(b.Name) < p.a.Mirror.Get(b.Name)
	s.Reason = fmt.Sprintf("provisioning state %s: apply the spec again before any endpoint write names it", a.Status.ProvisioningState)
	if cb >= ca || !shrinks {
		p.add(s)
		p.pre = append(p.pre, preWrite{deployment: b.Name, id: s.ID})
		return
	}
	kept := withCapacity(b, ca)
	s.DeploymentAfter = kept
	s.Changes = endpoint.DiffDeployment(*a, *kept)
	s.Reason += fmt.Sprintf(", keeping its %d instances while it serves", ca)
	p.add(s)
	p.pre = append(p.pre, preWrite{deployment: b.Name, id: s.ID})
	k := p.add(Step{ID: p.id(b.Name, "scale"), Action: UpdateDeployment, Endpoint: p.name, Deployment: b.Name,
		DependsOn: []string{s.ID}, DeploymentBefore: kept, DeploymentAfter: b, Changes: endpoint.DiffDeployment(*kept, *b),
		Reason: fmt.Sprintf("scale down from %d to %d instances after its traffic has moved", ca, cb)})
	p.post = append(p.post, postWrite{step: k, deployment: b.Name})
}

// withCapacity returns a copy of d that keeps n instances running.
func withCapacity(d *endpoint.Deployment, n int) *endpoint.Deployment {
	c := *d
	if c.ScaleSettings.Type == endpoint.ScaleTargetUtilization {
		c.ScaleSettings.MinInstances = n
		c.ScaleSettings.MaxInstances = max(c.ScaleSettings.MaxInstances, n)
		c.InstanceCount = max(c.InstanceCount, n)
		return &c
	}
	c.InstanceCount = n
	return &c
}

// replace plans the delete and create of a deployment whose field cannot
// change in place, or refuses (S6).
func (p *planner) replace(a, b *endpoint.Deployment, field, before, after string) (drain bool) {
	name := a.Name
	had, will := hasTraffic(p.a, name), hasTraffic(p.d, name)
	if (had || will) && !p.opts.AllowReplace {
		p.errs = append(p.errs, p.refuseReplace(name, field, before, after))
		return false
	}
	reason := fmt.Sprintf("replaced: %s changes from %s to %s, which cannot change in place", field, before, after)
	del := p.add(Step{ID: p.id(name, "delete"), Action: DeleteDeployment, Endpoint: p.name, Deployment: name,
		DeploymentBefore: a, Reason: reason})
	if had {
		p.post = append(p.post, postWrite{step: del, deployment: name, drained: true})
	}
	id := p.id(name, "create")
	p.add(Step{ID: id, Action: CreateDeployment, Endpoint: p.name, Deployment: name,
		DependsOn: []string{p.steps[del].ID}, DeploymentAfter: b, Reason: reason})
	p.pre = append(p.pre, preWrite{deployment: name, id: id})
	return had
}

func (p *planner) refuseReplace(name, field, before, after string) *RefusedError {
	var serves []string
	if v := p.a.Traffic.Get(name); v > 0 {
		serves = append(serves, fmt.Sprintf("serves %d%% of live traffic", v))
	}
	if v := p.a.Mirror.Get(name); v > 0 {
		serves = append(serves, fmt.Sprintf("receives %d%% mirror traffic", v))
	}
	if v := p.d.Traffic.Get(name); v > 0 {
		serves = append(serves, fmt.Sprintf("is to serve %d%% of live traffic", v))
	}
	if v := p.d.Mirror.Get(name); v > 0 {
		serves = append(serves, fmt.Sprintf("is to receive %d%% mirror traffic", v))
	}
	newName := "a new name"
	if len(name)+2 <= 32 {
		newName = "a new name (e.g. " + name + "-2)"
	}
	return &RefusedError{
		Endpoint:   p.name,
		Deployment: name,
		Rule:       "S6",
		Path:       "deployments[" + name + "]." + field,
		Msg:        fmt.Sprintf("%s cannot change in place (%s → %s) and %s %s", field, before, after, name, joinAnd(serves)),
		Remedy: fmt.Sprintf("create a deployment under %s with %s %s, shift traffic from %s to it, then delete %s (or allow replacement to drain and recreate %s)",
			newName, field, after, name, name, name),
	}
}

// drain returns the traffic step that moves all traffic away from the
// deployments to be replaced and the failed ones to be dropped (the
// service refuses any endpoint write that names them, so no stage of a
// ramp may keep them): their live share goes to the other deployments that
// serve live traffic and have provisioned or will be written first, in
// proportion, and their mirror is dropped. Without such deployments, the
// failed ones give way to the desired split at once, or, when that split
// needs a replaced deployment, those written again first keep their share.
func (p *planner) drain(replace, drop []string) (stage, bool) {
	live, mirror := p.a.Traffic, p.a.Mirror
	for _, n := range append(slices.Clip(replace), drop...) {
		live, mirror = live.Without(n), mirror.Without(n)
	}
	takers := p.takers(live)
	if len(takers) == 0 && len(replace) > 0 {
		drop, live = p.keepRewritten(drop, live)
		takers = p.takers(live)
	}
	reason := drainReason(replace, drop)
	moved := p.a.Traffic.Total() - live.Total()
	switch {
	case moved == 0:
	case len(takers) == 0 && len(replace) == 0:
		return stage{live: p.d.Traffic, mirror: p.d.Mirror, reason: reason}, true
	case len(takers) == 0:
		p.errs = append(p.errs, p.refuseDrain(replace, drop)...)
		return stage{}, false
	default:
		for _, t := range share(takers, moved) {
			live = live.With(t.Name, live.Get(t.Name)+t.Percent)
		}
	}
	return stage{live: live, mirror: mirror, reason: reason}, true
}

// takers returns the deployments of live that can take the live share of
// those drained: they have provisioned, or will be written first.
func (p *planner) takers(live traffic.Split) []traffic.Entry {
	var takers []traffic.Entry
	for n, v := range live.All() {
		if dep := p.a.Deployment(n); dep != nil && (dep.Status.ProvisioningState.Succeeded() || p.d.Deployment(n) != nil) {
			takers = append(takers, traffic.Entry{Name: n, Percent: v})
		}
	}
	return takers
}

// keepRewritten puts back into live the failed deployments of drop that
// are written again before any traffic step, which may then name them,
// and returns the rest of drop with the new live split. It lets a replaced
// deployment that has only mirror traffic be drained while the live
// traffic stays where it is.
func (p *planner) keepRewritten(drop []string, live traffic.Split) ([]string, traffic.Split) {
	var rest []string
	for _, n := range drop {
		if v := p.a.Traffic.Get(n); v > 0 && p.writtenFirst(n) {
			live = live.With(n, v)
			continue
		}
		rest = append(rest, n)
	}
	return rest, live
}

// writtenFirst reports whether the deployment has a write planned before
// the traffic steps.
func (p *planner) writtenFirst(dep string) bool {
	return slices.ContainsFunc(p.pre, func(w preWrite) bool { return w.deployment == dep })
}

func drainReason(replace, drop []string) string {
	switch {
	case len(replace) == 0:
		return "move traffic off " + joinAnd(drop) + ", whose provisioning failed"
	case len(drop) > 0:
		return "drain " + joinAnd(replace) + " before replacing, and move traffic off " + joinAnd(drop) + ", whose provisioning failed"
	}
	return "drain " + joinAnd(replace) + " before replacing"
}

// refuseDrain is the refusal of a replacement whose traffic has nowhere
// to go, one per replaced deployment that serves: no provisioned
// deployment serves live traffic beside the replaced and failed ones.
func (p *planner) refuseDrain(replace, drop []string) []error {
	var errs []error
	refuse := func(n, msg string) {
		errs = append(errs, &RefusedError{
			Endpoint: p.name, Deployment: n, Rule: "S6", Path: "deployments[" + n + "]", Msg: msg,
			Remedy: fmt.Sprintf("create a deployment under a new name, shift traffic from %s to it, then delete %s", n, n),
		})
	}
	for _, n := range replace {
		if v := p.a.Traffic.Get(n); v > 0 {
			refuse(n, fmt.Sprintf("%s must be replaced and no other provisioned deployment serves live traffic to take its %d%% while it is", n, v))
		}
	}
	if len(errs) == 0 {
		n := replace[0]
		refuse(n, fmt.Sprintf("%s must be replaced, which first removes its %d%% mirror traffic, and the live traffic is on %s, whose provisioning failed, with no provisioned deployment to take it", n, p.a.Mirror.Get(n), joinAnd(drop)))
	}
	return errs
}

// share splits amount among the entries in proportion to their percents,
// by largest remainder, ties to the name that sorts first.
func share(es []traffic.Entry, amount int) []traffic.Entry {
	total := 0
	for _, e := range es {
		total += e.Percent
	}
	out := make([]traffic.Entry, len(es))
	left := amount
	for i, e := range es {
		out[i] = traffic.Entry{Name: e.Name, Percent: amount * e.Percent / total}
		left -= out[i].Percent
	}
	idx := make([]int, len(es))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(x, y int) int {
		return amount*es[y].Percent%total - amount*es[x].Percent%total
	})
	for _, i := range idx[:left] {
		out[i].Percent++
	}
	return out
}

// traffic plans the traffic steps of the endpoint, from (live, mirror)
// after the steps in first, and the writes that wait for them. With
// settings, the first traffic step is an endpoint update that also carries
// the endpoint's settings, or, without traffic steps, such an update stands
// alone.
func (p *planner) traffic(live, mirror traffic.Split, first []stage, settings bool) {
	stages, postGate := p.opts.Strategy.stages(append(p.stages[:0], first...), live, mirror, p.d.Traffic, p.d.Mirror, p.d.Kind() == endpoint.Managed)
	p.stages = stages
	if len(stages) == 0 {
		if settings {
			u := p.endpointUpdate(p.a.Traffic, p.a.Mirror, "update the endpoint's settings")
			// The update re-sends the splits: it waits for the failed
			// deployments they name.
			eachName(func(n string) {
				if p.failedActual(n) {
					if id := p.usePre(n); id != "" {
						u.DependsOn = append(u.DependsOn, id)
					}
				}
			}, p.a.Traffic, p.a.Mirror)
			p.add(u)
		}
		return
	}

	ids := make([]string, len(stages))
	var prevLive, prevMirror traffic.Split
	if p.a != nil {
		prevLive, prevMirror = p.a.Traffic, p.a.Mirror
	}
	// last holds, for each deployment whose share changes, the 1-based
	// traffic step that last changed it.
	p.last = p.last[:0]
	prev := ""
	for k, st := range stages {
		deps := p.deps[:0]
		held := false
		for _, g := range st.gates {
			var gid string
			if g.deployment == "" && prev != "" {
				gid = p.id("gate", g.name, strconv.Itoa(k))
			} else {
				gid = p.id("gate", g.name)
			}
			var gdeps []string
			if g.hold && prev != "" {
				gdeps = append(gdeps, prev)
				held = true
			}
			if g.deployment != "" {
				if id := p.usePre(g.deployment); id != "" {
					gdeps = append(gdeps, id)
				}
			}
			p.add(Step{ID: gid, Action: Gate, Endpoint: p.name, Deployment: g.deployment, DependsOn: gdeps, Gate: g.name, Reason: g.reason})
			deps = append(deps, gid)
		}
		if prev != "" && !held {
			deps = append(deps, prev)
		}
		eachName(func(n string) {
			grows := st.live.Get(n) > prevLive.Get(n) || st.mirror.Get(n) > prevMirror.Get(n)
			if grows || p.failedActual(n) && (st.live.Get(n) > 0 || st.mirror.Get(n) > 0) {
				if id := p.usePre(n); id != "" {
					deps = append(deps, id)
				}
			}
			if st.live.Get(n) != prevLive.Get(n) || st.mirror.Get(n) != prevMirror.Get(n) {
				p.last.set(n, k+1)
			}
		}, prevLive, prevMirror, st.live, st.mirror)

		var id string
		if len(stages) > 1 {
			id = p.id("traffic", strconv.Itoa(k+1))
		} else {
			id = p.id("traffic")
		}
		p.deps = deps
		deps = p.keep(deps)
		s := Step{ID: id, Action: SetTraffic, Endpoint: p.name, DependsOn: deps,
			TrafficBefore: prevLive, MirrorBefore: prevMirror, Traffic: st.live, Mirror: st.mirror,
			Changes: p.trafficChanges(prevLive, prevMirror, st.live, st.mirror), Reason: st.reason}
		if k == 0 && settings {
			u := p.endpointUpdate(st.live, st.mirror, "update the endpoint's settings and "+st.reason)
			u.DependsOn = deps
			u.TrafficBefore, u.MirrorBefore = prevLive, prevMirror
			u.Changes = append(u.Changes, s.Changes...)
			s = u
		}
		p.add(s)
		ids[k] = s.ID
		prev = s.ID
		prevLive, prevMirror = st.live, st.mirror
	}

	stepOf := func(k int) string { return ids[k-1] }
	if postGate != "" {
		gid := ""
		needGate := func() string {
			if gid == "" {
				gid = p.id("gate", postGate, strconv.Itoa(len(stages)))
				p.add(Step{ID: gid, Action: Gate, Endpoint: p.name, DependsOn: []string{prev}, Gate: postGate,
					Reason: "hold after the switch before capacity is removed"})
			}
			return gid
		}
		p.postDepsWith(p.last, stepOf, needGate)
		return
	}
	p.postDepsWith(p.last, stepOf, nil)
}

// postDepsWith makes each post write wait for the traffic step that last
// changed its deployment's share (or, for a replaced deployment, the step
// that drained it), or for the hold gate when gate is not nil.
func (p *planner) postDepsWith(last changes, stepOf func(int) string, gate func() string) {
	for _, w := range p.post {
		k := last.get(w.deployment)
		if w.drained {
			k = 1
		}
		if k == 0 {
			continue
		}
		dep := stepOf(k)
		if gate != nil && !w.drained {
			dep = gate()
		}
		s := &p.steps[w.step]
		s.DependsOn = append(s.DependsOn, dep)
		slices.Sort(s.DependsOn)
	}
}

func (p *planner) endpointUpdate(live, mirror traffic.Split, reason string) Step {
	before, after := endpointOnly(p.a), endpointOnly(p.d)
	after.Traffic, after.Mirror = live, mirror
	if p.a.Status.ProvisioningState.Failed() {
		reason = fmt.Sprintf("provisioning state %s: apply the endpoint again", p.a.Status.ProvisioningState)
	}
	return Step{ID: p.id("update"), Action: UpdateEndpoint, Endpoint: p.name,
		EndpointBefore: before, EndpointAfter: after,
		TrafficBefore: p.a.Traffic, MirrorBefore: p.a.Mirror, Traffic: live, Mirror: mirror,
		Changes: endpoint.DiffEndpoint(p.a, p.d), Reason: reason}
}

func (p *planner) failedActual(name string) bool {
	if p.a == nil {
		return false
	}
	dep := p.a.Deployment(name)
	return dep != nil && !dep.Status.ProvisioningState.Succeeded()
}

func deleteEndpoint(a *endpoint.Endpoint, reason string) Step {
	return Step{ID: a.Name + "/delete", Action: DeleteEndpoint, Endpoint: a.Name, EndpointBefore: endpointOnly(a), Reason: reason}
}

// endpointOnly is a copy of the endpoint without its deployments and
// status, as endpoint steps carry it.
func endpointOnly(e *endpoint.Endpoint) *endpoint.Endpoint {
	c := *e
	c.Deployments = nil
	c.Status = endpoint.Status{}
	return c.Clone()
}

func serving(e *endpoint.Endpoint) bool { return !e.Traffic.IsZero() || !e.Mirror.IsZero() }

// hasTraffic reports whether the deployment has live or mirror traffic.
func hasTraffic(e *endpoint.Endpoint, name string) bool {
	return e.Traffic.Get(name) > 0 || e.Mirror.Get(name) > 0
}

// busy returns a *BusyError for the endpoint or its first busy deployment.
func busy(a *endpoint.Endpoint) error {
	if a.Status.ProvisioningState.Busy() {
		return &BusyError{Endpoint: a.Name, State: a.Status.ProvisioningState}
	}
	for i := range a.Deployments {
		if s := a.Deployments[i].Status.ProvisioningState; s.Busy() {
			return &BusyError{Endpoint: a.Name, Deployment: a.Deployments[i].Name, State: s}
		}
	}
	return nil
}

// changes maps deployment names to a traffic step number; an endpoint has
// few deployments, so a slice beats a map.
type changes []struct {
	name string
	step int
}

func (c *changes) set(name string, step int) {
	for i := range *c {
		if (*c)[i].name == name {
			(*c)[i].step = step
			return
		}
	}
	*c = append(*c, struct {
		name string
		step int
	}{name, step})
}

func (c changes) get(name string) int {
	for _, e := range c {
		if e.name == name {
			return e.step
		}
	}
	return 0
}

// eachName calls f once for every deployment named in any of the splits,
// in no particular order. Splits drop zero entries, so a name is new when
// no earlier split gives it a percent.
func eachName(f func(string), splits ...traffic.Split) {
	for i, s := range splits {
		for n := range s.All() {
			seen := false
			for _, earlier := range splits[:i] {
				if earlier.Get(n) > 0 {
					seen = true
					break
				}
			}
			if !seen {
				f(n)
			}
		}
	}
}

// union returns the names in any of the splits, sorted.
func union(splits ...traffic.Split) []string {
	var out []string
	eachName(func(n string) { out = append(out, n) }, splits...)
	slices.Sort(out)
	return out
}

// trafficChanges lists the entries of the live and mirror splits that
// change, as traffic.NAME and then mirror_traffic.NAME, each in name
// order, in a slice of the planner's changes slab.
func (p *planner) trafficChanges(live, mirror, toLive, toMirror traffic.Split) []endpoint.Change {
	out := slices.Grow(p.changed[:0], live.Len()+toLive.Len()+mirror.Len()+toMirror.Len())
	add := func(prefix string, from, to traffic.Split) {
		start := len(out)
		eachName(func(n string) {
			if a, b := from.Get(n), to.Get(n); a != b {
				out = append(out, endpoint.Change{Path: n, Before: strconv.Itoa(a), After: strconv.Itoa(b)})
			}
		}, from, to)
		slices.SortFunc(out[start:], func(x, y endpoint.Change) int { return strings.Compare(x.Path, y.Path) })
		for i := start; i < len(out); i++ {
			out[i].Path = p.text.join(prefix, out[i].Path)
		}
	}
	add("traffic.", live, toLive)
	add("mirror_traffic.", mirror, toMirror)
	p.changed = out
	if len(out) == 0 {
		return nil
	}
	cs := carve(&p.changes, len(out), maxChanges)
	copy(cs, out)
	return cs
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	s := items[0]
	for _, it := range items[1 : len(items)-1] {
		s += ", " + it
	}
	return s + " and " + items[len(items)-1]
}
