package executor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdas-dev/lambdas/planner/plan"
)

// alreadyExists reports Lambda's answer to creating what exists: a 409
// ResourceConflictException that says so (not one about an update in progress).
func alreadyExists(err error) bool {
	var conflict *types.ResourceConflictException
	return errors.As(err, &conflict) && strings.Contains(err.Error(), "already exist")
}

func isNotFound(err error) bool {
	var nf *types.ResourceNotFoundException
	return errors.As(err, &nf)
}

// mutate runs one mutating Lambda call through the limiter and retries.
func mutate[T any](ctx context.Context, e *Executor, r *release, step plan.StepName, call func(context.Context) (T, error)) (T, error) {
	return callMutating(ctx, e.limiter, e.opts.Retry, func(attempt int, err error, wait time.Duration) {
		e.report(r, step, EventRetry, fmt.Sprintf("attempt %d: %v; retrying in %s", attempt, shortErr(err), wait.Round(time.Millisecond)))
	}, func(ctx context.Context) (T, error) {
		e.mutating.Add(1)
		return call(ctx)
	})
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.Index(s, "api error "); i >= 0 {
		return s[i+len("api error "):]
	}
	return s
}

// updateCode points $LATEST at the new package, creating the function from
// its create block when it does not exist, and waits for the update to
// settle. It records the RevisionId that publish-version guards with.
func (e *Executor) updateCode(ctx context.Context, r *release) error {
	name := r.fn.Name
	cur, err := e.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if isNotFound(err) {
		return e.createFunction(ctx, r)
	}
	if err != nil {
		return fmt.Errorf("read function %s: %w", name, err)
	}
	if rt := string(cur.Configuration.Runtime); rt != "" && rt != r.fn.Runtime {
		e.report(r, plan.StepUpdateCode, EventWarn, fmt.Sprintf("live runtime is %s, the manifest says %s: lambdas updates code only; change the runtime where the function is defined (Terraform)", rt, r.fn.Runtime))
	}
	// Never update under a running update: wait for it to settle first.
	if !settled(cur.Configuration) {
		if cur, err = e.waitUpdated(ctx, name); err != nil {
			return err
		}
	}
	if aws.ToString(cur.Configuration.CodeSha256) == r.zip.CodeSha256 && archMatches(cur.Configuration.Architectures, r.fn.Architecture) {
		r.revisionID = aws.ToString(cur.Configuration.RevisionId)
		return skip("%s already runs this code (CodeSha256 %s)", name, r.zip.CodeSha256)
	}
	in := &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), Architectures: []types.Architecture{types.Architecture(r.fn.Architecture)}}
	code, err := r.code()
	if err != nil {
		return err
	}
	in.S3Bucket, in.S3Key, in.ZipFile = code.S3Bucket, code.S3Key, code.ZipFile
	up, err := mutate(ctx, e, r, plan.StepUpdateCode, func(ctx context.Context) (*lambda.UpdateFunctionCodeOutput, error) {
		return e.lambda.UpdateFunctionCode(ctx, in, noSDKRetry)
	})
	if err != nil {
		return err
	}
	if got := aws.ToString(up.CodeSha256); got != r.zip.CodeSha256 {
		return fmt.Errorf("Lambda reports CodeSha256 %s for the new code, the package is %s; not publishing", got, r.zip.CodeSha256)
	}
	out, err := e.waitUpdated(ctx, name)
	if err != nil {
		return err
	}
	if got := aws.ToString(out.Configuration.CodeSha256); got != r.zip.CodeSha256 {
		return fmt.Errorf("after the update %s runs CodeSha256 %s, not the package's %s (changed by someone else?)", name, got, r.zip.CodeSha256)
	}
	r.revisionID = aws.ToString(out.Configuration.RevisionId)
	return nil
}

// settled reports whether a function can take an update now.
func settled(c *types.FunctionConfiguration) bool {
	if c == nil {
		return false
	}
	return (c.State == "" || c.State == types.StateActive) && c.LastUpdateStatus != types.LastUpdateStatusInProgress
}

func archMatches(live []types.Architecture, want string) bool {
	if len(live) == 0 {
		return want == "x86_64"
	}
	return len(live) == 1 && string(live[0]) == want
}

