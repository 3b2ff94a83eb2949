package manifest

import (
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// maxFileSize bounds what file() reads: it is meant for small snippets
// (a policy, a version string), not for data.
const maxFileSize = 4 << 20

// envUnsetError is returned by env() so that the loader can turn hcl's
// generic "Error in function call" into a message about the variable.
type envUnsetError struct{ name string }

func (e *envUnsetError) Error() string {
	return fmt.Sprintf("environment variable %s is not set", e.name)
}

// fileError is returned by file() for the same reason.
type fileError struct{ msg string }

func (e *fileError) Error() string { return e.msg }

// functions are the functions a manifest expression may call.
func (l *loader) functions() map[string]function.Function {
	return map[string]function.Function{
		"env":       l.envFunc(),
		"file":      l.fileFunc(),
		"format":    boundedFormat,
		"concat":    stdlib.ConcatFunc,
		"lower":     stdlib.LowerFunc,
		"upper":     stdlib.UpperFunc,
		"join":      stdlib.JoinFunc,
		"trimspace": stdlib.TrimSpaceFunc, // file() results usually end with a newline
	}
}

// formatWidth finds the widths and precisions of format verbs.
var formatWidth = regexp.MustCompile(`%[-+# 0]*(\d*)(?:\.(\d*))?`)

// maxFormatWidth bounds a verb's width: format("%0999999999d", 0) would
// otherwise allocate a gigabyte while loading a manifest.
const maxFormatWidth = 10000

// boundedFormat is stdlib's format with widths and precisions bounded.
var boundedFormat = function.New(&function.Spec{
	Description: stdlib.FormatFunc.Description(),
	Params:      stdlib.FormatFunc.Params(),
	VarParam:    stdlib.FormatFunc.VarParam(),
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if len(args) > 0 && args[0].IsKnown() && !args[0].IsNull() && args[0].Type() == cty.String {
			for _, m := range formatWidth.FindAllStringSubmatch(args[0].AsString(), -1) {
				for _, n := range m[1:] {
					if w, err := strconv.Atoi(n); (err == nil && w > maxFormatWidth) || len(n) > 7 {
						return cty.NilVal, function.NewArgErrorf(0, "a width or precision of %s is too large (at most %d)", n, maxFormatWidth)
					}
				}
			}
		}
		return stdlib.FormatFunc.Call(args)
	},
})

func (l *loader) envFunc() function.Function {
	return function.New(&function.Spec{
		Description: "Returns the value of an environment variable, or the fallback when it is unset.",
		Params:      []function.Parameter{{Name: "name", Type: cty.String}},
		VarParam:    &function.Parameter{Name: "fallback", Type: cty.String},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if len(args) > 2 {
				return cty.NilVal, function.NewArgErrorf(2, "env takes a name and at most one fallback value")
			}
			name := args[0].AsString()
			if name == "" || strings.ContainsAny(name, "=\x00") {
				return cty.NilVal, function.NewArgErrorf(0, "%q is not an environment variable name", name)
			}
			v, ok := l.opts.LookupEnv(name)
			if !ok {
				if len(args) < 2 {
					return cty.NilVal, &envUnsetError{name: name}
				}
				v = args[1].AsString()
			}
			l.record("env:"+name, v)
			return cty.StringVal(v), nil
		},
	})
}

func (l *loader) fileFunc() function.Function {
	return function.New(&function.Spec{
		Description: "Returns the contents of a text file, relative to the manifest folder.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			data, err := l.readRepoFile(p)
			if err != nil {
				return cty.NilVal, err
			}
			l.record("file:"+p, string(data))
			return cty.StringVal(string(data)), nil
		},
	})
}

func (l *loader) readRepoFile(p string) ([]byte, error) {
	switch {
	case p == "":
		return nil, &fileError{"the path is empty"}
	case filepath.IsAbs(p) || strings.HasPrefix(p, "/"):
		return nil, &fileError{fmt.Sprintf("%q is absolute; give a path relative to the folder of %s", p, l.base)}
	}
	abs := filepath.Join(l.dir, filepath.FromSlash(p))
	if !within(l.root, abs) {
		return nil, &fileError{fmt.Sprintf("%q is outside the repository; file() reads only files inside it", p)}
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, &fileError{fmt.Sprintf("there is no file %q (relative to the folder of %s)", p, l.base)}
	}
	if !within(l.realRoot, real) {
		return nil, &fileError{fmt.Sprintf("%q leads out of the repository through a symbolic link", p)}
	}
	fi, err := os.Stat(real)
	switch {
	case err != nil:
		return nil, &fileError{err.Error()}
	case fi.IsDir():
		return nil, &fileError{fmt.Sprintf("%q is a folder, not a file", p)}
	case fi.Size() > maxFileSize:
		return nil, &fileError{fmt.Sprintf("%q is %d bytes; file() reads at most %d", p, fi.Size(), maxFileSize)}
	}
	data, err := os.ReadFile(real)
	if err != nil {
		return nil, &fileError{err.Error()}
	}
	if !utf8.Valid(data) {
		return nil, &fileError{fmt.Sprintf("%q is not UTF-8 text", p)}
	}
	return data, nil
}

