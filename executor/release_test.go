package executor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/lambdas-dev/lambdas/executor/pack"
	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

// memBackend is a state backend in memory.
type memBackend struct {
	mu     sync.Mutex
	data   []byte
	writes int
}

func (m *memBackend) Get(ctx context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		return nil, state.ErrNotExist
	}
	return append([]byte(nil), m.data...), nil
}

func (m *memBackend) Put(ctx context.Context, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data = append([]byte(nil), data...)
	return nil
}

func (m *memBackend) Delete(ctx context.Context) error { m.data = nil; return nil }

// Read and WriteIf make it a state.Store: the version is a write counter.
func (m *memBackend) Read(ctx context.Context) ([]byte, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		return nil, "", state.ErrNotExist
	}
	return append([]byte(nil), m.data...), fmt.Sprint(m.writes), nil
}

func (m *memBackend) WriteIf(ctx context.Context, data []byte, version string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur := fmt.Sprint(m.writes); (m.data == nil) != (version == "") || (m.data != nil && cur != version) {
		return "", state.ErrConflict
	}
	m.data = append([]byte(nil), data...)
	m.writes++
	return fmt.Sprint(m.writes), nil
}
func (m *memBackend) String() string { return "memory" }

// Code the tests release: the package and what ran before.
var (
	pkgZip  = []byte("PK the package")
	oldZip  = []byte("PK the released code")
	pkgSha  = codeSha(pkgZip)
	oldSha  = codeSha(oldZip)
	hotSha  = codeSha([]byte("PK a hotfix made outside lambdas"))
	testFn  = &manifest.Function{Label: "orders", Name: "orders-api", Runtime: "python3.13", Architecture: "x86_64", Handler: "app.handler", Alias: "live"}
	createF = &manifest.Function{Label: "orders", Name: "orders-api", Runtime: "python3.13", Architecture: "x86_64", Handler: "app.handler", Alias: "live",
		Create: &manifest.Create{Role: "arn:aws:iam::123456789012:role/r", Memory: 128, Timeout: 3}}
)

// harness runs one function's release against the fake.
type harness struct {
	t      *testing.T
	fake   *fakeLambda
	sm     *state.Manager
	client *Lambda
	opts   Options

	mu     sync.Mutex
	events []Event
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	sm, err := state.Load(context.Background(), &memBackend{})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, fake: newFake(), sm: sm}
	h.opts = Options{PollInterval: time.Millisecond, WaitTimeout: 100 * time.Millisecond, Retry: RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}}
	h.client = newLambda(h.fake, "us-east-1", Quotas{ControlPlane: 10000, GetFunction: 10000}, h.opts.Retry)
	return h
}

func (h *harness) Report(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, e)
}

// record sets the state's record of the function (nil: none).
func (h *harness) record(rec *state.Function) {
	h.t.Helper()
	if rec == nil {
		return
	}
	if err := h.sm.Update(context.Background(), func(d *state.Document) error { d.Functions["orders"] = rec; return nil }); err != nil {
		h.t.Fatal(err)
	}
}

// released is the state's record of version 1 running oldZip, the alias
// moved by lambdas (its RevisionId kept).
func (h *harness) released(version, sha string) *state.Function {
	return &state.Function{FunctionName: "orders-api", Commit: "c0", CodeFingerprint: "fp0", CodeSha256: sha, Version: version, Alias: "live", AliasRevisionID: h.fake.aliasRev("orders-api", "live")}
}

func codePlan(fp string) *plan.FunctionPlan {
	return &plan.FunctionPlan{Name: "orders", FunctionName: "orders-api", Change: plan.Changed, CodeFingerprint: fp, Steps: []plan.Step{
		{Name: plan.StepUpdateCode, Code: &plan.CodeParams{FunctionName: "orders-api", Architecture: "x86_64"}},
		{Name: plan.StepMoveAlias, Alias: &plan.AliasParams{Alias: "live", Strategy: "all-at-once"}},
	}}
}

