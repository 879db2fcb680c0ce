package rest_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/rolloutkit/rollout/fakes/rest"
	"github.com/rolloutkit/rollout/internal/azuritetest"
)

// withAzurite starts Azurite and an emulator whose workspace storage it
// is.
func withAzurite(t *testing.T, credentials string) (*client, *azuritetest.Blob) {
	t.Helper()
	start := azuritetest.Start
	if credentials == "None" {
		// Identity-based: the storage account takes Entra tokens,
		// which Azurite takes over HTTPS only.
		start = azuritetest.StartOAuth
	}
	b := start(t)
	c, _ := newServer(t, rest.Options{Storage: &rest.Storage{
		Endpoint: b.Endpoint, Account: azuritetest.Account, Key: azuritetest.Key, Credentials: credentials, HTTPClient: b.HTTPClient,
	}})
	return c, b
}

func blobBody(s string) io.ReadSeekCloser { return nopSeekCloser{strings.NewReader(s)} }

type nopSeekCloser struct{ io.ReadSeeker }

func (nopSeekCloser) Close() error { return nil }

func str(t *testing.T, m map[string]any, path ...string) string {
	t.Helper()
	var v any = m
	for _, k := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%v has no %s", m, strings.Join(path, "."))
		}
		v = obj[k]
	}
	s, _ := v.(string)
	return s
}

func listNames(t *testing.T, c *container.Client) []string {
	t.Helper()
	var names []string
	pager := c.NewListBlobsFlatPager(nil)
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Segment.BlobItems {
			names = append(names, *it.Name)
		}
	}
	return names
}

