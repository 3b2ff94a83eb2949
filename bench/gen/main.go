// Command gen writes the git repository that the planner benchmark
// (bench/plan/run.sh) plans against: many functions sharing a few libraries,
// a lambdas.hcl that lists them all, and a long history of small commits.
//
//	go run ./bench/gen -out DIR -functions 500 -files 20000 -commits 2000 [-seed 1]
//
// The history is streamed into `git fast-import` and the work tree is then
// checked out, so that generation takes seconds. The same flags give the same
// repository, commit hashes included. Beside the repository, in DIR/.bench/
// (ignored by the repository's .gitignore), it writes dependents.json, the map
// from each library folder to the sorted labels of the functions that
// package it (through a symlink or a bundle), and meta.json, the figures of the run.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

func run(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	var opts Options
	fs.StringVar(&opts.Out, "out", "", "folder of the new repository (must not exist, or be empty)")
	fs.IntVar(&opts.Functions, "functions", 500, "number of functions")
	fs.IntVar(&opts.Libs, "libs", 10, "number of shared libraries")
	fs.IntVar(&opts.Files, "files", 20000, "number of files in the first commit")
	fs.IntVar(&opts.Commits, "commits", 2000, "number of commits after the first one")
	fs.Uint64Var(&opts.Seed, "seed", 1, "seed of the pseudo-random choices")
	quiet := fs.Bool("q", false, "print nothing but errors")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if opts.Out == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gen -out DIR [-functions N] [-libs N] [-files N] [-commits N] [-seed N]")
		return 2
	}
	st, err := Generate(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		return 1
	}
	if !*quiet {
		fmt.Print(st.Summary())
	}
	return 0
}
