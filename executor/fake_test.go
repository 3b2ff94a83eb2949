package executor

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// fakeLambda is an in-memory Lambda that behaves as AWS does where a release
// depends on it (RevisionIds checked, no new version when nothing changed
// since the last, versions Pending for a while, "already exists" answers),
// with programmable answers: errors injected per operation, actions of
// someone else run before a call, answers altered after it.
type fakeLambda struct {
	mu      sync.Mutex
	account string
	fns     map[string]*fakeFn
	calls   []string // "Op name[:qualifier]", in order
	seq     int      // for RevisionIds

	inject map[string][]error             // op → errors answered first, one per call
	before map[string][]func(*fakeLambda) // op → someone else's actions, one per call, run (locked) before it
	alter  map[string]func(out any)       // op → changes every answer (e.g. a wrong CodeSha256)

	// settlePolls: after an update, GetFunction of $LATEST says InProgress
	// this many times. versionPolls: a new version is Pending this many polls.
	settlePolls, versionPolls int
}

type fakeFn struct {
	name        string
	sha, rev    string
	runtime     string
	inProgress  int // polls of $LATEST left that say InProgress
	versions    []*fakeVersion
	aliases     map[string]*fakeAlias
	lastPublish string // $LATEST's sha when the last version was published
}

type fakeVersion struct {
	sha     string
	pending int // polls left that say Pending
	state   types.State
}

type fakeAlias struct {
	version string
	weights map[string]float64
	rev     string
}

func newFake() *fakeLambda {
	return &fakeLambda{account: "123456789012", fns: map[string]*fakeFn{}, inject: map[string][]error{}, before: map[string][]func(*fakeLambda){}, alter: map[string]func(any){}}
}

