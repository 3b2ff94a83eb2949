package testenv

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// burst makes n calls at once and counts those the proxy throttled (429
// TooManyRequestsException, Reason CallerRateLimitExceeded) and those it let
// through (any other outcome: moto's 404 of GetPolicy counts as through).
func burst(t *testing.T, n int, call func() error) (passed, throttled int) {
	t.Helper()
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		gate = make(chan struct{})
	)
	for range n {
		wg.Go(func() {
			<-gate
			err := call()
			var tm *types.TooManyRequestsException
			mu.Lock()
			defer mu.Unlock()
			if errors.As(err, &tm) {
				throttled++
				if tm.Reason != types.ThrottleReasonCallerRateLimitExceeded || httpStatus(err) != 429 {
					t.Errorf("429 = %+v", tm)
				}
				return
			}
			passed++
		})
	}
	close(gate)
	wg.Wait()
	return passed, throttled
}

// arrivalSpan is the time between the first and the last arrival of op.
// Requests are admitted a little after they arrive: callers that need all
// admissions inside one second check for a span under fastSpan.
const fastSpan = 800 * time.Millisecond

func arrivalSpan(reqs []Request, op string) time.Duration {
	var first, last time.Time
	for _, r := range reqs {
		if r.Operation != op {
			continue
		}
		if first.IsZero() || r.Time.Before(first) {
			first = r.Time
		}
		if r.Time.After(last) {
			last = r.Time
		}
	}
	return last.Sub(first)
}

