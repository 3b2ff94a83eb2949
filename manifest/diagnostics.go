package manifest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	wordwrap "github.com/mitchellh/go-wordwrap"
	"github.com/zclconf/go-cty/cty"
)

// Diagnostics carries hcl diagnostics plus the parsed files needed to render
// source snippets. Load returns it both on success (warnings only, possibly
// none) and on failure.
//
// Diagnostics implements error (one line per diagnostic), so a caller that
// has no terminal can simply return it; Err gives a nil-safe error value.
type Diagnostics struct {
	Diags hcl.Diagnostics
	Files map[string]*hcl.File
}

// HasErrors reports whether at least one diagnostic is an error (warnings
// alone do not count).
func (d Diagnostics) HasErrors() bool { return d.Diags.HasErrors() }

// Err returns d as an error when it holds errors, nil otherwise. The result
// is a pointer so that comparing it with == never panics.
func (d Diagnostics) Err() error {
	if !d.HasErrors() {
		return nil
	}
	return &d
}

// Error returns one line per diagnostic: "file:line:col: summary: detail"
// (warnings carry "warning: " after the position). Multi-line details are
// folded into the line.
func (d Diagnostics) Error() string {
	var b strings.Builder
	for i, diag := range d.Diags {
		if i > 0 {
			b.WriteByte('\n')
		}
		if diag.Subject != nil {
			fmt.Fprintf(&b, "%s:%d:%d: ", diag.Subject.Filename, diag.Subject.Start.Line, diag.Subject.Start.Column)
		}
		if diag.Severity == hcl.DiagWarning {
			b.WriteString("warning: ")
		}
		b.WriteString(diag.Summary)
		if diag.Detail != "" {
			b.WriteString(": ")
			b.WriteString(strings.Join(strings.Fields(diag.Detail), " "))
		}
	}
	return b.String()
}

// WriteText renders every diagnostic the way Terraform does: the severity
// and summary, "on FILE line N, in BLOCK:", the source lines of the subject
// with its range marked, then the detail (which holds the hint).
//
// With color the range is underlined with VT100 codes, as hcl's own writer
// does; without color (files, CI logs, golden tests) a line of carets marks
// it instead, since hcl's writer then marks nothing at all. width > 0 wraps
// the detail text at that width.
func (d Diagnostics) WriteText(w io.Writer, width uint, color bool) error {
	for _, diag := range d.Diags {
		if err := writeDiagnostic(w, d.Files, diag, width, color); err != nil {
			return err
		}
	}
	return nil
}

func writeDiagnostic(w io.Writer, files map[string]*hcl.File, diag *hcl.Diagnostic, width uint, color bool) error {
	var b bytes.Buffer
	var colorCode, highlight, reset string
	if color {
		switch diag.Severity {
		case hcl.DiagError:
			colorCode = "\x1b[31m"
		case hcl.DiagWarning:
			colorCode = "\x1b[33m"
		}
		highlight, reset = "\x1b[1;4m", "\x1b[0m"
	}
	severity := "Error"
	if diag.Severity == hcl.DiagWarning {
		severity = "Warning"
	}
	fmt.Fprintf(&b, "%s%s%s: %s\n\n", colorCode, severity, reset, diag.Summary)

	if diag.Subject != nil {
		writeSnippet(&b, files, diag, highlight, reset)
		writeExpressionValues(&b, diag)
	}
	if diag.Detail != "" {
		detail := diag.Detail
		if width > 0 {
			detail = wordwrap.WrapString(detail, width)
		}
		fmt.Fprintf(&b, "%s\n\n", detail)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func writeSnippet(b *bytes.Buffer, files map[string]*hcl.File, diag *hcl.Diagnostic, highlight, reset string) {
	subject := *diag.Subject
	file := files[subject.Filename]
	if file == nil || file.Bytes == nil {
		fmt.Fprintf(b, "  on %s line %d:\n  (source code not available)\n\n", subject.Filename, subject.Start.Line)
		return
	}
	snip := subject
	if diag.Context != nil {
		snip = hcl.RangeOver(snip, *diag.Context)
	}
	// An empty range cannot be shown; widen it to one character.
	if snip.Empty() {
		snip.End.Byte++
		snip.End.Column++
	}
	mark := subject
	if mark.Empty() {
		mark.End.Byte++
		mark.End.Column++
	}

	where := ""
	// An empty subject at the very start means "this file" (e.g. a missing
	// project block): naming the first block there would mislead.
	atFileStart := subject.Empty() && subject.Start.Byte == 0
	if cs, ok := file.Nav.(interface{ ContextString(int) string }); ok && !atFileStart {
		if s := cs.ContextString(subject.Start.Byte); s != "" {
			where = ", in " + s
		}
	}
	fmt.Fprintf(b, "  on %s line %d%s:\n", subject.Filename, subject.Start.Line, where)

	src := file.Bytes
	sc := hcl.NewRangeScanner(src, subject.Filename, bufio.ScanLines)
	marks := false // whether a caret line was written
	for sc.Scan() {
		line := sc.Range()
		if !line.Overlaps(snip) {
			continue
		}
		prefix := fmt.Sprintf("%4d: ", line.Start.Line)
		before, marked, after := line.PartitionAround(mark)
		if marked.Empty() {
			// Syntax errors often point at the end of a line (the newline
			// itself): mark the spot just after the last character.
			if highlight == "" && !marks && mark.Start.Byte >= line.Start.Byte && mark.Start.Byte <= line.End.Byte {
				pre, _, post := clip(src[line.Start.Byte:mark.Start.Byte], nil, src[mark.Start.Byte:line.End.Byte])
				fmt.Fprintf(b, "%s%s%s\n", prefix, pre, post)
				fmt.Fprintf(b, "%s%s^\n", strings.Repeat(" ", len(prefix)), caretPad(pre))
				marks = true
				continue
			}
			_, _, text := clip(nil, nil, sc.Bytes())
			fmt.Fprintf(b, "%s%s\n", prefix, text)
			continue
		}
		pre, hi, post := clip(before.SliceBytes(src), marked.SliceBytes(src), after.SliceBytes(src))
		if highlight != "" {
			fmt.Fprintf(b, "%s%s%s%s%s%s\n", prefix, pre, highlight, hi, reset, post)
			continue
		}
		fmt.Fprintf(b, "%s%s%s%s\n", prefix, pre, hi, post)
		n := max(utf8.RuneCount(hi), 1)
		fmt.Fprintf(b, "%s%s%s\n", strings.Repeat(" ", len(prefix)), caretPad(pre), strings.Repeat("^", n))
		marks = true
	}
	b.WriteByte('\n')
}

// maxSnippetLine is the longest source line a snippet shows whole; a
// longer one (a generated manifest, 80,000 brackets on one line) is cut to
// what is around the marked range, with "…" where text is left out.
const (
	maxSnippetLine = 200
	snippetContext = 60
)

// clip cuts a long line, given as the parts before, in and after the
// marked range, to a window around the mark.
func clip(pre, hi, post []byte) ([]byte, []byte, []byte) {
	if len(pre)+len(hi)+len(post) <= maxSnippetLine {
		return pre, hi, post
	}
	ellipsis := []byte("…")
	room := max(snippetContext, maxSnippetLine-min(len(pre), snippetContext)-len(hi))
	if len(pre) > snippetContext {
		pre = append(ellipsis, pre[runeStart(pre, len(pre)-snippetContext):]...)
	}
	// The full slice expressions make append copy rather than write into
	// the source.
	if len(hi) > maxSnippetLine {
		cut := runeStart(hi, maxSnippetLine)
		return pre, append(hi[:cut:cut], ellipsis...), nil
	}
	if len(post) > room {
		cut := runeStart(post, room)
		post = append(post[:cut:cut], ellipsis...)
	}
	return pre, hi, post
}

// runeStart moves offset i in b back to the start of a character.
func runeStart(b []byte, i int) int {
	for i > 0 && i < len(b) && !utf8.RuneStart(b[i]) {
		i--
	}
	return i
}

// caretPad turns the source before the marked range into blanks, keeping
// tabs so that the carets line up under tab-indented source.
func caretPad(pre []byte) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' {
			return r
		}
		return ' '
	}, string(pre))
}

