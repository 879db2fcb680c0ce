package endpoint

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/rolloutkit/rollout/traffic"
)

// endpointAttrs are the fields of an [Endpoint], in the order of the
// model: the order of Marshal's output and of DiffEndpoint. Deployments
// and traffic have no diff of their own: a plan changes them in steps.
var endpointAttrs = []attr[Endpoint]{
	aliasAttr("$schema", func(*decoder, entry, loc, *Endpoint) {}),
	withDecode(textAttr("name", "Name", func(e *Endpoint) *string { return &e.Name }, nil),
		func(d *decoder, f entry, p loc, e *Endpoint) {
			d.str(f, p, &e.Name)
			if placeholder(e.Name) {
				d.errorf(f.v, p.w, "%q is a template placeholder; fill it in before loading", e.Name)
			}
		}),
	aliasAttr("type", func(d *decoder, f entry, p loc, _ *Endpoint) {
		var typ string
		d.enum(f, p, []string{"online"}, &typ)
		d.legacy(f.k, p.w, "the 2021 schema's endpoint type", "leave it out: today's endpoints have none")
	}),
	textAttr("description", "Description", func(e *Endpoint) *string { return &e.Description }, nil),
	tagsAttr(func(e *Endpoint) *map[string]string { return &e.Tags }),
	mapAttr("properties", "Properties", func(e *Endpoint) *map[string]string { return &e.Properties }, nil),
	enumAttr("auth_mode", "AuthMode", func(e *Endpoint) *AuthMode { return &e.AuthMode }, authModes, AuthKey),
	textAttr("compute", "Compute", func(e *Endpoint) *string { return &e.Compute }, normalizeCompute),
	aliasAttr("target", func(d *decoder, f entry, p loc, e *Endpoint) {
		d.legacy(f.k, p.w, "target is the 2021 name of compute", "write compute")
		d.str(f, loc{p.w, strings.TrimSuffix(p.c, "target") + "compute"}, &e.Compute)
	}),
	customAttr("identity", "Identity", "identityEqual(%s, %s)", "%s.clone()", attr[Endpoint]{
		decode: func(d *decoder, f entry, p loc, e *Endpoint) { e.Identity = d.identity(f, p) },
		write:  func(_ *writer, m mapping, _ string, e *Endpoint) { m.sub("identity", identityMapping(e.Identity)) },
		diff: func(df *differ, _ string, a, b *Endpoint) {
			ia, ib := a.Identity.orZero(), b.Identity.orZero()
			df.str("identity.type", ia.Type, ib.Type)
			df.list("identity.user_assigned_identities", ia.UserAssignedIdentities, ib.UserAssignedIdentities)
		},
		normalize: func(e *Endpoint, _ Kind) {
			if e.Identity == nil {
				e.Identity = &Identity{Type: defaultIdentityType}
				return
			}
			normalizeIdentity(e.Identity)
		},
	}),
	enumAttr("public_network_access", "PublicNetworkAccess", func(e *Endpoint) *Access { return &e.PublicNetworkAccess }, accessValues, Enabled),
	splitAttr("traffic", "Traffic", func(e *Endpoint) *traffic.Split { return &e.Traffic }),
	splitAttr("mirror_traffic", "Mirror", func(e *Endpoint) *traffic.Split { return &e.Mirror }),
	customAttr("deployments", "Deployments", "deploymentsEqual(%s, %s)", "cloneDeployments(%s)", attr[Endpoint]{
		decode: func(d *decoder, f entry, p loc, e *Endpoint) { e.Deployments = d.inlineDeployments(f, p) },
		write: func(w *writer, m mapping, _ string, e *Endpoint) {
			if len(e.Deployments) == 0 {
				return
			}
			seq := &yaml.Node{Kind: yaml.SequenceNode}
			for i := range e.Deployments {
				seq.Content = append(seq.Content, w.deployment(&e.Deployments[i]))
			}
			m.node("deployments", seq)
		},
		// Normalized after compute, on which the deployments' type
		// depends.
		normalize: func(e *Endpoint, _ Kind) {
			kind := e.Kind()
			for i := range e.Deployments {
				normalizeDeployment(&e.Deployments[i], kind)
			}
			// Most specs come sorted; checking first spares the sort's
			// copies of whole deployments, and the stack they need.
			if !sortedByName(e.Deployments) {
				slices.SortStableFunc(e.Deployments, deploymentsByName)
			}
			if len(e.Deployments) == 0 {
				e.Deployments = nil
			}
		},
	}),

	readOnlyAttr[Endpoint]("id"),
	readOnlyAttr[Endpoint]("kind"),
	// The CLI writes the endpoint's location out and creates it in the
	// workspace's, whatever the spec says.
	readOnlyAttr[Endpoint]("location"),
	readOnlyAttr[Endpoint]("openapi_uri"),
	readOnlyAttr[Endpoint]("provisioning_state"),
	readOnlyAttr[Endpoint]("scoring_uri"),
}

var endpointKeys = keysOf(endpointAttrs)

func deploymentsByName(a, b Deployment) int { return strings.Compare(a.Name, b.Name) }

// sortedByName reports whether ds are sorted by deploymentsByName, without
// the copies of whole deployments that slices.IsSortedFunc would pass it.
func sortedByName(ds []Deployment) bool {
	for i := 1; i < len(ds); i++ {
		if ds[i].Name < ds[i-1].Name {
			return false
		}
	}
	return true
}

// splitAttr is a traffic split, written as deployment: percent in name
// order; the splits are immutable values, shared by copies.
func splitAttr(key, goName string, get func(*Endpoint) *traffic.Split) attr[Endpoint] {
	return customAttr(key, goName, "%s.Equal(%s)", cpShared, attr[Endpoint]{
		decode: func(d *decoder, f entry, p loc, e *Endpoint) { *get(e) = d.split(f, p) },
		write:  func(_ *writer, m mapping, _ string, e *Endpoint) { m.sub(key, splitMapping(*get(e))) },
	})
}

// orZero returns the identity, or an empty one for nil.
func (id *Identity) orZero() Identity {
	if id == nil {
		return Identity{}
	}
	return *id
}

// clone returns a deep copy of id; nil stays nil.
func (id *Identity) clone() *Identity {
	if id == nil {
		return nil
	}
	c := *id
	c.UserAssignedIdentities = slices.Clone(id.UserAssignedIdentities)
	return &c
}

// identityMapping writes user-assigned identities as {resource_id: ID},
// the service's own form.
func identityMapping(id *Identity) mapping {
	im := newMapping()
	if id == nil {
		return im
	}
	im.str("type", id.Type)
	if len(id.UserAssignedIdentities) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, s := range id.UserAssignedIdentities {
			item := newMapping()
			item.node("resource_id", text(s))
			seq.Content = append(seq.Content, item.n)
		}
		im.node("user_assigned_identities", seq)
	}
	return im
}
