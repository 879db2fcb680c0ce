package rest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
)

// DefaultDatastore is the name of a workspace's default datastore, which
// the service's CLI uploads models and build contexts to.
const DefaultDatastore = "workspaceblobstore"

// Storage is the workspace's storage account: a real blob service, such as
// Azurite, that the emulator hands out. startPendingUpload creates a
// container in it for each upload and answers a SAS URL of it; the default
// datastore is a container in it, whose secrets are its key or a SAS.
type Storage struct {
	// Endpoint is the account's blob endpoint, the URL that containers
	// are under: http://127.0.0.1:PORT/devstoreaccount1 for Azurite,
	// https://ACCOUNT.blob.core.windows.net for Azure.
	Endpoint string
	// Account and Key are the account's name and its base64 shared key,
	// with which the emulator creates containers and signs SAS tokens.
	Account, Key string
	// Container is the default datastore's container;
	// "azureml-blobstore" when empty.
	Container string
	// Credentials is how the default datastore authorizes its users, the
	// specification's credentialsType: "AccountKey" (when empty), "Sas",
	// or "None" for a datastore reached with the caller's own identity,
	// which has no secrets to list.
	Credentials string
	// EndpointSuffix is the datastore's endpoint property, the DNS suffix
	// of the storage service; "core.windows.net" when empty. A client
	// builds https://ACCOUNT.blob.SUFFIX from it, which reaches Azure but
	// not an emulator on loopback: such clients must be told Endpoint.
	EndpointSuffix string
	// HTTPClient is how the emulator reaches the account (to create
	// containers); http.DefaultClient when nil. An account served over
	// HTTPS with a test's certificate needs a client that trusts it.
	HTTPClient *http.Client
}

// sasLifetime is how long the SAS tokens the emulator signs are valid.
const sasLifetime = 8 * time.Hour

// storage is the emulator's side of [Storage]: its clients, and the
// containers it has made.
type storage struct {
	Storage
	cred   *azblob.SharedKeyCredential
	client *service.Client

	mu sync.Mutex
	// made are the containers created so far.
	made map[string]bool
	// pending maps a pending upload (workspace, code, version and id) to
	// its container; uploads counts the pending uploads without an id.
	pending map[string]string
	uploads int
}

// newStorage checks st and makes its clients. Like [New], it panics on a
// configuration that cannot work.
func newStorage(st *Storage) *storage {
	if st == nil {
		return nil
	}
	c := *st
	c.Endpoint = strings.TrimSuffix(c.Endpoint, "/")
	if c.Container == "" {
		c.Container = "azureml-blobstore"
	}
	if c.Credentials == "" {
		c.Credentials = "AccountKey"
	}
	if c.EndpointSuffix == "" {
		c.EndpointSuffix = "core.windows.net"
	}
	if !slices.Contains([]string{"AccountKey", "Sas", "None"}, c.Credentials) {
		panic(fmt.Sprintf("rest: Storage.Credentials %q is not AccountKey, Sas or None", c.Credentials))
	}
	u, err := url.Parse(c.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		panic(fmt.Sprintf("rest: Storage.Endpoint %q is not an http(s) URL", st.Endpoint))
	}
	cred, err := azblob.NewSharedKeyCredential(c.Account, c.Key)
	if err != nil {
		panic(fmt.Sprintf("rest: Storage.Key of account %q: %v", c.Account, err))
	}
	opts := &service.ClientOptions{}
	if c.HTTPClient != nil {
		opts.Transport = c.HTTPClient
	}
	client, err := service.NewClientWithSharedKeyCredential(c.Endpoint+"/", cred, opts)
	if err != nil {
		panic(fmt.Sprintf("rest: Storage.Endpoint %q: %v", c.Endpoint, err))
	}
	return &storage{Storage: c, cred: cred, client: client, made: make(map[string]bool), pending: make(map[string]string)}
}

// protocol is the scheme clients reach the account with.
func (st *storage) protocol() string {
	p, _, _ := strings.Cut(st.Endpoint, ":")
	return p
}

// containerURL is a container's URL, without a SAS.
func (st *storage) containerURL(name string) string { return st.Endpoint + "/" + name }

// ensureContainer creates a container unless the emulator made it already;
// one that exists is fine, as the service's containers outlive it.
func (st *storage) ensureContainer(ctx context.Context, name string) error {
	st.mu.Lock()
	made := st.made[name]
	st.mu.Unlock()
	if made {
		return nil
	}
	_, err := st.client.CreateContainer(ctx, name, nil)
	if err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return fmt.Errorf("creating container %s in storage account %s: %w", name, st.Account, err)
	}
	st.mu.Lock()
	st.made[name] = true
	st.mu.Unlock()
	return nil
}

