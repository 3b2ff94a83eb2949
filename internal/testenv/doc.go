// Package testenv is the shared test harness of the project: an AWS emulator
// (moto_server) that tests start on demand, an aws.Config pointed at it, a few
// fixtures (IAM role, S3 bucket), and FaultProxy, a reverse proxy put between
// the code under test and moto that injects what moto does not simulate:
// errors of any kind, latency, Lambda's API quotas (a 429 ceiling per quota
// bucket: the shared control plane, GetFunction, GetPolicy), the
// Pending/InProgress window after an update with its 409 conflicts, Pending
// new versions, and the checks AWS makes and moto skips (CodeSha256 on
// PublishVersion, RevisionIds, alias routing weights, no-op publishes). It
// also records and counts every request, per bucket and per operation, so
// tests and benchmarks can assert on what the tool did.
//
// One moto_server is shared by all tests of a test binary (started lazily by
// StartMoto); tests isolate themselves with unique resource names or call
// Moto.Reset when they run alone. See README.md in this folder for usage and
// for the moto quirks that the apply code must know about.
package testenv
