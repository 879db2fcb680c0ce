package plan

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/internal/rules"
)

// Compute returns the plan that takes actual, the state the service
// reports, to desired. It is pure: it reads its arguments only, never
// modifies them, and gives the same plan for the same inputs in any order.
// Desired endpoints are checked with [endpoint.Validate] (any problem is
// returned as an [endpoint.ErrorList] and nothing is planned); both sides
// are compared as [endpoint.Normalized] copies, so server defaults never
// show as changes. Endpoints are matched by name without regard to case,
// as the service does, and the plan uses the name the service reports.
// Deployments are matched the same way, and keep the spelling the service
// reports: a desired blue is the actual Blue, updated in place when its
// spec differs, and traffic to blue is traffic to Blue.
//
// # What is planned
//
// A desired endpoint that does not exist is created (without traffic),
// then its deployments, then its traffic. An actual endpoint that is not
// desired is deleted only with [Options.DeleteUnlisted]. For an endpoint on
// both sides: absent deployments are created, extra ones deleted, changed
// ones updated in place, traffic changed by the steps of the strategy, and
// the endpoint's own settings (description, tags, auth mode, identity,
// public network access) updated. A change of settings goes in the same
// update as the first traffic step, since the service replaces traffic and
// settings in one call; without a traffic change it is a step of its own
// that carries the unchanged traffic and mirror. Every traffic step sends
// the full live and mirror splits.
//
// A deployment whose provisioning Failed or was Canceled is written again
// (updated with its desired spec, changed or not) before any traffic step
// raises its share, or, when it loses both share and instances, after its
// traffic has moved like any scale-down; an endpoint in that state gets an
// endpoint update.
// When any resource of an endpoint the plan would touch is still Creating,
// Updating, Scaling or Deleting, Compute refuses with a [*BusyError]
// (matching [ErrBusy]) instead of waiting: waiting is the executor's job,
// and only a fresh observation says what the operation left behind. A
// resource that reports no provisioning state counts as Succeeded.
//
// The service takes asset versions, never labels: a deployment write that
// selects an asset by a label (azureml:NAME@latest) without the version it
// resolved to is refused with a [*RefusedError] of rule "spec" naming the
// field. Resolve labels first ([endpoint.Deployment.WithLabels], or
// rollout.ResolveLabels against the service); a deployment the service
// holds with the same spec is not written, and is not refused.
//
// # Changes that cannot be made in place (S6)
//
// A deployment's instance_type and type, an endpoint's compute, and the
// value of a property either holds cannot change in place: the service's
// properties "can be added, but not removed or altered". A property a spec
// leaves out is no change; the writes send it back as the service holds
// it. A deployment with neither live nor mirror traffic before
// and after the plan is replaced: deleted, then created. Otherwise Compute
// refuses with a [*RefusedError] (matching [ErrRefused]) that spells out the
// safe path: a deployment under a new name, traffic shifted to it, the old
// one deleted. [Options.AllowReplace] drains, replaces and refills the
// deployment instead. An endpoint whose compute or property changes is
// replaced (with its deployments) only while it serves no traffic;
// otherwise Compute refuses, with or without AllowReplace.
//
// # Ordering
//
// DependsOn holds exactly the orderings the safety rules need, so that
// independent work proceeds in parallel (the executor still sends one
// operation at a time to an endpoint, rule S7); endpoints never depend on
// one another. Within an endpoint:
//   - a created endpoint comes before its deployments, and a replaced
//     endpoint is deleted before it is created again;
//   - a traffic step comes after the writes of every deployment whose live
//     or mirror share it raises (creates, scale-ups, in-place updates) and
//     of every deployment it names whose provisioning had failed;
//   - a deployment is deleted, or updated to fewer instances, after the
//     last traffic step that changes its share; a deployment that keeps its
//     share is scaled down without waiting for traffic;
//   - a replaced deployment is created after it was deleted, and deleted
//     after the step that drained it;
//   - when creating the new deployments first would take the endpoint past
//     the service's 20 deployments, they are created after the deletes
//     that wait for no traffic; when those deletes are not enough, Compute
//     refuses (a [*RefusedError] with rule "limit");
//   - traffic steps, and the gates between them, form one chain;
//   - a gate for a deployment (smoke:green) comes after that deployment's
//     writes.
//
// # Depth
//
// With [Direct], the longest chain of DependsOn in an endpoint has at most
// three steps (writes that add capacity, the traffic step, writes that
// remove it), plus one when the endpoint is created (the endpoint before
// its deployments) and one more when it is replaced. Replacing a deployment
// that serves traffic with AllowReplace adds a drain step, its delete and
// its create, and waiting for deletes at the deployment limit adds one.
// Other strategies add their stages and gates.
//
// # Steps
//
// Steps are listed in a topological order of DependsOn: endpoints in name
// order, and within an endpoint, among the steps that are ready, first by
// action (delete endpoint, create endpoint, update endpoint, create, update
// and delete deployment, gate, set traffic), then by deployment and id.
// Step ids are stable and readable:
//
//	ENDPOINT/create, ENDPOINT/update, ENDPOINT/delete
//	ENDPOINT/DEPLOYMENT/create, .../update, .../delete
//	ENDPOINT/traffic               the only traffic step of the endpoint
//	ENDPOINT/traffic/K             the K-th of several (from 1)
//	ENDPOINT/gate/NAME             a gate for a deployment (smoke:green)
//	ENDPOINT/gate/NAME/K           a holding gate after traffic step K (bake/1)
//	ENDPOINT/asset/KIND/KEY        a register_asset step (endpoint.LocalAsset.Key)
//
// # Local files
//
// A deployment write that needs a local code folder, model or inline
// environment registered (one whose identity loading computed, and that
// the actual deployment does not already use) depends on a register_asset
// step, one per asset version in the endpoint however many deployments
// use it. Such steps depend on nothing, so uploads start at once, beside
// the endpoint's own writes; they change no endpoint. An unchanged folder
// needs no step and shows no change.
//
// When an endpoint update carries the first traffic stage, that stage's id
// is ENDPOINT/update and the numbering of the others is unchanged.
func Compute(desired, actual []*endpoint.Endpoint, opts Options) (*Plan, error) {
	if err := opts.Strategy.validate(); err != nil {
		return nil, fmt.Errorf("plan: strategy %s: %w", opts.Strategy, err)
	}
	// Each desired endpoint is validated where the loop reaches it, just
	// before it is compared, while its memory is at hand; the first
	// problem gives way to refuse, which reports them all.
	des, err := index(desired, false)
	if err != nil {
		return nil, refuse(desired, err)
	}
	act, err := index(actual, false)
	if err != nil {
		return nil, refuse(desired, err)
	}

	// Endpoints are normalized one at a time into reused storage; the
	// planner copies out what its steps keep.
	var dn, an endpoint.Normalizer
	h, hd := hasher{h: sha256.New()}, desiredHasher()
	p := &Plan{FormatVersion: FormatVersion, Strategy: opts.Strategy.String()}
	pl := &planner{opts: opts}
	sl := newSealer()
	var errs []error
	var labels []endpoint.AssetLabel
	i, j := 0, 0
	for i < len(des) || j < len(act) {
		var d, a *endpoint.Endpoint
		var same bool
		if i < len(des) && j < len(act) && des[i].key == act[j].key {
			// Compared before it is validated: comparing reads the
			// spec and the observation side by side, which the memory
			// system fetches at once, and validating then finds the
			// spec in the cache.
			same = unchanged(des[i].e, act[j].e)
		}
		if i < len(des) && (j == len(act) || des[i].key <= act[j].key) && endpoint.Validate(des[i].e) != nil {
			return nil, refuse(desired, nil)
		}
		switch {
		case j == len(act) || i < len(des) && des[i].key < act[j].key:
			labels = resolvedLabels(labels, des[i].e)
			d = dn.Normalize(des[i].e)
			hd.add(d)
			i++
		case i == len(des) || act[j].key < des[i].key:
			a = an.Normalize(act[j].e)
			h.add(a)
			j++
		default:
			a = an.Normalize(act[j].e)
			if same && !des[i].e.UsesLabels() && sameReferences(des[i].e, act[j].e) {
				// Equal specs, names and references included: the
				// desired fingerprint reads the spec from the
				// normalized actual endpoint, without its status.
				// No label, so no resolved label either.
				addBoth(&h, &hd, a)
			} else {
				labels = resolvedLabels(labels, des[i].e)
				h.add(a)
				d = dn.Normalize(des[i].e)
				hd.add(d)
				d.Name = a.Name
				spellLike(d, a)
				rules.Adopt(d, a)
				same = unchanged(d, a)
			}
			i++
			j++
			if same {
				continue
			}
		}
		steps, err := pl.plan(d, a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if a != nil {
			sl.learn(a, &h.w, pl.carried)
		}
		steps = withAssets(steps)
		n := len(p.Steps)
		p.Steps = order(reserve(p.Steps, len(steps), i+j, len(des)+len(act)), steps)
		sl.steps(p.Steps[n:])
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cap(p.Steps) > 2*len(p.Steps) {
		p.Steps = slices.Clone(p.Steps)
	}
	if p.Labels, err = uniqueLabels(labels); err != nil {
		return nil, err
	}
	p.Fingerprint = withLabels(h.sum(), p.Labels)
	p.DesiredFingerprint = hd.sum()
	p.Summary = summarize(p.Steps)
	seal(p, sl.sum(p))
	return p, nil
}

// refuse returns the error of a Compute that cannot plan: the problems of
// every invalid desired endpoint (as an [endpoint.ErrorList]) before err.
func refuse(desired []*endpoint.Endpoint, err error) error {
	if _, verr := index(desired, true); verr != nil {
		return verr
	}
	return err
}

// unchanged reports whether the plan of an endpoint desired as d and
// reported as a has no step, so that the planner can skip it after one
// comparison: the specs are equal and nothing failed, which would be
// written again. Specs equal before normalization are equal after it, so
// Compute first compares them as given and normalizes the desired one
// only when they differ.
func unchanged(d, a *endpoint.Endpoint) bool {
	if !endpoint.Equal(d, a) || a.Status.ProvisioningState.Failed() {
		return false
	}
	for i := range a.Deployments {
		if a.Deployments[i].Status.ProvisioningState.Failed() {
			return false
		}
	}
	return true
}

// reserve makes room for n more steps, having planned done of the total
// endpoints (counted on both sides). A full slice grows to what the
// endpoints so far predict for all of them: a fleet of similar endpoints
// then fills one allocation instead of the dozens append would make, each
// copying every step before it. Compute copies out a plan that the
// prediction overestimated by more than half, so it holds no slack.
func reserve(steps []Step, n, done, total int) []Step {
	if n <= cap(steps)-len(steps) {
		return steps
	}
	need := len(steps) + n
	return slices.Grow(steps, max(need, need*total/done)-len(steps))
}

// named is an endpoint with its matching key.
type named struct {
	key string
	e   *endpoint.Endpoint
}

// prepare returns normalized copies of the endpoints, sorted as [index]
// sorts them.
func prepare(in []*endpoint.Endpoint, validate bool) ([]named, error) {
	out, err := index(in, validate)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].e = endpoint.Normalized(out[i].e)
	}
	return out, nil
}

