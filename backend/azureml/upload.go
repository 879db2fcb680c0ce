package azureml

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/rolloutkit/rollout/asset"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/endpoint"
)

// UploadOptions tune how [Backend.RegisterAsset] uploads local files. The
// zero value is ready to use.
type UploadOptions struct {
	// MaxSinglePut is the size up to which a file is sent in one request
	// (Put Blob); larger files are sent in blocks (Put Block, then Put
	// Block List). 8 MiB when zero.
	MaxSinglePut int64
	// BlockSize is the size of those blocks; 8 MiB when zero.
	BlockSize int64
	// Parallelism bounds the blob requests in flight for one asset; 8
	// when zero. Requests carry a file or a block in memory, so memory
	// use is about Parallelism times the larger of the two sizes.
	Parallelism int
	// BlobEndpoint returns the blob service URL of the storage account a
	// datastore names, given the account and the datastore's endpoint
	// suffix ("core.windows.net"). When nil it is
	// PROTOCOL://ACCOUNT.blob.SUFFIX, as the service's CLI builds it; a
	// storage emulator, which takes the account in the path
	// (http://127.0.0.1:10000/devstoreaccount1), needs it set.
	BlobEndpoint func(account, suffix string) string
}

const mib = 1 << 20

func (o UploadOptions) withDefaults() UploadOptions {
	if o.MaxSinglePut <= 0 {
		o.MaxSinglePut = 8 * mib
	}
	if o.BlockSize <= 0 {
		o.BlockSize = 8 * mib
	}
	if o.Parallelism <= 0 {
		o.Parallelism = 8
	}
	return o
}

// The metadata that confirms a finished upload on its first blob, as the
// service's CLI writes and reads it.
const (
	metaStatus    = "upload_status"
	metaCompleted = "completed"
	metaName      = "name"
	metaVersion   = "version"
)

// storageScope is the audience of Entra tokens for storage.
const storageScope = "https://storage.azure.com/"

// blobClientOptions are the options of the clients of blob containers:
// the transport and logging of the service's pipeline, storage's own
// retries.
func (b *Backend) blobClientOptions() *container.ClientOptions {
	return &container.ClientOptions{ClientOptions: policy.ClientOptions{
		Transport:                       b.transport,
		Logging:                         b.logging,
		InsecureAllowCredentialWithHTTP: b.insecure,
	}, Audience: storageScope}
}

// checkBlobURL refuses a container URL that is not HTTPS (unless the
// Backend is insecure): a SAS or a key would travel in clear.
func (b *Backend) checkBlobURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return &backend.Error{Kind: backend.Internal, Message: "the service's storage URL is not a URL"}
	}
	if p.Scheme != "https" && !b.insecure {
		return &backend.Error{Kind: backend.Internal, Message: fmt.Sprintf("the storage URL on %s is not HTTPS (Options.Insecure allows plain HTTP, for tests)", p.Host)}
	}
	return nil
}

// sasContainer is a client of the container a SAS URL grants.
func (b *Backend) sasContainer(sasURL string) (*container.Client, error) {
	if err := b.checkBlobURL(sasURL); err != nil {
		return nil, err
	}
	c, err := container.NewClientWithNoCredential(sasURL, b.blobClientOptions())
	if err != nil {
		return nil, &backend.Error{Kind: backend.Internal, Message: "cannot make a client of the upload container", Err: err}
	}
	return c, nil
}

// datastoreInfo is the default datastore as uploads need it.
type datastoreInfo struct {
	// containerURL is the container's URL, without credentials.
	containerURL string
	client       *container.Client
}

