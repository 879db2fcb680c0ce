package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests in this file run the command as users do: the binary built
// from this package, with its own standard streams. Terminal cases get a
// pseudo-terminal (pty_test.go).

var binary struct {
	once sync.Once
	path string
	err  error
	dir  string
}

// rolloutBinary builds the command once per test run.
func rolloutBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		binary.dir, binary.err = os.MkdirTemp("", "rollout-bin-")
		if binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "rollout")
		out, err := exec.Command("go", "build", "-o", binary.path, ".").CombinedOutput()
		if err != nil {
			binary.err = &buildError{err, string(out)}
		}
	})
	if binary.err != nil {
		t.Fatalf("building the command: %v", binary.err)
	}
	return binary.path
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// output collects what a process writes and tells when a text has
// appeared, so that a test answers a question only once it was asked.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// await waits until the output contains s.
func (o *output) await(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(o.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %q; the output so far:\n%s", s, o.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// process is one run of the binary.
type process struct {
	cmd            *exec.Cmd
	stdout, stderr *output
}

// start starts the binary with args and stdin (nil is /dev/null, which
// is not a terminal although it is a character device).
func start(t *testing.T, stdin *os.File, env []string, args ...string) *process {
	t.Helper()
	return startTo(t, stdin, nil, env, args...)
}

// startTo is start with stdout on a file (a terminal), when not nil.
func startTo(t *testing.T, stdin, stdout *os.File, env []string, args ...string) *process {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	t.Cleanup(cancel)
	p := &process{cmd: exec.CommandContext(ctx, rolloutBinary(t), args...), stdout: new(output), stderr: new(output)}
	p.cmd.Env = append(os.Environ(), env...)
	if stdin != nil {
		p.cmd.Stdin = stdin
	}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if stdout != nil {
		p.cmd.Stdout = stdout
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return p
}

// wait waits for the process to exit and returns its status.
func (p *process) wait(t *testing.T) int {
	t.Helper()
	err := p.cmd.Wait()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return p.cmd.ProcessState.ExitCode()
}

// TestDevNullIsNoTerminal: /dev/null is a character device but nobody
// answers on it. Approval gates must be refused before anything is sent,
// as with a pipe, rather than move live traffic and then fail.
func TestDevNullIsNoTerminal(t *testing.T) {
	needCorpus(t)
	tests := []struct {
		name   string
		args   []string
		reason string
	}{
		{"gate", []string{"--auto-approve"},
			"--auto-approve confirms the plan; the approval gate has nobody to ask"},
		{"confirm", nil,
			"without --auto-approve, nobody confirms the plan either"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"apply", "--strategy", "canary:10:approval", "--from", flow("3-create-green"), "--to", flow("5-full-green")}, fast...)
			p := start(t, nil, nil, append(args, tt.args...)...)
			if code := p.wait(t); code != exitError {
				t.Errorf("exit status %d, want 1 (%s)\nstdout:\n%s\nstderr:\n%s", code, tt.reason, p.stdout, p.stderr)
			}
			if strings.Contains(p.stdout.String(), "step started") {
				t.Errorf("a step started (%s):\n%s", tt.reason, p.stdout)
			}
			if !strings.Contains(p.stderr.String(), "nothing was changed") {
				t.Errorf("stderr does not say that nothing was changed (%s):\n%s", tt.reason, p.stderr)
			}
		})
	}
}

// TestInterrupt stops an apply with an interrupt, as Ctrl-C does, and with
// SIGTERM, as a CI runner cancelling a job or Kubernetes stopping a pod
// does: the message says what was done, once prefixed.
func TestInterrupt(t *testing.T) {
	needCorpus(t)
	for _, tc := range []struct {
		sig    os.Signal
		reason string
	}{
		{os.Interrupt, "Ctrl-C on a terminal"},
		{syscall.SIGTERM, "a pipeline cancelled, or a pod stopped: the same safe stop, not a death mid-write"},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			p := start(t, nil, nil, "apply", "--auto-approve", "--speed", "1", "--to", flow("1-create-endpoint-with-blue"))
			p.stdout.await(t, "step started")
			if err := p.cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			if code := p.wait(t); code != exitError {
				t.Errorf("exit status %d, want 1 (%s)", code, tc.reason)
			}
			stderr := p.stderr.String()
			if strings.Contains(stderr, "rollout: rollout:") || strings.Contains(stderr, "apply: rollout:") {
				t.Errorf("doubled prefix:\n%s", stderr)
			}
			if !strings.Contains(stderr, "\nrollout apply: stopped after ") {
				t.Errorf("stderr does not say, after the command's name, that the apply stopped (%s):\n%s", tc.reason, stderr)
			}
		})
	}
}

// TestVersion: --version names the module version from the build
// information and the Go version, on stdout.
func TestVersion(t *testing.T) {
	for _, arg := range []string{"--version", "version"} {
		p := start(t, nil, nil, arg)
		if code := p.wait(t); code != 0 {
			t.Errorf("%s: exit status %d, stderr:\n%s", arg, code, p.stderr)
		}
		fields := strings.Fields(p.stdout.String())
		if len(fields) != 3 || fields[0] != "rollout" || fields[1] == "(unknown)" || !strings.HasPrefix(fields[2], "go1.") {
			t.Errorf("%s printed %q, want rollout VERSION GOVERSION", arg, p.stdout)
		}
	}
}