// index returns the endpoints sorted by key, the name folded to lower case
// (the service's endpoint names are case-insensitive). Desired endpoints
// are validated first, so errors keep their positions.
func index(in []*endpoint.Endpoint, validate bool) ([]named, error) {
	side := "actual"
	if validate {
		side = "desired"
	}
	var list endpoint.ErrorList
	out := make([]named, 0, len(in))
	for i, e := range in {
		if e == nil {
			return nil, fmt.Errorf("plan: %s endpoint %d is nil", side, i)
		}
		if validate {
			if err := endpoint.Validate(e); err != nil {
				var l endpoint.ErrorList
				if !errors.As(err, &l) {
					return nil, err
				}
				list = append(list, l...)
				continue
			}
		}
		out = append(out, named{key: strings.ToLower(e.Name), e: e})
	}
	if err := list.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b named) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.e.Name, b.e.Name)
	})
	for i := 1; i < len(out); i++ {
		if out[i].key == out[i-1].key {
			return nil, fmt.Errorf("plan: %s endpoints %q and %q are the same endpoint (names are case-insensitive)", side, out[i-1].e.Name, out[i].e.Name)
		}
	}
	return out, nil
}

func summarize(steps []Step) Summary {
	var s Summary
	for i := range steps {
		st := &steps[i]
		switch st.Action {
		case CreateEndpoint, CreateDeployment:
			s.Add++
		case UpdateEndpoint, UpdateDeployment:
			s.Change++
		case DeleteEndpoint, DeleteDeployment:
			s.Destroy++
		case Gate:
			s.Gates++
		case RegisterAsset:
			s.Assets++
		}
		if (st.Action == SetTraffic || st.Action == UpdateEndpoint) && (!st.Traffic.Equal(st.TrafficBefore) || !st.Mirror.Equal(st.MirrorBefore)) {
			s.Traffic++
		}
	}
	return s
}

