//go:build !linux

package azuritetest

import "os/exec"

// dieWithTest does nothing where the kernel cannot tie a child's life to
// its parent's: Azurite outlives a test binary that is killed.
func dieWithTest(*exec.Cmd) {}
