package azureml

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/internal/codec"
	"github.com/rolloutkit/rollout/traffic"
)

// The REST bodies of api-version 2024-10-01. Field names are the service's;
// fields the model does not hold (kind, sku tier, swaggerUri, systemData)
// are left out, so requests never send them and responses ignore them.
//
// The REST emulator in fakes/rest declares its own copies of these bodies on
// purpose: shared types would let a misspelt field agree with itself across
// the wire; each side is checked on its own against the service's examples.

type armError struct {
	Error errorDetail `json:"error"`
}

// errorDetail is ARM's ErrorDetail: the service puts the reasons of a
// validation failure in its target, details and additional information.
type errorDetail struct {
	Code           string           `json:"code"`
	Message        string           `json:"message"`
	Target         string           `json:"target"`
	Details        []errorDetail    `json:"details"`
	AdditionalInfo []additionalInfo `json:"additionalInfo"`
}

type additionalInfo struct {
	Type string          `json:"type"`
	Info json.RawMessage `json:"info"`
}

// toBackend converts the details of an error, at most a few levels deep:
// a body nested deeper is not a reason anyone reads.
func (d errorDetail) toBackend(depth int) backend.ErrorDetail {
	out := backend.ErrorDetail{Code: d.Code, Message: d.Message, Target: d.Target, AdditionalInfo: convertInfo(d.AdditionalInfo)}
	if depth < 4 {
		for _, sub := range d.Details {
			out.Details = append(out.Details, sub.toBackend(depth+1))
		}
	}
	return out
}

func convertInfo(in []additionalInfo) []backend.AdditionalInfo {
	var out []backend.AdditionalInfo
	for _, a := range in {
		out = append(out, backend.AdditionalInfo{Type: a.Type, Info: slices.Clone([]byte(a.Info))})
	}
	return out
}

type managedIdentity struct {
	Type                   string                     `json:"type"`
	UserAssignedIdentities map[string]json.RawMessage `json:"userAssignedIdentities,omitempty"`
}

type sku struct {
	Name     string `json:"name,omitempty"`
	Capacity *int   `json:"capacity,omitempty"`
}

type onlineEndpoint struct {
	ID         string             `json:"id,omitempty"`
	Name       string             `json:"name,omitempty"`
	Location   string             `json:"location,omitempty"`
	Tags       map[string]string  `json:"tags"`
	Identity   *managedIdentity   `json:"identity,omitempty"`
	Properties endpointProperties `json:"properties"`
	ETag       string             `json:"etag,omitempty"`
}

type endpointProperties struct {
	Description string            `json:"description,omitempty"`
	Properties  map[string]string `json:"properties,omitempty"`
	AuthMode    string            `json:"authMode,omitempty"`
	Compute     string            `json:"compute,omitempty"`
	// Target is what the 2021 preview called Compute; read, never sent.
	Target              string `json:"target,omitempty"`
	PublicNetworkAccess string `json:"publicNetworkAccess,omitempty"`
	// Traffic and MirrorTraffic are always sent, empty or not: the
	// service replaces both maps whole on every write.
	Traffic           map[string]int `json:"traffic"`
	MirrorTraffic     map[string]int `json:"mirrorTraffic"`
	ScoringURI        string         `json:"scoringUri,omitempty"`
	ProvisioningState string         `json:"provisioningState,omitempty"`
}

// endpointPatch is the PATCH body for endpoints: only tags and identity
// change that way. Nil tags are not managed and not sent; empty ones are.
type endpointPatch struct {
	Tags     map[string]string `json:"tags,omitzero"`
	Identity *managedIdentity  `json:"identity,omitempty"`
}

type onlineDeployment struct {
	ID         string               `json:"id,omitempty"`
	Name       string               `json:"name,omitempty"`
	Location   string               `json:"location,omitempty"`
	Tags       map[string]string    `json:"tags"`
	Properties deploymentProperties `json:"properties"`
	SKU        *sku                 `json:"sku,omitempty"`
	ETag       string               `json:"etag,omitempty"`
}

