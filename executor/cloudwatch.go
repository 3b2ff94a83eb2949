package executor

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// CloudWatch has quotas of its own, per account and Region, apart from
// Lambda's: DescribeAlarms is 9 requests per second.
const (
	BucketCloudWatch = "cloudwatch"
	// DescribeAlarmsRate is DescribeAlarms' quota.
	DescribeAlarmsRate = 9
)

// cloudWatchAPI is the part of the CloudWatch client the gates use.
type cloudWatchAPI interface {
	DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// CloudWatch is the paced CloudWatch client: its own bucket, our bounded
// retry (the SDK's is off), retries reported like Lambda's.
type CloudWatch struct {
	api      cloudWatchAPI
	retry    RetryPolicy
	b        *bucket
	reporter Reporter
}

// CloudWatchProtocol says which protocol the CloudWatch client speaks.
// Recent SDK clients speak rpcv2-CBOR, which AWS accepts and emulators
// (moto) cannot parse; CloudWatch also still accepts the query protocol,
// which moto does. LAMBDAS_CLOUDWATCH_PROTOCOL=query or cbor chooses;
// unset, the query protocol is used when AWS_ENDPOINT_URL (or
// AWS_ENDPOINT_URL_CLOUDWATCH) points the SDK at an emulator, CBOR
// otherwise.
func CloudWatchProtocol(getenv func(string) string) (string, error) {
	switch p := getenv("LAMBDAS_CLOUDWATCH_PROTOCOL"); p {
	case "query", "cbor":
		return p, nil
	case "":
		if getenv("AWS_ENDPOINT_URL") != "" || getenv("AWS_ENDPOINT_URL_CLOUDWATCH") != "" {
			return "query", nil
		}
		return "cbor", nil
	default:
		return "", fmt.Errorf("LAMBDAS_CLOUDWATCH_PROTOCOL=%q: want query or cbor", p)
	}
}

// QueryProtocol makes a CloudWatch client speak the query protocol.
func QueryProtocol(o *cloudwatch.Options) {
	o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
}

// NewCloudWatch returns a CloudWatch client for cfg paced at rate
// DescribeAlarms calls per second (0: DescribeAlarmsRate, the quota),
// speaking protocol ("query" or "cbor", see CloudWatchProtocol).
func NewCloudWatch(cfg aws.Config, protocol string, rate float64, pol RetryPolicy) *CloudWatch {
	var opts []func(*cloudwatch.Options)
	if protocol == "query" {
		opts = append(opts, QueryProtocol)
	}
	if rate <= 0 {
		rate = DescribeAlarmsRate
	}
	return newCloudWatch(cloudwatch.NewFromConfig(cfg, opts...), rate, pol)
}

func newCloudWatch(api cloudWatchAPI, rate float64, pol RetryPolicy) *CloudWatch {
	if pol.MaxAttempts <= 0 {
		pol = DefaultRetry
	}
	return &CloudWatch{api: api, retry: pol, b: &bucket{name: BucketCloudWatch, lim: NewLimiter(rate)}, reporter: ReporterFunc(func(Event) {})}
}

// WithReporter returns the client reporting its retries to r, sharing the bucket.
func (c *CloudWatch) WithReporter(r Reporter) *CloudWatch {
	cp := *c
	if r != nil {
		cp.reporter = r
	}
	return &cp
}

// Stats counts the calls, when there were any.
func (c *CloudWatch) Stats() map[string]BucketStats {
	if c == nil || c.b.calls.Load() == 0 {
		return nil
	}
	return map[string]BucketStats{c.b.name: {Calls: c.b.calls.Load(), Throttles: c.b.lim.Throttles()}}
}

// DescribeAlarms goes through the CloudWatch bucket and the bounded retry.
func (c *CloudWatch) DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	onRetry := func(attempt int, err error, wait time.Duration) {
		site := callSiteOf(ctx)
		c.reporter.Report(Event{Time: time.Now(), Function: site.function, Step: site.step, Kind: EventRetry,
			Message: fmt.Sprintf("DescribeAlarms attempt %d: %s; retrying in %s", attempt, shortErr(err), wait.Round(time.Millisecond))})
	}
	opts = append(slices.Clip(opts), func(o *cloudwatch.Options) { o.Retryer = aws.NopRetryer{} })
	return callWithRetry(ctx, c.b.lim, c.retry, "DescribeAlarms", onRetry, func(ctx context.Context) (*cloudwatch.DescribeAlarmsOutput, error) {
		c.b.calls.Add(1)
		return c.api.DescribeAlarms(ctx, in, opts...)
	})
}