// containerSAS signs a SAS for a container that lets its holder read,
// list and write blobs (what an upload needs), but not delete them.
func (st *storage) containerSAS(name string) (string, error) {
	proto := sas.ProtocolHTTPS
	if st.protocol() == "http" {
		proto = sas.ProtocolHTTPSandHTTP
	}
	perms := sas.ContainerPermissions{Read: true, Add: true, Create: true, Write: true, List: true}
	q, err := sas.BlobSignatureValues{
		Protocol:      proto,
		StartTime:     time.Now().Add(-5 * time.Minute).UTC(),
		ExpiryTime:    time.Now().Add(sasLifetime).UTC(),
		Permissions:   perms.String(),
		ContainerName: name,
	}.SignWithSharedKey(st.cred)
	if err != nil {
		return "", err
	}
	return q.Encode(), nil
}

// noStorage answers a request that needs a storage account the emulator
// was not given.
func (req *request) noStorage() {
	req.fail(http.StatusNotImplemented, "NotImplemented", "The emulator has no storage account: set rest.Options.Storage to serve uploads and datastores", 0)
}

// storageFail answers a failure of the storage account behind the
// emulator.
func (req *request) storageFail(err error) {
	req.fail(http.StatusInternalServerError, "InternalServerError", err.Error(), 0)
}

// pendingUploadTypes are the specification's PendingUploadType values.
var pendingUploadTypes = []string{"None", "TemporaryBlobReference"}

// startPendingUpload is CodeVersions_CreateOrGetStartPendingUpload: a
// container of the workspace's storage account for a code upload, with a
// SAS that lets the caller write it. Each call gets a new container and
// SAS, as the CLI's source says; a call that repeats a pendingUploadId
// gets the container of the first, with a new SAS, so an interrupted
// upload can be finished where it started.
func (s *Server) startPendingUpload(req *request, name, version string) {
	if s.storage == nil {
		req.noStorage()
		return
	}
	var body struct {
		PendingUploadID   string `json:"pendingUploadId"`
		PendingUploadType string `json:"pendingUploadType"`
	}
	if !req.decode(&body) {
		return
	}
	kind := "TemporaryBlobReference"
	if body.PendingUploadType != "" {
		i := slices.IndexFunc(pendingUploadTypes, func(t string) bool { return strings.EqualFold(t, body.PendingUploadType) })
		if i < 0 {
			req.fail(http.StatusBadRequest, "BadArgument", fmt.Sprintf("pendingUploadType: %q is not one of %s", body.PendingUploadType, strings.Join(pendingUploadTypes, ", ")), 0)
			return
		}
		kind = pendingUploadTypes[i]
	}
	id, container := s.storage.pendingContainer(req.scope, name, version, body.PendingUploadID)
	if err := s.storage.ensureContainer(req.ctx, container); err != nil {
		req.storageFail(err)
		return
	}
	token, err := s.storage.containerSAS(container)
	if err != nil {
		req.storageFail(err)
		return
	}
	type credential struct {
		CredentialType string `json:"credentialType"`
		SASURI         string `json:"sasUri"`
	}
	type blobReference struct {
		BlobURI             string     `json:"blobUri"`
		StorageAccountArmID string     `json:"storageAccountArmId"`
		Credential          credential `json:"credential"`
	}
	req.writeJSON(http.StatusOK, struct {
		BlobReferenceForConsumption blobReference `json:"blobReferenceForConsumption"`
		PendingUploadID             string        `json:"pendingUploadId"`
		PendingUploadType           string        `json:"pendingUploadType"`
	}{
		BlobReferenceForConsumption: blobReference{
			BlobURI:             s.storage.containerURL(container),
			StorageAccountArmID: s.storage.accountID(req.scope),
			Credential:          credential{CredentialType: "SAS", SASURI: s.storage.containerURL(container) + "?" + token},
		},
		PendingUploadID:   id,
		PendingUploadType: kind,
	})
}

// pendingContainer returns the id of a pending upload and its container:
// the one an earlier call with the same id got, or a new one. Names are
// derived from a counter and the request, so runs are repeatable.
func (st *storage) pendingContainer(sc scope, name, version, id string) (string, string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if id == "" {
		st.uploads++
		id = uuidOf(fmt.Sprintf("pending/%d", st.uploads))
	}
	key := strings.ToLower(sc.workspaceID()) + "/" + name + "/" + version + "/" + id
	c, ok := st.pending[key]
	if !ok {
		sum := sha256.Sum256([]byte(key))
		c = "code-" + hex.EncodeToString(sum[:12])
		st.pending[key] = c
	}
	return id, c
}

