package endpoint

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// deploymentKeys are the keys of a deployment, from its table.
var deploymentKeys = keysOf(deploymentAttrs)

// deploymentFileKeys adds what only a deployment file of its own has.
var deploymentFileKeys = append([]string{"$schema", "endpoint_name"}, deploymentKeys...)

var (
	modelKeys       = slices.Concat([]string{"name", "version", "path", "local_path", "type"}, modelMetadataKeys, modelReadOnlyKeys)
	codeKeys        = []string{"code", "scoring_script"}
	codeObjectKeys  = []string{"local_path"}
	environmentKeys = slices.Concat([]string{"name", "version", "image", "conda_file", "build", "inference_config", "os_type", "path", "docker"}, environmentMetadataKeys, environmentReadOnlyKeys)
	dockerKeys      = []string{"image"}
	buildKeys       = []string{"path", "dockerfile_path"}
	inferenceKeys   = []string{"liveness_route", "readiness_route", "scoring_route"}
	routeKeys       = []string{"path", "port"}
	// scaleKeys add the 2021 names to today's.
	scaleKeys        = slices.Insert(keysOf(scaleAttrs), 1, "scale_type", "instance_count")
	resourcesKeys    = keysOf(resourcesAttrs)
	quantityKeys     = keysOf(quantityAttrs)
	requirementKeys  = []string{"cpu", "memory_in_gb", "gpu"}
	collectorKeys    = []string{"collections", "sampling_rate", "rolling_rate", "request_logging"}
	collectionKeys   = []string{"enabled", "data", "client_id", "sampling_rate"}
	dataKeys         = []string{"name", "version", "path"}
	requestLogKeys   = []string{"capture_headers"}
	deploymentTypes  = []string{string(Managed), string(Kubernetes)}
	scaleTypes       = []string{string(ScaleDefault), string(ScaleTargetUtilization)}
	legacyScaleTypes = []string{"manual", "auto"}
	osTypes          = []string{"linux", "windows"}
	rollingRates     = []string{"minute", "hour", "day"}
)

// The fields of an inline model or environment that the model of a spec
// does not hold, as the service's CLI reads them: metadata it registers
// with the asset, and read-only fields it writes out and ignores on input.
var (
	modelMetadataKeys       = []string{"description", "tags", "properties", "flavors", "utc_time_created"}
	modelReadOnlyKeys       = []string{"id", "job_name", "latest_version", "creation_context"}
	environmentMetadataKeys = []string{"description", "tags", "datastore"}
	environmentReadOnlyKeys = []string{"id", "latest_version", "creation_context", "auto_delete_setting"}
)

// assetExtra reads a field of an inline asset of kind that the model does
// not hold: metadata loads with a warning, since no asset registered from
// the spec gets it; a read-only field is dropped, as the CLI drops it.
func (d *decoder) assetExtra(g entry, p loc, kind string, metadata []string) {
	if slices.Contains(metadata, g.k.Value) {
		d.warnf(g.k, p.w, "ignored: the service's CLI registers it with the %s; the %s registered from this spec goes without it", kind, kind)
	}
}

// deployment decodes the fields of one deployment. inFile is set for a
// deployment file of its own, which may say which endpoint it joins. The
// name is the caller's business: it is needed before the fields are
// decoded, for their canonical paths.
func (d *decoder) deployment(n *yaml.Node, p loc, inFile bool) Deployment {
	keys := deploymentKeys
	if inFile {
		keys = deploymentFileKeys
	}
	var dep Deployment
	fs, ok := d.fields(n, p, keys)
	if !ok {
		return dep
	}
	decodeAttrs(d, deploymentAttrs, fs, p, &dep)
	d.deploymentAgrees(fs, p)
	return dep
}

// deploymentAgrees checks that a field written under two names, or in
// two places, says one thing.
func (d *decoder) deploymentAgrees(fs fields, p loc) {
	// instance_count may be written at the top level (today) or inside
	// scale_settings (2021); both at once must agree.
	if top, ok := fs.get("instance_count"); ok {
		if inner, ok := subEntry(fs, "scale_settings", "instance_count"); ok && top.v.Value != inner.v.Value {
			d.errorf(inner.v, join(p.w, "scale_settings.instance_count"), "%s differs from instance_count %s given at %s; keep one",
				inner.v.Value, top.v.Value, d.at(top.v))
		}
	}
	if r, ok := fs.get("resources"); ok {
		if rr, ok := fs.get("resource_requirements"); ok {
			d.errorf(rr.k, join(p.w, "resource_requirements"), "resources are already given at %s (resource_requirements is their 2021 name); keep one", d.at(r.k))
		}
	}
	if pn, ok := fs.get("private_network_connection"); ok {
		e, ok := fs.get("egress_public_network_access")
		if want := privateAccess(pn.v.Value); ok && want != "" && !strings.EqualFold(e.v.Value, string(want)) {
			d.errorf(pn.k, join(p.w, "private_network_connection"), "%s means egress_public_network_access: %s, but %s is given at %s; keep egress_public_network_access", pn.v.Value, want, e.v.Value, d.at(e.v))
		}
	}
}

