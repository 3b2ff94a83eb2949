// Package operation holds what the lambdas commands do, apart from how they
// are invoked and shown: apply, status, package. Each takes its inputs and
// options and reports through a view interface, as terraform's local
// backend operations do, so that the cobra commands stay thin and later
// operations (promote, rollback, prune) reuse the same pieces.
package operation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
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
	// Getenv reads the environment (nil: os.LookupEnv): the CI variables
	// that say which branch or tag a detached checkout is.
	Getenv func(string) (string, bool)
}

func (in Inputs) getenv() func(string) (string, bool) {
	if in.Getenv != nil {
		return in.Getenv
	}
	return os.LookupEnv
}

// StateStore is a state backend as the operations use it: the document,
// written conditionally, and a lock per function.
type StateStore interface {
	state.Store
	state.FunctionLocker
}

// StateBackend returns where the manifest's state lives: the local file, or
// the S3 object (its client made from the AWS configuration, in
// project.state_region or the project's region). A manifest that declares
// environments has one state per environment: it must be chosen.
func StateBackend(ctx context.Context, m *manifest.Manifest) (StateStore, error) {
	if len(m.Environments) > 0 && m.Environment == "" {
		return nil, fmt.Errorf("%s declares environments (%s), each with its own state: choose one with --env NAME (or LAMBDAS_ENV)", filepath.Base(m.File), strings.Join(m.Environments, ", "))
	}
	if loc := m.Project.StateS3; loc != nil {
		cfg, s3Opts, err := LoadAWS(ctx, m)
		if err != nil {
			return nil, fmt.Errorf("state %s: %w", "s3://"+loc.Bucket+"/"+loc.Prefix, err)
		}
		if r := m.Project.StateRegion; r != "" {
			cfg.Region = r
		}
		return &state.S3{Client: s3.NewFromConfig(cfg, s3Opts...), Bucket: loc.Bucket, Key: loc.Prefix,
			ExpectedBucketOwner: m.Project.StateBucketOwner, KMSKeyID: m.Project.StateKMSKey}, nil
	}
	display := m.Project.StateFile
	if rel, err := filepath.Rel(m.Dir, m.Project.StateFile); err == nil && !strings.HasPrefix(rel, "..") {
		display = rel
	}
	return &state.LocalFile{Path: m.Project.StateFile, Display: display}, nil
}

// LoadState reads the state without locking it (plan, status).
func LoadState(ctx context.Context, m *manifest.Manifest) (*state.Manager, error) {
	backend, err := StateBackend(ctx, m)
	if err != nil {
		return nil, err
	}
	return state.Load(ctx, backend)
}

// managerOptions: S3 writes are batched (one write per finished function:
// a write is a round trip); the local file is written after every step.
func managerOptions(b StateStore) state.Options {
	_, s3 := b.(*state.S3)
	return state.Options{Batch: s3}
}

// NewLockInfo says who takes a lock: the user, the process and the host,
// and the CI job when there is one, with a fresh lock ID.
func NewLockInfo(operation string) state.LockInfo {
	var id [8]byte
	_, _ = rand.Read(id[:])
	host, _ := os.Hostname()
	who := os.Getenv("USER")
	if who == "" {
		who = "someone"
	}
	who = fmt.Sprintf("%s (pid %d)", who, os.Getpid())
	switch {
	case os.Getenv("GITHUB_RUN_ID") != "":
		who = fmt.Sprintf("GitHub Actions %s run %s attempt %s, job %s (pid %d)", os.Getenv("GITHUB_REPOSITORY"), os.Getenv("GITHUB_RUN_ID"), os.Getenv("GITHUB_RUN_ATTEMPT"), os.Getenv("GITHUB_JOB"), os.Getpid())
	case os.Getenv("CI_JOB_ID") != "":
		who = fmt.Sprintf("GitLab CI job %s (pid %d)", os.Getenv("CI_JOB_ID"), os.Getpid())
	case os.Getenv("CODEBUILD_BUILD_ID") != "":
		who = fmt.Sprintf("CodeBuild %s (pid %d)", os.Getenv("CODEBUILD_BUILD_ID"), os.Getpid())
	}
	return state.LockInfo{ID: hex.EncodeToString(id[:]), Operation: operation, Who: who, Host: host, Created: time.Now().UTC()}
}

// WithFunctionLocks runs fn with the functions' locks held and the state
// freshly loaded, and then writes what fn left unwritten. The locks are
// released in every case, even after Ctrl-C.
func WithFunctionLocks(ctx context.Context, backend StateStore, operation string, labels []string, timeout time.Duration, fn func(*state.Manager) error) (err error) {
	unlock, err := backend.LockFunctions(ctx, labels, NewLockInfo(operation), timeout)
	if err != nil {
		return err
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if uerr := unlock(uctx); uerr != nil {
			err = errors.Join(err, fmt.Errorf("release the locks: %w", uerr))
		}
	}()
	sm, err := state.LoadWith(ctx, backend, managerOptions(backend))
	if err != nil {
		return err
	}
	err = fn(sm)
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	if ferr := sm.Flush(fctx); ferr != nil {
		err = errors.Join(err, ferr)
	}
	return err
}

// Plan plans from a manifest, repository and state already loaded. (The
// layer cache is folded in by FoldLayerCache, which reads AWS.)
func Plan(in Inputs, doc *state.Document, targets []string) (*plan.Plan, error) {
	p, err := planner.Make(planner.Input{Manifest: in.Manifest, Repo: in.Repo, State: doc, Targets: targets, ToolVersion: in.ToolVersion, Region: Region(in.Manifest),
		Docker: dockerForPlan(context.Background(), in.Manifest)})
	if err != nil {
		return nil, err
	}
	ref, err := CurrentRef(in.Repo, in.getenv())
	if err != nil {
		return nil, err
	}
	p.Environment, p.ReleaseLabel = in.Manifest.Environment, ReleaseLabel(in.Manifest, ref, p.Dirty)
	rolloutNotes(p, doc) // rollout.go
	return p, nil
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
	// The SDK logs every object read without a stored checksum (objects
	// written by older tools, emulators) at debug level to stderr, which
	// users would read as an error; reads are verified by their ETag and
	// CodeSha256 anyway.
	s3Opts := []func(*s3.Options){func(o *s3.Options) { o.DisableLogOutputChecksumValidationSkipped = true }}
	if os.Getenv("AWS_ENDPOINT_URL") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != "" {
		s3Opts = append(s3Opts, func(o *s3.Options) { o.UsePathStyle = true })
	}
	return cfg, s3Opts, nil
}