// datastore reads the workspace's default datastore and makes a client of
// its container with the credential the datastore calls for: the account
// key or SAS that listSecrets returns, or, for an identity-based
// datastore (or when listSecrets is refused, as the service's CLI falls
// back), the Backend's own credential.
func (b *Backend) datastore(ctx context.Context) (*datastoreInfo, error) {
	var w datastoreResource
	if _, err := b.getJSON(ctx, b.assetURL("datastores", defaultDatastore), &w); err != nil {
		return nil, err
	}
	p := w.Properties
	if !strings.EqualFold(p.DatastoreType, "AzureBlob") || p.AccountName == "" || p.ContainerName == "" {
		return nil, &backend.Error{Kind: backend.Invalid, Code: "UnsupportedDatastore",
			Message: fmt.Sprintf("datastore %s is of type %q with account %q and container %q; uploads need an AzureBlob datastore", defaultDatastore, p.DatastoreType, p.AccountName, p.ContainerName)}
	}
	u := b.blobEndpoint(p) + "/" + url.PathEscape(p.ContainerName)
	if err := b.checkBlobURL(u); err != nil {
		return nil, err
	}
	c, err := b.datastoreClient(ctx, u, p)
	if err != nil {
		return nil, err
	}
	return &datastoreInfo{containerURL: u, client: c}, nil
}

// blobEndpoint is the blob service URL of a datastore's account.
func (b *Backend) blobEndpoint(p datastoreProperties) string {
	suffix := p.Endpoint
	if suffix == "" {
		suffix = "core.windows.net"
	}
	if b.upload.BlobEndpoint != nil {
		return strings.TrimSuffix(b.upload.BlobEndpoint(p.AccountName, suffix), "/")
	}
	scheme := p.Protocol
	if scheme == "" {
		scheme = "https"
	}
	return scheme + "://" + p.AccountName + ".blob." + suffix
}

// datastoreClient makes the client of a datastore's container.
func (b *Backend) datastoreClient(ctx context.Context, u string, p datastoreProperties) (*container.Client, error) {
	var s datastoreSecrets
	var err error
	if !strings.EqualFold(p.Credentials.CredentialsType, "None") {
		s, err = b.listSecrets(ctx)
		if err != nil && backend.IsRetryable(err) {
			return nil, err
		}
	}
	var c *container.Client
	switch {
	case err == nil && s.SecretsType == "AccountKey" && s.Key != "":
		var cred *container.SharedKeyCredential
		if cred, err = container.NewSharedKeyCredential(p.AccountName, s.Key); err == nil {
			c, err = container.NewClientWithSharedKeyCredential(u, cred, b.blobClientOptions())
		}
	case err == nil && s.SecretsType == "Sas" && s.SASToken != "":
		c, err = container.NewClientWithNoCredential(u+"?"+strings.TrimPrefix(s.SASToken, "?"), b.blobClientOptions())
	default:
		c, err = container.NewClient(u, b.cred, b.blobClientOptions())
	}
	if err != nil {
		// Never the error's text: it may quote the secret.
		return nil, &backend.Error{Kind: backend.Internal, Message: fmt.Sprintf("cannot make a client of datastore %s's container", defaultDatastore)}
	}
	return c, nil
}

// listSecrets asks the service for the default datastore's secrets.
func (b *Backend) listSecrets(ctx context.Context) (datastoreSecrets, error) {
	req, err := b.newRequest(ctx, http.MethodPost, b.assetURL("datastores", defaultDatastore, "listSecrets"), nil)
	if err != nil {
		return datastoreSecrets{}, err
	}
	resp, err := b.do(req, http.StatusOK)
	if err != nil {
		return datastoreSecrets{}, err
	}
	var s datastoreSecrets
	if err := runtime.UnmarshalAsJSON(resp, &s); err != nil {
		return datastoreSecrets{}, &backend.Error{Kind: backend.Internal, Message: "the datastore's secrets are not the JSON expected"}
	}
	return s, nil
}

