package executor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/lambdas-dev/lambdas/planner/plan"
)

// alreadyExists reports Lambda's answer to creating what exists: a 409
// ResourceConflictException that says so (not one about an update in
// progress). moto answers CreateAlias with ConflictException.
func alreadyExists(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ResourceConflictException", "ConflictException":
		return strings.Contains(strings.ToLower(err.Error()), "already exist")
	}
	return false
}

func isNotFound(err error) bool {
	var nf *types.ResourceNotFoundException
	var ae smithy.APIError
	return errors.As(err, &nf) || (errors.As(err, &ae) && ae.ErrorCode() == "ResourceNotFoundException")
}

// isPrecondition reports a 412: a RevisionId (or CodeSha256) guard no longer holds.
func isPrecondition(err error) bool {
	var pre *types.PreconditionFailedException
	var ae smithy.APIError
	return errors.As(err, &pre) || (errors.As(err, &ae) && ae.ErrorCode() == "PreconditionFailedException")
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.Index(s, "api error "); i >= 0 {
		return s[i+len("api error "):]
	}
	return s
}

// updateCode points $LATEST at the new package and publishes it as a
// version in the same call: UpdateFunctionCode with Publish, guarded by the
// RevisionId that GetFunction read, so that a change made by someone else
// in between is refused instead of published. The version is recorded as
// soon as Lambda answers, then verified: polled with GetFunction until it
// is Active, its CodeSha256 the package's. A missing function is created
// from the manifest's create block, published as version 1 in the same call.
func (e *Executor) updateCode(ctx context.Context, r *release) error {
	name, want := r.fn.Name, r.zip.CodeSha256
	if ok, err := e.resumeVersion(ctx, r, plan.StepUpdateCode, want); ok {
		return skip("version %s, published before the interruption, runs the package: not updated again", r.version)
	} else if err != nil {
		return err
	}
	cur, err := e.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if isNotFound(err) {
		created, cerr := e.createFunction(ctx, r)
		if cerr != nil || created {
			return cerr
		}
		// It exists after all (created meanwhile, or by an attempt whose
		// answer was lost): read it, once, and update it.
		if cur, err = e.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}); err != nil {
			return fmt.Errorf("read function %s, which CreateFunction says exists: %w", name, err)
		}
		// attach-layer found no function and left the layer to the
		// create: one made by someone else may lack it, and code updated
		// there would ship without its dependencies.
		if missing := missingLayers(cur.Configuration, r.createLayers); len(missing) > 0 {
			return fmt.Errorf("function %s was created by someone else while this apply ran, without the dependency layer %s: nothing was updated; run lambdas apply again (its attach-layer step sets the layer)", name, strings.Join(missing, ", "))
		}
	}
	if err != nil {
		return fmt.Errorf("read function %s: %w", name, err)
	}
	c := cur.Configuration
	if c == nil {
		return fmt.Errorf("read function %s: no configuration in the answer", name)
	}
	r.noteARN(c.FunctionArn)
	if rt := string(c.Runtime); rt != "" && rt != r.fn.Runtime {
		e.report(r, plan.StepUpdateCode, EventWarn, fmt.Sprintf("live runtime is %s, the manifest says %s: lambdas updates code only; change the runtime where the function is defined (Terraform)", rt, r.fn.Runtime))
	}
	// Never update under a running update: wait for it to settle first.
	if !settled(c) {
		if c, err = e.waitSettled(ctx, r, plan.StepUpdateCode); err != nil {
			return err
		}
	}
	live := aws.ToString(c.CodeSha256)
	r.revisionID = aws.ToString(c.RevisionId)
	if p := r.prev; p != nil && p.CodeSha256 != "" && live != p.CodeSha256 && live != want && len(r.plan.Drift) == 0 && !p.Rollout.RunsCode(live) {
		e.noteDrift(r, plan.StepUpdateCode, fmt.Sprintf("$LATEST ran CodeSha256 %s, not the released %s (changed outside lambdas); this release replaces it", live, p.CodeSha256))
	}
	if live == want && archMatches(c.Architectures, r.fn.Architecture) {
		// $LATEST runs the package already: a release interrupted before
		// its version was recorded, or a change that zips identically.
		// PublishVersion returns the version published from this code (or
		// publishes one): one call, on this path only.
		if err := e.publishLatest(ctx, r, want); err != nil {
			return err
		}
		return skip("%s already runs this code (CodeSha256 %s): version %s", name, want, r.version)
	}
	code, err := r.code()
	if err != nil {
		return err
	}
	in := &lambda.UpdateFunctionCodeInput{
		FunctionName:  aws.String(name),
		Architectures: []types.Architecture{types.Architecture(r.fn.Architecture)},
		Publish:       true,
		RevisionId:    optional(r.revisionID),
		S3Bucket:      code.S3Bucket, S3Key: code.S3Key, ZipFile: code.ZipFile,
	}
	up, err := e.lambda.UpdateFunctionCode(ctx, in)
	if isPrecondition(err) {
		return fmt.Errorf("%s changed after lambdas read it (RevisionId %s no longer matches): nothing was updated or published; run lambdas plan and apply again: %w", name, r.revisionID, err)
	}
	if err != nil {
		return err
	}
	return e.published(ctx, r, "UpdateFunctionCode", aws.ToString(up.Version), aws.ToString(up.CodeSha256), want)
}

