package azureml

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
)

// resourceBodies returns every body of an endpoint or a deployment in the
// service's examples of this api-version (responses and list items), by a
// name for the subtest, and whether it is a deployment's.
func resourceBodies(t *testing.T) (names []string, bodies map[string]json.RawMessage, deployment map[string]bool) {
	bodies, deployment = map[string]json.RawMessage{}, map[string]bool{}
	for file, ex := range readExamples(t, examplesDir(t)) {
		isDeployment := strings.Contains(file, "OnlineDeployment/")
		switch path.Base(file) {
		case "get.json", "createOrUpdate.json", "update.json", "list.json":
		default:
			continue
		}
		for status, r := range ex.Responses {
			if len(r.Body) == 0 {
				continue
			}
			items := []json.RawMessage{r.Body}
			if path.Base(file) == "list.json" {
				var p page[json.RawMessage]
				mustUnmarshal(t, r.Body, &p)
				items = p.Value
			}
			for i, item := range items {
				name := file + "/" + status + "/" + string(rune('0'+i))
				bodies[name], deployment[name] = withComputeID(t, item), isDeployment
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	return names, bodies, deployment
}

// TestWritesKeepWhatTheModelDoesNotHold is the property of carrying over:
// for every field of every endpoint and deployment body in the service's
// examples, reading the resource, writing it back unchanged and reading it
// again keeps the field. The PUT holds every field of the body the service
// does not set itself (kind, identity, sku tier, size and family, tags,
// and the model's fields with their values), and the second read decodes
// to the same model as the first.
func TestWritesKeepWhatTheModelDoesNotHold(t *testing.T) {
	names, bodies, isDeployment := resourceBodies(t)
	if len(names) < 8 {
		t.Fatalf("%d example bodies, want the endpoints' and deployments' of every example", len(names))
	}
	endpointBody := exampleBody(t, "Workspace/OnlineEndpoint/get.json", "200")
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			s := newScripted(t)
			ep, deps := bodies[name], []any{}
			if isDeployment[name] {
				// Listed under the name the write uses; the name is
				// the service's, never sent.
				var d map[string]any
				mustUnmarshal(t, bodies[name], &d)
				d["name"] = "blue"
				ep, deps = endpointBody, []any{d}
			}
			s.route("GET "+epPath, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, ep) })
			s.route("GET "+epPath+"/deployments", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, map[string]any{"value": deps})
			})
			target := epPath
			if isDeployment[name] {
				target = depPath
			}
			var put []byte
			s.route("PUT "+target, func(w http.ResponseWriter, r *http.Request) {
				put = s.requests()[len(s.requests())-1].body
				writeJSON(w, http.StatusOK, json.RawMessage(put))
			})
			b := newTestBackend(t, s, nil)
			first, err := b.GetEndpoint(t.Context(), "churn")
			if err != nil {
				t.Fatal(err)
			}
			if isDeployment[name] {
				if len(first.Deployments) != 1 {
					t.Fatalf("%d deployments read", len(first.Deployments))
				}
				err = b.CreateOrUpdateDeployment(t.Context(), "churn", first.Deployments[0])
			} else {
				first.Name = "churn"
				err = b.CreateOrUpdateEndpoint(t.Context(), first)
			}
			if err != nil {
				t.Fatal(err)
			}
			original := bodies[name]
			missing := lostFields(t, original, put)
			if len(missing) > 0 {
				t.Errorf("the PUT lost or changed %q\nread: %s\nPUT:  %s", missing, original, put)
			}

			// Read again what was written: the same model.
			if isDeployment[name] {
				var d map[string]any
				mustUnmarshal(t, put, &d)
				d["name"] = "blue"
				deps = []any{d}
			} else {
				ep = put
			}
			second, err := b.GetEndpoint(t.Context(), "churn")
			if err != nil {
				t.Fatal(err)
			}
			first.Name, second.Name = "churn", "churn"
			if !endpoint.Equal(first, second) {
				t.Errorf("read, written and read again, the model changed:\n%+v\n%+v", first, second)
			}
		})
	}
}

