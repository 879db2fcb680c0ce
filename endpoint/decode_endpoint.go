package endpoint

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/rolloutkit/rollout/traffic"
)

// identityKeys and userIdentityKeys add to what a spec sets the read-only
// ids that the service's CLI writes out and ignores on input, as the
// loader does.
var (
	identityKeys     = []string{"type", "user_assigned_identities", "principal_id", "tenant_id"}
	userIdentityKeys = []string{"resource_id", "client_id", "principal_id", "object_id"}
)

var authModes = []string{string(AuthKey), string(AuthAMLToken), string(AuthAADToken)}

var identityTypes = []string{"system_assigned", "user_assigned", "system_assigned,user_assigned", "none"}

var accessValues = []string{string(Enabled), string(Disabled)}

// placeholder reports whether s holds a template placeholder such as
// {{ENDPOINT_NAME}}, which the service's examples fill in with sed.
func placeholder(s string) bool { return strings.Contains(s, "{{") }

// endpoint decodes an endpoint file. name is used when the file has no
// name: key (Loader.EndpointName). The deployments written inside are
// decoded into e.Deployments, and d.shown maps each one's canonical prefix
// to the prefix as written.
func (d *decoder) endpoint(root *yaml.Node, name string) *Endpoint {
	e := &Endpoint{Name: name}
	p := loc{}
	fs, ok := d.fields(root, p, endpointKeys)
	if !ok {
		return e
	}
	if _, ok := fs.get("name"); !ok && name == "" {
		d.errorf(root, "name", "missing; write name: or set Loader.EndpointName (the Kubernetes flow passes it on the command line)")
	}
	decodeAttrs(d, endpointAttrs, fs, p, e)
	if c, ok := fs.get("compute"); ok {
		if t, ok := fs.get("target"); ok {
			d.errorf(t.k, "target", "compute is already given at %s (target: is its 2021 name); keep one", d.at(c.v))
		}
	}
	return e
}

func (d *decoder) identity(e entry, p loc) *Identity {
	fs, ok := d.fields(e.v, p, identityKeys)
	if !ok {
		return nil
	}
	d.record(p, e)
	id := &Identity{}
	for _, f := range fs {
		fp := p.key(f.k.Value)
		switch f.k.Value {
		case "type":
			d.enum(f, fp, identityTypes, &id.Type)
		case "user_assigned_identities":
			id.UserAssignedIdentities = d.identityIDs(f, fp)
		}
	}
	return id
}