func (e *Executor) createFunction(ctx context.Context, r *release) error {
	c := r.fn.Create
	if c == nil {
		return fmt.Errorf("function %s does not exist; create it with Terraform (or whatever owns your infrastructure), or add a create { role = \"arn:aws:iam::...\" } block to function %q in the manifest", r.fn.Name, r.fn.Label)
	}
	in := &lambda.CreateFunctionInput{
		FunctionName:  aws.String(r.fn.Name),
		Runtime:       types.Runtime(r.fn.Runtime),
		Handler:       aws.String(r.fn.Handler),
		Role:          aws.String(c.Role),
		MemorySize:    aws.Int32(c.Memory),
		Timeout:       aws.Int32(c.Timeout),
		Architectures: []types.Architecture{types.Architecture(r.fn.Architecture)},
		Publish:       false,
	}
	if len(c.Environment) > 0 {
		in.Environment = &types.Environment{Variables: c.Environment}
	}
	code, err := r.code()
	if err != nil {
		return err
	}
	in.Code = code
	out, err := mutate(ctx, e, r, plan.StepUpdateCode, func(ctx context.Context) (*lambda.CreateFunctionOutput, error) {
		return e.lambda.CreateFunction(ctx, in, noSDKRetry)
	})
	if alreadyExists(err) {
		return e.updateCode(ctx, r) // created meanwhile (or by an attempt whose answer was lost)
	}
	if err != nil {
		return fmt.Errorf("create function %s: %w", r.fn.Name, err)
	}
	if got := aws.ToString(out.CodeSha256); got != r.zip.CodeSha256 {
		return fmt.Errorf("Lambda reports CodeSha256 %s for the new function, the package is %s", got, r.zip.CodeSha256)
	}
	e.report(r, plan.StepUpdateCode, EventNote, fmt.Sprintf("created function %s from the manifest's create block", r.fn.Name))
	w := lambda.NewFunctionActiveV2Waiter(e.lambda, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = e.opts.PollInterval, 5*time.Second
	})
	got, err := w.WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(r.fn.Name)}, e.opts.WaitTimeout)
	if err != nil {
		return fmt.Errorf("wait for %s to become Active: %w", r.fn.Name, err)
	}
	r.revisionID = aws.ToString(got.Configuration.RevisionId)
	return nil
}

// waitUpdated waits until the function's last update is no longer in progress.
func (e *Executor) waitUpdated(ctx context.Context, name string) (*lambda.GetFunctionOutput, error) {
	w := lambda.NewFunctionUpdatedV2Waiter(e.lambda, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = e.opts.PollInterval, 5*time.Second
	})
	out, err := w.WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, e.opts.WaitTimeout)
	if err != nil {
		return nil, fmt.Errorf("wait for the update of %s to finish: %w", name, err)
	}
	if out.Configuration.LastUpdateStatus == types.LastUpdateStatusFailed {
		return nil, fmt.Errorf("the last update of %s failed: %s", name, aws.ToString(out.Configuration.LastUpdateStatusReason))
	}
	return out, nil
}

// publishVersion publishes $LATEST as a version, guarded by the package's
// CodeSha256 and the RevisionId seen after the update: if anyone changed the
// function meanwhile, AWS refuses instead of publishing their code.
func (e *Executor) publishVersion(ctx context.Context, r *release) error {
	name := r.fn.Name
	want := r.expectedSha()
	if r.resumed[plan.StepPublishVersion] && r.prev != nil && r.prev.InFlight != nil && r.prev.InFlight.Version != "" {
		if ok, _ := e.versionHas(ctx, name, r.prev.InFlight.Version, want); ok {
			r.version = r.prev.InFlight.Version
			return skip("version %s was published before the interruption", r.version)
		}
	}
	if r.revisionID == "" {
		out, err := e.waitUpdated(ctx, name)
		if err != nil {
			return err
		}
		r.revisionID = aws.ToString(out.Configuration.RevisionId)
	}
	out, err := mutate(ctx, e, r, plan.StepPublishVersion, func(ctx context.Context) (*lambda.PublishVersionOutput, error) {
		return e.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{
			FunctionName: aws.String(name),
			CodeSha256:   aws.String(want),
			RevisionId:   optional(r.revisionID),
			Description:  aws.String(fmt.Sprintf("lambdas %s at %s", r.fn.Label, plan.ShortHash(r.head))),
		}, noSDKRetry)
	})
	var pre *types.PreconditionFailedException
	if errors.As(err, &pre) {
		return fmt.Errorf("%s changed while it was being released (CodeSha256 or RevisionId no longer match); run lambdas plan and apply again: %w", name, err)
	}
	if err != nil {
		return err
	}
	if got := aws.ToString(out.CodeSha256); got != want {
		return fmt.Errorf("version %s has CodeSha256 %s, not the package's %s; the alias stays where it is", aws.ToString(out.Version), got, want)
	}
	r.version = aws.ToString(out.Version)
	if r.version == "" || r.version == "$LATEST" {
		return fmt.Errorf("PublishVersion returned version %q", r.version)
	}
	w := lambda.NewPublishedVersionActiveWaiter(e.lambda, func(o *lambda.PublishedVersionActiveWaiterOptions) {
		o.MinDelay, o.MaxDelay = e.opts.PollInterval, 5*time.Second
	})
	active, err := w.WaitForOutput(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name), Qualifier: aws.String(r.version)}, e.opts.WaitTimeout)
	if err != nil {
		return fmt.Errorf("wait for version %s to become Active: %w", r.version, err)
	}
	if got := aws.ToString(active.CodeSha256); got != want {
		return fmt.Errorf("version %s is Active with CodeSha256 %s, not the package's %s; the alias stays where it is", r.version, got, want)
	}
	r.verified = r.version
	return nil
}

