package executor

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambdas-dev/lambdas/manifest"
)

// The Lambda API quotas lambdas paces itself against (Lambda developer
// guide, "Lambda quotas", API requests; per account and Region, none can be
// raised). Invoke is not control plane; GetPolicy (15/s, its own) is not
// called.
const (
	// BucketControlPlane is shared by every control-plane request but
	// GetFunction and GetPolicy, reads as well as writes: GetAlias,
	// UpdateFunctionCode, PublishVersion, CreateAlias, UpdateAlias,
	// CreateFunction, ... 15 requests per second.
	BucketControlPlane = "control-plane"
	// BucketGetFunction is GetFunction's own: 100 requests per second.
	BucketGetFunction = "get-function"
)

// Quotas are the rates of the buckets, in requests per second.
type Quotas struct {
	ControlPlane float64 // project.api_rate_limit (default 15)
	GetFunction  float64 // default 100
}

// DefaultQuotas are an AWS account's.
var DefaultQuotas = Quotas{ControlPlane: 15, GetFunction: 100}

// QuotasFor returns the quotas of the manifest's project
// (project.api_rate_limit, project.get_function_rate_limit); getFunction,
// when above 0, overrides the second.
func QuotasFor(m *manifest.Manifest, getFunction float64) Quotas {
	if getFunction <= 0 {
		getFunction = m.Project.GetFunctionRateLimit
	}
	return Quotas{ControlPlane: m.Project.APIRateLimit, GetFunction: getFunction}.withDefaults()
}

func (q Quotas) withDefaults() Quotas {
	if q.ControlPlane <= 0 {
		q.ControlPlane = DefaultQuotas.ControlPlane
	}
	if q.GetFunction <= 0 {
		q.GetFunction = DefaultQuotas.GetFunction
	}
	return q
}

// BucketStats counts the requests of one bucket.
type BucketStats struct {
	Calls     int64 `json:"calls"`     // requests sent, retries included
	Throttles int   `json:"throttles"` // of them, answered 429
}

// bucket is one quota's limiter and counts.
type bucket struct {
	name  string
	lim   *Limiter
	calls atomic.Int64
}

// Lambda is the Lambda client every part of lambdas talks through (apply,
// the refresh of a plan, status): it wraps the SDK client, satisfies
// lambdaAPI, and sends each call through the limiter of the quota it counts
// against and through our bounded retry loop (the SDK's retryer is off for
// every call, waiters' polls included: there are no SDK waiters). One Lambda
// is shared by all the workers of a command, so that together they stay
// within the quotas; WithReporter gives a view of it that reports retries
// elsewhere, sharing the buckets.
//
// Retries are reported with the function and step they belong to, which
// travel in the context (withCallSite): the call's signature is the SDK's,
// and the call site is request-scoped data, as a trace span would be.
type Lambda struct {
	api      lambdaAPI
	region   string
	retry    RetryPolicy
	control  *bucket
	getFn    *bucket
	invoke   *bucket // Invoke: not control plane (invoke.go)
	mutating *atomic.Int64
	reporter Reporter
}

var _ lambdaAPI = (*Lambda)(nil)

// NewLambda returns a paced client for the configuration's Region.
func NewLambda(cfg aws.Config, q Quotas, pol RetryPolicy) *Lambda {
	return newLambda(lambda.NewFromConfig(cfg), cfg.Region, q, pol)
}

func newLambda(api lambdaAPI, region string, q Quotas, pol RetryPolicy) *Lambda {
	q = q.withDefaults()
	if pol.MaxAttempts <= 0 {
		pol = DefaultRetry
	}
	return &Lambda{
		api:      api,
		region:   region,
		retry:    pol,
		control:  &bucket{name: BucketControlPlane, lim: NewLimiter(q.ControlPlane)},
		getFn:    &bucket{name: BucketGetFunction, lim: NewLimiter(q.GetFunction)},
		invoke:   &bucket{name: BucketInvoke, lim: NewLimiter(invokeRate)},
		mutating: new(atomic.Int64),
		reporter: ReporterFunc(func(Event) {}),
	}
}

// WithReporter returns the client reporting its retries to r; the buckets
// and counts stay shared.
func (c *Lambda) WithReporter(r Reporter) *Lambda {
	cp := *c
	if r == nil {
		r = ReporterFunc(func(Event) {})
	}
	cp.reporter = r
	return &cp
}

// Region is the Region the client calls.
func (c *Lambda) Region() string { return c.region }

// Stats returns the counts per bucket so far.
func (c *Lambda) Stats() map[string]BucketStats {
	out := map[string]BucketStats{}
	for _, b := range []*bucket{c.control, c.getFn} {
		out[b.name] = BucketStats{Calls: b.calls.Load(), Throttles: b.lim.Throttles()}
	}
	if n := c.invoke.calls.Load(); n > 0 { // only said when used (smoke tests)
		out[c.invoke.name] = BucketStats{Calls: n, Throttles: c.invoke.lim.Throttles()}
	}
	return out
}

