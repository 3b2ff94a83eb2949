package executor

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// lambdaAPI is the part of the Lambda client the executor uses. The SDK
// client satisfies it, and so does the paced client (Lambda) that wraps it
// and that every call goes through; tests fake it.
type lambdaAPI interface {
	GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	CreateFunction(context.Context, *lambda.CreateFunctionInput, ...func(*lambda.Options)) (*lambda.CreateFunctionOutput, error)
	UpdateFunctionCode(context.Context, *lambda.UpdateFunctionCodeInput, ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error)
	PublishVersion(context.Context, *lambda.PublishVersionInput, ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error)
	GetAlias(context.Context, *lambda.GetAliasInput, ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
	CreateAlias(context.Context, *lambda.CreateAliasInput, ...func(*lambda.Options)) (*lambda.CreateAliasOutput, error)
	UpdateAlias(context.Context, *lambda.UpdateAliasInput, ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error)
}

// s3API is the part of the S3 client the artifact store uses.
type s3API interface {
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	CopyObject(context.Context, *s3.CopyObjectInput, ...func(*s3.Options)) (*s3.CopyObjectOutput, error)
}

// RetryPolicy bounds the retries of one Lambda call.
type RetryPolicy struct {
	MaxAttempts int           // including the first
	BaseDelay   time.Duration // first backoff; doubles each attempt, with full jitter
	MaxDelay    time.Duration
}

// DefaultRetry suits the Lambda control plane: 409s clear within seconds,
// 429s within a few seconds once the bucket slows down.
var DefaultRetry = RetryPolicy{MaxAttempts: 10, BaseDelay: 250 * time.Millisecond, MaxDelay: 8 * time.Second}

// noSDKRetry turns off the SDK's own retries for one call: every Lambda call
// is retried by callWithRetry, which takes a token from its bucket for every
// attempt (the SDK's retries would bypass it, and not be counted).
func noSDKRetry(o *lambda.Options) { o.Retryer = aws.NopRetryer{} }

// errorClass sorts an error into what to do with it.
type errorClass int

const (
	permanent errorClass = iota
	throttled            // 429: slow the call's bucket, back off
	conflict             // 409: an update is in progress, back off
	transient            // 5xx, network: back off
)

func classify(err error) errorClass {
	if err == nil {
		return permanent
	}
	if alreadyExists(err) {
		return permanent // acted on at once (read it, then update), never waited out
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded":
			return throttled
		case "ResourceConflictException":
			return conflict
		case "ServiceException", "EC2ThrottledException", "InternalFailure", "ServiceUnavailable":
			return transient
		}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		switch code := re.HTTPStatusCode(); {
		case code == 429:
			return throttled
		case code == 409:
			return conflict
		case code >= 500:
			return transient
		}
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return transient
	}
	var invalid smithy.InvalidParamsError
	if errors.As(err, &invalid) {
		return permanent // refused by the SDK's validation before sending: a retry sends nothing new
	}
	var oe *smithy.OperationError
	if errors.As(err, &oe) && !errors.As(err, &ae) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		// A failure below the API layer (connection reset, EOF): the request may not have arrived.
		return transient
	}
	return permanent
}

// callWithRetry runs one Lambda call (op names it for messages), taking a
// token from lim before every attempt and retrying throttles, conflicts, 5xx
// and network errors with jittered exponential backoff, up to the policy's
// bound; then it returns an error that wraps the last cause. A 429 slows lim
// (the bucket the call counts against). onRetry is told of each retry.
// Nothing new starts once the apply is told to stop: no token is taken, no
// attempt made, the backoff is cut short, and ErrInterrupted returned.
func callWithRetry[T any](ctx context.Context, lim *Limiter, pol RetryPolicy, op string, onRetry func(attempt int, err error, wait time.Duration), call func(context.Context) (T, error)) (T, error) {
	var zero T
	var lastErr error
	if pol.MaxAttempts < 1 {
		pol.MaxAttempts = 1
	}
	for attempt := 1; attempt <= pol.MaxAttempts; attempt++ {
		if err := lim.Wait(ctx); err != nil {
			return zero, err
		}
		if stopped(ctx) {
			return zero, stopErr(ctx)
		}
		out, err := call(ctx)
		if err == nil {
			lim.Succeeded()
			return out, nil
		}
		lastErr = err
		class := classify(err)
		if class == throttled {
			lim.Throttled()
		} else {
			lim.Succeeded()
		}
		if class == permanent {
			return zero, err
		}
		if attempt == pol.MaxAttempts {
			break
		}
		wait := backoff(pol, attempt)
		if onRetry != nil {
			onRetry(attempt, err, wait)
		}
		if err := sleep(ctx, wait); err != nil {
			return zero, err
		}
	}
	return zero, fmt.Errorf("%s: gave up after %d attempts: %w", op, pol.MaxAttempts, lastErr)
}

// backoff is full jitter over an exponentially growing ceiling.
func backoff(p RetryPolicy, attempt int) time.Duration {
	ceil := p.BaseDelay << (attempt - 1)
	if ceil > p.MaxDelay || ceil <= 0 {
		ceil = p.MaxDelay
	}
	return ceil/2 + time.Duration(rand.Int64N(int64(ceil/2)+1))
}
