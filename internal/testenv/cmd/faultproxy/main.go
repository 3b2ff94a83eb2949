// Command faultproxy runs a testenv.FaultProxy between a client (the lambdas
// CLI in benchmarks) and moto:
//
//	faultproxy -target http://127.0.0.1:5000 -latency 50ms -aws-quotas -inprogress-polls 2
//
// -local-invoke answers Invoke by running the handler locally (see
// testenv.SetLocalInvoke). -aws-quotas sets Lambda's quotas (control plane 15/s, GetFunction 100/s,
// GetPolicy 15/s); -control-plane-rps, -get-function-rps and -get-policy-rps
// set one bucket each, overriding -aws-quotas for it. -mutating-rps is the old
// ceiling on mutating calls only (deprecated; AWS has none).
//
// The first line on stdout is the proxy's URL (use it as AWS_ENDPOINT_URL).
// On SIGINT or SIGTERM it prints its counts to stderr as one JSON object
// (testenv.Counts and the settings) and exits 0.
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
	rps := fs.Float64("mutating-rps", 0, "deprecated: ceiling on mutating Lambda requests per second, all clients together (0 = none); AWS's quotas are per bucket, see -aws-quotas")
	awsQuotas := fs.Bool("aws-quotas", false, "Lambda's quotas: control plane 15/s, GetFunction 100/s, GetPolicy 15/s (a -*-rps flag overrides its bucket)")
	bucketRPS := map[string]*float64{
		testenv.BucketControlPlane: fs.Float64("control-plane-rps", 0, "ceiling per second on the shared control-plane bucket: every Lambda request but GetFunction, GetPolicy and Invoke, reads too (0 = none)"),
		testenv.BucketGetFunction:  fs.Float64("get-function-rps", 0, "ceiling per second on GetFunction (0 = none)"),
		testenv.BucketGetPolicy:    fs.Float64("get-policy-rps", 0, "ceiling per second on GetPolicy (0 = none)"),
	}
	polls := fs.Int("inprogress-polls", 0, "GetFunction polls that report Pending/InProgress after each create or update (0 = none)")
	versionPolls := fs.Int("version-pending-polls", 0, "polls of a new version (by qualifier) that report State Pending after each publish (0 = none)")
	localInvoke := fs.Bool("local-invoke", false, "answer Invoke by running the handler from the version's zip with the local python3 or node, logging to the emulator's CloudWatch Logs (moto cannot run code without Docker)")
	strict := fs.Bool("strict", false, "refuse what AWS refuses and moto accepts (CodeSha256 on PublishVersion, alias weights, RevisionIds)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	quotas := map[string]float64{}
	if *awsQuotas {
		quotas = map[string]float64{
			testenv.BucketControlPlane: testenv.AWSControlPlaneRPS,
			testenv.BucketGetFunction:  testenv.AWSGetFunctionRPS,
			testenv.BucketGetPolicy:    testenv.AWSGetPolicyRPS,
		}
	}
	names := map[string]string{"control-plane-rps": testenv.BucketControlPlane, "get-function-rps": testenv.BucketGetFunction, "get-policy-rps": testenv.BucketGetPolicy}
	fs.Visit(func(f *flag.Flag) {
		if b, ok := names[f.Name]; ok {
			quotas[b] = *bucketRPS[b]
		}
	})
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
	for b, r := range quotas {
		p.SetQuota(b, r)
	}
	p.SetInProgressPolls(*polls)
	p.SetVersionPendingPolls(*versionPolls)
	p.SetStrict(*strict)
	p.SetLocalInvoke(*localInvoke)

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
		"latency": latency.String(), "mutating_rps": *rps,
		"control_plane_rps": quotas[testenv.BucketControlPlane], "get_function_rps": quotas[testenv.BucketGetFunction], "get_policy_rps": quotas[testenv.BucketGetPolicy],
		"inprogress_polls": *polls, "version_pending_polls": *versionPolls, "strict": *strict,
		"stopped_at": time.Now().UTC().Format(time.RFC3339),
	}}
	if err := json.NewEncoder(stderr).Encode(out); err != nil {
		return 1
	}
	return 0
}
