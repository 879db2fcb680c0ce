package azuritetest

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
)

// Account and Key are Azurite's well-known development account, which
// every Azurite accepts (its documentation publishes them).
const (
	Account = "devstoreaccount1"
	Key     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// RequireEnv is the environment variable that makes a missing Azurite a
// test failure instead of a skip when it is "1". CI sets it.
const RequireEnv = "ROLLOUT_REQUIRE_AZURITE"

// Binary is the name of Azurite's blob-only command.
const Binary = "azurite-blob"

// localBin is where .ci/run installs Azurite, relative to the module root.
var localBin = filepath.Join(".ci", "azurite", "node_modules", ".bin", Binary)

// startTimeout bounds how long Azurite may take to listen: Node starts in
// a few seconds, but these tests share two cores with everything else.
const startTimeout = 90 * time.Second

// Blob is a running Azurite blob service.
type Blob struct {
	// Endpoint is the account's blob endpoint, path-style (Azurite takes
	// the account from the first path segment):
	// http://127.0.0.1:PORT/devstoreaccount1, without a trailing slash
	// (https:// when started by [StartOAuth]).
	Endpoint string
	// Dir is where this Azurite keeps its blobs.
	Dir string
	// HTTPClient reaches the service: over HTTPS it trusts the
	// certificate made for it, and nothing else.
	HTTPClient *http.Client
}

// Start starts azurite-blob on a free loopback port, keeping its data in a
// temporary folder, waits until it answers, and stops it when the test
// ends. It skips the test when Azurite is not installed, or fails it when
// [RequireEnv] is "1".
func Start(t testing.TB) *Blob {
	t.Helper()
	return run(t, false)
}

// StartOAuth starts Azurite as [Start] does, serving HTTPS with a
// certificate made for the test and accepting bearer tokens besides
// shared keys and SAS: the blob service of an identity-based datastore.
// Azurite's OAuth (level basic) checks a token's issuer, audience and
// lifetime but not its signature; [Credential] makes such tokens. Its
// clients must use [Blob.HTTPClient].
func StartOAuth(t testing.TB) *Blob {
	t.Helper()
	return run(t, true)
}

func run(t testing.TB, oauth bool) *Blob {
	t.Helper()
	bin, err := Find()
	if err != nil {
		absent(t, err)
		return nil
	}
	dir := t.TempDir()
	b := &Blob{Dir: dir, HTTPClient: &http.Client{}}
	var args []string
	if oauth {
		certFile, keyFile, pool, err := makeCert(dir)
		if err != nil {
			t.Fatalf("azuritetest: %v", err)
		}
		args = []string{"--cert", certFile, "--key", keyFile, "--oauth", "basic"}
		b.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	}
	p, err := start(bin, dir, b.HTTPClient, args...)
	if err != nil {
		t.Fatalf("azuritetest: %v", err)
	}
	t.Cleanup(p.stop)
	b.Endpoint = p.url + "/" + Account
	return b
}

// absent ends a test that has no Azurite: a skip, or a failure when CI
// requires Azurite.
func absent(t testing.TB, err error) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("azuritetest: %v (%s=1 requires it)", err, RequireEnv)
		return
	}
	t.Skipf("azuritetest: %v; skipping the tests that need a blob service", err)
}

// Find returns the path of azurite-blob: on PATH, or where .ci/run
// installs it (.ci/azurite under the module root, found by walking up
// from the working directory).
func Find() (string, error) {
	if p, err := exec.LookPath(Binary); err == nil {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, localBin)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", fmt.Errorf("%s is neither on PATH nor in %s above the working directory (install it with: npm install --prefix .ci/azurite azurite@3.37.0)", Binary, filepath.Dir(filepath.Dir(filepath.Dir(localBin))))
}

// process is a started Azurite.
type process struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
	out  *tail
}

// listening is the line Azurite prints once its port is open.
var listening = regexp.MustCompile(`listens on (https?://127\.0\.0\.1:\d+)`)

// start runs Azurite with port 0, so the kernel picks a free port and no
// other process can take it between a probe and the start, and reads the
// port from the line Azurite prints.
func start(bin, dir string, client *http.Client, args ...string) (*process, error) {
	cmd := exec.Command(bin, append([]string{
		"--blobHost", "127.0.0.1", "--blobPort", "0", "--location", dir,
		// The Go SDK may send an x-ms-version newer than the emulator
		// knows; --loose accepts headers it does not implement.
		"--skipApiVersionCheck", "--loose", "--disableTelemetry", "--silent"}, args...)...)
	cmd.Dir = dir
	dieWithTest(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	out := &tail{}
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{}), out: out}
	found := make(chan string, 1)
	go p.read(stdout, found)
	go func() { _ = cmd.Wait(); close(p.done) }()
	select {
	case p.url = <-found:
	case <-p.done:
		return nil, fmt.Errorf("%s exited before it listened: %s", bin, out)
	case <-time.After(startTimeout):
		p.stop()
		return nil, fmt.Errorf("%s did not listen within %s: %s", bin, startTimeout, out)
	}
	if err := p.ready(client); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// read copies Azurite's output into the tail and reports the URL it
// listens on.
func (p *process) read(r io.Reader, found chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		_, _ = p.out.Write([]byte(line + "\n"))
		if m := listening.FindStringSubmatch(line); m != nil {
			select {
			case found <- m[1]:
			default:
			}
		}
	}
}

// ready waits until the service answers HTTP: any answer will do, since an
// anonymous request is refused.
func (p *process) ready(client *http.Client) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.url+"/"+Account+"?comp=list", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("azurite at %s does not answer: %v: %s", p.url, err, p.out)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop asks Azurite to shut down and kills it if it does not.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// tail keeps the last few kilobytes written to it, for error messages.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 4 << 10

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > tailSize {
		t.buf = t.buf[len(t.buf)-tailSize:]
	}
	return len(b), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.buf))
	if s == "" {
		return "(no output)"
	}
	return s
}

// Client returns a client of the account, authorized with its shared key.
func (b *Blob) Client(t testing.TB) *azblob.Client {
	t.Helper()
	cred, err := azblob.NewSharedKeyCredential(Account, Key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := azblob.NewClientWithSharedKeyCredential(b.Endpoint+"/", cred, b.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ClientOptions are the options of azblob clients of the service: its
// HTTPClient as their transport.
func (b *Blob) ClientOptions() *azblob.ClientOptions {
	o := &azblob.ClientOptions{}
	o.Transport = b.HTTPClient
	return o
}

// CreateContainer creates a container, as the service creates the ones
// it hands out; one that exists already is fine.
func (b *Blob) CreateContainer(t testing.TB, name string) {
	t.Helper()
	_, err := b.Client(t).CreateContainer(context.Background(), name, nil)
	if err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		t.Fatalf("azuritetest: creating container %s: %v", name, err)
	}
}
