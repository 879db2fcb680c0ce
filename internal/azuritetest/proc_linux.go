//go:build linux

package azuritetest

import (
	"os/exec"
	"syscall"
)

// dieWithTest has the kernel kill Azurite when the test binary dies
// without stopping it: go test's -timeout kills the binary, and no
// cleanup runs then.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
