// Package cli is the lambdas command line: one file per subcommand, each
// parsing its flags, running the operation and rendering through a view.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

// version is set at build time with -ldflags "-X github.com/lambdas-dev/lambdas/cmd/lambdas/internal/cli.version=v1.2.3".
var version = ""

// Version returns the tool's version.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// exitError carries an exit code; its message, if any, was already printed.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// globals are the flags every command takes.
type globals struct {
	manifest string
	vars     []string
	varFiles []string
	env      string
	json     bool
	noColor  bool

	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) (string, bool)

	// diags are the last manifest diagnostics (validate --json puts them
	// in its document); diagsInResult says the command prints them itself.
	diags         manifest.Diagnostics
	diagsInResult bool
}

// Run runs the CLI with args and returns the process exit code:
// 0 ok, 1 error, 2 changes present (plan --detailed-exitcode).
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer func() {
		// A bug must still end in one clear line and exit 1, not a stack
		// trace (and never exit 2, which CI reads as "changes").
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "Error: internal error: %v\nThis is a bug in lambdas; please report it with the command you ran.\n", r)
			code = 1
		}
	}()
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.LookupEnv}
	root := &cobra.Command{
		Use:           "lambdas",
		Short:         "Release AWS Lambda functions from a git monorepo",
		Long:          "lambdas plans and applies releases of the Lambda functions listed in lambdas.hcl:\nwhat changed in git decides what is packaged, uploaded, published and shifted.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&g.manifest, "manifest", "lambdas.hcl", "the manifest `file`")
	pf.StringArrayVar(&g.vars, "var", nil, "set a manifest variable (`name=value`, repeatable)")
	pf.StringArrayVar(&g.varFiles, "var-file", nil, "read manifest variables from an HCL `file` (repeatable)")
	pf.StringVar(&g.env, "env", "", "the manifest's environment `name` (default $LAMBDAS_ENV): its state, variables and release rule")
	pf.BoolVar(&g.json, "json", false, "print machine-readable JSON")
	pf.BoolVar(&g.noColor, "no-color", false, "never color the output")

	root.AddCommand(newVersionCmd(g), newValidateCmd(g), newPlanCmd(g), newApplyCmd(g), newPackageCmd(g), newStatusCmd(g), newStateCmd(g), newForceUnlockCmd(g), newPruneCmd(g),
		newPromoteCmd(g), newRollbackCmd(g), newLogsCmd(g)) // rollouts: promote.go, logs.go
	root.AddCommand(newIAMPolicyCmd(g)) // iam_policy.go

	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, "Error: "+ee.msg)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "Error: "+err.Error())
	// Only a mistake in the command line gets the usage hint; an error that
	// merely contains such words does not.
	var ue usageError
	if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command ") {
		fmt.Fprintln(stderr, "Run 'lambdas --help' for usage.")
	}
	return 1
}

// usageError is a mistake in the command line: arguments or flags.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// usage marks what an argument check refuses as a usage error.
func usage(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// loadManifest finds the repository (when there is one) and loads the
// manifest with its root as the boundary for paths. Diagnostics are printed
// here; the error returned is then an exitError without message.
func (g *globals) loadManifest() (*manifest.Manifest, *planner.Repo, error) {
	path := g.manifest
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, nil, err
	}
	if fi, err := os.Stat(abs); err != nil || fi.IsDir() {
		hint := "create one (see examples/ in the lambdas repository) or point at it with --manifest FILE"
		if err == nil {
			return nil, nil, fmt.Errorf("%s is a folder, not a manifest file; %s", path, hint)
		}
		return nil, nil, fmt.Errorf("no manifest at %s; %s", path, hint)
	}
	repo, repoErr := planner.OpenRepo(filepath.Dir(abs))
	opts := manifest.Options{Vars: map[string]string{}, VarFiles: g.varFiles, LookupEnv: g.getenv, Environment: g.env}
	if opts.Environment == "" {
		opts.Environment, _ = g.getenv("LAMBDAS_ENV")
	}
	if repoErr == nil {
		opts.RepoRoot = repo.Root
	}
	for _, kv := range g.vars {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, nil, fmt.Errorf("--var %q: expected name=value", kv)
		}
		opts.Vars[name] = value
	}
	m, diags := manifest.Load(path, opts)
	if err := g.printDiagnostics(diags, opts.RepoRoot); err != nil { // diagnostics.go: text, JSON, GitHub annotations
		return nil, nil, err
	}
	if diags.HasErrors() {
		return nil, nil, &exitError{code: 1}
	}
	g.redact(m.Secrets())
	if repoErr != nil {
		return m, nil, repoErr
	}
	return m, repo, nil
}

// color reports whether to color output written to w.
func (g *globals) color(w io.Writer) bool {
	if g.noColor || g.json {
		return false
	}
	if _, ok := g.getenv("NO_COLOR"); ok {
		return false
	}
	return isTerminal(w)
}

// isTerminal reports whether stdin, stdout or stderr (any *os.File) is a terminal.
func isTerminal(stream any) bool {
	f, ok := unwrapWriter(stream).(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of lambdas",
		Args:  usage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.json {
				return writeJSON(g.stdout, map[string]any{"version": Version(), "plan_format_version": plan.FormatVersion, "state_format_version": state.FormatVersion})
			}
			fmt.Fprintf(g.stdout, "lambdas %s\n", Version())
			return nil
		},
	}
}
