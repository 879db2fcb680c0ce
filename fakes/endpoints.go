package fakes

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/internal/rules"
)

// GetEndpoint implements [backend.Backend].
func (s *Service) GetEndpoint(ctx context.Context, name string) (*endpoint.Endpoint, error) {
	if err := s.begin(ctx, "GetEndpoint"); err != nil {
		return nil, err
	}
	defer s.unlock()
	rec := s.endpoints[endpoint.NameKey(name)]
	if rec == nil {
		return nil, endpointNotFound(name)
	}
	return rec.copyOut(), nil
}

// Peek returns a copy of the named endpoint (names are case-insensitive)
// as [Service.GetEndpoint] would, and whether it exists, without counting a
// call in [Service.Calls] or changing anything. It is for adapters that
// read the service to build their answers, such as the REST emulator in
// fakes/rest: those reads are bookkeeping, not calls a client made, and
// counting them would blur the count of the calls that were.
func (s *Service) Peek(name string) (*endpoint.Endpoint, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.endpoints[endpoint.NameKey(name)]
	if rec == nil {
		return nil, false
	}
	return rec.copyOut(), true
}

// PeekKeys returns the endpoint's keys as [Service.GetKeys] would, and
// whether the endpoint exists, without counting a call: the read an adapter
// makes to check a scoring request's key, as [Service.Peek] is for
// endpoints.
func (s *Service) PeekKeys(name string) (backend.Keys, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.endpoints[endpoint.NameKey(name)]
	if rec == nil {
		return backend.Keys{}, false
	}
	return rec.endpointKeys(), true
}

// ListEndpoints implements [backend.Backend].
func (s *Service) ListEndpoints(ctx context.Context) ([]*endpoint.Endpoint, error) {
	if err := s.begin(ctx, "ListEndpoints"); err != nil {
		return nil, err
	}
	defer s.unlock()
	return s.snapshot(), nil
}

// CreateOrUpdateEndpoint implements [backend.Backend]. The service keeps
// the spelling of the name the endpoint was created with. It is
// [Service.StartCreateOrUpdateEndpoint] followed by [Operation.Wait].
func (s *Service) CreateOrUpdateEndpoint(ctx context.Context, e *endpoint.Endpoint) error {
	if err := s.begin(ctx, "CreateOrUpdateEndpoint"); err != nil {
		return err
	}
	d, end, err := s.startEndpointWrite(e)
	return s.await(ctx, d, end, err)
}

// StartCreateOrUpdateEndpoint checks and accepts the write of
// [Service.CreateOrUpdateEndpoint] without waiting for it: a refusal
// (NotFound, Conflict, Invalid, Precondition) is returned at once, and an
// accepted write returns its [Operation], which ends when the operation's
// latency has passed. The call counts as a CreateOrUpdateEndpoint in
// [Service.Calls].
func (s *Service) StartCreateOrUpdateEndpoint(ctx context.Context, e *endpoint.Endpoint) (*Operation, error) {
	if err := s.begin(ctx, "CreateOrUpdateEndpoint"); err != nil {
		return nil, err
	}
	d, end, err := s.startEndpointWrite(e)
	if err != nil {
		s.unlock()
		return nil, err
	}
	return s.finishLater(d, end), nil
}