// published checks the version an update, create or publish answered,
// records it at once (a crash from here on resumes with it), then waits for
// it to be Active with the package's CodeSha256.
func (e *Executor) published(ctx context.Context, r *release, op, version, got, want string) error {
	if got != want {
		return fmt.Errorf("%s: Lambda reports CodeSha256 %s for version %s, the package is %s; the alias stays where it is", op, got, version, want)
	}
	if version == "" || version == "$LATEST" {
		return fmt.Errorf("%s answered version %q, not a published version; the alias stays where it is", op, version)
	}
	r.version = version
	if err := e.recordVersion(ctx, r); err != nil {
		return err
	}
	if _, err := e.waitVersion(ctx, r, version, want); err != nil {
		return err
	}
	r.verified = version
	return nil
}

// resumeVersion takes the version an interrupted release of the same
// package recorded, once it is verified (Active, the package's CodeSha256):
// no call in the control-plane bucket. A recorded version that fails the
// check is said and passed over; only an interruption is an error.
func (e *Executor) resumeVersion(ctx context.Context, r *release, step plan.StepName, want string) (bool, error) {
	if r.prev == nil || r.prev.InFlight == nil {
		return false, nil
	}
	in := r.prev.InFlight
	if in.Version == "" || in.CodeFingerprint != r.plan.CodeFingerprint || in.DepsFingerprint != r.plan.DepsFingerprint || (in.CodeSha256 != "" && in.CodeSha256 != want) {
		return false, nil
	}
	if _, err := e.waitVersion(ctx, r, in.Version, want); err != nil {
		if stopped(ctx) {
			return false, err
		}
		e.report(r, step, EventNote, fmt.Sprintf("version %s recorded by the interrupted release cannot be used (%v); releasing again", in.Version, err))
		return false, nil
	}
	r.version, r.verified = in.Version, in.Version
	return true, nil
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

// createFunction creates the function from the manifest's create block and
// publishes version 1 in the same call. It returns false, and no error,
// when the function exists already: the caller then updates it (once).
func (e *Executor) createFunction(ctx context.Context, r *release) (bool, error) {
	c := r.fn.Create
	if c == nil {
		return false, fmt.Errorf("function %s does not exist; create it with Terraform (or whatever owns your infrastructure), or add a create { role = \"arn:aws:iam::...\" } block to function %q in the manifest", r.fn.Name, r.fn.Label)
	}
	in := &lambda.CreateFunctionInput{
		FunctionName:  aws.String(r.fn.Name),
		Runtime:       types.Runtime(r.fn.Runtime),
		Handler:       aws.String(r.fn.Handler),
		Role:          aws.String(c.Role),
		MemorySize:    aws.Int32(c.Memory),
		Timeout:       aws.Int32(c.Timeout),
		Architectures: []types.Architecture{types.Architecture(r.fn.Architecture)},
		Publish:       true,
		Description:   aws.String("managed by lambdas"),
		Layers:        r.createLayers, // the dependency layer, when attach-layer found no function
	}
	if len(c.Environment) > 0 {
		in.Environment = &types.Environment{Variables: c.Environment}
	}
	code, err := r.code()
	if err != nil {
		return false, err
	}
	in.Code = code
	out, err := e.lambda.CreateFunction(ctx, in)
	if alreadyExists(err) {
		e.report(r, plan.StepUpdateCode, EventNote, fmt.Sprintf("function %s already exists (created meanwhile, or by an attempt whose answer was lost): updating it instead", r.fn.Name))
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create function %s: %w", r.fn.Name, redactValues(err, c.Environment))
	}
	r.created = true
	r.noteARN(out.FunctionArn)
	e.report(r, plan.StepUpdateCode, EventNote, fmt.Sprintf("created function %s from the manifest's create block", r.fn.Name))
	want := r.zip.CodeSha256
	if v := aws.ToString(out.Version); v == "" || v == "$LATEST" {
		// No version in the answer: wait for the new function, then ask
		// for the version of its code.
		cfg, err := e.waitSettled(ctx, r, plan.StepUpdateCode)
		if err != nil {
			return true, err
		}
		r.revisionID = aws.ToString(cfg.RevisionId)
		return true, e.publishLatest(ctx, r, want)
	}
	return true, e.published(ctx, r, "CreateFunction", aws.ToString(out.Version), aws.ToString(out.CodeSha256), want)
}

// publishLatest publishes $LATEST as a version, guarded by the package's
// CodeSha256 and the RevisionId read before: if anyone changed the function
// meanwhile, AWS refuses instead of publishing their code. When nothing
// changed since a version was published, Lambda returns that version.
func (e *Executor) publishLatest(ctx context.Context, r *release, want string) error {
	out, err := e.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{
		FunctionName: aws.String(r.fn.Name),
		CodeSha256:   aws.String(want),
		RevisionId:   optional(r.revisionID),
		Description:  aws.String(r.description()),
	})
	if isPrecondition(err) {
		return fmt.Errorf("%s changed while it was being released (CodeSha256 or RevisionId no longer match); run lambdas plan and apply again: %w", r.fn.Name, err)
	}
	if err != nil {
		return err
	}
	return e.published(ctx, r, "PublishVersion", aws.ToString(out.Version), aws.ToString(out.CodeSha256), want)
}

