package endpoint

import "strings"

// deploymentAttrs are the fields of a [Deployment], in the order of the
// model: the order of Marshal's output and of DiffDeployment.
var deploymentAttrs = []attr[Deployment]{
	nameAttr,
	withNormalize(enumAttr("type", "Type", func(d *Deployment) *Kind { return &d.Type }, deploymentTypes, ""),
		func(d *Deployment, kind Kind) {
			// The CLI picks the deployment's schema from the endpoint.
			if d.Type = Kind(lower(string(d.Type))); d.Type == "" {
				d.Type = kind
			}
		}),
	textAttr("description", "Description", func(d *Deployment) *string { return &d.Description }, nil),
	tagsAttr(func(d *Deployment) *map[string]string { return &d.Tags }),
	mapAttr("properties", "Properties", func(d *Deployment) *map[string]string { return &d.Properties }, nil),
	customAttr("model", "Model", cmpRef, cpShared, attr[Deployment]{
		decode: func(d *decoder, f entry, p loc, s *Deployment) { d.model(f, p, &s.Model) },
		write: func(w *writer, m mapping, path string, s *Deployment) {
			m.node("model", w.ref(path+".model", s.Model, "models", true, true))
		},
		diff:      func(df *differ, prefix string, a, b *Deployment) { df.ref(join(prefix, "model"), &a.Model, &b.Model) },
		normalize: func(s *Deployment, _ Kind) { normalizeRef(&s.Model) },
	}),
	textAttr("model_mount_path", "ModelMountPath", func(d *Deployment) *string { return &d.ModelMountPath }, nil),
	customAttr("code_configuration", "CodeConfiguration", cmpCode, cpShared, attr[Deployment]{
		decode: func(d *decoder, f entry, p loc, s *Deployment) { d.code(f, p, &s.CodeConfiguration) },
		write: func(w *writer, m mapping, path string, s *Deployment) {
			c := s.CodeConfiguration
			cm := newMapping()
			cm.node("code", w.ref(path+".code_configuration.code", c.Code, "codes", false, false))
			cm.str("scoring_script", c.ScoringScript)
			m.sub("code_configuration", cm)
		},
		diff: func(df *differ, prefix string, a, b *Deployment) {
			if a.CodeConfiguration == b.CodeConfiguration {
				return // without joining the paths of its fields
			}
			p := join(prefix, "code_configuration")
			df.ref(join(p, "code"), &a.CodeConfiguration.Code, &b.CodeConfiguration.Code)
			df.str2(p, "scoring_script", a.CodeConfiguration.ScoringScript, b.CodeConfiguration.ScoringScript)
		},
		normalize: func(s *Deployment, _ Kind) { normalizeRef(&s.CodeConfiguration.Code) },
	}),
	customAttr("environment", "Environment", cmpEnv, cpShared, attr[Deployment]{
		decode: func(d *decoder, f entry, p loc, s *Deployment) { d.environment(f, p, &s.Environment) },
		write: func(w *writer, m mapping, path string, s *Deployment) {
			m.node("environment", w.environment(path+".environment", s.Environment))
		},
		diff:      func(df *differ, _ string, a, b *Deployment) { df.environment(&a.Environment, &b.Environment) },
		normalize: func(s *Deployment, _ Kind) { normalizeEnvironment(&s.Environment) },
	}),
	withEq(mapAttr("environment_variables", "EnvironmentVariables", func(d *Deployment) *map[string]string { return &d.EnvironmentVariables }, IsSecretName), cmpVars),
	textAttr("instance_type", "InstanceType", func(d *Deployment) *string { return &d.InstanceType }, nil),
	// Its default depends on scale_settings: see normalizeDeployment.
	countAttr("instance_count", "InstanceCount", func(d *Deployment) *int { return &d.InstanceCount }, 0),
	withDecode(groupAttr("scale_settings", "ScaleSettings", func(d *Deployment) *ScaleSettings { return &d.ScaleSettings }, scaleAttrs, false),
		func(d *decoder, f entry, p loc, s *Deployment) { d.scale(f, p, s) }),
	groupAttr("request_settings", "RequestSettings", func(d *Deployment) *RequestSettings { return &d.RequestSettings }, requestAttrs, false),
	groupAttr("liveness_probe", "LivenessProbe", func(d *Deployment) *Probe { return &d.LivenessProbe }, probeAttrs(defaultLivenessFailures), false),
	groupAttr("readiness_probe", "ReadinessProbe", func(d *Deployment) *Probe { return &d.ReadinessProbe }, probeAttrs(defaultReadinessFailures), false),
	// The service runs a startup probe only when asked for one; given,
	// it has the liveness probe's defaults (ProbeSettings).
	groupAttr("startup_probe", "StartupProbe", func(d *Deployment) *Probe { return &d.StartupProbe }, probeAttrs(defaultLivenessFailures), true),
	boolAttr("app_insights_enabled", "AppInsightsEnabled", func(d *Deployment) *bool { return &d.AppInsightsEnabled }),
	enumAttr("egress_public_network_access", "EgressPublicNetworkAccess", func(d *Deployment) *Access { return &d.EgressPublicNetworkAccess }, accessValues, Enabled),
	customAttr("data_collector", "DataCollector", "(%[1]s == %[2]s || dataCollectorEqual(%[1]s, %[2]s))", "%s.clone()", attr[Deployment]{
		decode: func(d *decoder, f entry, p loc, s *Deployment) { s.DataCollector = d.dataCollector(f, p) },
		write: func(w *writer, m mapping, path string, s *Deployment) {
			if dc := s.DataCollector; dc != nil {
				m.sub("data_collector", w.dataCollector(path+".data_collector", dc))
			}
		},
		diff:      func(df *differ, _ string, a, b *Deployment) { df.dataCollector(a.DataCollector, b.DataCollector) },
		normalize: func(s *Deployment, _ Kind) { s.DataCollector = normalizeDataCollector(s.DataCollector) },
	}),
	withDecode(groupAttr("resources", "Resources", func(d *Deployment) *Resources { return &d.Resources }, resourcesAttrs, false),
		func(d *decoder, f entry, p loc, s *Deployment) { d.resources(f, p, &s.Resources) }),

	aliasAttr("resource_requirements", func(d *decoder, f entry, p loc, s *Deployment) {
		d.legacy(f.k, p.w, "resource_requirements is the 2021 form of resources.requests", "write resources: {requests: {cpu, memory}} with memory in Gi")
		d.requirements(f, p, &s.Resources.Requests)
	}),
	aliasAttr("private_network_connection", func(d *decoder, f entry, p loc, s *Deployment) { d.privateNetwork(f, p, s) }),
	readOnlyAttr[Deployment]("id"),
	readOnlyAttr[Deployment]("provisioning_state"),
}

