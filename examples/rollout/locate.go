package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/rolloutkit/rollout/endpoint"
)

// locate finds where the desired state's files define an endpoint, or one
// of its deployments, so that a refused plan can be reported like a spec
// error, at a line and column. The planner's error names resources, not
// positions; the files are read again here, which costs nothing next to
// what a refused rollout costs.
//
// It looks in the files named by paths (directories are walked for YAML
// files): an endpoint file named ep, with the deployment in its
// deployments list or map; or a deployment file named dep whose
// endpoint_name is ep. When the refusal's message begins with a field the
// definition holds (instance_type cannot change ...), the position is that
// field's. ok is false when no file matches, for specs whose names came
// from elsewhere.
func locate(paths []string, ep, dep, msg string) (pos endpoint.Pos, path string, ok bool) {
	for _, file := range yamlFiles(paths) {
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		root := doc.Content[0]
		name := value(root, "name")
		if _, epName := lookup(root, "endpoint_name"); epName != nil {
			// A deployment file.
			if dep == "" || name == nil || !strings.EqualFold(name.Value, dep) || !strings.EqualFold(epName.Value, ep) {
				continue
			}
			return at(file, root, name, "", msg)
		}
		if name == nil || !strings.EqualFold(name.Value, ep) {
			continue
		}
		if dep == "" {
			return at(file, root, name, "", msg)
		}
		_, deps := lookup(root, "deployments")
		if deps == nil {
			continue
		}
		switch deps.Kind {
		case yaml.SequenceNode:
			for i, item := range deps.Content {
				if n := value(item, "name"); n != nil && strings.EqualFold(n.Value, dep) {
					return at(file, item, n, "deployments["+strconv.Itoa(i)+"]", msg)
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(deps.Content); i += 2 {
				if k := deps.Content[i]; strings.EqualFold(k.Value, dep) {
					return at(file, deps.Content[i+1], k, "deployments."+k.Value, msg)
				}
			}
		}
	}
	return endpoint.Pos{}, "", false
}

// at is the position of the definition (its name node), or of the field
// the message begins with when the definition holds it.
func at(file string, def, name *yaml.Node, prefix, msg string) (endpoint.Pos, string, bool) {
	node, path := name, prefix
	field, _, _ := strings.Cut(msg, " ")
	if key, _ := lookup(def, field); key != nil {
		node = key
		if path == "" {
			path = field
		} else {
			path += "." + field
		}
	}
	if path == "" {
		path = "name"
	}
	return endpoint.Pos{File: file, Line: node.Line, Column: node.Column}, path, true
}

// lookup returns the key and value nodes of key in a mapping node.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

func value(m *yaml.Node, key string) *yaml.Node {
	_, v := lookup(m, key)
	return v
}

// yamlFiles lists the files named by paths, walking directories for YAML
// files in name order and leaving out hidden directories, as loading does.
func yamlFiles(paths []string) []string {
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			continue
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return nil
			case d.IsDir() && path != p && strings.HasPrefix(d.Name(), "."):
				return filepath.SkipDir
			case !d.IsDir():
				if ext := strings.ToLower(filepath.Ext(path)); ext == ".yml" || ext == ".yaml" {
					files = append(files, path)
				}
			}
			return nil
		})
	}
	return files
}