// subEntry finds the entry key inside the mapping of fs's entry parent.
func subEntry(fs fields, parent, key string) (entry, bool) {
	f, ok := fs.get(parent)
	if !ok || f.v.Kind != yaml.MappingNode {
		return entry{}, false
	}
	for i := 0; i+1 < len(f.v.Content); i += 2 {
		if f.v.Content[i].Value == key {
			return entry{f.v.Content[i], f.v.Content[i+1]}, true
		}
	}
	return entry{}, false
}

// reference decodes the one-line form of a reference, reporting parse
// errors at the value.
func (d *decoder) reference(f entry, p loc, dst *Reference) bool {
	s, ok := d.scalar(f, p, "a reference (azureml:NAME:VERSION, a registry URI, an ARM id or a path) or a mapping")
	if !ok {
		return false
	}
	r, err := ParseReference(s)
	if err != nil {
		d.errorf(f.v, p.w, "%s", err.(*Error).Msg)
		return false
	}
	*dst = r
	d.record(p, f)
	return true
}

// localPath decodes a path field, dropping a file: prefix. The loader
// resolves relative paths once it knows which endpoint file the
// deployment joins.
func (d *decoder) localPath(f entry, p loc, dst *string) {
	s, ok := d.scalar(f, p, "a path")
	if !ok {
		return
	}
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "file:"))
	if s == "" {
		d.errorf(f.v, p.w, "want a path, got %q", f.v.Value)
		return
	}
	*dst = s
	d.record(p, f)
}

// model decodes model: as azureml:NAME:VERSION (or any reference), or as
// {name, version, path, type}, where local_path is the 2021 name of path.
func (d *decoder) model(f entry, p loc, dst *Reference) {
	if f.v.Kind != yaml.MappingNode {
		d.reference(f, p, dst)
		return
	}
	fs, ok := d.fields(f.v, p, modelKeys)
	if !ok {
		return
	}
	d.record(p, f)
	for _, g := range fs {
		gp := p.key(g.k.Value)
		switch g.k.Value {
		case "name":
			d.str(g, gp, &dst.Name)
		case "version":
			d.str(g, gp, &dst.Version)
		case "path":
			d.localPath(g, gp, &dst.Path)
		case "local_path":
			d.legacy(g.k, gp.w, "local_path is the 2021 name of path", "write path")
			d.localPath(g, renamed(p, "local_path", "path"), &dst.Path)
		case "type":
			d.str(g, gp, &dst.Type)
		default:
			d.assetExtra(g, gp, "model", modelMetadataKeys)
		}
	}
	d.onlyOne(fs, p, "path", "local_path")
}

// onlyOne reports a field written under both its names.
func (d *decoder) onlyOne(fs fields, p loc, today, old string) {
	a, okA := fs.get(today)
	b, okB := fs.get(old)
	if okA && okB {
		d.errorf(b.k, join(p.w, old), "%s is already given at %s (%s is its 2021 name); keep one", today, d.at(a.k), old)
	}
}

// code decodes code_configuration; code: is a path or reference, or the
// 2021 {local_path: PATH}.
func (d *decoder) code(f entry, p loc, dst *CodeConfiguration) {
	fs, ok := d.fields(f.v, p, codeKeys)
	if !ok {
		return
	}
	d.record(p, f)
	for _, g := range fs {
		gp := p.key(g.k.Value)
		switch g.k.Value {
		case "code":
			if g.v.Kind == yaml.MappingNode {
				hs, _ := d.fields(g.v, gp, codeObjectKeys)
				if h, ok := hs.get("local_path"); ok {
					d.legacy(h.k, gp.key("local_path").w, "code: {local_path: PATH} is the 2021 form of code: PATH", "write code: PATH")
					d.localPath(h, gp, &dst.Code.Path)
				}
				continue
			}
			d.reference(g, gp, &dst.Code)
		case "scoring_script":
			d.str(g, gp, &dst.ScoringScript)
		}
	}
}

