package plan_test

import (
	"bytes"
	"testing"

	"pgregory.net/rapid"
)

// FuzzCompute runs the safety property of TestPropSafe on inputs from the
// fuzzer: rapid reads the bytes as its random choices, so coverage guidance
// steers which (desired, actual) pairs are generated. Inputs that run out
// of bytes before a pair is complete are skipped.
func FuzzCompute(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0x01}, 64))
	f.Add(bytes.Repeat([]byte{0x7f, 0x00, 0xff, 0x10}, 128))
	f.Add(bytes.Repeat([]byte{0xff}, 512))
	f.Fuzz(rapid.MakeFuzz(propSafe))
}
