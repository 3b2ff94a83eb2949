package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdas-dev/lambdas/cmd/lambdas/internal/operation"
	"github.com/lambdas-dev/lambdas/executor"
	"github.com/lambdas-dev/lambdas/state"
)

// rolloutView reports the moves of promote and rollback as they happen.
type rolloutView struct {
	g        *globals
	progress string
}

func (v *rolloutView) Progress() executor.Reporter {
	return v.g.progressView(v.progress, nil)
}

func newPromoteCmd(g *globals) *cobra.Command {
	var o operation.PromoteOptions
	progress := "auto"
	cmd := &cobra.Command{
		Use:   "promote",
		Short: "Take the next step of every rollout whose interval has passed",
		Long: `promote advances the canary and linear rollouts in flight (apply
--rollout=start, or an interrupted apply): every rollout whose interval has
passed since its last step, and whose alarms are quiet, takes its next step,
all the members of a rollout group together; the last step leaves the new
version alone and makes it the release. A rollout with an alarm in ALARM is
rolled back, its whole group with it. A step that is not due is not taken,
so promote is safe to run on a schedule; --wait goes on until the rollouts
have ended.

Exit codes: 0 nothing went wrong (also: nothing was due), 1 a rollout was
rolled back, an error, or interrupted.`,
		Args: usage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, repo, err := g.loadManifest()
			if m == nil {
				return err
			}
			out, err := operation.Promote(cmd.Context(), operation.Inputs{Manifest: m, Repo: repo, ToolVersion: Version()}, o, &rolloutView{g: g, progress: lineProgress(g, progress)})
			if rerr := renderRolloutResult(g, "Promote:", out); rerr != nil {
				return rerr
			}
			if errors.Is(err, executor.ErrInterrupted) {
				return &exitError{code: 1, msg: err.Error()}
			}
			if err != nil {
				return err
			}
			for _, ro := range out {
				if ro.Status == state.RolloutRolledBack && ro.Moved {
					return &exitError{code: 1, msg: fmt.Sprintf("rolled back: %s: %s", ro.Name, ro.Reason)}
				}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&o.Targets, "target", nil, "only the rollouts of functions whose label or name matches this glob (repeatable; a group moves with any member)")
	fl.BoolVar(&o.Wait, "wait", false, "go on until the rollouts have ended, waiting through their intervals")
	fl.DurationVar(&o.LockTimeout, "lock-timeout", 0, "how long to wait for the state lock held by another run")
	fl.StringVar(&progress, "progress", "auto", "progress view: auto, lines or json")
	return cmd
}

// lineProgress is the progress mode of promote and rollback: lines (there
// are no per-function bars to draw), or JSON.
func lineProgress(g *globals, mode string) string {
	if mode == "auto" || mode == "bars" {
		if g.json {
			return "json"
		}
		return "lines"
	}
	return mode
}

func renderRolloutResult(g *globals, title string, out []operation.Rollout) error {
	if g.json {
		if out == nil {
			out = []operation.Rollout{}
		}
		return writeJSON(g.stdout, map[string]any{"rollouts": out, "time": time.Now().UTC()})
	}
	renderRollouts(g.stdout, title, out, g.color(g.stdout))
	return nil
}

func newRollbackCmd(g *globals) *cobra.Command {
	var o operation.RollbackOptions
	progress := "auto"
	cmd := &cobra.Command{
		Use:   "rollback [FUNCTION...]",
		Short: "Put the old version back: a rollout in flight, or the last release",
		Long: `rollback puts each named function's alias back on its old version alone:
a rollout in flight goes back to the version it started from (with every
member of its group), a finished release to the version before it (or to
--to-version N, checked to be published and Active). The state records it;
status shows it; the next apply releases what HEAD holds again. Without a
FUNCTION, every rollout in flight is rolled back.`,
		Args: usage(cobra.ArbitraryArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, repo, err := g.loadManifest()
			if m == nil {
				return err
			}
			o.Targets = args
			out, err := operation.Rollback(cmd.Context(), operation.Inputs{Manifest: m, Repo: repo, ToolVersion: Version()}, o, &rolloutView{g: g, progress: lineProgress(g, progress)})
			if rerr := renderRolloutResult(g, "Rollback:", out); rerr != nil {
				return rerr
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.ToVersion, "to-version", "", "the version to go back to (one function, no rollout in flight)")
	fl.DurationVar(&o.LockTimeout, "lock-timeout", 0, "how long to wait for the state lock held by another run")
	fl.StringVar(&progress, "progress", "auto", "progress view: auto, lines or json")
	return cmd
}