// environment decodes a registered environment by reference, or an inline
// one in today's form (image, conda_file, build) or the 2021 form
// (docker.image, path).
func (d *decoder) environment(f entry, p loc, dst *Environment) {
	if f.v.Kind != yaml.MappingNode {
		var r Reference
		if !d.reference(f, p, &r) {
			return
		}
		if r.Path != "" {
			d.errorf(f.v, p.w, "want azureml:NAME:VERSION, azureml:NAME@LABEL, a registry URI or an ARM id, or an inline environment; a path is not an environment")
			return
		}
		dst.Reference = r
		return
	}
	fs, ok := d.fields(f.v, p, environmentKeys)
	if !ok {
		return
	}
	d.record(p, f)
	for _, g := range fs {
		gp := p.key(g.k.Value)
		switch g.k.Value {
		default:
			d.assetExtra(g, gp, "environment", environmentMetadataKeys)
		case "name":
			d.str(g, gp, &dst.Name)
		case "version":
			d.str(g, gp, &dst.Version)
		case "image":
			d.str(g, gp, &dst.Image)
		case "docker":
			if hs, ok := d.fields(g.v, gp, dockerKeys); ok {
				if h, ok := hs.get("image"); ok {
					d.legacy(g.k, gp.key("image").w, "docker.image is the 2021 form of image", "write image")
					d.str(h, renamed(p, "docker.image", "image"), &dst.Image)
				}
			}
		case "conda_file":
			d.localPath(g, gp, &dst.CondaFile)
		case "path":
			d.localPath(g, gp, &dst.Path)
		case "os_type":
			d.enum(g, gp, osTypes, &dst.OSType)
		case "build":
			if hs, ok := d.fields(g.v, gp, buildKeys); ok {
				d.record(gp, g)
				for _, h := range hs {
					hp := gp.key(h.k.Value)
					switch h.k.Value {
					case "path":
						d.localPath(h, hp, &dst.Build.Path)
					case "dockerfile_path":
						d.str(h, hp, &dst.Build.DockerfilePath)
					}
				}
			}
		case "inference_config":
			d.inferenceConfig(g, gp, &dst.InferenceConfig)
		}
	}
	if a, ok := fs.get("image"); ok {
		if b, ok := fs.get("docker"); ok {
			d.errorf(b.k, join(p.w, "docker"), "image is already given at %s (docker.image is its 2021 name); keep one", d.at(a.k))
		}
	}
}

func (d *decoder) inferenceConfig(f entry, p loc, dst *InferenceConfig) {
	fs, ok := d.fields(f.v, p, inferenceKeys)
	if !ok {
		return
	}
	d.record(p, f)
	for _, g := range fs {
		gp := p.key(g.k.Value)
		var r *Route
		switch g.k.Value {
		case "liveness_route":
			r = &dst.LivenessRoute
		case "readiness_route":
			r = &dst.ReadinessRoute
		case "scoring_route":
			r = &dst.ScoringRoute
		}
		hs, ok := d.fields(g.v, gp, routeKeys)
		if !ok {
			continue
		}
		d.record(gp, g)
		for _, h := range hs {
			hp := gp.key(h.k.Value)
			switch h.k.Value {
			case "path":
				d.str(h, hp, &r.Path)
			case "port":
				d.count(h, hp, &r.Port)
			}
		}
	}
}

// scale decodes scale_settings in today's form (type: default |
// target_utilization) or the 2021 form (scale_type: manual | auto, with
// instance_count inside, which is the deployment's).
func (d *decoder) scale(f entry, p loc, dep *Deployment) {
	fs, ok := d.fields(f.v, p, scaleKeys)
	if !ok {
		return
	}
	d.record(p, f)
	decodeAttrs(d, scaleAttrs, fs, p, &dep.ScaleSettings)
	dp := loc{strings.TrimSuffix(p.w, ".scale_settings"), strings.TrimSuffix(strings.TrimSuffix(p.c, "scale_settings"), ".")}
	for _, g := range fs {
		gp := p.key(g.k.Value)
		switch g.k.Value {
		case "scale_type":
			d.legacy(g.k, gp.w, "scale_type is the 2021 name of type (manual is default, auto is target_utilization)", "write type")
			var t string
			d.enum(g, renamed(p, "scale_type", "type"), legacyScaleTypes, &t)
			switch t {
			case "manual":
				dep.ScaleSettings.Type = ScaleDefault
			case "auto":
				dep.ScaleSettings.Type = ScaleTargetUtilization
			}
		case "instance_count":
			d.legacy(g.k, gp.w, "instance_count inside scale_settings is the 2021 form", "write instance_count at the deployment's top level")
			d.count(g, loc{gp.w, join(dp.c, "instance_count")}, &dep.InstanceCount)
		}
	}
	d.onlyOne(fs, p, "type", "scale_type")
	if _, ok := fs.get("min_instances"); !ok && dep.ScaleSettings.Type == ScaleTargetUtilization {
		// The service's default, filled here where an absent key can be
		// told from a written 0: min_instances: 0 is sent as 0.
		dep.ScaleSettings.MinInstances = defaultMinInstances
	}
}