func aliasPlan(version string) *plan.FunctionPlan {
	return &plan.FunctionPlan{Name: "orders", FunctionName: "orders-api", Change: plan.Changed, CodeFingerprint: "fp0", Steps: []plan.Step{
		{Name: plan.StepMoveAlias, Alias: &plan.AliasParams{Alias: "live", Strategy: "all-at-once", Version: version}},
	}}
}

// run releases fn with the plan (the package is pkgZip when the plan
// updates code) under ctx.
func (h *harness) run(ctx context.Context, fn *manifest.Function, fp *plan.FunctionPlan) FunctionResult {
	h.t.Helper()
	ex := newExecutor(h.client, nil, &manifest.Manifest{Functions: []*manifest.Function{fn}}, h.sm, Options{
		PollInterval: h.opts.PollInterval, WaitTimeout: h.opts.WaitTimeout, Retry: h.opts.Retry, Reporter: h, Grace: time.Second,
	})
	r := &release{fn: fn, plan: fp, prev: h.sm.Snapshot().Functions[fn.Label], head: "c1", resumed: map[plan.StepName]bool{}}
	if fp.HasStep(plan.StepUpdateCode) {
		path := filepath.Join(h.t.TempDir(), "app.zip")
		if err := os.WriteFile(path, pkgZip, 0o644); err != nil {
			h.t.Fatal(err)
		}
		r.zip = &pack.Result{Path: path, Size: int64(len(pkgZip)), CodeSha256: pkgSha}
	}
	return ex.releaseOne(ctx, r)
}

func (h *harness) eventText(kind string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	for _, e := range h.events {
		if e.Kind == kind {
			b.WriteString(e.Step + ": " + e.Message + "\n")
		}
	}
	return b.String()
}

// controlCalls lists the calls of the control-plane bucket the fake saw.
func controlCalls(calls []string) []string {
	out := []string{}
	for _, c := range calls {
		if !strings.HasPrefix(c, "GetFunction ") {
			out = append(out, c)
		}
	}
	return out
}

func tooMany() error {
	return &types.TooManyRequestsException{Message: aws.String("Rate exceeded"), Reason: types.ThrottleReasonCallerRateLimitExceeded}
}

func repeatErr(err error, n int) []error {
	out := make([]error, n)
	for i := range out {
		out[i] = err
	}
	return out
}

