package rest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/internal/codec"
	"github.com/rolloutkit/rollout/traffic"
)

// The REST bodies of the 2024-10-01 API (and the fields of the 2021 preview
// that still matter), as the service's own examples in
// azure-rest-api-specs show them. Only what the model holds is mapped;
// read-only fields the service adds (systemData, swaggerUri) are omitted.
//
// backend/azureml declares the same bodies for the client on purpose: the
// emulator exists to test that client over the wire, and a body type shared
// by both would make a misspelt field agree with itself. Each side is
// checked on its own against the service's examples in the corpus instead.

type armError struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Target  string        `json:"target,omitempty"`
	Details []errorDetail `json:"details,omitempty"`
}

// The properties the specification requires of a PUT body, by path.
var (
	endpointRequired   = []string{"location", "properties", "properties.authMode"}
	deploymentRequired = []string{"location", "properties", "properties.endpointComputeType"}
)

// missingRequired returns the 400 body of a PUT that lacks properties the
// specification requires: one detail per property, its path as the target.
// A missing body is an empty object, as unmarshalBody reads it; any other
// body that is not a JSON object is left to the decoding to refuse.
func missingRequired(body []byte, required []string) *errorDetail {
	m := map[string]any{}
	if len(body) > 0 && json.Unmarshal(body, &m) != nil {
		return nil
	}
	var details []errorDetail
	for _, path := range required {
		if len(details) > 0 && strings.HasPrefix(path, details[len(details)-1].Target+".") {
			continue // its object is missing already
		}
		if !hasPath(m, path) {
			details = append(details, errorDetail{Code: "Required", Message: "The " + path + " field is required.", Target: path})
		}
	}
	if len(details) == 0 {
		return nil
	}
	return &errorDetail{Code: "BadArgument", Message: "One or more validation errors occurred.", Target: details[0].Target, Details: details}
}

func hasPath(m map[string]any, path string) bool {
	var v any = m
	for k := range strings.SplitSeq(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = obj[k]; !ok || v == nil {
			return false
		}
	}
	return true
}

type wireSKU struct {
	Name     string `json:"name"`
	Tier     string `json:"tier,omitempty"`
	Capacity *int   `json:"capacity,omitempty"`
}

type wireIdentity struct {
	Type                   string                     `json:"type"`
	UserAssignedIdentities map[string]json.RawMessage `json:"userAssignedIdentities,omitempty"`
}

type wireEndpoint struct {
	ID         string            `json:"id,omitempty"`
	Name       string            `json:"name,omitempty"`
	Type       string            `json:"type,omitempty"`
	Location   string            `json:"location,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	Identity   *wireIdentity     `json:"identity,omitempty"`
	Properties endpointProps     `json:"properties"`
}

type endpointProps struct {
	Description         string            `json:"description,omitempty"`
	Properties          map[string]string `json:"properties,omitempty"`
	AuthMode            string            `json:"authMode,omitempty"`
	Compute             string            `json:"compute,omitempty"`
	Target              string            `json:"target,omitempty"` // the 2021 preview's name of compute
	PublicNetworkAccess string            `json:"publicNetworkAccess,omitempty"`
	Traffic             map[string]int    `json:"traffic"`
	MirrorTraffic       map[string]int    `json:"mirrorTraffic"`
	ScoringURI          string            `json:"scoringUri,omitempty"`
	ProvisioningState   string            `json:"provisioningState,omitempty"`
}

type wireDeployment struct {
	ID         string            `json:"id,omitempty"`
	Name       string            `json:"name,omitempty"`
	Type       string            `json:"type,omitempty"`
	Location   string            `json:"location,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	SKU        *wireSKU          `json:"sku,omitempty"`
	Properties deploymentProps   `json:"properties"`
}

