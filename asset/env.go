package asset

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
)

// AnonymousEnvironmentName is the name of every environment that the
// service's CLI registers from an inline definition (an image, a conda file,
// a build context) without a name.
const AnonymousEnvironmentName = "CliV2AnonymousEnvironment"

// AnonymousEnvironmentVersion returns the version the service's CLI gives an
// anonymous environment made of an image and, optionally, a conda file.
// condaText is the conda file as the CLI sends it ([CondaText]), "" for
// none. The CLI builds it from MD5 hex digests f(x):
//
//	s := f(image)
//	if conda file: s = interleave(f(condaText), s)   // s between each pair of characters
//	version := f(s)
//
// The quirk of interleaving comes from Python's str.join, and is kept so
// that the versions agree with the CLI's.
func AnonymousEnvironmentVersion(image, condaText string) string {
	s := md5Hex(image)
	if condaText != "" {
		s = interleave(md5Hex(condaText), s)
	}
	return md5Hex(s)
}

// AnonymousBuildVersion is [AnonymousEnvironmentVersion] for an environment
// built from a build context: objectHash is the context folder's
// [ObjectHash], dockerfile the dockerfile_path written in the spec ("" for
// none).
func AnonymousBuildVersion(objectHash, dockerfile string) string {
	s := md5Hex(objectHash)
	if dockerfile != "" {
		s = interleave(md5Hex(dockerfile), s)
	}
	return md5Hex(s)
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// interleave returns the characters of x with sep between each adjacent
// pair: Python's sep.join(x).
func interleave(x, sep string) string {
	var b strings.Builder
	b.Grow(len(x) + (len(x)-1)*len(sep))
	for i, r := range x {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	return b.String()
}