func TestRelease(t *testing.T) {
	tests := []struct {
		name  string
		fn    *manifest.Function
		setup func(h *harness) // the live function and the state
		plan  *plan.FunctionPlan

		wantStatus  string
		wantErr     string   // in the result's error
		wantControl []string // calls in the control-plane bucket, in order
		wantCalls   []string // every call, in order (when set)
		wantAlias   string   // version the alias points at afterwards ("" = no alias)
		wantVersion string   // in the result
		wantDrift   string   // in the result's drift
		wantEvent   string   // in the note, warn or drift events
		check       func(t *testing.T, h *harness)
	}{
		{
			name: "code-only release: two calls in the 15/s bucket",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "live", "1")
				h.record(h.released("1", oldSha))
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusReleased,
			wantCalls:   []string{"GetFunction orders-api", "UpdateFunctionCode orders-api", "GetFunction orders-api:2", "UpdateAlias orders-api/live"},
			wantControl: []string{"UpdateFunctionCode orders-api", "UpdateAlias orders-api/live"},
			wantAlias:   "2", wantVersion: "2",
			check: func(t *testing.T, h *harness) {
				rec := h.sm.Snapshot().Functions["orders"]
				if rec.Version != "2" || rec.CodeSha256 != pkgSha || rec.AliasRevisionID != h.fake.aliasRev("orders-api", "live") || rec.Account != "123456789012" || rec.Region != "us-east-1" || rec.InFlight != nil {
					t.Errorf("record: %+v", rec)
				}
			},
		},
		{
			name: "first release of an existing function reads the alias once",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "live", "1")
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusReleased,
			wantControl: []string{"UpdateFunctionCode orders-api", "GetAlias orders-api/live", "UpdateAlias orders-api/live"},
			wantAlias:   "2",
		},
		{
			name:        "first release, the alias missing: created",
			setup:       func(h *harness) { h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "", "") },
			plan:        codePlan("fp1"),
			wantStatus:  StatusReleased,
			wantControl: []string{"UpdateFunctionCode orders-api", "GetAlias orders-api/live", "CreateAlias orders-api/live"},
			wantAlias:   "2",
		},
		{
			name:        "a missing function is created and published in one call, its alias created at once",
			fn:          createF,
			setup:       func(h *harness) {},
			plan:        codePlan("fp1"),
			wantStatus:  StatusReleased,
			wantCalls:   []string{"GetFunction orders-api", "CreateFunction orders-api", "GetFunction orders-api:1", "CreateAlias orders-api/live"},
			wantControl: []string{"CreateFunction orders-api", "CreateAlias orders-api/live"},
			wantAlias:   "1", wantVersion: "1",
			wantEvent: "created function orders-api",
		},
		{
			name:       "a missing function without a create block: a clear error",
			setup:      func(h *harness) {},
			plan:       codePlan("fp1"),
			wantStatus: StatusFailed, wantErr: "orders: update-code: function orders-api does not exist; create it with Terraform",
			wantControl: []string{},
		},
		{
			name: "412 on update-code: someone changed the function after it was read; nothing published",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "live", "1")
				h.record(h.released("1", oldSha))
				h.fake.before["UpdateFunctionCode"] = []func(*fakeLambda){updateCodeOutside("orders-api", hotSha)}
			},
			plan:       codePlan("fp1"),
			wantStatus: StatusFailed, wantErr: "orders: update-code: orders-api changed after lambdas read it (RevisionId",
			wantControl: []string{"UpdateFunctionCode orders-api"},
			wantAlias:   "1",
			check: func(t *testing.T, h *harness) {
				if in := h.sm.Snapshot().Functions["orders"].InFlight; in != nil && in.Version != "" {
					t.Errorf("a version was recorded: %+v", in)
				}
			},
		},
		{
			name: "412 on the alias: someone moved it; read again, said, moved with the fresh RevisionId",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{oldSha, hotSha}, "live", "1")
				h.record(h.released("1", oldSha))
				h.fake.before["UpdateAlias"] = []func(*fakeLambda){moveAliasOutside("orders-api", "live", "2")}
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusReleased,
			wantControl: []string{"UpdateFunctionCode orders-api", "UpdateAlias orders-api/live", "GetAlias orders-api/live", "UpdateAlias orders-api/live"},
			wantAlias:   "3",
			wantDrift:   "alias live was moved outside lambdas: it points at version 2, the state records 1; moving it to 3",
		},
		{
			name: "412 on the alias twice: an error, not a loop",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{oldSha, hotSha}, "live", "1")
				h.record(h.released("1", oldSha))
				h.fake.before["UpdateAlias"] = []func(*fakeLambda){moveAliasOutside("orders-api", "live", "2"), moveAliasOutside("orders-api", "live", "1")}
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusFailed,
			wantErr:     "orders: move-alias: alias live changed again while it was being moved",
			wantControl: []string{"UpdateFunctionCode orders-api", "UpdateAlias orders-api/live", "GetAlias orders-api/live", "UpdateAlias orders-api/live"},
			wantAlias:   "1",
		},
		{
			name: "UpdateFunctionCode answers another CodeSha256: refused, the alias stays",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "live", "1")
				h.record(h.released("1", oldSha))
				h.fake.alter["UpdateFunctionCode"] = func(out any) { out.(*lambda.UpdateFunctionCodeOutput).CodeSha256 = aws.String(hotSha) }
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusFailed,
			wantErr:     "orders: update-code: UpdateFunctionCode: Lambda reports CodeSha256 " + hotSha + " for version 2, the package is " + pkgSha + "; the alias stays where it is",
			wantControl: []string{"UpdateFunctionCode orders-api"},
			wantAlias:   "1",
		},
		{
			name: "the version polled runs another CodeSha256: refused, the alias stays",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "live", "1")
				h.record(h.released("1", oldSha))
				h.fake.alter["GetFunction"] = func(out any) {
					if c := out.(*lambda.GetFunctionOutput).Configuration; aws.ToString(c.Version) == "2" {
						c.CodeSha256 = aws.String(hotSha)
					}
				}
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusFailed,
			wantErr:     "orders: update-code: version 2 runs CodeSha256 " + hotSha + ", not the package's " + pkgSha + "; the alias stays where it is",
			wantControl: []string{"UpdateFunctionCode orders-api"},
			wantAlias:   "1",
		},
		{
			name: "CreateFunction answers another CodeSha256: refused, no alias",
			fn:   createF,
			setup: func(h *harness) {
				h.fake.alter["CreateFunction"] = func(out any) { out.(*lambda.CreateFunctionOutput).CodeSha256 = aws.String(hotSha) }
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusFailed,
			wantErr:     "CreateFunction: Lambda reports CodeSha256 " + hotSha,
			wantControl: []string{"CreateFunction orders-api"},
		},
		{
			name: "the version published before a crash is found on resume: verified, no update",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", pkgSha, []string{oldSha, pkgSha}, "live", "1")
				rec := h.released("1", oldSha)
				rec.InFlight = &state.Release{CodeFingerprint: "fp1", CodeSha256: pkgSha, Version: "2", Done: map[string]string{"package": "t"}}
				h.record(rec)
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusReleased,
			wantCalls:   []string{"GetFunction orders-api:2", "UpdateAlias orders-api/live"},
			wantControl: []string{"UpdateAlias orders-api/live"},
			wantAlias:   "2", wantVersion: "2",
		},
		{
			name: "resume: $LATEST runs the package but no version was recorded: PublishVersion returns the existing one",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", pkgSha, []string{oldSha, pkgSha}, "live", "1")
				rec := h.released("1", oldSha)
				rec.InFlight = &state.Release{CodeFingerprint: "fp1", CodeSha256: pkgSha, Done: map[string]string{"package": "t"}}
				h.record(rec)
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusReleased,
			wantControl: []string{"PublishVersion orders-api", "UpdateAlias orders-api/live"},
			wantAlias:   "2", wantVersion: "2",
			check: func(t *testing.T, h *harness) {
				if n := len(h.fake.fns["orders-api"].versions); n != 2 {
					t.Errorf("%d versions, want 2: nothing new published", n)
				}
			},
		},
		{
			name: "alias-only move to the recorded version (the alias was moved): verified, read, moved",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{oldSha, hotSha}, "live", "2")
				h.record(h.released("1", oldSha))
			},
			plan:        aliasPlan("1"),
			wantStatus:  StatusReleased,
			wantCalls:   []string{"GetFunction orders-api:1", "GetAlias orders-api/live", "UpdateAlias orders-api/live"},
			wantControl: []string{"GetAlias orders-api/live", "UpdateAlias orders-api/live"},
			wantAlias:   "1", wantVersion: "1",
		},
		{
			name: "alias-only move refused when the recorded version runs another CodeSha256",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{hotSha, oldSha}, "live", "2")
				h.record(h.released("1", oldSha))
			},
			plan:        aliasPlan("1"),
			wantStatus:  StatusFailed,
			wantErr:     "orders: move-alias: refusing to move live: version 1 runs CodeSha256 " + hotSha + ", not the package's " + oldSha,
			wantControl: []string{},
			wantAlias:   "2",
		},
		{
			name: "CreateFunction says the function exists: read it and update it, once",
			fn:   createF,
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "live", "1")
				h.fake.inject["GetFunction"] = []error{notFound("Function orders-api")}
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusReleased,
			wantCalls:   []string{"GetFunction orders-api", "CreateFunction orders-api", "GetFunction orders-api", "UpdateFunctionCode orders-api", "GetFunction orders-api:2", "GetAlias orders-api/live", "UpdateAlias orders-api/live"},
			wantControl: []string{"CreateFunction orders-api", "UpdateFunctionCode orders-api", "GetAlias orders-api/live", "UpdateAlias orders-api/live"},
			wantAlias:   "2",
			wantEvent:   "already exists",
		},
		{
			name: "a function created meanwhile without the dependency layer: refused, nothing updated",
			fn:   createF,
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "live", "1")
				// attach-layer's read and update-code's find no function yet.
				h.fake.inject["GetFunction"] = []error{notFound("Function orders-api"), notFound("Function orders-api")}
			},
			plan: &plan.FunctionPlan{Name: "orders", FunctionName: "orders-api", Change: plan.Changed, CodeFingerprint: "fp1", Steps: []plan.Step{
				{Name: plan.StepAttachLayer, Layer: &plan.LayerParams{LayerName: "lambdas-shop-deps-python3-13-x86_64", LayerVersionArn: "arn:aws:lambda:us-east-1:123456789012:layer:lambdas-shop-deps-python3-13-x86_64:1"}},
				{Name: plan.StepUpdateCode, Code: &plan.CodeParams{FunctionName: "orders-api", Architecture: "x86_64", MayCreate: true}},
				{Name: plan.StepMoveAlias, Alias: &plan.AliasParams{Alias: "live", Strategy: "all-at-once"}},
			}},
			wantStatus:  StatusFailed,
			wantErr:     "orders: update-code: function orders-api was created by someone else while this apply ran, without the dependency layer arn:aws:lambda:us-east-1:123456789012:layer:lambdas-shop-deps-python3-13-x86_64:1: nothing was updated",
			wantControl: []string{"CreateFunction orders-api"},
			wantAlias:   "1",
		},
		{
			name: "CreateFunction says it exists but it cannot be read: an error after one create",
			fn:   createF,
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "live", "1")
				h.fake.inject["GetFunction"] = repeatErr(notFound("Function orders-api"), 10)
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusFailed,
			wantErr:     "orders: update-code: read function orders-api, which CreateFunction says exists",
			wantControl: []string{"CreateFunction orders-api"},
			wantAlias:   "1",
		},
		{
			name: "CreateAlias says the alias exists: read it and update it, once",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "live", "1")
				h.fake.inject["GetAlias"] = []error{notFound("Alias live")}
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusReleased,
			wantControl: []string{"UpdateFunctionCode orders-api", "GetAlias orders-api/live", "CreateAlias orders-api/live", "GetAlias orders-api/live", "UpdateAlias orders-api/live"},
			wantAlias:   "2",
		},
		{
			name: "CreateAlias says it exists but GetAlias never finds it: an error after one create",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "live", "1")
				h.fake.inject["GetAlias"] = repeatErr(notFound("Alias live"), 10)
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusFailed,
			wantErr:     "orders: move-alias: read alias live, which CreateAlias says exists",
			wantControl: []string{"UpdateFunctionCode orders-api", "GetAlias orders-api/live", "CreateAlias orders-api/live", "GetAlias orders-api/live"},
			wantAlias:   "1",
		},
		{
			name: "429s on GetFunction slow the get-function bucket only, and are counted",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "live", "1")
				h.record(h.released("1", oldSha))
				h.fake.inject["GetFunction"] = repeatErr(tooMany(), 2)
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusReleased,
			wantControl: []string{"UpdateFunctionCode orders-api", "UpdateAlias orders-api/live"},
			wantAlias:   "2",
			wantEvent:   "GetFunction attempt 2: ",
			check: func(t *testing.T, h *harness) {
				want := map[string]BucketStats{BucketControlPlane: {Calls: 2, Throttles: 0}, BucketGetFunction: {Calls: 4, Throttles: 2}}
				if diff := cmp.Diff(want, h.client.Stats()); diff != "" {
					t.Errorf("stats (-want +got):\n%s", diff)
				}
				if h.client.getFn.lim.Rate() >= h.client.getFn.lim.base || h.client.control.lim.Rate() != h.client.control.lim.base {
					t.Errorf("rates: get-function %.1f (base %.1f), control-plane %.1f (base %.1f): only get-function should have slowed",
						h.client.getFn.lim.Rate(), h.client.getFn.lim.base, h.client.control.lim.Rate(), h.client.control.lim.base)
				}
			},
		},
		{
			name: "429s on UpdateAlias slow the control-plane bucket only, and are counted",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "live", "1")
				h.record(h.released("1", oldSha))
				h.fake.inject["UpdateAlias"] = repeatErr(tooMany(), 1)
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusReleased,
			wantControl: []string{"UpdateFunctionCode orders-api", "UpdateAlias orders-api/live", "UpdateAlias orders-api/live"},
			wantAlias:   "2",
			check: func(t *testing.T, h *harness) {
				want := map[string]BucketStats{BucketControlPlane: {Calls: 3, Throttles: 1}, BucketGetFunction: {Calls: 2, Throttles: 0}}
				if diff := cmp.Diff(want, h.client.Stats()); diff != "" {
					t.Errorf("stats (-want +got):\n%s", diff)
				}
				if h.client.control.lim.Rate() >= h.client.control.lim.base || h.client.getFn.lim.Rate() != h.client.getFn.lim.base {
					t.Errorf("only control-plane should have slowed")
				}
			},
		},
		{
			name: "retries run out: an error naming function, step and last cause",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "live", "1")
				h.record(h.released("1", oldSha))
				h.fake.inject["UpdateFunctionCode"] = repeatErr(tooMany(), 10)
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusFailed,
			wantErr:     "orders: update-code: UpdateFunctionCode: gave up after 4 attempts: ",
			wantControl: []string{"UpdateFunctionCode orders-api", "UpdateFunctionCode orders-api", "UpdateFunctionCode orders-api", "UpdateFunctionCode orders-api"},
			wantAlias:   "1",
			check: func(t *testing.T, h *harness) {
				if s := h.client.Stats()[BucketControlPlane]; s.Throttles != 4 {
					t.Errorf("throttles: %+v", s)
				}
			},
		},
		{
			name: "a read's retries run out too",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "live", "1")
				h.fake.inject["GetFunction"] = repeatErr(&types.ServiceException{Message: aws.String("internal")}, 10)
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusFailed,
			wantErr:     "orders: update-code: read function orders-api: GetFunction: gave up after 4 attempts: ",
			wantControl: []string{},
			wantAlias:   "1",
		},
		{
			name: "a version that stays Pending: the wait runs out with an error; the version is recorded",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "live", "1")
				h.record(h.released("1", oldSha))
				h.fake.versionPolls = 1 << 30
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusFailed,
			wantErr:     "orders: update-code: wait for version 2 of orders-api to become Active: gave up after ",
			wantControl: []string{"UpdateFunctionCode orders-api"},
			wantAlias:   "1",
			check: func(t *testing.T, h *harness) {
				res := h.sm.Snapshot().Functions["orders"]
				if res.InFlight == nil || res.InFlight.Version != "2" {
					t.Errorf("the version is not recorded for the rerun: %+v", res.InFlight)
				}
				if !strings.Contains(h.eventText(EventFail), "last seen: State Pending") {
					t.Errorf("the error should say what was last seen:\n%s", h.eventText(EventFail))
				}
			},
		},
		{
			name: "a version Pending for a few polls, then Active",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "live", "1")
				h.record(h.released("1", oldSha))
				h.fake.versionPolls = 3
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusReleased,
			wantCalls:   []string{"GetFunction orders-api", "UpdateFunctionCode orders-api", "GetFunction orders-api:2", "GetFunction orders-api:2", "GetFunction orders-api:2", "GetFunction orders-api:2", "UpdateAlias orders-api/live"},
			wantControl: []string{"UpdateFunctionCode orders-api", "UpdateAlias orders-api/live"},
			wantAlias:   "2",
		},
		{
			name: "an update in progress is waited out before updating",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "live", "1")
				h.fake.fns["orders-api"].inProgress = 2
				h.record(h.released("1", oldSha))
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusReleased,
			wantCalls:   []string{"GetFunction orders-api", "GetFunction orders-api", "GetFunction orders-api", "UpdateFunctionCode orders-api", "GetFunction orders-api:2", "UpdateAlias orders-api/live"},
			wantControl: []string{"UpdateFunctionCode orders-api", "UpdateAlias orders-api/live"},
			wantAlias:   "2",
		},
		{
			name: "$LATEST changed outside lambdas: said, and replaced",
			setup: func(h *harness) {
				h.fake.addFunction("orders-api", hotSha, []string{oldSha}, "live", "1")
				h.record(h.released("1", oldSha))
			},
			plan:        codePlan("fp1"),
			wantStatus:  StatusReleased,
			wantControl: []string{"UpdateFunctionCode orders-api", "UpdateAlias orders-api/live"},
			wantAlias:   "2",
			wantDrift:   "$LATEST ran CodeSha256 " + hotSha + ", not the released " + oldSha,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			tt.setup(h)
			fn := tt.fn
			if fn == nil {
				fn = testFn
			}
			res := h.run(context.Background(), fn, tt.plan)
			if res.Status != tt.wantStatus {
				t.Errorf("status %q, want %q (error: %s)", res.Status, tt.wantStatus, res.Error)
			}
			if !strings.Contains(res.Error, tt.wantErr) || (tt.wantErr == "" && res.Error != "") {
				t.Errorf("error %q, want it to contain %q", res.Error, tt.wantErr)
			}
			calls := h.fake.callLog()
			if tt.wantCalls != nil {
				if diff := cmp.Diff(tt.wantCalls, calls); diff != "" {
					t.Errorf("calls (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(tt.wantControl, controlCalls(calls)); diff != "" {
				t.Errorf("control-plane calls (-want +got):\n%s", diff)
			}
			if got := h.client.Stats()[BucketControlPlane].Calls; got != int64(len(tt.wantControl)) {
				t.Errorf("the client counted %d control-plane calls, the fake saw %d", got, len(tt.wantControl))
			}
			got, _ := h.fake.aliasOf("orders-api", "live")
			if got != tt.wantAlias {
				t.Errorf("alias → %q, want %q", got, tt.wantAlias)
			}
			if got != "" && tt.wantStatus == StatusReleased {
				want := pkgSha
				if !tt.plan.HasStep(plan.StepUpdateCode) {
					want = oldSha
				}
				if sha := h.fake.versionSha("orders-api", got); sha != want {
					t.Errorf("alias on version %s running %s, want %s", got, sha, want)
				}
			}
			if tt.wantVersion != "" && res.Version != tt.wantVersion {
				t.Errorf("result version %q, want %q", res.Version, tt.wantVersion)
			}
			if tt.wantDrift != "" && !strings.Contains(strings.Join(res.Drift, "\n"), tt.wantDrift) {
				t.Errorf("drift %q, want %q", res.Drift, tt.wantDrift)
			}
			if tt.wantEvent != "" {
				all := h.eventText(EventNote) + h.eventText(EventWarn) + h.eventText(EventDrift) + h.eventText(EventRetry)
				if !strings.Contains(all, tt.wantEvent) {
					t.Errorf("events lack %q:\n%s", tt.wantEvent, all)
				}
			}
			if tt.check != nil {
				tt.check(t, h)
			}
		})
	}
}

