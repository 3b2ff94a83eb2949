package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdas-dev/lambdas/cmd/lambdas/internal/operation"
	"github.com/lambdas-dev/lambdas/planner"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

func newStateCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Read or adjust the release state",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Print the state document",
		Args:  usage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, _, err := g.loadManifest()
			if m == nil {
				return err
			}
			sm, err := operation.LoadState(cmd.Context(), m)
			if err != nil {
				return err
			}
			return writeJSON(g.stdout, sm.Snapshot())
		},
	})
	var targets []string
	var lockTimeout time.Duration
	mark := &cobra.Command{
		Use:   "mark-released",
		Short: "Record HEAD as released without touching AWS (adopting functions already live)",
		Long: `mark-released records, for each selected function, that the code at HEAD is
what runs live, without calling AWS. Use it once when adopting lambdas for
functions that were already deployed from this commit, so that the first plan
does not redeploy all of them. It refuses a dirty tree.`,
		Args: usage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, repo, err := g.loadManifest()
			if err != nil {
				return err
			}
			fns, err := planner.Select(m.Functions, targets)
			if err != nil {
				return err
			}
			backend, err := operation.StateBackend(cmd.Context(), m)
			if err != nil {
				return err
			}
			labels := make([]string, len(fns))
			for i, f := range fns {
				labels[i] = f.Label
			}
			return operation.WithFunctionLocks(cmd.Context(), backend, "mark-released", labels, lockTimeout, func(sm *state.Manager) error {
				p, err := operation.Plan(operation.Inputs{Manifest: m, Repo: repo, ToolVersion: Version()}, sm.Snapshot(), targets)
				if err != nil {
					return err
				}
				if p.Dirty {
					return fmt.Errorf("the worktree has uncommitted changes under the functions' paths; commit them first (mark-released records commits only)")
				}
				now := time.Now().UTC()
				err = sm.Update(cmd.Context(), func(d *state.Document) error {
					for _, f := range p.Functions {
						prev := d.Functions[f.Name]
						rec := &state.Function{FunctionName: f.FunctionName, Commit: p.Head, CodeFingerprint: f.CodeFingerprint,
							DepsFingerprint: f.DepsFingerprint, Alias: f.Alias, ReleasedAt: now}
						if prev != nil {
							rec.CodeSha256, rec.Version, rec.Artifact = prev.CodeSha256, prev.Version, prev.Artifact
						}
						d.Functions[f.Name] = rec
					}
					return nil
				})
				if err == nil {
					fmt.Fprintf(g.stdout, "Recorded %d %s as released at %s.\n", len(p.Functions), plural(len(p.Functions), "function", "functions"), plan.ShortHash(p.Head))
				}
				return err
			})
		},
	}
	mark.Flags().StringArrayVar(&targets, "target", nil, "only functions whose label or name matches this glob (repeatable)")
	mark.Flags().DurationVar(&lockTimeout, "lock-timeout", 0, "how long to wait for the state lock")
	cmd.AddCommand(mark)
	return cmd
}