// TestStartPendingUpload: the code route of the CLI against a real blob
// service. The emulator answers a SAS container URL that a client without
// the account key can upload through, then the code version is PUT with
// the blob URI.
func TestStartPendingUpload(t *testing.T) {
	c, b := withAzurite(t, "")
	start := func(body any) map[string]any {
		t.Helper()
		r := c.do(http.MethodPost, "/codes/0b8d3a4e-1111-4222-8333-444444444444/versions/1/startPendingUpload", body)
		if r.status != http.StatusOK {
			t.Fatalf("startPendingUpload: %d %s", r.status, r.body)
		}
		return r.json(t)
	}
	got := start(map[string]any{"pendingUploadType": "TemporaryBlobReference"})
	sasURI := str(t, got, "blobReferenceForConsumption", "credential", "sasUri")
	blobURI := str(t, got, "blobReferenceForConsumption", "blobUri")
	if str(t, got, "blobReferenceForConsumption", "credential", "credentialType") != "SAS" || got["pendingUploadId"] == "" ||
		got["pendingUploadType"] != "TemporaryBlobReference" || !strings.HasPrefix(blobURI, b.Endpoint+"/") ||
		!strings.HasPrefix(sasURI, blobURI+"?") || strings.HasSuffix(blobURI, "/") ||
		!strings.HasSuffix(str(t, got, "blobReferenceForConsumption", "storageAccountArmId"), "/providers/Microsoft.Storage/storageAccounts/"+azuritetest.Account) {
		t.Fatalf("startPendingUpload answered %v", got)
	}
	if strings.Contains(blobURI, "sig=") {
		t.Errorf("blobUri %s carries the SAS", blobURI)
	}

	sasOnly, err := container.NewClientWithNoCredential(sasURI, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range []string{"onlinescoring/score.py", "onlinescoring/.amlignore"} {
		if _, err := sasOnly.NewBlockBlobClient(name).Upload(ctx, blobBody("x"), nil); err != nil {
			t.Fatalf("upload through the SAS: %v", err)
		}
	}
	if got := listNames(t, sasOnly); !slices.Equal(got, []string{"onlinescoring/.amlignore", "onlinescoring/score.py"}) {
		t.Errorf("the container holds %v", got)
	}
	if _, err := sasOnly.NewBlobClient("onlinescoring/score.py").Delete(ctx, nil); !bloberror.HasCode(err, bloberror.AuthorizationPermissionMismatch) {
		t.Errorf("delete through the upload SAS: %v, want AuthorizationPermissionMismatch", err)
	}
	if r := c.do(http.MethodPut, "/codes/0b8d3a4e-1111-4222-8333-444444444444/versions/1", codeBody(blobURI+"/onlinescoring", hashA)); r.status != http.StatusCreated {
		t.Fatalf("PUT the uploaded code: %d %s", r.status, r.body)
	}

	again := start(map[string]any{"pendingUploadType": "TemporaryBlobReference"})
	if str(t, again, "blobReferenceForConsumption", "blobUri") == blobURI || again["pendingUploadId"] == got["pendingUploadId"] {
		t.Errorf("a second call got the first's container %s", blobURI)
	}
	id := got["pendingUploadId"].(string)
	resumed := start(map[string]any{"pendingUploadId": id, "pendingUploadType": "TemporaryBlobReference"})
	if str(t, resumed, "blobReferenceForConsumption", "blobUri") != blobURI || resumed["pendingUploadId"] != id {
		t.Errorf("the same pendingUploadId got %v, want the container %s", resumed, blobURI)
	}
	if r := c.do(http.MethodPost, "/codes/x/versions/1/startPendingUpload", `{"pendingUploadType": "Blob"}`); r.status != http.StatusBadRequest {
		t.Errorf("an unknown pendingUploadType: %d %s", r.status, r.body)
	}
	if r := c.do(http.MethodPost, "/models/x/versions/1/startPendingUpload", `{}`); r.status != http.StatusMethodNotAllowed {
		t.Errorf("startPendingUpload of a model: %d %s; the specification has it for code only", r.status, r.body)
	}
}

// TestDefaultDatastore: the datastore route of the CLI. The default
// datastore is found by the specification's isDefault filter or by name,
// its container exists, and its secrets let a client write it: the
// account key, or a SAS.
func TestDefaultDatastore(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		credentials string
		client      func(t *testing.T, b *azuritetest.Blob, secrets map[string]any, containerName string) *container.Client
		reason      string
	}{
		{"AccountKey", func(t *testing.T, b *azuritetest.Blob, secrets map[string]any, name string) *container.Client {
			if secrets["secretsType"] != "AccountKey" {
				t.Fatalf("secrets %v", secrets)
			}
			cred, err := azblob.NewSharedKeyCredential(azuritetest.Account, secrets["key"].(string))
			if err != nil {
				t.Fatal(err)
			}
			c, err := container.NewClientWithSharedKeyCredential(b.Endpoint+"/"+name, cred, nil)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}, "an account-key datastore answers the key"},
		{"Sas", func(t *testing.T, b *azuritetest.Blob, secrets map[string]any, name string) *container.Client {
			if secrets["secretsType"] != "Sas" || secrets["key"] != nil {
				t.Fatalf("secrets %v", secrets)
			}
			c, err := container.NewClientWithNoCredential(b.Endpoint+"/"+name+"?"+secrets["sasToken"].(string), nil)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}, "a SAS datastore answers a SAS of its container"},
	}
	for _, tt := range tests {
		t.Run(tt.credentials, func(t *testing.T) {
			c, b := withAzurite(t, tt.credentials)
			list := c.do(http.MethodGet, "/datastores?isDefault=true", nil)
			if got := values(t, list); !slices.Equal(got, []string{rest.DefaultDatastore}) {
				t.Fatalf("default datastores = %v", got)
			}
			ds := c.do(http.MethodGet, "/datastores/workspaceblobstore", nil)
			p := props(t, ds)
			name, _ := p["containerName"].(string)
			if ds.status != http.StatusOK || p["datastoreType"] != "AzureBlob" || p["isDefault"] != true || p["accountName"] != azuritetest.Account ||
				name == "" || p["endpoint"] != "core.windows.net" || p["protocol"] != "http" ||
				str(t, p, "credentials", "credentialsType") != tt.credentials {
				t.Fatalf("GET datastore: %d %s", ds.status, ds.body)
			}
			if strings.Contains(string(ds.body), azuritetest.Key) {
				t.Errorf("GET datastore shows the account key: %s", ds.body)
			}
			secrets := c.do(http.MethodPost, "/datastores/workspaceblobstore/listSecrets", nil)
			if secrets.status != http.StatusOK {
				t.Fatalf("listSecrets: %d %s", secrets.status, secrets.body)
			}
			cc := tt.client(t, b, secrets.json(t), name)
			blob := cc.NewBlockBlobClient("LocalUpload/3dd4b37a5b6c38dd3ff9b4d192fbe46b/model.pkl")
			if _, err := blob.Upload(ctx, blobBody("abc"), nil); err != nil {
				t.Fatalf("upload with the datastore's secret: %v (%s)", err, tt.reason)
			}
			meta := map[string]*string{"upload_status": to.Ptr("completed"), "name": to.Ptr("m"), "version": to.Ptr("1")}
			if _, err := blob.SetMetadata(ctx, meta, nil); err != nil {
				t.Fatalf("set the upload marker: %v", err)
			}
			resp, err := blob.DownloadStream(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Equal(got, []byte("abc")) {
				t.Errorf("read back %q", got)
			}
		})
	}

	t.Run("None", func(t *testing.T) {
		c, b := withAzurite(t, "None")
		p := props(t, c.do(http.MethodGet, "/datastores/workspaceblobstore", nil))
		if creds := p["credentials"].(map[string]any); creds["credentialsType"] != "None" || creds["secrets"] != nil || p["protocol"] != "https" {
			t.Errorf("an identity-based datastore: %v", p)
		}
		if r := c.do(http.MethodPost, "/datastores/workspaceblobstore/listSecrets", nil); r.status != http.StatusBadRequest {
			t.Errorf("listSecrets of an identity-based datastore: %d %s; want 400", r.status, r.body)
		}
		opts := &container.ClientOptions{}
		opts.Transport = b.HTTPClient
		cc, err := container.NewClient(b.Endpoint+"/"+p["containerName"].(string), azuritetest.Credential{}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cc.NewBlockBlobClient("LocalUpload/h/model.pkl").Upload(ctx, blobBody("abc"), nil); err != nil {
			t.Errorf("upload with the caller's own Entra token into the datastore's container: %v", err)
		}
	})
}

// TestDatastoreFilters: the specification's filters of the datastore list,
// and the datastores the workspace does not have.
func TestDatastoreFilters(t *testing.T) {
	c, _ := withAzurite(t, "")
	tests := []struct {
		query  url.Values
		want   []string
		reason string
	}{
		{nil, []string{"workspaceblobstore"}, "the workspace has one datastore"},
		{url.Values{"isDefault": {"false"}}, nil, "it is the default"},
		{url.Values{"names": {"workspaceblobstore"}}, []string{"workspaceblobstore"}, "by name"},
		{url.Values{"names": {"other,WorkspaceBlobStore"}}, []string{"workspaceblobstore"}, "names in a list, case-insensitively"},
		{url.Values{"names": {"other"}}, nil, "another name"},
		{url.Values{"searchText": {"blob"}}, []string{"workspaceblobstore"}, "part of the name"},
		{url.Values{"searchText": {"file"}}, nil, "text not in the name"},
	}
	for _, tt := range tests {
		if got := values(t, c.do(http.MethodGet, "/datastores?"+tt.query.Encode(), nil)); !slices.Equal(got, tt.want) {
			t.Errorf("datastores?%s = %v, want %v (%s)", tt.query.Encode(), got, tt.want, tt.reason)
		}
	}
	for _, path := range []string{"/datastores/workspacefilestore", "/datastores/workspacefilestore/listSecrets"} {
		method := http.MethodGet
		if strings.HasSuffix(path, "listSecrets") {
			method = http.MethodPost
		}
		if r := c.do(method, path, nil); r.status != http.StatusNotFound {
			t.Errorf("%s %s: %d %s", method, path, r.status, r.body)
		}
	}
}
