package manifest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// deep is how deeply the generated inputs nest: far past what hcl's
// recursive parser survives (it overflows the stack between 80,000 and
// 350,000 levels, depending on the construct).
const deep = 80000

// TestDeepNesting: a manifest nested 80,000 levels deep gets one
// diagnostic where the limit is passed, and no stack overflow (which would
// kill the test binary, not fail the test).
func TestDeepNesting(t *testing.T) {
	r := strings.Repeat
	n := deep
	for _, tc := range []struct {
		name string
		expr string // the value of local x, on line 3, starting at column 7
		col  int    // where the limit is passed
	}{
		// locals { is level 1: the 256th bracket is level 257.
		{"brackets", r("[", n) + r("]", n), 7 + 255},
		{"parens", r("(", n) + "1" + r(")", n), 7 + 255},
		{"objects", r("{a = ", n) + "1" + r("}", n), 7 + 5*255},
		{"interpolations", r(`"${`, n) + "1" + r(`}"`, n), 7 + 3*255 + 1},
		// (40,000 of these fill the 1 MiB a manifest may have.)
		{"directives", `"` + r("%{if true}", n/2) + r("%{endif}", n/2) + `"`, 7 + 1 + 10*254},
		{"heredoc interpolations", r("<<EOT\n${", n/2) + "1" + r("}\nEOT\n", n/2), 0},
		{"unary not", r("!", n) + "true", 7 + 255},
		{"unary minus", r("- ", n) + "1", 7 + 2*255},
		{"binary operators", "1" + r(" + 1", n), 7 + 1 + 4*255 + 1},
		{"conditionals", r("true ? ", n) + "1" + r(" : 1", n), 7 + 5 + 7*255},
		{"else chains", r("true ? 1 : ", n) + "1", 0},
		{"splats", "[1]" + r("[*]", n), 0},
		{"attribute splats", "[1]" + r(".*", n), 0},
		{"calls", r("upper(", n) + `"a"` + r(")", n), 7 + 6*255 + 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "project { name = \"shop\" }\nlocals {\n  x = " + tc.expr + "\n}\n"
			got := loadErr(t, src, Options{})
			if !strings.HasPrefix(got, "lambdas.hcl:") || !strings.Contains(got, ": Nested too deeply: This manifest nests more than 256 levels deep here") {
				t.Fatalf("got %.300s", got)
			}
			if strings.Count(got, "\n") != 0 {
				t.Errorf("want one diagnostic, got %.500s", got)
			}
			if tc.col > 0 {
				if want := fmt.Sprintf("lambdas.hcl:3:%d: ", tc.col); !strings.HasPrefix(got, want) {
					t.Errorf("got %.80s, want it at %s", got, want)
				}
			}
		})
	}
}

// TestDeepNestingRendered: the snippet of an 80,000-character line shows
// what is around the spot, not the whole line.
func TestDeepNestingRendered(t *testing.T) {
	repo := makeRepo(t)
	t.Chdir(repo)
	writeFile(t, "lambdas.hcl", "project { name = \"shop\" }\nlocals { x = "+strings.Repeat("[", deep)+strings.Repeat("]", deep)+" }\n")
	_, diags := Load("lambdas.hcl", Options{LookupEnv: fakeEnv(nil)})
	var out bytes.Buffer
	if err := diags.WriteText(&out, 100, false); err != nil {
		t.Fatal(err)
	}
	want := "Error: Nested too deeply\n\n  on lambdas.hcl line 2:\n   2: …" + strings.Repeat("[", 60) + "[" + strings.Repeat("[", 139) + "…\n" +
		strings.Repeat(" ", len("   2: …")-len("…")+1+60) + "^\n\n"
	if got := out.String(); !strings.HasPrefix(got, want) {
		t.Errorf("got:\n%s\nwant prefix:\n%s", got, want)
	}
}

