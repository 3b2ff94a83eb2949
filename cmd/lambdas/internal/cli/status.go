package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdas-dev/lambdas/cmd/lambdas/internal/operation"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

func newStatusCmd(g *globals) *cobra.Command {
	var o operation.StatusOptions
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show what runs live and whether it drifted from the state",
		Long: `status reads each function from AWS: $LATEST's CodeSha256, the version its
alias points at (and routing weights during a rollout) and that version's
CodeSha256, and compares them with the release the state recorded. A
rollout in flight shows with its weight and when its next step is due. A
function changed outside lambdas (code updated, alias moved) shows as drift;
lambdas apply brings it back. It changes nothing.

Exit codes: 0 every function in sync (or not released yet), 2 drift,
1 an error (a function that could not be read, no AWS access).`,
		Args: usage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, repo, err := g.loadManifest()
			if m == nil {
				return err
			}
			out, err := operation.Status(cmd.Context(), operation.Inputs{Manifest: m, Repo: repo, ToolVersion: Version()}, o)
			if err != nil {
				return err
			}
			drifted, failed := 0, 0
			for _, s := range out {
				switch s.Status {
				case operation.StatusDrift:
					drifted++
				case operation.StatusError:
					failed++
				}
			}
			if g.json {
				if err := writeJSON(g.stdout, map[string]any{"functions": out, "drifted": drifted, "errors": failed}); err != nil {
					return err
				}
			} else {
				renderStatus(g, out, drifted)
			}
			switch {
			case failed > 0:
				return &exitError{code: 1, msg: fmt.Sprintf("%d %s could not be read", failed, plural(failed, "function", "functions"))}
			case drifted > 0:
				return &exitError{code: 2}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&o.Targets, "target", nil, "only functions whose label or name matches this glob (repeatable)")
	return cmd
}

func renderStatus(g *globals, out []operation.FunctionStatus, drifted int) {
	c := palette{g.color(g.stdout)}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FUNCTION\tALIAS\tVERSION\tRELEASE\tLIVE CODESHA256\tCOMMIT\tSTATUS")
	for _, s := range out {
		version := s.AliasVersion
		for v, w := range s.Weights {
			version += fmt.Sprintf(" (+%s at %.0f%%)", v, w*100)
		}
		st := c.green("in sync")
		switch s.Status {
		case operation.StatusError:
			st = c.red("error: " + s.Error)
		case operation.StatusDrift:
			st = c.yellow("drift: " + strings.Join(s.Drift, "; "))
		case operation.StatusNotReleased:
			st = "not released yet"
		case operation.StatusRollingOut:
			st = c.yellow(rolloutWhere(*s.Rollout, time.Now()))
		}
		if ro := s.Rollout; ro != nil && ro.Status == state.RolloutRolledBack && s.Status == operation.StatusInSync {
			st += fmt.Sprintf(" (version %s was rolled back: %s)", ro.NewVersion, ro.Reason)
		}
		release := s.Release
		if release == "" {
			release = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Alias, version, release, s.LiveCodeSha256, plan.ShortHash(s.Commit), st)
	}
	tw.Flush()
	if drifted > 0 {
		fmt.Fprintf(g.stdout, "\n%d %s drifted from the state; lambdas apply brings %s back to the recorded release.\n", drifted, plural(drifted, "function", "functions"), plural(drifted, "it", "them"))
	}
}