// actionRank is the tie-break between ready steps of one endpoint.
func actionRank(a Action) int {
	switch a {
	case RegisterAsset:
		return -1
	case DeleteEndpoint:
		return 0
	case CreateEndpoint:
		return 1
	case UpdateEndpoint:
		return 2
	case CreateDeployment:
		return 3
	case UpdateDeployment:
		return 4
	case DeleteDeployment:
		return 5
	case Gate:
		return 6
	}
	return 7
}

func lessStep(a, b *Step) bool {
	if ra, rb := actionRank(a.Action), actionRank(b.Action); ra != rb {
		return ra < rb
	}
	if a.Deployment != b.Deployment {
		return a.Deployment < b.Deployment
	}
	return a.ID < b.ID
}

// order appends the steps of one endpoint to dst in a topological order,
// taking the least ready step (by lessStep) each time. The planner builds
// acyclic graphs, so every step is placed.
func order(dst, steps []Step) []Step {
	n := len(steps)
	if n < 2 {
		return append(dst, steps...)
	}
	var small [32]bool
	var done []bool
	if n <= len(small) {
		done = small[:n]
	} else {
		done = make([]bool, n)
	}
	for placed := 0; placed < n; placed++ {
		best := -1
		for i := range steps {
			if done[i] || !ready(&steps[i], steps, done) {
				continue
			}
			if best < 0 || lessStep(&steps[i], &steps[best]) {
				best = i
			}
		}
		done[best] = true
		dst = append(dst, steps[best])
	}
	return dst
}

