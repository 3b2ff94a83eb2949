package testenv

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// fixture is a function in moto, with clients going through a fresh proxy
// (no retries) and straight to moto.
type fixture struct {
	moto   *Moto
	proxy  *FaultProxy
	cfg    aws.Config     // through the proxy
	lambda *lambda.Client // through the proxy, no retries
	direct *lambda.Client // straight to moto
	role   string
	fn     string // a function created directly in moto, with version 1 published
	zip    []byte // its code
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	m := StartMoto(t)
	f := &fixture{moto: m, proxy: NewFaultProxy(t, m.Endpoint)}
	direct := AWSConfig(t, m.Endpoint)
	f.direct = lambda.NewFromConfig(direct, noRetries)
	f.cfg = AWSConfig(t, f.proxy.URL())
	f.lambda = lambda.NewFromConfig(f.cfg, noRetries)
	f.role = CreateRole(t, direct, "lambda-exec")
	f.fn = uniq(t, "fn")
	f.zip = MakeZip(t, map[string]string{"app.py": "def handler(e, c):\n    return 1\n"})
	newFunction(t, f.direct, f.role, f.fn, f.zip)
	if _, err := f.direct.PublishVersion(t.Context(), &lambda.PublishVersionInput{FunctionName: aws.String(f.fn)}); err != nil {
		t.Fatal(err)
	}
	return f
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func TestProxyInjectedErrorsAreTyped(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		status int
		code   string
		check  func(error) bool
	}{
		{409, "ResourceConflictException", func(err error) bool { var e *types.ResourceConflictException; return errors.As(err, &e) }},
		{429, "TooManyRequestsException", func(err error) bool {
			var e *types.TooManyRequestsException
			return errors.As(err, &e) && e.Reason == types.ThrottleReasonCallerRateLimitExceeded
		}},
		{500, "ServiceException", func(err error) bool { var e *types.ServiceException; return errors.As(err, &e) }},
		{503, "", func(err error) bool { var e *types.ServiceException; return errors.As(err, &e) }},
		{412, "PreconditionFailedException", func(err error) bool { var e *types.PreconditionFailedException; return errors.As(err, &e) }},
		{400, "InvalidParameterValueException", func(err error) bool { var e *types.InvalidParameterValueException; return errors.As(err, &e) }},
		{404, "", func(err error) bool { var e *types.ResourceNotFoundException; return errors.As(err, &e) }},
	}
	for _, tt := range tests {
		f.proxy.Inject(Rule{Service: "lambda", Operation: "GetFunction", Function: f.fn, Times: 1, Status: tt.status, Code: tt.code, Message: "injected " + tt.code})
		_, err := f.lambda.GetFunction(t.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(f.fn)})
		if err == nil || !tt.check(err) {
			t.Errorf("status %d code %q: err = %#v, not the typed error", tt.status, tt.code, err)
			continue
		}
		if got := httpStatus(err); got != tt.status {
			t.Errorf("status %d: SDK saw HTTP %d", tt.status, got)
		}
		var api smithy.APIError
		if errors.As(err, &api) && api.ErrorMessage() != "injected "+tt.code {
			t.Errorf("status %d: message %q", tt.status, api.ErrorMessage())
		}
		// Times: 1 — the next call reaches moto.
		if _, err := f.lambda.GetFunction(t.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(f.fn)}); err != nil {
			t.Errorf("status %d: the call after the injected one failed: %v", tt.status, err)
		}
	}
	c := f.proxy.Counts()
	if c.InjectedByCode["ServiceException"] != 2 || c.InjectedByCode["ResourceConflictException"] != 1 {
		t.Errorf("InjectedByCode = %v", c.InjectedByCode)
	}
	if c.Total != 2*len(tests) || c.Mutating != 0 {
		t.Errorf("Total %d Mutating %d, want %d 0", c.Total, c.Mutating, 2*len(tests))
	}
}

func TestProxyRuleTimesAndMatching(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.proxy.Inject(Rule{Service: "lambda", Operation: "PublishVersion", Function: "someone-else", Status: 500})
	f.proxy.Inject(Rule{Service: "lambda", Operation: "PublishVersion", Function: f.fn, Times: 2, Status: 409, Code: CodeResourceConflict, Message: "busy"})
	for i := range 2 {
		_, err := f.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(f.fn)})
		var conflict *types.ResourceConflictException
		if !errors.As(err, &conflict) {
			t.Fatalf("PublishVersion #%d: err = %v, want ResourceConflictException", i+1, err)
		}
	}
	// Third time through; the ARN form of the name matches the same rules.
	arn := "arn:aws:lambda:us-east-1:" + AccountID + ":function:" + f.fn
	if _, err := f.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(arn)}); err != nil {
		t.Fatalf("PublishVersion #3: %v", err)
	}
	reqs := f.proxy.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests logged, want 3", len(reqs))
	}
	for i, r := range reqs {
		wantStatus, wantInjected := 409, true
		if i == 2 {
			wantStatus, wantInjected = 201, false
		}
		if r.Service != "lambda" || r.Operation != "PublishVersion" || r.Function != f.fn || !r.Mutating || r.Status != wantStatus || r.Injected != wantInjected {
			t.Errorf("request %d = %+v", i, r)
		}
	}
	// A rule without Times stays until removed.
	remove := f.proxy.Inject(Rule{Operation: "GetAlias", Status: 503})
	for range 3 {
		if _, err := f.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(f.fn), Name: aws.String("x")}); httpStatus(err) != 503 {
			t.Fatalf("GetAlias with a permanent rule: %v", err)
		}
	}
	remove()
	if _, err := f.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(f.fn), Name: aws.String("x")}); httpStatus(err) != 404 {
		t.Fatalf("GetAlias after remove: %v, want moto's 404", err)
	}
	f.proxy.Reset()
	if n := len(f.proxy.Requests()); n != 0 || f.proxy.Counts().Total != 0 {
		t.Errorf("after Reset: %d requests, counts %+v", n, f.proxy.Counts())
	}
	if _, err := f.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("someone-else")}); httpStatus(err) != 404 {
		t.Errorf("after Reset the rules are gone: PublishVersion someone-else = %v, want moto's 404", err)
	}
}

