// Package rules is the one model of the reference service's rules: for
// each write the service takes, a pure function of the endpoint's state and
// the write that returns the state the write leaves once it has succeeded,
// or the refusal the service answers with, carrying its error code and
// message.
//
// The planner orders its steps by these rules, the plan checker replays
// plans through them, and the in-memory service enforces them, adding only
// time, concurrency, injected faults and observation. When the service's
// documentation is silent, the rule here is the one the in-memory service
// has always kept; each such rule says so.
//
// States are [endpoint.Endpoint] values with their deployments, as the
// service reports them. Functions never modify their arguments; results
// copy on write and may share deployments, maps and splits with them.
package rules

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

// The service's error codes, as its REST API returns them in
// {"error": {"code", "message"}}.
const (
	NotFound    = "NotFound"
	BadArgument = "BadArgument"
	Conflict    = "Conflict"
)

// Refusal is the service's answer to a write it does not accept.
type Refusal struct {
	// Rule is the safety rule of DESIGN §3 the write would break (S1 to
	// S6), "P1" for a write to what does not exist, "limit" for the
	// service's limit of deployments, "spec" for a spec the service
	// rejects, or "busy" for an operation already in progress.
	Rule string
	// Code is the service's error code: NotFound, BadArgument or
	// Conflict.
	Code string
	Msg  string
}

func (r *Refusal) Error() string { return r.Code + ": " + r.Msg }