// writeExpressionValues adds "with var.x as "y"" lines, as Terraform does,
// for diagnostics that hcl produced while evaluating an expression: they
// show the values that led to the error.
func writeExpressionValues(b *bytes.Buffer, diag *hcl.Diagnostic) {
	if diag.Expression == nil || diag.EvalContext == nil {
		return
	}
	seen := map[string]bool{}
	var stmts []string
	for _, tr := range diag.Expression.Variables() {
		val, diags := tr.TraverseAbs(diag.EvalContext)
		if diags.HasErrors() || !val.IsWhollyKnown() {
			continue
		}
		name := traversalString(tr)
		if seen[name] {
			continue
		}
		seen[name] = true
		stmts = append(stmts, name+" as "+valueString(val))
	}
	sort.Strings(stmts)
	for i, s := range stmts {
		lead, end := "     ", ",\n"
		if i == 0 {
			lead = "with "
		}
		if i == len(stmts)-1 {
			end = ".\n\n"
		}
		b.WriteString(lead + s + end)
	}
}

func traversalString(tr hcl.Traversal) string {
	var b strings.Builder
	for _, step := range tr {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			b.WriteString(s.Name)
		case hcl.TraverseAttr:
			b.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			if s.Key.Type().IsPrimitiveType() && s.Key.IsKnown() {
				b.WriteString("[" + valueString(s.Key) + "]")
			} else {
				b.WriteString("[...]")
			}
		}
	}
	return b.String()
}

// valueString is a short human rendering of a value for diagnostics.
func valueString(v cty.Value) string {
	ty := v.Type()
	switch {
	case v.IsNull():
		return "null"
	case !v.IsKnown():
		return "(not known)"
	case ty == cty.String:
		return fmt.Sprintf("%q", v.AsString())
	case ty == cty.Number:
		return v.AsBigFloat().Text('g', 10)
	case ty == cty.Bool:
		if v.True() {
			return "true"
		}
		return "false"
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		return fmt.Sprintf("a list of %d elements", v.LengthInt())
	case ty.IsMapType() || ty.IsObjectType():
		return fmt.Sprintf("an object of %d attributes", v.LengthInt())
	}
	return ty.FriendlyName()
}

// finish removes exact duplicates (a mistake in the defaults block is seen
// once per function) and orders diagnostics as a reader goes through the
// files: those without a position first, then the manifest (named first),
// then other files (var files), each by position.
func finish(diags hcl.Diagnostics, first string) hcl.Diagnostics {
	type key struct {
		sev             hcl.DiagnosticSeverity
		summary, detail string
		subject         hcl.Range
	}
	seen := map[key]bool{}
	var out hcl.Diagnostics
	for _, d := range diags {
		k := key{sev: d.Severity, summary: d.Summary, detail: d.Detail}
		if d.Subject != nil {
			k.subject = *d.Subject
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Subject, out[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			if a.Filename == first || b.Filename == first {
				return a.Filename == first
			}
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
	return out
}