func TestProxyDropDelayLatency(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()

	f.proxy.Inject(Rule{Operation: "GetFunctionConfiguration", Times: 1, Drop: true})
	_, err := f.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(f.fn)})
	var api smithy.APIError
	if err == nil || errors.As(err, &api) {
		t.Fatalf("dropped request: err = %v, want a network error", err)
	}

	// DropResponse: moto makes the change, the client sees a network error.
	f.proxy.Inject(Rule{Operation: "UpdateFunctionConfiguration", Times: 1, DropResponse: true})
	_, err = f.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(f.fn), Description: aws.String("changed")})
	if err == nil || errors.As(err, &api) {
		t.Fatalf("DropResponse: err = %v, want a network error", err)
	}
	got, err := f.direct.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(f.fn)})
	if err != nil || aws.ToString(got.Description) != "changed" {
		t.Fatalf("DropResponse: moto did not get the change: %v %v", err, aws.ToString(got.Description))
	}

	f.proxy.Inject(Rule{Operation: "GetFunction", Times: 1, Delay: 300 * time.Millisecond})
	start := time.Now()
	if _, err := f.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.fn)}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("delayed call took %s", d)
	}

	f.proxy.SetLatency(200 * time.Millisecond)
	start = time.Now()
	if _, err := f.lambda.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String(f.fn)}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("call with latency took %s", d)
	}
	f.proxy.SetLatency(0)

	reqs := f.proxy.Requests()
	if len(reqs) != 4 || reqs[0].Status != 0 || !reqs[0].Injected || reqs[0].Code != CodeDropped || reqs[1].Code != CodeDropped {
		t.Errorf("log = %+v", reqs)
	}
	if c := f.proxy.Counts(); c.InjectedByCode[CodeDropped] != 2 || c.MutatingForwarded != 1 {
		t.Errorf("counts = %+v", c)
	}

	// HoldResponse: moto has the change while the client still waits for
	// the answer, which then comes whole.
	f.proxy.Inject(Rule{Operation: "UpdateFunctionConfiguration", Times: 1, HoldResponse: 2 * time.Second})
	answered := make(chan error, 1)
	go func() {
		out, err := f.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(f.fn), Description: aws.String("held")})
		if err == nil && aws.ToString(out.Description) != "held" {
			err = fmt.Errorf("held answer describes %q", aws.ToString(out.Description))
		}
		answered <- err
	}()
	deadline := time.Now().Add(time.Second)
	for {
		got, err := f.direct.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(f.fn)})
		if err == nil && aws.ToString(got.Description) == "held" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("HoldResponse: moto did not get the change while the answer was held: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case err := <-answered:
		t.Fatalf("HoldResponse: answered before the hold ended (err %v)", err)
	default:
	}
	if err := <-answered; err != nil {
		t.Errorf("HoldResponse: %v", err)
	}
}

func TestProxyMutatingCeiling(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	const rps = 5
	f.proxy.SetMutatingCeiling(rps)
	// Reads are not limited.
	for range 2 * rps {
		if _, err := f.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.fn)}); err != nil {
			t.Fatalf("GetFunction under the ceiling: %v", err)
		}
	}
	// Bounded in count (30) and time (10 s).
	const n = 30
	deadline := time.Now().Add(10 * time.Second)
	start := time.Now()
	ok, throttled := 0, 0
	for i := 0; i < n && time.Now().Before(deadline); i++ {
		_, err := f.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(f.fn)})
		var tm *types.TooManyRequestsException
		switch {
		case err == nil:
			ok++
		case errors.As(err, &tm):
			throttled++
			if tm.Reason != types.ThrottleReasonCallerRateLimitExceeded || tm.ErrorMessage() != "Rate exceeded" || httpStatus(err) != 429 {
				t.Errorf("429 = %+v", tm)
			}
		default:
			t.Fatalf("PublishVersion: %v", err)
		}
	}
	elapsed := time.Since(start)
	if ok < rps || ok > rps*(int(elapsed/time.Second)+1) {
		t.Errorf("%d passed, %d throttled in %s; want %d per started second", ok, throttled, elapsed, rps)
	}
	c := f.proxy.Counts()
	if c.Throttled != throttled || c.InjectedByCode[CodeTooManyRequests] != throttled {
		t.Errorf("Counts.Throttled = %d, InjectedByCode = %v; the SDK saw %d", c.Throttled, c.InjectedByCode, throttled)
	}
	if c.Mutating != ok+throttled || c.MutatingForwarded != ok || c.MutatingByOperation["PublishVersion"] != ok+throttled {
		t.Errorf("counts = %+v", c)
	}
	if c.MaxMutatingPerSecond > rps || (elapsed < time.Second && c.MaxMutatingPerSecond != rps) {
		t.Errorf("MaxMutatingPerSecond = %d, want %d", c.MaxMutatingPerSecond, rps)
	}
	// The window slides: a second later there is room again.
	time.Sleep(time.Second + 50*time.Millisecond)
	if _, err := f.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(f.fn)}); err != nil {
		t.Errorf("PublishVersion a second later: %v", err)
	}
	f.proxy.SetMutatingCeiling(0)
	for range 2 * rps {
		if _, err := f.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(f.fn)}); err != nil {
			t.Fatalf("PublishVersion with no ceiling: %v", err)
		}
	}
}