// uuidOf formats the hash of s as a UUID.
func uuidOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	h := hex.EncodeToString(sum[:16])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// accountID is the storage account's ARM id, in the workspace's resource
// group.
func (st *storage) accountID(sc scope) string {
	return "/subscriptions/" + sc.subscription + "/resourceGroups/" + sc.resourceGroup +
		"/providers/Microsoft.Storage/storageAccounts/" + st.Account
}

// serveDatastores routes the requests under datastores: the workspace has
// one, the default, when the emulator has a storage account.
//
//	GET  datastores                     list (?isDefault=, ?names=, ?searchText=)
//	GET  datastores/{name}              a datastore
//	POST datastores/{name}/listSecrets  its secrets
func (s *Server) serveDatastores(req *request, rest, tail []string) {
	m := req.r.Method
	switch {
	case len(rest) == 0 && m == http.MethodGet:
		s.listDatastores(req)
	case len(rest) == 1 && m == http.MethodGet:
		if s.datastoreExists(req, rest[0]) {
			req.writeJSON(http.StatusOK, s.answerDatastore(req))
		}
	case len(rest) == 2 && tail[1] == "listsecrets" && m == http.MethodPost:
		if s.datastoreExists(req, rest[0]) {
			s.listSecrets(req)
		}
	default:
		req.fail(http.StatusMethodNotAllowed, "MethodNotAllowed", "The method "+m+" is not allowed on "+req.r.URL.Path, 0)
	}
}

// datastoreExists reports whether the workspace has a datastore, and
// answers 404 when it has not. The default datastore's container is made
// when it is first asked for, as the service made it with the workspace.
func (s *Server) datastoreExists(req *request, name string) bool {
	if s.storage == nil || !strings.EqualFold(name, DefaultDatastore) {
		req.fail(http.StatusNotFound, "NotFound", "Datastore "+name+" not found in workspace "+req.scope.workspace, 0)
		return false
	}
	if err := s.storage.ensureContainer(req.ctx, s.storage.Container); err != nil {
		req.storageFail(err)
		return false
	}
	return true
}

// listDatastores lists the datastores the filters of the specification
// select: isDefault, names (repeated or comma-separated) and searchText
// (part of the name).
func (s *Server) listDatastores(req *request) {
	q := req.r.URL.Query()
	match := s.storage != nil
	if d := q.Get("isDefault"); d != "" {
		match = match && strings.EqualFold(d, "true")
	}
	if names := q["names"]; len(names) > 0 {
		match = match && slices.ContainsFunc(strings.Split(strings.Join(names, ","), ","), func(n string) bool {
			return strings.EqualFold(strings.TrimSpace(n), DefaultDatastore)
		})
	}
	match = match && strings.Contains(DefaultDatastore, strings.ToLower(q.Get("searchText")))
	out := list[any]{Value: []any{}}
	if match {
		if !s.datastoreExists(req, DefaultDatastore) {
			return
		}
		out.Value = append(out.Value, s.answerDatastore(req))
	}
	req.writeJSON(http.StatusOK, out)
}

// answerDatastore is the default datastore's body: an AzureBlob
// datastore on the storage account's container.
func (s *Server) answerDatastore(req *request) map[string]any {
	st := s.storage
	creds := map[string]any{"credentialsType": st.Credentials}
	if st.Credentials != "None" {
		creds["secrets"] = map[string]any{"secretsType": st.Credentials}
	}
	epoch := time.Unix(0, 0).UTC()
	return map[string]any{
		"id":   req.scope.workspaceID() + "/datastores/" + DefaultDatastore,
		"name": DefaultDatastore,
		"type": "Microsoft.MachineLearningServices/workspaces/datastores",
		"properties": map[string]any{
			"datastoreType": "AzureBlob", "isDefault": true, "credentials": creds,
			"accountName": st.Account, "containerName": st.Container,
			"endpoint": st.EndpointSuffix, "protocol": st.protocol(),
			"serviceDataAccessAuthIdentity": "None",
			"description":                   "", "tags": map[string]any{}, "properties": map[string]any{},
		},
		"systemData": systemData(epoch, epoch),
	}
}

// listSecrets answers the default datastore's secrets: the account key,
// or a SAS of its container. A datastore without credentials (identity
// based) has none, and the request is refused.
func (s *Server) listSecrets(req *request) {
	st := s.storage
	switch st.Credentials {
	case "AccountKey":
		req.writeJSON(http.StatusOK, map[string]string{"secretsType": "AccountKey", "key": st.Key})
	case "Sas":
		token, err := st.containerSAS(st.Container)
		if err != nil {
			req.storageFail(err)
			return
		}
		req.writeJSON(http.StatusOK, map[string]string{"secretsType": "Sas", "sasToken": token})
	default:
		req.fail(http.StatusBadRequest, "UserError", "Datastore "+DefaultDatastore+" has credentials of type None: it is reached with the caller's identity and has no secrets", 0)
	}
}