// deploymentPatch is the PATCH body for deployments: tags and sku, which is
// how the service scales without touching the rest of the spec.
type deploymentPatch struct {
	Tags map[string]string `json:"tags,omitempty"`
	SKU  *sku              `json:"sku,omitempty"`
}

type deploymentProperties struct {
	Description                   string                 `json:"description,omitempty"`
	Properties                    map[string]string      `json:"properties,omitempty"`
	EndpointComputeType           string                 `json:"endpointComputeType"`
	Model                         assetRef               `json:"model,omitempty"`
	ModelMountPath                string                 `json:"modelMountPath,omitempty"`
	CodeConfiguration             *codeConfiguration     `json:"codeConfiguration,omitempty"`
	EnvironmentID                 string                 `json:"environmentId,omitempty"`
	EnvironmentVariables          map[string]string      `json:"environmentVariables,omitempty"`
	InstanceType                  string                 `json:"instanceType,omitempty"`
	ScaleSettings                 *scaleSettings         `json:"scaleSettings,omitempty"`
	RequestSettings               *requestSettings       `json:"requestSettings,omitempty"`
	LivenessProbe                 *probe                 `json:"livenessProbe,omitempty"`
	ReadinessProbe                *probe                 `json:"readinessProbe,omitempty"`
	StartupProbe                  *probe                 `json:"startupProbe,omitempty"`
	AppInsightsEnabled            bool                   `json:"appInsightsEnabled"`
	EgressPublicNetworkAccess     string                 `json:"egressPublicNetworkAccess,omitempty"`
	DataCollector                 *dataCollector         `json:"dataCollector,omitempty"`
	ContainerResourceRequirements *containerRequirements `json:"containerResourceRequirements,omitempty"`
	ProvisioningState             string                 `json:"provisioningState,omitempty"`
}

type codeConfiguration struct {
	CodeID        string `json:"codeId,omitempty"`
	ScoringScript string `json:"scoringScript"`
}

type scaleSettings struct {
	ScaleType string `json:"scaleType"`
	// MinInstances is sent whenever the scale type is TargetUtilization,
	// 0 included: omitted, the service would take its default of 1.
	MinInstances                *int   `json:"minInstances,omitempty"`
	MaxInstances                int    `json:"maxInstances,omitempty"`
	PollingInterval             string `json:"pollingInterval,omitempty"`
	TargetUtilizationPercentage int    `json:"targetUtilizationPercentage,omitempty"`
}

type requestSettings struct {
	RequestTimeout                   string `json:"requestTimeout,omitempty"`
	MaxConcurrentRequestsPerInstance int    `json:"maxConcurrentRequestsPerInstance,omitempty"`
	MaxQueueWait                     string `json:"maxQueueWait,omitempty"`
}

type probe struct {
	InitialDelay     string `json:"initialDelay,omitempty"`
	Period           string `json:"period,omitempty"`
	Timeout          string `json:"timeout,omitempty"`
	SuccessThreshold int    `json:"successThreshold,omitempty"`
	FailureThreshold int    `json:"failureThreshold,omitempty"`
}

type containerRequirements struct {
	Requests *containerResources `json:"containerResourceRequests,omitempty"`
	Limits   *containerResources `json:"containerResourceLimits,omitempty"`
	// The 2021 preview's flat form, in cores and gigabytes; read, never
	// sent.
	CPU             json.Number `json:"cpu,omitempty"`
	CPULimit        json.Number `json:"cpuLimit,omitempty"`
	MemoryInGB      json.Number `json:"memoryInGB,omitempty"`
	MemoryInGBLimit json.Number `json:"memoryInGBLimit,omitempty"`
}

// assetRef is a deployment's model: an ARM id, or in the 2021 preview an
// object holding one ({"referenceType": "Id", "assetId": ID}). It is always
// sent as the id.
type assetRef string