// clockProxy is a FaultProxy without a server, on a fake clock, for the
// ceilings' arithmetic.
func clockProxy() (*FaultProxy, *time.Time) {
	p := &FaultProxy{}
	p.init()
	now := time.Unix(1000, 0)
	p.now = func() time.Time { return now }
	return p, &now
}

// pass runs a Lambda request through the ceilings and the counts as
// ServeHTTP does, and says whether it was admitted.
func (p *FaultProxy) pass(op, method string) bool {
	info := reqInfo{service: "lambda", operation: op, mutating: method != http.MethodGet && !strings.HasPrefix(op, "Invoke")}
	info.bucket = QuotaBucket(info.service, op)
	adm := p.admit(info)
	if adm.ok {
		p.noteForwarded(info, adm.at)
	}
	p.record(Request{Service: "lambda", Operation: op, Method: method, Mutating: info.mutating, Bucket: info.bucket}, adm)
	return adm.ok
}

// TestCeilingWindowClock checks the sliding window and the 1-second maximum
// with a fake clock.
func TestCeilingWindowClock(t *testing.T) {
	p, now := clockProxy()
	p.SetMutatingCeiling(3)
	var got []bool
	for _, step := range []time.Duration{0, 100, 100, 100, 700, 1, 99, 100} { // ms
		*now = now.Add(step * time.Millisecond)
		got = append(got, p.pass("PublishVersion", http.MethodPost))
	}
	// Window (now-1s, now], 3 requests: t=0, 100, 200 pass; 300 is refused;
	// at 1000 the one of t=0 has left, so it passes; 1001 is refused (100,
	// 200, 1000 inside); 1100 and 1200 pass as 100 and 200 leave.
	want := []bool{true, true, true, false, true, false, true, true}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("admissions = %v, want %v", got, want)
		}
	}
	if p.counts.MaxMutatingPerSecond != 3 || p.counts.Throttled != 2 || p.counts.MutatingForwarded != 6 {
		t.Errorf("counts = %+v, want max 3, throttled 2, forwarded 6", p.counts)
	}
	// The mutating ceiling is not a bucket quota: the bucket counts the
	// requests but none as throttled by its quota.
	if b := p.counts.Buckets[BucketControlPlane]; b != (BucketCounts{Requests: 8, Forwarded: 6, Throttled: 0, MaxPerSecond: 3}) {
		t.Errorf("control-plane = %+v", b)
	}
	// Fractional rates: 2.5/s → 2 requests per 0.8 s.
	p.SetMutatingCeiling(2.5)
	if p.mutCeil.n != 2 || p.mutCeil.window != 800*time.Millisecond {
		t.Errorf("2.5 rps → %d per %s", p.mutCeil.n, p.mutCeil.window)
	}
	p.SetMutatingCeiling(0.5)
	if p.mutCeil.n != 1 || p.mutCeil.window != 2*time.Second {
		t.Errorf("0.5 rps → %d per %s", p.mutCeil.n, p.mutCeil.window)
	}
}

