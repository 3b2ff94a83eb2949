// Command lambdas releases AWS Lambda functions from a git monorepo.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/lambdas-dev/lambdas/cmd/lambdas/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal asks the command to stop cleanly (apply lets the calls
	// under way finish and records them); from then on the default handling
	// is back, so a second Ctrl-C ends the process at once — the state file
	// is written atomically and a rerun resumes, as after a crash.
	context.AfterFunc(ctx, stop)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
