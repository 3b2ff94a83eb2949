package manifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// checkDescriptorContent reads a dependency descriptor (and its lockfile)
// and reports what a builder would choke on, pointing at the line in the
// descriptor itself: a plan must not promise a build that cannot work.
func (l *loader) checkDescriptorContent(rel string, ref hcl.Range) {
	switch path.Base(rel) {
	case "package.json":
		l.checkJSONFile(rel, ref)
		lock := path.Join(path.Dir(rel), "package-lock.json")
		if _, err := os.Stat(filepath.Join(l.root, filepath.FromSlash(lock))); err == nil {
			l.checkJSONFile(lock, ref)
		}
	case "requirements.txt":
		l.checkRequirements(rel, ref)
	}
}

// descriptorRange is a position in a descriptor, named as the user sees it;
// the descriptor's text is kept for the diagnostic's snippet.
func (l *loader) descriptorRange(rel string, data []byte, line, col int) hcl.Range {
	name := rel
	if r, err := filepath.Rel(l.dir, filepath.Join(l.root, filepath.FromSlash(rel))); err == nil {
		name = filepath.ToSlash(r)
	}
	if l.sources == nil {
		l.sources = map[string]*hcl.File{}
	}
	l.sources[name] = &hcl.File{Bytes: data}
	// Snippets are cut by byte offset: find the line's.
	off := 0
	for n := 1; n < line && off < len(data); off++ {
		if data[off] == '\n' {
			n++
		}
	}
	off += col - 1
	end := off
	for end < len(data) && data[end] != '\n' && data[end] != '\r' {
		end++
	}
	if end == off {
		end = off + 1
	}
	return hcl.Range{Filename: name,
		Start: hcl.Pos{Line: line, Column: col, Byte: off},
		End:   hcl.Pos{Line: line, Column: col + end - off, Byte: end}}
}

func (l *loader) checkJSONFile(rel string, ref hcl.Range) {
	data, err := os.ReadFile(filepath.Join(l.root, filepath.FromSlash(rel)))
	if err != nil {
		return // existence is checked with the path
	}
	var doc map[string]any
	err = json.Unmarshal(data, &doc)
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := lineCol(data, int(syn.Offset))
		l.errorAt(l.descriptorRange(rel, data, line, col), "Invalid "+path.Base(rel),
			fmt.Sprintf("%s is not valid JSON: %s. %s It is the dependencies of the function at %s line %d.", rel, syn, jsonHint(rel), l.name, ref.Start.Line))
		return
	case errors.As(err, &typ), err != nil:
		l.errorAt(l.descriptorRange(rel, data, 1, 1), "Invalid "+path.Base(rel),
			fmt.Sprintf("%s must hold a JSON object: %v. It is the dependencies of the function at %s line %d.", rel, err, l.name, ref.Start.Line))
		return
	}
	for _, key := range []string{"dependencies", "optionalDependencies"} {
		if v, ok := doc[key]; ok {
			if _, isObj := v.(map[string]any); !isObj {
				l.errorAt(l.descriptorRange(rel, data, 1, 1), "Invalid "+path.Base(rel),
					fmt.Sprintf("In %s, %q must be an object of package names to versions, e.g. {\"ms\": \"2.1.3\"}.", rel, key))
			}
		}
	}
}

func jsonHint(rel string) string {
	if path.Base(rel) == "package-lock.json" {
		return "Regenerate it with `npm install --package-lock-only` in its folder."
	}
	return "Fix the JSON; `npm pkg get name` in its folder checks it."
}

func lineCol(data []byte, offset int) (int, int) {
	if offset > len(data) {
		offset = len(data)
	}
	line, col := 1, 1
	for _, b := range data[:offset] {
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// A requirement line: a project name, optional [extras], then a version
// specifier, a marker (;), a direct reference (@) or nothing.
var (
	requirementName = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*(?:\[[^\]]*\])?\s*`)
	requirementRest = regexp.MustCompile(`^(?:(?:===|==|!=|~=|>=|<=|<|>)|;|@|$)`)
)

// checkRequirements checks each line of a requirements.txt the way pip
// would read it, and points at the first bad line.
func (l *loader) checkRequirements(rel string, ref hcl.Range) {
	data, err := os.ReadFile(filepath.Join(l.root, filepath.FromSlash(rel)))
	if err != nil {
		return
	}
	for i, raw := range strings.Split(string(data), "\n") {
		line := raw
		if j := strings.Index(line, " #"); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimSpace(line)
		switch {
		case line == "", strings.HasPrefix(line, "#"), strings.HasPrefix(line, "-"):
			continue // blank, comment, or an option such as -r, --index-url, -e
		case strings.Contains(line, "://"), strings.HasPrefix(line, "."), strings.HasPrefix(line, "/"):
			continue // a URL or a local path
		}
		name := requirementName.FindString(line)
		rest := strings.TrimSpace(line[len(name):])
		if name != "" && requirementRest.MatchString(rest) {
			continue
		}
		hint := "Each line is a package name with an optional version, e.g. \"requests==2.32.3\"."
		if name != "" && strings.HasPrefix(rest, "=") && !strings.HasPrefix(rest, "==") {
			hint = fmt.Sprintf("Did you mean %q? A single \"=\" is not a version specifier.", strings.TrimSpace(name)+"="+rest)
		}
		l.errorAt(l.descriptorRange(rel, data, i+1, 1), "Invalid requirement",
			fmt.Sprintf("%s line %d: %q is not a requirement pip can read. %s It is the dependencies of the function at %s line %d.", rel, i+1, line, hint, l.name, ref.Start.Line))
		return
	}
}