// TestQuotaBucketsClock checks, with a fake clock, that each bucket has its
// own ceiling, that reads count in the control-plane bucket, that a request
// passes only if every limit on it has room and a refused one takes none, and
// what each count holds.
func TestQuotaBucketsClock(t *testing.T) {
	p, now := clockProxy()
	p.SetQuota(BucketControlPlane, 3)
	p.SetQuota(BucketGetPolicy, 1)
	p.SetMutatingCeiling(2) // the old model on top
	steps := []struct {
		op, method string
		want       bool
	}{
		{"PublishVersion", "POST", true},
		{"UpdateAlias", "PUT", true},
		{"PublishVersion", "POST", false}, // mutating ceiling full; takes no control-plane room
		{"GetAlias", "GET", true},         // so a read still fits: 3 of 3
		{"GetFunctionConfiguration", "GET", false},
		{"ListVersionsByFunction", "GET", false},
		{"GetFunction", "GET", true}, // its own bucket, no quota set
		{"GetFunction", "GET", true},
		{"GetFunction", "GET", true},
		{"GetFunction", "GET", true},
		{"GetPolicy", "GET", true},
		{"GetPolicy", "GET", false},
		{"Invoke", "POST", true}, // no bucket
		{"Invoke", "POST", true},
		{"InvokeWithResponseStream", "POST", true},
		{"InvokeAsync", "POST", true},
	}
	for i, st := range steps {
		*now = now.Add(time.Millisecond)
		if got := p.pass(st.op, st.method); got != st.want {
			t.Fatalf("step %d %s: admitted = %v, want %v", i, st.op, got, st.want)
		}
	}
	c := p.Counts()
	want := map[string]BucketCounts{
		BucketControlPlane: {Requests: 6, Forwarded: 3, Throttled: 2, MaxPerSecond: 3},
		BucketGetFunction:  {Requests: 4, Forwarded: 4, Throttled: 0, MaxPerSecond: 4},
		BucketGetPolicy:    {Requests: 2, Forwarded: 1, Throttled: 1, MaxPerSecond: 1},
	}
	for b, w := range want {
		if c.Buckets[b] != w {
			t.Errorf("%s = %+v, want %+v", b, c.Buckets[b], w)
		}
	}
	if len(c.Buckets) != 3 {
		t.Errorf("Buckets = %v", c.Buckets)
	}
	wantOps := map[string]int{"PublishVersion": 2, "UpdateAlias": 1, "GetAlias": 1, "GetFunctionConfiguration": 1, "ListVersionsByFunction": 1,
		"GetFunction": 4, "GetPolicy": 2, "Invoke": 2, "InvokeWithResponseStream": 1, "InvokeAsync": 1}
	if !maps.Equal(c.ByOperation, wantOps) {
		t.Errorf("ByOperation = %v, want %v", c.ByOperation, wantOps)
	}
	// 1 by the mutating ceiling, 2 by control-plane's quota, 1 by GetPolicy's.
	if c.Throttled != 4 || c.Mutating != 3 || c.MutatingForwarded != 2 || c.MaxMutatingPerSecond != 2 {
		t.Errorf("Throttled %d Mutating %d MutatingForwarded %d MaxMutatingPerSecond %d", c.Throttled, c.Mutating, c.MutatingForwarded, c.MaxMutatingPerSecond)
	}
	// A second later there is room again.
	*now = now.Add(time.Second)
	for _, op := range []string{"GetAlias", "GetAlias", "GetPolicy"} {
		if !p.pass(op, "GET") {
			t.Errorf("%s a second later was refused", op)
		}
	}
	// 0 removes a quota.
	p.SetQuota(BucketControlPlane, 0)
	for range 10 {
		if !p.pass("ListAliases", "GET") {
			t.Fatal("ListAliases refused with no control-plane quota")
		}
	}

	p.SetAWSQuotas()
	for b, n := range map[string]int{BucketControlPlane: 15, BucketGetFunction: 100, BucketGetPolicy: 15} {
		if q := p.quotas[b]; q.n != n || q.window != time.Second {
			t.Errorf("SetAWSQuotas: %s = %d per %s", b, q.n, q.window)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("SetQuota of an unknown bucket did not panic")
		}
	}()
	p.SetQuota("mutating", 15)
}

func TestProxyInProgressWindow(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	const polls = 2
	f.proxy.SetInProgressPolls(polls)

	// After an update: InProgress for 2 polls, 409 meanwhile, then Successful.
	zip2 := MakeZip(t, map[string]string{"app.py": "def handler(e, c):\n    return 2\n"})
	upd, err := f.lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(f.fn), ZipFile: zip2})
	if err != nil {
		t.Fatal(err)
	}
	if upd.LastUpdateStatus != types.LastUpdateStatusInProgress {
		t.Errorf("UpdateFunctionCode answer LastUpdateStatus = %q, want InProgress", upd.LastUpdateStatus)
	}
	for _, call := range []func() error{
		func() error {
			_, err := f.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(f.fn), Description: aws.String("x")})
			return err
		},
		func() error {
			_, err := f.lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(f.fn), ZipFile: zip2})
			return err
		},
		func() error {
			_, err := f.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(f.fn)})
			return err
		},
	} {
		err := call()
		var conflict *types.ResourceConflictException
		if !errors.As(err, &conflict) || !strings.Contains(conflict.ErrorMessage(), "An update is in progress for resource: arn:aws:lambda:") {
			t.Errorf("during the update: err = %v, want ResourceConflictException", err)
		}
	}
	for i := range polls {
		var status types.LastUpdateStatus
		if i%2 == 0 {
			out, err := f.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.fn)})
			if err != nil {
				t.Fatal(err)
			}
			status = out.Configuration.LastUpdateStatus
			if aws.ToString(out.Configuration.CodeSha256) != CodeSha256(zip2) {
				t.Errorf("rewritten GetFunction lost CodeSha256")
			}
		} else {
			out, err := f.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(f.fn)})
			if err != nil {
				t.Fatal(err)
			}
			status = out.LastUpdateStatus
		}
		if status != types.LastUpdateStatusInProgress {
			t.Errorf("poll %d: LastUpdateStatus %q, want InProgress", i+1, status)
		}
	}
	// A published version is not polled: its answers stay as moto gives them.
	if out, err := f.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.fn), Qualifier: aws.String("1")}); err != nil || out.Configuration.LastUpdateStatus != types.LastUpdateStatusSuccessful {
		t.Errorf("GetFunction Qualifier=1: %v", err)
	}
	out, err := f.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.fn)})
	if err != nil || out.Configuration.LastUpdateStatus != types.LastUpdateStatusSuccessful {
		t.Fatalf("poll %d: %v %q, want Successful", polls+1, err, out.Configuration.LastUpdateStatus)
	}
	if _, err := f.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(f.fn)}); err != nil {
		t.Fatalf("PublishVersion after the window: %v", err)
	}

	// After a create: Pending; the SDK's waiters see it through.
	name := uniq(t, "created")
	created, err := f.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: types.RuntimePython312, Role: aws.String(f.role),
		Handler: aws.String("app.handler"), Code: &types.FunctionCode{ZipFile: f.zip},
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.State != types.StatePending {
		t.Errorf("CreateFunction answer State = %q, want Pending", created.State)
	}
	_, err = f.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name), Description: aws.String("x")})
	var conflict *types.ResourceConflictException
	if !errors.As(err, &conflict) || !strings.Contains(conflict.ErrorMessage(), "Pending") {
		t.Errorf("update while Pending: %v", err)
	}
	f.proxy.Reset() // only the log: start counting polls below
	f.proxy.SetInProgressPolls(polls)
	created2 := uniq(t, "created2")
	if _, err := f.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(created2), Runtime: types.RuntimePython312, Role: aws.String(f.role),
		Handler: aws.String("app.handler"), Code: &types.FunctionCode{ZipFile: f.zip},
	}); err != nil {
		t.Fatal(err)
	}
	w := lambda.NewFunctionActiveV2Waiter(f.lambda, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 20*time.Millisecond
	})
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(created2)}, 10*time.Second); err != nil {
		t.Fatalf("FunctionActiveV2 waiter: %v", err)
	}
	if _, err := f.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(created2), Description: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	uw := lambda.NewFunctionUpdatedV2Waiter(f.lambda, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 20*time.Millisecond
	})
	if err := uw.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(created2)}, 10*time.Second); err != nil {
		t.Fatalf("FunctionUpdatedV2 waiter: %v", err)
	}
	gets := 0
	for _, r := range f.proxy.Requests() {
		if r.Operation == "GetFunction" && r.Function == created2 {
			gets++
		}
	}
	if gets != 2*(polls+1) {
		t.Errorf("the waiters polled %d times, want %d", gets, 2*(polls+1))
	}
}

