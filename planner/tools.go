package planner

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/lambdas-dev/lambdas/manifest"
)

// The tools of a preset build shape its output as much as its inputs do: a
// new Go release or esbuild version gives other bytes. Their versions are
// part of the fingerprint, so that a toolchain upgrade releases the
// functions it rebuilds (and nothing else).

// goVersion is `go env GOVERSION`, read once per run; "none" without Go
// (the build then fails with a message that says so).
var goVersion = sync.OnceValue(func() string {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return "none"
	}
	return strings.TrimSpace(string(out))
})

// buildTool names the tool and version a function's build uses, "" for a
// command build (its tools are the user's business: watch them).
func buildTool(repoRoot string, f *manifest.Function) string {
	if f.Build == nil {
		return ""
	}
	switch f.Build.Preset {
	case "go":
		return "go " + goVersion()
	case "esbuild":
		return "esbuild " + esbuildVersion(repoRoot, filepath.Join(repoRoot, filepath.FromSlash(f.Source)))
	}
	return ""
}

// esbuildVersion is the version of the esbuild package the preset finds:
// the nearest node_modules/esbuild from the source folder up to the
// repository root, as the builder looks for its binary.
func esbuildVersion(root, dir string) string {
	for {
		data, err := os.ReadFile(filepath.Join(dir, "node_modules", "esbuild", "package.json"))
		if err == nil {
			var pkg struct {
				Version string `json:"version"`
			}
			if json.Unmarshal(data, &pkg) == nil && pkg.Version != "" {
				return pkg.Version
			}
		}
		if dir == root || !strings.HasPrefix(dir, root) {
			return "none"
		}
		dir = filepath.Dir(dir)
	}
}