// UnmarshalJSON reads either form.
func (a *assetRef) UnmarshalJSON(data []byte) error {
	var id string
	if err := json.Unmarshal(data, &id); err == nil {
		*a = assetRef(id)
		return nil
	}
	var ref struct {
		AssetID string `json:"assetId"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		return errors.New("model: want an asset id, or an object with assetId")
	}
	*a = assetRef(ref.AssetID)
	return nil
}

type containerResources struct {
	CPU    string `json:"cpu,omitempty"`
	Memory string `json:"memory,omitempty"`
	GPU    string `json:"gpu,omitempty"`
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

// page is one page of a list.
type page[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"nextLink,omitempty"`
}

// endpointKeys is the body of listKeys. Its values are secrets: they go
// straight into a [backend.Keys] and are never printed.
type endpointKeys struct {
	PrimaryKey   string `json:"primaryKey"`
	SecondaryKey string `json:"secondaryKey"`
}

// accessToken is the body of the token action.
type accessToken struct {
	AccessToken         string `json:"accessToken"`
	TokenType           string `json:"tokenType"`
	ExpiryTimeUTC       int64  `json:"expiryTimeUtc"`
	RefreshAfterTimeUTC int64  `json:"refreshAfterTimeUtc"`
}

// The enumerations, from the one table both the client and the emulator
// use. Every one is extensible in the service's specification.
var (
	authModes     = codec.AuthModes
	computeTypes  = codec.ComputeTypes
	accesses      = codec.Accesses
	scaleTypes    = codec.ScaleTypes
	rollingRates  = codec.RollingRates
	identityTypes = codec.IdentityTypes
)

// toWire maps the model's spelling of an enumeration to the service's. A
// value the table does not know came from the service (the loader refuses
// unknown values in specs) and goes back as it was read.
func toWire(table codec.Enum, _, v string) (string, error) {
	w, _ := table.Wire(v)
	return w, nil
}

// toWireKnown is toWire for the enumerations whose value decides the shape
// of the body (endpointComputeType, scaleType): a write with a value this
// client does not understand is refused, as it cannot know what to send
// with it.
func toWireKnown(table codec.Enum, field, v string) (string, error) {
	w, ok := table.Wire(v)
	if !ok {
		return "", fmt.Errorf("%s: %q is a value of the service this client does not understand, so it cannot write this resource; it can read it, and leave it as it is (one of %s)", field, v, strings.Join(table.WireValues(), ", "))
	}
	return w, nil
}

// fromWire maps the service's spelling of an enumeration to the model's.
// A value newer than the table is kept as the service wrote it: reading
// never fails on it, and plans show it.
func fromWire(table codec.Enum, _, v string) (string, error) {
	m, _ := table.Model(v)
	return m, nil
}

// encodeEndpoint builds the PUT body of e. Deployments are not part of it:
// each is written on its own.
func (s Scope) encodeEndpoint(e *endpoint.Endpoint, location string) (*onlineEndpoint, error) {
	var errs []error
	w := &onlineEndpoint{
		Location: location,
		Tags:     cloneMap(e.Tags),
		Properties: endpointProperties{
			Description:   e.Description,
			Properties:    cloneMap(e.Properties),
			Traffic:       e.Traffic.Map(),
			MirrorTraffic: e.Mirror.Map(),
		},
	}
	if w.Tags == nil {
		w.Tags = map[string]string{}
	}
	var err error
	w.Properties.Compute, err = s.computeID(e.Compute)
	errs = append(errs, err)
	w.Properties.AuthMode, err = toWire(authModes, "auth_mode", string(e.AuthMode))
	errs = append(errs, err)
	if w.Properties.AuthMode == "" {
		// The service insists on one; key is what its CLI defaults to.
		w.Properties.AuthMode = "Key"
	}
	w.Properties.PublicNetworkAccess, err = toWire(accesses, "public_network_access", string(e.PublicNetworkAccess))
	errs = append(errs, err)
	w.Identity, err = encodeIdentity(e.Identity)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("endpoint %s: %w", e.Name, err)
	}
	return w, nil
}

