package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lambdas-dev/lambdas/cmd/lambdas/internal/operation"
	"github.com/lambdas-dev/lambdas/planner/plan"
)

func newStatusCmd(g *globals) *cobra.Command {
	var o operation.StatusOptions
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show what runs live and whether it drifted from the state",
		Long: `status reads each function's alias from AWS: the version it points at (and
routing weights during a rollout), that version's CodeSha256 against the one
the state recorded, and the commit last released. A function changed outside
lambdas shows as drift. It changes nothing.`,
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
			if g.json {
				return writeJSON(g.stdout, map[string]any{"functions": out})
			}
			c := palette{g.color(g.stdout)}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "FUNCTION\tALIAS\tVERSION\tLIVE CODESHA256\tCOMMIT\tSTATUS")
			drifted := 0
			for _, s := range out {
				version := s.AliasVersion
				for v, w := range s.Weights {
					version += fmt.Sprintf(" (+%s at %.0f%%)", v, w*100)
				}
				st := c.green("in sync")
				switch {
				case s.Error != "":
					st = s.Error
				case len(s.Drift) > 0:
					st = c.yellow("drift: " + strings.Join(s.Drift, "; "))
					drifted++
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Alias, version, s.LiveCodeSha256, plan.ShortHash(s.Commit), st)
			}
			tw.Flush()
			if drifted > 0 {
				fmt.Fprintf(g.stdout, "\n%d %s drifted from the state; the next apply of a changed function replaces what runs there.\n", drifted, plural(drifted, "function", "functions"))
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&o.Targets, "target", nil, "only functions whose label or name matches this glob (repeatable)")
	return cmd
}
