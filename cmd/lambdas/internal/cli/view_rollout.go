package cli

import (
	"bytes"
	"fmt"
	"io"
	"math/big"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lambdas-dev/lambdas/cmd/lambdas/internal/operation"
	"github.com/lambdas-dev/lambdas/executor"
	"github.com/lambdas-dev/lambdas/state"
)

// interruptedMessage is the exit message of an interrupted apply: a rollout
// left in flight is said, with the two ways on from there.
func interruptedMessage(res *executor.Result) string {
	if res != nil {
		if n := res.Count(executor.StatusRollingOut); n > 0 {
			return fmt.Sprintf("interrupted: %d %s in flight where %s; lambdas promote (or apply) takes %s on, lambdas rollback undoes %s",
				n, plural(n, "rollout stays", "rollouts stay"), plural(n, "it stands", "they stand"), plural(n, "it", "them"), plural(n, "it", "them"))
		}
	}
	return "interrupted: rerun lambdas apply to resume"
}

func rolledBackReasons(res *executor.Result) string {
	var parts []string
	for _, f := range res.Functions {
		if f.Status == executor.StatusRolledBack {
			if strings.HasPrefix(f.Error, f.Name+": ") {
				parts = append(parts, f.Error)
			} else {
				parts = append(parts, f.Name+": "+f.Error)
			}
		}
	}
	return strings.Join(parts, "; ")
}

func pct(w float64) string { return big.NewFloat(w*100).Text('g', 6) + "%" }

func stepsText(steps []float64) string {
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = big.NewFloat(s).Text('g', 6)
	}
	return strings.Join(parts, "→")
}

// rolloutWhere says where a rollout stands, in a few words.
func rolloutWhere(ro operation.Rollout, now time.Time) string {
	switch ro.Status {
	case state.RolloutInProgress:
		s := fmt.Sprintf("rolling out: %s on version %s (step %d of %d, %s)", pct(ro.Weight), ro.NewVersion, ro.Step, len(ro.Steps), stepsText(ro.Steps))
		if ro.Unrecorded {
			return s + "; a run stopped before recording this step: lambdas promote (or apply) records it and goes on"
		}
		if !ro.NextAt.IsZero() {
			s += fmt.Sprintf("; next step %s", nextText(ro.NextAt, now))
		}
		return s
	case state.RolloutCompleted:
		return fmt.Sprintf("rolled out: version %s alone (was %s)", ro.NewVersion, ro.OldVersion)
	case state.RolloutRolledBack:
		return fmt.Sprintf("rolled back to version %s: %s", ro.OldVersion, ro.Reason)
	}
	return ro.Status
}

func nextText(at, now time.Time) string {
	d := at.Sub(now).Round(time.Second)
	if d <= 0 {
		return "due now (lambdas promote)"
	}
	return fmt.Sprintf("at %s (in %s)", at.Local().Format("15:04:05"), d)
}

// renderRollouts prints what promote or rollback left.
func renderRollouts(w io.Writer, title string, out []operation.Rollout, color bool) {
	c := palette{color}
	if len(out) == 0 {
		fmt.Fprintln(w, "No rollout in flight.")
		return
	}
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FUNCTION\tGROUP\tOLD\tNEW\tWEIGHT\tSTEP\tSTATUS")
	now := time.Now()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	for _, ro := range out {
		status := rolloutWhere(ro, now)
		if ro.Status == state.RolloutInProgress && !ro.Moved {
			status += " (not due: nothing moved)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\n", ro.Name, orDash(ro.Group), ro.OldVersion, ro.NewVersion, pct(ro.Weight), ro.Step, len(ro.Steps), status)
	}
	tw.Flush()
	fmt.Fprint(w, table.String())
	counts := map[string]int{}
	for _, ro := range out {
		counts[ro.Status]++
	}
	fmt.Fprintf(w, "\n%s %d in flight, %d rolled out, %d rolled back.\n", c.bold(title), counts[state.RolloutInProgress], counts[state.RolloutCompleted], counts[state.RolloutRolledBack])
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
