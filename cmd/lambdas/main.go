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
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
