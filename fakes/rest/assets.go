package rest

import (
	"bytes"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
)

// assetCollection is one kind of asset as the REST API names it: the path
// segment under the workspace, the resource type, and how a version's
// body says where its files are (its path, which the service refuses to
// change).
type assetCollection struct {
	kind, segment string
	// path reads a version's path from the properties of its PUT.
	path func(props assetProps) string
}

// assetProps are the properties of a version's PUT that the model holds;
// the emulator keeps the rest of the body as it was sent.
type assetProps struct {
	CodeURI    string            `json:"codeUri"`
	ModelURI   string            `json:"modelUri"`
	Image      string            `json:"image"`
	CondaFile  string            `json:"condaFile"`
	Build      *buildContext     `json:"build"`
	IsArchived bool              `json:"isArchived"`
	Properties map[string]string `json:"properties"`
}

type buildContext struct {
	ContextURI     string `json:"contextUri"`
	DockerfilePath string `json:"dockerfilePath"`
}

// The property names of a code version's content hash, which the
// service's CLI writes and finds code by (hash_sha256, hash_version).
const (
	propHash        = "hash_sha256"
	propHashVersion = "hash_version"
)

var assetCollections = map[string]assetCollection{
	"codes":  {kind: endpoint.CodeAsset, segment: "codes", path: func(p assetProps) string { return p.CodeURI }},
	"models": {kind: endpoint.ModelAsset, segment: "models", path: func(p assetProps) string { return p.ModelURI }},
	"environments": {kind: endpoint.EnvironmentAsset, segment: "environments", path: func(p assetProps) string {
		var b buildContext
		if p.Build != nil {
			b = *p.Build
		}
		// What an environment version is made of: the service builds
		// its image from these, so none of them may change.
		return strings.Join([]string{p.Image, b.ContextURI, b.DockerfilePath, p.CondaFile}, "\n")
	}},
}

func (c assetCollection) resourceType() string {
	return "Microsoft.MachineLearningServices/workspaces/" + c.segment
}

func (c assetCollection) containerID(sc scope, name string) string {
	return sc.workspaceID() + "/" + c.segment + "/" + name
}

// keptKey names an asset resource among the kept PUT bodies. Asset names
// and versions are case-sensitive, unlike endpoints'.
func (c assetCollection) keptKey(name string, version ...string) string {
	return "asset:" + c.segment + "/" + strings.Join(append([]string{name}, version...), "/")
}

// serveAssets routes the requests under codes, models and environments:
//
//	GET  {c}                                     containers, paged
//	GET  {c}/{name}                              a container
//	PUT  {c}/{name}                              create or update a container
//	GET  {c}/{name}/versions                     versions, paged (codes: ?hash=&hashVersion=)
//	GET  {c}/{name}/versions/{v}                 a version
//	PUT  {c}/{name}/versions/{v}                 create or update a version
//	POST codes/{name}/versions/{v}/startPendingUpload
func (s *Server) serveAssets(req *request, c assetCollection, rest, tail []string) {
	m := req.r.Method
	switch {
	case len(rest) == 0 && m == http.MethodGet:
		s.listContainers(req, c)
	case len(rest) == 1 && m == http.MethodGet:
		s.getContainer(req, c, rest[0])
	case len(rest) == 1 && m == http.MethodPut:
		s.putContainer(req, c, rest[0])
	case len(rest) == 2 && tail[1] == "versions" && m == http.MethodGet:
		s.listVersions(req, c, rest[0])
	case len(rest) == 3 && tail[1] == "versions" && m == http.MethodGet:
		s.getVersion(req, c, rest[0], rest[2])
	case len(rest) == 3 && tail[1] == "versions" && m == http.MethodPut:
		s.putVersion(req, c, rest[0], rest[2])
	case len(rest) == 4 && tail[1] == "versions" && tail[3] == "startpendingupload" && c.kind == endpoint.CodeAsset && m == http.MethodPost:
		s.startPendingUpload(req, rest[0], rest[2])
	default:
		req.fail(http.StatusMethodNotAllowed, "MethodNotAllowed", "The method "+m+" is not allowed on "+req.r.URL.Path, 0)
	}
}