type deploymentProps struct {
	Description                   string              `json:"description,omitempty"`
	Properties                    map[string]string   `json:"properties,omitempty"`
	EndpointComputeType           string              `json:"endpointComputeType,omitempty"`
	Model                         json.RawMessage     `json:"model,omitempty"`
	ModelMountPath                string              `json:"modelMountPath,omitempty"`
	CodeConfiguration             *codeConfiguration  `json:"codeConfiguration,omitempty"`
	EnvironmentID                 string              `json:"environmentId,omitempty"`
	EnvironmentVariables          map[string]string   `json:"environmentVariables,omitempty"`
	InstanceType                  string              `json:"instanceType,omitempty"`
	ScaleSettings                 *scaleSettings      `json:"scaleSettings,omitempty"`
	RequestSettings               *requestSettings    `json:"requestSettings,omitempty"`
	LivenessProbe                 *probeSettings      `json:"livenessProbe,omitempty"`
	ReadinessProbe                *probeSettings      `json:"readinessProbe,omitempty"`
	StartupProbe                  *probeSettings      `json:"startupProbe,omitempty"`
	AppInsightsEnabled            bool                `json:"appInsightsEnabled"`
	EgressPublicNetworkAccess     string              `json:"egressPublicNetworkAccess,omitempty"`
	ContainerResourceRequirements *containerResources `json:"containerResourceRequirements,omitempty"`
	DataCollector                 *dataCollector      `json:"dataCollector,omitempty"`
	ProvisioningState             string              `json:"provisioningState,omitempty"`
}

type dataCollector struct {
	Collections    map[string]collection `json:"collections"`
	RequestLogging *requestLogging       `json:"requestLogging,omitempty"`
	RollingRate    string                `json:"rollingRate,omitempty"`
}

type collection struct {
	DataCollectionMode string `json:"dataCollectionMode"`
	DataID             string `json:"dataId,omitempty"`
	ClientID           string `json:"clientId,omitempty"`
	// SamplingRate is always written, 0 included: absent, the service
	// takes its default of 1.
	SamplingRate *float64 `json:"samplingRate,omitempty"`
}

type requestLogging struct {
	CaptureHeaders []string `json:"captureHeaders,omitempty"`
}

type codeConfiguration struct {
	CodeID        string `json:"codeId,omitempty"`
	ScoringScript string `json:"scoringScript"`
}

type scaleSettings struct {
	ScaleType                   string `json:"scaleType"`
	MinInstances                *int   `json:"minInstances,omitempty"`
	MaxInstances                int    `json:"maxInstances,omitempty"`
	PollingInterval             string `json:"pollingInterval,omitempty"`
	TargetUtilizationPercentage int    `json:"targetUtilizationPercentage,omitempty"`
}

type requestSettings struct {
	MaxQueueWait                     string `json:"maxQueueWait,omitempty"`
	RequestTimeout                   string `json:"requestTimeout,omitempty"`
	MaxConcurrentRequestsPerInstance int    `json:"maxConcurrentRequestsPerInstance,omitempty"`
}

type probeSettings struct {
	FailureThreshold int    `json:"failureThreshold,omitempty"`
	SuccessThreshold int    `json:"successThreshold,omitempty"`
	Timeout          string `json:"timeout,omitempty"`
	Period           string `json:"period,omitempty"`
	InitialDelay     string `json:"initialDelay,omitempty"`
}

type containerResources struct {
	Requests *resourceQuantities `json:"containerResourceRequests,omitempty"`
	Limits   *resourceQuantities `json:"containerResourceLimits,omitempty"`
}

type resourceQuantities struct {
	CPU    string `json:"cpu,omitempty"`
	Memory string `json:"memory,omitempty"`
	GPU    string `json:"gpu,omitempty"`
}

// scope is the workspace a request names; asset ids are built in it.
type scope struct{ subscription, resourceGroup, workspace string }

func (s scope) workspaceID() string {
	return "/subscriptions/" + s.subscription + "/resourceGroups/" + s.resourceGroup +
		"/providers/Microsoft.MachineLearningServices/workspaces/" + s.workspace
}

// enum is one of the service's enumerations, from the table the client
// uses too. The emulator is the service: it writes every value it holds
// and refuses, on a PUT, a value it does not know.
type enum struct{ codec.Enum }

var (
	authModes    = enum{codec.AuthModes}
	computeTypes = enum{codec.ComputeTypes}
	accesses     = enum{codec.Accesses}
	scaleTypes   = enum{codec.ScaleTypes}
	identities   = enum{codec.IdentityTypes}
	rollingRates = enum{codec.RollingRates}
	modes        = enum{codec.CollectionModes}
)

