package manifest

import (
	"bytes"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// hcl's parser and evaluator are recursive: an expression nested a few
// hundred thousand levels deep (x = [[[[…]]]], !!!!…x, a?a?a?…, 1+1+1+…,
// "%{if a}%{if a}…", x[*][*][*]…) overflows the goroutine stack, and a Go
// stack overflow is a fatal error that no recover() catches. So before any
// bytes reach hclparse, a manifest and every var file are bounded in size
// and scanned for how deeply they nest.
const (
	// maxSourceBytes bounds a manifest or var file: a real one is a few
	// kilobytes, and parsing costs about 450 times the file size in
	// memory at worst (a 1 MiB list of numbers takes 480 MB and 2 s; 4 MiB
	// took 1.9 GB and 9 s).
	maxSourceBytes = 1 << 20
	// maxNesting bounds how deeply an expression nests. Brackets, braces,
	// parentheses and template sequences (${ } and %{ }) each count one
	// level while they are open; so does every operator and index or splat
	// step in the current item of a list, call or block (they build one
	// level of the expression tree each), until the next "," or "=".
	// Every %{ } directive counts one level until its template ends.
	maxNesting = 256
)

// nestFrame is one open construct of the scan.
type nestFrame struct {
	kind byte // 0 the file, '(' '[' '{' brackets, '$' a template sequence, '"' a quoted template, '<' a heredoc
	// pending is what counts in this frame beside the frame itself:
	// operators and index steps of the current item (code frames), or
	// directives (template frames).
	pending int
	index   bool   // '[' right after an operand: an index or splat step, one more level of its parent
	marker  []byte // heredocs: the closing marker
	bol     bool   // heredocs: at the start of a line, where the marker may stand
	// lines is set where a newline ends an item, as in hcl: the file, a
	// block body or an object, but not a {for ...} expression (decided at
	// its first token, which seen says has come).
	lines, seen bool
}

func (f *nestFrame) isTemplate() bool { return f.kind == '"' || f.kind == '<' }

// nestScan is the state of nestingTooDeep.
type nestScan struct {
	src     []byte
	stack   []nestFrame
	depth   int  // open code frames plus every frame's pending count
	operand bool // the last token ended an operand, so a "[" is an index
	// unclosed is set once a "/*" has no "*/" after it: no later one has
	// either, and searching again for each would take quadratic time.
	unclosed bool
}

// nestingTooDeep returns the offset of the token at which src nests deeper
// than maxNesting, or -1.
//
// It follows hcl's own lexer (hclsyntax/scan_tokens.rl) wherever that
// decides what is code and what is text: quoted strings with their
// escapes, heredocs (<<EOF and <<-EOF, closed by a line holding only the
// marker), comments (#, // and a closed /* */), and the ${ } and %{ }
// sequences inside templates ($${ and %%{ are literal), where a "}" closes
// the sequence unless it closes a "{" opened inside it. Where it is unsure
// it errs towards counting: a bracket in text it took for code makes the
// count larger, never smaller.
func nestingTooDeep(src []byte) int {
	s := &nestScan{src: src, stack: []nestFrame{{kind: 0, lines: true, seen: true}}}
	for i := 0; i < len(src); {
		start := i
		i = s.step(i)
		if s.depth > maxNesting {
			return start
		}
	}
	return -1
}

func (s *nestScan) top() *nestFrame { return &s.stack[len(s.stack)-1] }

func (s *nestScan) push(f nestFrame) {
	if !f.isTemplate() {
		s.depth++
	}
	s.stack = append(s.stack, f)
}

func (s *nestScan) pop() nestFrame {
	f := s.stack[len(s.stack)-1]
	s.stack = s.stack[:len(s.stack)-1]
	s.depth -= f.pending
	if !f.isTemplate() {
		s.depth--
	}
	return f
}

func (s *nestScan) count(f *nestFrame) {
	f.pending++
	s.depth++
}

// closeCode pops a bracket frame; an index step counts in its parent.
func (s *nestScan) closeCode() {
	if f := s.pop(); f.index {
		s.count(s.top())
	}
	s.operand = true
}

// step scans the token at src[i] and returns the offset after it.
func (s *nestScan) step(i int) int {
	src, f, c := s.src, s.top(), s.src[i]
	at := func(j int, b byte) bool { return j < len(src) && src[j] == b }

	if f.isTemplate() {
		if f.kind == '<' && f.bol {
			f.bol = false
			if nl := bytes.IndexByte(src[i:], '\n'); nl >= 0 && bytes.Equal(bytes.TrimSpace(src[i:i+nl]), f.marker) {
				s.pop()
				s.operand = true
				return i + nl // the newline belongs to the code around
			}
		}
		switch {
		case (c == '$' || c == '%') && at(i+1, '{'):
			if c == '%' {
				// A directive counts in its template until the template
				// ends: nested %{if} and %{for} build one level each,
				// and which %{ } closes which is not worth working out.
				s.count(f)
			}
			s.push(nestFrame{kind: '$'})
			s.operand = false
			return i + 2
		case (c == '$' || c == '%') && at(i+1, c) && at(i+2, '{'):
			return i + 3 // $${ and %%{ are literal
		case f.kind == '"' && c == '\\' && i+1 < len(src) && src[i+1] != '\n' && src[i+1] != '\r':
			return i + 2
		case f.kind == '"' && c == '"':
			s.pop()
			s.operand = true
		case f.kind == '<' && c == '\n':
			f.bol = true
		}
		return i + 1
	}

	// Code: the file, a bracket or a template sequence.
	switch {
	case c == '\n' && f.lines:
		// A new item: what counted in the previous one is done.
		s.depth -= f.pending
		f.pending = 0
		s.operand = false
		return i + 1
	case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		return i + 1
	case c == '#' || c == '/' && at(i+1, '/'):
		if nl := bytes.IndexByte(src[i:], '\n'); nl >= 0 {
			return i + nl
		}
		return len(src)
	case c == '/' && at(i+1, '*') && !s.unclosed:
		if end := bytes.Index(src[i+2:], []byte("*/")); end >= 0 {
			return i + 2 + end + 2
		}
		s.unclosed = true // to hcl, "/" and "*" are then operators
		return i
	case f.kind == '{' && !f.seen:
		f.seen = true
		f.lines = !(bytes.HasPrefix(src[i:], []byte("for")) && (i+3 == len(src) || !isIdentByte(src[i+3]) && src[i+3] != '-' && (src[i+3] < '0' || src[i+3] > '9')))
		return i // the token itself is scanned next
	case c == '"':
		s.push(nestFrame{kind: '"'})
		s.operand = false
		return i + 1
	case c == '<':
		if marker, n := heredocStart(src[i:]); n > 0 {
			s.push(nestFrame{kind: '<', marker: marker, bol: true})
			s.operand = false
			return i + n
		}
	case c == '(' || c == '[' || c == '{':
		s.push(nestFrame{kind: c, index: c == '[' && s.operand})
		s.operand = false
		return i + 1
	case c == ')' || c == ']':
		if f.kind == '(' && c == ')' || f.kind == '[' && c == ']' {
			s.closeCode()
		} else {
			s.operand = true // a stray closer: hcl reports it
		}
		return i + 1
	case c == '}':
		// Like hcl's lexer: "}" closes the innermost "{" or, when none
		// was opened since, the template sequence. (Above either there
		// can only be unclosed brackets, which hcl reports.)
		j := len(s.stack) - 1
		for j > 0 && s.stack[j].kind != '{' && s.stack[j].kind != '$' {
			j--
		}
		switch s.stack[j].kind {
		case '{':
			for len(s.stack)-1 > j {
				s.pop()
			}
			s.closeCode()
		case '$':
			for len(s.stack) > j {
				s.pop()
			}
			s.operand = false // back in the template
		}
		return i + 1
	case c == ',' || c == '=' && !at(i+1, '=') && !at(i+1, '>'):
		// A new item: what counted in the previous one is done.
		s.depth -= f.pending
		f.pending = 0
		s.operand = false
		return i + 1
	case isIdentByte(c):
		for i < len(src) && (isIdentByte(src[i]) || src[i] == '-' || src[i] >= '0' && src[i] <= '9') {
			i++
		}
		s.operand = true
		return i
	case c >= '0' && c <= '9':
		for i < len(src) && (src[i] >= '0' && src[i] <= '9' || src[i] == '.' || src[i] == 'e' || src[i] == 'E' ||
			(src[i] == '+' || src[i] == '-') && (src[i-1] == 'e' || src[i-1] == 'E')) {
			i++
		}
		s.operand = true
		return i
	case c == '.':
		// A traversal step (.name, .0) adds no level; ".*" counts as the
		// operator "*".
		return i + 1
	}
	// Operators: + - * / % ! ? : & | < > == != <= >= && || => :: and
	// anything hcl will reject. Each builds one level of the tree.
	s.count(f)
	s.operand = false
	i++
	for i < len(src) && isOperatorTail(src[i-1], src[i]) {
		i++
	}
	return i
}

// heredocStart matches hcl's heredoc introducer at the start of b:
// "<<" or "<<-", an identifier, and a newline. It returns the marker and
// the length of the introducer, or 0. Identifiers are ASCII here (hcl also
// allows other letters), so that a heredoc is never seen where hcl sees
// none.
func heredocStart(b []byte) ([]byte, int) {
	if len(b) < 4 || b[0] != '<' || b[1] != '<' {
		return nil, 0
	}
	j := 2
	if b[j] == '-' {
		j++
	}
	start := j
	if j >= len(b) || !(b[j] == '_' || b[j] >= 'a' && b[j] <= 'z' || b[j] >= 'A' && b[j] <= 'Z') {
		return nil, 0
	}
	for j < len(b) && (b[j] == '_' || b[j] == '-' || b[j] >= 'a' && b[j] <= 'z' || b[j] >= 'A' && b[j] <= 'Z' || b[j] >= '0' && b[j] <= '9') {
		j++
	}
	marker := b[start:j]
	if j < len(b) && b[j] == '\r' {
		j++
	}
	if j >= len(b) || b[j] != '\n' {
		return nil, 0
	}
	return marker, j + 1
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf
}

// isOperatorTail reports whether next continues the operator that prev
// ends: == != <= >= && || => ::
func isOperatorTail(prev, next byte) bool {
	switch prev {
	case '=', '!', '<', '>':
		return next == '=' || prev == '=' && next == '>'
	case '&', '|', ':':
		return next == prev
	}
	return false
}

// posAt is the position of byte offset off in src, counting columns in
// characters as hcl does for ASCII.
func posAt(src []byte, off int) hcl.Pos {
	line := 1 + bytes.Count(src[:off], []byte("\n"))
	lineStart := bytes.LastIndexByte(src[:off], '\n') + 1
	return hcl.Pos{Line: line, Column: 1 + utf8.RuneCount(src[lineStart:off]), Byte: off}
}
