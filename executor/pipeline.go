package executor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/lambdas-dev/lambdas/planner"
	"github.com/lambdas-dev/lambdas/state"
)

// errSkip marks a step that had nothing to do; its text says why.
type errSkip struct{ why string }

func (s errSkip) Error() string { return s.why }

func skip(format string, args ...any) error { return errSkip{fmt.Sprintf(format, args...)} }

// stepFunc runs one named step of a function's pipeline.
type stepFunc func(ctx context.Context, r *release) error

// steps maps the plan's step names to their implementations. Packaging ran
// before any AWS call (packageAll), so it is not here.
func (e *Executor) steps() map[string]stepFunc {
	return map[string]stepFunc{
		planner.StepBuildDependencies: e.buildDependencies,
		planner.StepPublishLayer:      e.publishLayer,
		planner.StepAttachLayer:       e.attachLayer,
		planner.StepUpload:            e.upload,
		planner.StepUpdateCode:        e.updateCode,
		planner.StepPublishVersion:    e.publishVersion,
		planner.StepMoveAlias:         e.moveAlias,
	}
}

// releaseOne runs a function's pipeline: the plan's steps in order, each
// recorded in the state when done, then the release itself.
func (e *Executor) releaseOne(ctx context.Context, r *release) FunctionResult {
	start := time.Now()
	res := FunctionResult{Name: r.fn.Label, FunctionName: r.fn.Name}
	fail := func(step string, err error) FunctionResult {
		msg := fmt.Sprintf("%s: %s: %v", r.fn.Label, step, err)
		e.report(r, step, EventFail, msg)
		res.Status, res.Error, res.Duration = StatusFailed, msg, time.Since(start)
		return res
	}
	impl := e.steps()
	if r.zip != nil {
		if err := e.recordStep(ctx, r, planner.StepPackage); err != nil {
			return fail(planner.StepPackage, err)
		}
	}
	for _, s := range r.plan.Steps {
		if s.Name == planner.StepPackage {
			continue
		}
		run := impl[s.Name]
		if run == nil {
			return fail(s.Name, fmt.Errorf("this version of lambdas does not know the step (plan made by a newer version?)"))
		}
		t := time.Now()
		e.report(r, s.Name, EventStart, s.Reason)
		err := run(ctx, r)
		var sk errSkip
		switch {
		case errors.As(err, &sk):
			r.skipped = append(r.skipped, s.Name+": "+sk.why)
			e.reportElapsed(r, s.Name, EventSkip, sk.why, time.Since(t))
		case err != nil:
			return fail(s.Name, err)
		default:
			e.reportElapsed(r, s.Name, EventDone, e.doneMessage(r, s.Name), time.Since(t))
		}
		if err := e.recordStep(ctx, r, s.Name); err != nil {
			return fail(s.Name, err)
		}
	}
	if err := e.recordRelease(ctx, r); err != nil {
		return fail("record state", err)
	}
	res.Status, res.Version, res.Skipped, res.Duration = StatusReleased, r.version, r.skipped, time.Since(start)
	if r.zip != nil {
		res.CodeSha256 = r.zip.CodeSha256
	} else if r.prev != nil {
		res.CodeSha256 = r.prev.CodeSha256
	}
	e.reportElapsed(r, "", EventReleased, fmt.Sprintf("%s → version %s", r.fn.Alias, r.version), res.Duration)
	return res
}

func (e *Executor) doneMessage(r *release, step string) string {
	switch step {
	case planner.StepUpload:
		return r.artifactURL()
	case planner.StepUpdateCode:
		return "code updated to " + r.zip.CodeSha256
	case planner.StepPublishVersion:
		return "version " + r.version
	case planner.StepMoveAlias:
		return fmt.Sprintf("%s → %s", r.fn.Alias, r.version)
	}
	return ""
}