// identityIDs accepts a list of ARM ids, or of {resource_id: ID} objects as
// the service's examples write them.
func (d *decoder) identityIDs(e entry, p loc) []string {
	if !d.kind(e.v, p, yaml.SequenceNode) {
		return nil
	}
	d.record(p, e)
	var ids []string
	for i, item := range e.v.Content {
		ip := loc{fmt.Sprintf("%s[%d]", p.w, i), fmt.Sprintf("%s[%d]", p.c, i)}
		var id string
		if item.Kind == yaml.MappingNode {
			fs, _ := d.fields(item, ip, userIdentityKeys)
			f, ok := fs.get("resource_id")
			if !ok {
				d.errorf(item, ip.w, "missing resource_id")
				continue
			}
			d.str(f, ip.key("resource_id"), &id)
		} else {
			d.str(entry{e.k, item}, ip, &id)
		}
		if id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// split decodes traffic: or mirror_traffic:, a mapping of deployment names
// to percents. The total is for validation to check: it depends on whether
// the split is live or mirror.
func (d *decoder) split(e entry, p loc) traffic.Split {
	if !d.kind(e.v, p, yaml.MappingNode) {
		return traffic.Split{}
	}
	d.record(p, e)
	var es []traffic.Entry
	keys := make(map[string]*yaml.Node)
	for i := 0; i+1 < len(e.v.Content); i += 2 {
		k, v := e.v.Content[i], e.v.Content[i+1]
		if k.Kind != yaml.ScalarNode || isNull(k) {
			d.errorf(k, p.w, "keys must be deployment names, got %s", describe(k))
			continue
		}
		kp := p.key(k.Value)
		if first, ok := keys[k.Value]; ok {
			d.errorf(k, kp.w, "duplicate key; first given at %s", d.at(first))
			continue
		}
		keys[k.Value] = k
		percent := -1
		d.count(entry{k, v}, kp, &percent)
		if percent < 0 {
			continue
		}
		es = append(es, traffic.Entry{Name: k.Value, Percent: percent})
	}
	s, err := traffic.FromEntries(es...)
	var te *traffic.Error
	switch {
	case err == nil:
		return s
	case errors.As(err, &te) && keys[te.Deployment] != nil:
		k := keys[te.Deployment]
		d.errorf(k, p.key(te.Deployment).w, "%s", te.Msg)
	default:
		d.errorf(e.v, p.w, "%v", err)
	}
	return traffic.Split{}
}

// inlineDeployments decodes deployments: written as a list of items with a
// name: or as a mapping keyed by name.
func (d *decoder) inlineDeployments(e entry, p loc) []Deployment {
	var out []Deployment
	defined := make(map[string]*yaml.Node)
	add := func(name string, at *yaml.Node, c loc, body *yaml.Node) {
		if first, ok := defined[name]; ok {
			d.errorf(at, c.w, "deployment %q is defined twice; first at %s", name, d.at(first))
			return
		}
		defined[name] = at
		d.shown[c.c] = c.w
		d.pos[c.c] = d.at(at)
		dep := d.deployment(body, c, false)
		dep.Name = name
		out = append(out, dep)
	}
	switch e.v.Kind {
	case yaml.SequenceNode:
		for i, item := range e.v.Content {
			w := fmt.Sprintf("%s[%d]", p.w, i)
			if !d.kind(item, loc{w: w}, yaml.MappingNode) {
				continue
			}
			name, nameNode := d.deploymentName(item, loc{w: w}, "")
			if name == "" {
				continue
			}
			add(name, nameNode, loc{w, "deployments[" + name + "]"}, item)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(e.v.Content); i += 2 {
			k, v := e.v.Content[i], e.v.Content[i+1]
			if k.Kind != yaml.ScalarNode || isNull(k) || k.Value == "" {
				d.errorf(k, p.w, "keys must be deployment names, got %s", describe(k))
				continue
			}
			w := join(p.w, k.Value)
			if !d.kind(v, loc{w: w}, yaml.MappingNode) {
				continue
			}
			if name, nameNode := d.deploymentName(v, loc{w: w}, k.Value); name != "" && name != k.Value {
				d.errorf(nameNode, join(w, "name"), "%q does not match the key %q it is written under", name, k.Value)
				continue
			}
			add(k.Value, k, loc{w, "deployments[" + k.Value + "]"}, v)
		}
	default:
		d.errorf(e.v, p.w, "want a list of deployments (- name: blue) or a mapping keyed by name (blue: ...), got %s", describe(e.v))
	}
	return out
}

// deploymentName finds the name: of a deployment before its other fields
// are decoded, because the canonical paths of those fields contain it.
// key is the mapping key the deployment is written under ("" in a list or
// a file of its own), which may stand in for a missing name:.
func (d *decoder) deploymentName(n *yaml.Node, p loc, key string) (string, *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value != "name" || isNull(v) {
			continue
		}
		if v.Kind != yaml.ScalarNode || v.Value == "" {
			d.errorf(v, join(p.w, "name"), "want a deployment name, got %s", describe(v))
			return "", nil
		}
		if placeholder(v.Value) {
			d.errorf(v, join(p.w, "name"), "%q is a template placeholder; fill it in before loading", v.Value)
			return "", nil
		}
		return v.Value, v
	}
	if key == "" {
		d.errorf(n, join(p.w, "name"), "missing; every deployment needs a name")
	}
	return "", nil
}