func (e enum) toWire(model string) string {
	w, _ := e.Wire(model)
	return w
}

func (e enum) fromWire(field, wire string) (string, error) {
	m, ok := e.Model(wire)
	if !ok {
		return "", fmt.Errorf("%s: %q is not one of %s", field, wire, strings.Join(e.WireValues(), ", "))
	}
	return m, nil
}

// encodeEndpoint builds the REST body of an endpoint read from the service.
func (s *Server) encodeEndpoint(sc scope, e *endpoint.Endpoint, scoringURI string) wireEndpoint {
	w := wireEndpoint{
		ID:       sc.workspaceID() + "/onlineEndpoints/" + e.Name,
		Name:     e.Name,
		Type:     "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
		Location: s.opts.Location,
		Tags:     e.Tags,
		Properties: endpointProps{
			Description:         e.Description,
			Properties:          e.Properties,
			AuthMode:            authModes.toWire(string(e.AuthMode)),
			Compute:             e.Compute,
			PublicNetworkAccess: accesses.toWire(string(e.PublicNetworkAccess)),
			Traffic:             nonNil(e.Traffic.Map()),
			MirrorTraffic:       nonNil(e.Mirror.Map()),
			ScoringURI:          scoringURI,
			ProvisioningState:   string(e.Status.ProvisioningState),
		},
	}
	if id := e.Identity; id != nil {
		w.Identity = &wireIdentity{Type: identities.toWire(id.Type)}
		for _, u := range id.UserAssignedIdentities {
			if w.Identity.UserAssignedIdentities == nil {
				w.Identity.UserAssignedIdentities = make(map[string]json.RawMessage)
			}
			w.Identity.UserAssignedIdentities[u] = json.RawMessage("{}")
		}
	}
	return w
}

func nonNil(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

// unmarshalBody decodes a JSON request body into v; an empty body leaves
// v as it is, as the service reads a missing body as an empty object.
func unmarshalBody(b []byte, v any) error {
	if len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("the request body is not valid JSON: %w", err)
	}
	return nil
}

// parseEndpointPut reads the body of an endpoint PUT into the model.
func parseEndpointPut(name string, body []byte) (*endpoint.Endpoint, error) {
	var w wireEndpoint
	if err := unmarshalBody(body, &w); err != nil {
		return nil, err
	}
	return decodeEndpoint(name, w)
}

// endpointPatch is the body of an endpoint PATCH: the fields the service
// lets a PATCH change.
type endpointPatch struct {
	tags     map[string]string
	identity *endpoint.Identity
}

// parseEndpointPatch reads the body of an endpoint PATCH.
func parseEndpointPatch(body []byte) (endpointPatch, error) {
	var w struct {
		Tags     map[string]string `json:"tags"`
		Identity *wireIdentity     `json:"identity"`
	}
	if err := unmarshalBody(body, &w); err != nil {
		return endpointPatch{}, err
	}
	p := endpointPatch{tags: w.Tags}
	if w.Identity != nil {
		id, err := decodeIdentity(*w.Identity)
		if err != nil {
			return endpointPatch{}, err
		}
		p.identity = id
	}
	return p, nil
}

// apply changes what the PATCH names and leaves the rest.
func (p endpointPatch) apply(e *endpoint.Endpoint) {
	if p.tags != nil {
		e.Tags = p.tags
	}
	if p.identity != nil {
		e.Identity = p.identity
	}
}

// parseDeploymentPut reads the body of a deployment PUT into the model.
func parseDeploymentPut(name string, body []byte) (endpoint.Deployment, error) {
	var w wireDeployment
	if err := unmarshalBody(body, &w); err != nil {
		return endpoint.Deployment{}, err
	}
	return decodeDeployment(name, w)
}

// deploymentPatch is the body of a deployment PATCH: tags and the sku's
// capacity.
type deploymentPatch struct {
	Tags map[string]string `json:"tags"`
	SKU  *wireSKU          `json:"sku"`
}

// parseDeploymentPatch reads the body of a deployment PATCH.
func parseDeploymentPatch(body []byte) (deploymentPatch, error) {
	var p deploymentPatch
	err := unmarshalBody(body, &p)
	return p, err
}