func (l *loader) record(key, value string) {
	if l.reads == nil {
		l.reads = map[string]string{}
	}
	l.reads[key] = value
}

// refMode says which references an expression may make.
type refMode int

const (
	refsNone refMode = iota // variable defaults and var files: constants and functions only
	refsAll                 // var.* and local.*
)

// eval evaluates expr. It returns false when the value cannot be used: an
// error was reported, now or earlier (a value that depends on a failed
// variable or local is unknown, and is skipped silently so that one mistake
// gives one error).
func (l *loader) eval(expr hcl.Expression, ctx *hcl.EvalContext, mode refMode, what string) (cty.Value, bool) {
	if !l.checkRefs(expr, mode, what) {
		return cty.DynamicVal, false
	}
	v, diags := expr.Value(ctx)
	l.diags = append(l.diags, l.rewriteFunctionErrors(diags)...)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return cty.DynamicVal, false
	}
	return v, true
}

// rewriteFunctionErrors turns hcl's "Error in function call" for env() and
// file() into diagnostics that say what is wrong and how to fix it, and
// lists the functions there are when an unknown one is called.
func (l *loader) rewriteFunctionErrors(diags hcl.Diagnostics) hcl.Diagnostics {
	for _, d := range diags {
		if d.Summary == "Call to unknown function" && !strings.Contains(d.Detail, "Did you mean") {
			d.Detail += " A manifest can call " + strings.Join(sortedKeys(l.constCtx.Functions), ", ") + "."
		}
		extra, ok := hcl.DiagnosticExtra[hclsyntax.FunctionCallDiagExtra](d)
		if !ok {
			continue
		}
		var envErr *envUnsetError
		var fileErr *fileError
		switch err := extra.FunctionCallError(); {
		case errors.As(err, &envErr):
			d.Summary = "Environment variable not set"
			d.Detail = fmt.Sprintf("env(%q) reads %s from the environment, and it is not set. Set it (export %s=...), or give a fallback value: env(%q, \"default\").",
				envErr.name, envErr.name, envErr.name, envErr.name)
			if d.Context != nil {
				d.Subject = d.Context
			}
		case errors.As(err, &fileErr):
			d.Summary = "Cannot read file"
			d.Detail = fmt.Sprintf("file(): %s.", fileErr.msg)
			if d.Context != nil {
				d.Subject = d.Context
			}
		}
	}
	return diags
}

// checkRefs reports references that cannot work, with a better message than
// hcl's "Unsupported attribute" on an object, and before evaluation so that
// each bad reference gives one error.
func (l *loader) checkRefs(expr hcl.Expression, mode refMode, what string) bool {
	ok := true
	for _, tr := range expr.Variables() {
		rng := tr.SourceRange()
		root := tr.RootName()
		if mode == refsNone {
			l.errorAt(rng, "Reference not allowed here",
				fmt.Sprintf("%s must be a constant value (functions such as env() are allowed); it cannot refer to %s.", what, traversalString(tr)))
			ok = false
			continue
		}
		name, hasName := stepName(tr)
		switch root {
		case "var":
			if !hasName {
				continue
			}
			if _, declared := l.declared[name]; !declared {
				l.errorAt(rng, "Undeclared variable",
					fmt.Sprintf("var.%s refers to a variable that is not declared.%s Declare it with variable %q { default = ... }.",
						name, didYouMeanRef("var", name, sortedKeys(l.declared)), name))
				ok = false
			}
		case "local":
			if !hasName {
				continue
			}
			if _, declared := l.localDefs[name]; !declared {
				l.errorAt(rng, "Undeclared local value",
					fmt.Sprintf("local.%s refers to a local value that is not defined.%s Define it in a locals block: locals { %s = ... }.",
						name, didYouMeanRef("local", name, sortedKeys(l.localDefs)), name))
				ok = false
			}
		default:
			hint := ""
			switch {
			case root == "env" || root == "ENV":
				hint = " To read an environment variable, call env(\"NAME\")."
			case l.declared[root] != nil:
				hint = fmt.Sprintf(" Did you mean var.%s?", root)
			case l.localDefs[root] != nil:
				hint = fmt.Sprintf(" Did you mean local.%s?", root)
			}
			l.errorAt(rng, "Unknown reference",
				fmt.Sprintf("%q cannot be referred to here: use var.NAME for a variable, or local.NAME for a local value.%s", root, hint))
			ok = false
		}
	}
	return ok
}

