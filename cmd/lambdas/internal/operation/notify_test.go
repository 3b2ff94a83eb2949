package operation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lambdas-dev/lambdas/executor"
	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func testInputs() Inputs {
	return Inputs{Manifest: &manifest.Manifest{
		Project: manifest.Project{Name: "shop"},
		Functions: []*manifest.Function{
			{Label: "a", Name: "prod-a", Alias: "live", Deploy: manifest.Deploy{Strategy: "all-at-once"}},
			{Label: "b", Name: "prod-b", Alias: "live", Deploy: manifest.Deploy{Strategy: "canary"}},
			{Label: "c", Name: "prod-c", Alias: "live"},
		},
	}}
}

func TestNewReport(t *testing.T) {
	p := &plan.Plan{Head: "0123456789abcdef0123456789abcdef01234567", Region: "eu-west-1"}
	res := &executor.Result{Duration: 2500 * time.Millisecond, Functions: []executor.FunctionResult{
		{Name: "a", FunctionName: "prod-a", Status: executor.StatusReleased, Version: "7", Duration: time.Second},
		{Name: "b", FunctionName: "prod-b", Status: executor.StatusFailed, Error: "boom"},
		{Name: "c", FunctionName: "prod-c", Status: executor.StatusUnchanged},
	}}
	tests := []struct {
		name string
		env  map[string]string
		res  *executor.Result
		err  error
		want func(*Report)
	}{
		{"a failed function, on GitHub at a tag", map[string]string{"GITHUB_SERVER_URL": "https://github.example.com/", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "9", "GITHUB_RUN_ATTEMPT": "2", "GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "v2.0.0"}, res, nil,
			func(r *Report) {
				r.Outcome, r.Summary, r.Tag, r.RunURL = "failure", "1 released, 1 unchanged, 1 failed", "v2.0.0", "https://github.example.com/o/r/actions/runs/9/attempts/2"
				r.DurationMS, r.Unchanged = 2500, 1
				r.Functions = []FunctionReport{
					{Name: "a", FunctionName: "prod-a", Status: "released", Version: "7", Alias: "live", Weights: map[string]float64{"7": 1}, DurationMS: 1000},
					{Name: "b", FunctionName: "prod-b", Status: "failed", Alias: "live", Error: "boom"},
				}
			}},
		{"stopped before releasing, on CodeBuild", map[string]string{"CODEBUILD_BUILD_URL": "https://console.aws.amazon.com/codesuite/codebuild/projects/p/build/p:1", "CODEBUILD_WEBHOOK_TRIGGER": "branch/main"}, nil, errors.New("a: build failed"),
			func(r *Report) {
				r.Outcome, r.Summary, r.Branch, r.Error = "failure", "0 released, 0 unchanged, 0 failed", "main", "a: build failed"
				r.RunURL = "https://console.aws.amazon.com/codesuite/codebuild/projects/p/build/p:1"
			}},
		{"success, released at a CodeBuild tag", map[string]string{"CODEBUILD_WEBHOOK_TRIGGER": "tag/v1.0.0"},
			&executor.Result{Functions: []executor.FunctionResult{{Name: "c", FunctionName: "prod-c", Status: executor.StatusReleased, Version: "3"}}}, nil,
			func(r *Report) {
				r.Summary, r.Tag = "1 released, 0 unchanged, 0 failed", "v1.0.0"
				r.Functions = []FunctionReport{{Name: "c", FunctionName: "prod-c", Status: "released", Version: "3", Alias: "live", Weights: map[string]float64{"3": 1}}}
			}},
		{"interrupted", nil, &executor.Result{Interrupted: true}, nil,
			func(r *Report) {
				r.Outcome, r.Summary, r.Interrupt = "failure", "0 released, 0 unchanged, 0 failed, interrupted", true
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := Report{Schema: ReportSchema, Project: "shop", Outcome: "success", Commit: p.Head, Region: "eu-west-1", Functions: []FunctionReport{}}
			tt.want(&want)
			got := NewReport(testInputs(), p, tt.res, tt.err, envOf(tt.env))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSlackMessage(t *testing.T) {
	r := Report{Project: "shop", Outcome: "failure", Summary: "41 released, 0 unchanged, 1 failed", Commit: "0123456789abcdef", Branch: "main", DurationMS: 12345,
		Error: "x", RunURL: "https://ci.example.com/run/1"}
	r.Functions = append(r.Functions, FunctionReport{Name: "bad<fn>", Status: "failed", Error: strings.Repeat("e", 5000) + " & <tag>"})
	for i := range 45 {
		r.Functions = append(r.Functions, FunctionReport{Name: fmt.Sprintf("fn-%02d", i), Status: "released", Version: "3", Alias: "live", Weights: map[string]float64{"2": 0.9, "3": 0.1}})
	}
	m := SlackMessage(r)
	if len(m.Blocks) > 50 {
		t.Errorf("%d blocks: Slack takes at most 50", len(m.Blocks))
	}
	js, _ := json.Marshal(m)
	var back SlackMessageBody
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if back.Blocks[0].Type != "header" || back.Blocks[0].Text.Type != "plain_text" || !strings.Contains(back.Blocks[0].Text.Text, "shop: release failed") {
		t.Errorf("header: %+v", back.Blocks[0])
	}
	for _, b := range back.Blocks {
		if b.Text != nil && len([]rune(b.Text.Text)) > 3000 {
			t.Errorf("a block of %d characters: Slack takes at most 3000", len([]rune(b.Text.Text)))
		}
	}
	first := back.Blocks[2].Text.Text // failures come first
	if !strings.HasPrefix(first, ":red_circle: *bad&lt;fn&gt;* failed") || strings.Contains(first, "<tag>") {
		t.Errorf("the failed function, escaped and first: %.200q", first)
	}
	if s := back.Blocks[3].Text.Text; !strings.Contains(s, "*fn-00* released: version 3 · live → 2: 90%, → 3: 10%") {
		t.Errorf("a released function: %q", s)
	}
	if !strings.Contains(string(js), "and 6 more") {
		t.Errorf("the functions past the limit are not counted:\n%s", js)
	}
	if !strings.Contains(back.Blocks[1].Elements[0].Text, "commit `0123456789ab` · branch `main`") || !strings.Contains(back.Blocks[1].Elements[0].Text, "<https://ci.example.com/run/1|CI run>") {
		t.Errorf("context: %q", back.Blocks[1].Elements[0].Text)
	}
	if back.Text != "lambdas apply shop: failure (41 released, 0 unchanged, 1 failed)" {
		t.Errorf("fallback text %q", back.Text)
	}
}

// SendNotifications: retried once on a 5xx, not on a 4xx, skipped when the
// outcome is not wanted or the URL is empty, and every error without the URL.
func TestSendNotifications(t *testing.T) {
	old := notifyRetryDelay
	notifyRetryDelay = 10 * time.Millisecond
	t.Cleanup(func() { notifyRetryDelay = old })

	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		io.Copy(io.Discard, r.Body)
		switch {
		case strings.HasPrefix(r.URL.Path, "/flaky/"):
			if calls.Load()%2 == 1 {
				http.Error(w, "try again", http.StatusServiceUnavailable)
				return
			}
		case strings.HasPrefix(r.URL.Path, "/down/"):
			http.Error(w, "down "+r.URL.String(), http.StatusBadGateway)
			return
		case strings.HasPrefix(r.URL.Path, "/gone/"):
			http.Error(w, "gone", http.StatusGone)
			return
		case strings.HasPrefix(r.URL.Path, "/moved/"):
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://user:pa55@" + closed.Addr().String() + "/hook/s3cr3t?token=s3cr3t"
	closed.Close()

	const secret = "s3cr3t"
	tests := []struct {
		name    string
		n       manifest.Notify
		outcome string
		calls   int32
		want    NotifyResult
		wantErr string
	}{
		{"sent", manifest.Notify{Kind: "webhook", URL: srv.URL + "/ok/" + secret, On: []string{"success"}}, "success", 1, NotifyResult{Target: "webhook webhook (URL hidden)"}, ""},
		{"a 503 retried", manifest.Notify{Kind: "slack", URL: srv.URL + "/flaky/" + secret, On: []string{"success"}}, "success", 2, NotifyResult{Target: "webhook slack (URL hidden)"}, ""},
		{"a 502 twice", manifest.Notify{Kind: "webhook", URL: srv.URL + "/down/" + secret, On: []string{"failure"}}, "failure", 2, NotifyResult{Target: "webhook webhook (URL hidden)"}, "answered 502 Bad Gateway"},
		{"a 410 not retried", manifest.Notify{Kind: "webhook", URL: srv.URL + "/gone/" + secret, On: []string{"failure"}}, "failure", 1, NotifyResult{Target: "webhook webhook (URL hidden)"}, "answered 410 Gone"},
		{"a redirect not followed", manifest.Notify{Kind: "webhook", URL: srv.URL + "/moved/" + secret, On: []string{"failure"}}, "failure", 1, NotifyResult{Target: "webhook webhook (URL hidden)"}, "answered 302 Found"},
		{"nobody listening", manifest.Notify{Kind: "webhook", URL: deadURL, On: []string{"failure"}}, "failure", 0, NotifyResult{Target: "webhook webhook (URL hidden)"}, "connection refused"},
		{"not wanted", manifest.Notify{Kind: "webhook", URL: srv.URL + "/ok/" + secret, On: []string{"failure"}}, "success", 0, NotifyResult{}, ""},
		{"no URL", manifest.Notify{Kind: "slack", On: []string{"success"}}, "success", 0, NotifyResult{Target: "webhook slack (URL hidden)", Skipped: "its URL is empty (the environment variable it is read from is not set)"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls.Store(0)
			got := SendNotifications(context.Background(), []manifest.Notify{tt.n}, Report{Outcome: tt.outcome, Functions: []FunctionReport{}})
			if n := calls.Load(); n != tt.calls {
				t.Errorf("%d posts, want %d", n, tt.calls)
			}
			if tt.want.Target == "" {
				if len(got) != 0 {
					t.Errorf("results %+v, want none", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("results %+v", got)
			}
			if got[0].Target != tt.want.Target || got[0].Skipped != tt.want.Skipped {
				t.Errorf("result %+v, want %+v", got[0], tt.want)
			}
			switch {
			case tt.wantErr == "" && got[0].Err != nil:
				t.Errorf("error %v", got[0].Err)
			case tt.wantErr != "" && (got[0].Err == nil || !strings.Contains(got[0].Err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one with %q", got[0].Err, tt.wantErr)
			}
			if got[0].Err != nil && (strings.Contains(got[0].Err.Error(), secret) || strings.Contains(got[0].Err.Error(), "pa55")) {
				t.Errorf("the error shows the URL: %v", got[0].Err)
			}
		})
	}
}

// A hook that never answers costs notifyTimeout at most.
func TestSendNotificationsTimeout(t *testing.T) {
	old := notifyTimeout
	notifyTimeout = 200 * time.Millisecond
	t.Cleanup(func() { notifyTimeout = old })
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	start := time.Now()
	got := SendNotifications(context.Background(), []manifest.Notify{{Kind: "webhook", URL: srv.URL + "/x", On: []string{"success"}}}, Report{Outcome: "success"})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if len(got) != 1 || got[0].Err == nil || !strings.Contains(got[0].Err.Error(), "deadline exceeded") {
		t.Errorf("results %+v", got)
	}
}
