// Package operation holds what the lambdas commands do, apart from how they
// are invoked and shown: apply, status, package. Each takes its inputs and
// options and reports through a view interface, as terraform's local
// backend operations do, so that the cobra commands stay thin and later
// operations (promote, rollback, prune) reuse the same pieces.
package operation

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

// Inputs are what every operation starts from: the loaded manifest and the
// repository it lives in.
type Inputs struct {
	Manifest    *manifest.Manifest
	Repo        *planner.Repo
	ToolVersion string
}

// StateBackend returns where the manifest's state lives.
func StateBackend(m *manifest.Manifest) (*state.LocalFile, error) {
	if m.Project.StateS3 != nil {
		return nil, fmt.Errorf("project.state = s3://%s/%s: state in S3 is not supported by this version of lambdas yet; use a local path (the default is .lambdas/state.json)", m.Project.StateS3.Bucket, m.Project.StateS3.Prefix)
	}
	display := m.Project.StateFile
	if rel, err := filepath.Rel(m.Dir, m.Project.StateFile); err == nil && !strings.HasPrefix(rel, "..") {
		display = rel
	}
	return &state.LocalFile{Path: m.Project.StateFile, Display: display}, nil
}

// LoadState reads the state without locking it (plan, status).
func LoadState(ctx context.Context, m *manifest.Manifest) (*state.Manager, error) {
	backend, err := StateBackend(m)
	if err != nil {
		return nil, err
	}
	return state.Load(ctx, backend)
}

// WithStateLock runs fn with the state locked and freshly loaded.
func WithStateLock(ctx context.Context, m *manifest.Manifest, operation string, timeout time.Duration, fn func(*state.Manager) error) error {
	backend, err := StateBackend(m)
	if err != nil {
		return err
	}
	lockCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	host, _ := os.Hostname()
	unlock, err := backend.Lock(lockCtx, state.LockInfo{ID: fmt.Sprintf("%d", os.Getpid()), Operation: operation, Who: fmt.Sprintf("pid %d on %s", os.Getpid(), host), Created: time.Now().UTC()})
	if err != nil {
		return err
	}
	defer unlock()
	sm, err := state.Load(ctx, backend)
	if err != nil {
		return err
	}
	return fn(sm)
}

// Plan plans from a manifest, repository and state already loaded. (The
// layer cache is folded in by FoldLayerCache, which reads AWS.)
func Plan(in Inputs, doc *state.Document, targets []string) (*plan.Plan, error) {
	return planner.Make(planner.Input{Manifest: in.Manifest, Repo: in.Repo, State: doc, Targets: targets, ToolVersion: in.ToolVersion, Region: Region(in.Manifest),
		Docker: dockerForPlan(context.Background(), in.Manifest)})
}

// Region is where the manifest's functions are released: project.region,
// or the AWS environment's (AWS_REGION, the profile); "" when neither says.
func Region(m *manifest.Manifest) string {
	if m.Project.Region != "" {
		return m.Project.Region
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		return ""
	}
	return cfg.Region
}

// LoadAWS builds the SDK configuration from the default chain (environment,
// profiles, SSO, web identity, instance roles). The standard
// AWS_ENDPOINT_URL points every client at an emulator; S3 then needs
// path-style addressing.
func LoadAWS(ctx context.Context, m *manifest.Manifest) (aws.Config, []func(*s3.Options), error) {
	var opts []func(*config.LoadOptions) error
	if m.Project.Region != "" {
		opts = append(opts, config.WithRegion(m.Project.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, nil, fmt.Errorf("no AWS region: set project.region in the manifest, or AWS_REGION")
	}
	var s3Opts []func(*s3.Options)
	if os.Getenv("AWS_ENDPOINT_URL") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != "" {
		s3Opts = append(s3Opts, func(o *s3.Options) { o.UsePathStyle = true })
	}
	return cfg, s3Opts, nil
}
