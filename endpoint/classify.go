package endpoint

import (
	"fmt"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"
)

// fileKind is what a YAML file holds, as far as loading is concerned.
type fileKind int

const (
	otherFile fileKind = iota
	endpointFile
	deploymentFile
)

func (k fileKind) String() string {
	switch k {
	case endpointFile:
		return "endpoint"
	case deploymentFile:
		return "deployment"
	}
	return "other"
}

// schemaKinds maps the last element of a $schema URL, lower-cased and
// without .schema.json or .json, to what the file holds.
var schemaKinds = map[string]fileKind{
	"onlineendpoint":             endpointFile,
	"managedonlineendpoint":      endpointFile,
	"kubernetesonlineendpoint":   endpointFile,
	"managedonlinedeployment":    deploymentFile,
	"kubernetesonlinedeployment": deploymentFile,
}

// schemaOthers names the service's other asset schemas, for the reason a
// file is skipped.
var schemaOthers = map[string]string{
	"environment":         "environment asset",
	"model":               "model asset",
	"code":                "code asset",
	"data":                "data asset",
	"modelversionpackage": "model package spec",
	"batchendpoint":       "batch endpoint",
	"batchdeployment":     "batch deployment",
}

// Keys that only an endpoint or only a deployment has, for files without
// $schema.
var (
	endpointSignals   = signals(endpointAttrs, sharedKeys...)
	deploymentSignals = append([]string{"endpoint_name"}, signals(deploymentAttrs, sharedKeys...)...)
	sharedKeys        = []string{"name", "type", "description", "tags", "properties"}
)

// classify tells endpoint and deployment specs from the other YAML that
// lives beside them (conda files, asset specs, package specs, tool
// configs), by $schema when there is one and by the keys present
// otherwise. For other files it returns why they are not specs.
func classify(root *yaml.Node) (fileKind, string) {
	if root == nil {
		return otherFile, "empty"
	}
	if root.Kind != yaml.MappingNode {
		return otherFile, "not a mapping at the top level"
	}
	keys := make(map[string]*yaml.Node, len(root.Content)/2)
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; k.Kind == yaml.ScalarNode {
			keys[k.Value] = root.Content[i+1]
		}
	}
	if s, ok := keys["$schema"]; ok && s.Kind == yaml.ScalarNode && s.Value != "" {
		return classifySchema(s.Value)
	}
	has := func(names ...string) bool {
		for _, n := range names {
			if _, ok := keys[n]; ok {
				return true
			}
		}
		return false
	}
	switch {
	case has("dependencies", "channels"):
		return otherFile, "conda environment file (dependencies, channels)"
	case has(endpointSignals...):
		return endpointFile, ""
	case has(deploymentSignals...):
		return deploymentFile, ""
	case has("target_environment", "inferencing_server", "base_environment_source", "model_configuration"):
		return otherFile, "model package spec (target_environment, inferencing_server)"
	case has("model_repository", "profile_models", "analysis_models"):
		return otherFile, "Triton model analyzer config (model_repository)"
	case has("image", "build"):
		return otherFile, "environment asset (image or build, no deployment keys)"
	case has("path"):
		return otherFile, "model asset (path, no deployment keys)"
	}
	return otherFile, "no $schema and no endpoint keys (auth_mode, traffic, deployments, ...) or deployment keys (endpoint_name, model, instance_type, ...)"
}

func classifySchema(url string) (fileKind, string) {
	base := strings.ToLower(path.Base(strings.TrimSpace(url)))
	base = strings.TrimSuffix(base, ".json")
	base = strings.TrimSuffix(base, ".schema")
	if k, ok := schemaKinds[base]; ok {
		return k, ""
	}
	what, ok := schemaOthers[base]
	if !ok {
		what = "not an online endpoint or deployment"
	}
	return otherFile, fmt.Sprintf("%s ($schema %s)", what, path.Base(strings.TrimSpace(url)))
}

// schemaType is the deployment type a deployment file's $schema names, or
// "" when it names none.
func schemaType(root *yaml.Node) Kind {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "$schema" {
			continue
		}
		base := strings.ToLower(path.Base(root.Content[i+1].Value))
		switch {
		case strings.HasPrefix(base, "kubernetesonline"):
			return Kubernetes
		case strings.HasPrefix(base, "managedonline"):
			return Managed
		}
	}
	return ""
}
