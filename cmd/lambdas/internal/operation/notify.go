package operation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/lambdas-dev/lambdas/executor"
	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
)

// ReportSchema names the shape of the JSON a notify "webhook" posts.
const ReportSchema = "lambdas.apply-report/v1"

// Report is what the notifications of one apply say: the outcome, where
// it ran (commit, tag, branch, the CI run), and each function's result.
type Report struct {
	Schema    string `json:"schema"`
	Project   string `json:"project"`
	Outcome   string `json:"outcome"` // manifest.NotifyOnSuccess or NotifyOnFailure
	Summary   string `json:"summary"` // "2 released, 1 unchanged, 1 failed"
	Commit    string `json:"commit,omitempty"`
	Tag       string `json:"tag,omitempty"`
	Branch    string `json:"branch,omitempty"`
	Dirty     bool   `json:"dirty,omitempty"`
	Region    string `json:"region,omitempty"`
	RunURL    string `json:"run_url,omitempty"`
	Error     string `json:"error,omitempty"` // why the apply stopped before or while releasing
	Interrupt bool   `json:"interrupted,omitempty"`
	// Functions are those the apply set out to release (unchanged ones are
	// only counted), sorted by label.
	Functions  []FunctionReport `json:"functions"`
	Unchanged  int              `json:"unchanged"`
	DurationMS int64            `json:"duration_ms"`
}

// FunctionReport is one function's line of a Report.
type FunctionReport struct {
	Name         string `json:"name"`
	FunctionName string `json:"function_name"`
	Status       string `json:"status"`
	Version      string `json:"version,omitempty"`
	Alias        string `json:"alias,omitempty"`
	// Weights are the alias's routing after the release: version → share
	// of traffic (an all-at-once release: the new version, 1).
	Weights    map[string]float64 `json:"weights,omitempty"`
	DurationMS int64              `json:"duration_ms"`
	Error      string             `json:"error,omitempty"`
	Drift      []string           `json:"drift,omitempty"`
}

// NotifyResult is how one notification went: sent, skipped (and why), or
// failed (Err, which never holds the URL).
type NotifyResult struct {
	Target  string // "webhook slack (URL hidden)"
	Skipped string
	Err     error
}

// NotifyView is implemented by an ApplyView that shows the notifications'
// results (a failed one is a warning: the release stands).
type NotifyView interface {
	Notified(results []NotifyResult)
}

// notifyTimeout bounds each post, retries included; notifyRetryDelay is
// the wait before the one retry of a 429, a 5xx or a network error.
var (
	notifyTimeout    = 10 * time.Second
	notifyRetryDelay = time.Second
	notifyLookupEnv  = os.LookupEnv
)

// notifyAfterApply posts the report of an apply whose release started to
// every notify block that wants its outcome, and tells the view. It never
// fails the apply: every problem is a result.
func notifyAfterApply(ctx context.Context, in Inputs, p *plan.Plan, res *executor.Result, applyErr error, v ApplyView) {
	if len(in.Manifest.Notify) == 0 {
		return
	}
	report := NewReport(in, p, res, applyErr, notifyLookupEnv)
	results := SendNotifications(context.WithoutCancel(ctx), in.Manifest.Notify, report)
	if nv, ok := v.(NotifyView); ok && len(results) > 0 {
		nv.Notified(results)
	}
}

// NewReport builds the report of an apply: res may be nil when the
// executor stopped before releasing (applyErr says why).
func NewReport(in Inputs, p *plan.Plan, res *executor.Result, applyErr error, lookupEnv func(string) (string, bool)) Report {
	m := in.Manifest
	env := func(k string) string {
		v, _ := lookupEnv(k)
		return v
	}
	r := Report{Schema: ReportSchema, Project: m.Project.Name, Outcome: manifest.NotifyOnSuccess, Functions: []FunctionReport{}}
	if p != nil {
		r.Commit, r.Dirty, r.Region = p.Head, p.Dirty, p.Region
	}
	r.Tag, r.Branch = refOf(in, env)
	r.RunURL = runURL(env)
	byLabel := map[string]*manifest.Function{}
	for _, f := range m.Functions {
		byLabel[f.Label] = f
	}
	released, failed := 0, 0
	if res != nil {
		r.DurationMS = res.Duration.Milliseconds()
		r.Interrupt = res.Interrupted
		for _, f := range res.Functions {
			if f.Status == executor.StatusUnchanged {
				r.Unchanged++
				continue
			}
			fr := FunctionReport{Name: f.Name, FunctionName: f.FunctionName, Status: f.Status, Version: f.Version,
				DurationMS: f.Duration.Milliseconds(), Error: f.Error, Drift: f.Drift}
			if fn := byLabel[f.Name]; fn != nil {
				fr.Alias = fn.Alias
				fr.Weights = weightsAfter(f, fn)
			}
			switch f.Status {
			case executor.StatusReleased:
				released++
			default:
				failed++
			}
			r.Functions = append(r.Functions, fr)
		}
	}
	if applyErr != nil {
		r.Error = applyErr.Error()
	}
	if applyErr != nil || failed > 0 || r.Interrupt {
		r.Outcome = manifest.NotifyOnFailure
	}
	r.Summary = fmt.Sprintf("%d released, %d unchanged, %d failed", released, r.Unchanged, failed)
	if r.Interrupt {
		r.Summary += ", interrupted"
	}
	return r
}