func encodeIdentity(id *endpoint.Identity) (*managedIdentity, error) {
	if id == nil {
		return nil, nil
	}
	t, err := toWire(identityTypes, "identity.type", id.Type)
	if err != nil {
		return nil, err
	}
	w := &managedIdentity{Type: t}
	if len(id.UserAssignedIdentities) > 0 {
		w.UserAssignedIdentities = make(map[string]json.RawMessage, len(id.UserAssignedIdentities))
		for _, u := range id.UserAssignedIdentities {
			w.UserAssignedIdentities[u] = json.RawMessage(`{}`)
		}
	}
	return w, nil
}

func decodeIdentity(w *managedIdentity) (*endpoint.Identity, error) {
	if w == nil {
		return nil, nil
	}
	t, err := fromWire(identityTypes, "identity.type", w.Type)
	if err != nil {
		return nil, err
	}
	return &endpoint.Identity{Type: t, UserAssignedIdentities: slices.Sorted(maps.Keys(w.UserAssignedIdentities))}, nil
}

// decodeEndpoint maps a response body to the model. etag is the ETag header
// of the response, used when the body carries none.
func (s Scope) decodeEndpoint(w *onlineEndpoint, etag string) (*endpoint.Endpoint, error) {
	e := &endpoint.Endpoint{
		Name:        w.Name,
		Description: w.Properties.Description,
		Tags:        cloneMap(w.Tags),
		Properties:  cloneMap(w.Properties.Properties),
		Compute:     s.computeName(firstNonEmpty(w.Properties.Compute, w.Properties.Target)),
		Status: endpoint.Status{
			ProvisioningState: endpoint.ProvisioningState(w.Properties.ProvisioningState),
			ETag:              firstNonEmpty(w.ETag, etag),
			ScoringURI:        w.Properties.ScoringURI,
		},
	}
	var errs []error
	mode, err := fromWire(authModes, "authMode", w.Properties.AuthMode)
	e.AuthMode = endpoint.AuthMode(mode)
	errs = append(errs, err)
	access, err := fromWire(accesses, "publicNetworkAccess", w.Properties.PublicNetworkAccess)
	e.PublicNetworkAccess = endpoint.Access(access)
	errs = append(errs, err)
	e.Identity, err = decodeIdentity(w.Identity)
	errs = append(errs, err)
	e.Traffic, err = traffic.New(w.Properties.Traffic)
	errs = append(errs, err)
	e.Mirror, err = traffic.New(w.Properties.MirrorTraffic)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("azureml: endpoint %q from the service: %w", w.Name, err)
	}
	return e, nil
}

