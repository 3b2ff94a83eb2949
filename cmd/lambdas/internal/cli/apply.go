package cli

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambdas-dev/lambdas/cmd/lambdas/internal/operation"
	"github.com/lambdas-dev/lambdas/executor"
	"github.com/lambdas-dev/lambdas/planner/plan"
)

type applyFlags struct {
	operation.ApplyOptions
	autoApprove bool
	progress    string
}

func newApplyCmd(g *globals) *cobra.Command {
	var f applyFlags
	cmd := &cobra.Command{
		Use:   "apply [PLANFILE]",
		Short: "Release the changed functions",
		Long: `apply plans (or reads a plan saved with plan --out) and releases every changed
function: package, upload, update the code and publish it as a version (one
call), move the alias. Before that it reads the functions it would otherwise
leave alone from AWS (--refresh=false skips it) and brings back any that
drifted from the state. Functions are released in parallel within the
Lambda API's quotas; one function's failure does not stop the others. Every
finished step is recorded in the state, so a rerun resumes; Ctrl-C stops
starting new steps, lets the calls under way finish, and records them.

A function with deploy { strategy = "canary" | "linear" } shifts its alias
in weighted steps, each gated by its alarms; apply waits through the
intervals (--rollout=wait, the default; Ctrl-C leaves the rollout where it
is, and lambdas promote or apply resumes it), or takes the first step and
leaves the rest to lambdas promote (--rollout=start, for CI). An alarm in
ALARM or a failed smoke test rolls the release back. A function with a
rollout in flight is not released again unless --supersede.

Exit codes: 0 all released or rolling out (or nothing to do), 1 any function
failed or was rolled back, an error, or interrupted.`,
		Args: usage(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.Rollout != executor.RolloutWait && f.Rollout != executor.RolloutStart {
				return usageError{fmt.Errorf("--rollout %q: want wait or start", f.Rollout)}
			}
			m, repo, err := g.loadManifest()
			if err != nil {
				return err
			}
			if len(args) == 1 {
				f.PlanFile = args[0]
			}
			v := &applyView{g: g, flags: &f}
			res, err := operation.Apply(cmd.Context(), operation.Inputs{Manifest: m, Repo: repo, ToolVersion: Version()}, f.ApplyOptions, v)
			if (res != nil && res.Interrupted) || (err != nil && (errors.Is(err, executor.ErrInterrupted) || cmd.Context().Err() != nil)) {
				return &exitError{code: 1, msg: interruptedMessage(res)}
			}
			if err != nil {
				return err
			}
			if res != nil {
				if n := res.Failed(); n > 0 {
					return &exitError{code: 1, msg: fmt.Sprintf("%d %s not released; fix the cause and run apply again (finished steps are not redone)", n, plural(n, "function was", "functions were"))}
				}
				if n := res.Count(executor.StatusRolledBack); n > 0 {
					return &exitError{code: 1, msg: fmt.Sprintf("%d %s rolled back: %s", n, plural(n, "release was", "releases were"), rolledBackReasons(res))}
				}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.Targets, "target", nil, "apply only functions whose label or name matches this glob (repeatable)")
	fl.BoolVar(&f.autoApprove, "auto-approve", false, "do not ask for confirmation (required when not on a terminal)")
	fl.IntVar(&f.Parallelism, "parallelism", 10, "functions released at once")
	fl.BoolVar(&f.FailFast, "fail-fast", false, "stop starting new functions after the first failure")
	fl.DurationVar(&f.LockTimeout, "lock-timeout", 0, "how long to wait for the lock of a function another run is releasing (0: do not wait)")
	fl.StringVar(&f.progress, "progress", "auto", "progress view: auto, bars, lines or json")
	fl.BoolVar(&f.AllowDirty, "allow-dirty", false, "release uncommitted changes")
	fl.StringVar(&f.Shard, "shard", "", "apply only shard `i/N` of the changed functions (as lambdas plan --format github-matrix --shards N splits them); its Lambda and CloudWatch calls are paced at 1/N of the quotas")
	fl.BoolVar(&f.Force, "force", false, "release even where the manifest's release rule (release { branch | tag }) refuses")
	fl.StringVar(&f.Rollout, "rollout", executor.RolloutWait, "canary and linear releases: wait (go through every step) or start (take the first step; lambdas promote takes the others)")
	fl.BoolVar(&f.Supersede, "supersede", false, "roll back a rollout in flight before releasing its function anew (else such a release is refused)")
	fl.BoolVar(&f.Refresh, "refresh", true, "read the functions the plan leaves alone from AWS and bring back what drifted (a saved plan is applied as it was made)")
	return cmd
}

// applyView renders an apply: the plan, the confirmation, the progress and
// the summary, for people or (--json) as JSON lines.
type applyView struct {
	g     *globals
	flags *applyFlags
}

func (v *applyView) Plan(p *plan.Plan) error {
	if v.g.json {
		return nil
	}
	return renderPlanHuman(v.g.stdout, p, v.g.color(v.g.stdout))
}

func (v *applyView) NoChanges() error {
	if v.g.json {
		return writeJSONLine(v.g.stdout, map[string]any{"event": "summary", "changes": false})
	}
	fmt.Fprintln(v.g.stdout, "Nothing to apply.")
	return nil
}

// Confirm asks on a terminal; elsewhere --auto-approve (or a saved plan) is required.
func (v *applyView) Confirm(saved bool) error {
	if v.flags.autoApprove || saved {
		return nil
	}
	g := v.g
	if !isTerminal(g.stdout) || !isTerminal(g.stdin) {
		return errors.New("apply needs --auto-approve when it does not run on a terminal (CI), or a saved plan: lambdas apply PLANFILE")
	}
	fmt.Fprint(g.stdout, "\nRelease these functions? Only 'yes' is accepted: ")
	line, _ := bufio.NewReader(g.stdin).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		return &exitError{code: 1, msg: "apply cancelled; nothing was changed"}
	}
	return nil
}

func (v *applyView) Progress(p *plan.Plan) operation.ProgressView {
	return v.g.progressView(v.flags.progress, p)
}

func (v *applyView) Summary(res *executor.Result) error {
	if v.g.json { // one line, like the events before it
		return writeJSONLine(v.g.stdout, struct {
			Event string `json:"event"`
			*executor.Result
			DurationMS int64 `json:"duration_ms"`
		}{"summary", res, res.Duration.Milliseconds()})
	}
	renderSummary(v.g.stdout, res, v.g.color(v.g.stdout))
	return nil
}