func TestProxyStrict(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	zip2 := MakeZip(t, map[string]string{"app.py": "def handler(e, c):\n    return 2\n"})
	if _, err := f.lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(f.fn), ZipFile: zip2}); err != nil {
		t.Fatal(err)
	}
	// Not strict: moto accepts both.
	if _, err := f.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(f.fn), Name: aws.String("nope")}); httpStatus(err) != 404 {
		t.Fatalf("UpdateAlias of a missing alias: %v", err)
	}
	f.proxy.SetStrict(true)

	_, err := f.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(f.fn), CodeSha256: aws.String(CodeSha256(f.zip))})
	var pre *types.PreconditionFailedException
	if !errors.As(err, &pre) || !strings.Contains(pre.ErrorMessage(), CodeSha256(zip2)) {
		t.Fatalf("PublishVersion with the old CodeSha256: err = %v, want PreconditionFailedException", err)
	}
	v2, err := f.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(f.fn), CodeSha256: aws.String(CodeSha256(zip2))})
	if err != nil || aws.ToString(v2.Version) != "2" {
		t.Fatalf("PublishVersion with the right CodeSha256: %v", err)
	}

	if _, err := f.lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(f.fn), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		version *string
		weights map[string]float64
	}{
		{"weight 1.5", nil, map[string]float64{"2": 1.5}},
		{"negative weight", nil, map[string]float64{"2": -0.1}},
		{"two additional versions", nil, map[string]float64{"2": 0.1, "3": 0.1}},
		{"$LATEST as primary", aws.String("$LATEST"), map[string]float64{"2": 0.1}},
		{"$LATEST as additional", nil, map[string]float64{"$LATEST": 0.1}},
		{"additional = primary", nil, map[string]float64{"1": 0.1}},
	} {
		_, err := f.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{
			FunctionName: aws.String(f.fn), Name: aws.String("live"), FunctionVersion: tt.version,
			RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: tt.weights},
		})
		var inv *types.InvalidParameterValueException
		if !errors.As(err, &inv) || httpStatus(err) != 400 {
			t.Errorf("%s: err = %v, want InvalidParameterValueException", tt.name, err)
		}
	}
	// Valid shifts pass: 10% canary, then the end of the shift.
	if _, err := f.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{
		FunctionName: aws.String(f.fn), Name: aws.String("live"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.1}},
	}); err != nil {
		t.Fatalf("canary: %v", err)
	}
	if _, err := f.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{
		FunctionName: aws.String(f.fn), Name: aws.String("live"), FunctionVersion: aws.String("2"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}},
	}); err != nil {
		t.Fatalf("end of shift: %v", err)
	}

	moves := f.proxy.AliasMoves()
	want := []AliasMove{
		{Operation: "CreateAlias", Function: f.fn, Alias: "live", FunctionVersion: "1", AdditionalVersionWeights: map[string]float64{}, CodeSha256: CodeSha256(f.zip)},
		{Operation: "UpdateAlias", Function: f.fn, Alias: "live", FunctionVersion: "1", AdditionalVersionWeights: map[string]float64{"2": 0.1}, CodeSha256: CodeSha256(f.zip)},
		{Operation: "UpdateAlias", Function: f.fn, Alias: "live", FunctionVersion: "2", AdditionalVersionWeights: map[string]float64{}, CodeSha256: CodeSha256(zip2)},
	}
	if len(moves) != len(want) {
		t.Fatalf("AliasMoves = %+v", moves)
	}
	for i := range want {
		got := moves[i]
		if got.Time.IsZero() {
			t.Errorf("move %d has no time", i)
		}
		got.Time = time.Time{}
		if got.Operation != want[i].Operation || got.Function != want[i].Function || got.Alias != want[i].Alias ||
			got.FunctionVersion != want[i].FunctionVersion || got.CodeSha256 != want[i].CodeSha256 ||
			len(got.AdditionalVersionWeights) != len(want[i].AdditionalVersionWeights) ||
			got.AdditionalVersionWeights["2"] != want[i].AdditionalVersionWeights["2"] {
			t.Errorf("move %d = %+v, want %+v", i, got, want[i])
		}
	}
	if c := f.proxy.Counts(); c.InjectedByCode[CodePreconditionFailed] != 1 || c.InjectedByCode[CodeInvalidParameter] != 6 {
		t.Errorf("InjectedByCode = %v", c.InjectedByCode)
	}
}

