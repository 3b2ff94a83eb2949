package cli

import (
	"errors"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"

	"github.com/lambdas-dev/lambdas/manifest"
)

// diagnosticsFormatVersion is the version of the JSON shape of diagnostics
// (validate --json, and the line other commands write to stderr with
// --json); it follows terraform validate -json's.
const diagnosticsFormatVersion = "1.0"

// diagnosticsDocument is what validate --json prints, and (on one line, to
// stderr) what every other command prints with --json when the manifest has
// diagnostics: their stdout stays the command's own document or stream.
type diagnosticsDocument struct {
	FormatVersion string                    `json:"format_version"`
	Valid         bool                      `json:"valid"`
	ErrorCount    int                       `json:"error_count"`
	WarningCount  int                       `json:"warning_count"`
	Diagnostics   []manifest.JSONDiagnostic `json:"diagnostics"`
}

func newDiagnosticsDocument(d manifest.Diagnostics) diagnosticsDocument {
	e, w := d.Counts()
	return diagnosticsDocument{FormatVersion: diagnosticsFormatVersion, Valid: e == 0, ErrorCount: e, WarningCount: w, Diagnostics: d.JSON()}
}

// printDiagnostics shows the manifest's diagnostics once, at the top of a
// command: as text on stderr, or with --json as one JSON line on stderr
// (validate --json puts them in its own document instead). Under GitHub
// Actions (GITHUB_ACTIONS=true) each is also written as an ::error or
// ::warning workflow command, so that the runner marks the manifest's line
// on the pull request's diff. repoRoot ("" outside a repository) makes the
// annotation paths relative to the repository, as GitHub wants them.
func (g *globals) printDiagnostics(d manifest.Diagnostics, repoRoot string) error {
	g.diags = d
	if len(d.Diags) == 0 {
		return nil
	}
	var err error
	switch {
	case g.json && g.diagsInResult:
	case g.json:
		err = writeJSONLine(g.stderr, newDiagnosticsDocument(d))
	default:
		err = d.WriteText(g.stderr, 0, g.color(g.stderr))
	}
	if err != nil {
		return err
	}
	if v, _ := g.getenv("GITHUB_ACTIONS"); v == "true" {
		return d.WriteGitHub(g.stderr, repoRelative(repoRoot))
	}
	return nil
}

// repoRelative maps a diagnostic's file name (relative to the working
// folder, as given) to a slash path relative to root.
func repoRelative(root string) func(string) string {
	return func(name string) string {
		if root == "" {
			return filepath.ToSlash(name)
		}
		abs, err := filepath.Abs(name)
		if err != nil {
			return filepath.ToSlash(name)
		}
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = real
		}
		realRoot := root
		if r, err := filepath.EvalSymlinks(root); err == nil {
			realRoot = r
		}
		rel, err := filepath.Rel(realRoot, abs)
		if err != nil || rel == ".." || filepath.IsAbs(rel) || len(rel) > 2 && rel[:3] == ".."+string(filepath.Separator) {
			return filepath.ToSlash(name)
		}
		return filepath.ToSlash(rel)
	}
}

// validateFailed prints validate --json's document for a manifest that
// could not be loaded: its diagnostics, or the error that came before any
// (no manifest file) as a diagnostic without a range.
func (g *globals) validateFailed(err error) error {
	var ee *exitError
	d := g.diags
	msg := ""
	if !errors.As(err, &ee) {
		d = manifest.Diagnostics{Diags: hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot load the manifest", Detail: err.Error()}}}
		msg = err.Error()
	}
	if !d.HasErrors() { // should not happen: no manifest means an error
		d.Diags = append(d.Diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot load the manifest"})
	}
	if werr := writeJSON(g.stdout, newDiagnosticsDocument(d)); werr != nil {
		return werr
	}
	return &exitError{code: 1, msg: msg}
}
