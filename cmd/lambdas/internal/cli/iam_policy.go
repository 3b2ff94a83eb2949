package cli

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/lambdas-dev/lambdas/cmd/lambdas/internal/operation"
	"github.com/lambdas-dev/lambdas/executor/iampolicy"
	"github.com/lambdas-dev/lambdas/manifest"
)

type iamPolicyFlags struct {
	account string
	format  string
	name    string
}

func newIAMPolicyCmd(g *globals) *cobra.Command {
	var f iamPolicyFlags
	cmd := &cobra.Command{
		Use:   "iam-policy",
		Short: "Print the least-privilege IAM policy the CI role needs for this manifest",
		Long: `iam-policy prints the IAM policy that a role running lambdas (plan, apply,
status, and the layer, rollout and state work) needs for the functions of this
manifest, as the manifest names them with its variables (--var env=prod gives
production's): the Lambda actions on exactly these functions and their
versions and aliases, the artifacts bucket and prefix, an S3 state object and
its lock keys, the layers lambdas publishes, the alarms and log groups it reads,
and iam:PassRole on the roles of create blocks (to Lambda only). No action is a
wildcard and no resource is "*" where AWS allows a narrower one.

The account comes from --account, or else from the releases the local state
records; without either the ARNs name any account ("*") and a note says so.
The region is project.region or the AWS environment's. It needs no AWS access.

--format terraform prints a data "aws_iam_policy_document" block instead of
the JSON document.`,
		Args: usage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, _, err := g.loadManifest()
			if m == nil {
				return err
			}
			account := f.account
			if account == "" {
				account = recordedAccount(cmd, m)
			}
			p, err := iampolicy.Derive(m, iampolicy.Options{Account: account, Region: operation.Region(m)})
			if err != nil {
				return err
			}
			format := f.format
			if g.json {
				format = "json"
			}
			switch format {
			case "json":
				data, err := p.JSON()
				if err != nil {
					return err
				}
				if _, err := g.stdout.Write(data); err != nil {
					return err
				}
				for _, n := range p.Notes {
					fmt.Fprintf(g.stderr, "Note: %s\n", n)
				}
			case "terraform", "tf":
				header := fmt.Sprintf("lambdas iam-policy --format terraform: what a role running lambdas needs for project %q", m.Project.Name)
				if _, err := g.stdout.Write(p.Terraform(f.name, header)); err != nil {
					return err
				}
			default:
				return usageError{fmt.Errorf("--format %q: use json or terraform", f.format)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&f.account, "account", "", "the AWS account `ID` the functions live in (12 digits)")
	cmd.Flags().StringVar(&f.format, "format", "json", "output format: json (an IAM policy document) or terraform (an aws_iam_policy_document data source)")
	cmd.Flags().StringVar(&f.name, "name", "lambdas", "the data source's `name` with --format terraform")
	return cmd
}

// recordedAccount is the one account the local state's releases name, or
// "" (no state, an S3 state, none recorded, or several).
func recordedAccount(cmd *cobra.Command, m *manifest.Manifest) string {
	if m.Project.StateS3 != nil {
		return "" // reading it would need AWS; iam-policy needs none
	}
	sm, err := operation.LoadState(cmd.Context(), m)
	if err != nil {
		return ""
	}
	seen := map[string]bool{}
	for _, f := range sm.Snapshot().Functions {
		if f.Account != "" {
			seen[f.Account] = true
		}
	}
	if len(seen) != 1 {
		return ""
	}
	accounts := make([]string, 0, 1)
	for a := range seen {
		accounts = append(accounts, a)
	}
	sort.Strings(accounts)
	return accounts[0]
}
