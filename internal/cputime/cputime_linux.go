package cputime

import (
	"syscall"
	"time"
)

// Thread is the CPU time the calling thread has used, or 0 where it is
// unknown. Callers lock the goroutine to its thread.
func Thread() time.Duration { return usage(syscall.RUSAGE_THREAD) }

// Process is the CPU time all threads of the process have used, or 0
// where it is unknown: the cost of work spread over goroutines, the
// runtime's own (the collector, the scheduler) included.
func Process() time.Duration { return usage(syscall.RUSAGE_SELF) }

func usage(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