// recordStep notes a finished step in the state's in-flight release.
func (e *Executor) recordStep(ctx context.Context, r *release, step string) error {
	return e.state.Update(ctx, func(d *state.Document) error {
		f := d.Functions[r.fn.Label]
		if f == nil {
			f = &state.Function{FunctionName: r.fn.Name}
			d.Functions[r.fn.Label] = f
		}
		if f.InFlight == nil || f.InFlight.CodeFingerprint != r.plan.CodeFingerprint || f.InFlight.DepsFingerprint != r.plan.DepsFingerprint {
			f.InFlight = &state.Release{Commit: r.head, Dirty: len(r.plan.Uncommitted) > 0, CodeFingerprint: r.plan.CodeFingerprint, DepsFingerprint: r.plan.DepsFingerprint, StartedAt: time.Now().UTC()}
		}
		in := f.InFlight
		if in.Done == nil {
			in.Done = map[string]string{}
		}
		in.Done[step] = time.Now().UTC().Format(time.RFC3339)
		if r.zip != nil {
			in.CodeSha256 = r.zip.CodeSha256
		}
		if r.artifactKey != "" {
			in.Artifact = r.artifactURL()
		}
		if r.version != "" {
			in.Version = r.version
		}
		return nil
	})
}

// recordRelease turns the in-flight release into the function's record.
func (e *Executor) recordRelease(ctx context.Context, r *release) error {
	return e.state.Update(ctx, func(d *state.Document) error {
		f := d.Functions[r.fn.Label]
		rec := &state.Function{
			FunctionName:    r.fn.Name,
			Commit:          r.head,
			Dirty:           len(r.plan.Uncommitted) > 0,
			CodeFingerprint: r.plan.CodeFingerprint,
			DepsFingerprint: r.plan.DepsFingerprint,
			Version:         r.version,
			Alias:           r.fn.Alias,
			ReleasedAt:      time.Now().UTC(),
		}
		if f != nil {
			rec.CodeSha256, rec.Artifact = f.CodeSha256, f.Artifact
		}
		if r.zip != nil {
			rec.CodeSha256 = r.zip.CodeSha256
		}
		if r.artifactKey != "" {
			rec.Artifact = r.artifactURL()
		}
		d.Functions[r.fn.Label] = rec
		return nil
	})
}

// Dependency layers are the next piece of work (roadmap: dependencies and
// layers). Until then these steps say so and the fingerprint is recorded, so
// a later version sees "no layer recorded" and builds one.
func (e *Executor) buildDependencies(ctx context.Context, r *release) error {
	return skip("dependency layers are not built by this version of lambdas yet; %s is fingerprinted only", path.Base(r.fn.Dependencies))
}

func (e *Executor) publishLayer(ctx context.Context, r *release) error {
	return skip("no layer built (see build-dependencies)")
}

func (e *Executor) attachLayer(ctx context.Context, r *release) error {
	return skip("no layer built (see build-dependencies)")
}

// upload stores the zip at <prefix>/<function>/<sha256>/app.zip, once, and
// copies it to <prefix>/<function>/latest/app.zip.
func (e *Executor) upload(ctx context.Context, r *release) error {
	loc := e.manifest.Project.Artifacts
	if loc == nil {
		return skip("no project.artifacts: the zip goes to Lambda directly")
	}
	prefix := loc.Prefix
	if prefix != "" {
		prefix += "/"
	}
	hexSum := fmt.Sprintf("%x", r.zip.SHA256)
	key := prefix + r.fn.Label + "/" + hexSum + "/app.zip"
	latest := prefix + r.fn.Label + "/latest/app.zip"
	r.artifactBucket, r.artifactKey = loc.Bucket, key

	_, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(key)})
	exists := err == nil
	if err != nil && !isS3NotFound(err) {
		return fmt.Errorf("check s3://%s/%s: %w", loc.Bucket, key, err)
	}
	if !exists {
		f, err := os.Open(r.zip.Path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = e.s3.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(loc.Bucket), Key: aws.String(key), Body: f, ContentLength: aws.Int64(r.zip.Size),
			ContentType: aws.String("application/zip"),
			Metadata:    map[string]string{"code-sha256": r.zip.CodeSha256, "commit": r.head},
		})
		if err != nil {
			return fmt.Errorf("upload s3://%s/%s: %w", loc.Bucket, key, err)
		}
	}
	_, err = e.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(latest), CopySource: aws.String(loc.Bucket + "/" + key)})
	if err != nil {
		return fmt.Errorf("copy to s3://%s/%s: %w", loc.Bucket, latest, err)
	}
	if exists {
		return skip("s3://%s/%s already stored (latest/ updated)", loc.Bucket, key)
	}
	return nil
}

