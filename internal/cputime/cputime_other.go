//go:build !linux

package cputime

import "time"

// Thread is unknown here: benchmarks that use it report wall time only.
func Thread() time.Duration { return 0 }

// Process is unknown here: benchmarks that use it report wall time only.
func Process() time.Duration { return 0 }