// maxPollDelay caps the growing delay between polls.
const maxPollDelay = 5 * time.Second

// poll calls read until it reports done: the first read at once, then after
// PollInterval, doubling up to 5 s, for at most WaitTimeout. read's error
// ends it as it is; running out of time is an error too (never nil), and
// says what was last seen.
func (e *Executor) poll(ctx context.Context, what string, read func(context.Context) (done bool, seen string, err error)) error {
	start := time.Now()
	deadline := start.Add(e.opts.WaitTimeout)
	delay := e.opts.PollInterval
	for polls := 1; ; polls++ {
		done, seen, err := read(ctx)
		if err != nil || done {
			return err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("%s: gave up after %d polls in %s (the wait's bound); last seen: %s", what, polls, time.Since(start).Round(time.Millisecond), seen)
		}
		if err := sleep(ctx, min(delay, left)); err != nil {
			return err
		}
		delay = min(2*delay, maxPollDelay)
	}
}

// waitSettled polls $LATEST with GetFunction (its own 100/s bucket) until
// no update is in progress and the function is Active.
func (e *Executor) waitSettled(ctx context.Context, r *release, step plan.StepName) (*types.FunctionConfiguration, error) {
	name := r.fn.Name
	var cfg *types.FunctionConfiguration
	err := e.poll(ctx, "wait for "+name+" to settle", func(ctx context.Context) (bool, string, error) {
		out, err := e.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		if err != nil {
			return false, "", fmt.Errorf("read function %s: %w", name, err)
		}
		c := out.Configuration
		if c == nil {
			return false, "", fmt.Errorf("read function %s: no configuration in the answer", name)
		}
		r.noteARN(c.FunctionArn)
		if c.State == types.StateFailed {
			return false, "", fmt.Errorf("function %s is Failed: %s", name, aws.ToString(c.StateReason))
		}
		if !settled(c) {
			return false, fmt.Sprintf("State %s, LastUpdateStatus %s", c.State, c.LastUpdateStatus), nil
		}
		if c.LastUpdateStatus == types.LastUpdateStatusFailed {
			e.report(r, step, EventWarn, fmt.Sprintf("the last update of %s failed (%s); it runs its earlier code", name, aws.ToString(c.LastUpdateStatusReason)))
		}
		cfg = c
		return true, "", nil
	})
	return cfg, err
}