func isS3NotFound(err error) bool {
	var nf *s3types.NotFound
	var nsk *s3types.NoSuchKey
	if errors.As(err, &nf) || errors.As(err, &nsk) {
		return true
	}
	return strings.Contains(err.Error(), "StatusCode: 404")
}

// alreadyExists reports Lambda's answer to creating what exists: a 409
// ResourceConflictException that says so (not one about an update in progress).
func alreadyExists(err error) bool {
	var conflict *types.ResourceConflictException
	return errors.As(err, &conflict) && strings.Contains(err.Error(), "already exist")
}

func (r *release) artifactURL() string { return "s3://" + r.artifactBucket + "/" + r.artifactKey }

// code is where Lambda takes the package from: the uploaded artifact, or
// the zip itself when there is no artifacts bucket.
func (r *release) code() (*types.FunctionCode, error) {
	if r.artifactKey != "" {
		return &types.FunctionCode{S3Bucket: aws.String(r.artifactBucket), S3Key: aws.String(r.artifactKey)}, nil
	}
	data, err := os.ReadFile(r.zip.Path)
	if err != nil {
		return nil, err
	}
	return &types.FunctionCode{ZipFile: data}, nil
}

func isNotFound(err error) bool {
	var nf *types.ResourceNotFoundException
	return errors.As(err, &nf)
}

// mutate runs one mutating Lambda call through the limiter and retries.
func mutate[T any](ctx context.Context, e *Executor, r *release, step string, call func(context.Context) (T, error)) (T, error) {
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
		e.report(r, planner.StepUpdateCode, EventWarn, fmt.Sprintf("live runtime is %s, the manifest says %s: lambdas updates code only; change the runtime where the function is defined (Terraform)", rt, r.fn.Runtime))
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
	up, err := mutate(ctx, e, r, planner.StepUpdateCode, func(ctx context.Context) (*lambda.UpdateFunctionCodeOutput, error) {
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
	out, err := mutate(ctx, e, r, planner.StepUpdateCode, func(ctx context.Context) (*lambda.CreateFunctionOutput, error) {
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
	e.report(r, planner.StepUpdateCode, EventNote, fmt.Sprintf("created function %s from the manifest's create block", r.fn.Name))
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
	if r.resumed[planner.StepPublishVersion] && r.prev != nil && r.prev.InFlight != nil && r.prev.InFlight.Version != "" {
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
	out, err := mutate(ctx, e, r, planner.StepPublishVersion, func(ctx context.Context) (*lambda.PublishVersionOutput, error) {
		return e.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{
			FunctionName: aws.String(name),
			CodeSha256:   aws.String(want),
			RevisionId:   optional(r.revisionID),
			Description:  aws.String(fmt.Sprintf("lambdas %s at %s", r.fn.Label, planner.ShortHash(r.head))),
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
	if r.version == "" && r.prev != nil && !r.plan.HasStep(planner.StepPublishVersion) {
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
		_, err := mutate(ctx, e, r, planner.StepMoveAlias, func(ctx context.Context) (*lambda.CreateAliasOutput, error) {
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
	_, err = mutate(ctx, e, r, planner.StepMoveAlias, func(ctx context.Context) (*lambda.UpdateAliasOutput, error) {
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
