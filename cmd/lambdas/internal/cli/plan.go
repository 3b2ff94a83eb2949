package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lambdas-dev/lambdas/cmd/lambdas/internal/operation"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

type planFlags struct {
	targets          []string
	out              string
	detailedExitcode bool
	format           string
	refresh          bool
	shards           int
}

func newPlanCmd(g *globals) *cobra.Command {
	var f planFlags
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show which functions changed and what apply would do",
		Long: `plan compares each function's files in git (tree hashes at HEAD, and any
uncommitted change) with the last release recorded in the state, and lists
what apply would do for each, and why. With --refresh it also reads each
released function's alias and $LATEST from AWS (GetFunction, its own quota)
and shows what drifted from the state, and the steps that bring it back.
It changes nothing.

Exit codes: 0 ok, 1 error; with --detailed-exitcode 0 no changes, 2 changes
(drift included).`,
		Args: usage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := g.makePlan(cmd.Context(), operation.PlanOptions{Targets: f.targets, Refresh: f.refresh})
			if err != nil {
				return err
			}
			if f.out != "" {
				data, err := plan.Encode(p)
				if err != nil {
					return err
				}
				if err := state.WriteFileAtomic(f.out, data); err != nil {
					return fmt.Errorf("write plan file: %w", err)
				}
			}
			format := f.format
			if g.json && format != "github-matrix" {
				format = "json"
			}
			if (format == "github-matrix") != (f.shards > 0) {
				return usageError{fmt.Errorf("--format github-matrix and --shards N go together: lambdas plan --format github-matrix --shards 4")}
			}
			switch format {
			case "github-matrix":
				var mx operation.Matrix
				if mx, err = operation.GitHubMatrix(p, f.shards); err == nil {
					err = writeJSONLine(g.stdout, mx)
				}
			case "json":
				err = writeJSON(g.stdout, p)
			case "markdown", "md":
				err = renderPlanMarkdown(g.stdout, p)
			case "human", "":
				err = renderPlanHuman(g.stdout, p, g.color(g.stdout))
				if err == nil && f.out != "" {
					fmt.Fprintf(g.stdout, "\nSaved the plan to %s. Apply exactly this plan with:\n    lambdas apply %s\n", f.out, f.out)
				}
			default:
				return fmt.Errorf("--format %q: use human, json, markdown or github-matrix", f.format)
			}
			if err != nil {
				return err
			}
			if f.detailedExitcode && p.HasChanges() {
				return &exitError{code: 2}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&f.targets, "target", nil, "plan only functions whose label or name matches this glob (repeatable)")
	cmd.Flags().StringVar(&f.out, "out", "", "save the plan to `FILE` for `lambdas apply FILE`")
	cmd.Flags().BoolVar(&f.detailedExitcode, "detailed-exitcode", false, "exit 2 when there are changes, 0 when none, 1 on error")
	cmd.Flags().StringVar(&f.format, "format", "human", "output format: human, json, markdown, or github-matrix (with --shards: a GitHub Actions strategy.matrix, one job per shard)")
	cmd.Flags().IntVar(&f.shards, "shards", 0, "with --format github-matrix: split the changed functions into `N` balanced shards for `lambdas apply --shard i/N`")
	cmd.Flags().BoolVar(&f.refresh, "refresh", false, "read the live functions from AWS and plan to bring back what drifted from the state")
	return cmd
}

// makePlan loads the manifest, the repository and the state, and plans.
func (g *globals) makePlan(ctx context.Context, o operation.PlanOptions) (*plan.Plan, error) {
	m, repo, err := g.loadManifest()
	if err != nil {
		return nil, err
	}
	sm, err := operation.LoadState(ctx, m)
	if err != nil {
		return nil, err
	}
	return operation.MakePlan(ctx, operation.Inputs{Manifest: m, Repo: repo, ToolVersion: Version()}, sm.Snapshot(), o)
}