// startEndpointWrite checks a write the way the service does (existence,
// spec, immutable fields, ETag, operations in progress, provisioning of the
// deployments traffic names) and, if it is accepted, stores the new spec
// in its Creating or Updating state. It returns how long the operation
// takes and what ends it. s.mu is held.
func (s *Service) startEndpointWrite(e *endpoint.Endpoint) (time.Duration, func() error, error) {
	const op = "CreateOrUpdateEndpoint"
	if e == nil {
		return 0, nil, invalid("no endpoint given")
	}
	rec := s.endpoints[endpoint.NameKey(e.Name)]
	w := e.Clone()
	w.Deployments = nil
	w.Status = endpoint.Status{}
	endpoint.Normalize(w)
	var cur *endpoint.Endpoint
	if rec != nil {
		cur = s.view(rec)
	}
	if want := e.Status.ETag; want != "" {
		have := ""
		if rec != nil {
			have = rec.ep.Status.ETag
		}
		if have != want {
			return 0, nil, preconditionFailed("endpoint "+w.Name, want, have)
		}
	}
	next, r := rules.PutEndpoint(cur, w)
	if r != nil {
		return 0, nil, refused(r)
	}
	spec := next
	spec.Deployments = nil

	state, latency := endpoint.Updating, s.latency.UpdateEndpoint
	if rec == nil {
		state, latency = endpoint.Creating, s.latency.CreateEndpoint
		key := endpoint.NameKey(spec.Name)
		rec = &endpointRecord{
			deployments: make(map[string]*deploymentRecord),
			keyName:     key,
			keyNo:       s.nextKeyNo(),
		}
		s.endpoints[key] = rec
	}
	// An update keeps the URI, which the rules carry over.
	uri := spec.Status.ScoringURI
	if uri == "" {
		uri = scoringURI(spec.Name)
	}
	spec.Status = endpoint.Status{ProvisioningState: state, ETag: s.startETag(latency), ScoringURI: uri}
	rec.ep = spec
	f, fail := s.takeFailure(spec.Name, "")
	s.changed(op, spec.Name, false)
	return latency, func() error {
		rec.ep.Status.ETag = s.nextETag()
		rec.ep.Status.ProvisioningState = endpoint.Succeeded
		if fail {
			rec.ep.Status.ProvisioningState = endpoint.Failed
		}
		s.changed(op, spec.Name, true)
		if fail {
			return provisioningFailed(f, "endpoint "+spec.Name)
		}
		return nil
	}, nil
}

// DeleteEndpoint implements [backend.Backend]. The endpoint and its
// deployments show the Deleting provisioning state until the operation
// ends. It is [Service.StartDeleteEndpoint] followed by [Operation.Wait].
func (s *Service) DeleteEndpoint(ctx context.Context, name string) error {
	op, err := s.StartDeleteEndpoint(ctx, name)
	if err != nil {
		return err
	}
	return op.Wait(ctx)
}

// StartDeleteEndpoint checks and accepts the delete of
// [Service.DeleteEndpoint] without waiting for it. Deleting an endpoint
// that does not exist succeeds: its Operation has already ended. The call
// counts as a DeleteEndpoint in [Service.Calls].
func (s *Service) StartDeleteEndpoint(ctx context.Context, name string) (*Operation, error) {
	const op = "DeleteEndpoint"
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	key := endpoint.NameKey(name)
	rec := s.endpoints[key]
	if rec == nil {
		s.unlock()
		return ended(), nil
	}
	if r := rules.DeleteEndpoint(s.view(rec)); r != nil {
		s.unlock()
		return nil, refused(r)
	}
	name = rec.ep.Name
	rec.ep.Status.ProvisioningState = endpoint.Deleting
	rec.ep.Status.ETag = s.nextETag()
	for _, dn := range rec.order {
		d := rec.deployments[dn]
		d.d.Status.ProvisioningState = endpoint.Deleting
		d.d.Status.ETag = s.nextETag()
	}
	s.changed(op, name, false)
	return s.finishLater(s.latency.DeleteEndpoint, func() error {
		delete(s.endpoints, key)
		s.changed(op, name, true)
		return nil
	}), nil
}

// scoringURI is where the service would serve the endpoint.
func scoringURI(name string) string {
	return "https://" + endpoint.NameKey(name) + ".local.inference.ml.azure.com/score"
}

// nextKeyNo numbers a new endpoint for the derivation of its keys; s.mu
// is held.
func (s *Service) nextKeyNo() int {
	s.keys++
	return s.keys
}

// endpointKeys returns the endpoint's keys, derived from its name and
// number the first time, so runs repeat exactly; they are secrets all the
// same and never printed. s.mu is held.
func (r *endpointRecord) endpointKeys() backend.Keys {
	if r.keyNo == 0 {
		return r.keys
	}
	derive := func(which string) string {
		sum := sha256.Sum256(fmt.Appendf(nil, "fakes/%s/%d/%s", r.keyName, r.keyNo, which))
		return hex.EncodeToString(sum[:16])
	}
	r.keys, r.keyNo = backend.NewKeys(derive("primary"), derive("secondary")), 0
	return r.keys
}