// optional is nil for "", so that a guard the service did not give (an
// emulator without RevisionIds) is left out rather than sent empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// expectedSha is the CodeSha256 the new version must have.
func (r *release) expectedSha() string {
	if r.zip != nil {
		return r.zip.CodeSha256
	}
	if r.prev != nil {
		return r.prev.CodeSha256
	}
	return ""
}

// versionHas checks that a published version is Active and runs the code.
func (e *Executor) versionHas(ctx context.Context, name, version, sha string) (bool, error) {
	c, err := e.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name), Qualifier: aws.String(version)})
	if err != nil {
		return false, err
	}
	if c.State != types.StateActive && c.State != "" {
		return false, fmt.Errorf("version %s is %s, not Active", version, c.State)
	}
	if got := aws.ToString(c.CodeSha256); sha != "" && got != sha {
		return false, fmt.Errorf("version %s runs CodeSha256 %s, not %s", version, got, sha)
	}
	return true, nil
}

// moveAlias points the alias at the new version, all at once, after checking
// once more that the version is published, Active and runs the package.
func (e *Executor) moveAlias(ctx context.Context, r *release) error {
	name, alias := r.fn.Name, r.fn.Alias
	if r.version == "" && r.prev != nil && !r.plan.HasStep(plan.StepPublishVersion) {
		r.version = r.prev.Version // only the alias changed
	}
	if r.version == "" || r.version == "$LATEST" {
		return fmt.Errorf("no published version to point %s at", alias)
	}
	// A version published by this run was verified as it became Active;
	// any other (resumed, alias-only) is checked now.
	if r.verified != r.version {
		if ok, err := e.versionHas(ctx, name, r.version, r.expectedSha()); !ok {
			return fmt.Errorf("refusing to move %s: %w", alias, err)
		}
	}
	cur, err := e.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(name), Name: aws.String(alias)})
	if isNotFound(err) {
		_, err := mutate(ctx, e, r, plan.StepMoveAlias, func(ctx context.Context) (*lambda.CreateAliasOutput, error) {
			return e.lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(name), Name: aws.String(alias), FunctionVersion: aws.String(r.version),
				Description: aws.String("managed by lambdas")}, noSDKRetry)
		})
		if alreadyExists(err) {
			return e.moveAlias(ctx, r) // created meanwhile: update it instead
		}
		return err
	}
	if err != nil {
		return fmt.Errorf("read alias %s: %w", alias, err)
	}
	if aws.ToString(cur.FunctionVersion) == r.version && (cur.RoutingConfig == nil || len(cur.RoutingConfig.AdditionalVersionWeights) == 0) {
		return skip("%s already points at version %s", alias, r.version)
	}
	_, err = mutate(ctx, e, r, plan.StepMoveAlias, func(ctx context.Context) (*lambda.UpdateAliasOutput, error) {
		return e.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{
			FunctionName:    aws.String(name),
			Name:            aws.String(alias),
			FunctionVersion: aws.String(r.version),
			RoutingConfig:   &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}},
			RevisionId:      cur.RevisionId,
		}, noSDKRetry)
	})
	var pre *types.PreconditionFailedException
	if errors.As(err, &pre) {
		return fmt.Errorf("alias %s changed while it was being moved; run apply again: %w", alias, err)
	}
	return err
}