// uploadToDatastore uploads a model or build context to the default
// datastore's LocalUpload/OBJECTHASH/ folder, or finds it there, and
// returns the datastore and the folder of its files (in the legacy folder
// when a confirmed upload is there).
func (b *Backend) uploadToDatastore(ctx context.Context, a endpoint.LocalAsset, progress func(backend.Progress)) (*datastoreInfo, string, error) {
	ds, err := b.datastore(ctx)
	if err != nil {
		return nil, "", err
	}
	up := b.newUpload(ds.client, a, uploadFolder+"/"+a.Asset.ObjectHash+"/", a.Asset.Name, a.Asset.Version, progress)
	legacy, err := up.run(ctx)
	if err != nil {
		return nil, "", err
	}
	folder := uploadFolderOf(a)
	if legacy {
		folder = legacyUploadFolder + strings.TrimPrefix(folder, uploadFolder)
	}
	return ds, folder, nil
}

// upload sends the files of one local asset to a container.
type upload struct {
	opts     UploadOptions
	c        *container.Client
	a        endpoint.LocalAsset
	prefix   string // "" or LocalUpload/OBJECTHASH/
	meta     map[string]*string
	progress func(backend.Progress)
	tree     *asset.Tree

	mu   sync.Mutex
	done backend.Progress
}

func (b *Backend) newUpload(c *container.Client, a endpoint.LocalAsset, prefix, name, version string, progress func(backend.Progress)) *upload {
	return &upload{
		opts: b.upload, c: c, a: a, prefix: prefix, progress: progress,
		meta: map[string]*string{metaStatus: ptr(metaCompleted), metaName: ptr(name), metaVersion: ptr(version)},
	}
}

func ptr[T any](v T) *T { return &v }

// blobName is where a file of the tree goes: PREFIX/NAME/REL for a
// folder's files, PREFIX/NAME for a single file.
func (u *upload) blobName(f asset.File) string {
	if u.tree.Dir {
		return u.prefix + u.tree.Name() + "/" + f.Rel
	}
	return u.prefix + f.Rel
}

// run uploads the files unless a confirmed upload of them is there. It
// reports whether the confirmed upload found is in the legacy folder.
func (u *upload) run(ctx context.Context) (legacy bool, err error) {
	if err := u.scan(); err != nil {
		return false, err
	}
	indicator := u.indicator()
	found, legacy, err := u.confirmed(ctx, indicator)
	if err != nil || found {
		return legacy, err
	}
	u.done = backend.Progress{TotalFiles: len(u.tree.Files), TotalBytes: u.tree.Size()}
	etag, err := u.sendAll(ctx, indicator)
	if err != nil {
		return false, err
	}
	return false, u.confirm(ctx, indicator, etag)
}

// scan lists the files again and checks that they are still those whose
// identity loading computed: the version must hold the files it is named
// for.
func (u *upload) scan() error {
	t, err := asset.Scan(u.a.Asset.Source)
	if err != nil {
		return &backend.Error{Kind: backend.Invalid, Message: fmt.Sprintf("local %s %q: %v", u.a.Kind, u.a.Path, err)}
	}
	var now, was string
	if u.a.Kind == endpoint.CodeAsset {
		now, err = t.ContentHash()
		was = u.a.Asset.Hash
	} else {
		now, err = asset.ObjectHash(u.a.Asset.Source, asset.MD5)
		was = u.a.Asset.ObjectHash
	}
	switch {
	case err != nil:
		return &backend.Error{Kind: backend.Invalid, Message: fmt.Sprintf("local %s %q: %v", u.a.Kind, u.a.Path, err)}
	case now != was:
		return &backend.Error{Kind: backend.Invalid, Code: "FilesChanged",
			Message: fmt.Sprintf("local %s %q changed since the spec was loaded: plan again", u.a.Kind, u.a.Path)}
	}
	u.tree = t
	return nil
}

// indicator is the blob whose metadata confirms the upload: the single
// file, or the first file of a folder by local path, as the service's CLI
// chooses it.
func (u *upload) indicator() string {
	first := slices.MinFunc(u.tree.Files, func(a, b asset.File) int {
		return strings.Compare(filepath.Join(u.tree.Path, a.Rel), filepath.Join(u.tree.Path, b.Rel))
	})
	return u.blobName(first)
}

