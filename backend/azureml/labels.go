package azureml

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
)

var _ backend.Labels = (*Backend)(nil)

// registryDiscovery is the registry discovery service of each cloud, by
// its resource manager's host, as the service's SDK knows them. A
// resource manager it does not know (a test server) is taken to serve
// discovery itself.
var registryDiscovery = map[string]string{
	"management.azure.com":         "https://eastus.api.azureml.ms/",
	"management.chinacloudapi.cn":  "https://chinaeast2.api.ml.azure.cn/",
	"management.usgovcloudapi.net": "https://usgovarizona.api.ml.azure.us/",
}

// ResolveLabel implements [backend.Labels] as the service's SDK resolves
// latest (azure-ai-ml's _get_latest): it lists the asset's versions ordered
// by creation time, newest first, one of them ($orderBy=createdtime desc,
// $top=1, in the list's default view, which leaves archived versions out),
// and takes that version. No version is [backend.ErrNotFound].
//
// An asset in a registry is listed in the registry, which lives in a
// subscription of its own: as the SDK does, the Backend asks the cloud's
// registry discovery service where the registry is
// (registrymanagement/v1.0/registries/R/discovery) and lists the versions
// from the region it names, with the same credential.
//
// latest is the only label: the SDK resolves no other, and the REST API
// has none, so another label is NotFound without a request. Code has no
// labels ([backend.ErrInvalid]).
func (b *Backend) ResolveLabel(ctx context.Context, l endpoint.AssetLabel) (string, error) {
	collection, err := labelCollection(l)
	if err != nil {
		return "", err
	}
	if l.Label != endpoint.LatestLabel {
		return "", &backend.Error{Kind: backend.NotFound, Code: "NotFound", Message: fmt.Sprintf("Asset %s with version label %s does not exist in %s", l.Name, l.Label, labelScope(l))}
	}
	u := strings.TrimSuffix(b.base.String(), "/") + b.scope.path()
	if l.Registry != "" {
		if u, err = b.registryPath(ctx, l.Registry); err != nil {
			return "", err
		}
	}
	u += "/" + collection + "/" + url.PathEscape(l.Name) + "/versions?" + url.Values{"$orderBy": {"createdtime desc"}, "$top": {"1"}}.Encode()
	var p page[struct {
		Name string `json:"name"`
	}]
	if _, err := b.getJSON(ctx, u, &p); err != nil {
		return "", err
	}
	if len(p.Value) == 0 || p.Value[0].Name == "" {
		return "", &backend.Error{Kind: backend.NotFound, Code: "NotFound", Message: fmt.Sprintf("Asset %s does not exist in %s", l.Name, labelScope(l))}
	}
	return p.Value[0].Name, nil
}

// labelCollection is the path segment of the label's asset kind, after
// checking what goes into the URL.
func labelCollection(l endpoint.AssetLabel) (string, error) {
	invalid := func(format string, args ...any) error {
		return &backend.Error{Kind: backend.Invalid, Code: "BadArgument", Message: fmt.Sprintf(format, args...)}
	}
	switch {
	case l.Kind == endpoint.CodeAsset:
		return "", invalid("code %s selects a version by label; code is referenced by version only (azureml:%s:VERSION)", l, l.Name)
	case l.Kind != endpoint.ModelAsset && l.Kind != endpoint.EnvironmentAsset:
		return "", invalid("unknown asset kind %q", l.Kind)
	case !assetNameRE.MatchString(l.Name):
		return "", invalid("%q is not a valid asset name", l.Name)
	case l.Registry != "" && !assetNameRE.MatchString(l.Registry):
		return "", invalid("%q is not a valid registry name", l.Registry)
	}
	return l.Kind + "s", nil
}

func labelScope(l endpoint.AssetLabel) string {
	if l.Registry != "" {
		return "registry " + l.Registry
	}
	return "workspace"
}

// registryPath asks the registry discovery service where a registry is and
// returns the URL of the registry's resource there.
func (b *Backend) registryPath(ctx context.Context, registry string) (string, error) {
	disc, ok := registryDiscovery[strings.ToLower(b.base.Host)]
	if !ok {
		disc = b.base.String()
	}
	req, err := runtime.NewRequest(ctx, http.MethodGet, strings.TrimSuffix(disc, "/")+"/registrymanagement/v1.0/registries/"+url.PathEscape(registry)+"/discovery")
	if err != nil {
		return "", err
	}
	req.Raw().Header.Set("Accept", "application/json")
	resp, err := b.do(req, http.StatusOK)
	if err != nil {
		return "", err
	}
	var d struct {
		Base          string `json:"primaryRegionResourceProviderUri"`
		Subscription  string `json:"subscriptionId"`
		ResourceGroup string `json:"resourceGroup"`
	}
	if err := runtime.UnmarshalAsJSON(resp, &d); err != nil {
		return "", &backend.Error{Kind: backend.Internal, Message: "the registry discovery's answer is not the JSON expected", Err: err}
	}
	base, err := url.Parse(d.Base)
	switch {
	case err != nil || base.Host == "" || base.Scheme != "https" && !(b.insecure && base.Scheme == "http"):
		return "", &backend.Error{Kind: backend.Internal, Message: fmt.Sprintf("the registry discovery names %q for registry %s, not an HTTPS URL", d.Base, registry)}
	case !subscriptionRE.MatchString(d.Subscription) || !resourceGroupRE.MatchString(d.ResourceGroup):
		return "", &backend.Error{Kind: backend.Internal, Message: fmt.Sprintf("the registry discovery names subscription %q and resource group %q for registry %s", d.Subscription, d.ResourceGroup, registry)}
	}
	return strings.TrimSuffix(base.String(), "/") + "/mferp/managementfrontend/subscriptions/" + url.PathEscape(d.Subscription) +
		"/resourceGroups/" + url.PathEscape(d.ResourceGroup) + "/providers/Microsoft.MachineLearningServices/registries/" + url.PathEscape(registry), nil
}