// TestProxyS3LargeUpload checks that a 20 MB upload streams through intact,
// and that S3 and IAM are classified and get errors in their own shapes.
func TestProxyS3LargeUpload(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	s3c := S3Client(f.cfg, func(o *s3.Options) { o.Retryer = aws.NopRetryer{} })
	bucket := strings.ToLower(uniq(t, "big"))
	CreateBucket(t, f.cfg, bucket)
	data := make([]byte, 20<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/b.zip"), Body: bytes.NewReader(data)}); err != nil {
		t.Fatalf("PutObject 20 MB through the proxy: %v", err)
	}
	obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/b.zip")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("object came back different: %d bytes", len(got))
	}

	f.proxy.Inject(Rule{Service: "s3", Operation: "PutObject", Times: 1, Status: 503, Code: "SlowDown", Message: "Please reduce your request rate."})
	_, err = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("x"), Body: strings.NewReader("x")})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "SlowDown" || httpStatus(err) != 503 {
		t.Errorf("injected S3 error: %v", err)
	}
	iamc := iam.NewFromConfig(f.cfg, func(o *iam.Options) { o.Retryer = aws.NopRetryer{} })
	f.proxy.Inject(Rule{Service: "iam", Operation: "GetRole", Times: 1, Status: 400, Code: "NoSuchEntity", Message: "nope"})
	_, err = iamc.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("lambda-exec")})
	if !errors.As(err, &api) || api.ErrorCode() != "NoSuchEntity" || api.ErrorMessage() != "nope" {
		t.Errorf("injected IAM error: %v", err)
	}

	ops := map[string]int{}
	for _, r := range f.proxy.Requests() {
		ops[r.Service+" "+r.Operation]++
		if r.Mutating {
			t.Errorf("%s %s counted as mutating", r.Service, r.Operation)
		}
	}
	for _, want := range []string{"s3 CreateBucket", "s3 PutObject", "s3 GetObject", "iam GetRole"} {
		if ops[want] == 0 {
			t.Errorf("no %q in the log: %v", want, ops)
		}
	}
}