func (s *Server) listContainers(req *request, c assetCollection) {
	cs, err := s.svc.AssetContainers(req.ctx, c.kind)
	if err != nil {
		req.failErr(err)
		return
	}
	items, next := page(s, req, cs)
	out := list[any]{Value: make([]any, 0, len(items)), NextLink: next}
	for _, ac := range items {
		out.Value = append(out.Value, s.answerContainer(req, c, ac))
	}
	req.writeJSON(http.StatusOK, out)
}

func (s *Server) getContainer(req *request, c assetCollection, name string) {
	ac, err := s.svc.GetAssetContainer(req.ctx, c.kind, name)
	if err != nil {
		req.failErr(err)
		return
	}
	req.writeJSON(http.StatusOK, s.answerContainer(req, c, ac))
}

func (s *Server) putContainer(req *request, c assetCollection, name string) {
	body, ok := req.assetBody()
	if !ok {
		return
	}
	var v struct {
		Properties map[string]any `json:"properties"`
	}
	if err := unmarshalBody(body, &v); err != nil {
		req.fail(http.StatusBadRequest, "BadArgument", err.Error(), 0)
		return
	}
	created, err := s.svc.PutAssetContainer(req.ctx, c.kind, name)
	if err != nil {
		req.failErr(err)
		return
	}
	s.keepPut(c.keptKey(name), body)
	ac, err := s.svc.GetAssetContainer(req.ctx, c.kind, name)
	if err != nil {
		req.failErr(err)
		return
	}
	req.writeJSON(createdOrOK(created), s.answerContainer(req, c, ac))
}

// assetBody reads the body of an asset's PUT, which the specification
// requires, with its properties; anything else is answered with 400.
func (req *request) assetBody() ([]byte, bool) {
	body, ok := req.body()
	if !ok {
		return nil, false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		req.fail(http.StatusBadRequest, "BadArgument", "The request body is required", 0)
		return nil, false
	}
	if bad := missingRequired(body, []string{"properties"}); bad != nil {
		req.failBody(http.StatusBadRequest, *bad)
		return nil, false
	}
	return body, true
}

// answerContainer is a container's body: what its last PUT held, and what
// the service sets (its latestVersion, when it has one).
func (s *Server) answerContainer(req *request, c assetCollection, ac fakes.AssetContainer) map[string]any {
	body, created, modified := s.kept(c.keptKey(ac.Name))
	props := keptProperties(body)
	props["provisioningState"] = "Succeeded"
	if _, ok := props["isArchived"]; !ok {
		props["isArchived"] = false
	}
	delete(props, "latestVersion")
	if ac.Latest != "" {
		props["latestVersion"] = ac.Latest
	}
	return map[string]any{
		"id": c.containerID(req.scope, ac.Name), "name": ac.Name, "type": c.resourceType(),
		"properties": props, "systemData": systemData(created, modified),
	}
}

// listVersions lists one container's versions, or, for code with a hash
// query, the code versions with that content whatever their container, as
// the specification says ("regardless of name"). listViewType selects
// active (the default), archived or all versions; $orderBy createdtime
// desc (or asc) lists them by creation time, which is how the service's
// SDK finds the latest version; $top bounds the count.
func (s *Server) listVersions(req *request, c assetCollection, name string) {
	q := req.r.URL.Query()
	view, ok := listViews[strings.ToLower(q.Get("listViewType"))]
	if !ok {
		req.fail(http.StatusBadRequest, "BadArgument", "listViewType: "+strconv.Quote(q.Get("listViewType"))+" is not one of ActiveOnly, ArchivedOnly, All", 0)
		return
	}
	top, ok := req.top()
	if !ok {
		return
	}
	order, ok := req.creationOrder()
	if !ok {
		return
	}
	var vs []fakes.AssetVersion
	var err error
	hash := q.Get("hash")
	switch {
	case hash != "" && c.kind == endpoint.CodeAsset:
		if vs, err = s.svc.FindCodeVersions(req.ctx, hash, q.Get("hashVersion")); order != 0 {
			sortByCreation(vs, order)
		}
	default:
		// Listed newest first, as createdtime desc.
		vs, err = s.svc.ListAssetVersions(req.ctx, c.kind, name, view != activeOnly)
		vs = inCreationOrder(vs, order)
	}
	if err != nil {
		req.failErr(err)
		return
	}
	vs = view.keep(vs)
	if top >= 0 && top < len(vs) {
		vs = vs[:top]
	}
	items, next := page(s, req, vs)
	out := list[any]{Value: make([]any, 0, len(items)), NextLink: next}
	for _, v := range items {
		out.Value = append(out.Value, s.answerVersion(req, c, v))
	}
	req.writeJSON(http.StatusOK, out)
}

