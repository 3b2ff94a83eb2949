package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"
)

func className(c errorClass) string {
	switch c {
	case permanent:
		return "permanent"
	case throttled:
		return "throttled"
	case conflict:
		return "conflict"
	case transient:
		return "transient"
	}
	return fmt.Sprintf("errorClass(%d)", int(c))
}

// responseError is an HTTP error answer as the SDK wraps it.
func responseError(status int, err error) error {
	return &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err},
		RequestID:     "req-1",
	}
}

// opError wraps err as a Lambda operation error, as every SDK call does.
func opError(err error) error {
	return &smithy.OperationError{ServiceID: "Lambda", OperationName: "PublishVersion", Err: err}
}

func TestClassify(t *testing.T) {
	dialRefused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		err  error
		want errorClass
	}{
		{"nil", nil, permanent},

		{"TooManyRequestsException", &types.TooManyRequestsException{Message: aws.String("Rate exceeded")}, throttled},
		{"TooManyRequestsException in an operation error", opError(responseError(429, &types.TooManyRequestsException{})), throttled},
		{"ThrottlingException", &smithy.GenericAPIError{Code: "ThrottlingException"}, throttled},
		{"Throttling", &smithy.GenericAPIError{Code: "Throttling"}, throttled},
		{"RequestLimitExceeded", &smithy.GenericAPIError{Code: "RequestLimitExceeded"}, throttled},
		{"HTTP 429 without an API error", opError(responseError(429, errors.New("slow down"))), throttled},

		{"ResourceConflictException", &types.ResourceConflictException{Message: aws.String("update in progress")}, conflict},
		{"ResourceConflictException in an operation error", opError(responseError(409, &types.ResourceConflictException{})), conflict},
		{"HTTP 409 without an API error", opError(responseError(409, errors.New("conflict"))), conflict},
		// "Already exists" is acted on at once (read it, then update), never waited out.
		{"function already exists", opError(responseError(409, &types.ResourceConflictException{Message: aws.String("Function already exist: orders-api")})), permanent},
		{"alias already exists (AWS)", &types.ResourceConflictException{Message: aws.String("Alias already exists: arn:aws:lambda:us-east-1:123456789012:function:orders-api:live")}, permanent},
		{"alias already exists (moto)", opError(responseError(409, &smithy.GenericAPIError{Code: "ConflictException", Message: "Alias already exists: arn:aws:lambda:us-east-1:123456789012:function:f:live"})), permanent},

		{"ServiceException", &types.ServiceException{}, transient},
		{"ServiceException in an operation error", opError(responseError(500, &types.ServiceException{})), transient},
		{"EC2ThrottledException", &types.EC2ThrottledException{}, transient},
		{"InternalFailure", &smithy.GenericAPIError{Code: "InternalFailure"}, transient},
		{"ServiceUnavailable", &smithy.GenericAPIError{Code: "ServiceUnavailable"}, transient},
		{"HTTP 500 without an API error", opError(responseError(500, errors.New("oops"))), transient},
		{"HTTP 502", responseError(502, errors.New("bad gateway")), transient},
		{"HTTP 503", opError(responseError(503, errors.New("unavailable"))), transient},
		{"bare smithy ResponseError 500", &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 500}}, Err: errors.New("x")}, transient},

		{"net.OpError", dialRefused, transient},
		{"net.OpError in a send error", opError(&smithyhttp.RequestSendError{Err: dialRefused}), transient},
		{"EOF below the API layer", opError(&smithy.DeserializationError{Err: io.ErrUnexpectedEOF}), transient},

		{"context.Canceled", context.Canceled, permanent},
		{"context.Canceled in an operation error", opError(&smithyhttp.RequestSendError{Err: context.Canceled}), permanent},
		// A deadline error is a net.Error (Timeout() is true), as are HTTP
		// client and dial timeouts: it is retried. When the deadline is that
		// of the caller's context, callWithRetry stops at the backoff's select
		// (TestCallMutatingDeadlineDuringCall).
		{"context.DeadlineExceeded", context.DeadlineExceeded, transient},

		{"validation (client side)", opError(smithy.InvalidParamsError{Context: "PublishVersionInput"}), permanent},
		{"InvalidParameterValueException", &types.InvalidParameterValueException{}, permanent},
		{"InvalidParameterValueException in an operation error", opError(responseError(400, &types.InvalidParameterValueException{})), permanent},
		{"ResourceNotFoundException", opError(responseError(404, &types.ResourceNotFoundException{})), permanent},
		{"CodeStorageExceededException", opError(responseError(400, &types.CodeStorageExceededException{})), permanent},
		{"AccessDenied", opError(responseError(403, &smithy.GenericAPIError{Code: "AccessDeniedException"})), permanent},
		{"HTTP 400 without an API error", responseError(400, errors.New("bad")), permanent},
		{"plain error", errors.New("something"), permanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.want {
				t.Errorf("classify(%v) = %s, want %s", tt.err, className(got), className(tt.want))
			}
		})
	}
}

