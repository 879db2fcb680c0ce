package azuritetest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
)

const testContainer = "tests"

func blockBlob(t *testing.T, b *Blob, name string) *blockblob.Client {
	t.Helper()
	return b.Client(t).ServiceClient().NewContainerClient(testContainer).NewBlockBlobClient(name)
}

func readAll(t *testing.T, c *blockblob.Client) []byte {
	t.Helper()
	resp, err := c.DownloadStream(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func body(b []byte) io.ReadSeekCloser { return streaming(bytes.NewReader(b)) }

func streaming(r io.ReadSeeker) io.ReadSeekCloser { return nopCloser{r} }

type nopCloser struct{ io.ReadSeeker }

func (nopCloser) Close() error { return nil }

// ifNoneMatchAny is If-None-Match: *, the upload that must not overwrite.
func ifNoneMatchAny() *blob.AccessConditions {
	return &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: to.Ptr(azcore.ETagAny)}}
}

// TestBlobOperations covers, on one Azurite, every blob operation the
// upload protocol uses.
func TestBlobOperations(t *testing.T) {
	t.Parallel()
	b := Start(t)
	b.CreateContainer(t, testContainer)
	ctx := context.Background()
	data := []byte("import json\n")
	sum := md5.Sum(data)

	t.Run("put blob with Content-MD5, then read it and its properties", func(t *testing.T) {
		c := blockBlob(t, b, "onlinescoring/score.py")
		if _, err := c.Upload(ctx, body(data), &blockblob.UploadOptions{TransactionalValidation: blob.TransferValidationTypeMD5(sum[:]), AccessConditions: ifNoneMatchAny()}); err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, c); !bytes.Equal(got, data) {
			t.Errorf("read %q, want %q", got, data)
		}
		p, err := c.GetProperties(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if *p.ContentLength != int64(len(data)) || !bytes.Equal(p.ContentMD5, sum[:]) {
			t.Errorf("properties: length %d md5 %x, want %d %x", *p.ContentLength, p.ContentMD5, len(data), sum)
		}
	})

	t.Run("If-None-Match: * refuses to overwrite with 409", func(t *testing.T) {
		c := blockBlob(t, b, "once")
		if _, err := c.Upload(ctx, body(data), &blockblob.UploadOptions{AccessConditions: ifNoneMatchAny()}); err != nil {
			t.Fatal(err)
		}
		_, err := c.Upload(ctx, body([]byte("other")), &blockblob.UploadOptions{AccessConditions: ifNoneMatchAny()})
		if !bloberror.HasCode(err, bloberror.BlobAlreadyExists) {
			t.Fatalf("second conditional upload: %v, want BlobAlreadyExists", err)
		}
		if got := readAll(t, c); !bytes.Equal(got, data) {
			t.Errorf("the refused upload changed the blob to %q", got)
		}
	})

	t.Run("a wrong Content-MD5 is refused with 400", func(t *testing.T) {
		c := blockBlob(t, b, "corrupt")
		wrong := md5.Sum([]byte("something else"))
		_, err := c.Upload(ctx, body(data), &blockblob.UploadOptions{TransactionalValidation: blob.TransferValidationTypeMD5(wrong[:])})
		var re *azcore.ResponseError
		if !errors.As(err, &re) || re.StatusCode != http.StatusBadRequest || !bloberror.HasCode(err, bloberror.MD5Mismatch) {
			t.Fatalf("upload with a wrong MD5: %v, want 400 Md5Mismatch", err)
		}
		if _, err := c.GetProperties(ctx, nil); !bloberror.HasCode(err, bloberror.BlobNotFound) {
			t.Errorf("the refused upload left a blob: %v", err)
		}
	})

	t.Run("put block and put block list, committed with If-None-Match: *", func(t *testing.T) {
		c := blockBlob(t, b, "model/large.bin")
		blocks := [][]byte{bytes.Repeat([]byte{'a'}, 1000), bytes.Repeat([]byte{'b'}, 1000), []byte("end")}
		var ids []string
		for i, blk := range blocks {
			id := base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "block-%06d", i))
			if _, err := c.StageBlock(ctx, id, body(blk), nil); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		if _, err := c.GetProperties(ctx, nil); !bloberror.HasCode(err, bloberror.BlobNotFound) {
			t.Errorf("staged blocks are visible before the commit: %v", err)
		}
		if _, err := c.CommitBlockList(ctx, ids, &blockblob.CommitBlockListOptions{AccessConditions: ifNoneMatchAny()}); err != nil {
			t.Fatal(err)
		}
		if got, want := readAll(t, c), bytes.Join(blocks, nil); !bytes.Equal(got, want) {
			t.Errorf("committed %d bytes, want %d", len(got), len(want))
		}
		_, err := c.CommitBlockList(ctx, ids, &blockblob.CommitBlockListOptions{AccessConditions: ifNoneMatchAny()})
		if !bloberror.HasCode(err, bloberror.BlobAlreadyExists) {
			t.Errorf("second conditional commit: %v, want BlobAlreadyExists", err)
		}
	})

	t.Run("set blob metadata and read it back", func(t *testing.T) {
		c := blockBlob(t, b, "LocalUpload/h/onlinescoring/.amlignore")
		if _, err := c.Upload(ctx, body([]byte("*.log\n")), nil); err != nil {
			t.Fatal(err)
		}
		meta := map[string]*string{"upload_status": to.Ptr("completed"), "name": to.Ptr("m"), "version": to.Ptr("1")}
		if _, err := c.SetMetadata(ctx, meta, nil); err != nil {
			t.Fatal(err)
		}
		p, err := c.GetProperties(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range map[string]string{"upload_status": "completed", "name": "m", "version": "1"} {
			if got := lookup(p.Metadata, k); got != v {
				t.Errorf("metadata %s = %q, want %q (all: %v)", k, got, v, keys(p.Metadata))
			}
		}
	})

	t.Run("a client with a container SAS and no key", func(t *testing.T) { testSASOnly(t, b) })
}

