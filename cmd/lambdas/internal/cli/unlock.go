package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambdas-dev/lambdas/cmd/lambdas/internal/operation"
)

func newForceUnlockCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "force-unlock LOCK_ID",
		Short: "Remove the function locks a crashed run left behind",
		Long: `force-unlock removes the locks with LOCK_ID: the ID that an apply stopped by
another run's lock names ("... lock id 3f2a...; ... lambdas force-unlock
3f2a..."). Use it only when that run is gone (a CI job that was killed):
its lock is never taken over silently. A lock in an S3 state is an object
of its own and outlives a crashed holder; a local lock is a flock, which
ends with its process, so force-unlock then says which live process holds
it, if any.`,
		Args: usage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, _, err := g.loadManifest()
			if m == nil {
				return err
			}
			backend, err := operation.StateBackend(cmd.Context(), m)
			if err != nil {
				return err
			}
			freed, err := backend.ForceUnlock(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.json {
				return writeJSON(g.stdout, map[string]any{"lock_id": args[0], "unlocked": freed})
			}
			if len(freed) == 0 {
				fmt.Fprintf(g.stdout, "No function of %s is locked with id %s any more (its process ended).\n", backend, args[0])
				return nil
			}
			fmt.Fprintf(g.stdout, "Unlocked %d %s in %s: %s.\n", len(freed), plural(len(freed), "function", "functions"), backend, strings.Join(freed, ", "))
			return nil
		},
	}
}
