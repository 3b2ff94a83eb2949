package testenv

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// publishCode is UpdateFunctionCode with Publish=true.
func (f *fixture) publishCode(t *testing.T, zip []byte, revision string) (*lambda.UpdateFunctionCodeOutput, error) {
	t.Helper()
	in := &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(f.fn), ZipFile: zip, Publish: true}
	if revision != "" {
		in.RevisionId = aws.String(revision)
	}
	return f.lambda.UpdateFunctionCode(t.Context(), in)
}

// motoVersions lists the published versions in moto, straight from it.
func (f *fixture) motoVersions(t *testing.T) []string {
	t.Helper()
	out, err := f.direct.ListVersionsByFunction(t.Context(), &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(f.fn)})
	if err != nil {
		t.Fatal(err)
	}
	var vs []string
	for _, v := range out.Versions {
		if aws.ToString(v.Version) != "$LATEST" {
			vs = append(vs, aws.ToString(v.Version))
		}
	}
	return vs
}

func code(n int) map[string]string {
	return map[string]string{"app.py": "def handler(e, c):\n    return " + strings.Repeat("1", n) + "\n"}
}

// TestProxyPublishRevisionId: in strict mode UpdateFunctionCode with
// Publish=true and a RevisionId that is not $LATEST's is refused (412) and
// publishes nothing; with the current one it publishes, and $LATEST has a new
// RevisionId, the one in the answer.
func TestProxyPublishRevisionId(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.proxy.SetStrict(true)
	var pre *types.PreconditionFailedException

	got, err := f.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.fn)})
	if err != nil {
		t.Fatal(err)
	}
	r1 := aws.ToString(got.Configuration.RevisionId)
	zip2 := MakeZip(t, code(2))
	if _, err := f.publishCode(t, zip2, "0f0f0f0f-0000-0000-0000-000000000000"); !errors.As(err, &pre) || httpStatus(err) != 412 {
		t.Fatalf("Publish with a stale RevisionId: %v, want 412 PreconditionFailedException", err)
	}
	if vs := f.motoVersions(t); !slices.Equal(vs, []string{"1"}) {
		t.Errorf("after the refused publish moto has versions %v, want [1]", vs)
	}
	cur, err := f.direct.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(f.fn)})
	if err != nil || aws.ToString(cur.CodeSha256) != CodeSha256(f.zip) {
		t.Errorf("the refused publish changed the code: %v", err)
	}

	out, err := f.publishCode(t, zip2, r1)
	if err != nil {
		t.Fatalf("Publish with the current RevisionId: %v", err)
	}
	r2 := aws.ToString(out.RevisionId)
	if aws.ToString(out.Version) != "2" || aws.ToString(out.CodeSha256) != CodeSha256(zip2) || !strings.HasSuffix(aws.ToString(out.FunctionArn), ":"+f.fn+":2") || r2 == "" || r2 == r1 {
		t.Errorf("answer: Version %q CodeSha256 %q FunctionArn %q RevisionId %q (was %q)",
			aws.ToString(out.Version), aws.ToString(out.CodeSha256), aws.ToString(out.FunctionArn), r2, r1)
	}
	got, err = f.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.fn)})
	if err != nil || aws.ToString(got.Configuration.RevisionId) != r2 {
		t.Errorf("GetFunction RevisionId after the publish = %q, the answer said %q (%v)", aws.ToString(got.Configuration.RevisionId), r2, err)
	}
	// The publish changed $LATEST: the RevisionId before it is stale now.
	zip3 := MakeZip(t, code(3))
	if _, err := f.publishCode(t, zip3, r1); !errors.As(err, &pre) {
		t.Errorf("Publish with the RevisionId from before the last publish: %v, want PreconditionFailedException", err)
	}
	if out, err := f.publishCode(t, zip3, r2); err != nil || aws.ToString(out.Version) != "3" {
		t.Errorf("Publish with the RevisionId of the last answer: %v", err)
	}
}

