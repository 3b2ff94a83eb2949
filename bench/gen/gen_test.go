package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2/hclparse"
)

func small(dir string) Options {
	return Options{Out: dir, Functions: 23, Libs: 4, Files: 600, Commits: 60, Seed: 7}
}

func TestGenerate(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "repo")
	st, err := Generate(ctx, small(dir))
	if err != nil {
		t.Fatal(err)
	}

	if got := gitOut(t, dir, "rev-list", "--count", "HEAD"); got != "61" {
		t.Errorf("commits = %s, want 61", got)
	}
	if got := gitOut(t, dir, "status", "--porcelain"); got != "" {
		t.Errorf("work tree not clean after generation:\n%s", got)
	}
	files := strings.Split(gitOut(t, dir, "ls-files"), "\n")
	// Every function links its first library (a symlink, counted by git).
	if len(files) != st.Files+st.Functions {
		t.Errorf("git ls-files has %d files, stats say %d", len(files), st.Files)
	}
	first := strings.Split(gitOut(t, dir, "ls-tree", "-r", "--name-only", "HEAD~60"), "\n")
	if len(first) != 600+23 {
		t.Errorf("first commit has %d files, want 600 and 23 links", len(first))
	}

	// The manifest is HCL and lists every function; each links its first
	// library (functions/fn-N/shared -> ../../libs/lib-NN) and bundles the others.
	src, err := os.ReadFile(filepath.Join(dir, "lambdas.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if _, diags := hclparse.NewParser().ParseHCL(src, "lambdas.hcl"); diags.HasErrors() {
		t.Fatalf("lambdas.hcl: %s", diags.Error())
	}
	want := map[string][]string{}
	block := regexp.MustCompile(`(?s)function "([^"]+)" \{(.*?)\n\}`)
	bundle := regexp.MustCompile(`bundle \{\s+from = "([^"]+)"`)
	blocks := block.FindAllStringSubmatch(string(src), -1)
	if len(blocks) != 23 {
		t.Fatalf("lambdas.hcl has %d function blocks, want 23", len(blocks))
	}
	for _, b := range blocks {
		label, body := b[1], b[2]
		for _, fixed := range []string{"functions/" + label + "/README.md"} {
			if !slices.Contains(files, fixed) {
				t.Errorf("%s missing", fixed)
			}
		}
		link := gitOut(t, dir, "cat-file", "-p", "HEAD:functions/"+label+"/shared")
		if mode := strings.Fields(gitOut(t, dir, "ls-tree", "HEAD", "functions/"+label+"/shared"))[0]; mode != "120000" {
			t.Errorf("%s/shared has mode %s, want a symlink", label, mode)
		}
		want[strings.TrimPrefix(link, "../../")] = append(want[strings.TrimPrefix(link, "../../")], label)
		for _, m := range bundle.FindAllStringSubmatch(body, -1) {
			want[m[1]] = append(want[m[1]], label)
		}
		if m := regexp.MustCompile(`dependencies = "([^"]+)"`).FindStringSubmatch(body); m != nil &&
			!slices.Contains(files, m[1]) {
			t.Errorf("%s: dependencies %s is not in the repository", label, m[1])
		}
	}

	var got map[string][]string
	data, err := os.ReadFile(filepath.Join(dir, ".bench", "dependents.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dependents.json differs from the manifest's links and bundles (-manifest +json):\n%s", diff)
	}
	if len(got["libs/lib-00"]) == 0 {
		t.Error("libs/lib-00 has no dependents")
	}

	// Same options, same repository.
	dir2 := filepath.Join(t.TempDir(), "repo")
	st2, err := Generate(ctx, small(dir2))
	if err != nil {
		t.Fatal(err)
	}
	if st2.Head != st.Head {
		t.Errorf("not deterministic: HEAD %s then %s", st.Head, st2.Head)
	}
}

func TestGenerateRefuses(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"non-empty folder", Options{Out: dir, Functions: 1, Libs: 1, Files: 100, Seed: 1}, "not empty"},
		{"too few files", Options{Out: filepath.Join(t.TempDir(), "r"), Functions: 50, Libs: 2, Files: 100}, "too few"},
		{"no functions", Options{Out: filepath.Join(t.TempDir(), "r"), Libs: 2, Files: 100}, "-functions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Generate(context.Background(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}
