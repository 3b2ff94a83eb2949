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

// lambdaAPI is the part of the Lambda client the executor uses; the SDK
// client satisfies it, tests wrap it.
type lambdaAPI interface {
	GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	GetFunctionConfiguration(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error)
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

// RetryPolicy bounds the retries of one mutating call.
type RetryPolicy struct {
	MaxAttempts int           // including the first
	BaseDelay   time.Duration // first backoff; doubles each attempt, with full jitter
	MaxDelay    time.Duration
}

// DefaultRetry suits the Lambda control plane: 409s clear within seconds,
// 429s within a few seconds once the bucket slows down.
var DefaultRetry = RetryPolicy{MaxAttempts: 10, BaseDelay: 250 * time.Millisecond, MaxDelay: 8 * time.Second}

// noSDKRetry turns off the SDK's own retries for one call: mutating calls
// are retried by callMutating, which goes through the shared limiter on
// every attempt (the SDK's retries would bypass it).
func noSDKRetry(o *lambda.Options) { o.Retryer = aws.NopRetryer{} }

// errorClass sorts an error into what to do with it.
type errorClass int

const (
	permanent errorClass = iota
	throttled            // 429: slow the shared bucket, back off
	conflict             // 409: an update is in progress, back off
	transient            // 5xx, network: back off
)

func classify(err error) errorClass {
	if err == nil {
		return permanent
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

// callMutating runs one mutating Lambda call through the shared limiter,
// retrying throttles, conflicts, 5xx and network errors with jittered
// exponential backoff, up to the policy's bound. onRetry is told of each retry.
func callMutating[T any](ctx context.Context, lim *Limiter, pol RetryPolicy, onRetry func(attempt int, err error, wait time.Duration), call func(context.Context) (T, error)) (T, error) {
	var zero T
	var lastErr error
	if pol.MaxAttempts < 1 {
		pol.MaxAttempts = 1
	}
	for attempt := 1; attempt <= pol.MaxAttempts; attempt++ {
		if err := lim.Wait(ctx); err != nil {
			return zero, err
		}
		out, err := call(ctx)
		if err == nil {
			lim.Succeeded()
			return out, nil
		}
		lastErr = err
		class := classify(err)
		if class == permanent {
			return zero, err
		}
		if class == throttled {
			lim.Throttled()
		} else {
			lim.Succeeded()
		}
		if attempt == pol.MaxAttempts {
			break
		}
		wait := backoff(pol, attempt)
		if onRetry != nil {
			onRetry(attempt, err, wait)
		}
		select {
		case <-ctx.Done():
			return zero, ctx.Err()
		case <-time.After(wait):
		}
	}
	return zero, fmt.Errorf("gave up after %d attempts: %w", pol.MaxAttempts, lastErr)
}

// backoff is full jitter over an exponentially growing ceiling.
func backoff(p RetryPolicy, attempt int) time.Duration {
	ceil := p.BaseDelay << (attempt - 1)
	if ceil > p.MaxDelay || ceil <= 0 {
		ceil = p.MaxDelay
	}
	return ceil/2 + time.Duration(rand.Int64N(int64(ceil/2)+1))
}
