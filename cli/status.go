package cli

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/lambdas-dev/lambdas/planner"
	"github.com/lambdas-dev/lambdas/state"
)

// liveStatus is what status reports for one function.
type liveStatus struct {
	Name           string             `json:"name"`
	FunctionName   string             `json:"function_name"`
	Alias          string             `json:"alias"`
	AliasVersion   string             `json:"alias_version,omitempty"`
	Weights        map[string]float64 `json:"routing_weights,omitempty"`
	LiveCodeSha256 string             `json:"live_code_sha256,omitempty"`
	StateVersion   string             `json:"state_version,omitempty"`
	StateSha256    string             `json:"state_code_sha256,omitempty"`
	Commit         string             `json:"released_commit,omitempty"`
	Drift          []string           `json:"drift"`
	Error          string             `json:"error,omitempty"`
}

func newStatusCmd(g *globals) *cobra.Command {
	var targets []string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show what runs live and whether it drifted from the state",
		Long: `status reads each function's alias from AWS: the version it points at (and
routing weights during a rollout), that version's CodeSha256 against the one
the state recorded, and the commit last released. A function changed outside
lambdas shows as drift. It changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			m, _, err := g.loadManifest()
			if err != nil {
				return err
			}
			fns, err := planner.Select(m.Functions, targets)
			if err != nil {
				return err
			}
			backend, err := stateBackend(m)
			if err != nil {
				return err
			}
			sm, err := state.Load(ctx, backend)
			if err != nil {
				return err
			}
			doc := sm.Snapshot()
			cfg, _, err := loadAWS(ctx, m)
			if err != nil {
				return err
			}
			client := lambda.NewFromConfig(cfg)
			out := make([]liveStatus, len(fns))
			eg, ectx := errgroup.WithContext(ctx)
			eg.SetLimit(8)
			for i, f := range fns {
				eg.Go(func() error {
					s := liveStatus{Name: f.Label, FunctionName: f.Name, Alias: f.Alias, Drift: []string{}}
					rec := doc.Functions[f.Label]
					if rec != nil {
						s.StateVersion, s.StateSha256, s.Commit = rec.Version, rec.CodeSha256, rec.Commit
					}
					a, err := client.GetAlias(ectx, &lambda.GetAliasInput{FunctionName: aws.String(f.Name), Name: aws.String(f.Alias)})
					var nf *types.ResourceNotFoundException
					switch {
					case err != nil && errors.As(err, &nf):
						if rec != nil && rec.Version != "" {
							s.Drift = append(s.Drift, fmt.Sprintf("alias %s is gone (the state says version %s)", f.Alias, rec.Version))
						} else {
							s.Error = "not released yet"
						}
						out[i] = s
						return nil
					case err != nil:
						s.Error = err.Error()
						out[i] = s
						return nil
					}
					s.AliasVersion = aws.ToString(a.FunctionVersion)
					if a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0 {
						s.Weights = a.RoutingConfig.AdditionalVersionWeights
					}
					c, err := client.GetFunctionConfiguration(ectx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(f.Name), Qualifier: a.FunctionVersion})
					if err != nil {
						s.Error = err.Error()
						out[i] = s
						return nil
					}
					s.LiveCodeSha256 = aws.ToString(c.CodeSha256)
					if rec == nil || rec.Version == "" {
						s.Drift = append(s.Drift, "released outside lambdas: the state has no record")
					} else {
						if s.AliasVersion != rec.Version {
							s.Drift = append(s.Drift, fmt.Sprintf("alias points at version %s, the state says %s", s.AliasVersion, rec.Version))
						}
						if s.LiveCodeSha256 != rec.CodeSha256 {
							s.Drift = append(s.Drift, "live code differs from the released package")
						}
						if len(s.Weights) > 0 {
							s.Drift = append(s.Drift, "alias has routing weights (a rollout under way?)")
						}
					}
					out[i] = s
					return nil
				})
			}
			if err := eg.Wait(); err != nil {
				return err
			}
			sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
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
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Alias, version, s.LiveCodeSha256, planner.ShortHash(s.Commit), st)
			}
			tw.Flush()
			if drifted > 0 {
				fmt.Fprintf(g.stdout, "\n%d %s drifted from the state; the next apply of a changed function replaces what runs there.\n", drifted, plural(drifted, "function", "functions"))
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&targets, "target", nil, "only functions whose label or name matches this glob (repeatable)")
	return cmd
}
