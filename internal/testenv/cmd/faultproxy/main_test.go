package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
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

func TestFaultProxyCommand(t *testing.T) {
	m := testenv.StartMoto(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	outR, outW := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"-target", m.Endpoint, "-latency", "10ms", "-mutating-rps", "2", "-inprogress-polls", "1"}, outW, &stderr)
		outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatalf("no URL on stdout: %v (stderr: %s)", err, stderr.String())
	}
	url := strings.TrimSpace(line)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line = %q", line)
	}
	go io.Copy(io.Discard, outR)

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
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("faultproxy did not stop")
	}
	var got struct {
		Total     int `json:"total_requests"`
		Mutating  int `json:"mutating_requests"`
		Throttled int `json:"throttled_429"`
		Max1s     int `json:"max_mutating_in_1s"`
	}
	if err := json.Unmarshal(stderr.Bytes(), &got); err != nil {
		t.Fatalf("stderr is not JSON: %v\n%s", err, stderr.String())
	}
	if got.Total != 5 || got.Mutating != 4 || got.Throttled != throttled || throttled < 1 || got.Max1s > 2 {
		t.Errorf("report = %+v (SDK saw %d throttled)\n%s", got, throttled, stderr.String())
	}
}
