// Package manifest loads, evaluates and validates lambdas.hcl, the one file
// that lists the functions of a monorepo and how each is released.
//
// It knows nothing of git or AWS: Load turns HCL into a validated Manifest,
// or into Diagnostics that point at file:line:column with a hint, and it
// reports every problem it can find in one go, so that a user fixes a
// manifest in one round instead of one error per run.
//
// Loading happens in phases: parse (a syntax error stops there), decode the
// block structure with gohcl, work out variables (default < LAMBDAS_VAR_x <
// var files < --var) and locals (in dependency order), then evaluate each
// function with the defaults block merged under it and check every value.
// Paths are resolved relative to the manifest folder and must stay inside
// the repository root, also through symbolic links.
package manifest