// waitVersion polls a published version with GetFunction and the version
// as qualifier (GetFunction's 100/s bucket, never GetFunctionConfiguration
// in the 15/s one) until it is Active. Its CodeSha256 must be want at every
// poll: a version is immutable, so a mismatch is refused at once.
func (e *Executor) waitVersion(ctx context.Context, r *release, version, want string) (*types.FunctionConfiguration, error) {
	name := r.fn.Name
	if want == "" {
		return nil, fmt.Errorf("version %s: no CodeSha256 recorded to verify it against", version)
	}
	var cfg *types.FunctionConfiguration
	err := e.poll(ctx, fmt.Sprintf("wait for version %s of %s to become Active", version, name), func(ctx context.Context) (bool, string, error) {
		out, err := e.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name), Qualifier: aws.String(version)})
		if err != nil {
			return false, "", fmt.Errorf("read version %s of %s: %w", version, name, err)
		}
		c := out.Configuration
		if c == nil {
			return false, "", fmt.Errorf("read version %s of %s: no configuration in the answer", version, name)
		}
		if v := aws.ToString(c.Version); v != "" && v != version {
			return false, "", fmt.Errorf("asked for version %s of %s, Lambda answered version %s", version, name, v)
		}
		if got := aws.ToString(c.CodeSha256); got != want {
			return false, "", fmt.Errorf("version %s runs CodeSha256 %s, not the package's %s; the alias stays where it is", version, got, want)
		}
		r.noteARN(c.FunctionArn)
		switch {
		case c.State == types.StateFailed || c.LastUpdateStatus == types.LastUpdateStatusFailed:
			return false, "", fmt.Errorf("version %s is Failed: %s%s", version, aws.ToString(c.StateReason), aws.ToString(c.LastUpdateStatusReason))
		case c.State == types.StateInactive:
			return false, "", fmt.Errorf("version %s is Inactive (idle too long): invoke it once to make it Active, then apply again", version)
		case c.State == "" || c.State == types.StateActive:
			cfg = c
			return true, "", nil
		}
		return false, "State " + string(c.State), nil
	})
	return cfg, err
}

// DescriptionPrefix starts the description lambdas gives an alias (and a
// version it publishes with PublishVersion): "lambdas release v1.4.0
// (commit 1a2b3c4d5e6f)". status reads the release label back from it.
const DescriptionPrefix = "lambdas release "

// description names the release for the alias and version descriptions.
func (r *release) description() string {
	label := r.label
	if label == "" {
		label = plan.ShortHash(r.head)
	}
	d := DescriptionPrefix + label
	if c := plan.ShortHash(r.head); !strings.HasPrefix(label, c) {
		d += " (commit " + c + ")"
	}
	if len(d) > 256 { // Lambda's limit for descriptions
		d = d[:256]
	}
	return d
}