// scaleOnly returns the capacity of a PATCH that changes nothing else: the
// service's scale operation.
func (p deploymentPatch) scaleOnly() (int, bool) {
	if p.Tags == nil && p.SKU != nil && p.SKU.Capacity != nil {
		return *p.SKU.Capacity, true
	}
	return 0, false
}

// apply changes what the PATCH names and leaves the rest.
func (p deploymentPatch) apply(d *endpoint.Deployment) {
	if p.Tags != nil {
		d.Tags = p.Tags
	}
	if p.SKU != nil && p.SKU.Capacity != nil {
		d.InstanceCount = *p.SKU.Capacity
	}
}

// decodeEndpoint turns a PUT body into the model. The name comes from the
// URL, as in ARM, not from the body.
func decodeEndpoint(name string, w wireEndpoint) (*endpoint.Endpoint, error) {
	auth, err := authModes.fromWire("properties.authMode", w.Properties.AuthMode)
	if err != nil {
		return nil, err
	}
	access, err := accesses.fromWire("properties.publicNetworkAccess", w.Properties.PublicNetworkAccess)
	if err != nil {
		return nil, err
	}
	live, err := traffic.New(w.Properties.Traffic)
	if err != nil {
		return nil, fmt.Errorf("properties.traffic: %w", err)
	}
	mirror, err := traffic.New(w.Properties.MirrorTraffic)
	if err != nil {
		return nil, fmt.Errorf("properties.mirrorTraffic: %w", err)
	}
	e := &endpoint.Endpoint{
		Name:                name,
		Description:         w.Properties.Description,
		Tags:                w.Tags,
		Properties:          w.Properties.Properties,
		AuthMode:            endpoint.AuthMode(auth),
		Compute:             cmpOr(w.Properties.Compute, w.Properties.Target),
		PublicNetworkAccess: endpoint.Access(access),
		Traffic:             live,
		Mirror:              mirror,
	}
	if w.Identity != nil {
		id, err := decodeIdentity(*w.Identity)
		if err != nil {
			return nil, err
		}
		e.Identity = id
	}
	return e, nil
}

