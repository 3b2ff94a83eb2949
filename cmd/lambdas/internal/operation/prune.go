package operation

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdas-dev/lambdas/executor"
	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

// PruneOptions tune a prune.
type PruneOptions struct {
	Targets     []string
	DryRun      bool
	LockTimeout time.Duration
	// GetFunctionRate is GetFunction's quota (0: 100/s).
	GetFunctionRate float64
}

// PruneResult is what a prune found and did.
type PruneResult struct {
	Plan    *executor.PrunePlan             `json:"plan"`
	DryRun  bool                            `json:"dry_run"`
	Deleted int                             `json:"deleted"`
	Buckets map[string]executor.BucketStats `json:"buckets"`
}

// Prune deletes, for every function with keep_versions (of the targets),
// its versions older than the newest keep_versions that no alias points
// to, and the project's layer versions that no kept function version uses
// (every function of the manifest is read for that, with or without
// keep_versions), with their layer cache records. DryRun lists them only.
// deleted is told of each deletion.
func Prune(ctx context.Context, in Inputs, o PruneOptions, deleted func(string)) (*PruneResult, error) {
	fns, err := planner.Select(in.Manifest.Functions, o.Targets)
	if err != nil {
		return nil, err
	}
	targeted := map[string]bool{}
	anyKeep := false
	for _, f := range fns {
		targeted[f.Label] = true
		if f.KeepVersions > 0 {
			anyKeep = true
		}
	}
	if !anyKeep {
		return nil, fmt.Errorf("no function sets keep_versions (in the function or the defaults block): nothing to prune")
	}
	var targets []executor.PruneTarget
	for _, f := range in.Manifest.Functions {
		keep := 0
		if targeted[f.Label] {
			keep = f.KeepVersions
		}
		targets = append(targets, executor.PruneTarget{Label: f.Label, FunctionName: f.Name, Keep: keep})
	}
	var res *PruneResult
	backend, err := StateBackend(ctx, in.Manifest)
	if err != nil {
		return nil, err
	}
	var locked []string // the functions whose versions may be deleted
	for _, t := range targets {
		if t.Keep > 0 {
			locked = append(locked, t.Label)
		}
	}
	sort.Strings(locked)
	err = WithFunctionLocks(ctx, backend, "prune", locked, o.LockTimeout, func(sm *state.Manager) error {
		conn := &awsConn{in: in, getFunctionRate: o.GetFunctionRate}
		client, err := conn.lambda(ctx)
		if err != nil {
			return err
		}
		p, err := client.PlanPrune(ctx, in.Manifest.Project.Name, targets, layerNames(in.Manifest), true)
		if err != nil {
			return err
		}
		res = &PruneResult{Plan: p, DryRun: o.DryRun}
		if !o.DryRun {
			res.Deleted, err = deletePruned(ctx, in.Manifest, conn, sm, client, p, deleted)
		}
		res.Buckets = client.Stats()
		return err
	})
	return res, err
}

// layerNames are the layers the manifest's functions with dependencies
// publish to.
func layerNames(m *manifest.Manifest) []string {
	var out []string
	for _, f := range m.Functions {
		if f.Dependencies != "" {
			out = append(out, plan.LayerName(m.Project.Name, f.Runtime, f.Architecture))
		}
	}
	return out
}

// deletePruned deletes what p lists, then forgets the deleted layer
// versions in the layer cache (so that a later plan builds them again
// rather than attaching a version that is gone).
func deletePruned(ctx context.Context, m *manifest.Manifest, conn *awsConn, sm *state.Manager, client *executor.Lambda, p *executor.PrunePlan, deleted func(string)) (int, error) {
	n, err := client.Prune(ctx, p, deleted)
	if err != nil {
		return n, err
	}
	var s3c *s3.Client
	if m.Project.Artifacts != nil {
		if s3c, err = conn.s3Client(ctx); err != nil {
			return n, err
		}
	}
	for _, l := range p.Layers {
		if l.DepsFingerprint == "" {
			continue
		}
		if err := executor.DeleteLayerRecord(ctx, s3c, m.Project.Artifacts, sm, l.DepsFingerprint, l.LayerVersionArn); err != nil {
			return n, fmt.Errorf("prune: forget layer version %s in the layer cache: %w", l.LayerVersionArn, err)
		}
	}
	return n, nil
}

// pruneAfterApply prunes the functions an apply released that set
// keep_versions; the layers too when the apply published a layer version
// (only then can an older one have lost its last user). It runs under the
// apply's state lock.
func pruneAfterApply(ctx context.Context, in Inputs, sm *state.Manager, conn *awsConn, res *executor.Result) (*PruneResult, error) {
	released := map[string]bool{}
	for _, f := range res.Functions {
		if f.Status == executor.StatusReleased {
			released[f.Name] = true
		}
	}
	var targets []executor.PruneTarget
	anyKeep := false
	withLayers := res.LayersPublished > 0
	for _, f := range in.Manifest.Functions {
		keep := 0
		if released[f.Label] {
			keep = f.KeepVersions
		}
		if keep > 0 {
			anyKeep = true
		}
		// For the layers, every function is read (its versions' layers);
		// without them, only those pruned.
		if keep > 0 || withLayers {
			targets = append(targets, executor.PruneTarget{Label: f.Label, FunctionName: f.Name, Keep: keep})
		}
	}
	if !anyKeep {
		return nil, nil
	}
	client, err := conn.lambda(ctx)
	if err != nil {
		return nil, err
	}
	p, err := client.PlanPrune(ctx, in.Manifest.Project.Name, targets, layerNames(in.Manifest), withLayers)
	if err != nil {
		return nil, err
	}
	out := &PruneResult{Plan: p}
	out.Deleted, err = deletePruned(ctx, in.Manifest, conn, sm, client, p, nil)
	return out, err
}

// PruneView is implemented by an ApplyView that shows the prune an apply
// runs after a successful release (keep_versions). A prune that fails is
// said, and does not fail the apply: the release is done.
type PruneView interface {
	Pruned(res *PruneResult, err error)
}
