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
	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/state"
)

// PackageOptions select the functions and where their zips go.
type PackageOptions struct {
	Targets []string
	// OutDir gets DIR/<label>/app.zip; relative to the manifest's folder.
	// Default .lambdas/dist.
	OutDir      string
	Parallelism int
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
	var mu sync.Mutex
	var errs []error
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Parallelism)
	for i := range p.Functions {
		fp := &p.Functions[i]
		g.Go(func() error {
			zip, err := pk.Package(gctx, byLabel[fp.Name], fp)
			if err == nil {
				dst := filepath.Join(out, fp.Name, "app.zip")
				if err = copyFile(zip.Path, dst); err == nil {
					mu.Lock()
					res.Functions = append(res.Functions, Packaged{Name: fp.Name, FunctionName: fp.FunctionName, Path: dst,
						CodeSha256: zip.CodeSha256, Size: zip.Size, UnzippedSize: zip.UnzippedSize, Files: zip.Files})
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