func (d *decoder) resources(f entry, p loc, dst *Resources) {
	fs, ok := d.fields(f.v, p, resourcesKeys)
	if !ok {
		return
	}
	d.record(p, f)
	for _, g := range fs {
		gp := p.key(g.k.Value)
		q := &dst.Requests
		if g.k.Value == "limits" {
			q = &dst.Limits
		}
		hs, ok := d.fields(g.v, gp, quantityKeys)
		if !ok {
			continue
		}
		d.record(gp, g)
		decodeAttrs(d, quantityAttrs, hs, gp, q)
		if a, ok := hs.get("nvidia.com/gpu"); ok {
			if b, ok := hs.get("gpu"); ok {
				d.errorf(b.k, join(gp.w, "gpu"), "nvidia.com/gpu is already given at %s (gpu is its other name); keep one", d.at(a.k))
			}
		}
	}
}

// requirements decodes the 2021 resource_requirements into today's
// resources.requests; memory_in_gb becomes a Kubernetes quantity in Gi.
func (d *decoder) requirements(f entry, p loc, dst *Quantities) {
	fs, ok := d.fields(f.v, p, requirementKeys)
	if !ok {
		return
	}
	req := loc{p.w, strings.TrimSuffix(p.c, "resource_requirements") + "resources.requests"}
	d.record(req, f)
	for _, g := range fs {
		switch g.k.Value {
		case "cpu":
			d.str(g, renamed(req, "cpu", "cpu"), &dst.CPU)
		case "gpu":
			d.str(g, renamed(req, "gpu", "nvidia.com/gpu"), &dst.GPU)
		case "memory_in_gb":
			gp := renamed(req, "memory_in_gb", "memory")
			s, ok := d.scalar(g, gp, "a number of gigabytes")
			if !ok {
				continue
			}
			if gb, err := strconv.ParseFloat(s, 64); err != nil || gb <= 0 || !isPlainNumber(s) {
				d.errorf(g.v, gp.w, "want a positive number of gigabytes, got %q", s)
				continue
			}
			dst.Memory = s + "Gi"
			d.record(gp, g)
		}
	}
}

// privateNetwork decodes the deprecated private_network_connection of a
// managed deployment, which the service's CLI still reads: true is
// egress_public_network_access: disabled, false is enabled. When both are
// given, egress_public_network_access is kept, and they must agree (see
// deploymentAgrees).
func (d *decoder) privateNetwork(f entry, p loc, dep *Deployment) {
	var private bool
	s := len(d.errs)
	d.boolean(f, loc{p.w, strings.TrimSuffix(p.c, "private_network_connection") + "egress_public_network_access"}, &private)
	if len(d.errs) > s {
		return
	}
	want := privateAccess(f.v.Value)
	d.warnf(f.k, p.w, "deprecated; write egress_public_network_access: %s, which it means", want)
	if dep.EgressPublicNetworkAccess == "" {
		dep.EgressPublicNetworkAccess = want
	}
}

// privateAccess is the egress access a value of private_network_connection
// means, or "" for a value that is not true or false.
func privateAccess(v string) Access {
	switch strings.ToLower(v) {
	case "true":
		return Disabled
	case "false":
		return Enabled
	}
	return ""
}

// isPlainNumber accepts the decimal numbers a quantity can be built from
// by appending a unit: no exponent, sign, or spaces.
func isPlainNumber(s string) bool {
	dot := false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
		case r == '.' && !dot && i > 0:
			dot = true
		default:
			return false
		}
	}
	return s != "" && !strings.HasSuffix(s, ".")
}