// TestClassifyRealSDKErrors classifies the errors a real Lambda client
// returns, from an HTTP server answering as Lambda does.
func TestClassifyRealSDKErrors(t *testing.T) {
	tests := []struct {
		status int
		code   string
		want   errorClass
	}{
		{429, "TooManyRequestsException", throttled},
		{409, "ResourceConflictException", conflict},
		{500, "ServiceException", transient},
		{503, "", transient},
		{502, "EC2ThrottledException", transient},
		{400, "InvalidParameterValueException", permanent},
		{404, "ResourceNotFoundException", permanent},
		{413, "RequestTooLargeException", permanent},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", tt.status, tt.code), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.code != "" {
					w.Header().Set("X-Amzn-ErrorType", tt.code)
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, `{"message":"from the test server"}`)
			}))
			defer srv.Close()
			_, err := testClient(srv.URL).PublishVersion(context.Background(), &lambda.PublishVersionInput{FunctionName: aws.String("orders-api")})
			if err == nil {
				t.Fatal("no error")
			}
			if got := classify(err); got != tt.want {
				t.Errorf("classify(%v) = %s, want %s", err, className(got), className(tt.want))
			}
		})
	}

	t.Run("validation", func(t *testing.T) {
		// No FunctionName: the SDK refuses before sending anything.
		_, err := testClient("http://127.0.0.1:1").PublishVersion(context.Background(), &lambda.PublishVersionInput{})
		if err == nil || !strings.Contains(err.Error(), "validation") {
			t.Fatalf("err = %v, want a validation error", err)
		}
		if got := classify(err); got != permanent {
			t.Errorf("classify(%v) = %s, want permanent: retrying cannot fix the request", err, className(got))
		}
	})

	t.Run("connection refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		_, err = testClient("http://"+addr).PublishVersion(context.Background(), &lambda.PublishVersionInput{FunctionName: aws.String("f")})
		if err == nil {
			t.Fatal("no error")
		}
		if got := classify(err); got != transient {
			t.Errorf("classify(%v) = %s, want transient", err, className(got))
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Read the body first: only then does the server notice the
			// client hanging up.
			_, _ = io.Copy(io.Discard, r.Body)
			cancel() // the caller gives up while the request is under way
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
		}))
		defer srv.Close()
		_, err := testClient(srv.URL).PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("f")})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if got := classify(err); got != permanent {
			t.Errorf("classify(%v) = %s, want permanent", err, className(got))
		}
	})
}

func testClient(endpoint string) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  aws.AnonymousCredentials{},
		Retryer:      aws.NopRetryer{},
	})
}

var fastRetry = RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}

// scripted is a call that fails with errs in turn, then succeeds.
type scripted struct {
	errs  []error
	calls int
}

