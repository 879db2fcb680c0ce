package cputime

import (
	"syscall"
	"time"
)

// Thread is the CPU time the calling thread has used, or 0 where it is
// unknown. Callers lock the goroutine to its thread.
func Thread() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
