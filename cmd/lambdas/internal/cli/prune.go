package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambdas-dev/lambdas/cmd/lambdas/internal/operation"
)

func newPruneCmd(g *globals) *cobra.Command {
	var o operation.PruneOptions
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Delete old function versions and unused dependency layer versions",
		Long: `prune deletes, for every function with keep_versions = N (in the function or
the defaults block), its versions older than the newest N that no alias
points to (as primary or additional version), and the versions of this
project's dependency layers that no kept function version uses. Every call
is paced in the control-plane bucket (15/s). --dry-run lists them and
deletes nothing. apply prunes on its own after a successful release when
keep_versions is set.

Exit codes: 0 ok, 1 error.`,
		Args: usage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, repo, err := g.loadManifest()
			if m == nil {
				return err
			}
			res, err := operation.Prune(cmd.Context(), operation.Inputs{Manifest: m, Repo: repo, ToolVersion: Version()}, o, func(what string) {
				if !g.json {
					fmt.Fprintln(g.stdout, "  "+what)
				}
			})
			if res != nil {
				if g.json {
					if jerr := writeJSON(g.stdout, res); jerr != nil && err == nil {
						err = jerr
					}
				} else {
					renderPrune(g.stdout, res)
				}
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "list what would be deleted, delete nothing")
	cmd.Flags().StringArrayVar(&o.Targets, "target", nil, "prune only functions whose label or name matches this glob (repeatable); layers are always checked against every function")
	cmd.Flags().DurationVar(&o.LockTimeout, "lock-timeout", 0, "how long to wait for the state lock held by another run")
	return cmd
}

// renderPrune lists what a prune deletes (or would), then its total.
func renderPrune(w io.Writer, res *operation.PruneResult) {
	p := res.Plan
	verb := "Deleted"
	if res.DryRun {
		verb = "Would delete"
		for _, v := range p.Versions {
			fmt.Fprintf(w, "  %s version %s of %s (%s): %s\n", strings.ToLower(verb), v.Version, v.Label, v.FunctionName, v.Why)
		}
		for _, l := range p.Layers {
			fmt.Fprintf(w, "  %s version %d of layer %s: %s\n", strings.ToLower(verb), l.Version, l.LayerName, l.Why)
		}
	}
	n := len(p.Versions) + len(p.Layers)
	if n == 0 {
		fmt.Fprintf(w, "Nothing to prune: %d %s kept.\n", p.Kept, plural(p.Kept, "version", "versions"))
		return
	}
	fmt.Fprintf(w, "%s %d function %s and %d layer %s; %d function %s kept.\n", verb, len(p.Versions), plural(len(p.Versions), "version", "versions"),
		len(p.Layers), plural(len(p.Layers), "version", "versions"), p.Kept, plural(p.Kept, "version", "versions"))
}

// Pruned shows the prune an apply ran after the release (keep_versions).
func (v *applyView) Pruned(res *operation.PruneResult, err error) {
	if v.g.json {
		ev := map[string]any{"event": "prune"}
		if res != nil {
			ev["plan"], ev["deleted"] = res.Plan, res.Deleted
		}
		if err != nil {
			ev["error"] = err.Error()
		}
		_ = writeJSONLine(v.g.stdout, ev)
		return
	}
	if err != nil {
		fmt.Fprintf(v.g.stderr, "Warning: the release is done, but pruning old versions failed: %v (lambdas prune retries)\n", err)
		return
	}
	if n := len(res.Plan.Versions) + len(res.Plan.Layers); n > 0 {
		fmt.Fprintf(v.g.stdout, "Pruned %d function %s and %d layer %s (keep_versions).\n", len(res.Plan.Versions), plural(len(res.Plan.Versions), "version", "versions"),
			len(res.Plan.Layers), plural(len(res.Plan.Layers), "version", "versions"))
	}
}