func TestClassify(t *testing.T) {
	const auth = "AWS4-HMAC-SHA256 Credential=testing/20260101/eu-west-1/%s/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"
	tests := []struct {
		method, target, service string
		op, fn, qual, alias     string
		mutating                bool
	}{
		{"POST", "/2015-03-31/functions", "lambda", "CreateFunction", "", "", "", true},
		{"GET", "/2015-03-31/functions/", "lambda", "ListFunctions", "", "", "", false},
		{"GET", "/2015-03-31/functions/orders", "lambda", "GetFunction", "orders", "", "", false},
		{"GET", "/2015-03-31/functions/orders?Qualifier=7", "lambda", "GetFunction", "orders", "7", "", false},
		{"GET", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Aorders%3Alive", "lambda", "GetFunction", "orders", "live", "", false},
		{"GET", "/2015-03-31/functions/orders%3Aprod/configuration", "lambda", "GetFunctionConfiguration", "orders", "prod", "", false},
		{"DELETE", "/2015-03-31/functions/orders", "lambda", "DeleteFunction", "orders", "", "", true},
		{"PUT", "/2015-03-31/functions/orders/code", "lambda", "UpdateFunctionCode", "orders", "", "", true},
		{"PUT", "/2015-03-31/functions/orders/configuration", "lambda", "UpdateFunctionConfiguration", "orders", "", "", true},
		{"POST", "/2015-03-31/functions/orders/versions", "lambda", "PublishVersion", "orders", "", "", true},
		{"GET", "/2015-03-31/functions/orders/versions", "lambda", "ListVersionsByFunction", "orders", "", "", false},
		{"POST", "/2015-03-31/functions/orders/aliases", "lambda", "CreateAlias", "orders", "", "", true},
		{"GET", "/2015-03-31/functions/orders/aliases", "lambda", "ListAliases", "orders", "", "", false},
		{"GET", "/2015-03-31/functions/orders/aliases/live", "lambda", "GetAlias", "orders", "", "live", false},
		{"PUT", "/2015-03-31/functions/orders/aliases/live", "lambda", "UpdateAlias", "orders", "", "live", true},
		{"DELETE", "/2015-03-31/functions/orders/aliases/live", "lambda", "DeleteAlias", "orders", "", "live", true},
		{"POST", "/2015-03-31/functions/orders/invocations", "lambda", "Invoke", "orders", "", "", false},
		{"POST", "/2018-10-31/layers/deps/versions", "lambda", "PublishLayerVersion", "", "", "", true},
		{"GET", "/2018-10-31/layers/deps/versions/3", "lambda", "GetLayerVersion", "", "", "", false},
		{"DELETE", "/2018-10-31/layers/deps/versions/3", "lambda", "DeleteLayerVersion", "", "", "", true},
		{"POST", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Aorders", "lambda", "TagResource", "orders", "", "", true},
		{"PUT", "/bucket/key.zip", "s3", "PutObject", "", "", "", false},
		{"GET", "/bucket?list-type=2&prefix=a", "s3", "ListObjectsV2", "", "", "", false},
		{"GET", "/?Action=GetRole&RoleName=x", "iam", "GetRole", "", "", "", false},
	}
	for _, tt := range tests {
		r, err := http.NewRequest(tt.method, "http://127.0.0.1:1"+tt.target, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Authorization", strings.Replace(auth, "%s", tt.service, 1))
		info := classify(r)
		if info.service != tt.service || info.region != "eu-west-1" || info.operation != tt.op || info.function != tt.fn ||
			info.qualifier != tt.qual || info.alias != tt.alias || info.mutating != tt.mutating {
			t.Errorf("%s %s → %+v", tt.method, tt.target, info)
		}
	}

	// Quota buckets: GetFunction and GetPolicy have their own; Invoke* none;
	// every other Lambda request, reads included, the shared control plane.
	for _, tt := range []struct{ method, target, service, op, bucket string }{
		{"GET", "/2015-03-31/functions/orders", "lambda", "GetFunction", BucketGetFunction},
		{"GET", "/2015-03-31/functions/orders?Qualifier=7", "lambda", "GetFunction", BucketGetFunction},
		{"GET", "/2015-03-31/functions/orders/policy", "lambda", "GetPolicy", BucketGetPolicy},
		{"GET", "/2015-03-31/functions/orders/configuration", "lambda", "GetFunctionConfiguration", BucketControlPlane},
		{"GET", "/2015-03-31/functions/orders/aliases/live", "lambda", "GetAlias", BucketControlPlane},
		{"GET", "/2015-03-31/functions/orders/aliases", "lambda", "ListAliases", BucketControlPlane},
		{"GET", "/2015-03-31/functions/orders/versions", "lambda", "ListVersionsByFunction", BucketControlPlane},
		{"GET", "/2018-10-31/layers/deps/versions", "lambda", "ListLayerVersions", BucketControlPlane},
		{"GET", "/2018-10-31/layers/deps/versions/3", "lambda", "GetLayerVersion", BucketControlPlane},
		{"POST", "/2018-10-31/layers/deps/versions", "lambda", "PublishLayerVersion", BucketControlPlane},
		{"PUT", "/2015-03-31/functions/orders/code", "lambda", "UpdateFunctionCode", BucketControlPlane},
		{"PUT", "/2015-03-31/functions/orders/aliases/live", "lambda", "UpdateAlias", BucketControlPlane},
		{"DELETE", "/2015-03-31/functions/orders", "lambda", "DeleteFunction", BucketControlPlane},
		{"GET", "/2015-03-31/functions/", "lambda", "ListFunctions", BucketControlPlane},
		{"GET", "/2016-08-19/account-settings", "lambda", "GetAccountSettings", BucketControlPlane},
		{"GET", "/2015-03-31/functions/orders/nonsense", "lambda", "", BucketControlPlane},
		{"POST", "/2015-03-31/functions/orders/invocations", "lambda", "Invoke", ""},
		{"POST", "/2014-11-13/functions/orders/invoke-async", "lambda", "InvokeAsync", ""},
		{"POST", "/2021-11-15/functions/orders/response-streaming-invocations", "lambda", "InvokeWithResponseStream", ""},
		{"PUT", "/bucket/key.zip", "s3", "PutObject", ""},
		{"GET", "/?Action=GetRole&RoleName=x", "iam", "GetRole", ""},
	} {
		r, err := http.NewRequest(tt.method, "http://127.0.0.1:1"+tt.target, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Authorization", strings.Replace(auth, "%s", tt.service, 1))
		if info := classify(r); info.operation != tt.op || info.bucket != tt.bucket {
			t.Errorf("%s %s → %q in bucket %q, want %q in %q", tt.method, tt.target, info.operation, info.bucket, tt.op, tt.bucket)
		}
	}

	// The function name of CreateFunction and the Action of a query-protocol
	// POST are in the body, which must still be there afterwards.
	body := `{"Code":{"ZipFile":"UEsDBA=="},"FunctionName":"orders","Role":"r"}`
	r, _ := http.NewRequest("POST", "http://127.0.0.1:1/2015-03-31/functions", strings.NewReader(body))
	r.Header.Set("Authorization", strings.Replace(auth, "%s", "lambda", 1))
	if info := classify(r); info.function != "orders" {
		t.Errorf("CreateFunction body → %+v", info)
	}
	if b, _ := io.ReadAll(r.Body); string(b) != body {
		t.Errorf("body after classify = %q", b)
	}
	form := "Action=PutMetricAlarm&Version=2010-08-01"
	r, _ = http.NewRequest("POST", "http://127.0.0.1:1/", strings.NewReader(form))
	r.Header.Set("Authorization", strings.Replace(auth, "%s", "monitoring", 1))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if info := classify(r); info.operation != "PutMetricAlarm" || info.proto != protoQuery {
		t.Errorf("query POST → %+v", info)
	}
	if b, _ := io.ReadAll(r.Body); string(b) != form {
		t.Errorf("form after classify = %q", b)
	}
}

// TestProxyStrictRevisions checks the RevisionIds that strict mode keeps
// (moto has none for functions and never changes an alias's) and the refusal
// to delete a version an alias points to.
func TestProxyStrictRevisions(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.proxy.SetStrict(true)
	var pre *types.PreconditionFailedException

	upd, err := f.lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(f.fn), ZipFile: MakeZip(t, map[string]string{"app.py": "2"})})
	if err != nil {
		t.Fatal(err)
	}
	r1 := aws.ToString(upd.RevisionId)
	got, err := f.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.fn)})
	if err != nil || r1 == "" || aws.ToString(got.Configuration.RevisionId) != r1 {
		t.Fatalf("RevisionId: update answered %q, GetFunction %q (%v)", r1, aws.ToString(got.Configuration.RevisionId), err)
	}
	cfg, err := f.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(f.fn), Description: aws.String("x"), RevisionId: aws.String(r1)})
	if err != nil {
		t.Fatalf("UpdateFunctionConfiguration with the current RevisionId: %v", err)
	}
	r2 := aws.ToString(cfg.RevisionId)
	if r2 == "" || r2 == r1 {
		t.Fatalf("RevisionId after an update = %q, was %q", r2, r1)
	}
	if _, err := f.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(f.fn), RevisionId: aws.String(r1)}); !errors.As(err, &pre) {
		t.Fatalf("PublishVersion with a stale RevisionId: %v, want PreconditionFailedException", err)
	}
	v2, err := f.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(f.fn), RevisionId: aws.String(r2)})
	if err != nil {
		t.Fatalf("PublishVersion with the current RevisionId: %v", err)
	}

	al, err := f.lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(f.fn), Name: aws.String("live"), FunctionVersion: aws.String("1")})
	if err != nil {
		t.Fatal(err)
	}
	a1 := aws.ToString(al.RevisionId)
	ga, err := f.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(f.fn), Name: aws.String("live")})
	if err != nil || aws.ToString(ga.RevisionId) != a1 {
		t.Fatalf("GetAlias RevisionId = %q, CreateAlias said %q (%v)", aws.ToString(ga.RevisionId), a1, err)
	}
	ua, err := f.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(f.fn), Name: aws.String("live"), RevisionId: aws.String(a1),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{aws.ToString(v2.Version): 0.5}}})
	if err != nil {
		t.Fatalf("UpdateAlias with the current RevisionId: %v", err)
	}
	if a2 := aws.ToString(ua.RevisionId); a2 == a1 || a2 == "" {
		t.Errorf("alias RevisionId after an update = %q, was %q", a2, a1)
	}
	if _, err := f.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(f.fn), Name: aws.String("live"), RevisionId: aws.String(a1)}); !errors.As(err, &pre) {
		t.Errorf("UpdateAlias with a stale RevisionId: %v, want PreconditionFailedException", err)
	}
	list, err := f.lambda.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String(f.fn)})
	if err != nil || len(list.Aliases) != 1 || aws.ToString(list.Aliases[0].RevisionId) != aws.ToString(ua.RevisionId) {
		t.Errorf("ListAliases = %+v (%v)", list, err)
	}

	// Versions 1 (primary) and 2 (additional) are referenced by the alias.
	var conflict *types.ResourceConflictException
	for _, v := range []string{"1", aws.ToString(v2.Version)} {
		if _, err := f.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(f.fn), Qualifier: aws.String(v)}); !errors.As(err, &conflict) {
			t.Errorf("DeleteFunction of version %s that alias live references: %v, want ResourceConflictException", v, err)
		}
	}
	if _, err := f.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(f.fn), Name: aws.String("live"), FunctionVersion: aws.String(aws.ToString(v2.Version)),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(f.fn), Qualifier: aws.String("1")}); err != nil {
		t.Errorf("DeleteFunction of a version no alias references: %v", err)
	}
}

