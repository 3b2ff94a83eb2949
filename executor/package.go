package executor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lambdas-dev/lambdas/executor/pack"
	"github.com/lambdas-dev/lambdas/planner/plan"
)

// packageAll builds every package first: limits and bad symlinks fail the
// whole apply before any AWS call.
func (e *Executor) packageAll(ctx context.Context, work []*release) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2) // each Build already compresses in parallel
	var mu sync.Mutex
	var errs []error
	for _, r := range work {
		if !r.plan.HasStep(plan.StepPackage) {
			continue
		}
		g.Go(func() error {
			t := time.Now()
			e.report(r, plan.StepPackage, EventStart, "")
			err := e.pack(gctx, r)
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

func (e *Executor) pack(ctx context.Context, r *release) error {
	dir := filepath.Join(e.workDir, r.fn.Label)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	res, err := pack.Build(ctx, pack.Spec{RepoRoot: e.manifest.RepoRoot, Source: r.fn.Source, Include: r.fn.Include, Exclude: r.fn.Exclude, Function: r.fn.Label}, dir, pack.Options{})
	if err != nil {
		return err
	}
	if e.manifest.Project.Artifacts == nil && res.Size >= maxDirectZip {
		return fmt.Errorf("%s: package is %s zipped, above the %s Lambda accepts directly; set project.artifacts = \"s3://bucket/prefix\" to upload through S3", r.fn.Label, mb(res.Size), mb(maxDirectZip))
	}
	r.zip = res
	return nil
}

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