// weightsAfter is the alias's routing once the function's release ended:
// an all-at-once release points it at the new version alone. (Weighted
// rollouts will report their own.)
func weightsAfter(f executor.FunctionResult, fn *manifest.Function) map[string]float64 {
	if f.Status != executor.StatusReleased || f.Version == "" {
		return nil
	}
	switch fn.Deploy.Strategy {
	case "", "all-at-once":
		return map[string]float64{f.Version: 1}
	}
	return nil
}

// refOf is the tag and branch the apply ran at: what the CI says (GitHub
// Actions, CodeBuild), else the tag at HEAD (git describe) and the
// checked-out branch.
func refOf(in Inputs, env func(string) string) (tag, branch string) {
	switch env("GITHUB_REF_TYPE") {
	case "tag":
		tag = env("GITHUB_REF_NAME")
	case "branch":
		branch = env("GITHUB_REF_NAME")
	}
	if t := env("CODEBUILD_WEBHOOK_TRIGGER"); tag == "" && branch == "" && t != "" {
		kind, name, _ := strings.Cut(t, "/")
		switch kind {
		case "tag":
			tag = name
		case "branch":
			branch = name
		}
	}
	if tag == "" && in.Repo != nil {
		tag = gitTagAtHead(in.Repo.Root)
	}
	if branch == "" && in.Repo != nil {
		branch = in.Repo.Branch
	}
	return tag, branch
}

// gitTagAtHead asks git for a tag at HEAD; "" when there is none (or no git).
func gitTagAtHead(root string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "-C", root, "describe", "--tags", "--exact-match", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// runURL is the link to the CI run: GitHub Actions' or CodeBuild's.
func runURL(env func(string) string) string {
	if s, repo, id := env("GITHUB_SERVER_URL"), env("GITHUB_REPOSITORY"), env("GITHUB_RUN_ID"); s != "" && repo != "" && id != "" {
		u := strings.TrimRight(s, "/") + "/" + repo + "/actions/runs/" + id
		if a := env("GITHUB_RUN_ATTEMPT"); a != "" && a != "1" {
			u += "/attempts/" + a
		}
		return u
	}
	return env("CODEBUILD_BUILD_URL")
}

// SendNotifications posts the report to each notification that wants its
// outcome, in order, and returns what happened to each.
func SendNotifications(ctx context.Context, targets []manifest.Notify, r Report) []NotifyResult {
	var out []NotifyResult
	for _, n := range targets {
		res := NotifyResult{Target: n.String()}
		switch {
		case !n.Wants(r.Outcome):
			continue
		case n.URL == "":
			res.Skipped = "its URL is empty (the environment variable it is read from is not set)"
		default:
			body, err := payload(n.Kind, r)
			if err == nil {
				err = post(ctx, n.URL, body)
			}
			if err != nil {
				res.Err = fmt.Errorf("%s: %s", n, redact(err.Error(), n.URL))
			}
		}
		out = append(out, res)
	}
	return out
}

func payload(kind string, r Report) ([]byte, error) {
	var v any
	switch kind {
	case manifest.NotifySlack:
		v = SlackMessage(r)
	case manifest.NotifyWebhook:
		v = r
	default:
		return nil, fmt.Errorf("unknown notification kind %q", kind)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // Slack's links are <url|text>
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// post sends body as JSON, once more after notifyRetryDelay on a 429, a
// 5xx or a network error, within notifyTimeout; redirects are not
// followed (a webhook answers, it does not move).
func post(ctx context.Context, target string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, notifyTimeout)
	defer cancel()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var last error
	for attempt := 0; attempt < 2; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("%w (after: %v)", ctx.Err(), last)
			case <-time.After(notifyRetryDelay):
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			return errors.New("the URL cannot be used")
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "lambdas")
		resp, err := client.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // *url.Error quotes the URL
			}
			last = fmt.Errorf("post: %w", err)
			continue
		}
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			return nil
		}
		last = fmt.Errorf("answered %s: %s", resp.Status, strings.TrimSpace(string(snippet)))
		if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 {
			return last
		}
	}
	return last
}

// redact removes the URL, and its path and query (where a webhook's
// secret is), from a message.
func redact(msg, target string) string {
	secrets := []string{target}
	if u, err := url.Parse(target); err == nil {
		if u.RawQuery != "" {
			secrets = append(secrets, u.RawQuery)
		}
		if len(u.Path) > 1 {
			secrets = append(secrets, u.EscapedPath(), u.Path)
		}
		if u.User != nil {
			secrets = append(secrets, u.User.String())
		}
	}
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "(URL hidden)")
		}
	}
	return msg
}