// stepName is the name after the root of a traversal (var.NAME, var["NAME"]).
func stepName(tr hcl.Traversal) (string, bool) {
	if len(tr) < 2 {
		return "", false
	}
	switch s := tr[1].(type) {
	case hcl.TraverseAttr:
		return s.Name, true
	case hcl.TraverseIndex:
		if s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull() {
			return s.Key.AsString(), true
		}
	}
	return "", false
}

// variables works out every variable's value. Precedence, lowest first, as
// in Terraform: default, LAMBDAS_VAR_<name>, var files (in order), --var.
func (l *loader) variables(blocks []*variableBlock) {
	l.declared = map[string]*variableBlock{}
	l.vars = map[string]cty.Value{}
	for _, b := range blocks {
		if prev, dup := l.declared[b.Name]; dup {
			l.errorAt(b.NameRange, "Duplicate variable",
				fmt.Sprintf("Variable %q is already declared at %s line %d. Remove one of them.", b.Name, prev.NameRange.Filename, prev.NameRange.Start.Line))
			continue
		}
		if !hclsyntax.ValidIdentifier(b.Name) {
			l.errorAt(b.NameRange, "Invalid variable name",
				fmt.Sprintf("%q cannot be used as var.%s: a variable name is letters, digits, \"_\" and \"-\", starting with a letter.", b.Name, b.Name))
			continue
		}
		l.declared[b.Name] = b
	}

	values := map[string]cty.Value{}
	failed := map[string]bool{}
	names := sortedKeys(l.declared)
	for _, name := range names {
		b := l.declared[name]
		if b.Description != nil {
			if v, ok := l.eval(b.Description.Expr, l.constCtx, refsNone, "A description"); ok && v.Type() != cty.String {
				l.errorAt(b.Description.Expr.Range(), "Incorrect value type", "A variable description must be a string.")
			}
		}
		if b.Default != nil {
			if v, ok := l.eval(b.Default.Expr, l.constCtx, refsNone, "A variable default"); ok {
				values[name] = v
			} else {
				failed[name] = true
			}
		}
		if v, ok := l.envVars[name]; ok { // the chosen environment's variables
			values[name] = v
		}
		if s, ok := l.opts.LookupEnv("LAMBDAS_VAR_" + name); ok {
			values[name] = cty.StringVal(s)
		}
	}

	for _, path := range l.opts.VarFiles {
		l.varFile(path, values, failed)
	}

	for _, name := range sortedKeys(l.opts.Vars) {
		if _, ok := l.declared[name]; !ok {
			l.errorNoRange("Undeclared variable",
				fmt.Sprintf("--var %s=... sets a variable that %s does not declare.%s Declare it with variable %q {}, or drop the --var.",
					name, l.base, didYouMean(name, names), name))
			continue
		}
		values[name] = cty.StringVal(l.opts.Vars[name])
	}

	for _, name := range names {
		v, ok := values[name]
		switch {
		case failed[name]:
			v = cty.DynamicVal
		case !ok:
			b := l.declared[name]
			l.errorAt(b.NameRange, "No value for variable",
				fmt.Sprintf("Variable %q has no default, so it must be set: pass --var %s=VALUE, put %s = VALUE in a --var-file, or set the environment variable LAMBDAS_VAR_%s. Or give it a default here.",
					name, name, name, name))
			v = cty.DynamicVal
		}
		l.vars[name] = v
	}
}

// varFile reads one --var-file: HCL with name = value lines.
func (l *loader) varFile(path string, values map[string]cty.Value, failed map[string]bool) {
	src, err := readBounded(path)
	if err != nil {
		l.errorNoRange("Cannot read var file", fmt.Sprintf("%v. Check the --var-file path (relative to the current folder).", err))
		return
	}
	if !l.parsable(src, path, "var file") {
		return
	}
	file, diags := l.parser.ParseHCL(src, path)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() || file == nil {
		return
	}
	attrs, diags := file.Body.JustAttributes()
	for _, d := range diags {
		d.Detail += " A var file holds only name = value lines."
	}
	l.diags = append(l.diags, diags...)
	list := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		list = append(list, a)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Range.Start.Byte < list[j].Range.Start.Byte })
	for _, a := range list {
		if _, ok := l.declared[a.Name]; !ok {
			l.errorAt(a.NameRange, "Undeclared variable",
				fmt.Sprintf("This file sets %q, but %s declares no such variable.%s Declare it with variable %q {}, or remove it from this file.",
					a.Name, l.base, didYouMean(a.Name, sortedKeys(l.declared)), a.Name))
			continue
		}
		if v, ok := l.eval(a.Expr, l.constCtx, refsNone, "A value in a var file"); ok {
			values[a.Name] = v
		} else {
			failed[a.Name] = true
		}
	}
}

