// Package azuritetest runs Azurite, Microsoft's storage emulator, for
// tests that need a real blob service: [Start] starts its blob service
// (azurite-blob) on a free loopback port with its data in the test's
// temporary folder, waits until it answers, and stops it when the test
// ends.
//
// Azurite is an npm package (azurite 3.37.0), found on PATH or where
// .ci/run installs it (.ci/azurite under the module root). Without it the
// tests that need it are skipped, so that a bare go test ./... passes;
// with ROLLOUT_REQUIRE_AZURITE=1, as CI sets it, they fail instead.
//
// Azurite serves the well-known development account [Account] with its
// [Key], with path-style URLs: http://127.0.0.1:PORT/devstoreaccount1/CONTAINER/BLOB.
//
// [StartOAuth] starts one that also takes bearer tokens, as a storage
// account behind an identity-based datastore takes Entra tokens: it serves
// HTTPS with a certificate made for the test ([Blob.HTTPClient] trusts
// it), and [Credential] makes tokens it accepts.
package azuritetest
