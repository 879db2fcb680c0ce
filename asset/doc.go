// Package asset computes what the service's CLI computes about local files
// before it uploads them: which files an asset is made of (ignore files
// included), the content hash by which the service finds a code version
// with the same content, the object hash that names datastore uploads and
// anonymous models, and the version of an anonymous environment.
//
// It follows the official Python SDK behind `az ml` (azure-ai-ml), so that
// assets registered by this module and by the CLI are found by each other:
//
//   - [Scan] lists an asset's files. A folder's files are its regular files
//     at any depth, links followed, minus those excluded by the root
//     folder's .amlignore, or .gitignore when there is no .amlignore
//     ([ReadIgnore]). An empty folder is an error ([ErrEmpty]).
//   - [Tree.ContentHash] is the SHA-256 content hash, hash version
//     [ContentHashVersion] (202208), that the service stores in a code
//     version's hash_sha256 property and searches by.
//   - [ObjectHash] and [AnonymousModelName] name LocalUpload/<hash>/
//     folders and models registered without a name. Every released SDK
//     read uses MD5 here; [SHA256] is the variant of a newer source.
//   - [AnonymousEnvironmentVersion] is the version of the anonymous
//     environment CliV2AnonymousEnvironment that an inline image and conda
//     file become.
//
// Decisions where the SDK is unclear or changed between releases are
// written beside the code they concern: the order of ignore patterns
// ([Ignore]), ties in the sort order ([SortFiles]), links ([Scan]), and
// the object hash algorithm ([Algorithm]).
package asset