// resolveLocals evaluates the locals in dependency order and reports cycles.
func (l *loader) resolveLocals(blocks []*localsBlock) {
	l.localDefs = map[string]*hcl.Attribute{}
	l.locals = map[string]cty.Value{}
	var order []*hcl.Attribute
	for _, b := range blocks {
		attrs := make([]*hcl.Attribute, 0, len(b.Attrs))
		for _, a := range b.Attrs {
			attrs = append(attrs, a)
		}
		sort.Slice(attrs, func(i, j int) bool { return attrs[i].Range.Start.Byte < attrs[j].Range.Start.Byte })
		for _, a := range attrs {
			if prev, dup := l.localDefs[a.Name]; dup {
				l.errorAt(a.NameRange, "Duplicate local value",
					fmt.Sprintf("local.%s is already defined at %s line %d. Remove one of them.", a.Name, prev.NameRange.Filename, prev.NameRange.Start.Line))
				continue
			}
			l.localDefs[a.Name] = a
			order = append(order, a)
		}
	}

	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var visit func(name string, stack []string)
	visit = func(name string, stack []string) {
		switch state[name] {
		case done:
			return
		case visiting:
			i := len(stack) - 1
			for i > 0 && stack[i] != name {
				i--
			}
			cycle := append(append([]string(nil), stack[i:]...), name)
			a := l.localDefs[name]
			l.errorAt(a.NameRange, "Cycle in local values",
				fmt.Sprintf("local.%s depends on itself: %s. Break the cycle by writing one of these values without the others.",
					name, "local."+strings.Join(cycle, " → local.")))
			for _, n := range cycle {
				state[n] = done
				l.locals[n] = cty.DynamicVal
			}
			return
		}
		state[name] = visiting
		stack = append(stack, name)
		a := l.localDefs[name]
		for _, tr := range a.Expr.Variables() {
			if dep, ok := stepName(tr); ok && tr.RootName() == "local" {
				if _, defined := l.localDefs[dep]; defined {
					visit(dep, stack)
				}
			}
		}
		if state[name] == done { // in a cycle, already reported
			return
		}
		ctx := &hcl.EvalContext{
			Variables: map[string]cty.Value{"var": objectOf(l.vars), "local": objectOf(l.locals)},
			Functions: l.constCtx.Functions,
		}
		v, _ := l.eval(a.Expr, ctx, refsAll, "A local value")
		l.locals[name] = v
		state[name] = done
	}
	for _, a := range order {
		visit(a.Name, nil)
	}
}

// attrVal is an attribute picked from a function block or from defaults,
// with its value.
type attrVal struct {
	attr *hcl.Attribute // nil when the attribute is set nowhere (or null)
	val  cty.Value
	ok   bool // false when evaluation failed (already reported)
}

func (a attrVal) set() bool            { return a.attr != nil }
func (a attrVal) usable() bool         { return a.attr != nil && a.ok }
func (a attrVal) rng() hcl.Range       { return a.attr.Expr.Range() }
func (a attrVal) name() string         { return a.attr.Name }
func (a attrVal) expr() hcl.Expression { return a.attr.Expr }

// pick evaluates the first of attrs that is set and not null: the function's
// own attribute wins over the defaults block, and null means "not set", as
// in Terraform.
func (l *loader) pick(attrs ...*hcl.Attribute) attrVal {
	for _, a := range attrs {
		if a == nil {
			continue
		}
		v, ok := l.eval(a.Expr, l.ctx, refsAll, "")
		if !ok {
			return attrVal{attr: a}
		}
		if v.IsNull() {
			continue
		}
		return attrVal{attr: a, val: v, ok: true}
	}
	return attrVal{}
}

func typeWord(v cty.Value) string {
	ty := v.Type()
	switch {
	case v.IsNull():
		return "null"
	case ty == cty.String:
		return "a string"
	case ty == cty.Number:
		return "a number"
	case ty == cty.Bool:
		return "a bool"
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		return "a list"
	case ty.IsMapType() || ty.IsObjectType():
		return "an object"
	}
	return ty.FriendlyName()
}

