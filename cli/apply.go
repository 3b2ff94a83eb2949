package cli

import (
	"bufio"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdas-dev/lambdas/executor"
	"github.com/lambdas-dev/lambdas/planner"
	"github.com/lambdas-dev/lambdas/state"
)

type applyFlags struct {
	targets     []string
	autoApprove bool
	parallelism int
	failFast    bool
	lockTimeout time.Duration
	progress    string
	allowDirty  bool
}

func newApplyCmd(g *globals) *cobra.Command {
	var f applyFlags
	cmd := &cobra.Command{
		Use:   "apply [PLANFILE]",
		Short: "Release the changed functions",
		Long: `apply plans (or reads a plan saved with plan --out) and releases every changed
function: package, upload, update code, publish a version, move the alias.
Functions are released in parallel; one function's failure does not stop the
others. Every finished step is recorded in the state, so a rerun resumes.

Exit codes: 0 all released (or nothing to do), 1 any function failed or an error.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			m, repo, err := g.loadManifest()
			if err != nil {
				return err
			}
			if f.parallelism < 1 {
				return fmt.Errorf("--parallelism must be at least 1")
			}
			return withStateLock(ctx, m, "apply", f.lockTimeout, func(sm *state.Manager) error {
				var saved *planner.Plan
				targets := f.targets
				if len(args) == 1 {
					if len(f.targets) > 0 {
						return fmt.Errorf("--target cannot be used with a saved plan: the plan already names its functions")
					}
					if saved, err = planner.LoadFile(args[0]); err != nil {
						return err
					}
					targets = saved.Targets
				}
				p, err := planFrom(m, repo, sm.Snapshot(), targets)
				if err != nil {
					return err
				}
				if saved != nil {
					if err := saved.CheckCurrent(p); err != nil {
						return err
					}
					p = saved
				}
				if !g.json {
					if err := renderPlanHuman(g.stdout, p, g.color(g.stdout)); err != nil {
						return err
					}
				}
				if !p.HasChanges() {
					if g.json {
						return writeJSONLine(g.stdout, map[string]any{"event": "summary", "changes": false})
					}
					fmt.Fprintln(g.stdout, "Nothing to apply.")
					return nil
				}
				if p.Dirty && !f.allowDirty {
					return fmt.Errorf("the worktree has uncommitted changes under the functions' paths; commit them, or pass --allow-dirty to release them anyway")
				}
				if !f.autoApprove && saved == nil {
					if err := g.confirm(); err != nil {
						return err
					}
				}
				cfg, s3Opts, err := loadAWS(ctx, m)
				if err != nil {
					return err
				}
				view := g.progressView(f.progress, p)
				ex := executor.New(cfg, m, sm, executor.Options{Parallelism: f.parallelism, FailFast: f.failFast, Reporter: view}, s3Opts...)
				res, err := ex.Apply(ctx, p)
				view.Close()
				if err != nil {
					return err
				}
				if g.json { // one line, like the events before it
					if err := writeJSONLine(g.stdout, struct {
						Event string `json:"event"`
						*executor.Result
						DurationMS int64 `json:"duration_ms"`
					}{"summary", res, res.Duration.Milliseconds()}); err != nil {
						return err
					}
				} else {
					renderSummary(g.stdout, res, g.color(g.stdout))
				}
				if n := res.Failed(); n > 0 {
					return &exitError{code: 1, msg: fmt.Sprintf("%d %s not released; fix the cause and run apply again (finished steps are not redone)", n, plural(n, "function was", "functions were"))}
				}
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.targets, "target", nil, "apply only functions whose label or name matches this glob (repeatable)")
	fl.BoolVar(&f.autoApprove, "auto-approve", false, "do not ask for confirmation (required when not on a terminal)")
	fl.IntVar(&f.parallelism, "parallelism", 10, "functions released at once")
	fl.BoolVar(&f.failFast, "fail-fast", false, "stop starting new functions after the first failure")
	fl.DurationVar(&f.lockTimeout, "lock-timeout", 0, "how long to wait for the state lock held by another run")
	fl.StringVar(&f.progress, "progress", "auto", "progress view: auto, bars, lines or json")
	fl.BoolVar(&f.allowDirty, "allow-dirty", false, "release uncommitted changes")
	return cmd
}

// confirm asks on a terminal; elsewhere --auto-approve is required.
func (g *globals) confirm() error {
	if !isTerminal(g.stdout) || !isTerminal(g.stdin) {
		return fmt.Errorf("apply needs --auto-approve when it does not run on a terminal (CI), or a saved plan: lambdas apply PLANFILE")
	}
	fmt.Fprint(g.stdout, "\nRelease these functions? Only 'yes' is accepted: ")
	line, _ := bufio.NewReader(g.stdin).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		return &exitError{code: 1, msg: "apply cancelled; nothing was changed"}
	}
	return nil
}