// TestRetryEventsNameFunctionAndStep checks that a retry is reported with
// the function and step of the call, carried in the context.
func TestRetryEventsNameFunctionAndStep(t *testing.T) {
	h := newHarness(t)
	h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "live", "1")
	h.record(h.released("1", oldSha))
	h.fake.inject["UpdateAlias"] = repeatErr(tooMany(), 1)
	h.run(context.Background(), testFn, codePlan("fp1"))
	var retries []Event
	for _, e := range h.events {
		if e.Kind == EventRetry {
			retries = append(retries, e)
		}
	}
	if len(retries) != 1 || retries[0].Function != "orders" || retries[0].Step != string(plan.StepMoveAlias) || !strings.Contains(retries[0].Message, "UpdateAlias attempt 1: ") || !strings.Contains(retries[0].Message, "control-plane bucket") {
		t.Errorf("retry events: %+v", retries)
	}
}

// TestReleaseInterrupted stops the apply while the new version is Pending:
// the release ends as interrupted, the version is recorded, the alias has
// not moved, and a rerun verifies that version and moves the alias.
func TestReleaseInterrupted(t *testing.T) {
	h := newHarness(t)
	h.opts.WaitTimeout = time.Minute
	h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "live", "1")
	h.record(h.released("1", oldSha))
	h.fake.versionPolls = 1 << 30
	parent, cancel := context.WithCancel(context.Background())
	polls := 0
	h.fake.alter["GetFunction"] = func(out any) {
		if aws.ToString(out.(*lambda.GetFunctionOutput).Configuration.Version) == "2" {
			if polls++; polls == 3 {
				cancel() // SIGINT while waiting for the version
			}
		}
	}
	ctx, stop := graceful(parent, time.Second)
	defer stop()
	res := h.run(ctx, testFn, codePlan("fp1"))
	if res.Status != StatusInterrupted || !strings.Contains(res.Error, "orders: update-code: interrupted") {
		t.Fatalf("result: %+v", res)
	}
	if v, _ := h.fake.aliasOf("orders-api", "live"); v != "1" {
		t.Errorf("the alias moved to %s", v)
	}
	rec := h.sm.Snapshot().Functions["orders"]
	if rec.InFlight == nil || rec.InFlight.Version != "2" || rec.Version != "1" {
		t.Fatalf("state after the interruption: %+v in flight %+v", rec, rec.InFlight)
	}

	// The rerun: the version becomes Active; it is verified, not published again.
	h.fake.mu.Lock()
	h.fake.fns["orders-api"].versions[1].pending = 0
	h.fake.alter = map[string]func(any){}
	h.fake.calls = nil
	h.fake.mu.Unlock()
	res = h.run(context.Background(), testFn, codePlan("fp1"))
	if res.Status != StatusReleased || res.Version != "2" {
		t.Fatalf("rerun: %+v", res)
	}
	if diff := cmp.Diff([]string{"GetFunction orders-api:2", "UpdateAlias orders-api/live"}, h.fake.callLog()); diff != "" {
		t.Errorf("rerun calls (-want +got):\n%s", diff)
	}
}