// top reads the $top query parameter: -1 when absent; a bad one is
// answered with 400.
func (req *request) top() (int, bool) {
	t := req.r.URL.Query().Get("$top")
	if t == "" {
		return -1, true
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 {
		req.fail(http.StatusBadRequest, "BadArgument", "$top: "+strconv.Quote(t)+" is not a count", 0)
		return 0, false
	}
	return n, true
}

// listView is the listViewType of a list: which versions it shows by
// their archived flag.
type listView int

const (
	activeOnly listView = iota
	archivedOnly
	allViews
)

var listViews = map[string]listView{"": activeOnly, "activeonly": activeOnly, "archivedonly": archivedOnly, "all": allViews}

func (v listView) keep(vs []fakes.AssetVersion) []fakes.AssetVersion {
	out := vs[:0:0]
	for _, a := range vs {
		if v == allViews || a.Archived == (v == archivedOnly) {
			out = append(out, a)
		}
	}
	return out
}

func (s *Server) getVersion(req *request, c assetCollection, name, version string) {
	v, err := s.svc.GetAssetVersion(req.ctx, c.kind, name, version)
	if err != nil {
		req.failErr(err)
		return
	}
	req.writeJSON(http.StatusOK, s.answerVersion(req, c, v))
}

func (s *Server) putVersion(req *request, c assetCollection, name, version string) {
	body, ok := req.assetBody()
	if !ok {
		return
	}
	var put struct {
		Properties assetProps `json:"properties"`
	}
	if err := unmarshalBody(body, &put); err != nil {
		req.fail(http.StatusBadRequest, "BadArgument", err.Error(), 0)
		return
	}
	p := put.Properties
	v := fakes.AssetVersion{Kind: c.kind, Name: name, Version: version, Content: c.path(p), Archived: p.IsArchived}
	if c.kind == endpoint.CodeAsset {
		v.Hash, v.HashVersion = p.Properties[propHash], p.Properties[propHashVersion]
	}
	stored, created, err := s.svc.PutAssetVersion(req.ctx, v)
	if err != nil {
		req.failErr(err)
		return
	}
	s.keepPut(c.keptKey(name, version), body)
	req.writeJSON(createdOrOK(created), s.answerVersion(req, c, stored))
}

// answerVersion is a version's body: what its last PUT held, with what the
// service sets. A version registered without a PUT (through
// [fakes.Service.RegisterAsset]) has no path to report, but code still
// has its content hash.
func (s *Server) answerVersion(req *request, c assetCollection, v fakes.AssetVersion) map[string]any {
	body, created, modified := s.kept(c.keptKey(v.Name, v.Version))
	if !v.Created.IsZero() {
		// The service's creation time, which lists are ordered by.
		created = v.Created.UTC()
		modified = latest(created, modified)
	}
	props := keptProperties(body)
	props["provisioningState"] = "Succeeded"
	props["isArchived"] = v.Archived
	if _, ok := props["isAnonymous"]; !ok {
		props["isAnonymous"] = false
	}
	if v.Hash != "" {
		dict, _ := props["properties"].(map[string]any)
		dict = maps.Clone(dict)
		if dict == nil {
			dict = map[string]any{}
		}
		dict[propHash], dict[propHashVersion] = v.Hash, v.HashVersion
		props["properties"] = dict
	}
	return map[string]any{
		"id": c.containerID(req.scope, v.Name) + "/versions/" + v.Version, "name": v.Version, "type": c.resourceType() + "/versions",
		"properties": props, "systemData": systemData(created, modified),
	}
}

// keptProperties copies the properties of a kept PUT body, so that an
// answer can add to them. Kept bodies are replaced, never changed, so a
// shallow copy is enough.
func keptProperties(body map[string]any) map[string]any {
	props, _ := body["properties"].(map[string]any)
	if props == nil {
		return map[string]any{}
	}
	return maps.Clone(props)
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func createdOrOK(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}
