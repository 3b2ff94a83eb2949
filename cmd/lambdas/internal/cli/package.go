package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lambdas-dev/lambdas/cmd/lambdas/internal/operation"
	"github.com/lambdas-dev/lambdas/executor"
)

func newPackageCmd(g *globals) *cobra.Command {
	var o operation.PackageOptions
	var verbose bool
	cmd := &cobra.Command{
		Use:   "package",
		Short: "Build and zip functions without releasing them",
		Long: `package builds each selected function (when it has a build) and writes its zip
to DIR/<function>/app.zip, exactly as apply would make it: the same file list
from git's view of the tree, the same builds, the same bytes. It prints each
zip's CodeSha256 (as Lambda shows it), size and file count. It needs no AWS
access and changes no state.`,
		Args: usage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, repo, err := g.loadManifest()
			if err != nil {
				return err
			}
			var mu sync.Mutex
			log := func(function, line string) {
				if verbose && !g.json {
					mu.Lock()
					fmt.Fprintf(g.stderr, "%s | %s\n", function, line)
					mu.Unlock()
				}
			}
			res, err := operation.Package(cmd.Context(), operation.Inputs{Manifest: m, Repo: repo, ToolVersion: Version()}, o, log)
			if err != nil {
				return err
			}
			if g.json {
				return writeJSON(g.stdout, res)
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "FUNCTION\tCODESHA256\tSIZE\tFILES\tZIP")
			for _, f := range res.Functions {
				path := f.Path
				if rel, err := filepath.Rel(m.Dir, path); err == nil && !strings.HasPrefix(rel, "..") {
					path = rel
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", f.Name, f.CodeSha256, executor.Size(f.Size), f.Files, path)
			}
			tw.Flush()
			for _, f := range res.Functions {
				if l := f.Layer; l != nil {
					path := l.Path
					if rel, err := filepath.Rel(m.Dir, path); err == nil && !strings.HasPrefix(rel, "..") {
						path = rel
					}
					fmt.Fprintf(g.stdout, "%s: dependency layer %s (%s builder, %s, sha256 %s)\n", f.Name, path, l.Builder, executor.Size(l.Size), l.Sha256[:12])
				}
			}
			if res.Dirty {
				fmt.Fprintln(g.stdout, "\nNote: made from uncommitted changes; a clean checkout of HEAD may give other zips.")
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&o.Targets, "target", nil, "only functions whose label or name matches this glob (repeatable)")
	fl.StringVar(&o.OutDir, "out", ".lambdas/dist", "write DIR/<function>/app.zip (relative to the manifest's folder)")
	fl.IntVar(&o.Parallelism, "parallelism", 10, "functions built and zipped at once")
	fl.BoolVarP(&verbose, "verbose", "v", false, "print the builds' output")
	fl.BoolVar(&o.Layers, "layers", false, "also build each function's dependency layer into DIR/<function>/layer.zip")
	return cmd
}