// TestProxyVersionPendingPolls checks that new versions are Pending for n
// polls with the version (or an alias on it) as qualifier, after
// UpdateFunctionCode with Publish and after PublishVersion, that the
// PublishedVersionActive waiter sees it through, and that a PublishVersion
// with nothing to publish answers Active.
func TestProxyVersionPendingPolls(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	const polls = 2
	f.proxy.SetVersionPendingPolls(polls)

	out, err := f.publishCode(t, MakeZip(t, code(2)), "")
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Version) != "2" || out.State != types.StatePending || out.StateReasonCode != types.StateReasonCodeCreating {
		t.Errorf("UpdateFunctionCode+Publish answer: Version %q State %q (%q), want 2 Pending (Creating)", aws.ToString(out.Version), out.State, out.StateReasonCode)
	}
	// $LATEST and the older version are not Pending: no poll of theirs counts.
	if g, err := f.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.fn)}); err != nil || g.Configuration.State != types.StateActive {
		t.Errorf("$LATEST: %v", err)
	}
	if g, err := f.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.fn), Qualifier: aws.String("1")}); err != nil || g.Configuration.State != types.StateActive {
		t.Errorf("version 1: %v", err)
	}
	for i := range polls + 1 {
		want := types.StatePending
		if i == polls {
			want = types.StateActive
		}
		var state types.State
		if i%2 == 0 {
			g, err := f.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.fn), Qualifier: aws.String("2")})
			if err != nil {
				t.Fatal(err)
			}
			state = g.Configuration.State
		} else {
			g, err := f.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(f.fn + ":2")})
			if err != nil {
				t.Fatal(err)
			}
			state = g.State
		}
		if state != want {
			t.Errorf("poll %d of version 2: State %q, want %q", i+1, state, want)
		}
	}

	// PublishVersion, with the SDK's PublishedVersionActive waiter.
	if _, err := f.lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(f.fn), ZipFile: MakeZip(t, code(3))}); err != nil {
		t.Fatal(err)
	}
	pv, err := f.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(f.fn)})
	if err != nil || aws.ToString(pv.Version) != "3" || pv.State != types.StatePending {
		t.Fatalf("PublishVersion: %v, Version %q State %q, want 3 Pending", err, aws.ToString(pv.Version), pv.State)
	}
	w := lambda.NewPublishedVersionActiveWaiter(f.lambda, func(o *lambda.PublishedVersionActiveWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 20*time.Millisecond
	})
	if err := w.Wait(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(f.fn), Qualifier: aws.String("3")}, 10*time.Second); err != nil {
		t.Fatalf("PublishedVersionActive waiter: %v", err)
	}
	n := 0
	for _, r := range f.proxy.Requests() {
		if r.Operation == "GetFunctionConfiguration" && r.Qualifier == "3" {
			n++
		}
	}
	if n != polls+1 {
		t.Errorf("the waiter polled %d times, want %d", n, polls+1)
	}
	// Nothing changed since version 3: moto returns it, and it is Active.
	if pv, err := f.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(f.fn)}); err != nil || aws.ToString(pv.Version) != "3" || pv.State != types.StateActive {
		t.Errorf("PublishVersion with nothing to publish: %v, Version %q State %q, want 3 Active", err, aws.ToString(pv.Version), pv.State)
	}

	// An alias moved to a Pending version is recorded as such, and polls
	// through the alias count.
	if out, err := f.publishCode(t, MakeZip(t, code(4)), ""); err != nil || aws.ToString(out.Version) != "4" {
		t.Fatalf("publish 4: %v", err)
	}
	if _, err := f.lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(f.fn), Name: aws.String("live"), FunctionVersion: aws.String("3"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"4": 0.1}}}); err != nil {
		t.Fatal(err)
	}
	if g, err := f.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.fn), Qualifier: aws.String("live")}); err != nil || g.Configuration.State != types.StateActive {
		t.Errorf("alias live resolves to version 3 in moto, Active: %v", err)
	}
	if _, err := f.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(f.fn), Name: aws.String("live"), FunctionVersion: aws.String("4"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}}}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []types.State{types.StatePending, types.StatePending, types.StateActive} {
		g, err := f.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(f.fn), Qualifier: aws.String("live")})
		if err != nil || g.State != want || aws.ToString(g.Version) != "4" {
			t.Errorf("poll %d through the alias: %v, Version %q State %q, want 4 %q", i+1, err, aws.ToString(g.Version), g.State, want)
		}
	}
	if _, err := f.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(f.fn), Name: aws.String("live"), FunctionVersion: aws.String("4")}); err != nil {
		t.Fatal(err)
	}
	moves := f.proxy.AliasMoves()
	if len(moves) != 3 || !slices.Equal(moves[0].PendingVersions, []string{"4"}) || !slices.Equal(moves[1].PendingVersions, []string{"4"}) || moves[2].PendingVersions != nil {
		t.Errorf("PendingVersions of the moves: %+v", moves)
	}

	// Off: versions are Active at once.
	f.proxy.SetVersionPendingPolls(0)
	if out, err := f.publishCode(t, MakeZip(t, code(5)), ""); err != nil || out.State != types.StateActive {
		t.Errorf("with the setting off: %v, State %q", err, out.State)
	}
}