func (l *loader) typeError(rng hcl.Range, name, want, example string, got cty.Value) {
	l.errorAt(rng, "Incorrect value type",
		fmt.Sprintf("%s must be %s, for example %s; this is %s.", name, want, example, typeWord(got)))
}

// elemRange is the range of element i of a list expression, or of the
// whole expression when it is not a literal list.
func elemRange(expr hcl.Expression, i int) hcl.Range {
	if t, ok := expr.(*hclsyntax.TupleConsExpr); ok && i >= 0 && i < len(t.Exprs) {
		return t.Exprs[i].Range()
	}
	return expr.Range()
}

// keyRange is the range of the item with key k in an object expression.
func keyRange(expr hcl.Expression, k string) hcl.Range {
	if o, ok := expr.(*hclsyntax.ObjectConsExpr); ok {
		for _, item := range o.Items {
			if kw := hcl.ExprAsKeyword(item.KeyExpr); kw == k {
				return item.KeyExpr.Range()
			}
			if v, diags := item.KeyExpr.Value(nil); !diags.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() && v.AsString() == k {
				return item.KeyExpr.Range()
			}
		}
	}
	return expr.Range()
}

func (l *loader) asString(a attrVal, example string) (string, bool) {
	if !a.usable() {
		return "", false
	}
	v, err := convert.Convert(a.val, cty.String)
	if err != nil || v.IsNull() || !v.IsKnown() {
		l.typeError(a.rng(), a.name(), "a string", example, a.val)
		return "", false
	}
	return v.AsString(), true
}

func (l *loader) asNumber(a attrVal, example string) (*big.Float, bool) {
	if !a.usable() {
		return nil, false
	}
	v, err := convert.Convert(a.val, cty.Number)
	if err != nil || v.IsNull() || !v.IsKnown() {
		l.typeError(a.rng(), a.name(), "a number", example, a.val)
		return nil, false
	}
	return v.AsBigFloat(), true
}

// asList checks that a is a list and converts each element with conv,
// reporting a bad element at its own range.
func asList[T any](l *loader, a attrVal, want, example string, conv func(cty.Value) (T, bool)) ([]T, bool) {
	if !a.usable() {
		return nil, false
	}
	ty := a.val.Type()
	if !(ty.IsListType() || ty.IsTupleType() || ty.IsSetType()) {
		l.typeError(a.rng(), a.name(), "a list of "+want+"s", example, a.val)
		return nil, false
	}
	out := []T{}
	ok := true
	i := 0
	for it := a.val.ElementIterator(); it.Next(); i++ {
		_, el := it.Element()
		t, good := conv(el)
		if el.IsNull() || !good {
			l.errorAt(elemRange(a.expr(), i), "Incorrect value type",
				fmt.Sprintf("Each element of %s must be a %s, for example %s; element %d is %s.", a.name(), want, example, i+1, typeWord(el)))
			ok = false
			continue
		}
		out = append(out, t)
	}
	return out, ok
}

func (l *loader) asStringList(a attrVal, example string) ([]string, bool) {
	return asList(l, a, "string", example, func(v cty.Value) (string, bool) {
		s, err := convert.Convert(v, cty.String)
		if err != nil || s.IsNull() {
			return "", false
		}
		return s.AsString(), true
	})
}

func (l *loader) asNumberList(a attrVal, example string) ([]*big.Float, bool) {
	return asList(l, a, "number", example, func(v cty.Value) (*big.Float, bool) {
		n, err := convert.Convert(v, cty.Number)
		if err != nil || n.IsNull() {
			return nil, false
		}
		return n.AsBigFloat(), true
	})
}

// asStringMap converts an object or map of strings; keys come back sorted.
func (l *loader) asStringMap(a attrVal, example string) (map[string]string, bool) {
	if !a.usable() {
		return nil, false
	}
	ty := a.val.Type()
	if !(ty.IsMapType() || ty.IsObjectType()) {
		l.typeError(a.rng(), a.name(), "an object of strings", example, a.val)
		return nil, false
	}
	out := map[string]string{}
	ok := true
	for it := a.val.ElementIterator(); it.Next(); {
		k, v := it.Element()
		key := k.AsString()
		s, err := convert.Convert(v, cty.String)
		if err != nil || s.IsNull() {
			l.errorAt(keyRange(a.expr(), key), "Incorrect value type",
				fmt.Sprintf("Each value in %s must be a string, for example %s; %s is %s.", a.name(), example, key, typeWord(v)))
			ok = false
			continue
		}
		out[key] = s.AsString()
	}
	return out, ok
}
