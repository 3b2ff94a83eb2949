package operation

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdas-dev/lambdas/executor"
	"github.com/lambdas-dev/lambdas/planner"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

// PlanOptions tune a plan.
type PlanOptions struct {
	Targets []string
	// Refresh reads every planned function's live alias and $LATEST from
	// AWS and shows (and plans to undo) what drifted from the state.
	Refresh bool
	// GetFunctionRate is GetFunction's quota (0: 100/s).
	GetFunctionRate float64
}

// MakePlan plans from a manifest, repository and state already loaded,
// refreshed from AWS when asked.
func MakePlan(ctx context.Context, in Inputs, doc *state.Document, o PlanOptions) (*plan.Plan, error) {
	p, err := Plan(in, doc, o.Targets)
	if err != nil {
		return p, err
	}
	conn := &awsConn{in: in, getFunctionRate: o.GetFunctionRate}
	if err := FoldLayerCache(ctx, in, p, doc, conn, false); err != nil {
		return nil, err
	}
	if !o.Refresh {
		return p, nil
	}
	if err := Refresh(ctx, in, p, doc, conn, true); err != nil {
		return nil, err
	}
	return p, nil
}

// awsConn makes the AWS configuration and the paced Lambda client the first
// time they are needed (a plan with nothing to read needs no AWS), and
// keeps them, so that the refresh and the apply share the quota buckets.
type awsConn struct {
	in              Inputs
	getFunctionRate float64
	// share > 1 paces at 1/share of the quotas (Lambda's and CloudWatch's):
	// the shards of a CI matrix run at once against one account's quotas.
	share int

	cfg    aws.Config
	s3Opts []func(*s3.Options)
	client *executor.Lambda
	cw     *executor.CloudWatch // rollout.go
}

func (c *awsConn) lambda(ctx context.Context) (*executor.Lambda, error) {
	if c.client != nil {
		return c.client, nil
	}
	cfg, s3Opts, err := LoadAWS(ctx, c.in.Manifest)
	if err != nil {
		return nil, err
	}
	c.cfg, c.s3Opts = cfg, s3Opts
	q := executor.QuotasFor(c.in.Manifest, c.getFunctionRate)
	q.ControlPlane, q.GetFunction = c.shared(q.ControlPlane), c.shared(q.GetFunction)
	c.client = executor.NewLambda(cfg, q, executor.RetryPolicy{})
	return c.client, nil
}

// shared is this run's part of an account's quota of rate per second.
func (c *awsConn) shared(rate float64) float64 {
	if c.share > 1 {
		return rate / float64(c.share)
	}
	return rate
}

// Refresh reads the live state of the plan's functions with a release
// recorded (all of them, or, for an apply, those whose steps drift can
// change: see planner.RefreshTargets) and folds the drift into the plan.
// A function that cannot be read fails the refresh: a plan must not say "in
// sync" for what it did not see.
func Refresh(ctx context.Context, in Inputs, p *plan.Plan, doc *state.Document, conn *awsConn, all bool) error {
	labels := planner.RefreshTargets(p, doc, all)
	if len(labels) == 0 {
		return nil
	}
	client, err := conn.lambda(ctx)
	if err != nil {
		return err
	}
	byLabel := map[string]*plan.FunctionPlan{}
	for i := range p.Functions {
		byLabel[p.Functions[i].Name] = &p.Functions[i]
	}
	targets := make([]executor.LiveTarget, 0, len(labels))
	for _, l := range labels {
		fp := byLabel[l]
		targets = append(targets, executor.LiveTarget{Label: l, FunctionName: fp.FunctionName, Alias: fp.Alias})
	}
	live := map[string]plan.Live{}
	var errs []error
	for _, r := range client.ReadLive(ctx, targets, executor.ReadOptions{Step: "refresh"}) {
		if r.Err != nil {
			errs = append(errs, r.Err)
			continue
		}
		live[r.Label] = r.Live
	}
	if len(errs) > 0 {
		if ctx.Err() != nil {
			return fmt.Errorf("%w during the refresh: nothing was changed", executor.ErrInterrupted)
		}
		return fmt.Errorf("refresh (read the live functions; --refresh=false skips it): %w", errors.Join(errs...))
	}
	planner.ApplyDrift(p, live, doc, in.Manifest)
	return nil
}