func ready(s *Step, steps []Step, done []bool) bool {
	for _, dep := range s.DependsOn {
		for j := range steps {
			if steps[j].ID == dep && !done[j] {
				return false
			}
		}
	}
	return true
}

// spellLike gives d's deployments, and the splits that name them, the
// spelling of a's deployments of the same name (see [endpoint.SameName]):
// the service keeps the name a deployment was created with. Both lists are
// sorted by name, so names that match exactly are passed over in one merge
// and only the rest are looked up without regard to case.
func spellLike(d, a *endpoint.Endpoint) {
	renamed := false
	j := 0
	for i := range d.Deployments {
		n := d.Deployments[i].Name
		for j < len(a.Deployments) && a.Deployments[j].Name < n {
			j++
		}
		if j < len(a.Deployments) && a.Deployments[j].Name == n {
			continue
		}
		k, found := rules.FindDeployment(a, n)
		if !found {
			continue
		}
		o := &a.Deployments[k]
		d.Deployments[i].Name = o.Name
		if v := d.Traffic.Get(n); v > 0 {
			d.Traffic = d.Traffic.Without(n).With(o.Name, v)
		}
		if v := d.Mirror.Get(n); v > 0 {
			d.Mirror = d.Mirror.Without(n).With(o.Name, v)
		}
		renamed = true
	}
	if renamed {
		slices.SortFunc(d.Deployments, func(x, y endpoint.Deployment) int { return strings.Compare(x.Name, y.Name) })
	}
}
