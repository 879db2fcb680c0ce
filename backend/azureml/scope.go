package azureml

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Scope is the workspace whose online endpoints a [Backend] manages.
type Scope struct {
	Subscription  string
	ResourceGroup string
	Workspace     string
}

// The names ARM accepts. Checking them here, before any of them is put into
// a URL, means a name can never change which resource a request reaches
// (a "/" or ".." in a name), whatever url.PathEscape would make of it.
var (
	subscriptionRE  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	resourceGroupRE = regexp.MustCompile(`^[-\w.()]{0,89}[-\w()]$`)
	workspaceRE     = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$`)
	// resourceNameRE is the service's documented rule for the names of
	// the endpoints and deployments it creates.
	resourceNameRE = regexp.MustCompile(`^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$`)
	// pathNameRE is the looser pattern of the specification's request
	// paths: names created elsewhere, by older rules, follow only this.
	pathNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$`)
	// assetNameRE and assetVersionRE bound the names and versions of
	// models, environments and code put into ARM ids. Versions are as
	// long as names: the service's CLI versions anonymous environments
	// with a 32-character hash.
	assetNameRE    = regexp.MustCompile(`^[a-zA-Z0-9][-\w.]{0,254}$`)
	assetVersionRE = regexp.MustCompile(`^[a-zA-Z0-9][-\w.]{0,254}$`)
)

// validate reports the first part of s the service would refuse.
func (s Scope) validate() error {
	switch {
	case !subscriptionRE.MatchString(s.Subscription):
		return fmt.Errorf("azureml: subscription %q is not a subscription id (a GUID)", s.Subscription)
	case !resourceGroupRE.MatchString(s.ResourceGroup):
		return fmt.Errorf("azureml: resource group %q is not a valid name (1-90 letters, digits, '-', '_', '.', '(', ')', not ending in '.')", s.ResourceGroup)
	case !workspaceRE.MatchString(s.Workspace):
		return fmt.Errorf("azureml: workspace %q is not a valid name (3-33 letters, digits, '-', '_', starting with a letter or digit)", s.Workspace)
	}
	return nil
}

// path is the workspace's ARM resource id, the prefix of every request path
// and of the ids of the workspace's assets.
func (s Scope) path() string {
	return "/subscriptions/" + url.PathEscape(s.Subscription) +
		"/resourceGroups/" + url.PathEscape(s.ResourceGroup) +
		"/providers/Microsoft.MachineLearningServices/workspaces/" + url.PathEscape(s.Workspace)
}

// pathName reports whether a request path can name the resource.
func pathName(name string) bool { return pathNameRE.MatchString(name) }

// validName reports whether name is a valid name for a new endpoint or
// deployment.
func validName(name string) bool {
	return len(name) >= 3 && len(name) <= 32 && resourceNameRE.MatchString(name)
}

// assetID returns the ARM id of a versioned asset of the workspace; kind is
// models, environments or codes.
func (s Scope) assetID(kind, name, version string) string {
	return s.path() + "/" + kind + "/" + name + "/versions/" + version
}

// parseAssetID is the inverse of assetID for ids of this workspace: it
// reports the asset's kind, name and version. ARM ids compare
// case-insensitively except for the asset's name and version.
func (s Scope) parseAssetID(id string) (kind, name, version string, ok bool) {
	prefix := s.path() + "/"
	if len(id) <= len(prefix) || !strings.EqualFold(id[:len(prefix)], prefix) {
		return "", "", "", false
	}
	parts := strings.Split(id[len(prefix):], "/")
	if len(parts) != 4 || !strings.EqualFold(parts[2], "versions") {
		return "", "", "", false
	}
	return strings.ToLower(parts[0]), parts[1], parts[3], true
}

// computeID returns the ARM id the service takes for an endpoint's compute:
// the model holds the compute's name in the workspace (the YAML's
// azureml:NAME), or an id as written.
func (s Scope) computeID(compute string) (string, error) {
	if compute == "" || strings.Contains(compute, "/") {
		return compute, nil
	}
	name := compute
	if len(name) > len("azureml:") && strings.EqualFold(name[:len("azureml:")], "azureml:") {
		name = name[len("azureml:"):]
	}
	if !pathNameRE.MatchString(name) {
		return "", fmt.Errorf("compute: %q is not the name of a compute in the workspace (azureml:NAME) nor an ARM id", compute)
	}
	return s.path() + "/computes/" + name, nil
}

// computeName is the inverse of computeID: the id of a compute of this
// workspace reads as its name, any other id as it is. ARM ids compare
// case-insensitively except for the name.
func (s Scope) computeName(id string) string {
	prefix := s.path() + "/computes/"
	if len(id) > len(prefix) && strings.EqualFold(id[:len(prefix)], prefix) && !strings.Contains(id[len(prefix):], "/") {
		return id[len(prefix):]
	}
	return id
}
