package build

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// goFlags are the flags of every go preset build, after "go build".
var goFlags = []string{
	// No absolute paths of this machine in the binary: with it, the same
	// sources give the same bytes wherever they are checked out.
	"-trimpath",
	// Nor the commit and dirty flag: the binary depends on the files alone,
	// and a build in a checkout without .git works the same.
	"-buildvcs=false",
	// aws-lambda-go leaves out its RPC mode (the go1.x runtime's, gone)
	// under this tag; provided.al2023 speaks the Runtime API only.
	"-tags", "lambda.norpc",
	// -s -w drop the symbol table and DWARF: a zip about half the size
	// (examples/functions/audit-go: 4.6 MB -> 2.4 MB), as reproducible as
	// before (the same inputs still give the same bytes); panics still print
	// file:line stack traces, from the pclntab, which -s does not remove.
	"-ldflags=-s -w",
}

// goArch maps a Lambda architecture to GOARCH; "" is Lambda's default.
func goArch(arch string) (string, error) {
	switch arch {
	case "x86_64", "":
		return "amd64", nil
	case "arm64":
		return "arm64", nil
	}
	return "", fmt.Errorf("architecture %q: want x86_64 or arm64", arch)
}

// buildGo builds the main package in s.Source into out/bootstrap, the
// executable the provided.* runtimes start. The user's environment (GOPROXY,
// GOFLAGS, GOCACHE, GOTOOLCHAIN...) is kept, so a build uses the same module
// proxy and cache as the user's own; GOOS, GOARCH and CGO_ENABLED are forced
// (CGO off: a static binary, which needs nothing from the runtime's image,
// and no C toolchain for the target). Note that flags given on the command
// line win over GOFLAGS: a -tags or -ldflags there is overridden.
func buildGo(ctx context.Context, s Spec, out string) (*Result, error) {
	if s.Runtime != "" && !strings.HasPrefix(s.Runtime, "provided") {
		return nil, fmt.Errorf("the go preset builds a bootstrap executable for the provided.al2023 (or provided.al2) runtime, not for %q", s.Runtime)
	}
	// s.Handler is not used: Lambda ignores the handler of the provided
	// runtimes, which start the executable bootstrap.
	goarch, err := goArch(s.Architecture)
	if err != nil {
		return nil, err
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return nil, errors.New("the go preset needs the go command, which is not on PATH: " +
			"install Go from https://go.dev/dl (or your package manager), or use a build command instead of the preset")
	}
	env := environ("GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	bin := filepath.Join(out, "bootstrap")

	build := &process{
		what: "go build",
		path: goBin,
		args: append(append([]string{"build"}, goFlags...), "-o", bin, "."),
		dir:  s.Source,
		env:  env,
		log:  s.Log,
	}
	if err := build.run(ctx); err != nil {
		return nil, err
	}

	// go list for the same target and tags: the package's name (go build
	// -o writes an archive, not an executable, for a package that is not
	// main) and the files the build read. Measured on audit-go (201
	// packages with aws-lambda-go): 0.08-0.12 s, against 0.3 s for its
	// build from a warm cache; cheap enough to always fill in Inputs.
	var listed bytes.Buffer
	list := &process{
		what: "go list",
		path: goBin,
		args: []string{"list", "-deps", "-tags", "lambda.norpc",
			"-json=Name,Dir,Standard,DepOnly,GoFiles,CgoFiles,SFiles,SysoFiles,EmbedFiles,Module", "."},
		dir:    s.Source,
		env:    env,
		log:    s.Log,
		stdout: &listed,
	}
	if err := list.run(ctx); err != nil {
		return nil, err
	}
	pkgs, err := decodeGoList(&listed)
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	var main *goPackage
	for _, p := range pkgs {
		if !p.DepOnly {
			main = p
		}
	}
	if main == nil {
		return nil, errors.New("go list named no package")
	}
	if main.Name != "main" {
		return nil, fmt.Errorf("the go preset builds a command, but the package in %s is %q, not main", s.Source, main.Name)
	}
	if err := os.Chmod(bin, 0o755); err != nil { // whatever the umask
		return nil, err
	}
	return &Result{Dir: out, Inputs: goInputs(s.RepoRoot, pkgs)}, nil
}

type goModule struct {
	Dir     string
	GoMod   string
	Replace *goModule
}

type goPackage struct {
	Name       string
	Dir        string
	Standard   bool
	DepOnly    bool
	GoFiles    []string
	CgoFiles   []string
	SFiles     []string
	SysoFiles  []string
	EmbedFiles []string
	Module     *goModule
}

// decodeGoList reads the stream of JSON objects go list -json prints.
func decodeGoList(r io.Reader) ([]*goPackage, error) {
	var pkgs []*goPackage
	dec := json.NewDecoder(r)
	for {
		p := new(goPackage)
		if err := dec.Decode(p); err == io.EOF {
			return pkgs, nil
		} else if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
}

// goInputs lists the files of the non-standard packages that lie inside the
// repository (the function's own, in-repo libraries, a vendor folder), and
// the go.mod and go.sum of their modules. Modules from the module cache are
// left out: go.sum pins them.
func goInputs(repoRoot string, pkgs []*goPackage) []string {
	files := newRepoFiles(repoRoot, nil)
	for _, p := range pkgs {
		if p.Standard {
			continue
		}
		for _, list := range [][]string{p.GoFiles, p.CgoFiles, p.SFiles, p.SysoFiles, p.EmbedFiles} {
			for _, f := range list {
				files.add(filepath.Join(p.Dir, f))
			}
		}
		m := p.Module
		if m != nil && m.Replace != nil {
			m = m.Replace
		}
		if m != nil && m.GoMod != "" {
			files.add(m.GoMod)
			if sum := filepath.Join(filepath.Dir(m.GoMod), "go.sum"); fileExists(sum) {
				files.add(sum)
			}
		}
	}
	return files.list()
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