// TestProxyQuotaBuckets checks the bucket quotas against real moto: reads
// such as GetAlias are throttled in the shared control-plane bucket, which
// then refuses writes too, while GetFunction has its own bucket and Invoke
// none; and every count.
func TestProxyQuotaBuckets(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	if _, err := f.direct.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(f.fn), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	f.proxy.SetQuota(BucketControlPlane, 15)
	f.proxy.SetQuota(BucketGetFunction, 100)
	// Invoke would need Docker in moto: a rule answers it. Rules come after
	// the ceilings, so a 500 from the rule also shows Invoke was not throttled.
	f.proxy.Inject(Rule{Service: "lambda", Operation: "Invoke", Status: 500, Message: "invoked"})

	start := time.Now()
	aliasOK, aliasThrottled := burst(t, 30, func() error {
		_, err := f.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(f.fn), Name: aws.String("live")})
		return err
	})
	// The bucket is full of reads: a write is refused as well.
	_, pubErr := f.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(f.fn)})
	cpElapsed := time.Since(start)
	fnOK, fnThrottled := burst(t, 30, func() error {
		_, err := f.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.fn)})
		return err
	})
	for range 3 {
		_, err := f.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(f.fn)})
		var se *types.ServiceException
		if !errors.As(err, &se) || se.ErrorMessage() != "invoked" {
			t.Errorf("Invoke: %v, want the rule's ServiceException (not throttled)", err)
		}
	}

	reqs := f.proxy.Requests()
	span := arrivalSpan(reqs, "GetAlias")
	if aliasOK+aliasThrottled != 30 || aliasOK < 15 || aliasOK > 15*(int((span+time.Second-fastSpan)/time.Second)+1) {
		t.Errorf("GetAlias: %d passed, %d throttled, arrivals over %s; want 15 per started second", aliasOK, aliasThrottled, span)
	}
	fast := span < fastSpan // the usual case; a loaded machine may spread the burst
	if fast && aliasOK != 15 {
		t.Errorf("GetAlias: %d of 30 passed within %s, want exactly 15", aliasOK, span)
	}
	var tm *types.TooManyRequestsException
	if cpElapsed < time.Second && !errors.As(pubErr, &tm) {
		t.Errorf("PublishVersion in a full control-plane bucket: %v, want TooManyRequestsException", pubErr)
	}
	pubThrottled := 0
	if errors.As(pubErr, &tm) {
		pubThrottled = 1
	}
	if fnOK != 30 || fnThrottled != 0 {
		t.Errorf("GetFunction: %d passed, %d throttled; its own bucket of 100/s has room for all 30", fnOK, fnThrottled)
	}

	c := f.proxy.Counts()
	cp := c.Buckets[BucketControlPlane]
	if cp.Requests != 31 || cp.Forwarded != aliasOK+1-pubThrottled || cp.Throttled != aliasThrottled+pubThrottled || cp.MaxPerSecond > 15 || (fast && cp.MaxPerSecond != 15) {
		t.Errorf("control-plane counts = %+v; SDK saw %d+%d passed, %d+%d throttled", cp, aliasOK, 1-pubThrottled, aliasThrottled, pubThrottled)
	}
	if gf := c.Buckets[BucketGetFunction]; gf.Requests != 30 || gf.Forwarded != 30 || gf.Throttled != 0 || gf.MaxPerSecond < 1 || gf.MaxPerSecond > 30 {
		t.Errorf("get-function counts = %+v", gf)
	}
	if gp := c.Buckets[BucketGetPolicy]; gp != (BucketCounts{}) {
		t.Errorf("get-policy counts = %+v, want none", gp)
	}
	if c.ByOperation["GetAlias"] != 30 || c.ByOperation["GetFunction"] != 30 || c.ByOperation["PublishVersion"] != 1 || c.ByOperation["Invoke"] != 3 || len(c.ByOperation) != 4 {
		t.Errorf("ByOperation = %v", c.ByOperation)
	}
	if c.Throttled != aliasThrottled+pubThrottled || c.InjectedByCode[CodeTooManyRequests] != c.Throttled {
		t.Errorf("Throttled = %d, InjectedByCode = %v", c.Throttled, c.InjectedByCode)
	}
	for _, r := range reqs {
		want := map[string]string{"GetAlias": BucketControlPlane, "PublishVersion": BucketControlPlane, "GetFunction": BucketGetFunction, "Invoke": ""}[r.Operation]
		if r.Bucket != want {
			t.Errorf("%s in bucket %q, want %q", r.Operation, r.Bucket, want)
		}
	}

	// Each bucket's ceiling holds on its own: GetFunction at 5/s, GetPolicy
	// at 2/s. Reset clears the windows and the counts.
	f.proxy.Reset()
	f.proxy.SetQuota(BucketGetFunction, 5)
	f.proxy.SetQuota(BucketGetPolicy, 2)
	fnOK, fnThrottled = burst(t, 12, func() error {
		_, err := f.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.fn)})
		return err
	})
	polOK, polThrottled := burst(t, 6, func() error {
		_, err := f.lambda.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(f.fn)})
		return err
	})
	reqs = f.proxy.Requests()
	fnSpan, polSpan := arrivalSpan(reqs, "GetFunction"), arrivalSpan(reqs, "GetPolicy")
	if fnOK+fnThrottled != 12 || fnOK < 5 || (fnSpan < fastSpan && fnOK != 5) {
		t.Errorf("GetFunction at 5/s: %d passed, %d throttled over %s", fnOK, fnThrottled, fnSpan)
	}
	if polOK+polThrottled != 6 || polOK < 2 || (polSpan < fastSpan && polOK != 2) {
		t.Errorf("GetPolicy at 2/s: %d passed, %d throttled over %s", polOK, polThrottled, polSpan)
	}
	c = f.proxy.Counts()
	if gf := c.Buckets[BucketGetFunction]; gf.Requests != 12 || gf.Throttled != fnThrottled || gf.Forwarded != fnOK || gf.MaxPerSecond > 5 {
		t.Errorf("get-function counts = %+v", gf)
	}
	if gp := c.Buckets[BucketGetPolicy]; gp.Requests != 6 || gp.Throttled != polThrottled || gp.Forwarded != polOK || gp.MaxPerSecond > 2 {
		t.Errorf("get-policy counts = %+v", gp)
	}
	if cp := c.Buckets[BucketControlPlane]; cp != (BucketCounts{}) {
		t.Errorf("control-plane counts = %+v, want none", cp)
	}
	if c.Throttled != fnThrottled+polThrottled {
		t.Errorf("Throttled = %d, want %d", c.Throttled, fnThrottled+polThrottled)
	}
}
