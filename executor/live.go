package executor

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"golang.org/x/sync/errgroup"

	"github.com/lambdas-dev/lambdas/planner/plan"
)

// LiveTarget names a function whose live state is read.
type LiveTarget struct {
	Label, FunctionName, Alias string
}

// ReadOptions tune ReadLive.
type ReadOptions struct {
	// Weights also reads the alias with GetAlias (one call in the
	// control-plane bucket per function) for its routing weights.
	Weights bool
	// Parallelism bounds the functions read at once (default 10); the
	// buckets pace the calls whatever it is.
	Parallelism int
	// Step names the reads in retry reports ("refresh", "status").
	Step string
}

// LiveRead is one function's live state, or why it could not be read.
type LiveRead struct {
	Label string
	Live  plan.Live
	Err   error
}

// ReadLive reads each function's $LATEST and alias with GetFunction (its
// own 100/s bucket; GetFunction with the alias as qualifier answers the
// alias's version and its CodeSha256), in parallel, through the paced
// client. The results are in the order of targets.
func (c *Lambda) ReadLive(ctx context.Context, targets []LiveTarget, o ReadOptions) []LiveRead {
	if o.Parallelism <= 0 {
		o.Parallelism = 10
	}
	out := make([]LiveRead, len(targets))
	g := new(errgroup.Group)
	g.SetLimit(o.Parallelism)
	for i, t := range targets {
		g.Go(func() error {
			live, err := c.readOne(withCallSite(ctx, t.Label, o.Step), t, o)
			out[i] = LiveRead{Label: t.Label, Live: live, Err: err}
			return nil
		})
	}
	_ = g.Wait()
	return out
}

func (c *Lambda) readOne(ctx context.Context, t LiveTarget, o ReadOptions) (plan.Live, error) {
	var live plan.Live
	latest, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(t.FunctionName)})
	if isNotFound(err) {
		return live, nil
	}
	if err != nil {
		return live, fmt.Errorf("%s: read function %s: %w", t.Label, t.FunctionName, err)
	}
	live.Exists = true
	if latest.Configuration != nil {
		live.CodeSha256 = aws.ToString(latest.Configuration.CodeSha256)
		live.Account = arnAccount(latest.Configuration.FunctionArn)
	}
	aliased, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(t.FunctionName), Qualifier: aws.String(t.Alias)})
	if isNotFound(err) {
		return live, nil
	}
	if err != nil {
		return live, fmt.Errorf("%s: read alias %s of %s: %w", t.Label, t.Alias, t.FunctionName, err)
	}
	live.AliasExists = true
	if cfg := aliased.Configuration; cfg != nil {
		live.AliasVersion, live.AliasCodeSha256 = aws.ToString(cfg.Version), aws.ToString(cfg.CodeSha256)
	}
	if o.Weights {
		a, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(t.FunctionName), Name: aws.String(t.Alias)})
		if err != nil && !isNotFound(err) {
			return live, fmt.Errorf("%s: read alias %s of %s: %w", t.Label, t.Alias, t.FunctionName, err)
		}
		if err == nil {
			live.WeightsRead, live.AliasDescription = true, aws.ToString(a.Description)
			if a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0 {
				live.Weights = a.RoutingConfig.AdditionalVersionWeights
			}
		}
	}
	return live, nil
}