func (d *decoder) dataCollector(f entry, p loc) *DataCollector {
	fs, ok := d.fields(f.v, p, collectorKeys)
	if !ok {
		return nil
	}
	d.record(p, f)
	dc := &DataCollector{}
	var unrated []string
	for _, g := range fs {
		gp := p.key(g.k.Value)
		switch g.k.Value {
		case "collections":
			dc.Collections, unrated = d.collections(g, gp)
		case "sampling_rate":
			d.fraction(g, gp, &dc.SamplingRate)
		case "rolling_rate":
			d.enum(g, gp, rollingRates, &dc.RollingRate)
		case "request_logging":
			hs, ok := d.fields(g.v, gp, requestLogKeys)
			if !ok {
				continue
			}
			d.record(gp, g)
			dc.RequestLogging = &RequestLogging{}
			if h, ok := hs.get("capture_headers"); ok {
				dc.RequestLogging.CaptureHeaders = d.stringList(h, gp.key("capture_headers"))
			}
		}
	}
	_, written := fs.get("sampling_rate")
	rateCollections(dc, unrated, written)
	return dc
}

// rateCollections fills the rate of each collection named in unrated,
// where an absent key can be told from a written 0: the collector's rate
// if one is written, else the service's default of 1. The service keeps a
// rate per collection only, so the collector's own is then dropped.
func rateCollections(dc *DataCollector, unrated []string, written bool) {
	rate := defaultSamplingRate
	if written {
		rate = dc.SamplingRate
	}
	for _, name := range unrated {
		c := dc.Collections[name]
		c.SamplingRate = rate
		dc.Collections[name] = c
	}
	if len(dc.Collections) > 0 {
		dc.SamplingRate = 0
	}
}

// collections decodes a collector's collections, and names those that
// set no sampling rate.
func (d *decoder) collections(f entry, p loc) (out map[string]Collection, unrated []string) {
	if !d.kind(f.v, p, yaml.MappingNode) {
		return nil, nil
	}
	d.record(p, f)
	out = make(map[string]Collection)
	names := make(map[string]*yaml.Node)
	for i := 0; i+1 < len(f.v.Content); i += 2 {
		k, v := f.v.Content[i], f.v.Content[i+1]
		if k.Kind != yaml.ScalarNode || isNull(k) || k.Value == "" {
			d.errorf(k, p.w, "keys must be collection names, got %s", describe(k))
			continue
		}
		cp := p.key(k.Value)
		if first, ok := names[k.Value]; ok {
			d.errorf(k, cp.w, "duplicate key; first given at %s", d.at(first))
			continue
		}
		names[k.Value] = k
		fs, ok := d.fields(v, cp, collectionKeys)
		if !ok {
			continue
		}
		d.record(cp, entry{k, v})
		var c Collection
		for _, g := range fs {
			gp := cp.key(g.k.Value)
			switch g.k.Value {
			case "enabled":
				d.boolean(g, gp, &c.Enabled)
			case "client_id":
				d.str(g, gp, &c.ClientID)
			case "sampling_rate":
				d.fraction(g, gp, &c.SamplingRate)
			case "data":
				d.dataAsset(g, gp, &c.Data)
			}
		}
		if _, ok := fs.get("sampling_rate"); !ok {
			unrated = append(unrated, k.Value)
		}
		out[k.Value] = c
	}
	return out, unrated
}

// dataAsset decodes where collected data goes: a reference, or
// {name, version, path}.
func (d *decoder) dataAsset(f entry, p loc, dst *Reference) {
	if f.v.Kind != yaml.MappingNode {
		d.reference(f, p, dst)
		return
	}
	fs, ok := d.fields(f.v, p, dataKeys)
	if !ok {
		return
	}
	d.record(p, f)
	for _, g := range fs {
		gp := p.key(g.k.Value)
		switch g.k.Value {
		case "name":
			d.str(g, gp, &dst.Name)
		case "version":
			d.str(g, gp, &dst.Version)
		case "path":
			d.localPath(g, gp, &dst.Path)
		}
	}
}

func (d *decoder) stringList(f entry, p loc) []string {
	if !d.kind(f.v, p, yaml.SequenceNode) {
		return nil
	}
	d.record(p, f)
	var out []string
	for i, item := range f.v.Content {
		ip := loc{fmt.Sprintf("%s[%d]", p.w, i), fmt.Sprintf("%s[%d]", p.c, i)}
		var s string
		d.str(entry{f.k, item}, ip, &s)
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
