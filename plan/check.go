package plan

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/internal/rules"
)

// MaxOrders bounds the orders [Check] replays for each group of endpoints
// whose steps depend on one another (endpoints without such links are
// checked on their own, since they share no state). When a group's
// dependencies allow more orders, Check replays the plan's own order and
// MaxOrders-1 others drawn by a pseudo-random generator with a fixed seed,
// so the same plan is always checked the same way.
const MaxOrders = 512

// Check replays p over actual in every order its dependencies allow (or
// [MaxOrders] of them per endpoint), and returns the first broken rule as a
// [*ViolationError]:
//   - after every step, for each endpoint: live traffic totals 100 or 0
//     (S1); an endpoint that served before the plan and serves at its end
//     serves throughout (S1); live and mirror traffic name only deployments
//     that exist and provisioned successfully (S2); the mirror names at
//     most one deployment, at most 50 percent, none with live traffic, on
//     a managed endpoint only (S3); a deployment with live traffic has at
//     least one instance (S5);
//   - at each step: the service would accept it (see [Simulate]; a delete
//     of a deployment that still has traffic breaks S4, an in-place change
//     of instance_type or compute S6); a traffic step raises a
//     deployment's share only once it has the capacity it has at the end
//     of the plan (S5); a deployment is scaled down only once its share is
//     no more than at the end (S5);
//   - every order ends in the same state (P1).
//
// Every write is replayed through the service's rules, the ones the
// in-memory service in package fakes enforces, and a write they refuse is
// blamed on the plan even when the state had the problem before it (an
// endpoint write that re-sends traffic to a Failed deployment is refused).
// A problem of the state itself that the plan did not cause and no write
// touches (a Failed deployment that keeps serving while another is
// created, say) is not blamed on the plan while it lasts. Check also
// refuses a malformed plan (duplicate ids, unknown dependencies, cycles)
// and, with [ErrStale], a plan whose fingerprint is not that of actual
// with the plan's own labels ([Plan.Labels]): whether the labels still
// point there is for the executor to observe.
func Check(actual []*endpoint.Endpoint, p *Plan) error {
	_, err := check(actual, p)
	return err
}