// confirmed looks for the confirmation of an upload of these files on the
// indicator, then on its legacy twin.
func (u *upload) confirmed(ctx context.Context, indicator string) (found, legacy bool, err error) {
	names := []string{indicator}
	if strings.HasPrefix(indicator, uploadFolder+"/") {
		names = append(names, legacyUploadFolder+strings.TrimPrefix(indicator, uploadFolder))
	}
	for i, name := range names {
		props, err := u.c.NewBlobClient(name).GetProperties(ctx, nil)
		if bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound) {
			continue
		}
		if err != nil {
			return false, false, blobError("read the properties of", name, err)
		}
		if metaValue(props.Metadata, metaStatus) == metaCompleted {
			return true, i > 0, nil
		}
	}
	return false, false, nil
}

// metaValue reads a metadata value whatever the case of its key (HTTP
// canonicalizes the headers that carry it).
func metaValue(m map[string]*string, key string) string {
	for k, v := range m {
		if strings.EqualFold(k, key) && v != nil {
			return *v
		}
	}
	return ""
}

// sendAll uploads every file, in parallel, overwriting what an
// interrupted upload left, and returns the ETag of the indicator as sent.
func (u *upload) sendAll(ctx context.Context, indicator string) (azcore.ETag, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, u.opts.Parallelism)
	errs := make([]error, len(u.tree.Files))
	etags := make([]azcore.ETag, len(u.tree.Files))
	var wg sync.WaitGroup
	for i, f := range u.tree.Files {
		wg.Go(func() {
			etags[i], errs[i] = u.send(ctx, sem, f)
			if errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	if err := firstError(errs); err != nil {
		return "", err
	}
	for i, f := range u.tree.Files {
		if u.blobName(f) == indicator {
			return etags[i], nil
		}
	}
	return "", nil
}

// firstError is the first error that is not a cancellation caused by
// another one, or the first error.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return errors.Join(errs...)
}

// send uploads one file: in one request when it is small, else in blocks
// staged in parallel and committed in order.
func (u *upload) send(ctx context.Context, sem chan struct{}, f asset.File) (azcore.ETag, error) {
	name := u.blobName(f)
	bb := u.c.NewBlockBlobClient(name)
	fh, err := os.Open(f.Source)
	if err != nil {
		return "", &backend.Error{Kind: backend.Invalid, Message: fmt.Sprintf("local %s %q: %v", u.a.Kind, u.a.Path, err)}
	}
	defer fh.Close()
	if f.Size <= u.opts.MaxSinglePut {
		return u.putBlob(ctx, sem, bb, fh, f)
	}
	return u.putBlocks(ctx, sem, bb, fh, f)
}

func (u *upload) putBlob(ctx context.Context, sem chan struct{}, bb *blockblob.Client, fh *os.File, f asset.File) (azcore.ETag, error) {
	data, sum, err := readChunk(fh, 0, f.Size)
	if err != nil {
		return "", u.readError(err)
	}
	if err := acquire(ctx, sem); err != nil {
		return "", err
	}
	defer func() { <-sem }()
	resp, err := bb.Upload(ctx, streaming.NopCloser(bytes.NewReader(data)), &blockblob.UploadOptions{
		TransactionalValidation: blob.TransferValidationTypeMD5(sum),
	})
	if err != nil {
		return "", blobError("upload", bb.URL(), err)
	}
	u.report(1, int64(len(data)))
	return etagOf(resp.ETag), nil
}

func (u *upload) putBlocks(ctx context.Context, sem chan struct{}, bb *blockblob.Client, fh *os.File, f asset.File) (azcore.ETag, error) {
	n := int((f.Size + u.opts.BlockSize - 1) / u.opts.BlockSize)
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		ids[i] = base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "block-%08d", i))
		wg.Go(func() {
			errs[i] = u.stageBlock(ctx, sem, bb, fh, ids[i], int64(i)*u.opts.BlockSize, min(u.opts.BlockSize, f.Size-int64(i)*u.opts.BlockSize))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	if err := acquire(ctx, sem); err != nil {
		return "", err
	}
	defer func() { <-sem }()
	resp, err := bb.CommitBlockList(ctx, ids, nil)
	if err != nil {
		return "", blobError("commit the blocks of", bb.URL(), err)
	}
	u.report(1, 0)
	return etagOf(resp.ETag), nil
}

func (u *upload) stageBlock(ctx context.Context, sem chan struct{}, bb *blockblob.Client, fh *os.File, id string, off, size int64) error {
	if err := acquire(ctx, sem); err != nil {
		return err
	}
	defer func() { <-sem }()
	data, sum, err := readChunk(fh, off, size)
	if err != nil {
		return u.readError(err)
	}
	if _, err := bb.StageBlock(ctx, id, streaming.NopCloser(bytes.NewReader(data)), &blockblob.StageBlockOptions{
		TransactionalValidation: blob.TransferValidationTypeMD5(sum),
	}); err != nil {
		return blobError("upload a block of", bb.URL(), err)
	}
	u.report(0, size)
	return nil
}

// readChunk reads size bytes at off and their MD5, which the service
// checks (Content-MD5), so that a file that changes under the upload
// cannot reach the service torn.
func readChunk(fh *os.File, off, size int64) ([]byte, []byte, error) {
	data := make([]byte, size)
	if _, err := io.ReadFull(io.NewSectionReader(fh, off, size), data); err != nil {
		return nil, nil, err
	}
	sum := md5.Sum(data)
	return data, sum[:], nil
}

func (u *upload) readError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &backend.Error{Kind: backend.Invalid, Code: "FilesChanged",
			Message: fmt.Sprintf("local %s %q changed while it was uploaded: plan again", u.a.Kind, u.a.Path)}
	}
	return &backend.Error{Kind: backend.Invalid, Message: fmt.Sprintf("local %s %q: %v", u.a.Kind, u.a.Path, err)}
}

