package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/lambdas-dev/lambdas/planner/plan"
)

// How many changed files a human view lists before it just counts.
const shownFiles = 5

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeJSONLine writes v as one line of JSON (JSON Lines).
func writeJSONLine(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

type palette struct{ on bool }

func (p palette) wrap(code, s string) string {
	if !p.on {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}
func (p palette) green(s string) string  { return p.wrap("32", s) }
func (p palette) yellow(s string) string { return p.wrap("33", s) }
func (p palette) red(s string) string    { return p.wrap("31", s) }
func (p palette) bold(s string) string   { return p.wrap("1", s) }
func (p palette) dim(s string) string    { return p.wrap("2", s) }

func symbol(c plan.Change) string {
	switch c {
	case plan.New:
		return "+"
	case plan.Changed:
		return "~"
	}
	return "="
}

func stepNames(steps []plan.Step) string {
	names := make([]string, len(steps))
	for i, s := range steps {
		names[i] = string(s.Name)
	}
	return strings.Join(names, " → ")
}

// renderPlanHuman prints the plan like terraform plan: a line per function
// with its symbol, then the reasons, the files and the steps.
func renderPlanHuman(w io.Writer, p *plan.Plan, color bool) error {
	c := palette{color}
	head := plan.ShortHash(p.Head)
	if p.Branch != "" {
		head += " (" + p.Branch + ")"
	}
	fmt.Fprintf(w, "Project %s at %s", p.Project, head)
	if p.Dirty {
		fmt.Fprint(w, c.yellow(", with uncommitted changes"))
	}
	fmt.Fprintln(w)
	for _, n := range p.Notes {
		fmt.Fprintf(w, "%s %s\n", c.yellow("Note:"), n)
	}
	fmt.Fprintln(w)
	for _, f := range p.Functions {
		sym := symbol(f.Change)
		switch f.Change {
		case plan.New:
			sym = c.green(sym)
		case plan.Changed:
			sym = c.yellow(sym)
		default:
			sym = c.dim(sym)
		}
		name := f.Name
		if f.FunctionName != f.Name {
			name += " " + c.dim("("+f.FunctionName+")")
		}
		change := c.dim(string(f.Change))
		if len(f.Drift) > 0 {
			change += " " + c.yellow("(drifted)")
		}
		fmt.Fprintf(w, "  %s %s %s\n", sym, c.bold(name), change)
		if f.Change == plan.Unchanged {
			continue
		}
		for _, r := range f.Reasons {
			fmt.Fprintf(w, "      %s\n", r)
		}
		for i, file := range f.ChangedFiles {
			if i == shownFiles {
				break
			}
			fmt.Fprintf(w, "        %s\n", c.dim(file))
		}
		if more := len(f.ChangedFiles) - shownFiles + f.ChangedFilesOmitted; more > 0 && len(f.ChangedFiles) >= shownFiles {
			fmt.Fprintf(w, "        %s\n", c.dim(fmt.Sprintf("… and %d more", more)))
		}
		for i, file := range f.Uncommitted {
			if i == shownFiles {
				fmt.Fprintf(w, "        %s\n", c.dim(fmt.Sprintf("… and %d more uncommitted", len(f.Uncommitted)-shownFiles)))
				break
			}
			fmt.Fprintf(w, "        %s %s\n", c.dim(file), c.yellow("(uncommitted)"))
		}
		// How the dependency layer is made (which builder "auto" chose), or
		// which cached version is attached.
		if st := f.Step(plan.StepBuildDependencies); st != nil {
			fmt.Fprintf(w, "      layer: %s\n", st.Reason)
		} else if st := f.Step(plan.StepAttachLayer); st != nil && st.Layer != nil && st.Layer.LayerVersionArn != "" {
			fmt.Fprintf(w, "      layer: %s, built before for this dependency fingerprint\n", st.Layer.LayerVersionArn)
		}
		fmt.Fprintf(w, "      steps: %s\n", stepNames(f.Steps))
		if st := f.Step(plan.StepMoveAlias); st != nil && st.Alias != nil && (st.Alias.Gradual() || st.Alias.Group != "") {
			fmt.Fprintf(w, "      %s\n", c.dim(st.Reason)) // the rollout (view_rollout.go)
		}
	}
	s := p.Summary
	fmt.Fprintln(w)
	if !p.HasChanges() {
		fmt.Fprintf(w, "%s Every function matches its last release (%d unchanged).\n", c.green("No changes."), s.Unchanged)
		return nil
	}
	fmt.Fprintf(w, "%s %d new, %d changed, %d unchanged.\n", c.bold("Plan:"), s.New, s.Changed, s.Unchanged)
	return nil
}

// renderPlanMarkdown prints the plan for a pull-request comment.
func renderPlanMarkdown(w io.Writer, p *plan.Plan) error {
	s := p.Summary
	fmt.Fprintf(w, "### lambdas plan: %s\n\n", p.Project)
	fmt.Fprintf(w, "At `%s`", plan.ShortHash(p.Head))
	if p.Branch != "" {
		fmt.Fprintf(w, " on `%s`", p.Branch)
	}
	if p.Dirty {
		fmt.Fprint(w, ", **with uncommitted changes**")
	}
	fmt.Fprintf(w, ": **%d new, %d changed, %d unchanged**.\n\n", s.New, s.Changed, s.Unchanged)
	for _, n := range p.Notes {
		fmt.Fprintf(w, "> %s\n\n", n)
	}
	fmt.Fprintln(w, "| | function | change | why | steps |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, f := range p.Functions {
		why := strings.Join(f.Reasons, "; ")
		fmt.Fprintf(w, "| %s | `%s` | %s | %s | %s |\n", symbol(f.Change), f.Name, f.Change, mdEscape(why), mdEscape(stepNames(f.Steps)))
	}
	var files []string
	for _, f := range p.Functions {
		if len(f.ChangedFiles) > 0 {
			files = append(files, fmt.Sprintf("- `%s`: %s", f.Name, strings.Join(wrapCode(f.ChangedFiles), ", ")))
		}
	}
	if len(files) > 0 {
		fmt.Fprintf(w, "\n<details><summary>Changed files</summary>\n\n%s\n\n</details>\n", strings.Join(files, "\n"))
	}
	return nil
}

func wrapCode(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = "`" + s + "`"
	}
	return out
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