func (s *scripted) call(ctx context.Context) (string, error) {
	s.calls++
	if s.calls <= len(s.errs) {
		return "", s.errs[s.calls-1]
	}
	return "ok", nil
}

func repeat(err error, n int) []error {
	out := make([]error, n)
	for i := range out {
		out[i] = err
	}
	return out
}

func TestCallWithRetry(t *testing.T) {
	tooMany := opError(responseError(429, &types.TooManyRequestsException{Message: aws.String("Rate exceeded")}))
	inProgress := opError(responseError(409, &types.ResourceConflictException{Message: aws.String("update in progress")}))
	serverErr := opError(responseError(500, &types.ServiceException{}))
	bare429 := responseError(429, errors.New("slow down"))
	invalid := opError(responseError(400, &types.InvalidParameterValueException{Message: aws.String("bad zip")}))
	validation := opError(smithy.InvalidParamsError{Context: "PublishVersionInput"})

	tests := []struct {
		name        string
		errs        []error
		maxAttempts int
		wantOut     string
		wantCalls   int
		wantRetries []int // attempts onRetry was told of
		wantThrott  int   // limiter.Throttles()
		wantErr     string
		wantAs      any // a pointer to an error type errors.As must find
	}{
		{name: "succeeds at once", wantOut: "ok", wantCalls: 1},
		{name: "throttled, then succeeds", errs: repeat(tooMany, 2), wantOut: "ok", wantCalls: 3, wantRetries: []int{1, 2}, wantThrott: 2},
		{name: "bare 429, then succeeds", errs: []error{bare429}, wantOut: "ok", wantCalls: 2, wantRetries: []int{1}, wantThrott: 1},
		{name: "conflict, then succeeds", errs: repeat(inProgress, 3), wantOut: "ok", wantCalls: 4, wantRetries: []int{1, 2, 3}},
		{name: "5xx, then succeeds", errs: []error{serverErr}, wantOut: "ok", wantCalls: 2, wantRetries: []int{1}},
		{name: "mixed, then succeeds", errs: []error{inProgress, tooMany, serverErr, tooMany}, wantOut: "ok", wantCalls: 5, wantRetries: []int{1, 2, 3, 4}, wantThrott: 2},
		{
			name: "gives up throttled", errs: repeat(tooMany, 10), maxAttempts: 4,
			wantCalls: 4, wantRetries: []int{1, 2, 3}, wantThrott: 4,
			wantErr: "gave up after 4 attempts: ", wantAs: new(*types.TooManyRequestsException),
		},
		{
			name: "gives up on conflicts", errs: repeat(inProgress, 10), maxAttempts: 3,
			wantCalls: 3, wantRetries: []int{1, 2},
			wantErr: "gave up after 3 attempts: ", wantAs: new(*types.ResourceConflictException),
		},
		{
			name: "gives up: last error wrapped", errs: []error{tooMany, serverErr}, maxAttempts: 2,
			wantCalls: 2, wantRetries: []int{1}, wantThrott: 1,
			wantErr: "gave up after 2 attempts: ", wantAs: new(*types.ServiceException),
		},
		{name: "permanent at once", errs: []error{invalid}, wantCalls: 1, wantErr: "bad zip", wantAs: new(*types.InvalidParameterValueException)},
		{name: "permanent after a retry", errs: []error{tooMany, invalid}, wantCalls: 2, wantRetries: []int{1}, wantThrott: 1, wantErr: "bad zip"},
		{name: "validation at once", errs: []error{validation}, wantCalls: 1, wantErr: "validation error", wantAs: new(smithy.InvalidParamsError)},
		{name: "one attempt only", errs: []error{tooMany}, maxAttempts: 1, wantCalls: 1, wantThrott: 1, wantErr: "gave up after 1 attempts: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := fastRetry
			if tt.maxAttempts > 0 {
				pol.MaxAttempts = tt.maxAttempts
			}
			lim := NewLimiter(1000)
			s := &scripted{errs: tt.errs}
			var retries []int
			out, err := callWithRetry(context.Background(), lim, pol, "PublishVersion", func(attempt int, err error, wait time.Duration) {
				retries = append(retries, attempt)
				if err == nil {
					t.Errorf("onRetry(%d) without an error", attempt)
				}
				if wait < 0 || wait > pol.MaxDelay {
					t.Errorf("onRetry(%d): wait %s outside [0, %s]", attempt, wait, pol.MaxDelay)
				}
			}, s.call)

			if out != tt.wantOut {
				t.Errorf("out = %q, want %q", out, tt.wantOut)
			}
			if s.calls != tt.wantCalls {
				t.Errorf("calls = %d, want %d", s.calls, tt.wantCalls)
			}
			if diff := cmp.Diff(tt.wantRetries, retries); diff != "" {
				t.Errorf("onRetry attempts (-want +got):\n%s", diff)
			}
			if got := lim.Throttles(); got != tt.wantThrott {
				t.Errorf("limiter saw %d throttles, want %d (429s only)", got, tt.wantThrott)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("no error, want one containing %q", tt.wantErr)
			case err != nil && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("err = %q, want it to contain %q", err, tt.wantErr)
			}
			if tt.wantAs != nil && !errors.As(err, tt.wantAs) {
				t.Errorf("errors.As(%v, %T) = false", err, tt.wantAs)
			}
			if tt.wantErr != "" && !strings.HasPrefix(tt.wantErr, "gave up") && strings.Contains(err.Error(), "gave up") {
				t.Errorf("err = %q: a permanent error must come back as it is", err)
			}
		})
	}
}