// report adds to the progress and reports it.
func (u *upload) report(files int, bytes int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.done.Files += files
	u.done.Bytes += bytes
	if u.progress != nil {
		u.progress(u.done)
	}
}

// confirm marks the upload finished with metadata on the indicator, only
// if the indicator is the blob this upload wrote (If-Match): a blob
// replaced meanwhile is confirmed by whoever replaced it, and this upload
// is finished when that confirmation is there.
func (u *upload) confirm(ctx context.Context, indicator string, etag azcore.ETag) error {
	var cond *blob.AccessConditions
	if etag != "" {
		cond = &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: &etag}}
	}
	_, err := u.c.NewBlobClient(indicator).SetMetadata(ctx, u.meta, &blob.SetMetadataOptions{AccessConditions: cond})
	if bloberror.HasCode(err, bloberror.ConditionNotMet) {
		// Another upload of the same files may have finished first.
		if found, _, ferr := u.confirmed(ctx, indicator); ferr == nil && found {
			return nil
		}
		return &backend.Error{Kind: backend.Conflict, Code: "UploadRaced",
			Message: fmt.Sprintf("%s was written by another upload while this one ran; registering again finds or finishes it", indicator)}
	}
	if err != nil {
		return blobError("confirm the upload on", indicator, err)
	}
	return nil
}

func etagOf(e *azcore.ETag) azcore.ETag {
	if e == nil {
		return ""
	}
	return *e
}

func acquire(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// blobError maps a failed blob request to a [*backend.Error] that names
// the blob (never with its URL's query, which may hold a SAS).
func blobError(what, blobURL string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	name := blobURL
	if p, perr := url.Parse(blobURL); perr == nil && p.Host != "" {
		p.RawQuery = ""
		name = p.String()
	}
	e, ok := mapError(err).(*backend.Error)
	if !ok {
		return err
	}
	e.Message = fmt.Sprintf("cannot %s %s: %s", what, name, strings.TrimSpace(e.Code+" "+e.Message))
	e.Err = nil
	return e
}
