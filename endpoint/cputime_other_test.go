//go:build !linux

package endpoint

import "time"

// threadCPU is unknown here: the benchmarks that use it report wall time
// only.
func threadCPU() time.Duration { return 0 }
