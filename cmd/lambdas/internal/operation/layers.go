package operation

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdas-dev/lambdas/executor"
	"github.com/lambdas-dev/lambdas/executor/build"
	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

// dockerForPlan says whether builder = "auto" builds in Docker: a ping of
// the engine, made only when some function has dependencies with the
// auto builder (a plan with nothing to build asks nothing).
func dockerForPlan(ctx context.Context, m *manifest.Manifest) bool {
	for _, f := range m.Functions {
		if f.Dependencies != "" && (f.Builder == "auto" || f.Builder == "") {
			ok, _ := build.DockerAnswers(ctx)
			return ok
		}
	}
	return false
}

// s3Client is the artifacts bucket's client, made with the Lambda client's
// configuration.
func (c *awsConn) s3Client(ctx context.Context) (*s3.Client, error) {
	if _, err := c.lambda(ctx); err != nil {
		return nil, err
	}
	return s3.NewFromConfig(c.cfg, c.s3Opts...), nil
}

// cacheTimeout bounds the layer cache's reads of a plan (a plan without
// AWS access must not hang on the credential chain).
const cacheTimeout = 20 * time.Second

// FoldLayerCache reads what the layer cache knows (a layer version per
// dependency fingerprint, and the descriptor of each function's last
// release) from the artifacts bucket, or the state without one, and folds
// it into the plan: a fingerprint that has a layer version is attached
// without building (planner.ApplyLayerCache), and the reasons show what
// changed in the descriptor ("requests 2.31.0 → 2.32.3"). The reads are
// here, the decisions in the planner's pure functions, as for the refresh.
// strict (apply) makes a failed read an error; a plan says so in a note
// and plans every build.
func FoldLayerCache(ctx context.Context, in Inputs, p *plan.Plan, doc *state.Document, conn *awsConn, strict bool) error {
	loc := in.Manifest.Project.Artifacts
	var layered []*plan.FunctionPlan
	for i := range p.Functions {
		if p.Functions[i].HasStep(plan.StepAttachLayer) {
			layered = append(layered, &p.Functions[i])
		}
	}
	if len(layered) == 0 {
		return nil
	}
	var getter executor.S3Getter
	if loc != nil {
		c, err := conn.s3Client(ctx)
		if err != nil {
			return cacheFailed(p, strict, err)
		}
		getter = c
	}
	rctx, cancel := context.WithTimeout(ctx, cacheTimeout)
	defer cancel()
	records, err := executor.ReadLayerRecords(rctx, getter, loc, doc, planner.Fingerprints(p))
	if err != nil {
		return cacheFailed(p, strict, err)
	}
	byLabel := map[string]*manifest.Function{}
	for _, f := range in.Manifest.Functions {
		byLabel[f.Label] = f
	}
	for _, fp := range layered {
		f := byLabel[fp.Name]
		if f == nil {
			continue
		}
		names := []string{path.Base(f.Dependencies)}
		if f.Lockfile != "" {
			names = append(names, path.Base(f.Lockfile))
		}
		prev, err := executor.ReadDescriptors(rctx, getter, loc, doc, f.Label, names)
		if err != nil {
			return cacheFailed(p, strict, err)
		}
		if why := descriptorReason(in.Manifest.RepoRoot, f, prev); why != "" {
			fp.Reasons = append(fp.Reasons, why)
		}
	}
	planner.ApplyLayerCache(p, records)
	return nil
}

func cacheFailed(p *plan.Plan, strict bool, err error) error {
	if strict {
		return fmt.Errorf("read the layer cache: %w", err)
	}
	p.Notes = append(p.Notes, fmt.Sprintf("the layer cache could not be read (%v): the plan builds every dependency layer whose fingerprint changed; apply reads it again", err))
	return nil
}

// descriptorReason says what changed in a function's descriptor since its
// last release: the lockfile's packages when there is one, else the
// descriptor's. "" when nothing was kept or nothing changed.
func descriptorReason(root string, f *manifest.Function, prev map[string][]byte) string {
	file := f.Dependencies
	if f.Lockfile != "" {
		if _, ok := prev[path.Base(f.Lockfile)]; ok {
			file = f.Lockfile
		}
	}
	old, ok := prev[path.Base(file)]
	if !ok {
		return ""
	}
	cur, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
	if err != nil {
		return ""
	}
	changes := planner.DescriptorChanges(path.Base(file), old, cur)
	if len(changes) == 0 {
		return ""
	}
	const shown = 10
	more := ""
	if len(changes) > shown {
		more = fmt.Sprintf(" and %d more", len(changes)-shown)
		changes = changes[:shown]
	}
	return fmt.Sprintf("%s since the last release: %s%s", path.Base(file), strings.Join(changes, ", "), more)
}
