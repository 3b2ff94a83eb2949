package operation

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lambdas-dev/lambdas/executor"
	"github.com/lambdas-dev/lambdas/manifest"
)

// Slack's limits on a message (Block Kit): 50 blocks, 150 characters of
// header, 3000 of a section's text. The functions past maxSlackFunctions
// are counted in one line.
const (
	maxSlackFunctions = 40
	maxSlackError     = 600
)

// SlackBlock is one Block Kit block; only what the report uses.
type SlackBlock struct {
	Type     string      `json:"type"`
	Text     *SlackText  `json:"text,omitempty"`
	Elements []SlackText `json:"elements,omitempty"`
}

// SlackText is a text object (plain_text or mrkdwn).
type SlackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// SlackMessageBody is what an incoming webhook takes: the fallback text
// (notifications, screen readers) and the blocks.
type SlackMessageBody struct {
	Text   string       `json:"text"`
	Blocks []SlackBlock `json:"blocks"`
}

// SlackMessage renders a report as one Block Kit message: a header with
// the outcome, a context line (commit or tag, branch, CI run, time), one
// section per function (version, weights, time, the error), and the
// apply's own error.
func SlackMessage(r Report) SlackMessageBody {
	icon, verb := ":white_check_mark:", "released"
	if r.Outcome == manifest.NotifyOnFailure {
		icon, verb = ":x:", "release failed"
	}
	header := fmt.Sprintf("%s %s: %s", icon, r.Project, verb)
	msg := SlackMessageBody{Text: fmt.Sprintf("lambdas apply %s: %s (%s)", r.Project, r.Outcome, r.Summary)}
	msg.Blocks = append(msg.Blocks, SlackBlock{Type: "header", Text: &SlackText{Type: "plain_text", Text: clipRunes(header, 150)}})

	var ctx []string
	switch {
	case r.Tag != "":
		ctx = append(ctx, "tag `"+slackEscape(r.Tag)+"`")
	case r.Commit != "":
		c := r.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		ctx = append(ctx, "commit `"+c+"`")
	}
	if r.Branch != "" {
		ctx = append(ctx, "branch `"+slackEscape(r.Branch)+"`")
	}
	if r.Dirty {
		ctx = append(ctx, "uncommitted changes")
	}
	if r.Region != "" {
		ctx = append(ctx, slackEscape(r.Region))
	}
	ctx = append(ctx, slackEscape(r.Summary), seconds(r.DurationMS))
	if r.RunURL != "" {
		ctx = append(ctx, "<"+r.RunURL+"|CI run>")
	}
	msg.Blocks = append(msg.Blocks, SlackBlock{Type: "context", Elements: []SlackText{{Type: "mrkdwn", Text: strings.Join(ctx, " · ")}}})

	fns := append([]FunctionReport(nil), r.Functions...)
	// Failures first, then by label.
	sort.SliceStable(fns, func(i, j int) bool {
		fi, fj := fns[i].Status == executor.StatusReleased, fns[j].Status == executor.StatusReleased
		if fi != fj {
			return !fi
		}
		return fns[i].Name < fns[j].Name
	})
	for i, f := range fns {
		if i == maxSlackFunctions {
			msg.Blocks = append(msg.Blocks, SlackBlock{Type: "context", Elements: []SlackText{{Type: "mrkdwn",
				Text: fmt.Sprintf("…and %d more; the CI run's log has them all", len(fns)-maxSlackFunctions)}}})
			break
		}
		msg.Blocks = append(msg.Blocks, SlackBlock{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: slackFunction(f)}})
	}
	if r.Error != "" {
		msg.Blocks = append(msg.Blocks, SlackBlock{Type: "section", Text: &SlackText{Type: "mrkdwn",
			Text: "*The apply stopped:*\n```" + slackEscape(clipRunes(r.Error, maxSlackError)) + "```"}})
	}
	return msg
}

func slackFunction(f FunctionReport) string {
	var b strings.Builder
	switch f.Status {
	case executor.StatusReleased:
		b.WriteString(":large_green_circle: ")
	default:
		b.WriteString(":red_circle: ")
	}
	fmt.Fprintf(&b, "*%s*", slackEscape(f.Name))
	if f.FunctionName != "" && f.FunctionName != f.Name {
		fmt.Fprintf(&b, " (%s)", slackEscape(f.FunctionName))
	}
	b.WriteString(" " + slackEscape(f.Status))
	if f.Version != "" {
		fmt.Fprintf(&b, ": version %s", slackEscape(f.Version))
	}
	if w := weightsText(f.Weights); w != "" {
		fmt.Fprintf(&b, " · %s %s", slackEscape(f.Alias), w)
	}
	if f.DurationMS > 0 {
		b.WriteString(" · " + seconds(f.DurationMS))
	}
	if len(f.Drift) > 0 {
		b.WriteString("\nbrought back from drift: " + slackEscape(clipRunes(strings.Join(f.Drift, "; "), maxSlackError)))
	}
	if f.Error != "" {
		b.WriteString("\n```" + slackEscape(clipRunes(f.Error, maxSlackError)) + "```")
	}
	return b.String()
}

// weightsText is "7: 100%", or "7: 90%, 8: 10%", by version number.
func weightsText(w map[string]float64) string {
	if len(w) == 0 {
		return ""
	}
	versions := make([]string, 0, len(w))
	for v := range w {
		versions = append(versions, v)
	}
	sort.Slice(versions, func(i, j int) bool {
		a, errA := strconv.Atoi(versions[i])
		b, errB := strconv.Atoi(versions[j])
		if errA == nil && errB == nil {
			return a < b
		}
		return versions[i] < versions[j]
	})
	parts := make([]string, len(versions))
	for i, v := range versions {
		parts[i] = fmt.Sprintf("→ %s: %s%%", slackEscape(v), strconv.FormatFloat(w[v]*100, 'f', -1, 64))
	}
	return strings.Join(parts, ", ")
}

func seconds(ms int64) string {
	return (time.Duration(ms) * time.Millisecond).Round(100 * time.Millisecond).String()
}

// slackEscape escapes the three characters Slack's mrkdwn reads as markup.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
