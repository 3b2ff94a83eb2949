package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/lambdas-dev/lambdas/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunTests(m)) }

// startCommand runs the command with args in front of moto; stop sends the
// "signal" and returns what it printed on stderr.
func startCommand(t *testing.T, args ...string) (url string, stop func() []byte) {
	t.Helper()
	m := testenv.StartMoto(t)
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	outR, outW := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, append([]string{"-target", m.Endpoint}, args...), outW, &stderr)
		outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatalf("no URL on stdout: %v (stderr: %s)", err, stderr.String())
	}
	url = strings.TrimSpace(line)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line = %q", line)
	}
	go io.Copy(io.Discard, outR)
	return url, func() []byte {
		t.Helper()
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Fatal("faultproxy did not stop")
		}
		return stderr.Bytes()
	}
}

func TestFaultProxyCommand(t *testing.T) {
	url, stop := startCommand(t, "-latency", "10ms", "-mutating-rps", "2", "-inprogress-polls", "1")
	c := lambda.NewFromConfig(testenv.AWSConfig(t, url), func(o *lambda.Options) { o.Retryer = aws.NopRetryer{} })
	throttled := 0
	for range 4 {
		// Mutating, and refused by moto: it still counts against the ceiling.
		_, err := c.PublishVersion(t.Context(), &lambda.PublishVersionInput{FunctionName: aws.String("missing")})
		var tm *types.TooManyRequestsException
		if errors.As(err, &tm) {
			throttled++
		}
	}
	if _, err := c.ListFunctions(t.Context(), &lambda.ListFunctionsInput{}); err != nil {
		t.Fatal(err)
	}
	stderr := stop()
	var got struct {
		Total     int `json:"total_requests"`
		Mutating  int `json:"mutating_requests"`
		Throttled int `json:"throttled_429"`
		Max1s     int `json:"max_mutating_in_1s"`
	}
	if err := json.Unmarshal(stderr, &got); err != nil {
		t.Fatalf("stderr is not JSON: %v\n%s", err, stderr)
	}
	if got.Total != 5 || got.Mutating != 4 || got.Throttled != throttled || throttled < 1 || got.Max1s > 2 {
		t.Errorf("report = %+v (SDK saw %d throttled)\n%s", got, throttled, stderr)
	}
}

// TestFaultProxyCommandQuotas checks the bucket flags and the per-bucket and
// per-operation counts in the report.
func TestFaultProxyCommandQuotas(t *testing.T) {
	url, stop := startCommand(t, "-aws-quotas", "-control-plane-rps", "3", "-version-pending-polls", "2")
	c := lambda.NewFromConfig(testenv.AWSConfig(t, url), func(o *lambda.Options) { o.Retryer = aws.NopRetryer{} })
	ctx := t.Context()
	start := time.Now()
	throttled := 0
	for range 5 {
		_, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{}) // a read, in the control-plane bucket
		var tm *types.TooManyRequestsException
		if errors.As(err, &tm) {
			throttled++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	fast := time.Since(start) < time.Second
	for range 2 {
		_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("missing")})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("GetFunction of a missing function: %v, want moto's 404 (not throttled)", err)
		}
	}
	_, _ = c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("missing")})
	stderr := stop()

	var got struct {
		Throttled int `json:"throttled_429"`
		Buckets   map[string]struct {
			Requests  *int `json:"requests"`
			Forwarded *int `json:"forwarded"`
			Throttled *int `json:"throttled_429"`
			Max1s     *int `json:"max_in_1s"`
		} `json:"buckets"`
		ByOperation map[string]int `json:"by_operation"`
		Settings    map[string]any `json:"settings"`
	}
	if err := json.Unmarshal(stderr, &got); err != nil {
		t.Fatalf("stderr is not JSON: %v\n%s", err, stderr)
	}
	want := map[string][4]int{ // requests, forwarded, throttled, max in 1 s (-1: not checked)
		testenv.BucketControlPlane: {5, 5 - throttled, throttled, -1},
		testenv.BucketGetFunction:  {2, 2, 0, 2},
		testenv.BucketGetPolicy:    {1, 1, 0, 1},
	}
	if len(got.Buckets) != len(want) {
		t.Errorf("buckets = %v", got.Buckets)
	}
	for b, w := range want {
		g, ok := got.Buckets[b]
		if !ok || g.Requests == nil || g.Forwarded == nil || g.Throttled == nil || g.Max1s == nil {
			t.Errorf("bucket %q missing or without all keys\n%s", b, stderr)
			continue
		}
		if *g.Requests != w[0] || *g.Forwarded != w[1] || *g.Throttled != w[2] || (w[3] >= 0 && *g.Max1s != w[3]) {
			t.Errorf("bucket %s = requests %d forwarded %d throttled %d max %d, want %v", b, *g.Requests, *g.Forwarded, *g.Throttled, *g.Max1s, w)
		}
	}
	if cp := got.Buckets[testenv.BucketControlPlane]; cp.Max1s != nil && *cp.Max1s > 3 {
		t.Errorf("control-plane max_in_1s = %d over a 3/s ceiling", *cp.Max1s)
	}
	if fast && throttled != 2 {
		t.Errorf("5 ListFunctions within a second at 3/s: %d throttled, want 2", throttled)
	}
	if got.Throttled != throttled {
		t.Errorf("throttled_429 = %d, the SDK saw %d", got.Throttled, throttled)
	}
	if wantOps := map[string]int{"ListFunctions": 5, "GetFunction": 2, "GetPolicy": 1}; !maps.Equal(got.ByOperation, wantOps) {
		t.Errorf("by_operation = %v, want %v", got.ByOperation, wantOps)
	}
	for k, v := range map[string]float64{"control_plane_rps": 3, "get_function_rps": 100, "get_policy_rps": 15, "version_pending_polls": 2, "mutating_rps": 0} {
		if got.Settings[k] != v {
			t.Errorf("settings[%s] = %v, want %v", k, got.Settings[k], v)
		}
	}
}
