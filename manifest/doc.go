// Package manifest loads, evaluates and validates lambdas.hcl, the one file
// that lists the functions of a monorepo and how each is released.
//
// It knows nothing of git or AWS: Load turns HCL into a validated Manifest,
// or into Diagnostics that point at file:line:column with a hint, and it
// reports every problem it can find in one go, so that a user fixes a
// manifest in one round instead of one error per run.
//
// Loading happens in phases: a size and nesting check of the raw bytes
// (at most 1 MiB, and 256 levels of brackets, template sequences and
// chained operators: hcl's recursive parser would otherwise run out of
// stack on a hostile file, killing the process), parse (a syntax error
// stops there), decode the block structure with gohcl, work out variables
// (default < LAMBDAS_VAR_x < var files < --var; every var file gets the
// same size and nesting check) and locals (in dependency order), then
// evaluate each function with the defaults block merged under it and
// check every value.
// Paths are resolved relative to the manifest folder and must stay inside
// the repository root, also through symbolic links, and out of git's own
// folder .git.
//
// # What a function's zip holds
//
// Without a build block the source folder is zipped; with one, the
// build's output is (a build block in a function replaces the one in
// defaults as a whole):
//
//	build { preset = "go" }          // go build into bootstrap; runtime provided.al2023 or provided.al2
//	build { preset = "esbuild" }     // bundles the handler's file (index.handler: index.ts, .tsx, .mts, .cts, .js, .mjs, .cjs, .jsx); a nodejs runtime
//	build {
//	  command = "make dist"          // any other build, run in the source folder
//	  output  = "dist"               // the folder, relative to source, whose files are zipped
//	  timeout = "10m"                // optional for every build: above 0, at most 2h, default 10m
//	}
//
// Bundle blocks add shared code from elsewhere in the repository, without
// symbolic links; there may be several, in a function and in defaults:
//
//	bundle {
//	  from = "libs/pyshared/pyshared" // a file or folder, relative to the manifest folder
//	  to   = "pyshared"               // its path in the zip
//	}
//
// The defaults block's bundles come first and a function's own add to
// them; default_bundles = false in a function leaves the defaults' out. No
// two bundles share a path of the zip (nor is one inside another), none
// lands on a path the source folder has (when there is no build) or a
// preset builds, and none comes from inside the function's own source.
//
// include and exclude choose among the files of the source folder, or of
// the build's output when there is a build (the patterns are relative to
// it); a bundle adds what git sees in its from, whole.
//
// A local state file, and its lock file beside it, must not be inside
// what a function packages (its source folder or a bundle), unless the
// path goes through a folder named .lambdas: the packager never packages
// .lambdas (nor .git), so the default .lambdas/state.json is fine even
// with source = ".".
//
// # Rate limits
//
// project.api_rate_limit (default 15) paces every Lambda control-plane
// call except GetFunction, GetPolicy and Invoke, all workers together: AWS
// counts them, reads included, against one quota of 15 per second per
// account and Region. project.get_function_rate_limit (default 100) paces
// GetFunction, which has a quota of its own (100 per second). Both are
// calls per second, above 0 and at most 10000.
package manifest