// TestInterruptedBeforeAStep: once stopped, no step starts.
func TestInterruptedBeforeAStep(t *testing.T) {
	h := newHarness(t)
	h.fake.addFunction("orders-api", oldSha, []string{oldSha}, "live", "1")
	h.record(h.released("1", oldSha))
	parent, cancel := context.WithCancel(context.Background())
	cancel()
	ctx, stop := graceful(parent, time.Second)
	defer stop()
	res := h.run(ctx, testFn, codePlan("fp1"))
	if res.Status != StatusInterrupted {
		t.Errorf("status %s", res.Status)
	}
	if calls := h.fake.callLog(); len(calls) != 0 {
		t.Errorf("calls after the stop: %v", calls)
	}
}

func TestGracefulContext(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	ctx, stop := graceful(parent, 20*time.Millisecond)
	defer stop()
	if stopped(ctx) {
		t.Fatal("stopped before the signal")
	}
	cancel()
	if !stopped(ctx) {
		t.Error("not stopped after the signal")
	}
	if ctx.Err() != nil {
		t.Error("calls in flight were cancelled at once; they have a grace period")
	}
	if err := sleep(ctx, time.Hour); !errors.Is(err, ErrInterrupted) {
		t.Errorf("sleep after the stop: %v", err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(time.Minute):
		t.Fatal("the grace period never ended")
	}
	if !errors.Is(context.Cause(ctx), ErrInterrupted) {
		t.Errorf("cause %v", context.Cause(ctx))
	}
}