// encodeDeployment builds the PUT body of d. References must name
// registered assets: the service takes ARM ids, and the executor registers
// local files (RegisterAsset) and writes the versions it registered.
func (s Scope) encodeDeployment(d *endpoint.Deployment, location string) (*onlineDeployment, error) {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	capacity := d.InstanceCount
	p := deploymentProperties{
		Description:          d.Description,
		Properties:           cloneMap(d.Properties),
		ModelMountPath:       d.ModelMountPath,
		EnvironmentVariables: cloneMap(d.EnvironmentVariables),
		InstanceType:         d.InstanceType,
		AppInsightsEnabled:   d.AppInsightsEnabled,
	}
	var err error
	p.EndpointComputeType, err = toWireKnown(computeTypes, "type", string(d.Type))
	add(err)
	if p.EndpointComputeType == "" {
		p.EndpointComputeType = "Managed"
	}
	if !isZeroRef(d.Model) {
		id, err := s.referenceID("model", "models", d.Model)
		p.Model = assetRef(id)
		add(err)
	}
	if cc := d.CodeConfiguration; cc != (endpoint.CodeConfiguration{}) {
		p.CodeConfiguration = &codeConfiguration{ScoringScript: cc.ScoringScript}
		if !isZeroRef(cc.Code) {
			p.CodeConfiguration.CodeID, err = s.referenceID("code_configuration.code", "codes", cc.Code)
			add(err)
		}
	}
	p.EnvironmentID, err = s.environmentID(d.Environment)
	add(err)
	if ss := d.ScaleSettings; ss != (endpoint.ScaleSettings{}) {
		w := &scaleSettings{
			MaxInstances:                ss.MaxInstances,
			TargetUtilizationPercentage: ss.TargetUtilizationPercentage,
		}
		w.ScaleType, err = toWireKnown(scaleTypes, "scale_settings.type", string(ss.Type))
		add(err)
		if w.ScaleType == "" {
			w.ScaleType = "Default"
		}
		if min := ss.MinInstances; min != 0 || w.ScaleType == "TargetUtilization" {
			w.MinInstances = &min
		}
		if ss.PollingInterval > 0 {
			w.PollingInterval = formatDuration(int64(ss.PollingInterval) * 1000)
		}
		p.ScaleSettings = w
	}
	if rs := d.RequestSettings; rs != (endpoint.RequestSettings{}) {
		p.RequestSettings = &requestSettings{
			RequestTimeout:                   msDuration(rs.RequestTimeoutMS),
			MaxConcurrentRequestsPerInstance: rs.MaxConcurrentRequestsPerInstance,
			MaxQueueWait:                     msDuration(rs.MaxQueueWaitMS),
		}
	}
	p.LivenessProbe = encodeProbe(d.LivenessProbe)
	p.ReadinessProbe = encodeProbe(d.ReadinessProbe)
	p.StartupProbe = encodeProbe(d.StartupProbe)
	p.EgressPublicNetworkAccess, err = toWire(accesses, "egress_public_network_access", string(d.EgressPublicNetworkAccess))
	add(err)
	if d.DataCollector != nil {
		p.DataCollector, err = s.encodeDataCollector(d.DataCollector)
		add(err)
	}
	if r := d.Resources; r != (endpoint.Resources{}) {
		p.ContainerResourceRequirements = &containerRequirements{
			Requests: encodeQuantities(r.Requests),
			Limits:   encodeQuantities(r.Limits),
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("deployment %s: %w", d.Name, errors.Join(errs...))
	}
	tags := cloneMap(d.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	return &onlineDeployment{
		Location:   location,
		Tags:       tags,
		Properties: p,
		SKU:        &sku{Name: "Default", Capacity: &capacity},
	}, nil
}

// decodeDeployment maps a response body to the model.
func (s Scope) decodeDeployment(w *onlineDeployment, etag string) (endpoint.Deployment, error) {
	p := w.Properties
	d := endpoint.Deployment{
		Name:                 w.Name,
		Description:          p.Description,
		Tags:                 cloneMap(w.Tags),
		Properties:           cloneMap(p.Properties),
		ModelMountPath:       p.ModelMountPath,
		EnvironmentVariables: cloneMap(p.EnvironmentVariables),
		InstanceType:         p.InstanceType,
		AppInsightsEnabled:   p.AppInsightsEnabled,
		Status: endpoint.Status{
			ProvisioningState: endpoint.ProvisioningState(p.ProvisioningState),
			ETag:              firstNonEmpty(w.ETag, etag),
		},
	}
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(d.Tags) == 0 {
		d.Tags = nil
	}
	if w.SKU != nil && w.SKU.Capacity != nil {
		d.InstanceCount = *w.SKU.Capacity
	}
	t, err := fromWire(computeTypes, "endpointComputeType", p.EndpointComputeType)
	d.Type = endpoint.Kind(t)
	add(err)
	if p.Model != "" {
		d.Model = s.referenceFromID(string(p.Model))
	}
	if cc := p.CodeConfiguration; cc != nil {
		d.CodeConfiguration.ScoringScript = cc.ScoringScript
		if cc.CodeID != "" {
			d.CodeConfiguration.Code = s.referenceFromID(cc.CodeID)
		}
	}
	if p.EnvironmentID != "" {
		d.Environment.Reference = s.referenceFromID(p.EnvironmentID)
	}
	if ss := p.ScaleSettings; ss != nil {
		st, err := fromWire(scaleTypes, "scaleSettings.scaleType", ss.ScaleType)
		add(err)
		d.ScaleSettings = endpoint.ScaleSettings{
			Type:                        endpoint.ScaleType(st),
			MinInstances:                minInstances(st, ss.MinInstances),
			MaxInstances:                ss.MaxInstances,
			TargetUtilizationPercentage: ss.TargetUtilizationPercentage,
		}
		poll, err := parseDuration("scaleSettings.pollingInterval", ss.PollingInterval)
		add(err)
		d.ScaleSettings.PollingInterval = int(poll / 1000)
	}
	if rs := p.RequestSettings; rs != nil {
		timeout, err := parseDuration("requestSettings.requestTimeout", rs.RequestTimeout)
		add(err)
		wait, err := parseDuration("requestSettings.maxQueueWait", rs.MaxQueueWait)
		add(err)
		d.RequestSettings = endpoint.RequestSettings{
			RequestTimeoutMS:                 int(timeout),
			MaxConcurrentRequestsPerInstance: rs.MaxConcurrentRequestsPerInstance,
			MaxQueueWaitMS:                   int(wait),
		}
	}
	d.LivenessProbe, err = decodeProbe("livenessProbe", p.LivenessProbe)
	add(err)
	d.ReadinessProbe, err = decodeProbe("readinessProbe", p.ReadinessProbe)
	add(err)
	d.StartupProbe, err = decodeProbe("startupProbe", p.StartupProbe)
	add(err)
	egress, err := fromWire(accesses, "egressPublicNetworkAccess", p.EgressPublicNetworkAccess)
	d.EgressPublicNetworkAccess = endpoint.Access(egress)
	add(err)
	if dc := p.DataCollector; dc != nil {
		d.DataCollector, err = s.decodeDataCollector(dc)
		add(err)
	}
	if r := p.ContainerResourceRequirements; r != nil {
		d.Resources = endpoint.Resources{Requests: decodeQuantities(r.Requests), Limits: decodeQuantities(r.Limits)}
		if r.Requests == nil && r.Limits == nil {
			d.Resources = endpoint.Resources{
				Requests: endpoint.Quantities{CPU: r.CPU.String(), Memory: gigabytes(r.MemoryInGB)},
				Limits:   endpoint.Quantities{CPU: r.CPULimit.String(), Memory: gigabytes(r.MemoryInGBLimit)},
			}
		}
	}
	if len(errs) > 0 {
		return endpoint.Deployment{}, fmt.Errorf("azureml: deployment %q from the service: %w", w.Name, errors.Join(errs...))
	}
	return d, nil
}

// referenceID resolves a reference to the ARM id the service takes; kind is
// the workspace's collection (models, environments, codes).
func (s Scope) referenceID(field, kind string, r endpoint.Reference) (string, error) {
	switch {
	case r.ID != "":
		return r.ID, nil
	case r.Path != "":
		return "", fmt.Errorf("%s: %q is a path; the service takes registered assets only: register it in the workspace (az ml %s create) and reference it as azureml:NAME:VERSION", field, r.Path, assetCommand(kind))
	case r.Label != "":
		return "", fmt.Errorf("%s: %s@%s selects a version by label, which the service does not resolve: resolve it when observing (rollout.ResolveLabels, which rollout.Run calls) or name the version (azureml:%s:VERSION)", field, r.Name, r.Label, r.Name)
	case !assetNameRE.MatchString(r.Name) || !assetVersionRE.MatchString(r.Version):
		return "", fmt.Errorf("%s: %q is not a valid name and version of a registered asset", field, r.Name+":"+r.Version)
	case r.Registry != "":
		if !assetNameRE.MatchString(r.Registry) {
			return "", fmt.Errorf("%s: %q is not a valid registry name", field, r.Registry)
		}
		return "azureml://registries/" + r.Registry + "/" + kind + "/" + r.Name + "/versions/" + r.Version, nil
	}
	return s.assetID(kind, r.Name, r.Version), nil
}

// referenceFromID is the inverse of referenceID: ids of this workspace's
// assets and of registries read back as name and version, so that what was
// written reads back equal; any other id is kept whole.
func (s Scope) referenceFromID(id string) endpoint.Reference {
	if _, name, version, ok := s.parseAssetID(id); ok {
		return endpoint.Reference{Name: name, Version: version}
	}
	if rest, ok := strings.CutPrefix(id, "azureml://registries/"); ok {
		parts := strings.Split(rest, "/")
		if len(parts) == 5 && parts[3] == "versions" && parts[0] != "" && parts[2] != "" && parts[4] != "" {
			return endpoint.Reference{Registry: parts[0], Name: parts[2], Version: parts[4]}
		}
	}
	return endpoint.Reference{ID: id}
}

func assetCommand(kind string) string {
	switch kind {
	case "models":
		return "model"
	case "codes":
		return "code"
	case "data":
		return "data"
	}
	return "environment"
}

// environmentID resolves the deployment's environment. Inline environments
// (an image, a conda file or a build context) are registered by the
// service's CLI before it deploys; here they must be registered first.
func (s Scope) environmentID(env endpoint.Environment) (string, error) {
	if env.Image != "" || env.CondaFile != "" || env.Build != (endpoint.Build{}) {
		return "", errors.New("environment: an inline environment (image, conda_file or build) cannot be sent to the service: register it in the workspace (az ml environment create) and reference it as azureml:NAME:VERSION")
	}
	if isZeroRef(env.Reference) {
		return "", nil
	}
	return s.referenceID("environment", "environments", env.Reference)
}

func (s Scope) encodeDataCollector(dc *endpoint.DataCollector) (*dataCollector, error) {
	w := &dataCollector{Collections: map[string]collection{}}
	rate, err := toWire(rollingRates, "data_collector.rolling_rate", dc.RollingRate)
	w.RollingRate = rate
	errs := []error{err}
	if dc.RequestLogging != nil {
		w.RequestLogging = &requestLogging{CaptureHeaders: slices.Clone(dc.RequestLogging.CaptureHeaders)}
	}
	for _, name := range slices.Sorted(maps.Keys(dc.Collections)) {
		c := dc.Collections[name]
		wc := collection{DataCollectionMode: "Disabled", ClientID: c.ClientID, SamplingRate: codec.SamplingRate(c.SamplingRate, dc.SamplingRate)}
		if c.Enabled {
			wc.DataCollectionMode = "Enabled"
		}
		if !isZeroRef(c.Data) {
			id, err := s.referenceID("data_collector.collections."+name+".data", "data", c.Data)
			errs = append(errs, err)
			wc.DataID = id
		}
		w.Collections[name] = wc
	}
	return w, errors.Join(errs...)
}

func (s Scope) decodeDataCollector(w *dataCollector) (*endpoint.DataCollector, error) {
	rate, err := fromWire(rollingRates, "dataCollector.rollingRate", w.RollingRate)
	dc := &endpoint.DataCollector{RollingRate: rate}
	if w.RequestLogging != nil {
		dc.RequestLogging = &endpoint.RequestLogging{CaptureHeaders: slices.Clone(w.RequestLogging.CaptureHeaders)}
	}
	if len(w.Collections) > 0 {
		dc.Collections = make(map[string]endpoint.Collection, len(w.Collections))
		for name, c := range w.Collections {
			mc := endpoint.Collection{
				Enabled:      strings.EqualFold(c.DataCollectionMode, "Enabled"),
				ClientID:     c.ClientID,
				SamplingRate: codec.ReadSamplingRate(c.SamplingRate),
			}
			if c.DataID != "" {
				mc.Data = s.referenceFromID(c.DataID)
			}
			dc.Collections[name] = mc
		}
	}
	return dc, err
}

func encodeProbe(p endpoint.Probe) *probe {
	if p == (endpoint.Probe{}) {
		return nil
	}
	sec := func(n int) string {
		if n == 0 {
			return ""
		}
		return formatDuration(int64(n) * 1000)
	}
	return &probe{
		InitialDelay:     sec(p.InitialDelay),
		Period:           sec(p.Period),
		Timeout:          sec(p.Timeout),
		SuccessThreshold: p.SuccessThreshold,
		FailureThreshold: p.FailureThreshold,
	}
}

func decodeProbe(field string, w *probe) (endpoint.Probe, error) {
	if w == nil {
		return endpoint.Probe{}, nil
	}
	var errs []error
	sec := func(name, v string) int {
		ms, err := parseDuration(field+"."+name, v)
		errs = append(errs, err)
		return int(ms / 1000)
	}
	p := endpoint.Probe{
		InitialDelay:     sec("initialDelay", w.InitialDelay),
		Period:           sec("period", w.Period),
		Timeout:          sec("timeout", w.Timeout),
		SuccessThreshold: w.SuccessThreshold,
		FailureThreshold: w.FailureThreshold,
	}
	return p, errors.Join(errs...)
}

func encodeQuantities(q endpoint.Quantities) *containerResources {
	if q == (endpoint.Quantities{}) {
		return nil
	}
	return &containerResources{CPU: q.CPU, Memory: q.Memory, GPU: q.GPU}
}

func decodeQuantities(w *containerResources) endpoint.Quantities {
	if w == nil {
		return endpoint.Quantities{}
	}
	return endpoint.Quantities{CPU: w.CPU, Memory: w.Memory, GPU: w.GPU}
}

// gigabytes writes a number of gigabytes as a Kubernetes quantity.
func gigabytes(n json.Number) string {
	if n == "" {
		return ""
	}
	return n.String() + "G"
}

func msDuration(ms int) string {
	if ms == 0 {
		return ""
	}
	return formatDuration(int64(ms))
}

func formatDuration(ms int64) string { return codec.FormatDuration(ms) }

// parseDuration reads a duration setting into milliseconds, naming the
// field when it cannot.
func parseDuration(field, s string) (int64, error) {
	ms, err := codec.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", field, err)
	}
	return ms, nil
}

func isZeroRef(r endpoint.Reference) bool { return r == (endpoint.Reference{}) }

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// deploymentLogs is the body of getLogs.
type deploymentLogs struct {
	Content string `json:"content"`
}

// skuResource is one entry of a deployment's skus: the instance counts the
// service allows.
type skuResource struct {
	ResourceType string `json:"resourceType"`
	SKU          struct {
		Name string `json:"name"`
		Tier string `json:"tier"`
	} `json:"sku"`
	Capacity struct {
		Minimum   int    `json:"minimum"`
		Maximum   int    `json:"maximum"`
		Default   int    `json:"default"`
		ScaleType string `json:"scaleType"`
	} `json:"capacity"`
}

// encodeEndpointPatch builds the PATCH body of an endpoint: the fields the
// service changes that way.
func encodeEndpointPatch(e *endpoint.Endpoint) (*endpointPatch, error) {
	id, err := encodeIdentity(e.Identity)
	if err != nil {
		return nil, err
	}
	return &endpointPatch{Tags: maps.Clone(e.Tags), Identity: id}, nil
}

// minInstances reads a deployment's minimum: absent under target
// utilization, it is the service's default of 1.
func minInstances(scaleType string, n *int) int {
	switch {
	case n != nil:
		return *n
	case scaleType == string(endpoint.ScaleTargetUtilization):
		return 1
	}
	return 0
}