// ReleaseLabelOf reads the release label back from a description lambdas
// wrote; "" for any other description.
func ReleaseLabelOf(description string) string {
	rest, ok := strings.CutPrefix(description, DescriptionPrefix)
	if !ok {
		return ""
	}
	if i := strings.Index(rest, " (commit "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// optional is nil for "", so that a guard the service did not give (an
// emulator without RevisionIds) is left out rather than sent empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// missingLayers are the layer version ARNs of want that c does not have.
func missingLayers(c *types.FunctionConfiguration, want []string) []string {
	var have []string
	if c != nil {
		for _, l := range c.Layers {
			have = append(have, aws.ToString(l.Arn))
		}
	}
	var out []string
	for _, arn := range want {
		if !slices.Contains(have, arn) {
			out = append(out, arn)
		}
	}
	return out
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

// noteARN keeps the account of the function's ARN
// (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]).
func (r *release) noteARN(arn *string) {
	if a := arnAccount(arn); a != "" {
		r.account = a
	}
}

// arnAccount is the account of a Lambda ARN, "" when it has none.
func arnAccount(arn *string) string {
	parts := strings.Split(aws.ToString(arn), ":")
	if len(parts) >= 6 && parts[0] == "arn" {
		return parts[4]
	}
	return ""
}

func (e *Executor) noteDrift(r *release, step plan.StepName, msg string) {
	r.drift = append(r.drift, msg)
	e.report(r, step, EventDrift, msg)
}

// publishVersion publishes $LATEST as a version, for a release that changed
// the configuration (a layer) rather than the code: its own call, guarded
// by CodeSha256 and the RevisionId read first.
func (e *Executor) publishVersion(ctx context.Context, r *release) error {
	want := r.expectedSha()
	if ok, err := e.resumeVersion(ctx, r, plan.StepPublishVersion, want); ok {
		return skip("version %s was published before the interruption", r.version)
	} else if err != nil {
		return err
	}
	if r.version != "" && r.verified == r.version {
		return skip("version %s was published by update-code", r.version)
	}
	c, err := e.waitSettled(ctx, r, plan.StepPublishVersion)
	if err != nil {
		return err
	}
	r.revisionID = aws.ToString(c.RevisionId)
	return e.publishLatest(ctx, r, want)
}

// moveAlias points the alias at the version, all at once, once the version
// is verified published, Active and running the package's CodeSha256. The
// move is guarded by the alias's RevisionId kept in the state from the last
// move, so it costs one call; a 412 means someone moved the alias since:
// it is read again, said, and moved, guarded by the fresh RevisionId. A
// first release reads the alias once (or creates it when missing); a
// function this release created has no alias, which is created at once.
func (e *Executor) moveAlias(ctx context.Context, r *release) error {
	alias := r.fn.Alias
	if r.version == "" {
		if s := r.plan.Step(plan.StepMoveAlias); s != nil && s.Alias != nil && s.Alias.Version != "" {
			r.version = s.Alias.Version // only the alias moves, to a released version
		} else if r.prev != nil && !r.plan.HasStep(plan.StepUpdateCode) && !r.plan.HasStep(plan.StepPublishVersion) {
			r.version = r.prev.Version
		}
	}
	if r.version == "" || r.version == "$LATEST" {
		return fmt.Errorf("no published version to point %s at", alias)
	}
	// A version published by this run was verified as it became Active;
	// any other (resumed, alias-only) is checked now.
	if r.verified != r.version {
		if _, err := e.waitVersion(ctx, r, r.version, r.expectedSha()); err != nil {
			if stopped(ctx) {
				return err
			}
			return fmt.Errorf("refusing to move %s: %w", alias, err)
		}
		r.verified = r.version
	}
	// An alias-only move to a released version is a refresh's answer to a
	// moved alias (or a renamed one): the RevisionId the state kept is
	// stale, so the alias is read first rather than refused first.
	aliasOnly := false
	if s := r.plan.Step(plan.StepMoveAlias); s != nil && s.Alias != nil && s.Alias.Version != "" {
		aliasOnly = true
	}
	switch rev := r.knownAliasRevision(); {
	case r.created:
		return e.createAlias(ctx, r)
	case rev != "" && !aliasOnly:
		return e.updateAlias(ctx, r, rev, true)
	default:
		return e.readAndMoveAlias(ctx, r, false)
	}
}

// knownAliasRevision is the alias's RevisionId as lambdas last left it.
func (r *release) knownAliasRevision() string {
	p := r.prev
	if p == nil || p.Alias != r.fn.Alias {
		return ""
	}
	if p.InFlight != nil && p.InFlight.AliasRevisionID != "" {
		return p.InFlight.AliasRevisionID
	}
	return p.AliasRevisionID
}

// updateAlias moves the alias guarded by rev. first says whether a 412 or a
// missing alias may be handled by reading the alias again (once).
func (e *Executor) updateAlias(ctx context.Context, r *release, rev string, first bool) error {
	name, alias := r.fn.Name, r.fn.Alias
	out, err := e.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{
		FunctionName:    aws.String(name),
		Name:            aws.String(alias),
		FunctionVersion: aws.String(r.version),
		RoutingConfig:   &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}},
		RevisionId:      optional(rev),
		Description:     aws.String(r.description()),
	})
	switch {
	case err == nil:
		r.aliasRevisionID = aws.ToString(out.RevisionId)
		return nil
	case isPrecondition(err) && first:
		return e.readAndMoveAlias(ctx, r, true) // someone moved it since lambdas did
	case isPrecondition(err):
		return fmt.Errorf("alias %s changed again while it was being moved; run apply again: %w", alias, err)
	case isNotFound(err) && first:
		e.noteDrift(r, plan.StepMoveAlias, fmt.Sprintf("alias %s was deleted outside lambdas; creating it", alias))
		return e.createAlias(ctx, r)
	}
	return fmt.Errorf("move alias %s: %w", alias, err)
}

