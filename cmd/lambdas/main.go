// Command lambdas releases AWS Lambda functions from a git monorepo.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"

	"github.com/lambdas-dev/lambdas/cmd/lambdas/internal/cli"
)

func main() {
	// A run is short and its heap small (a plan of 500 functions peaks
	// under 100 MB): collecting half as often saves a tenth of a plan's
	// time. GOGC in the environment still decides when set.
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(200)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// LAMBDAS_CPUPROFILE=FILE writes a CPU profile of the run (for the
	// benchmarks in bench/; see BENCHMARKS.md).
	if path := os.Getenv("LAMBDAS_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			defer f.Close()
			defer pprof.StopCPUProfile()
		} else {
			fmt.Fprintf(os.Stderr, "LAMBDAS_CPUPROFILE: cannot profile to %s\n", path)
		}
	}
	// The first signal asks the command to stop cleanly (apply lets the calls
	// under way finish and records them); from then on the default handling
	// is back, so a second Ctrl-C ends the process at once — the state file
	// is written atomically and a rerun resumes, as after a crash.
	context.AfterFunc(ctx, stop)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if code != 0 {
		pprof.StopCPUProfile()
		os.Exit(code)
	}
}
