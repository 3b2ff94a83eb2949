package operation

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/lambdas-dev/lambdas/executor"
	"github.com/lambdas-dev/lambdas/executor/pack"
	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

// PackageOptions select the functions and where their zips go.
type PackageOptions struct {
	Targets []string
	// OutDir gets DIR/<label>/app.zip; relative to the manifest's folder.
	// Default .lambdas/dist.
	OutDir      string
	Parallelism int
	// Layers also builds each function's dependency layer into
	// DIR/<label>/layer.zip (once per dependency fingerprint).
	Layers bool
}

// Packaged is one function's zip.
type Packaged struct {
	Name         string `json:"name"`
	FunctionName string `json:"function_name"`
	Path         string `json:"path"`
	CodeSha256   string `json:"code_sha256"` // base64, as Lambda shows it
	Size         int64  `json:"size"`
	UnzippedSize int64  `json:"unzipped_size"`
	Files        int    `json:"files"`
	// Layer is the dependency layer's zip (with --layers).
	Layer *PackagedLayer `json:"layer,omitempty"`
}

// PackagedLayer is a function's dependency layer zip.
type PackagedLayer struct {
	Path            string `json:"path"`
	Sha256          string `json:"sha256"` // hex
	Size            int64  `json:"size"`
	UnzippedSize    int64  `json:"unzipped_size"`
	DepsFingerprint string `json:"deps_fingerprint"`
	Builder         string `json:"builder"`
}

// PackageResult is what `lambdas package` made.
type PackageResult struct {
	Functions []Packaged `json:"functions"`
	Dirty     bool       `json:"dirty"` // made from uncommitted changes
}

// Package builds and zips the selected functions exactly as apply would (the
// same plan, the same packager) without any AWS call or state.
func Package(ctx context.Context, in Inputs, o PackageOptions, log func(function, line string)) (*PackageResult, error) {
	m := in.Manifest
	if o.Parallelism < 1 {
		o.Parallelism = 10
	}
	out := o.OutDir
	if out == "" {
		out = filepath.Join(".lambdas", "dist")
	}
	if !filepath.IsAbs(out) {
		out = filepath.Join(m.Dir, out)
	}
	// Planned against an empty state: every function is packaged.
	p, err := Plan(in, state.NewDocument(), o.Targets)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "lambdas-package-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	pk := &executor.Packager{RepoRoot: m.RepoRoot, WorkDir: work, Log: log}
	byLabel := map[string]*manifest.Function{}
	for _, f := range m.Functions {
		byLabel[f.Label] = f
	}
	res := &PackageResult{Dirty: p.Dirty}
	layers := &layerBuilds{}
	var mu sync.Mutex
	var errs []error
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Parallelism)
	for i := range p.Functions {
		fp := &p.Functions[i]
		g.Go(func() error {
			zip, err := pk.Package(gctx, byLabel[fp.Name], fp)
			var layer *PackagedLayer
			if err == nil && o.Layers {
				layer, err = packageLayer(gctx, in, work, out, byLabel[fp.Name], fp, layers, log)
			}
			if err == nil {
				dst := filepath.Join(out, fp.Name, "app.zip")
				if err = copyFile(zip.Path, dst); err == nil {
					mu.Lock()
					res.Functions = append(res.Functions, Packaged{Name: fp.Name, FunctionName: fp.FunctionName, Path: dst,
						CodeSha256: zip.CodeSha256, Size: zip.Size, UnzippedSize: zip.UnzippedSize, Files: zip.Files, Layer: layer})
					mu.Unlock()
					return nil
				}
			}
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
			return nil
		})
	}
	_ = g.Wait()
	sort.Slice(res.Functions, func(i, j int) bool { return res.Functions[i].Name < res.Functions[j].Name })
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return res, errors.Join(errs...)
	}
	return res, nil
}

// copyFile writes src to dst atomically.
func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := state.WriteFileAtomic(dst, data); err != nil {
		return fmt.Errorf("write %s: %w", dst, err)
	}
	return os.Chmod(dst, 0o644)
}

// layerBuilds shares one layer build per dependency fingerprint.
type layerBuilds struct {
	mu   sync.Mutex
	byFP map[string]*layerBuild
}

type layerBuild struct {
	once sync.Once
	zip  *pack.Result
	err  error
}

// packageLayer builds (or shares) the function's layer and copies it to
// DIR/<label>/layer.zip.
func packageLayer(ctx context.Context, in Inputs, work, out string, fn *manifest.Function, fp *plan.FunctionPlan, lb *layerBuilds, log func(function, line string)) (*PackagedLayer, error) {
	st := fp.Step(plan.StepBuildDependencies)
	if st == nil || st.Layer == nil {
		return nil, nil
	}
	l := st.Layer
	lb.mu.Lock()
	if lb.byFP == nil {
		lb.byFP = map[string]*layerBuild{}
	}
	b := lb.byFP[l.DepsFingerprint]
	if b == nil {
		b = &layerBuild{}
		lb.byFP[l.DepsFingerprint] = b
	}
	lb.mu.Unlock()
	b.once.Do(func() {
		b.zip, b.err = executor.BuildLayer(ctx, in.Manifest.RepoRoot, filepath.Join(work, "deps", l.DepsFingerprint[:16]), fn, l, log, func(msg string) {
			if log != nil {
				log(fn.Label, "warning: "+msg)
			}
		})
	})
	if b.err != nil {
		return nil, b.err
	}
	dst := filepath.Join(out, fp.Name, "layer.zip")
	if err := copyFile(b.zip.Path, dst); err != nil {
		return nil, err
	}
	return &PackagedLayer{Path: dst, Sha256: fmt.Sprintf("%x", b.zip.SHA256), Size: b.zip.Size, UnzippedSize: b.zip.UnzippedSize,
		DepsFingerprint: l.DepsFingerprint, Builder: l.Builder}, nil
}