// TestProxyPublishWithUpdateWindow: UpdateFunctionCode with Publish while
// updates take time runs both windows, $LATEST's InProgress and the new
// version's Pending, and the 409 names the function, not the version.
func TestProxyPublishWithUpdateWindow(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.proxy.SetInProgressPolls(1)
	f.proxy.SetVersionPendingPolls(1)
	out, err := f.publishCode(t, MakeZip(t, code(2)), "")
	if err != nil {
		t.Fatal(err)
	}
	if out.LastUpdateStatus != types.LastUpdateStatusInProgress || out.State != types.StatePending || aws.ToString(out.Version) != "2" {
		t.Errorf("answer: Version %q State %q LastUpdateStatus %q", aws.ToString(out.Version), out.State, out.LastUpdateStatus)
	}
	_, err = f.publishCode(t, MakeZip(t, code(3)), "")
	var conflict *types.ResourceConflictException
	wantMsg := "An update is in progress for resource: arn:aws:lambda:us-east-1:" + AccountID + ":function:" + f.fn
	if !errors.As(err, &conflict) || !strings.HasSuffix(conflict.ErrorMessage(), wantMsg) {
		t.Errorf("publish during the update: %v, want a 409 ending %q", err, wantMsg)
	}
	g, err := f.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.fn)})
	if err != nil || g.Configuration.LastUpdateStatus != types.LastUpdateStatusInProgress || g.Configuration.State != types.StateActive {
		t.Errorf("$LATEST poll 1: %v %+v", err, g.Configuration)
	}
	g, err = f.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.fn), Qualifier: aws.String("2")})
	if err != nil || g.Configuration.State != types.StatePending {
		t.Errorf("version 2 poll 1: %v", err)
	}
	for _, q := range []string{"$LATEST", "2"} {
		g, err := f.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.fn), Qualifier: aws.String(q)})
		if err != nil || g.Configuration.State != types.StateActive || g.Configuration.LastUpdateStatus != types.LastUpdateStatusSuccessful {
			t.Errorf("%s poll 2: %v, State %q LastUpdateStatus %q", q, err, g.Configuration.State, g.Configuration.LastUpdateStatus)
		}
	}
}

// TestProxyPublishUnchangedCode: moto publishes a new version for every
// UpdateFunctionCode with Publish, even with the same bytes; in strict mode
// the proxy answers as AWS does, with the last version, when neither code nor
// configuration changed since it.
func TestProxyPublishUnchangedCode(t *testing.T) {
	f := newFixture(t) // version 1 = $LATEST = f.zip
	ctx := t.Context()

	// Not strict: moto's behaviour.
	if out, err := f.publishCode(t, f.zip, ""); err != nil || aws.ToString(out.Version) != "2" {
		t.Fatalf("moto: %v, want a new version 2", err)
	}

	f.proxy.SetStrict(true)
	f.proxy.SetVersionPendingPolls(1)
	before, err := f.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.fn)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.publishCode(t, f.zip, aws.ToString(before.Configuration.RevisionId))
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Version) != "2" || aws.ToString(out.CodeSha256) != CodeSha256(f.zip) || !strings.HasSuffix(aws.ToString(out.FunctionArn), ":2") || out.State != types.StateActive {
		t.Errorf("same code: Version %q FunctionArn %q State %q, want the existing version 2, Active", aws.ToString(out.Version), aws.ToString(out.FunctionArn), out.State)
	}
	if vs := f.motoVersions(t); !slices.Equal(vs, []string{"1", "2"}) {
		t.Errorf("moto's versions = %v, want [1 2]: no extra version left behind", vs)
	}
	// It was an update all the same: a new RevisionId.
	after, err := f.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.fn)})
	if err != nil || aws.ToString(out.RevisionId) == aws.ToString(before.Configuration.RevisionId) || aws.ToString(after.Configuration.RevisionId) != aws.ToString(out.RevisionId) {
		t.Errorf("RevisionIds: before %q, answer %q, after %q (%v)", aws.ToString(before.Configuration.RevisionId), aws.ToString(out.RevisionId), aws.ToString(after.Configuration.RevisionId), err)
	}

	zip2 := MakeZip(t, code(2))
	steps := []struct {
		name    string
		prepare func() error
		zip     []byte
		version string
		pending bool
	}{
		{"new code", nil, zip2, "3", true},
		{"the same again", nil, zip2, "3", true}, // still in 3's Pending window (not polled)
		{"configuration changed", func() error {
			_, err := f.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(f.fn), Description: aws.String("changed")})
			return err
		}, zip2, "4", true},
		{"unchanged since 4", func() error {
			_, err := f.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.fn), Qualifier: aws.String("4")}) // 4 Active now
			return err
		}, zip2, "4", false},
		{"back to the old code", nil, f.zip, "5", true}, // the number AWS gives: none was used up
	}
	for _, st := range steps {
		if st.prepare != nil {
			if err := st.prepare(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
		}
		out, err := f.publishCode(t, st.zip, "")
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if aws.ToString(out.Version) != st.version || aws.ToString(out.CodeSha256) != CodeSha256(st.zip) || (out.State == types.StatePending) != st.pending {
			t.Errorf("%s: Version %q State %q, want %s (Pending: %v)", st.name, aws.ToString(out.Version), out.State, st.version, st.pending)
		}
	}
	if vs := f.motoVersions(t); !slices.Equal(vs, []string{"1", "2", "3", "4", "5"}) {
		t.Errorf("moto's versions = %v", vs)
	}
	if d, err := f.direct.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(f.fn), Qualifier: aws.String("4")}); err != nil || aws.ToString(d.Description) != "changed" {
		t.Errorf("version 4 lacks the configuration change: %v", err)
	}
}
