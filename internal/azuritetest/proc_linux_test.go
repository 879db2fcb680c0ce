//go:build linux

package azuritetest

import (
	"bufio"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const orphanEnv = "AZURITETEST_ORPHAN"

// TestOrphanHelper is run by TestDiesWithTheTest in a child test binary:
// it starts Azurite, says its pid, and exits without the cleanups, as a
// binary killed by a test timeout does.
func TestOrphanHelper(t *testing.T) {
	if os.Getenv(orphanEnv) != "1" {
		t.Skip("run by TestDiesWithTheTest")
	}
	bin, err := Find()
	if err != nil {
		t.Skip(err)
	}
	p, err := start(bin, t.TempDir(), &http.Client{})
	if err != nil {
		t.Fatal(err)
	}
	println("azurite-pid", p.cmd.Process.Pid)
	os.Exit(0)
}

// TestDiesWithTheTest: an Azurite whose test binary dies without stopping
// it does not live on.
func TestDiesWithTheTest(t *testing.T) {
	if _, err := Find(); err != nil {
		absent(t, err)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestOrphanHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), orphanEnv+"=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := 0
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if f, ok := strings.CutPrefix(sc.Text(), "azurite-pid "); ok {
			pid, _ = strconv.Atoi(f)
		}
	}
	_ = cmd.Wait()
	if pid == 0 {
		t.Fatal("the helper did not start Azurite")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) || zombie(pid) {
			return
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("Azurite (pid %d) outlived its test binary: %v", pid, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// zombie reports whether a process has died and waits to be reaped: an
// init that does not reap leaves it in the process table.
func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command, which is in parentheses.
	_, rest, ok := strings.Cut(string(b), ") ")
	return ok && strings.HasPrefix(rest, "Z")
}