// readAndMoveAlias reads the alias (GetAlias, once) and moves it guarded by
// its RevisionId, creating it when missing. after412 says the guard from
// the state failed: the alias was moved outside lambdas.
func (e *Executor) readAndMoveAlias(ctx context.Context, r *release, after412 bool) error {
	name, alias := r.fn.Name, r.fn.Alias
	a, err := e.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(name), Name: aws.String(alias)})
	if isNotFound(err) {
		if after412 {
			e.noteDrift(r, plan.StepMoveAlias, fmt.Sprintf("alias %s was deleted outside lambdas; creating it", alias))
		}
		return e.createAlias(ctx, r)
	}
	if err != nil {
		return fmt.Errorf("read alias %s: %w", alias, err)
	}
	cur := aws.ToString(a.FunctionVersion)
	weighted := a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0
	recorded := ""
	if r.prev != nil && r.prev.Alias == alias {
		recorded = r.prev.Version
	}
	if (after412 || (recorded != "" && (cur != recorded || weighted))) && len(r.plan.Drift) == 0 {
		e.noteDrift(r, plan.StepMoveAlias, fmt.Sprintf("alias %s was moved outside lambdas: it points at version %s%s, the state records %s; moving it to %s",
			alias, cur, weightsText(a.RoutingConfig), orNone(recorded), r.version))
	}
	if cur == r.version && !weighted {
		r.aliasRevisionID = aws.ToString(a.RevisionId)
		return skip("%s already points at version %s", alias, r.version)
	}
	return e.updateAlias(ctx, r, aws.ToString(a.RevisionId), false)
}

// createAlias creates the alias; if it exists already, it is read and
// moved instead (once: no way back here from there).
func (e *Executor) createAlias(ctx context.Context, r *release) error {
	name, alias := r.fn.Name, r.fn.Alias
	out, err := e.lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(name), Name: aws.String(alias), FunctionVersion: aws.String(r.version),
		Description: aws.String(r.description())})
	if alreadyExists(err) {
		a, err := e.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(name), Name: aws.String(alias)})
		if err != nil {
			return fmt.Errorf("read alias %s, which CreateAlias says exists: %w", alias, err)
		}
		if aws.ToString(a.FunctionVersion) == r.version && (a.RoutingConfig == nil || len(a.RoutingConfig.AdditionalVersionWeights) == 0) {
			r.aliasRevisionID = aws.ToString(a.RevisionId)
			return skip("%s already points at version %s", alias, r.version)
		}
		return e.updateAlias(ctx, r, aws.ToString(a.RevisionId), false)
	}
	if err != nil {
		return fmt.Errorf("create alias %s: %w", alias, err)
	}
	r.aliasRevisionID = aws.ToString(out.RevisionId)
	return nil
}

func weightsText(rc *types.AliasRoutingConfiguration) string {
	if rc == nil || len(rc.AdditionalVersionWeights) == 0 {
		return ""
	}
	var parts []string
	for v, w := range rc.AdditionalVersionWeights {
		parts = append(parts, fmt.Sprintf("%s at %.0f%%", v, w*100))
	}
	return " (+" + strings.Join(parts, ", ") + ")"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
