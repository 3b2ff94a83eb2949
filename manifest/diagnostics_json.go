package manifest

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// JSONDiagnostic is one diagnostic in the shape terraform validate -json
// gives it, for editors and CI: the severity, summary and detail, where it
// is (Range, nil for a problem of no particular place) and the source
// lines it points at.
type JSONDiagnostic struct {
	Severity string       `json:"severity"` // "error" or "warning"
	Summary  string       `json:"summary"`
	Detail   string       `json:"detail,omitempty"`
	Range    *JSONRange   `json:"range,omitempty"`
	Snippet  *JSONSnippet `json:"snippet,omitempty"`
}

// JSONRange is a source range: the file name as the diagnostics name it
// (the manifest path as given to Load), and 1-based lines and columns
// (columns count characters); Byte is the 0-based offset in the file.
type JSONRange struct {
	Filename string  `json:"filename"`
	Start    JSONPos `json:"start"`
	End      JSONPos `json:"end"`
}

// JSONPos is a position in a file.
type JSONPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// JSONSnippet is the source a diagnostic points at: Context names the
// block (`function "orders-api"`), Code holds the whole lines of the range,
// StartLine the first one's number, and the highlight offsets the range
// within Code (in bytes).
type JSONSnippet struct {
	Context              string `json:"context,omitempty"`
	Code                 string `json:"code"`
	StartLine            int    `json:"start_line"`
	HighlightStartOffset int    `json:"highlight_start_offset"`
	HighlightEndOffset   int    `json:"highlight_end_offset"`
}

// JSON returns every diagnostic in its JSON shape, in order; never nil.
func (d Diagnostics) JSON() []JSONDiagnostic {
	out := make([]JSONDiagnostic, 0, len(d.Diags))
	for _, diag := range d.Diags {
		jd := JSONDiagnostic{Severity: "error", Summary: diag.Summary, Detail: diag.Detail}
		if diag.Severity == hcl.DiagWarning {
			jd.Severity = "warning"
		}
		if s := diag.Subject; s != nil {
			jd.Range = &JSONRange{
				Filename: s.Filename,
				Start:    JSONPos{Line: s.Start.Line, Column: s.Start.Column, Byte: s.Start.Byte},
				End:      JSONPos{Line: s.End.Line, Column: s.End.Column, Byte: s.End.Byte},
			}
			jd.Snippet = snippetJSON(d.Files[s.Filename], *s)
		}
		out = append(out, jd)
	}
	return out
}

// Counts returns the number of errors and of warnings.
func (d Diagnostics) Counts() (errors, warnings int) {
	for _, diag := range d.Diags {
		if diag.Severity == hcl.DiagWarning {
			warnings++
		} else {
			errors++
		}
	}
	return errors, warnings
}

func snippetJSON(file *hcl.File, subject hcl.Range) *JSONSnippet {
	if file == nil || file.Bytes == nil || subject.Start.Byte > len(file.Bytes) {
		return nil
	}
	src := file.Bytes
	sn := &JSONSnippet{}
	if cs, ok := file.Nav.(interface{ ContextString(int) string }); ok && !(subject.Empty() && subject.Start.Byte == 0) {
		sn.Context = cs.ContextString(subject.Start.Byte)
	}
	// The whole lines the range touches (an empty range: its line).
	sc := hcl.NewRangeScanner(src, subject.Filename, bufio.ScanLines)
	var lines []string
	codeStart := -1
	for sc.Scan() {
		line := sc.Range()
		touches := line.Overlaps(subject) ||
			(subject.Start.Byte >= line.Start.Byte && subject.Start.Byte <= line.End.Byte)
		if !touches {
			if codeStart >= 0 {
				break
			}
			continue
		}
		if codeStart < 0 {
			codeStart = line.Start.Byte
			sn.StartLine = line.Start.Line
		}
		lines = append(lines, string(sc.Bytes()))
	}
	if codeStart < 0 {
		return nil
	}
	sn.Code = strings.Join(lines, "\n")
	sn.HighlightStartOffset = min(max(subject.Start.Byte-codeStart, 0), len(sn.Code))
	sn.HighlightEndOffset = min(max(subject.End.Byte-codeStart, sn.HighlightStartOffset), len(sn.Code))
	return sn
}

// WriteGitHub writes each diagnostic as a GitHub Actions workflow command
// (::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::detail, or
// ::warning), which marks the line on a pull request's diff. path maps a
// diagnostic's file name to the path GitHub knows, relative to the
// repository root; nil keeps it as it is.
func (d Diagnostics) WriteGitHub(w io.Writer, path func(string) string) error {
	for _, diag := range d.Diags {
		cmd := "error"
		if diag.Severity == hcl.DiagWarning {
			cmd = "warning"
		}
		var props []string
		if s := diag.Subject; s != nil {
			name := s.Filename
			if path != nil {
				name = path(name)
			}
			props = append(props, "file="+escapeProperty(name), fmt.Sprintf("line=%d", s.Start.Line), fmt.Sprintf("col=%d", s.Start.Column))
			if s.End.Line > 0 {
				props = append(props, fmt.Sprintf("endLine=%d", s.End.Line))
				if s.End.Line == s.Start.Line {
					props = append(props, fmt.Sprintf("endColumn=%d", s.End.Column))
				}
			}
		}
		props = append(props, "title="+escapeProperty(diag.Summary))
		msg := diag.Detail
		if msg == "" {
			msg = diag.Summary
		}
		if _, err := fmt.Fprintf(w, "::%s %s::%s\n", cmd, strings.Join(props, ","), escapeData(msg)); err != nil {
			return err
		}
	}
	return nil
}

// escapeData escapes a workflow command's message as the runner expects
// (actions/toolkit's escapeData).
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value
// (actions/toolkit's escapeProperty).
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