// MutatingCalls counts the requests that change something (all but reads).
func (c *Lambda) MutatingCalls() int64 { return c.mutating.Load() }

// callSite is the function and step a call is made for, for reports.
type callSite struct{ function, step string }

type callSiteKey struct{}

func withCallSite(ctx context.Context, function, step string) context.Context {
	return context.WithValue(ctx, callSiteKey{}, callSite{function, step})
}

func callSiteOf(ctx context.Context) callSite {
	s, _ := ctx.Value(callSiteKey{}).(callSite)
	return s
}

// do sends one call through its bucket and the retry loop.
func do[T any](ctx context.Context, c *Lambda, b *bucket, op string, mutating bool, call func(context.Context) (T, error)) (T, error) {
	onRetry := func(attempt int, err error, wait time.Duration) {
		site := callSiteOf(ctx)
		c.reporter.Report(Event{Time: time.Now(), Function: site.function, Step: site.step, Kind: EventRetry,
			Message: fmt.Sprintf("%s attempt %d: %s; retrying in %s (%s bucket now %.1f/s)", op, attempt, shortErr(err), wait.Round(time.Millisecond), b.name, b.lim.Rate())})
	}
	return callWithRetry(ctx, b.lim, c.retry, op, onRetry, func(ctx context.Context) (T, error) {
		b.calls.Add(1)
		if mutating {
			c.mutating.Add(1)
		}
		return call(ctx)
	})
}

// sdk adds noSDKRetry to the caller's options, without touching their slice.
func sdk(opts []func(*lambda.Options)) []func(*lambda.Options) {
	return append(slices.Clip(opts), noSDKRetry)
}

// GetFunction counts against GetFunction's own bucket (100/s).
func (c *Lambda) GetFunction(ctx context.Context, in *lambda.GetFunctionInput, opts ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	return do(ctx, c, c.getFn, "GetFunction", false, func(ctx context.Context) (*lambda.GetFunctionOutput, error) {
		return c.api.GetFunction(ctx, in, sdk(opts)...)
	})
}

// CreateFunction counts against the control-plane bucket, as every call
// below does.
func (c *Lambda) CreateFunction(ctx context.Context, in *lambda.CreateFunctionInput, opts ...func(*lambda.Options)) (*lambda.CreateFunctionOutput, error) {
	return do(ctx, c, c.control, "CreateFunction", true, func(ctx context.Context) (*lambda.CreateFunctionOutput, error) {
		return c.api.CreateFunction(ctx, in, sdk(opts)...)
	})
}

func (c *Lambda) UpdateFunctionCode(ctx context.Context, in *lambda.UpdateFunctionCodeInput, opts ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error) {
	return do(ctx, c, c.control, "UpdateFunctionCode", true, func(ctx context.Context) (*lambda.UpdateFunctionCodeOutput, error) {
		return c.api.UpdateFunctionCode(ctx, in, sdk(opts)...)
	})
}

func (c *Lambda) PublishVersion(ctx context.Context, in *lambda.PublishVersionInput, opts ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error) {
	return do(ctx, c, c.control, "PublishVersion", true, func(ctx context.Context) (*lambda.PublishVersionOutput, error) {
		return c.api.PublishVersion(ctx, in, sdk(opts)...)
	})
}

func (c *Lambda) GetAlias(ctx context.Context, in *lambda.GetAliasInput, opts ...func(*lambda.Options)) (*lambda.GetAliasOutput, error) {
	return do(ctx, c, c.control, "GetAlias", false, func(ctx context.Context) (*lambda.GetAliasOutput, error) {
		return c.api.GetAlias(ctx, in, sdk(opts)...)
	})
}

func (c *Lambda) CreateAlias(ctx context.Context, in *lambda.CreateAliasInput, opts ...func(*lambda.Options)) (*lambda.CreateAliasOutput, error) {
	return do(ctx, c, c.control, "CreateAlias", true, func(ctx context.Context) (*lambda.CreateAliasOutput, error) {
		return c.api.CreateAlias(ctx, in, sdk(opts)...)
	})
}

func (c *Lambda) UpdateAlias(ctx context.Context, in *lambda.UpdateAliasInput, opts ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error) {
	return do(ctx, c, c.control, "UpdateAlias", true, func(ctx context.Context) (*lambda.UpdateAliasOutput, error) {
		return c.api.UpdateAlias(ctx, in, sdk(opts)...)
	})
}

// BucketNames returns the names of the buckets in stats, sorted.
func BucketNames(stats map[string]BucketStats) []string {
	names := make([]string, 0, len(stats))
	for n := range stats {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
