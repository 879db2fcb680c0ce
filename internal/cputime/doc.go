// Package cputime measures the CPU time of the calling thread, for
// benchmarks on machines shared with other work: wall time counts the
// time others held the CPU, and thread CPU time does not.
package cputime