func TestCallWithRetryReturnsPermanentErrorUnchanged(t *testing.T) {
	invalid := &types.InvalidParameterValueException{Message: aws.String("bad")}
	s := &scripted{errs: []error{invalid}}
	_, err := callWithRetry(context.Background(), NewLimiter(1000), fastRetry, "PublishVersion", nil, s.call)
	if err != error(invalid) {
		t.Errorf("err = %#v, want the call's own error value", err)
	}
}

// waitFor fails the test when f does not return within a minute: a guard
// against a hang (the backoffs below are an hour), not a timing assertion.
func waitFor[T any](t *testing.T, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(time.Minute):
		t.Fatal("did not return: it waited out a backoff after the context ended")
		panic("unreachable")
	}
}

func TestCallWithRetryCancelDuringBackoff(t *testing.T) {
	slow := RetryPolicy{MaxAttempts: 5, BaseDelay: time.Hour, MaxDelay: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &scripted{errs: repeat(opError(responseError(429, &types.TooManyRequestsException{})), 5)}
	retries := 0
	err := waitFor(t, func() error {
		_, err := callWithRetry(ctx, NewLimiter(1000), slow, "PublishVersion", func(int, error, time.Duration) {
			retries++
			cancel() // the user presses Ctrl-C just as the backoff starts
		}, s.call)
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if s.calls != 1 || retries != 1 {
		t.Errorf("calls = %d, retries = %d; want 1 and 1", s.calls, retries)
	}
}

func TestCallWithRetryDeadlineDuringCall(t *testing.T) {
	slow := RetryPolicy{MaxAttempts: 5, BaseDelay: time.Hour, MaxDelay: time.Hour}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	calls := 0
	err := waitFor(t, func() error {
		_, err := callWithRetry(ctx, NewLimiter(1000), slow, "PublishVersion", nil, func(ctx context.Context) (string, error) {
			calls++
			<-ctx.Done() // the call outlives the caller's deadline
			return "", opError(&smithyhttp.RequestSendError{Err: ctx.Err()})
		})
		return err
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
	if calls != 1 {
		t.Errorf("calls = %d, want 1", calls)
	}
}

func TestCallWithRetryContextDoneBeforeFirstCall(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := &scripted{}
	_, err := callWithRetry(ctx, NewLimiter(1000), fastRetry, "PublishVersion", nil, s.call)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if s.calls != 0 {
		t.Errorf("calls = %d, want 0", s.calls)
	}
}

func TestCallWithRetryNonThrottleErrorsKeepTheRate(t *testing.T) {
	lim := NewLimiter(100)
	base := lim.Rate()
	errs := []error{
		opError(responseError(409, &types.ResourceConflictException{})),
		opError(responseError(500, &types.ServiceException{})),
		&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET},
	}
	s := &scripted{errs: errs}
	if _, err := callWithRetry(context.Background(), lim, fastRetry, "PublishVersion", nil, s.call); err != nil {
		t.Fatal(err)
	}
	if lim.Rate() != base || lim.Throttles() != 0 {
		t.Errorf("after 409, 500 and a reset: rate %.3f (was %.3f), throttles %d; want the rate kept and no throttles", lim.Rate(), base, lim.Throttles())
	}
	s = &scripted{errs: repeat(opError(responseError(429, &types.TooManyRequestsException{})), 2)}
	if _, err := callWithRetry(context.Background(), lim, fastRetry, "PublishVersion", nil, s.call); err != nil {
		t.Fatal(err)
	}
	if lim.Rate() >= base || lim.Throttles() != 2 {
		t.Errorf("after two 429s: rate %.3f (base %.3f), throttles %d; want a lower rate and 2 throttles", lim.Rate(), base, lim.Throttles())
	}
}

func TestBackoff(t *testing.T) {
	policies := []RetryPolicy{
		{MaxAttempts: 10, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
		{MaxAttempts: 10, BaseDelay: 3 * time.Millisecond, MaxDelay: 100 * time.Millisecond},
		DefaultRetry,
		{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: 10 * time.Millisecond}, // max below base
	}
	const samples = 500
	for _, pol := range policies {
		t.Run(fmt.Sprintf("%s-%s", pol.BaseDelay, pol.MaxDelay), func(t *testing.T) {
			prevMean := time.Duration(0)
			prevCeil := time.Duration(0)
			for _, attempt := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 40, 62, 63, 64, 65, 100} {
				ceil := pol.BaseDelay
				for i := 1; i < attempt && ceil < pol.MaxDelay; i++ {
					ceil *= 2
				}
				ceil = min(ceil, pol.MaxDelay)
				lo, hi := ceil/2, ceil
				var sum, minD, maxD time.Duration
				minD = time.Duration(1<<63 - 1)
				for range samples {
					d := backoff(pol, attempt)
					if d < lo || d > hi {
						t.Fatalf("backoff(attempt %d) = %s, outside [%s, %s]", attempt, d, lo, hi)
					}
					if d > pol.MaxDelay {
						t.Fatalf("backoff(attempt %d) = %s, above MaxDelay %s", attempt, d, pol.MaxDelay)
					}
					sum += d
					minD, maxD = min(minD, d), max(maxD, d)
				}
				mean := sum / samples
				// Full jitter: the samples spread over the window (500 draws
				// all within a quarter of it has odds of about 2^-500).
				if maxD-minD < (hi-lo)/2 {
					t.Errorf("attempt %d: samples within [%s, %s] of window [%s, %s]: no jitter", attempt, minD, maxD, lo, hi)
				}
				// The mean of a uniform draw over [c/2, c] is 3c/4; 500 draws
				// land within a few percent of it.
				if want := ceil * 3 / 4; mean < want*9/10 || mean > want*11/10 {
					t.Errorf("attempt %d: mean %s, want about %s", attempt, mean, want)
				}
				if ceil > prevCeil && prevCeil > 0 && mean <= prevMean {
					t.Errorf("attempt %d: mean %s not above the previous attempt's %s", attempt, mean, prevMean)
				}
				prevMean, prevCeil = mean, ceil
			}
		})
	}
}