func refuse(rule, code, format string, args ...any) *Refusal {
	return &Refusal{Rule: rule, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// EndpointNotFound is the service's answer to a write on an endpoint that
// does not exist.
func EndpointNotFound(name string) *Refusal {
	return refuse("P1", NotFound, "Online endpoint %s not found", name)
}

// DeploymentNotFound is the service's answer to a write, or a split, that
// names a deployment the endpoint does not have.
func DeploymentNotFound(endpointName, deployment string) *Refusal {
	return refuse("P1", NotFound, "Deployment %s not found in endpoint %s", deployment, endpointName)
}

// FindDeployment returns where the deployment named name is in e (names
// compare as [endpoint.SameName] says), or, when it is not there, where it
// goes in e's deployments, which are kept sorted by name. A linear scan is
// cheap at the service's limit of 20 and does not trust the order of a
// state built by hand.
func FindDeployment(e *endpoint.Endpoint, name string) (int, bool) {
	at := len(e.Deployments)
	for i := range e.Deployments {
		switch n := e.Deployments[i].Name; {
		case endpoint.SameName(n, name):
			return i, true
		case n > name && at == len(e.Deployments):
			at = i
		}
	}
	return at, false
}

// FixedField returns the first field that differs between deployments a
// and b and cannot change in place, with both values quoted, or "": the
// instance type, the type, then a property b alters ([Properties]). The
// service compares instance types without regard to case
// (Standard_DS3_v2 is standard_ds3_v2): that is not documented, and is the
// rule this model keeps.
func FixedField(a, b *endpoint.Deployment) (field, before, after string) {
	switch {
	case !strings.EqualFold(a.InstanceType, b.InstanceType):
		return "instance_type", strconv.Quote(a.InstanceType), strconv.Quote(b.InstanceType)
	case a.Type != b.Type:
		return "type", strconv.Quote(string(a.Type)), strconv.Quote(string(b.Type))
	}
	return alteredProperty(a.Properties, b.Properties)
}

// typed returns deployment d of endpoint e with its type, which a spec may
// leave out: the service then takes the endpoint's kind, as
// [endpoint.Normalize] does. d itself is returned when it has one.
func typed(e *endpoint.Endpoint, d *endpoint.Deployment) *endpoint.Deployment {
	if d.Type != "" {
		return d
	}
	c := *d
	c.Type = e.Kind()
	return &c
}

// FixedEndpointField is [FixedField] for endpoints: the compute, then a
// property b alters.
func FixedEndpointField(a, b *endpoint.Endpoint) (field, before, after string) {
	if a.Compute != b.Compute {
		return "compute", strconv.Quote(a.Compute), strconv.Quote(b.Compute)
	}
	return alteredProperty(a.Properties, b.Properties)
}

// Properties returns the properties a write of want leaves on a resource
// that holds have. The specification says of the properties of endpoints
// and deployments: "Properties can be added, but not removed or altered".
// A property want leaves out is kept as held, and a new one is added. A
// property want gives another value keeps want's value here, for
// [FixedField] to find: the documentation does not say whether the service
// refuses such a write or ignores the new value, and this model refuses
// it, so that no plan counts on either. The result may be want itself.
func Properties(have, want map[string]string) map[string]string {
	var out map[string]string
	for k, v := range have {
		if _, ok := want[k]; ok {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(have)+len(want))
			maps.Copy(out, want)
		}
		out[k] = v
	}
	if out == nil {
		return want
	}
	return out
}

// Adopt gives the desired endpoint d what a write of it leaves as the
// actual endpoint a holds it: the tags d does not manage
// ([endpoint.AdoptTags]) and the properties d leaves out, which the
// service never removes ([Properties]). A property d alters stays d's, for
// a planner to refuse or replace. Deployments are matched by name as
// [FindDeployment] matches them.
func Adopt(d, a *endpoint.Endpoint) {
	endpoint.AdoptTags(d, a)
	d.Properties = Properties(a.Properties, d.Properties)
	for i := range d.Deployments {
		dd := &d.Deployments[i]
		if j, found := FindDeployment(a, dd.Name); found {
			dd.Properties = Properties(a.Deployments[j].Properties, dd.Properties)
		}
	}
}

// alteredProperty returns the first property, by name, that want gives
// another value than have holds, with both values quoted, or "".
func alteredProperty(have, want map[string]string) (field, before, after string) {
	key := ""
	for k, v := range have {
		if w, ok := want[k]; ok && w != v && (key == "" || k < key) {
			key = k
		}
	}
	if key == "" {
		return "", "", ""
	}
	return "properties." + key, strconv.Quote(have[key]), strconv.Quote(want[key])
}

// busy returns the Conflict for a write to e, or to its deployment d (nil
// for a create), while an operation on e or d is in progress. An endpoint
// write (d == nil and endpointWrite) also waits for every deployment.
func busy(e *endpoint.Endpoint, d *endpoint.Deployment, verb, name string) *Refusal {
	st := e.Status.ProvisioningState
	switch {
	case st.Busy() && verb == "create":
		return refuse("busy", Conflict, "Cannot create a deployment in endpoint %s because it is in %s provisioning state", e.Name, st)
	case st.Busy() && d != nil:
		return refuse("busy", Conflict, "Cannot %s deployment %s in endpoint %s because the endpoint is in %s provisioning state", verb, d.Name, e.Name, st)
	case d != nil && d.Status.ProvisioningState.Busy():
		return refuse("busy", Conflict, "Deployment %s in endpoint %s is in %s provisioning state; wait for the operation in progress to finish", d.Name, e.Name, d.Status.ProvisioningState)
	case st.Busy():
		return refuse("busy", Conflict, "Endpoint %s is in %s provisioning state; wait for the operation in progress to finish", e.Name, st)
	}
	if verb != "" {
		return nil
	}
	for i := range e.Deployments {
		if o := &e.Deployments[i]; o.Status.ProvisioningState.Busy() {
			return refuse("busy", Conflict, "Endpoint %s has an operation in progress on deployment %s (%s provisioning state); wait for it to finish", e.Name, o.Name, o.Status.ProvisioningState)
		}
	}
	return nil
}

// validate checks the endpoint against the service's static rules.
func validate(e *endpoint.Endpoint) *Refusal {
	err := endpoint.Validate(e)
	if err == nil {
		return nil
	}
	if l, ok := err.(endpoint.ErrorList); ok {
		msgs := make([]string, len(l))
		for i, e := range l {
			// The service knows nothing of files: keep the field path.
			msgs[i] = (&endpoint.Error{Path: e.Path, Msg: e.Msg}).Error()
		}
		return refuse("spec", BadArgument, "%s", strings.Join(msgs, "; "))
	}
	return refuse("spec", BadArgument, "%v", err)
}

// UnresolvedLabel returns the field of deployment d that selects an asset
// by a label no one resolved, with the label, or "" when there is none.
// The service takes asset versions, never labels: a client resolves each
// label and writes the version it selects ([endpoint.Deployment.Pinned]),
// as the service's CLI does, so a label that reaches the service
// unresolved is refused.
func UnresolvedLabel(d *endpoint.Deployment) (field string, label endpoint.AssetLabel) {
	for _, f := range d.Labels() {
		if !f.Label.IsResolved() {
			return f.Path, f.Label
		}
	}
	return "", endpoint.AssetLabel{}
}

// checkSpec checks deployment d of endpoint e against the service's rules for
// a deployment's spec: a label it cannot resolve.
func checkSpec(e *endpoint.Endpoint, d *endpoint.Deployment) *Refusal {
	if field, l := UnresolvedLabel(d); field != "" {
		return refuse("spec", BadArgument, "%s of deployment %s in endpoint %s is %s, a label the service does not resolve; write the version it selects", field, d.Name, e.Name, l)
	}
	return nil
}

// succeeded is the state a write leaves a resource in once it succeeded.
var succeeded = endpoint.Status{ProvisioningState: endpoint.Succeeded}

// PutDeployment creates deployment d in endpoint e, or updates the
// deployment of that name, which keeps the spelling of the name it was
// created with and every property it holds ([Properties]). The service
// refuses a write to an endpoint that does not exist (NotFound), a change
// of instance_type or type or of a property held (S6), a new
// deployment past [endpoint.MaxDeployments] (limit), a spec its static
// rules reject or that selects an asset by an unresolved label
// ([UnresolvedLabel]), and a write while the endpoint or the deployment
// is busy;
// creating a deployment while another deployment of the endpoint is busy
// is allowed, as the service's documentation does not forbid it.
//
// The deployments of the result are in an array of their own, shared with
// nothing, as are those of [ScaleDeployment]'s: a caller may keep the
// written deployment in place.
func PutDeployment(e *endpoint.Endpoint, d *endpoint.Deployment) (*endpoint.Endpoint, *Refusal) {
	if e == nil {
		return nil, refuse("P1", NotFound, "Online endpoint not found")
	}
	i, found := FindDeployment(e, d.Name)
	next := *e
	spec := *d
	spec.Status = succeeded
	if found {
		old := &e.Deployments[i]
		spec.Name = old.Name
		spec.Status.ETag = old.Status.ETag
		if field, before, after := FixedField(typed(e, old), typed(e, &spec)); field != "" {
			return nil, refuse("S6", BadArgument, "%s of deployment %s in endpoint %s cannot change in place (from %s to %s); create a new deployment with the new %s, move the traffic to it, then delete %s",
				field, old.Name, e.Name, before, after, field, old.Name)
		}
		spec.Properties = Properties(old.Properties, spec.Properties)
		next.Deployments = slices.Clone(e.Deployments)
		next.Deployments[i] = spec
	} else {
		if len(e.Deployments) >= endpoint.MaxDeployments {
			return nil, refuse("limit", BadArgument, "endpoint %s has %d deployments already; an endpoint may have at most %d deployments", e.Name, len(e.Deployments), endpoint.MaxDeployments)
		}
		next.Deployments = slices.Insert(slices.Clip(e.Deployments), i, spec)
	}
	if r := validate(&next); r != nil {
		return nil, r
	}
	if r := checkSpec(e, d); r != nil {
		return nil, r
	}
	verb, cur := "create", (*endpoint.Deployment)(nil)
	if found {
		verb, cur = "update", &e.Deployments[i]
	}
	if r := busy(e, cur, verb, d.Name); r != nil {
		return nil, r
	}
	return &next, nil
}

// ScaleDeployment sets the instance count of an existing deployment: the
// service's scale operation, refused as [PutDeployment] refuses an update.
func ScaleDeployment(e *endpoint.Endpoint, name string, count int) (*endpoint.Endpoint, *Refusal) {
	if e == nil {
		return nil, refuse("P1", NotFound, "Online endpoint not found")
	}
	i, found := FindDeployment(e, name)
	if !found {
		return nil, DeploymentNotFound(e.Name, name)
	}
	spec := e.Deployments[i]
	spec.InstanceCount = count
	next := *e
	next.Deployments = slices.Clone(e.Deployments)
	next.Deployments[i] = spec
	if r := validate(&next); r != nil {
		return nil, r
	}
	if r := busy(e, &e.Deployments[i], "scale", name); r != nil {
		return nil, r
	}
	next.Deployments[i].Status.ProvisioningState = endpoint.Succeeded
	return &next, nil
}

// DeleteDeployment removes a deployment. Deleting one that does not exist
// succeeds and changes nothing. The service refuses while the deployment
// has live or mirror traffic (S4) and while it or its endpoint is busy.
func DeleteDeployment(e *endpoint.Endpoint, name string) (*endpoint.Endpoint, *Refusal) {
	if e == nil {
		return nil, refuse("P1", NotFound, "Online endpoint not found")
	}
	i, found := FindDeployment(e, name)
	if !found {
		return e, nil
	}
	d := &e.Deployments[i]
	if p := share(e.Traffic, d.Name); p > 0 {
		return nil, refuse("S4", BadArgument, "Deployment %s in endpoint %s has %d%% of the live traffic and cannot be deleted; set its traffic to 0 first", d.Name, e.Name, p)
	}
	if p := share(e.Mirror, d.Name); p > 0 {
		return nil, refuse("S4", BadArgument, "Deployment %s in endpoint %s has %d%% of the mirror traffic and cannot be deleted; set its mirror traffic to 0 first", d.Name, e.Name, p)
	}
	if r := busy(e, d, "delete", name); r != nil {
		return nil, r
	}
	next := *e
	next.Deployments = slices.Delete(slices.Clone(e.Deployments), i, i+1)
	if len(next.Deployments) == 0 {
		next.Deployments = nil
	}
	return &next, nil
}

// share returns the percent split s gives the deployment named name, which
// it may name in any case.
func share(s traffic.Split, name string) int {
	p := 0
	for n, v := range s.All() {
		if endpoint.SameName(n, name) {
			p += v
		}
	}
	return p
}

// PutEndpoint creates endpoint w (cur is nil) or updates cur with w's own
// fields and its full live and mirror splits; w's deployments are ignored,
// cur's kept, and an endpoint keeps the spelling of the name it was created
// with and every property it holds ([Properties]). The service replaces
// both splits on every write, and refuses:
//   - a split that names a deployment the endpoint does not have
//     (NotFound; S2);
//   - a change of compute or of a property held (S6);
//   - live traffic that does not total 100 or 0 (S1); a mirror on more
//     than one deployment, above 50 percent, on a deployment with live
//     traffic or on a Kubernetes endpoint (S3); any other spec its static
//     rules reject;
//   - a write while the endpoint or any of its deployments is busy;
//   - a split that names a deployment whose provisioning did not succeed
//     (S2). The service's documentation does not say whether re-sending
//     the share a Failed deployment already has is refused; this model
//     refuses it, as the in-memory service always has.
//
// Splits may name deployments in any case; the result names them as the
// endpoint does.
func PutEndpoint(cur, w *endpoint.Endpoint) (*endpoint.Endpoint, *Refusal) {
	next := *w
	next.Deployments = nil
	next.Status = succeeded
	if cur != nil {
		next.Name = cur.Name
		next.Deployments = cur.Deployments
		next.Status.ETag = cur.Status.ETag
		next.Status.ScoringURI = cur.Status.ScoringURI
	}
	var r *Refusal
	if next.Traffic, r = canonical(&next, w.Traffic); r != nil {
		return nil, r
	}
	if next.Mirror, r = canonical(&next, w.Mirror); r != nil {
		return nil, r
	}
	if cur != nil {
		if field, before, after := FixedEndpointField(cur, &next); field != "" {
			return nil, refuse("S6", BadArgument, "%s of endpoint %s cannot change in place (from %s to %s); create a new endpoint", field, next.Name, before, after)
		}
		next.Properties = Properties(cur.Properties, next.Properties)
	}
	if err := next.Traffic.Validate(); err != nil {
		return nil, refuse("S1", BadArgument, "live traffic of endpoint %s: %v", next.Name, err)
	}
	if !next.Mirror.IsZero() && next.Kind() != endpoint.Managed {
		return nil, refuse("S3", BadArgument, "mirror traffic of endpoint %s: only managed endpoints take mirror traffic", next.Name)
	}
	if err := next.Mirror.ValidateMirror(next.Traffic); err != nil {
		return nil, refuse("S3", BadArgument, "mirror traffic of endpoint %s: %v", next.Name, err)
	}
	if r := validate(&next); r != nil {
		return nil, r
	}
	if cur != nil {
		if r := busy(cur, nil, "", ""); r != nil {
			return nil, r
		}
	}
	for _, split := range [...]traffic.Split{next.Traffic, next.Mirror} {
		for n := range split.All() {
			if st := next.Deployment(n).Status.ProvisioningState; !st.Succeeded() {
				return nil, refuse("S2", BadArgument, "Deployment %s in endpoint %s is in %s provisioning state; traffic can only go to deployments whose provisioning succeeded", n, next.Name, st)
			}
		}
	}
	return &next, nil
}

// canonical returns s with every name spelled as e's deployment of that
// name, or the refusal for a name e has no deployment of.
func canonical(e *endpoint.Endpoint, s traffic.Split) (traffic.Split, *Refusal) {
	out := s
	for n, v := range s.All() {
		i, found := FindDeployment(e, n)
		if !found {
			r := DeploymentNotFound(e.Name, n)
			r.Rule = "S2"
			return traffic.Split{}, r
		}
		if d := e.Deployments[i].Name; d != n {
			out = out.Without(n).With(d, v)
		}
	}
	return out, nil
}

// DeleteEndpoint deletes the endpoint with its deployments; deleting one
// that does not exist succeeds. The service refuses while the endpoint or
// any of its deployments is busy.
func DeleteEndpoint(cur *endpoint.Endpoint) *Refusal {
	if cur == nil {
		return nil
	}
	return busy(cur, nil, "", "")
}
