package executor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lambdas-dev/lambdas/executor/build"
	"github.com/lambdas-dev/lambdas/executor/pack"
	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
)

// Packager makes a function's zip from its planned package: exactly the
// files of the plan's list, or a build's output and the list's bundled
// files. apply and `lambdas package` both use it.
type Packager struct {
	RepoRoot string
	// WorkDir holds builds' outputs and the zips, one folder per function.
	WorkDir string
	// Log receives a build's output, line by line (may be nil).
	Log func(function, line string)
	// Warn receives what the user should know (may be nil).
	Warn func(function, msg string)
	// zips bounds the zips written at once: each already compresses on
	// every core.
	zipsOnce sync.Once
	zips     chan struct{}
}

// Package builds (when the function has a build) and zips one function.
func (p *Packager) Package(ctx context.Context, fn *manifest.Function, fp *plan.FunctionPlan) (*pack.Result, error) {
	pk := fp.Package
	if pk == nil {
		return nil, fmt.Errorf("%s: package: the plan has no file list", fn.Label)
	}
	dir := filepath.Join(p.WorkDir, fn.Label)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	files := make([]pack.File, 0, len(pk.Entries))
	if pk.Build != nil {
		out, err := p.build(ctx, fn, pk, filepath.Join(dir, "build"))
		if err != nil {
			return nil, err
		}
		files = append(files, out...)
	}
	for _, e := range pk.Entries {
		files = append(files, pack.File{
			Name: e.Path, Path: filepath.Join(p.RepoRoot, filepath.FromSlash(e.File)), Display: e.File,
			Exec: e.Exec, Size: e.Size, ModTime: e.ModTime,
		})
	}
	p.zipsOnce.Do(func() { p.zips = make(chan struct{}, 2) })
	select {
	case p.zips <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.zips }()
	return pack.Write(ctx, fn.Label, files, filepath.Join(dir, "zip"), pack.Options{})
}

// build runs the function's build and lists its output (include and
// exclude applied), for the zip. A file the build read that the plan did
// not fingerprint is worth a warning: a change to it would not be planned.
func (p *Packager) build(ctx context.Context, fn *manifest.Function, pk *plan.Package, work string) ([]pack.File, error) {
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	b := pk.Build
	preset := b.Kind
	if preset == "command" {
		preset = ""
	}
	res, err := build.Run(ctx, build.Spec{
		Function: fn.Label, RepoRoot: p.RepoRoot, Source: filepath.Join(p.RepoRoot, filepath.FromSlash(fn.Source)),
		Preset: preset, Command: b.Command, Output: b.Output, Runtime: fn.Runtime, Architecture: fn.Architecture,
		Handler: fn.Handler, Timeout: b.Timeout, WorkDir: work, Log: &lineWriter{function: fn.Label, log: p.Log},
	})
	if err != nil {
		return nil, err
	}
	if p.Warn != nil {
		if missed := unplannedInputs(res.Inputs, pk, fn); len(missed) > 0 {
			more := ""
			if len(missed) > 5 {
				more, missed = fmt.Sprintf(" and %d more", len(missed)-5), missed[:5]
			}
			p.Warn(fn.Label, fmt.Sprintf("the build read %s%s, which the plan does not fingerprint: a change there would not release %s; add it to watch", strings.Join(missed, ", "), more, fn.Label))
		}
	}
	root := p.RepoRoot
	if !within(root, res.Dir) {
		root = res.Dir // a preset's output, outside the repository
	}
	rel, err := filepath.Rel(root, res.Dir)
	if err != nil {
		return nil, err
	}
	return pack.Collect(ctx, pack.Spec{RepoRoot: root, Source: filepath.ToSlash(rel), Include: pk.Include, Exclude: pk.Exclude, Function: fn.Label})
}

// unplannedInputs are the files a build read that neither its inputs nor
// its watched paths cover.
func unplannedInputs(read []string, pk *plan.Package, fn *manifest.Function) []string {
	known := map[string]bool{}
	for _, e := range pk.Inputs {
		known[e.File] = true
	}
	var out []string
	for _, f := range read {
		if known[f] || underAny(f, fn.Watch) || underAny(f, []string{fn.Dependencies, fn.Lockfile}) {
			continue
		}
		out = append(out, f)
	}
	return out
}

func underAny(p string, roots []string) bool {
	for _, r := range roots {
		if r != "" && (p == r || strings.HasPrefix(p, r+"/")) {
			return true
		}
	}
	return false
}

func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// lineWriter turns a build's log lines into Log calls.
type lineWriter struct {
	function string
	log      func(function, line string)
}

func (w *lineWriter) Write(b []byte) (int, error) {
	if w.log != nil {
		w.log(w.function, strings.TrimRight(string(b), "\n"))
	}
	return len(b), nil
}

// packageAll builds and zips every package first: a failing build, a limit
// or a file changed since the plan fails the whole apply before any AWS
// call, so nothing is changed.
func (e *Executor) packageAll(ctx context.Context, work []*release) error {
	p := &Packager{RepoRoot: e.manifest.RepoRoot, WorkDir: e.workDir, Log: func(function, line string) {
		e.opts.Reporter.Report(Event{Time: time.Now(), Function: function, Step: string(plan.StepBuild), Kind: EventLog, Message: line})
	}, Warn: func(function, msg string) {
		e.opts.Reporter.Report(Event{Time: time.Now(), Function: function, Step: string(plan.StepBuild), Kind: EventWarn, Message: msg})
	}}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.Parallelism)
	var mu sync.Mutex
	var errs []error
	for _, r := range work {
		if !r.plan.HasStep(plan.StepPackage) {
			continue
		}
		g.Go(func() error {
			t := time.Now()
			e.report(r, plan.StepPackage, EventStart, "")
			err := e.pack(gctx, p, r)
			if err != nil {
				e.report(r, plan.StepPackage, EventFail, err.Error())
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return nil
			}
			e.reportElapsed(r, plan.StepPackage, EventDone, fmt.Sprintf("%d files, %s zipped (%s unzipped), CodeSha256 %s", r.zip.Files, mb(r.zip.Size), mb(r.zip.UnzippedSize), r.zip.CodeSha256), time.Since(t))
			return nil
		})
	}
	_ = g.Wait()
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return fmt.Errorf("nothing was changed: %w", errors.Join(errs...))
	}
	return nil
}

// maxDirectZip is the largest zip Lambda takes inline (ZipFile).
const maxDirectZip = 50 * 1024 * 1024

func (e *Executor) pack(ctx context.Context, p *Packager, r *release) error {
	res, err := p.Package(ctx, r.fn, r.plan)
	if err != nil {
		return err
	}
	if e.manifest.Project.Artifacts == nil && res.Size >= maxDirectZip {
		return fmt.Errorf("%s: package is %s zipped, above the %s Lambda accepts directly; set project.artifacts = \"s3://bucket/prefix\" to upload through S3", r.fn.Label, mb(res.Size), mb(maxDirectZip))
	}
	r.zip = res
	return nil
}

// Size formats a size for people: bytes, KB or MB.
func Size(n int64) string { return mb(n) }

// mb formats a size for people: bytes, KB or MB.
func mb(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1024*1024))
}
