package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambdas-dev/lambdas/manifest"
)

func newValidateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "Check the manifest and list its functions",
		Long:  "validate loads lambdas.hcl, evaluates its variables and checks every function;\nit reports all problems at once, with file:line, and needs no AWS access.",
		Args:  usage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			g.diagsInResult = g.json // validate --json prints them in its document
			m, _, err := g.loadManifest()
			if m == nil {
				if g.json {
					return g.validateFailed(err)
				}
				return err
			}
			// Outside a git repository validate still works: paths are then bounded by the manifest's folder.
			if g.json {
				type fn struct {
					Name         string   `json:"name"`
					FunctionName string   `json:"function_name"`
					Source       string   `json:"source"`
					Watch        []string `json:"watch,omitempty"`
					Runtime      string   `json:"runtime"`
					Architecture string   `json:"architecture"`
					Alias        string   `json:"alias"`
					Dependencies string   `json:"dependencies,omitempty"`
					Strategy     string   `json:"strategy"`
				}
				out := struct {
					diagnosticsDocument
					Project   string `json:"project"`
					Functions []fn   `json:"functions"`
				}{diagnosticsDocument: newDiagnosticsDocument(g.diags), Project: m.Project.Name, Functions: []fn{}}
				for _, f := range m.Functions {
					out.Functions = append(out.Functions, fn{f.Label, f.Name, f.Source, f.Watch, f.Runtime, f.Architecture, f.Alias, f.Dependencies, f.Deploy.Strategy})
				}
				return writeJSON(g.stdout, out)
			}
			fmt.Fprintf(g.stdout, "The manifest %s is valid: project %s, %d %s.\n", g.manifest, m.Project.Name, len(m.Functions), plural(len(m.Functions), "function", "functions"))
			if m.Environment != "" {
				fmt.Fprintf(g.stdout, "Environment %s: state %s.\n", m.Environment, stateName(m))
			} else if len(m.Environments) > 0 {
				fmt.Fprintf(g.stdout, "Environments: %s (choose one with --env NAME).\n", strings.Join(m.Environments, ", "))
			}
			for _, f := range m.Functions {
				fmt.Fprintf(g.stdout, "  %-24s %-28s %-12s %-7s %s\n", f.Label, f.Name, f.Runtime, f.Architecture, f.Source)
			}
			return nil
		},
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// stateName is where the manifest's state lives, for messages.
func stateName(m *manifest.Manifest) string {
	if loc := m.Project.StateS3; loc != nil {
		return "s3://" + loc.Bucket + "/" + loc.Prefix
	}
	return m.Project.StateFile
}
