package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lambdas-dev/lambdas/cmd/lambdas/internal/operation"
	"github.com/lambdas-dev/lambdas/internal/testenv"
)

// hookServer is a local HTTP server that records what is posted to it:
// /hook/... and /slack/... answer 200, /broken/... 403.
type hookServer struct {
	*httptest.Server
	mu    sync.Mutex
	posts map[string][][]byte // by first path segment
}

func newHookServer(t *testing.T) *hookServer {
	h := &hookServer{posts: map[string][][]byte{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		kind, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "want a JSON POST", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.posts[kind] = append(h.posts[kind], body)
		h.mu.Unlock()
		if kind == "broken" {
			http.Error(w, "no such hook "+r.URL.Path, http.StatusForbidden) // echoes the secret path
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) take(kind string) [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.posts[kind]
	delete(h.posts, kind)
	return out
}

const notifyBlocks = `
notify "webhook" {
  url = env("HOOK_URL")
}

notify "slack" {
  webhook_url = env("SLACK_URL")
  on          = ["success", "failure"]
}

notify "webhook" {
  url = env("FAILURES_URL")
  on  = ["failure"]
}

notify "webhook" {
  url = env("BROKEN_URL")
}

notify "slack" {
  webhook_url = env("UNSET_SLACK_URL", "")
}
`

// TestApplyNotifies runs an apply with notify blocks against moto and a
// local server: one JSON report per apply naming every released function,
// one Slack message, nothing to a failure-only hook on success, a failing
// hook only a warning, and no URL (secret path) anywhere in the output.
func TestApplyNotifies(t *testing.T) {
	hooks := newHookServer(t)
	w := newWorld(t, applyManifest(t)+notifyBlocks)
	const secret = "T0SECRET/B0SECRET/xyzzy"
	t.Setenv("HOOK_URL", hooks.URL+"/hook/"+secret)
	t.Setenv("SLACK_URL", hooks.URL+"/slack/"+secret)
	t.Setenv("FAILURES_URL", hooks.URL+"/failures/"+secret)
	t.Setenv("BROKEN_URL", hooks.URL+"/broken/"+secret)
	t.Setenv("GITHUB_SERVER_URL", "https://github.com")
	t.Setenv("GITHUB_REPOSITORY", "shop/monorepo")
	t.Setenv("GITHUB_RUN_ID", "4242")
	t.Setenv("GITHUB_RUN_ATTEMPT", "1")
	t.Setenv("GITHUB_REF_TYPE", "branch")
	t.Setenv("GITHUB_REF_NAME", "main")
	t.Setenv("GITHUB_ACTIONS", "")
	head := gitOutput(t, w.repo, "rev-parse", "HEAD")

	code, out, errOut := w.run("apply", "--auto-approve")
	if code != 0 {
		t.Fatalf("apply exited %d (a failing notification must not fail it)\n%s\n%s", code, out, errOut)
	}
	for what, s := range map[string]string{"stdout": out, "stderr": errOut} {
		if strings.Contains(s, "SECRET") || strings.Contains(s, "xyzzy") {
			t.Errorf("%s shows a webhook URL:\n%s", what, s)
		}
	}
	if !strings.Contains(errOut, "Warning: notification failed (the release is not affected): webhook webhook (URL hidden): answered 403 Forbidden") {
		t.Errorf("the failed notification is not a warning naming it:\n%s", errOut)
	}
	if !strings.Contains(errOut, "Note: notification webhook slack (URL hidden) skipped: its URL is empty") {
		t.Errorf("the unset URL is not noted:\n%s", errOut)
	}
	if !strings.Contains(out, "Notified webhook webhook (URL hidden).") || !strings.Contains(out, "Notified webhook slack (URL hidden).") {
		t.Errorf("the sent notifications are not said:\n%s", out)
	}

	posts := hooks.take("hook")
	if len(posts) != 1 {
		t.Fatalf("%d reports posted to the webhook, want 1", len(posts))
	}
	var rep operation.Report
	if err := json.Unmarshal(posts[0], &rep); err != nil {
		t.Fatalf("the webhook's payload is not a report: %v\n%s", err, posts[0])
	}
	if rep.Schema != operation.ReportSchema || rep.Outcome != "success" || rep.Project != "shop" || rep.Commit != head || rep.Branch != "main" ||
		rep.RunURL != "https://github.com/shop/monorepo/actions/runs/4242" || rep.Summary != "4 released, 0 unchanged, 0 failed" || rep.Region != "us-east-1" {
		t.Errorf("report: %+v", rep)
	}
	versions := w.checkAliases()
	var got []string
	for _, f := range rep.Functions {
		got = append(got, f.Name)
		if f.Status != "released" || f.Version != versions[f.Name] || f.Alias != "live" || f.Error != "" {
			t.Errorf("%s: %+v (alias at version %s)", f.Name, f, versions[f.Name])
		}
		if diff := cmp.Diff(map[string]float64{versions[f.Name]: 1}, f.Weights); diff != "" {
			t.Errorf("%s weights (-want +got):\n%s", f.Name, diff)
		}
	}
	if diff := cmp.Diff([]string{"invoices", "orders", "thumbs", "webhook"}, got); diff != "" {
		t.Errorf("functions named (-want +got):\n%s", diff)
	}

	slack := hooks.take("slack")
	if len(slack) != 1 {
		t.Fatalf("%d Slack messages, want 1", len(slack))
	}
	var msg operation.SlackMessageBody
	if err := json.Unmarshal(slack[0], &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Text == "" || len(msg.Blocks) < 6 || msg.Blocks[0].Type != "header" || !strings.Contains(msg.Blocks[0].Text.Text, "shop: released") {
		t.Errorf("Slack message: %s", slack[0])
	}
	text := string(slack[0])
	for _, want := range []string{"*orders*", "*invoices*", "*thumbs*", "*webhook*", "commit `" + head[:12] + "`", "<https://github.com/shop/monorepo/actions/runs/4242|CI run>", "live → " + versions["orders"] + ": 100%"} {
		if !strings.Contains(text, want) {
			t.Errorf("the Slack message lacks %q:\n%s", want, text)
		}
	}
	if n := len(hooks.take("failures")); n != 0 {
		t.Errorf("the failure-only hook got %d posts on success", n)
	}
	if n := len(hooks.take("broken")); n != 1 {
		t.Errorf("the broken hook got %d posts, want 1 (a 403 is not retried)", n)
	}

	// Nothing to do: nothing is posted.
	if code, _, errOut := w.run("apply", "--auto-approve"); code != 0 {
		t.Fatalf("second apply exited %d: %s", code, errOut)
	}
	for _, kind := range []string{"hook", "slack", "failures", "broken"} {
		if n := len(hooks.take(kind)); n != 0 {
			t.Errorf("an apply with nothing to do posted %d times to %s", n, kind)
		}
	}

	// A release with a failed function: the failure-only hook hears of it,
	// with the error, and the exit code is the release's.
	writeFile(t, w.repo+"/functions/webhook/index.js", "exports.handler = async () => ({ statusCode: 418 });\n")
	writeFile(t, w.repo+"/functions/invoices/app.py", "def handler(event, context):\n    return 'v2'\n")
	w.git("commit", "-qam", "webhook and invoices")
	w.git("tag", "v1.2.0")
	t.Setenv("GITHUB_REF_TYPE", "tag")
	t.Setenv("GITHUB_REF_NAME", "v1.2.0")
	w.proxy.Inject(testenv.Rule{Service: "lambda", Operation: "UpdateFunctionCode", Function: "webhook", Status: 400, Code: "InvalidParameterValueException", Message: "injected for the test"})
	code, out, errOut = w.run("apply", "--auto-approve")
	if code != 1 {
		t.Fatalf("apply exited %d, want 1 (a function failed)\n%s\n%s", code, out, errOut)
	}
	failures := hooks.take("failures")
	if len(failures) != 1 {
		t.Fatalf("%d posts to the failure-only hook, want 1", len(failures))
	}
	rep = operation.Report{}
	if err := json.Unmarshal(failures[0], &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Outcome != "failure" || rep.Tag != "v1.2.0" || rep.Summary != "1 released, 2 unchanged, 1 failed" {
		t.Errorf("report: %+v", rep)
	}
	byName := map[string]operation.FunctionReport{}
	for _, f := range rep.Functions {
		byName[f.Name] = f
	}
	if f := byName["webhook"]; f.Status != "failed" || !strings.Contains(f.Error, "injected for the test") {
		t.Errorf("webhook: %+v", f)
	}
	if f := byName["invoices"]; f.Status != "released" || f.Version == "" {
		t.Errorf("invoices: %+v", f)
	}
	slack = hooks.take("slack")
	if len(slack) != 1 || !strings.Contains(string(slack[0]), "release failed") || !strings.Contains(string(slack[0]), "tag `v1.2.0`") {
		t.Errorf("Slack message of the failure: %s", slack)
	}
}

// With --json each notification's result is an event line.
func TestApplyNotifiesJSON(t *testing.T) {
	hooks := newHookServer(t)
	w := newWorld(t, applyManifest(t)+`
notify "webhook" {
  url = env("HOOK_URL")
}
notify "webhook" {
  url = env("BROKEN_URL")
}
`)
	t.Setenv("HOOK_URL", hooks.URL+"/hook/s3cr3t")
	t.Setenv("BROKEN_URL", hooks.URL+"/broken/s3cr3t")
	code, out, errOut := w.run("--json", "apply", "--auto-approve")
	if code != 0 {
		t.Fatalf("apply exited %d\n%s", code, errOut)
	}
	var events []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		if ev["event"] == "notification" {
			events = append(events, ev)
		}
	}
	sort.Slice(events, func(i, j int) bool { return events[i]["sent"] == true })
	want := []map[string]any{
		{"event": "notification", "target": "webhook webhook (URL hidden)", "sent": true},
		{"event": "notification", "target": "webhook webhook (URL hidden)", "sent": false, "error": "webhook webhook (URL hidden): answered 403 Forbidden: no such hook (URL hidden)"},
	}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("notification events (-want +got):\n%s", diff)
	}
	if strings.Contains(out+errOut, "s3cr3t") {
		t.Errorf("the output shows a URL:\n%s\n%s", out, errOut)
	}
}

func gitOutput(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}