// lookup reads a metadata key whatever case the service gave it: HTTP
// headers carry it, and azblob canonicalizes their case.
func lookup(m map[string]*string, key string) string {
	for k, v := range m {
		if http.CanonicalHeaderKey(k) == http.CanonicalHeaderKey(key) && v != nil {
			return *v
		}
	}
	return ""
}

func keys(m map[string]*string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func testSASOnly(t *testing.T, b *Blob) {
	ctx := context.Background()
	cred, err := azblob.NewSharedKeyCredential(Account, Key)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(perms sas.ContainerPermissions) string {
		q, err := sas.BlobSignatureValues{
			Protocol:      sas.ProtocolHTTPSandHTTP,
			ExpiryTime:    time.Now().Add(time.Hour).UTC(),
			Permissions:   perms.String(),
			ContainerName: testContainer,
		}.SignWithSharedKey(cred)
		if err != nil {
			t.Fatal(err)
		}
		return b.Endpoint + "/" + testContainer + "?" + q.Encode()
	}
	rw, err := container.NewClientWithNoCredential(sign(sas.ContainerPermissions{Read: true, Add: true, Create: true, Write: true, List: true}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rw.NewBlockBlobClient("sas/score.py").Upload(ctx, body([]byte("x")), nil); err != nil {
		t.Fatalf("upload through a container SAS: %v", err)
	}
	pager := rw.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: to.Ptr("sas/")})
	var names []string
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Segment.BlobItems {
			names = append(names, *it.Name)
		}
	}
	if !slices.Equal(names, []string{"sas/score.py"}) {
		t.Errorf("listed %v through the SAS", names)
	}

	ro, err := container.NewClientWithNoCredential(sign(sas.ContainerPermissions{Read: true}), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ro.NewBlockBlobClient("sas/other.py").Upload(ctx, body([]byte("x")), nil)
	if !bloberror.HasCode(err, bloberror.AuthorizationPermissionMismatch) {
		t.Errorf("upload through a read-only SAS: %v, want AuthorizationPermissionMismatch", err)
	}

	anon, err := container.NewClientWithNoCredential(b.Endpoint+"/"+testContainer, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := anon.NewBlockBlobClient("sas/anon.py").Upload(ctx, body([]byte("x")), nil); err == nil {
		t.Error("an upload without credentials was accepted")
	}
}

// TestTwoAtOnce runs two Azurites side by side, and sees the second stop
// when its test ends while the first goes on.
func TestTwoAtOnce(t *testing.T) {
	t.Parallel()
	a := Start(t)
	var b *Blob
	t.Run("second", func(t *testing.T) {
		b = Start(t)
		if a.Endpoint == b.Endpoint || a.Dir == b.Dir {
			t.Fatalf("two Azurites share %s / %s", a.Endpoint, a.Dir)
		}
		a.CreateContainer(t, "only-in-a")
		_, err := b.Client(t).ServiceClient().NewContainerClient("only-in-a").GetProperties(context.Background(), nil)
		if !bloberror.HasCode(err, bloberror.ContainerNotFound) {
			t.Errorf("a container made in one Azurite is seen in the other: %v", err)
		}
	})
	if b == nil {
		return
	}
	if resp, err := http.Get(b.Endpoint + "?comp=list"); err == nil {
		resp.Body.Close()
		t.Errorf("Azurite still answers at %s after its test ended", b.Endpoint)
	}
	if _, err := a.Client(t).ServiceClient().NewContainerClient("only-in-a").GetProperties(context.Background(), nil); err != nil {
		t.Errorf("the first Azurite stopped with the second: %v", err)
	}
}

func TestFind(t *testing.T) {
	t.Run("absent", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		t.Chdir(t.TempDir())
		_, err := Find()
		if err == nil {
			t.Fatal("found azurite-blob in empty folders")
		}
		for _, want := range []string{Binary, "npm install --prefix .ci/azurite azurite@3.37.0"} {
			if !bytes.Contains([]byte(err.Error()), []byte(want)) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	})
	t.Run("in .ci/azurite above the working directory", func(t *testing.T) {
		root := t.TempDir()
		bin := filepath.Join(root, localBin)
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		deep := filepath.Join(root, "fakes", "rest")
		if err := os.MkdirAll(deep, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PATH", t.TempDir())
		t.Chdir(deep)
		got, err := Find()
		if err != nil || got != bin {
			t.Errorf("Find() = %q, %v; want %q", got, err, bin)
		}
	})
}

// decision records how a test ended instead of ending it.
type decision struct {
	testing.TB
	skipped, failed string
}

func (d *decision) Helper()                           {}
func (d *decision) Skipf(format string, args ...any)  { d.skipped = fmt.Sprintf(format, args...) }
func (d *decision) Fatalf(format string, args ...any) { d.failed = fmt.Sprintf(format, args...) }

func TestAbsentSkipsUnlessRequired(t *testing.T) {
	missing := errors.New("azurite-blob is not installed")
	tests := []struct {
		env        string
		skip, fail bool
		reason     string
	}{
		{"", true, false, "a bare go test ./... passes without Azurite"},
		{"0", true, false, "only 1 requires it"},
		{"1", false, true, "CI must not pass by skipping the blob tests"},
	}
	for _, tt := range tests {
		t.Setenv(RequireEnv, tt.env)
		d := &decision{TB: t}
		absent(d, missing)
		if (d.skipped != "") != tt.skip || (d.failed != "") != tt.fail {
			t.Errorf("%s=%q: skipped %q, failed %q (%s)", RequireEnv, tt.env, d.skipped, d.failed, tt.reason)
		}
		if msg := d.skipped + d.failed; !strings.Contains(msg, missing.Error()) {
			t.Errorf("%s=%q: message %q does not say why", RequireEnv, tt.env, msg)
		}
	}
}

// TestOAuth: an Azurite started by StartOAuth serves HTTPS with its own
// certificate and accepts the bearer tokens Credential makes, as the
// blob service of an identity-based datastore accepts Entra tokens.
func TestOAuth(t *testing.T) {
	t.Parallel()
	b := StartOAuth(t)
	if !strings.HasPrefix(b.Endpoint, "https://127.0.0.1:") {
		t.Fatalf("endpoint %s is not HTTPS", b.Endpoint)
	}
	b.CreateContainer(t, testContainer)
	ctx := context.Background()
	upload := func(cred azcore.TokenCredential) error {
		opts := &container.ClientOptions{}
		opts.Transport = b.HTTPClient
		c, err := container.NewClient(b.Endpoint+"/"+testContainer, cred, opts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.NewBlockBlobClient("LocalUpload/h/model.pkl").Upload(ctx, body([]byte("abc")), nil)
		return err
	}
	if err := upload(Credential{}); err != nil {
		t.Errorf("upload with an Entra token for storage: %v", err)
	}
	if err := upload(Credential{Audience: "https://management.azure.com"}); !bloberror.HasCode(err, bloberror.AuthenticationFailed) {
		t.Errorf("upload with a token for another audience: %v, want AuthenticationFailed", err)
	}
	if _, err := http.Get(b.Endpoint + "?comp=list"); err == nil {
		t.Error("a client that does not trust the test's certificate reached the service")
	}
}
