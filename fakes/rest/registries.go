package rest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
)

// Registries live in a subscription and resource group of their own, which
// the registry discovery service tells clients.
const (
	registrySubscription  = "5b4d0c1e-9f3a-4e2b-8c6d-7a1e2f3b4c5d"
	registryResourceGroup = "registries"
	// registryPrefix is the path of the region's management front end,
	// under which the registry discovery says a registry's resources are.
	registryPrefix = "mferp/managementfrontend"
)

// serveRegistries answers the requests about registries, and reports
// whether the request was one:
//
//	GET registrymanagement/v1.0/registries/{r}/discovery
//	GET mferp/managementfrontend/subscriptions/S/resourceGroups/G/providers/
//	    Microsoft.MachineLearningServices/registries/{r}/{models|environments}/{name}/versions
//
// A registry exists when the in-memory service holds a version in it.
// The discovery takes no api-version; the versions list does.
func (s *Server) serveRegistries(req *request, parts []string) bool {
	lower := lowered(parts)
	switch {
	case len(parts) == 5 && strings.Join(lower[:3], "/") == "registrymanagement/v1.0/registries" && lower[4] == "discovery":
		s.registryDiscovery(req, parts[3])
		return true
	case len(parts) >= 2 && lower[0]+"/"+lower[1] == registryPrefix:
		s.registryResource(req, parts[2:], lower[2:])
		return true
	}
	return false
}

func (s *Server) hasRegistry(name string) bool {
	return slices.Contains(s.svc.Registries(), name)
}

func (s *Server) registryDiscovery(req *request, name string) {
	if req.r.Method != http.MethodGet {
		req.fail(http.StatusMethodNotAllowed, "MethodNotAllowed", "The method "+req.r.Method+" is not allowed on "+req.r.URL.Path, 0)
		return
	}
	if !s.hasRegistry(name) {
		req.fail(http.StatusNotFound, "NotFound", "Registry "+name+" not found", 0)
		return
	}
	req.writeJSON(http.StatusOK, map[string]any{
		"registryName":                     name,
		"primaryRegion":                    s.location(),
		"primaryRegionResourceProviderUri": req.base + "/",
		"subscriptionId":                   registrySubscription,
		"resourceGroup":                    registryResourceGroup,
	})
}

func (s *Server) location() string {
	if s.opts.Location != "" {
		return s.opts.Location
	}
	return "eastus"
}

// registryResource serves the versions of a registry's models and
// environments, listed as the workspace's are: $orderBy createdtime
// (asc or desc) and $top; archived versions left out. Without an order
// they are listed newest first.
func (s *Server) registryResource(req *request, parts, lower []string) {
	if !s.checkAPIVersion(req) {
		return
	}
	// subscriptions/S/resourceGroups/G/providers/Microsoft.MachineLearningServices/registries/R/KIND/NAME/versions
	if len(parts) != 11 || lower[0] != "subscriptions" || lower[2] != "resourcegroups" || lower[4]+"/"+lower[5]+"/" != provider ||
		lower[6] != "registries" || lower[10] != "versions" || req.r.Method != http.MethodGet {
		req.fail(http.StatusNotFound, "NoRegisteredProviderFound", "No route for "+req.r.Method+" "+req.r.URL.Path, 0)
		return
	}
	registry, name := parts[7], parts[9]
	kind, ok := map[string]string{"models": endpoint.ModelAsset, "environments": endpoint.EnvironmentAsset}[lower[8]]
	if !ok || !strings.EqualFold(parts[1], registrySubscription) || !strings.EqualFold(parts[3], registryResourceGroup) || !s.hasRegistry(registry) {
		req.fail(http.StatusNotFound, "ResourceNotFound", "The registry resource "+req.r.URL.Path+" was not found", 0)
		return
	}
	top, ok := req.top()
	if !ok {
		return
	}
	o, ok := req.creationOrder()
	if !ok {
		return
	}
	vs := inCreationOrder(s.svc.AssetVersions(kind, registry, name, false), o)
	if top >= 0 && top < len(vs) {
		vs = vs[:top]
	}
	items, next := page(s, req, vs)
	out := list[any]{Value: make([]any, 0, len(items)), NextLink: next}
	for _, v := range items {
		id := "azureml://registries/" + registry + "/" + lower[8] + "/" + name + "/versions/" + v.Version
		out.Value = append(out.Value, map[string]any{
			"id": id, "name": v.Version, "type": "Microsoft.MachineLearningServices/registries/" + lower[8] + "/versions",
			"properties": map[string]any{"isArchived": v.Archived, "provisioningState": "Succeeded"},
			"systemData": map[string]any{"createdAt": v.Created.UTC(), "lastModifiedAt": v.Created.UTC()},
		})
	}
	req.writeJSON(http.StatusOK, out)
}

// creationOrder reads the request's $orderBy: 0 when there is none, -1
// for createdtime desc, 1 for createdtime asc; another order is answered
// with 400.
func (req *request) creationOrder() (int, bool) {
	raw := req.r.URL.Query().Get("$orderBy")
	switch strings.Join(strings.Fields(strings.ToLower(raw)), " ") {
	case "":
		return 0, true
	case "createdtime desc":
		return -1, true
	case "createdtime", "createdtime asc":
		return 1, true
	}
	req.fail(http.StatusBadRequest, "BadArgument", "$orderBy: "+strconv.Quote(raw)+" is not createdtime asc or createdtime desc", 0)
	return 0, false
}

// inCreationOrder returns versions listed newest first in the order o
// asks for (see creationOrder).
func inCreationOrder(newest []fakes.AssetVersion, o int) []fakes.AssetVersion {
	if o > 0 {
		newest = slices.Clone(newest)
		slices.Reverse(newest)
	}
	return newest
}

// sortByCreation orders versions of several assets by their creation
// times, as o asks; versions created at one instant keep their order.
func sortByCreation(vs []fakes.AssetVersion, o int) {
	slices.SortStableFunc(vs, func(a, b fakes.AssetVersion) int { return o * a.Created.Compare(b.Created) })
}
