package azureml

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// A PUT replaces the whole resource, and the model holds only part of what
// the service keeps: the resource's kind, a deployment's identity, the sku's
// tier, size and family, and whatever a newer api-version adds. A PUT built
// from the model alone would delete them. So the Backend remembers the body
// of every resource as it last read it, and a PUT carries over from it every
// property that the body types of this package do not declare. The
// properties they declare are the model's, present or absent: a description
// removed from a spec is removed from the service.
//
// Resources this Backend has not read (a create, or a write before any
// read) are written from the model alone; an executor always observes
// before it writes, so in practice every update carries over.

// lastReads is the body of each resource as last read or written, by
// [resourceKey].
type lastReads struct {
	mu sync.Mutex
	m  map[string]map[string]any
}

// resourceKey names an endpoint or a deployment of it, case-insensitively
// as the service names them.
func resourceKey(endpointName string, deployment ...string) string {
	k := strings.ToLower(endpointName)
	for _, d := range deployment {
		k += "/" + strings.ToLower(d)
	}
	return k
}

// remember keeps a body the service returned. A body that is not a JSON
// object is not kept: there is nothing to carry over from it.
func (l *lastReads) remember(key string, raw []byte) {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = make(map[string]map[string]any)
	}
	l.m[key] = m
}

// forget drops a resource, and for an endpoint its deployments too.
func (l *lastReads) forget(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := range l.m {
		if k == key || strings.HasPrefix(k, key+"/") {
			delete(l.m, k)
		}
	}
}

// known reports whether the resource was read from the service.
func (l *lastReads) known(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.m[key]
	return ok
}

// carryOver returns the PUT body of a resource: body (a pointer to one of
// this package's body types), with what the last read of the resource holds
// beyond the model. The result is remembered as the resource's new body.
func (l *lastReads) carryOver(key string, body any) (map[string]any, error) {
	out, err := toObject(body)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if last, ok := l.m[key]; ok {
		mergeCarried(out, unmodelled(last, reflect.TypeOf(body).Elem(), ""))
		for _, path := range serviceOwned {
			keepRead(out, last, path...)
		}
	}
	if l.m == nil {
		l.m = make(map[string]map[string]any)
	}
	l.m[key] = out
	return out, nil
}

func toObject(v any) (map[string]any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	err = json.Unmarshal(data, &m)
	return m, err
}

// readOnly are the properties the service sets and a PUT never sends, by
// their path (top-level, or within properties or an identity).
var readOnly = map[string]bool{
	"id": true, "name": true, "type": true, "systemData": true, "etag": true,
	"properties.provisioningState": true, "properties.scoringUri": true, "properties.swaggerUri": true,
	"identity.principalId": true, "identity.tenantId": true,
}

// serviceOwned are the declared properties whose value, once the resource
// exists, is the service's and not the model's: the region it lives in and
// the name of its sku, for which the model sends only a default for new
// resources.
var serviceOwned = [][]string{{"location"}, {"sku", "name"}}

// carried marks an object whose keys are carried over only into an object
// of the same key that the model's body has: it holds the undeclared
// properties of a declared one (scaleSettings' newer fields, say), which
// make no sense without it.
type carried map[string]any

// unmodelled returns the properties of body that the body type t does not
// declare, recursively within the declared objects. prefix is the path of
// body, for [readOnly].
func unmodelled(body map[string]any, t reflect.Type, prefix string) map[string]any {
	declared := jsonFields(t)
	out := map[string]any{}
	for k, v := range body {
		path := prefix + k
		if readOnly[path] {
			continue
		}
		ft, ok := declared[k]
		if !ok {
			out[k] = withoutReadOnly(path, v)
			continue
		}
		sub, isObj := v.(map[string]any)
		if ft.Kind() == reflect.Struct && isObj {
			if rest := unmodelled(sub, ft, path+"."); len(rest) > 0 {
				out[k] = carried(rest)
			}
		}
	}
	return out
}

// withoutReadOnly removes from an undeclared identity what the service
// sets: its principal and tenant, and the ids of each user-assigned
// identity, which a request gives as empty objects.
func withoutReadOnly(path string, v any) any {
	id, ok := v.(map[string]any)
	if path != "identity" || !ok {
		return v
	}
	out := map[string]any{}
	for k, sub := range id {
		switch k {
		case "principalId", "tenantId":
		case "userAssignedIdentities":
			ids := map[string]any{}
			if m, ok := sub.(map[string]any); ok {
				for name := range m {
					ids[name] = map[string]any{}
				}
			}
			out[k] = ids
		default:
			out[k] = sub
		}
	}
	return out
}

// mergeCarried adds what was carried over to the model's body.
func mergeCarried(dst map[string]any, carry map[string]any) {
	for k, v := range carry {
		if c, ok := v.(carried); ok {
			if d, ok := dst[k].(map[string]any); ok {
				mergeCarried(d, c)
			}
			continue
		}
		if _, ok := dst[k]; !ok {
			dst[k] = v
		}
	}
}

// keepRead sets the property at path in dst to its value in the last read,
// when both have the object holding it.
func keepRead(dst, last map[string]any, path ...string) {
	for _, k := range path[:len(path)-1] {
		d, ok1 := dst[k].(map[string]any)
		l, ok2 := last[k].(map[string]any)
		if !ok1 || !ok2 {
			return
		}
		dst, last = d, l
	}
	if v, ok := last[path[len(path)-1]]; ok {
		dst[path[len(path)-1]] = v
	}
}

// jsonFields maps the JSON names a struct type declares to their types,
// pointers followed.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		out[name] = ft
	}
	return out
}