func decodeIdentity(w wireIdentity) (*endpoint.Identity, error) {
	t, err := identities.fromWire("identity.type", w.Type)
	if err != nil {
		return nil, err
	}
	return &endpoint.Identity{
		Type:                   t,
		UserAssignedIdentities: slices.Sorted(maps.Keys(w.UserAssignedIdentities)),
	}, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// encodeDeployment builds the REST body of a deployment read from the
// service.
func (s *Server) encodeDeployment(sc scope, endpointName string, d endpoint.Deployment) wireDeployment {
	count := d.InstanceCount
	w := wireDeployment{
		ID:       sc.workspaceID() + "/onlineEndpoints/" + endpointName + "/deployments/" + d.Name,
		Name:     d.Name,
		Type:     "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
		Location: s.opts.Location,
		Tags:     d.Tags,
		SKU:      &wireSKU{Name: "Default", Tier: "Standard", Capacity: &count},
		Properties: deploymentProps{
			Description:               d.Description,
			Properties:                d.Properties,
			EndpointComputeType:       computeTypes.toWire(string(d.Type)),
			ModelMountPath:            d.ModelMountPath,
			EnvironmentID:             encodeRef(sc, "environments", d.Environment.Reference),
			EnvironmentVariables:      d.EnvironmentVariables,
			InstanceType:              d.InstanceType,
			AppInsightsEnabled:        d.AppInsightsEnabled,
			EgressPublicNetworkAccess: accesses.toWire(string(d.EgressPublicNetworkAccess)),
			ProvisioningState:         string(d.Status.ProvisioningState),
		},
	}
	p := &w.Properties
	if m := encodeRef(sc, "models", d.Model); m != "" {
		p.Model, _ = json.Marshal(m)
	}
	if c := d.CodeConfiguration; !c.Code.IsZero() || c.ScoringScript != "" {
		p.CodeConfiguration = &codeConfiguration{CodeID: encodeRef(sc, "codes", c.Code), ScoringScript: c.ScoringScript}
	}
	if ss := d.ScaleSettings; ss != (endpoint.ScaleSettings{}) {
		p.ScaleSettings = &scaleSettings{
			ScaleType:                   scaleTypes.toWire(string(ss.Type)),
			MinInstances:                explicitMin(ss),
			MaxInstances:                ss.MaxInstances,
			TargetUtilizationPercentage: ss.TargetUtilizationPercentage,
		}
		if ss.PollingInterval > 0 {
			p.ScaleSettings.PollingInterval = formatDuration(int64(ss.PollingInterval) * 1000)
		}
	}
	if r := d.RequestSettings; r != (endpoint.RequestSettings{}) {
		p.RequestSettings = &requestSettings{
			MaxQueueWait:                     msDuration(r.MaxQueueWaitMS),
			RequestTimeout:                   msDuration(r.RequestTimeoutMS),
			MaxConcurrentRequestsPerInstance: r.MaxConcurrentRequestsPerInstance,
		}
	}
	p.LivenessProbe = encodeProbe(d.LivenessProbe)
	p.ReadinessProbe = encodeProbe(d.ReadinessProbe)
	p.StartupProbe = encodeProbe(d.StartupProbe)
	if r := d.Resources; r != (endpoint.Resources{}) {
		p.ContainerResourceRequirements = &containerResources{Requests: encodeQuantities(r.Requests), Limits: encodeQuantities(r.Limits)}
	}
	if dc := d.DataCollector; dc != nil {
		p.DataCollector = encodeDataCollector(sc, dc)
	}
	return w
}

// encodeDataCollector writes a data collector as the service does. The
// service has no sampling rate for the collector as a whole: the CLI's
// top-level rate is every collection's that sets none.
func encodeDataCollector(sc scope, dc *endpoint.DataCollector) *dataCollector {
	w := &dataCollector{Collections: make(map[string]collection, len(dc.Collections)), RollingRate: rollingRates.toWire(dc.RollingRate)}
	if dc.RequestLogging != nil {
		w.RequestLogging = &requestLogging{CaptureHeaders: slices.Clone(dc.RequestLogging.CaptureHeaders)}
	}
	for name, c := range dc.Collections {
		wc := collection{DataCollectionMode: "Disabled", DataID: encodeRef(sc, "data", c.Data), ClientID: c.ClientID, SamplingRate: codec.SamplingRate(c.SamplingRate, dc.SamplingRate)}
		if c.Enabled {
			wc.DataCollectionMode = "Enabled"
		}
		w.Collections[name] = wc
	}
	return w
}

// decodeDataCollector reads a data collector; every rate is a
// collection's, as the service holds them.
func decodeDataCollector(w *dataCollector, errs *[]error) *endpoint.DataCollector {
	rate, err := rollingRates.fromWire("properties.dataCollector.rollingRate", w.RollingRate)
	if err != nil {
		*errs = append(*errs, err)
	}
	dc := &endpoint.DataCollector{RollingRate: rate}
	if w.RequestLogging != nil {
		dc.RequestLogging = &endpoint.RequestLogging{CaptureHeaders: slices.Clone(w.RequestLogging.CaptureHeaders)}
	}
	for _, name := range slices.Sorted(maps.Keys(w.Collections)) {
		c := w.Collections[name]
		field := "properties.dataCollector.collections." + name
		mode, err := modes.fromWire(field+".dataCollectionMode", c.DataCollectionMode)
		if err != nil {
			*errs = append(*errs, err)
		}
		if dc.Collections == nil {
			dc.Collections = make(map[string]endpoint.Collection, len(w.Collections))
		}
		dc.Collections[name] = endpoint.Collection{
			Enabled:      mode == "enabled",
			Data:         decodeRef(c.DataID, field+".dataId", errs),
			ClientID:     c.ClientID,
			SamplingRate: codec.ReadSamplingRate(c.SamplingRate),
		}
	}
	return dc
}

func msDuration(ms int) string {
	if ms == 0 {
		return ""
	}
	return formatDuration(int64(ms))
}

func encodeProbe(p endpoint.Probe) *probeSettings {
	if p == (endpoint.Probe{}) {
		return nil
	}
	sec := func(n int) string {
		if n == 0 {
			return ""
		}
		return formatDuration(int64(n) * 1000)
	}
	return &probeSettings{
		FailureThreshold: p.FailureThreshold,
		SuccessThreshold: p.SuccessThreshold,
		Timeout:          sec(p.Timeout),
		Period:           sec(p.Period),
		InitialDelay:     sec(p.InitialDelay),
	}
}

func encodeQuantities(q endpoint.Quantities) *resourceQuantities {
	if q == (endpoint.Quantities{}) {
		return nil
	}
	return &resourceQuantities{CPU: q.CPU, Memory: q.Memory, GPU: q.GPU}
}

// defaultInstanceType is the instance type of a managed deployment whose
// PUT names none: the specification's default of instanceType.
const defaultInstanceType = "Standard_F4s_v2"

// decodeDeployment turns a PUT body into the model.
func decodeDeployment(name string, w wireDeployment) (endpoint.Deployment, error) {
	p := w.Properties
	var errs []error
	enumOf := func(e enum, field, v string) string {
		out, err := e.fromWire(field, v)
		if err != nil {
			errs = append(errs, err)
		}
		return out
	}
	d := endpoint.Deployment{
		Name:                      name,
		Type:                      endpoint.Kind(enumOf(computeTypes, "properties.endpointComputeType", p.EndpointComputeType)),
		Description:               p.Description,
		Tags:                      w.Tags,
		Properties:                p.Properties,
		ModelMountPath:            p.ModelMountPath,
		EnvironmentVariables:      p.EnvironmentVariables,
		InstanceType:              p.InstanceType,
		AppInsightsEnabled:        p.AppInsightsEnabled,
		EgressPublicNetworkAccess: endpoint.Access(enumOf(accesses, "properties.egressPublicNetworkAccess", p.EgressPublicNetworkAccess)),
	}
	if d.InstanceType == "" && d.Type == endpoint.Managed {
		d.InstanceType = defaultInstanceType
	}
	d.Model, errs = decodeModel(p.Model, errs)
	d.Environment.Reference = decodeRef(p.EnvironmentID, "properties.environmentId", &errs)
	if c := p.CodeConfiguration; c != nil {
		d.CodeConfiguration = endpoint.CodeConfiguration{Code: decodeRef(c.CodeID, "properties.codeConfiguration.codeId", &errs), ScoringScript: c.ScoringScript}
	}
	if w.SKU != nil && w.SKU.Capacity != nil {
		d.InstanceCount = *w.SKU.Capacity
	}
	ms := func(field, v string) int {
		n, err := parseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
		}
		return int(n)
	}
	sec := func(field, v string) int { return ms(field, v) / 1000 }
	ss := p.ScaleSettings
	if ss == nil && d.Type == endpoint.Kubernetes {
		// The specification's default for a Kubernetes deployment.
		ss = &scaleSettings{ScaleType: "TargetUtilization"}
	}
	if ss != nil {
		d.ScaleSettings = endpoint.ScaleSettings{
			Type:                        endpoint.ScaleType(enumOf(scaleTypes, "properties.scaleSettings.scaleType", ss.ScaleType)),
			MinInstances:                readMin(ss),
			MaxInstances:                ss.MaxInstances,
			PollingInterval:             sec("properties.scaleSettings.pollingInterval", ss.PollingInterval),
			TargetUtilizationPercentage: ss.TargetUtilizationPercentage,
		}
	}
	if r := p.RequestSettings; r != nil {
		d.RequestSettings = endpoint.RequestSettings{
			RequestTimeoutMS:                 ms("properties.requestSettings.requestTimeout", r.RequestTimeout),
			MaxConcurrentRequestsPerInstance: r.MaxConcurrentRequestsPerInstance,
			MaxQueueWaitMS:                   ms("properties.requestSettings.maxQueueWait", r.MaxQueueWait),
		}
	}
	for _, pr := range []struct {
		field string
		in    *probeSettings
		out   *endpoint.Probe
	}{{"properties.livenessProbe", p.LivenessProbe, &d.LivenessProbe}, {"properties.readinessProbe", p.ReadinessProbe, &d.ReadinessProbe}, {"properties.startupProbe", p.StartupProbe, &d.StartupProbe}} {
		if pr.in == nil {
			continue
		}
		*pr.out = endpoint.Probe{
			InitialDelay:     sec(pr.field+".initialDelay", pr.in.InitialDelay),
			Period:           sec(pr.field+".period", pr.in.Period),
			Timeout:          sec(pr.field+".timeout", pr.in.Timeout),
			SuccessThreshold: pr.in.SuccessThreshold,
			FailureThreshold: pr.in.FailureThreshold,
		}
	}
	if c := p.ContainerResourceRequirements; c != nil {
		d.Resources = endpoint.Resources{Requests: decodeQuantities(c.Requests), Limits: decodeQuantities(c.Limits)}
	}
	if dc := p.DataCollector; dc != nil {
		d.DataCollector = decodeDataCollector(dc, &errs)
	}
	if len(errs) > 0 {
		return endpoint.Deployment{}, errs[0]
	}
	return d, nil
}

