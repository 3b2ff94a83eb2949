package executor

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// BucketInvoke counts Invoke requests (smoke tests). Invoke is not a
// control-plane request: it counts against the function's concurrency,
// not against the 15/s bucket, so it never takes a token there. Its own
// limiter is only a ceiling that keeps a runaway loop in check.
const BucketInvoke = "invoke"

// invokeRate is that ceiling, in requests per second.
const invokeRate = 1000

// invokeAPI is the Lambda client's Invoke.
type invokeAPI interface {
	Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Invoke invokes a function (a smoke test of a new version), through our
// bounded retry (429s for concurrency, 5xx, network) and the invoke bucket.
func (c *Lambda) Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	api, ok := c.api.(invokeAPI)
	if !ok {
		return nil, errors.New("this Lambda client cannot invoke functions")
	}
	return do(ctx, c, c.invoke, "Invoke", false, func(ctx context.Context) (*lambda.InvokeOutput, error) {
		return api.Invoke(ctx, in, sdk(opts)...)
	})
}