// nameAttr is a deployment's name, which the loader reads before the
// other fields, since their canonical paths contain it.
var nameAttr = withDecode(textAttr("name", "Name", func(d *Deployment) *string { return &d.Name }, nil), nil)

var scaleAttrs = []attr[ScaleSettings]{
	enumAttr("type", "Type", func(s *ScaleSettings) *ScaleType { return &s.Type }, scaleTypes, ScaleDefault),
	withWrite(countAttr("min_instances", "MinInstances", func(s *ScaleSettings) *int { return &s.MinInstances }, 0),
		func(_ *writer, m mapping, _ string, s *ScaleSettings) {
			if s.MinInstances == 0 && strings.EqualFold(string(s.Type), string(ScaleTargetUtilization)) {
				// Written even when 0 (scale to zero): absent, it
				// would load as the service's default of 1.
				m.node("min_instances", scalar("!!int", "0"))
				return
			}
			m.int("min_instances", s.MinInstances)
		}),
	countAttr("max_instances", "MaxInstances", func(s *ScaleSettings) *int { return &s.MaxInstances }, 0),
	countAttr("polling_interval", "PollingInterval", func(s *ScaleSettings) *int { return &s.PollingInterval }, 0),
	countAttr("target_utilization_percentage", "TargetUtilizationPercentage", func(s *ScaleSettings) *int { return &s.TargetUtilizationPercentage }, 0),
}

var requestAttrs = []attr[RequestSettings]{
	countAttr("request_timeout_ms", "RequestTimeoutMS", func(r *RequestSettings) *int { return &r.RequestTimeoutMS }, defaultRequestTimeoutMS),
	countAttr("max_concurrent_requests_per_instance", "MaxConcurrentRequestsPerInstance", func(r *RequestSettings) *int { return &r.MaxConcurrentRequestsPerInstance }, defaultMaxConcurrent),
	countAttr("max_queue_wait_ms", "MaxQueueWaitMS", func(r *RequestSettings) *int { return &r.MaxQueueWaitMS }, defaultMaxQueueWaitMS),
}

// probeAttrs are the settings of a probe; liveness and readiness probes
// differ only in how many failures they tolerate by default.
func probeAttrs(failures int) []attr[Probe] {
	return []attr[Probe]{
		countAttr("initial_delay", "InitialDelay", func(p *Probe) *int { return &p.InitialDelay }, defaultProbeInitialDelay),
		countAttr("period", "Period", func(p *Probe) *int { return &p.Period }, defaultProbePeriod),
		countAttr("timeout", "Timeout", func(p *Probe) *int { return &p.Timeout }, defaultProbeTimeout),
		countAttr("success_threshold", "SuccessThreshold", func(p *Probe) *int { return &p.SuccessThreshold }, defaultProbeSuccessThreshold),
		countAttr("failure_threshold", "FailureThreshold", func(p *Probe) *int { return &p.FailureThreshold }, failures),
	}
}

var resourcesAttrs = []attr[Resources]{
	groupAttr("requests", "Requests", func(r *Resources) *Quantities { return &r.Requests }, quantityAttrs, false),
	groupAttr("limits", "Limits", func(r *Resources) *Quantities { return &r.Limits }, quantityAttrs, false),
}

// quantityAttrs are Kubernetes quantities, kept as written. The service's
// CLI reads gpu as nvidia.com/gpu.
var quantityAttrs = []attr[Quantities]{
	textAttr("cpu", "CPU", func(q *Quantities) *string { return &q.CPU }, nil),
	textAttr("memory", "Memory", func(q *Quantities) *string { return &q.Memory }, nil),
	textAttr("nvidia.com/gpu", "GPU", func(q *Quantities) *string { return &q.GPU }, nil),
	aliasAttr("gpu", func(d *decoder, f entry, p loc, q *Quantities) {
		d.str(f, loc{p.w, p.c[:len(p.c)-len("gpu")] + "nvidia.com/gpu"}, &q.GPU)
	}),
}

// withDecode replaces the decoding of a.
func withDecode[S any](a attr[S], decode func(d *decoder, f entry, p loc, s *S)) attr[S] {
	a.decode = decode
	return a
}

// withWrite replaces the writing of a.
func withWrite[S any](a attr[S], write func(w *writer, m mapping, path string, s *S)) attr[S] {
	a.write = write
	return a
}

// withEq replaces how the generated Equal compares a.
func withEq[S any](a attr[S], eq string) attr[S] {
	a.eq = eq
	return a
}

// withNormalize replaces the normalization of a.
func withNormalize[S any](a attr[S], normalize func(s *S, kind Kind)) attr[S] {
	a.normalize = normalize
	return a
}