func decodeQuantities(q *resourceQuantities) endpoint.Quantities {
	if q == nil {
		return endpoint.Quantities{}
	}
	return endpoint.Quantities{CPU: q.CPU, Memory: q.Memory, GPU: q.GPU}
}

// decodeModel reads the model as the 2024 API writes it (an id string) or
// as the 2021 preview did ({"referenceType": "Id", "assetId": ...}).
func decodeModel(raw json.RawMessage, errs []error) (endpoint.Reference, []error) {
	if len(raw) == 0 || string(raw) == "null" {
		return endpoint.Reference{}, errs
	}
	var id string
	if err := json.Unmarshal(raw, &id); err != nil {
		var obj struct {
			AssetID string `json:"assetId"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return endpoint.Reference{}, append(errs, fmt.Errorf("properties.model: want an asset id string or {\"assetId\": ...}"))
		}
		id = obj.AssetID
	}
	return decodeRef(id, "properties.model", &errs), errs
}

// decodeRef keeps an ARM id as it was sent, so a GET returns exactly what
// the PUT wrote and the client decides how to read it; registry URIs and
// azureml: names are parsed into the model's fields.
func decodeRef(s, field string, errs *[]error) endpoint.Reference {
	switch {
	case s == "":
		return endpoint.Reference{}
	case strings.HasPrefix(s, "/subscriptions/"), strings.HasPrefix(s, "azureml://subscriptions/"):
		return endpoint.Reference{ID: s}
	}
	r, err := endpoint.ParseReference(s)
	if err != nil {
		*errs = append(*errs, fmt.Errorf("%s: %w", field, err))
	}
	return r
}

// encodeRef writes a reference as the service holds it: workspace assets
// as ARM ids in the request's workspace, registry assets as registry URIs
// with the asset kind.
func encodeRef(sc scope, kind string, r endpoint.Reference) string {
	switch {
	case r.ID != "":
		return r.ID
	case r.Registry != "":
		s := "azureml://registries/" + r.Registry + "/" + kind + "/" + r.Name
		if r.Version == "" && r.Label != "" {
			return s + "/labels/" + r.Label
		}
		return s + "/versions/" + r.Version
	case r.Name != "" && r.Version != "" && r.Path == "":
		return sc.workspaceID() + "/" + kind + "/" + r.Name + "/versions/" + r.Version
	}
	return r.String()
}

func formatDuration(ms int64) string { return codec.FormatDuration(ms) }

func parseDuration(s string) (int64, error) { return codec.ParseDuration(s) }

// explicitMin writes a deployment's minimum as the service does: always
// under target utilization, 0 included.
func explicitMin(ss endpoint.ScaleSettings) *int {
	n := ss.MinInstances
	if n == 0 && ss.Type != endpoint.ScaleTargetUtilization {
		return nil
	}
	return &n
}

// readMin reads the minimum of a PUT: one written, 0 included, or under
// target utilization the specification's default of 1.
func readMin(ss *scaleSettings) int {
	switch {
	case ss.MinInstances != nil:
		return *ss.MinInstances
	case strings.EqualFold(ss.ScaleType, "TargetUtilization"):
		return 1
	}
	return 0
}