func codeSha(data []byte) string {
	sum := sha256.Sum256(data)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func (f *fakeLambda) newRev() string {
	f.seq++
	return fmt.Sprintf("rev-%d", f.seq)
}

// addFunction makes a function whose $LATEST runs sha, with versions
// published from the given CodeSha256s (1, 2, ...) and an alias on one.
func (f *fakeLambda) addFunction(name, sha string, versions []string, alias, aliasVersion string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn := &fakeFn{name: name, sha: sha, rev: f.newRev(), runtime: "python3.13", aliases: map[string]*fakeAlias{}}
	for _, v := range versions {
		fn.versions = append(fn.versions, &fakeVersion{sha: v, state: types.StateActive})
		fn.lastPublish = v
	}
	if alias != "" {
		fn.aliases[alias] = &fakeAlias{version: aliasVersion, rev: f.newRev()}
	}
	f.fns[name] = fn
}

// aliasRev returns an alias's RevisionId (for a state that records it).
func (f *fakeLambda) aliasRev(name, alias string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fns[name].aliases[alias].rev
}

func (f *fakeLambda) aliasOf(name, alias string) (version string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn := f.fns[name]
	if fn == nil || fn.aliases[alias] == nil {
		return "", false
	}
	return fn.aliases[alias].version, true
}

func (f *fakeLambda) versionSha(name, version string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, _ := strconv.Atoi(version)
	fn := f.fns[name]
	if fn == nil || n < 1 || n > len(fn.versions) {
		return ""
	}
	return fn.versions[n-1].sha
}

func (f *fakeLambda) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// count counts the calls of an operation.
func (f *fakeLambda) count(op string) int {
	n := 0
	for _, c := range f.callLog() {
		if len(c) >= len(op) && c[:len(op)] == op && (len(c) == len(op) || c[len(op)] == ' ') {
			n++
		}
	}
	return n
}

// enter logs a call and runs what was programmed for it; f.mu is held on
// return when err is nil.
func (f *fakeLambda) enter(op, target string) error {
	f.mu.Lock()
	f.calls = append(f.calls, op+" "+target)
	if q := f.before[op]; len(q) > 0 {
		f.before[op] = q[1:]
		q[0](f)
	}
	if q := f.inject[op]; len(q) > 0 {
		f.inject[op] = q[1:]
		f.mu.Unlock()
		return q[0]
	}
	return nil
}

func (f *fakeLambda) leave(op string, out any) {
	alter := f.alter[op]
	f.mu.Unlock()
	if alter != nil {
		alter(out)
	}
}

func notFound(what string) error {
	return &types.ResourceNotFoundException{Message: aws.String(what + " not found")}
}

func precondition() error {
	return &types.PreconditionFailedException{Message: aws.String("The Revision Id provided does not match the latest Revision Id.")}
}

func (f *fakeLambda) arn(name, qualifier string) *string {
	a := "arn:aws:lambda:us-east-1:" + f.account + ":function:" + name
	if qualifier != "" {
		a += ":" + qualifier
	}
	return aws.String(a)
}

// publish makes a version of $LATEST, or returns the last one when nothing
// changed since it was published (as AWS does).
func (f *fakeLambda) publish(fn *fakeFn) string {
	if n := len(fn.versions); n > 0 && fn.lastPublish == fn.sha {
		return strconv.Itoa(n)
	}
	fn.versions = append(fn.versions, &fakeVersion{sha: fn.sha, pending: f.versionPolls, state: types.StatePending})
	fn.lastPublish = fn.sha
	return strconv.Itoa(len(fn.versions))
}

func (f *fakeLambda) config(fn *fakeFn, qualifier string) (*types.FunctionConfiguration, error) {
	c := &types.FunctionConfiguration{FunctionName: aws.String(fn.name), Runtime: types.Runtime(fn.runtime), Architectures: []types.Architecture{types.ArchitectureX8664}}
	version := qualifier
	if a := fn.aliases[qualifier]; a != nil {
		version = a.version
	}
	if version == "" || version == "$LATEST" {
		c.Version, c.CodeSha256, c.RevisionId, c.FunctionArn = aws.String("$LATEST"), aws.String(fn.sha), aws.String(fn.rev), f.arn(fn.name, "")
		c.State, c.LastUpdateStatus = types.StateActive, types.LastUpdateStatusSuccessful
		if fn.inProgress > 0 {
			fn.inProgress--
			c.LastUpdateStatus = types.LastUpdateStatusInProgress
		}
		return c, nil
	}
	n, err := strconv.Atoi(version)
	if err != nil || n < 1 || n > len(fn.versions) {
		return nil, notFound("Function " + fn.name + ":" + qualifier)
	}
	v := fn.versions[n-1]
	c.Version, c.CodeSha256, c.FunctionArn, c.State = aws.String(version), aws.String(v.sha), f.arn(fn.name, version), types.StateActive
	switch {
	case v.pending > 0:
		v.pending--
		c.State = types.StatePending
	case v.state != "" && v.state != types.StatePending:
		c.State = v.state
	}
	return c, nil
}

func (f *fakeLambda) GetFunction(ctx context.Context, in *lambda.GetFunctionInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	name, q := aws.ToString(in.FunctionName), aws.ToString(in.Qualifier)
	target := name
	if q != "" {
		target += ":" + q
	}
	if err := f.enter("GetFunction", target); err != nil {
		return nil, err
	}
	fn := f.fns[name]
	if fn == nil {
		f.mu.Unlock()
		return nil, notFound("Function " + name)
	}
	c, err := f.config(fn, q)
	if err != nil {
		f.mu.Unlock()
		return nil, err
	}
	out := &lambda.GetFunctionOutput{Configuration: c}
	f.leave("GetFunction", out)
	return out, nil
}

func (f *fakeLambda) CreateFunction(ctx context.Context, in *lambda.CreateFunctionInput, _ ...func(*lambda.Options)) (*lambda.CreateFunctionOutput, error) {
	name := aws.ToString(in.FunctionName)
	if err := f.enter("CreateFunction", name); err != nil {
		return nil, err
	}
	if f.fns[name] != nil {
		f.mu.Unlock()
		return nil, &types.ResourceConflictException{Message: aws.String("Function already exist: " + name)}
	}
	fn := &fakeFn{name: name, sha: codeSha(in.Code.ZipFile), rev: f.newRev(), runtime: string(in.Runtime), aliases: map[string]*fakeAlias{}, inProgress: f.settlePolls}
	f.fns[name] = fn
	out := &lambda.CreateFunctionOutput{FunctionName: aws.String(name), CodeSha256: aws.String(fn.sha), RevisionId: aws.String(fn.rev), FunctionArn: f.arn(name, ""), Version: aws.String("$LATEST"), State: types.StatePending}
	if in.Publish {
		out.Version = aws.String(f.publish(fn))
	}
	f.leave("CreateFunction", out)
	return out, nil
}

func (f *fakeLambda) UpdateFunctionCode(ctx context.Context, in *lambda.UpdateFunctionCodeInput, _ ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error) {
	name := aws.ToString(in.FunctionName)
	if err := f.enter("UpdateFunctionCode", name); err != nil {
		return nil, err
	}
	fn := f.fns[name]
	switch {
	case fn == nil:
		f.mu.Unlock()
		return nil, notFound("Function " + name)
	case in.RevisionId != nil && *in.RevisionId != fn.rev:
		f.mu.Unlock()
		return nil, precondition()
	}
	fn.sha, fn.rev, fn.inProgress = codeSha(in.ZipFile), f.newRev(), f.settlePolls
	out := &lambda.UpdateFunctionCodeOutput{FunctionName: aws.String(name), CodeSha256: aws.String(fn.sha), RevisionId: aws.String(fn.rev), Version: aws.String("$LATEST"), FunctionArn: f.arn(name, "")}
	if in.Publish {
		out.Version = aws.String(f.publish(fn))
	}
	f.leave("UpdateFunctionCode", out)
	return out, nil
}

func (f *fakeLambda) PublishVersion(ctx context.Context, in *lambda.PublishVersionInput, _ ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error) {
	name := aws.ToString(in.FunctionName)
	if err := f.enter("PublishVersion", name); err != nil {
		return nil, err
	}
	fn := f.fns[name]
	switch {
	case fn == nil:
		f.mu.Unlock()
		return nil, notFound("Function " + name)
	case (in.RevisionId != nil && *in.RevisionId != fn.rev) || (in.CodeSha256 != nil && *in.CodeSha256 != fn.sha):
		f.mu.Unlock()
		return nil, precondition()
	}
	v := f.publish(fn)
	out := &lambda.PublishVersionOutput{FunctionName: aws.String(name), Version: aws.String(v), CodeSha256: aws.String(fn.sha), FunctionArn: f.arn(name, v)}
	f.leave("PublishVersion", out)
	return out, nil
}

func (f *fakeLambda) GetAlias(ctx context.Context, in *lambda.GetAliasInput, _ ...func(*lambda.Options)) (*lambda.GetAliasOutput, error) {
	name, alias := aws.ToString(in.FunctionName), aws.ToString(in.Name)
	if err := f.enter("GetAlias", name+"/"+alias); err != nil {
		return nil, err
	}
	fn := f.fns[name]
	if fn == nil || fn.aliases[alias] == nil {
		f.mu.Unlock()
		return nil, notFound("Alias " + alias)
	}
	a := fn.aliases[alias]
	out := &lambda.GetAliasOutput{Name: aws.String(alias), FunctionVersion: aws.String(a.version), RevisionId: aws.String(a.rev)}
	if len(a.weights) > 0 {
		out.RoutingConfig = &types.AliasRoutingConfiguration{AdditionalVersionWeights: a.weights}
	}
	f.leave("GetAlias", out)
	return out, nil
}

func (f *fakeLambda) CreateAlias(ctx context.Context, in *lambda.CreateAliasInput, _ ...func(*lambda.Options)) (*lambda.CreateAliasOutput, error) {
	name, alias := aws.ToString(in.FunctionName), aws.ToString(in.Name)
	if err := f.enter("CreateAlias", name+"/"+alias); err != nil {
		return nil, err
	}
	fn := f.fns[name]
	switch {
	case fn == nil:
		f.mu.Unlock()
		return nil, notFound("Function " + name)
	case fn.aliases[alias] != nil:
		f.mu.Unlock()
		return nil, &types.ResourceConflictException{Message: aws.String("Alias already exists: " + aws.ToString(f.arn(name, alias)))}
	}
	a := &fakeAlias{version: aws.ToString(in.FunctionVersion), rev: f.newRev()}
	fn.aliases[alias] = a
	out := &lambda.CreateAliasOutput{Name: aws.String(alias), FunctionVersion: aws.String(a.version), RevisionId: aws.String(a.rev)}
	f.leave("CreateAlias", out)
	return out, nil
}

func (f *fakeLambda) UpdateAlias(ctx context.Context, in *lambda.UpdateAliasInput, _ ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error) {
	name, alias := aws.ToString(in.FunctionName), aws.ToString(in.Name)
	if err := f.enter("UpdateAlias", name+"/"+alias); err != nil {
		return nil, err
	}
	fn := f.fns[name]
	if fn == nil || fn.aliases[alias] == nil {
		f.mu.Unlock()
		return nil, notFound("Alias " + alias)
	}
	a := fn.aliases[alias]
	if in.RevisionId != nil && *in.RevisionId != a.rev {
		f.mu.Unlock()
		return nil, precondition()
	}
	a.version, a.rev = aws.ToString(in.FunctionVersion), f.newRev()
	a.weights = nil
	if in.RoutingConfig != nil && len(in.RoutingConfig.AdditionalVersionWeights) > 0 {
		a.weights = in.RoutingConfig.AdditionalVersionWeights
	}
	out := &lambda.UpdateAliasOutput{Name: aws.String(alias), FunctionVersion: aws.String(a.version), RevisionId: aws.String(a.rev)}
	f.leave("UpdateAlias", out)
	return out, nil
}

// moveAliasOutside is someone else moving an alias (the AWS console, CLI).
func moveAliasOutside(name, alias, version string) func(*fakeLambda) {
	return func(f *fakeLambda) {
		a := f.fns[name].aliases[alias]
		a.version, a.rev = version, f.newRev()
	}
}

// updateCodeOutside is someone else updating $LATEST.
func updateCodeOutside(name, sha string) func(*fakeLambda) {
	return func(f *fakeLambda) {
		fn := f.fns[name]
		fn.sha, fn.rev = sha, f.newRev()
	}
}