// TestNestingScanFollowsTheLexer: brackets in strings, comments and
// heredocs are text, not nesting, and so a legitimate manifest with plenty
// of them loads; brackets that hcl reads as code are counted even where
// they look like text.
func TestNestingScanFollowsTheLexer(t *testing.T) {
	b := strings.Repeat("[", 300)
	for _, tc := range []struct {
		name string
		src  string
		deep bool
	}{
		{"quoted string", `x = "` + b + `"`, false},
		{"escaped quote", `x = "\"` + b + `"`, false},
		{"escaped backslash then quote", `x = "\\"` + "\n" + `y = ` + b, true},
		{"hash comment", "# " + b + "\nx = 1", false},
		{"slash comment", "// " + b + "\nx = 1", false},
		{"block comment", "/* " + b + "\n" + b + " */ x = 1", false},
		{"unclosed block comment is code to hcl", "x = 1 /* " + b, true},
		// Searching for "*/" again after each of them took 16 s.
		{"many unclosed block comments", strings.Repeat("/*,", 1<<18), false},
		{"heredoc", "x = <<EOF\n" + b + "\n\"\nEOF\ny = 1", false},
		{"indented heredoc", "x = <<-EOF\n  " + b + "\n  EOF\ny = 1", false},
		{"CRLF heredoc", "x = <<EOF\r\n" + b + "\r\nEOF\r\ny = 1", false},
		{"after the heredoc is code", "x = <<EOF\na\nEOF\ny = " + b, true},
		{"a marker inside a line does not end it", "x = <<EOF\n a EOF " + b + "\nEOF\n", false},
		{"heredoc needs a newline after its marker", "x = <<EOF " + b, true},
		{"brackets inside an interpolation count", `x = "${` + b + `}"`, true},
		{"escaped interpolation is text", `x = "$${` + b + `}"`, false},
		{"escaped directive is text", `x = "%%{` + b + `}"`, false},
		{"a brace inside an interpolation", `x = "${ {a = 1}["a"] }` + b + `"`, false},
		{"string inside an interpolation", `x = "${"` + b + `"}"`, false},
		{"heredoc inside an interpolation", "x = \"${<<EOT\n" + b + "\nEOT\n}\"", false},
		{"interpolation in a heredoc", "x = <<EOT\n${[[1]]}" + b + "\nEOT\n", false},
		{"code after a closed string", `x = "` + b + `" == ` + b, true},
		{"many items", "x = [" + strings.Repeat("-1 + 2, ", 300) + "]", false},
		{"many attributes", strings.Repeat("a = 1 + 2 * 3\n", 300), false},
		{"many colon items in an object, a line each", "x = {\n" + strings.Repeat("a: -1\n", 300) + "}", false},
		{"lines do not end items in a for expression", "x = {for k, v in y : k => 1\n" + strings.Repeat("+ 1\n", 300) + "}", true},
		{"nor in parentheses", "x = (1\n" + strings.Repeat("+ 1\n", 300) + ")", true},
		{"nor in an interpolation", "x = \"${1\n" + strings.Repeat("+ 1\n", 300) + "}\"", true},
		{"many splats in one item", "x = [1]" + strings.Repeat("[*]", 300), true},
		{"many directives in one template", `x = "` + strings.Repeat("%{if true}%{endif}", 150) + `"`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			off := nestingTooDeep([]byte(tc.src))
			if got := off >= 0; got != tc.deep {
				t.Errorf("too deep = %v (at %d), want %v", got, off, tc.deep)
			}
		})
	}
}

// TestLegitimateManifestWithBrackets: brackets in strings, comments and
// heredocs do not stop a real manifest.
func TestLegitimateManifestWithBrackets(t *testing.T) {
	b := strings.Repeat("[{(", 200)
	src := `# ` + b + `
// ` + b + `
/* ` + b + ` */
project { name = "shop" }
locals {
  text   = "` + b + `"
  policy = <<-EOF
    ` + b + `
    ${upper("` + b + `")}
    EOF
  tmpl   = "%%{` + b + `} $${` + b + `}"
}
function "a" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
  create {
    role        = "arn:aws:iam::123456789012:role/lambda"
    environment = { TMPL = local.tmpl, POLICY = local.policy }
  }
}`
	m, _ := load(t, src, Options{})
	env := m.Functions[0].Create.Environment
	if got := env["POLICY"]; !strings.HasPrefix(got, b+"\n") {
		t.Errorf("POLICY = %.40q…", got)
	}
	if got, want := env["TMPL"], "%{"+b+"} ${"+b+"}"; got != want {
		t.Errorf("TMPL = %.40q…, want %.40q…", got, want)
	}
}

// TestSourceTooLarge: a manifest or var file over the limit is refused
// before it is parsed.
func TestSourceTooLarge(t *testing.T) {
	big := "project { name = \"shop\" }\n" + strings.Repeat("# padding\n", maxSourceBytes/10+1)
	got := loadErr(t, big, Options{})
	if want := "File too large: lambdas.hcl is larger than 1 MiB, the most lambdas reads from a manifest"; !strings.HasPrefix(got, want) {
		t.Errorf("got %.200s\nwant prefix %s", got, want)
	}

	repo := makeRepo(t)
	t.Chdir(repo)
	writeFile(t, "lambdas.hcl", `variable "stage" { default = "qa" }`+"\n"+project)
	writeFile(t, "big.vars", big)
	writeFile(t, "deep.vars", "stage = "+strings.Repeat("(", deep)+`"x"`+strings.Repeat(")", deep)+"\n")
	_, diags := Load("lambdas.hcl", Options{VarFiles: []string{"big.vars", "deep.vars"}, LookupEnv: fakeEnv(nil)})
	got = diags.Error()
	for _, want := range []string{
		"File too large: big.vars is larger than 1 MiB, the most lambdas reads from a var file",
		"deep.vars:1:265: Nested too deeply: This var file nests more than 256 levels deep here",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%.1000s", want, got)
		}
	}
}

// TestNestingOfFixtures: no fixture and no example comes near the limit,
// so the scan never refuses a real manifest.
func TestNestingOfFixtures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "bad", "*.hcl"))
	files = append(files, filepath.Join("..", "lambdas.hcl"))
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(name, "nested-too-deeply") {
			continue
		}
		if off := nestingTooDeep(src); off >= 0 {
			t.Errorf("%s: too deep at %d", name, off)
		}
	}
}
