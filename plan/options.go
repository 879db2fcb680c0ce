package plan

// Options change what [Compute] plans. The zero value plans with the
// [Direct] strategy, leaves endpoints absent from the desired state alone
// and refuses every replacement that would touch traffic.
type Options struct {
	// Strategy shapes how traffic moves; the zero value is [Direct].
	Strategy Strategy

	// DeleteUnlisted deletes actual endpoints that the desired state does not
	// name. Without it they are left alone, so a desired state may describe
	// a few endpoints of a workspace without owning all of them.
	DeleteUnlisted bool

	// AllowReplace lets the plan replace (delete, then create) a deployment
	// whose instance_type or type changes although it has live or mirror
	// traffic before or after the plan. Without it the planner refuses
	// (rule S6) and names the safe path instead.
	//
	// With it, a deployment that serves traffic is first drained: one
	// traffic step hands its live share to the other deployments that serve
	// live traffic and have provisioned successfully, in proportion to
	// their shares, and drops its mirror. Then it is deleted, created with
	// the new spec, and the traffic steps of the strategy give it its
	// desired share, so the endpoint keeps serving throughout. The other
	// deployments take the drained share with the capacity they have (their
	// scale-ups are made first, as for any traffic increase). When no other
	// deployment can take the share, the planner still refuses.
	//
	// AllowReplace never replaces an endpoint whose compute changes while it
	// serves traffic: the endpoint's scoring URI and keys would go away with
	// it, which no ordering can hide from clients.
	AllowReplace bool
}