// Verify is [Check] followed by convergence: the state the plan leaves is
// the normalized desired state for every desired endpoint, and every other
// endpoint is either as it was or deleted (P1). A plan made with
// BlueGreen(true) may leave, beside the desired deployments, the old ones
// it kept at 0 percent.
func Verify(desired, actual []*endpoint.Endpoint, p *Plan) error {
	final, err := check(actual, p)
	if err != nil {
		return err
	}
	des, err := prepare(desired, true)
	if err != nil {
		return err
	}
	act, err := prepare(actual, false)
	if err != nil {
		return err
	}
	keep := keepsOld(p.Strategy)
	seen := map[string]bool{}
	for _, d := range des {
		seen[d.key] = true
		f := final[d.key]
		if f == nil {
			return &ViolationError{Rule: "P1", Msg: fmt.Sprintf("endpoint %s does not exist at the end of the plan", d.e.Name)}
		}
		if keep {
			f = withoutKept(f, d.e, actualNamed(act, d.key))
		}
		g := *d.e
		g.Name = f.Name
		g.Deployments = slices.Clone(g.Deployments)
		spellLike(&g, f)
		rules.Adopt(&g, f)
		if msg := difference(f, &g); msg != "" {
			return &ViolationError{Rule: "P1", Msg: fmt.Sprintf("endpoint %s does not reach the desired state: %s", d.e.Name, msg)}
		}
	}
	for _, a := range act {
		if seen[a.key] {
			continue
		}
		if f := final[a.key]; f != nil && !endpoint.Equal(f, a.e) {
			return &ViolationError{Rule: "P1", Msg: fmt.Sprintf("endpoint %s is not in the desired state but the plan changes it: %s", a.e.Name, difference(f, a.e))}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(final)) {
		if !seen[k] && final[k] != nil && !slices.ContainsFunc(act, func(a named) bool { return a.key == k }) {
			return &ViolationError{Rule: "P1", Msg: fmt.Sprintf("endpoint %s is created but not desired", final[k].Name)}
		}
	}
	return nil
}

// withoutKept drops the deployments that f has, d does not (by name
// without regard to case), that serve no traffic, and that served live
// traffic in a, the endpoint before the plan (nil when it did not exist):
// the ones a keep-old blue-green plan keeps for rollback. Any other
// deployment d leaves out is one the plan had to delete. The splits of f
// and a name deployments as f does, the service's spelling.
func withoutKept(f, d, a *endpoint.Endpoint) *endpoint.Endpoint {
	c := *f
	c.Deployments = slices.DeleteFunc(slices.Clone(f.Deployments), func(dep endpoint.Deployment) bool {
		_, desired := rules.FindDeployment(d, dep.Name)
		return !desired && f.Traffic.Get(dep.Name) == 0 && f.Mirror.Get(dep.Name) == 0 &&
			a != nil && a.Traffic.Get(dep.Name) > 0
	})
	return &c
}

// actualNamed returns the endpoint of list with the given key, or nil.
// list is sorted by key, with no key twice (index).
func actualNamed(list []named, key string) *endpoint.Endpoint {
	i, found := slices.BinarySearchFunc(list, key, func(n named, key string) int { return strings.Compare(n.key, key) })
	if !found {
		return nil
	}
	return list[i].e
}

// difference describes the first difference between two endpoints, or "".
func difference(got, want *endpoint.Endpoint) string {
	if endpoint.Equal(got, want) {
		return ""
	}
	if cs := endpoint.DiffEndpoint(got, want); len(cs) > 0 {
		return cs[0].String()
	}
	if !got.Traffic.Equal(want.Traffic) {
		return fmt.Sprintf("traffic is %s, want %s", got.Traffic, want.Traffic)
	}
	if !got.Mirror.Equal(want.Mirror) {
		return fmt.Sprintf("mirror traffic is %s, want %s", got.Mirror, want.Mirror)
	}
	for _, n := range deploymentNames(got, want) {
		g, w := got.Deployment(n), want.Deployment(n)
		switch {
		case g == nil:
			return "deployment " + n + " is missing"
		case w == nil:
			return "deployment " + n + " is not desired"
		}
		if cs := endpoint.DiffDeployment(*g, *w); len(cs) > 0 {
			return "deployment " + n + ": " + cs[0].String()
		}
	}
	return "deployments are in another order"
}

func deploymentNames(es ...*endpoint.Endpoint) []string {
	var out []string
	for _, e := range es {
		for i := range e.Deployments {
			out = append(out, e.Deployments[i].Name)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// check runs Check and returns the final state of the plan's own order by
// folded endpoint name (deleted endpoints are nil).
func check(actual []*endpoint.Endpoint, p *Plan) (map[string]*endpoint.Endpoint, error) {
	if p == nil {
		return nil, errors.New("plan: no plan to check")
	}
	init, err := prepare(actual, false)
	if err != nil {
		return nil, err
	}
	if fp := withLabels(fingerprint(init), p.Labels); p.Fingerprint != "" && p.Fingerprint != fp {
		return nil, fmt.Errorf("%w: the plan's fingerprint is %s, the state's %s", ErrStale, p.Fingerprint, fp)
	}
	index, err := p.StepIndex()
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}

	final := make(map[string]*endpoint.Endpoint, len(init))
	for _, n := range init {
		final[n.key] = n.e
	}
	for gi, g := range groups(p.Steps, index) {
		c := newChecker(p.Steps, g, index, final)
		if err := c.run(gi); err != nil {
			return nil, err
		}
		for slot, k := range c.keys {
			final[k] = c.final[slot]
		}
	}
	return final, nil
}

// groups partitions the steps (by index, in plan order) into sets that
// share state or dependencies: the steps of one endpoint, merged with the
// steps of other endpoints they depend on.
func groups(steps []Step, index map[string]int) [][]int {
	parent := map[string]string{}
	var find func(string) string
	find = func(k string) string {
		p, ok := parent[k]
		if !ok || p == k {
			parent[k] = k
			return k
		}
		r := find(p)
		parent[k] = r
		return r
	}
	for i := range steps {
		k := strings.ToLower(steps[i].Endpoint)
		find(k)
		for _, d := range steps[i].DependsOn {
			if o := strings.ToLower(steps[index[d]].Endpoint); o != k {
				parent[find(o)] = find(k)
			}
		}
	}
	byRoot := map[string]int{}
	var out [][]int
	for i := range steps {
		r := find(strings.ToLower(steps[i].Endpoint))
		g, ok := byRoot[r]
		if !ok {
			g = len(out)
			byRoot[r] = g
			out = append(out, nil)
		}
		out[g] = append(out[g], i)
	}
	return out
}

// checker replays the steps of one group.
type checker struct {
	steps []*Step
	slot  []int   // the endpoint slot each step writes
	deps  [][]int // within the group
	rdeps [][]int
	keys  []string             // folded endpoint name of each slot
	init  []*endpoint.Endpoint // by slot
	final []*endpoint.Endpoint // by slot, after the plan's own order
	grand []map[string]bool    // violations already in the initial state
}

func newChecker(all []Step, g []int, index map[string]int, state map[string]*endpoint.Endpoint) *checker {
	c := &checker{}
	local := make(map[int]int, len(g))
	for li, i := range g {
		local[i] = li
	}
	slots := map[string]int{}
	for _, i := range g {
		s := &all[i]
		k := strings.ToLower(s.Endpoint)
		sl, ok := slots[k]
		if !ok {
			sl = len(c.keys)
			slots[k] = sl
			c.keys = append(c.keys, k)
			c.init = append(c.init, state[k])
		}
		c.steps = append(c.steps, s)
		c.slot = append(c.slot, sl)
	}
	c.deps = make([][]int, len(g))
	c.rdeps = make([][]int, len(g))
	for li, i := range g {
		for _, d := range all[i].DependsOn {
			lj := local[index[d]]
			c.deps[li] = append(c.deps[li], lj)
			c.rdeps[lj] = append(c.rdeps[lj], li)
		}
	}
	c.grand = make([]map[string]bool, len(c.keys))
	for sl, e := range c.init {
		c.grand[sl] = map[string]bool{}
		for _, v := range stateViolations(e) {
			c.grand[sl][v.key] = true
		}
	}
	return c
}

// run checks the plan's own order, then every order or a sample of them.
// The end state of the plan's own order comes first, since the rules about
// capacity and serving compare each state with it.
func (c *checker) run(group int) error {
	n := len(c.steps)
	own := make([]int, n)
	for i := range own {
		own[i] = i
	}
	c.final = slices.Clone(c.init)
	for k, i := range own {
		after, err := apply(c.final[c.slot[i]], c.steps[i])
		if err != nil {
			err.Msg += " (order " + c.orderText(own[:k+1]) + ")"
			return err
		}
		c.final[c.slot[i]] = after
	}
	if countOrders(c, MaxOrders+1) <= MaxOrders {
		indeg := make([]int, n)
		for i := range indeg {
			indeg[i] = len(c.deps[i])
		}
		return c.dfs(slices.Clone(c.init), indeg, make([]int, 0, n))
	}
	if err := c.replay(own, slices.Clone(c.init)); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(uint64(group), 0x726f6c6c6f7574))
	for range MaxOrders - 1 {
		if err := c.replay(randomOrder(c, rng), slices.Clone(c.init)); err != nil {
			return err
		}
	}
	return nil
}

// countOrders counts the topological orders of the group, stopping at
// limit.
func countOrders(c *checker, limit int) int {
	n := len(c.steps)
	indeg := make([]int, n)
	for i := range indeg {
		indeg[i] = len(c.deps[i])
	}
	placed := make([]bool, n)
	count := 0
	var walk func(depth int)
	walk = func(depth int) {
		if count >= limit {
			return
		}
		if depth == n {
			count++
			return
		}
		for i := 0; i < n; i++ {
			if placed[i] || indeg[i] > 0 {
				continue
			}
			placed[i] = true
			for _, j := range c.rdeps[i] {
				indeg[j]--
			}
			walk(depth + 1)
			for _, j := range c.rdeps[i] {
				indeg[j]++
			}
			placed[i] = false
		}
	}
	walk(0)
	return count
}

func randomOrder(c *checker, rng *rand.Rand) []int {
	n := len(c.steps)
	indeg := make([]int, n)
	var ready []int
	for i := range indeg {
		indeg[i] = len(c.deps[i])
		if indeg[i] == 0 {
			ready = append(ready, i)
		}
	}
	out := make([]int, 0, n)
	for len(ready) > 0 {
		k := rng.IntN(len(ready))
		i := ready[k]
		ready = slices.Delete(ready, k, k+1)
		out = append(out, i)
		for _, j := range c.rdeps[i] {
			if indeg[j]--; indeg[j] == 0 {
				ready = append(ready, j)
			}
		}
	}
	return out
}

// dfs walks every order, sharing the replay of common prefixes. state is
// owned by the call and restored before it returns.
func (c *checker) dfs(state []*endpoint.Endpoint, indeg []int, prefix []int) error {
	if len(prefix) == len(c.steps) {
		return c.converged(state, prefix)
	}
	for i := range c.steps {
		if indeg[i] != 0 || slices.Contains(prefix, i) {
			continue
		}
		sl := c.slot[i]
		before := state[sl]
		after, err := c.step(i, before, append(prefix, i))
		if err != nil {
			return err
		}
		state[sl] = after
		for _, j := range c.rdeps[i] {
			indeg[j]--
		}
		err = c.dfs(state, indeg, append(prefix, i))
		for _, j := range c.rdeps[i] {
			indeg[j]++
		}
		state[sl] = before
		if err != nil {
			return err
		}
	}
	return nil
}

// replay applies the steps in order to state, checking each and the end
// state.
func (c *checker) replay(order []int, state []*endpoint.Endpoint) error {
	for k, i := range order {
		after, err := c.step(i, state[c.slot[i]], order[:k+1])
		if err != nil {
			return err
		}
		state[c.slot[i]] = after
	}
	return c.converged(state, order)
}

func (c *checker) converged(state []*endpoint.Endpoint, order []int) error {
	for sl := range state {
		if !sameState(state[sl], c.final[sl]) {
			return &ViolationError{Rule: "P1", Msg: fmt.Sprintf("endpoint %s ends in another state in order %s than in the plan's order", c.keys[sl], c.orderText(order))}
		}
	}
	return nil
}

// step applies step i to before and checks the rules; order is the order so
// far, ending with i, for the message.
func (c *checker) step(i int, before *endpoint.Endpoint, order []int) (*endpoint.Endpoint, error) {
	s := c.steps[i]
	sl := c.slot[i]
	after, verr := apply(before, s)
	if verr != nil {
		verr.Msg += " (order " + c.orderText(order) + ")"
		return nil, verr
	}
	fail := func(rule, format string, args ...any) error {
		return &ViolationError{Rule: rule, Step: s.ID, Msg: fmt.Sprintf(format, args...) + " (order " + c.orderText(order) + ")"}
	}
	for _, v := range stateViolations(after) {
		if !c.grand[sl][v.key] {
			return nil, fail(v.rule, "%s", v.msg)
		}
	}
	init, final := c.init[sl], c.final[sl]
	if final != nil && init != nil && init.Traffic.Total() == 100 && final.Traffic.Total() == 100 && (after == nil || after.Traffic.Total() != 100) {
		return nil, fail("S1", "endpoint %s stops serving, though it serves before and after the plan", s.Endpoint)
	}
	if after == nil || final == nil {
		return after, nil
	}
	switch s.Action {
	case SetTraffic, UpdateEndpoint, CreateEndpoint:
		for _, n := range union(after.Traffic, after.Mirror) {
			var was, wasMirror int
			if before != nil {
				was, wasMirror = before.Traffic.Get(n), before.Mirror.Get(n)
			}
			if after.Traffic.Get(n) <= was && after.Mirror.Get(n) <= wasMirror {
				continue
			}
			cur, end := after.Deployment(n), final.Deployment(n)
			if cur != nil && end != nil && cur.Capacity() < end.Capacity() {
				return nil, fail("S5", "the share of %s grows while it has %d instances of the %d it has at the end", n, cur.Capacity(), end.Capacity())
			}
		}
	case UpdateDeployment:
		n := s.DeploymentAfter.Name
		old, cur := before.Deployment(n), after.Deployment(n)
		if old == nil || cur == nil || cur.Capacity() >= old.Capacity() {
			break
		}
		if after.Traffic.Get(n) > final.Traffic.Get(n) {
			return nil, fail("S5", "%s is scaled down from %d to %d instances while it serves %d%% of live traffic, more than the %d%% it serves at the end",
				n, old.Capacity(), cur.Capacity(), after.Traffic.Get(n), final.Traffic.Get(n))
		}
		if after.Mirror.Get(n) > final.Mirror.Get(n) {
			return nil, fail("S5", "%s is scaled down from %d to %d instances while it takes %d%% of mirror traffic, more than the %d%% it takes at the end",
				n, old.Capacity(), cur.Capacity(), after.Mirror.Get(n), final.Mirror.Get(n))
		}
	}
	return after, nil
}

func (c *checker) orderText(order []int) string {
	ids := make([]string, len(order))
	for k, i := range order {
		ids[k] = c.steps[i].ID
	}
	return strings.Join(ids, " → ")
}

type violation struct {
	rule, key, msg string
}

// stateViolations lists the rules a single endpoint state breaks, each with
// a key that stays the same while the same problem lasts.
func stateViolations(e *endpoint.Endpoint) []violation {
	if e == nil {
		return nil
	}
	var out []violation
	if err := e.Traffic.Validate(); err != nil {
		out = append(out, violation{"S1", "S1", fmt.Sprintf("endpoint %s: %v", e.Name, err)})
	}
	for _, which := range [2]string{"live", "mirror"} {
		split := e.Traffic
		if which == "mirror" {
			split = e.Mirror
		}
		for n := range split.All() {
			d := e.Deployment(n)
			switch {
			case d == nil:
				out = append(out, violation{"S2", "S2/" + which + "/" + n, fmt.Sprintf("%s traffic names deployment %s, which does not exist", which, n)})
			case !d.Status.ProvisioningState.Succeeded():
				out = append(out, violation{"S2", "S2/" + which + "/" + n, fmt.Sprintf("%s traffic names deployment %s, whose provisioning state is %s", which, n, d.Status.ProvisioningState)})
			case which == "live" && d.Capacity() < 1:
				out = append(out, violation{"S5", "S5/" + n, fmt.Sprintf("deployment %s serves traffic with %d instances", n, d.Capacity())})
			}
		}
	}
	if !e.Mirror.IsZero() && e.Kind() != endpoint.Managed {
		out = append(out, violation{"S3", "S3/kind", "mirror traffic on a Kubernetes endpoint"})
	}
	if err := e.Mirror.ValidateMirror(e.Traffic); err != nil {
		out = append(out, violation{"S3", "S3/" + e.Mirror.String(), fmt.Sprintf("mirror traffic: %v", err)})
	}
	return out
}

// sameState reports whether two endpoint states are the same spec with the
// same provisioning states.
func sameState(a, b *endpoint.Endpoint) bool {
	if a == nil || b == nil {
		return a == b
	}
	if !endpoint.Equal(a, b) || a.Status != b.Status {
		return false
	}
	for i := range a.Deployments {
		if a.Deployments[i].Status != b.Deployments[i].Status {
			return false
		}
	}
	return true
}
