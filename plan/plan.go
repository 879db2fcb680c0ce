package plan

import (
	"fmt"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/traffic"
)

// FormatVersion is the version of the JSON form of a [Plan] that
// [WriteJSON] writes. It changes only when a saved plan could be misread
// by an older reader; [Decode] also reads the versions before it (see the
// package documentation).
const FormatVersion = 2

// Plan is an ordered, dependency-annotated list of steps that takes the
// actual state to the desired one. It is plain data: computing it does no I/O,
// and executing it is the job of the root package.
//
// The steps of a computed plan may share the resources they carry and
// their maps (a deployment's environment variables before and after its
// update, a deployment updated to one spec on several endpoints), though
// never the caller's: treat a plan as read-only, and clone a resource
// ([endpoint.Deployment.Clone]) before changing it.
type Plan struct {
	FormatVersion int `json:"format_version"`
	// Fingerprint identifies the actual state the plan was computed from;
	// an executor refuses the plan when a fresh read gives another.
	Fingerprint string `json:"fingerprint"`
	// DesiredFingerprint identifies the desired state the plan was
	// computed for (see [DesiredFingerprint]); whoever applies a saved plan
	// with specs refuses specs that give another. It is empty in plans of
	// format version 1 and in plans not made by [Compute].
	DesiredFingerprint string `json:"desired_fingerprint,omitempty"`
	// Labels are the asset labels the desired state selects versions by,
	// each with the version it resolved to when the service was observed
	// (see [endpoint.AssetLabel]), sorted. The fingerprint covers them:
	// an executor resolves them again and refuses the plan once one has
	// moved. Labels that were not resolved are not listed.
	Labels []endpoint.AssetLabel `json:"labels,omitempty"`
	// Strategy names the strategy the plan was computed with (direct,
	// canary:10,50, bluegreen, shadow:10).
	Strategy string `json:"strategy"`
	// Steps are in a topological order of DependsOn; any order that
	// respects DependsOn is safe.
	Steps   []Step  `json:"steps"`
	Summary Summary `json:"summary"`
}

// Summary counts a plan's steps the way terraform plan does.
type Summary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
	// Traffic counts the steps that change a live or mirror split.
	Traffic int `json:"traffic"`
	Gates   int `json:"gates"`
	// Assets counts the local assets to upload and register.
	Assets int `json:"assets,omitempty"`
}

// Action is what a step does.
type Action string

// The actions a step can take.
const (
	CreateEndpoint   Action = "create_endpoint"
	UpdateEndpoint   Action = "update_endpoint"
	DeleteEndpoint   Action = "delete_endpoint"
	CreateDeployment Action = "create_deployment"
	UpdateDeployment Action = "update_deployment"
	DeleteDeployment Action = "delete_deployment"
	SetTraffic       Action = "set_traffic"
	Gate             Action = "gate"
	// RegisterAsset uploads a deployment's local files (code, model, an
	// inline environment) and registers them as an asset version, before
	// the deployment writes that need it.
	RegisterAsset Action = "register_asset"
)

// Step is one operation of a plan.
type Step struct {
	// ID is stable: the same inputs give the same ids.
	ID         string `json:"id"`
	Action     Action `json:"action"`
	Endpoint   string `json:"endpoint"`
	Deployment string `json:"deployment,omitempty"`
	// DependsOn lists the ids of the steps that must finish first.
	DependsOn []string `json:"depends_on"`

	// Endpoint steps carry the endpoint's own fields (without deployments);
	// deployment steps carry the deployment. Before is nil for creates,
	// After is nil for deletes.
	EndpointBefore   *endpoint.Endpoint   `json:"-"`
	EndpointAfter    *endpoint.Endpoint   `json:"-"`
	DeploymentBefore *endpoint.Deployment `json:"-"`
	DeploymentAfter  *endpoint.Deployment `json:"-"`

	// Steps that write the endpoint (set_traffic, and create or update
	// endpoint) carry the full live and mirror splits before and after the
	// step: the service replaces both maps whole on every update.
	TrafficBefore traffic.Split `json:"-"`
	MirrorBefore  traffic.Split `json:"-"`
	Traffic       traffic.Split `json:"-"`
	Mirror        traffic.Split `json:"-"`

	// Changes lists the fields the step changes, secrets redacted.
	Changes []endpoint.Change `json:"changes,omitempty"`
	// Gate is the name of a gate step, bound to a function at apply time
	// (smoke:green, bake, approval).
	Gate string `json:"gate,omitempty"`
	// Asset is what a register_asset step uploads and registers.
	Asset  *endpoint.LocalAsset `json:"-"`
	Reason string               `json:"reason,omitempty"`
}

// String returns the action's name as it appears in JSON.
func (a Action) String() string { return string(a) }

// Symbol is the one-character marker terraform plan uses for the action:
// + create, ~ update, - delete, and > for traffic and gates, which change no
// resource definition. A replacement shows as a delete and a create, which
// renderers may join as -/+.
func (a Action) Symbol() string {
	switch a {
	case CreateEndpoint, CreateDeployment, RegisterAsset:
		return "+"
	case UpdateEndpoint, UpdateDeployment:
		return "~"
	case DeleteEndpoint, DeleteDeployment:
		return "-"
	}
	return ">"
}

// IsWrite reports whether the action calls the service; only gates do not.
func (a Action) IsWrite() bool { return a != Gate && a != "" }

// Empty reports whether the plan has nothing to do: the actual state
// already is the desired one.
func (p *Plan) Empty() bool { return p == nil || len(p.Steps) == 0 }

// Step returns the step with the given id, or nil.
func (p *Plan) Step(id string) *Step {
	if p == nil {
		return nil
	}
	for i := range p.Steps {
		if p.Steps[i].ID == id {
			return &p.Steps[i]
		}
	}
	return nil
}

// CheckGraph refuses step lists an executor could not walk: every step has
// an id, ids are unique, and every dependency names an earlier step, which
// is the topological order [Plan.Steps] promises and rules out cycles.
// Decoders and executors of saved or hand-made plans call it first.
func (p *Plan) CheckGraph() error {
	_, err := p.StepIndex()
	return err
}

// StepIndex maps each step's id to its position in Steps, refusing what
// [Plan.CheckGraph] refuses. It is the one graph validation that
// [Decode], [Check] and executors share.
func (p *Plan) StepIndex() (map[string]int, error) {
	index := make(map[string]int, len(p.Steps))
	for i := range p.Steps {
		s := &p.Steps[i]
		if s.ID == "" {
			return nil, fmt.Errorf("steps[%d] has no id", i)
		}
		if _, dup := index[s.ID]; dup {
			return nil, fmt.Errorf("step id %q is used twice", s.ID)
		}
		for _, d := range s.DependsOn {
			if _, ok := index[d]; !ok {
				return nil, fmt.Errorf("step %q depends on %q, which is not an earlier step", s.ID, d)
			}
		}
		index[s.ID] = i
	}
	return index, nil
}