// TestProxyKeepsHostAndHeaders checks, against a recording backend, that the
// proxy forwards the Host the client signed, the signature headers and the
// body untouched, and streams the answer.
func TestProxyKeepsHostAndHeaders(t *testing.T) {
	type seen struct {
		host, auth, date, path string
		n                      int64
		sum                    [32]byte
	}
	got := make(chan seen, 1)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, _ := io.Copy(h, r.Body)
		var s seen
		s.host, s.auth, s.date, s.path, s.n = r.Host, r.Header.Get("Authorization"), r.Header.Get("X-Amz-Date"), r.URL.EscapedPath(), n
		copy(s.sum[:], h.Sum(nil))
		got <- s
		w.Write(bytes.Repeat([]byte("y"), 1<<20))
	}))
	defer backend.Close()
	p := NewFaultProxy(t, backend.URL)
	body := bytes.Repeat([]byte("x"), 5<<20)
	const auth = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"
	req, _ := http.NewRequest(http.MethodPut, p.URL()+"/bucket/a%3Ab.zip", bytes.NewReader(body))
	req.Header.Set("Authorization", auth)
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	s := <-got
	wantHost := strings.TrimPrefix(p.URL(), "http://")
	if s.host != wantHost || s.auth != auth || s.date != "20260101T000000Z" || s.path != "/bucket/a%3Ab.zip" {
		t.Errorf("backend saw host %q auth %q date %q path %q; want host %q", s.host, s.auth, s.date, s.path, wantHost)
	}
	if s.n != int64(len(body)) || s.sum != sha256.Sum256(body) || n != 1<<20 {
		t.Errorf("body: backend got %d bytes, client got %d", s.n, n)
	}
	if r := p.Requests(); len(r) != 1 || r[0].Service != "s3" || r[0].Operation != "PutObject" || r[0].Status != 200 {
		t.Errorf("log = %+v", r)
	}
}