// lostFields lists the paths of the fields of read that the PUT does not
// hold with the same value, leaving out what the service sets itself.
func lostFields(t *testing.T, read, put []byte) []string {
	var r, p map[string]any
	mustUnmarshal(t, read, &r)
	mustUnmarshal(t, put, &p)
	var lost []string
	var walk func(prefix string, r, p map[string]any)
	walk = func(prefix string, r, p map[string]any) {
		for k, v := range r {
			path := prefix + k
			if serviceSets(path) {
				continue
			}
			pv, ok := p[k]
			sub, isObj := v.(map[string]any)
			psub, pIsObj := pv.(map[string]any)
			switch {
			case !ok:
				lost = append(lost, path)
			case isObj && pIsObj && !dataMaps[k] && !dataMaps[path]:
				walk(path+".", sub, psub)
			case !reflect.DeepEqual(v, pv):
				lost = append(lost, path)
			}
		}
	}
	walk("", r, p)
	slices.Sort(lost)
	return lost
}

// serviceSets reports the read-only fields of the specification, which a
// PUT does not send: the resource's id, name, type and systemData, its
// provisioning state and URIs, and the identity's principals.
func serviceSets(path string) bool {
	switch path {
	case "id", "name", "type", "systemData", "properties.provisioningState", "properties.scoringUri", "properties.swaggerUri",
		"identity.principalId", "identity.tenantId", "identity.userAssignedIdentities":
		return true
	}
	return false
}

// withComputeID gives an endpoint body whose compute holds the examples'
// placeholder ("string") the ARM id the specification says it holds.
func withComputeID(t *testing.T, body json.RawMessage) json.RawMessage {
	var m map[string]any
	mustUnmarshal(t, body, &m)
	p, _ := m["properties"].(map[string]any)
	if c, ok := p["compute"].(string); ok && !strings.HasPrefix(c, "/") {
		p["compute"] = testScope.path() + "/computes/" + c
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRolloutKeepsWhatOthersSet runs the client against the emulator, which
// keeps every property of a PUT as the service does: a deployment created
// elsewhere with a kind, an identity, a sku tier and a property newer than
// this client is read and updated through the Backend, and keeps them all.
func TestRolloutKeepsWhatOthersSet(t *testing.T) {
	svc := fakes.New(fakes.Options{Latency: fakes.NoLatency()})
	srv := httptest.NewTLSServer(rest.New(svc, rest.Options{}))
	t.Cleanup(srv.Close)
	put := func(path string, body string) {
		req, _ := http.NewRequest(http.MethodPut, srv.URL+testScope.path()+path+"?api-version=2024-10-01", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer other-tool")
		resp, err := srv.Client().Do(req)
		if err != nil || resp.StatusCode >= 300 {
			t.Fatalf("PUT %s: %v %v", path, resp, err)
		}
		resp.Body.Close()
	}
	put(epPath, `{"location": "westeurope", "kind": "Managed", "properties": {"authMode": "Key"}}`)
	b, err := New(testScope, &fake.TokenCredential{}, emulatorOptions(srv.Client(), srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	waitIdle := func() { waitSettled(t, b) }
	waitIdle()
	put(depPath, `{"location": "westeurope", "kind": "special", "identity": {"type": "UserAssigned", "userAssignedIdentities": {"/id/a": {}}},
		"sku": {"name": "Default", "tier": "Standard", "capacity": 1},
		"properties": {"endpointComputeType": "Managed", "instanceType": "Standard_DS3_v2", "futureSetting": "on",
			"model": "`+testScope.path()+`/models/m/versions/1"}}`)
	waitIdle()
	e, err := b.GetEndpoint(t.Context(), "churn")
	if err != nil {
		t.Fatal(err)
	}
	d := e.Deployments[0]
	d.Description = "updated by a rollout"
	if err := b.CreateOrUpdateDeployment(t.Context(), "churn", d); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+testScope.path()+depPath+"?api-version=2024-10-01", nil)
	req.Header.Set("Authorization", "Bearer other-tool")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	props := got["properties"].(map[string]any)
	id, _ := got["identity"].(map[string]any)
	if got["kind"] != "special" || id["type"] != "UserAssigned" || got["sku"].(map[string]any)["tier"] != "Standard" ||
		props["futureSetting"] != "on" || props["description"] != "updated by a rollout" {
		t.Errorf("after the rollout's update the deployment is %v: want its kind, identity, sku tier and newer property kept, and the description changed", got)
	}
}

// waitSettled waits until the endpoint churn and its first deployment, if
// any, have succeeded.
func waitSettled(t *testing.T, b *Backend) {
	t.Helper()
	for range 1000 {
		e, err := b.GetEndpoint(t.Context(), "churn")
		if err == nil && e.Status.ProvisioningState == endpoint.Succeeded && (len(e.Deployments) == 0 || e.Deployments[0].Status.ProvisioningState == endpoint.Succeeded) {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("the endpoint did not settle")
}
