package endpoint

import (
	"syscall"
	"time"
)

// threadCPU is the CPU time the calling thread has used: on a machine
// shared with other work, a benchmark's wall time counts the time others
// held the CPU, and this does not. Callers lock the goroutine to its
// thread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
