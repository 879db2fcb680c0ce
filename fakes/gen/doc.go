// Package gen holds [rapid] generators of endpoint specs and service
// states, for property tests of planners and executors: valid desired
// endpoints ([Endpoint], [Endpoints], [Deployment], [Name]), actual states
// as the service reports them, with server defaults written out,
// provisioning states and ETags ([Actual]), and (desired, actual) pairs in
// which the desired state is the actual one after a few realistic edits,
// written the way users write specs ([Pairs], [SettledPairs]). [Settled]
// tells whether a state has anything failed or in flight, and
// [Provisioned] turns a desired state into the actual state the service
// would report once it is applied.
//
// The generators live in a package of their own because importing rapid
// registers its -rapid.* command-line flags: programs that use the fake
// service do not import this package and do not get those flags.
//
// # Validity
//
// Every generated endpoint passes endpoint.Validate: names of 3 to 32
// characters in the service's pattern, distinct ignoring case; live
// traffic summing to 100 or 0 over existing deployments; at most one
// mirror deployment at no more than 50 percent, never one with live
// traffic, only on managed endpoints that serve; deployments of the
// endpoint's kind. Values come from small sets (a few instance types,
// model versions, environment names), so that edits often change an
// immutable field and names repeat across endpoints as they do in real
// fleets. Environment variables include names that look secret (API_KEY,
// DB_PASSWORD); their values come from [SecretValue] and start with
// "s3cr3t-", which no other generated value contains, so a test can search
// any output for a leak.
//
// # Shrinking
//
// Generators draw sizes first and details after, so rapid shrinks a
// failing case towards fewer endpoints, fewer deployments and fewer edits.
// Properties that use them should be deterministic and single-goroutine, or
// shrinking becomes unreliable.
package gen
