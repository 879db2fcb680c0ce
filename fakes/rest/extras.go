package rest

import (
	"encoding/json"
	"strings"
	"time"
)

// The service keeps every property of a PUT, not only the ones the model
// holds: a resource's kind, a deployment's identity, the sku's tier, size
// and family, properties of newer api-versions. The emulator keeps them
// too, beside the model, and answers them back, so that a client that
// drops them on its next PUT is seen to drop them. Every answer also
// carries systemData and kind, as the specification's examples do.

// extras is what the emulator keeps of one resource beyond the model.
type extras struct {
	created, modified time.Time
	// body is the last PUT's body, of which what the model does not hold
	// is answered back.
	body map[string]any
}

// readOnlyKeys are the top-level properties the service sets itself and a
// PUT cannot.
var readOnlyKeys = map[string]bool{"id": true, "name": true, "type": true, "systemData": true}

// keepPut records the body of an accepted PUT of a resource, by
// resourceKey.
func (s *Server) keepPut(key string, body []byte) {
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	now := time.Now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.extras[key]
	if !ok {
		x = &extras{created: now}
		s.extras[key] = x
	}
	x.modified, x.body = now, m
}

// dropExtras forgets a deleted resource, and an endpoint's deployments.
func (s *Server) dropExtras(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.extras {
		if k == key || strings.HasPrefix(k, key+"/") {
			delete(s.extras, k)
		}
	}
}

// resourceKey names an endpoint or one of its deployments,
// case-insensitively.
func resourceKey(endpointName string, deployment ...string) string {
	k := strings.ToLower(endpointName)
	for _, d := range deployment {
		k += "/" + strings.ToLower(d)
	}
	return k
}

// answer returns the body of a resource: v, the model's body, with
// systemData, a kind (defaultKind unless the PUT gave one) and whatever the
// last PUT held beyond the model.
func (s *Server) answer(key, defaultKind string, v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out map[string]any
	if json.Unmarshal(data, &out) != nil {
		return v
	}
	body, created, modified := s.kept(key)
	for k, v := range body {
		if readOnlyKeys[k] {
			continue
		}
		mergeMissing(out, k, v)
	}
	if _, ok := out["kind"]; !ok {
		out["kind"] = defaultKind
	}
	out["systemData"] = systemData(created, modified)
	return out
}

// kept returns the last PUT's body of a resource and when it was created
// and last written; the Unix epoch for a resource no PUT wrote.
func (s *Server) kept(key string) (body map[string]any, created, modified time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	created, modified = time.Unix(0, 0).UTC(), time.Unix(0, 0).UTC()
	if x, ok := s.extras[key]; ok {
		body, created, modified = x.body, x.created, x.modified
	}
	return body, created, modified
}

// systemData is the systemData of every answer.
func systemData(created, modified time.Time) map[string]any {
	return map[string]any{
		"createdAt": created.Format(time.RFC3339Nano), "createdBy": "rollout-emulator", "createdByType": "Application",
		"lastModifiedAt": modified.Format(time.RFC3339Nano), "lastModifiedBy": "rollout-emulator", "lastModifiedByType": "Application",
	}
}

// mergeMissing adds v under k to out when out has no k; into objects that
// both have (properties, sku), key by key. Objects the model holds whole
// (tags, the splits, an endpoint's identity) are answered as the model
// has them: a PATCH may have replaced them since the PUT that v is from.
func mergeMissing(out map[string]any, k string, v any) {
	have, ok := out[k]
	if !ok {
		out[k] = v
		return
	}
	ho, ok1 := have.(map[string]any)
	vo, ok2 := v.(map[string]any)
	if !ok1 || !ok2 || k == "tags" || k == "traffic" || k == "mirrorTraffic" || k == "identity" {
		return
	}
	for sk, sv := range vo {
		if _, ok := ho[sk]; !ok {
			ho[sk] = sv
		}
	}
}
