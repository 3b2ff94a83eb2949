// Command faultproxy runs a testenv.FaultProxy between a client (the lambdas
// CLI in benchmarks) and moto:
//
//	faultproxy -target http://127.0.0.1:5000 -latency 50ms -mutating-rps 15 -inprogress-polls 2
//
// The first line on stdout is the proxy's URL (use it as AWS_ENDPOINT_URL).
// On SIGINT or SIGTERM it prints its counts to stderr as one JSON object and
// exits 0.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/lambdas-dev/lambdas/internal/testenv"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run serves until ctx ends (the signal), then reports.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("faultproxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on (host:port)")
	target := fs.String("target", "", "URL of the emulator to forward to, e.g. http://127.0.0.1:5000 (required)")
	latency := fs.Duration("latency", 0, "latency added to every request, e.g. 50ms")
	rps := fs.Float64("mutating-rps", 0, "ceiling on mutating Lambda requests per second, all clients together (0 = none)")
	polls := fs.Int("inprogress-polls", 0, "GetFunction polls that report Pending/InProgress after each create or update (0 = none)")
	strict := fs.Bool("strict", false, "refuse what AWS refuses and moto accepts (CodeSha256 on PublishVersion, alias weights)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *target == "" {
		fmt.Fprintln(stderr, "faultproxy: -target is required")
		fs.Usage()
		return 2
	}
	p, err := testenv.ListenFaultProxy(*listen, *target)
	if err != nil {
		fmt.Fprintf(stderr, "faultproxy: %v\n", err)
		return 1
	}
	defer p.Close()
	p.SetRequestLog(false) // counts only: a long benchmark must not grow without bound
	p.SetLatency(*latency)
	p.SetMutatingCeiling(*rps)
	p.SetInProgressPolls(*polls)
	p.SetStrict(*strict)

	fmt.Fprintln(stdout, p.URL())
	if f, ok := stdout.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}
	<-ctx.Done()

	type report struct {
		testenv.Counts
		Settings map[string]any `json:"settings"`
	}
	out := report{Counts: p.Counts(), Settings: map[string]any{
		"latency": latency.String(), "mutating_rps": *rps, "inprogress_polls": *polls, "strict": *strict,
		"stopped_at": time.Now().UTC().Format(time.RFC3339),
	}}
	if err := json.NewEncoder(stderr).Encode(out); err != nil {
		return 1
	}
	return 0
}
