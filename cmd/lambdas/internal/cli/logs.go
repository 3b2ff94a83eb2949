package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdas-dev/lambdas/cmd/lambdas/internal/operation"
	"github.com/lambdas-dev/lambdas/executor"
)

func newLogsCmd(g *globals) *cobra.Command {
	var o operation.LogsOptions
	cmd := &cobra.Command{
		Use:   "logs FUNCTION",
		Short: "Show a version's lines from CloudWatch Logs",
		Long: `logs shows the log lines of one version of a function from CloudWatch Logs
(/aws/lambda/<name>), the ones Lambda's START … Version: N line (and the
[N] in the log stream's name) mark as that version's: what a release
engineer watches right after a release. The version is --version N, or the
new version of a rollout in flight, or the released one; --version all
shows every version. --follow goes on showing new lines (for --for, default
1h, or until Ctrl-C).`,
		Args: usage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, repo, err := g.loadManifest()
			if m == nil {
				return err
			}
			o.Function = args[0]
			start := func(info operation.LogsInfo) {
				if g.json {
					return
				}
				v := "every version"
				if info.Version != "" {
					v = "version " + info.Version
				}
				fmt.Fprintf(g.stderr, "%s (%s), %s, since %s:\n", info.Name, info.Group, v, info.Since.Local().Format("15:04:05"))
			}
			emit := func(l executor.LogLine) {
				if g.json {
					_ = writeJSONLine(g.stdout, l)
					return
				}
				fmt.Fprintf(g.stdout, "%s [%s] %s\n", l.Time.Local().Format("15:04:05.000"), l.Version, l.Message)
			}
			return operation.Logs(cmd.Context(), operation.Inputs{Manifest: m, Repo: repo, ToolVersion: Version()}, o, start, emit)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Version, "version", "", "the version whose lines to show (default: a rollout's new version, else the released one; all: every version)")
	fl.DurationVar(&o.Since, "since", 10*time.Minute, "show lines from this long ago")
	fl.BoolVarP(&o.Follow, "follow", "f", false, "go on showing new lines")
	fl.DurationVar(&o.For, "for", time.Hour, "with --follow: how long to go on")
	return cmd
}
