package executor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/lambdas-dev/lambdas/executor/build"
	"github.com/lambdas-dev/lambdas/executor/pack"
	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
	"github.com/lambdas-dev/lambdas/state"
)

// Lambda's layer limits.
const (
	// MaxLayers is how many layers a function may have.
	MaxLayers = 5
	// maxDirectLayerZip is the largest layer zip PublishLayerVersion takes
	// inline (ZipFile), as for function code.
	maxDirectLayerZip = 50 * 1024 * 1024
	// maxDepsBuilds bounds the dependency builds run at once: each is a
	// pip or npm (or a container) that downloads and unpacks.
	maxDepsBuilds = 4
)

// depsWork is one apply's dependency layers: functions with equal
// dependency fingerprints share one build and one layer version, whichever
// asks first (singleflight, and a memo for those that ask later).
type depsWork struct {
	builds, publishes singleflight.Group
	mu                sync.Mutex
	built             map[string]*builtLayer // by fingerprint
	published         map[string]string      // fingerprint → layer version ARN
	nBuilt, nPub      atomic.Int64
}

// builtLayer is a layer zip built for a fingerprint.
type builtLayer struct {
	zip *pack.Result
	by  string // the function whose build made it
}

// once runs fn for key unless a call for key is under way (its result is
// shared) or finished with success (its result is returned). first says
// this caller ran fn.
func once[T any](g *singleflight.Group, mu *sync.Mutex, memo map[string]T, key string, fn func() (T, error)) (v T, first bool, err error) {
	mu.Lock()
	if got, ok := memo[key]; ok {
		mu.Unlock()
		return got, false, nil
	}
	mu.Unlock()
	ran := false
	res, err, _ := g.Do(key, func() (any, error) {
		mu.Lock()
		if got, ok := memo[key]; ok { // finished between the check and Do
			mu.Unlock()
			return got, nil
		}
		mu.Unlock()
		ran = true
		v, err := fn()
		if err != nil {
			return v, err
		}
		mu.Lock()
		memo[key] = v
		mu.Unlock()
		return v, nil
	})
	if res != nil {
		v = res.(T)
	}
	return v, ran, err
}

func (d *depsWork) init() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.built == nil {
		d.built = map[string]*builtLayer{}
		d.published = map[string]string{}
	}
}

// layerStep is the function's layer parameters (from whichever layer step
// it has).
func layerStep(r *release) *plan.LayerParams {
	for _, n := range []plan.StepName{plan.StepBuildDependencies, plan.StepPublishLayer, plan.StepAttachLayer} {
		if s := r.plan.Step(n); s != nil && s.Layer != nil {
			return s.Layer
		}
	}
	return nil
}

// buildAllDeps builds every dependency layer the plan needs, before any
// AWS call (as packaging does): a requirement that does not exist, a
// package.json npm refuses, a wheel missing for the platform, no Docker
// engine, a build past its timeout, a layer over Lambda's limits, all fail
// the apply with nothing changed. Each fingerprint is built once.
func (e *Executor) buildAllDeps(ctx context.Context, work []*release) error {
	e.deps.init()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(min(e.opts.Parallelism, maxDepsBuilds))
	var mu sync.Mutex
	var errs []error
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for _, r := range work {
		s := r.plan.Step(plan.StepBuildDependencies)
		if s == nil {
			if l := layerStep(r); l != nil && l.LayerVersionArn != "" {
				if err := e.checkLayerSize(r, l.UnzippedSize); err != nil {
					fail(err)
				}
			}
			continue
		}
		g.Go(func() error {
			t := time.Now()
			e.report(r, plan.StepBuildDependencies, EventStart, s.Reason)
			b, first, err := once(&e.deps.builds, &e.deps.mu, e.deps.built, s.Layer.DepsFingerprint, func() (*builtLayer, error) {
				return e.buildLayer(gctx, r, s.Layer)
			})
			if err == nil {
				err = e.checkLayerSize(r, b.zip.UnzippedSize)
			}
			if err == nil && e.manifest.Project.Artifacts == nil && b.zip.Size >= maxDirectLayerZip {
				err = fmt.Errorf("%s: build-dependencies: the layer is %s zipped, above the %s Lambda accepts directly; set project.artifacts = \"s3://bucket/prefix\" to publish it through S3", r.fn.Label, mb(b.zip.Size), mb(maxDirectLayerZip))
			}
			if err != nil {
				e.report(r, plan.StepBuildDependencies, EventFail, err.Error())
				fail(err)
				return nil
			}
			r.layer = b
			msg := fmt.Sprintf("%d files, %s zipped (%s unzipped)", b.zip.Files, mb(b.zip.Size), mb(b.zip.UnzippedSize))
			if !first {
				msg = "shared with " + b.by + "'s build (same dependency fingerprint): " + msg
			}
			r.layerMsg = msg
			e.reportElapsed(r, plan.StepBuildDependencies, EventNote, msg, time.Since(t))
			return nil
		})
	}
	_ = g.Wait()
	if len(errs) == 0 {
		errs = e.checkLayerCounts(ctx, work)
	}
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return fmt.Errorf("nothing was changed: %w", errors.Join(errs...))
	}
	return nil
}

// checkLayerCounts reads the layers of every function that gets one (a
// GetFunction each, in its own 100/s bucket) before anything changes: a
// function that would have more than Lambda's 5 layers fails the apply
// with nothing changed, rather than after its layer version is published.
// attach-layer reads the function again (for its RevisionId) and checks
// once more.
func (e *Executor) checkLayerCounts(ctx context.Context, work []*release) []error {
	var mu sync.Mutex
	var errs []error
	g := new(errgroup.Group)
	g.SetLimit(e.opts.Parallelism)
	for _, r := range work {
		if !r.plan.HasStep(plan.StepAttachLayer) {
			continue
		}
		g.Go(func() error {
			out, err := e.lambda.GetFunction(withCallSite(ctx, r.fn.Label, string(plan.StepAttachLayer)), &lambda.GetFunctionInput{FunctionName: aws.String(r.fn.Name)})
			if isNotFound(err) {
				return nil // created with the one layer
			}
			if err == nil && out.Configuration != nil {
				var have []string
				for _, l := range out.Configuration.Layers {
					have = append(have, aws.ToString(l.Arn))
				}
				if n := len(ReplaceOwnLayers(have, "new", e.manifest.Project.Name)); n > MaxLayers {
					err = fmt.Errorf("%s has %d layers (%s); with its dependency layer it would have %d, and Lambda allows %d: remove one of them", r.fn.Name, len(have), strings.Join(have, ", "), n, MaxLayers)
				}
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: attach-layer: %w", r.fn.Label, err))
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	return errs
}

// checkLayerSize: the function's code and its layer together within
// Lambda's 250 MB unzipped (what is known before any AWS call: the
// function's other layers are checked when attach-layer reads them).
func (e *Executor) checkLayerSize(r *release, layerUnzipped int64) error {
	if r.zip == nil {
		return nil
	}
	if total := r.zip.UnzippedSize + layerUnzipped; total > pack.DefaultMaxUnzipped {
		return fmt.Errorf("%s: build-dependencies: the code (%s) and its dependency layer (%s) are %s unzipped together, above Lambda's limit of %s for a function and its layers",
			r.fn.Label, mb(r.zip.UnzippedSize), mb(layerUnzipped), mb(total), mb(pack.DefaultMaxUnzipped))
	}
	return nil
}

// buildLayer runs the builder and zips the layer deterministically.
func (e *Executor) buildLayer(ctx context.Context, r *release, l *plan.LayerParams) (*builtLayer, error) {
	zip, err := BuildLayer(ctx, e.manifest.RepoRoot, filepath.Join(e.workDir, "deps", l.DepsFingerprint[:16]), r.fn, l,
		func(function, line string) {
			e.opts.Reporter.Report(Event{Time: time.Now(), Function: function, Step: string(plan.StepBuildDependencies), Kind: EventLog, Message: line})
		},
		func(msg string) { e.report(r, plan.StepBuildDependencies, EventWarn, msg) })
	if err != nil {
		return nil, err
	}
	e.deps.nBuilt.Add(1)
	return &builtLayer{zip: zip, by: r.fn.Label}, nil
}

// BuildLayer builds a function's dependency layer in dir (created; the
// caller's to remove) and zips it deterministically, like a code zip:
// apply and lambdas package --layers share it. log gets the build's lines,
// warn what the user should know; both may be nil.
func BuildLayer(ctx context.Context, repoRoot, dir string, fn *manifest.Function, l *plan.LayerParams, log func(function, line string), warn func(string)) (*pack.Result, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	res, err := build.BuildDeps(ctx, build.DepsSpec{
		Function: fn.Label, RepoRoot: repoRoot, Descriptor: l.Descriptor, Lockfile: l.Lockfile,
		Runtime: fn.Runtime, Architecture: fn.Architecture, Builder: l.Builder, Image: l.Image, Timeout: fn.BuilderTimeout, WorkDir: dir,
		Log: &lineWriter{function: fn.Label, log: log}, Warn: warn,
	})
	if err != nil {
		return nil, err
	}
	files, err := pack.Collect(ctx, pack.Spec{RepoRoot: dir, Source: filepath.Base(res.Dir)})
	if err == nil {
		var zip *pack.Result
		if zip, err = pack.Write(ctx, "", files, filepath.Join(dir, "zip"), pack.Options{}); err == nil {
			return zip, nil
		}
	}
	return nil, fmt.Errorf("%s: build-dependencies: zip the layer: %w", fn.Label, err)
}

// buildDependencies is the pipeline's record of the build made before any
// AWS call (buildAllDeps).
func (e *Executor) buildDependencies(ctx context.Context, r *release) error {
	if r.layer == nil {
		return fmt.Errorf("no layer was built for dependency fingerprint %s", short(r.plan.DepsFingerprint))
	}
	if r.layer.by != r.fn.Label {
		return skip("%s", r.layerMsg)
	}
	return nil
}

// publishLayer publishes the built layer as a version (once per
// fingerprint, shared by every function that has it), from S3
// (<prefix>/deps/<fingerprint>/layer.zip) or directly without an
// artifacts bucket, with the runtime and architecture as compatible and
// the fingerprint in its description; then records it in the cache.
func (e *Executor) publishLayer(ctx context.Context, r *release) error {
	l := r.plan.Step(plan.StepPublishLayer).Layer
	arn, first, err := once(&e.deps.publishes, &e.deps.mu, e.deps.published, l.DepsFingerprint, func() (string, error) {
		return e.publishLayerOnce(ctx, r, l)
	})
	if err != nil {
		return err
	}
	r.layerArn = arn
	if !first {
		return skip("layer version %s, published for another function with this dependency fingerprint", arn)
	}
	r.layerMsg = arn
	return nil
}

func (e *Executor) publishLayerOnce(ctx context.Context, r *release, l *plan.LayerParams) (string, error) {
	fp := l.DepsFingerprint
	// Another apply (CI, a colleague) may have published it since the plan.
	if rec, ok, err := e.layerRecord(ctx, fp); err != nil {
		return "", err
	} else if ok && rec.LayerVersionArn != "" {
		e.report(r, plan.StepPublishLayer, EventNote, fmt.Sprintf("layer version %s was published for this fingerprint since the plan was made: using it", rec.LayerVersionArn))
		return rec.LayerVersionArn, nil
	}
	if r.layer == nil {
		return "", fmt.Errorf("no layer was built for dependency fingerprint %s", short(fp))
	}
	zip := r.layer.zip
	content := &types.LayerVersionContentInput{}
	rec := plan.LayerRecord{DepsFingerprint: fp, LayerName: l.LayerName, Runtimes: []string{r.fn.Runtime}, Architectures: []string{r.fn.Architecture},
		ZipSha256: fmt.Sprintf("%x", zip.SHA256), UnzippedSize: zip.UnzippedSize, Builder: l.Builder, Image: l.Image,
		Files: append([]string{l.Descriptor}, append(nonEmpty(l.Lockfile), l.Included...)...)}
	if loc := e.manifest.Project.Artifacts; loc != nil {
		key := depsKey(loc, fp, "layer.zip")
		if _, err := e.putIfMissing(ctx, loc.Bucket, key, zip.Path, zip.Size, nil); err != nil {
			return "", err
		}
		content.S3Bucket, content.S3Key = aws.String(loc.Bucket), aws.String(key)
		rec.Zip = "s3://" + loc.Bucket + "/" + key
	} else {
		data, err := os.ReadFile(zip.Path)
		if err != nil {
			return "", err
		}
		content.ZipFile = data
	}
	out, err := e.lambda.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{
		LayerName:               aws.String(l.LayerName),
		Content:                 content,
		CompatibleRuntimes:      []types.Runtime{types.Runtime(r.fn.Runtime)},
		CompatibleArchitectures: []types.Architecture{types.Architecture(r.fn.Architecture)},
		Description:             aws.String(LayerDescription(fp, l.Descriptor)),
	})
	if err != nil {
		return "", fmt.Errorf("publish layer %s: %w", l.LayerName, err)
	}
	rec.LayerVersionArn, rec.Version = aws.ToString(out.LayerVersionArn), out.Version
	if rec.LayerVersionArn == "" {
		return "", fmt.Errorf("publish layer %s: no LayerVersionArn in the answer", l.LayerName)
	}
	rec.PublishedAt = time.Now().UTC().Format(time.RFC3339)
	e.deps.nPub.Add(1)
	if err := e.writeLayerRecord(ctx, rec); err != nil {
		// Published, but the next plan will not know it: said, not fatal.
		e.report(r, plan.StepPublishLayer, EventWarn, fmt.Sprintf("layer version %s is published but could not be recorded in the layer cache (%v): the next apply builds it again", rec.LayerVersionArn, err))
	}
	return rec.LayerVersionArn, nil
}

// LayerDescription is the description of a layer version lambdas
// publishes; LayerFingerprint reads the fingerprint back.
func LayerDescription(fingerprint, descriptor string) string {
	return "lambdas deps " + fingerprint + " " + path.Base(descriptor)
}

// LayerFingerprint is the dependency fingerprint in a layer version's
// description, "" when lambdas did not publish it.
func LayerFingerprint(description string) string {
	f := strings.Fields(description)
	if len(f) >= 3 && f[0] == "lambdas" && f[1] == "deps" && len(f[2]) == 64 {
		return f[2]
	}
	return ""
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// attachLayer points the function at the layer version: the layers it
// has are kept, in their order, and only this tool's are replaced (the
// new version takes the place of the first; appended when it had none),
// guarded by the RevisionId GetFunction read; then it waits for the update
// to settle. The code update (or a PublishVersion) that follows publishes
// a version with the layer, and the alias moves to it: never through
// $LATEST alone. A function that does not exist yet is created with the
// layer by update-code.
func (e *Executor) attachLayer(ctx context.Context, r *release) error {
	l := r.plan.Step(plan.StepAttachLayer).Layer
	arn := r.layerArn
	if arn == "" {
		arn = l.LayerVersionArn
	}
	if arn == "" {
		return fmt.Errorf("no layer version to attach (publish-layer did not run)")
	}
	r.layerArn = arn
	name := r.fn.Name
	cur, err := e.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if isNotFound(err) {
		if s := r.plan.Step(plan.StepUpdateCode); s != nil && s.Code != nil && s.Code.MayCreate {
			r.createLayers = []string{arn}
			return skip("%s does not exist yet: update-code creates it with layer %s", name, arn)
		}
	}
	if err != nil {
		return fmt.Errorf("read function %s: %w", name, err)
	}
	c := cur.Configuration
	if c == nil {
		return fmt.Errorf("read function %s: no configuration in the answer", name)
	}
	r.noteARN(c.FunctionArn)
	var have []string
	for _, ly := range c.Layers {
		have = append(have, aws.ToString(ly.Arn))
	}
	want := ReplaceOwnLayers(have, arn, e.manifest.Project.Name)
	if slices.Equal(have, want) {
		r.layerMsg = "already has " + arn
		return skip("%s already has layer %s", name, arn)
	}
	if len(want) > MaxLayers {
		return fmt.Errorf("%s would have %d layers with this one (%s); Lambda allows %d: remove one of its other layers, nothing was changed", name, len(want), strings.Join(want, ", "), MaxLayers)
	}
	if !settled(c) {
		if c, err = e.waitSettled(ctx, r, plan.StepAttachLayer); err != nil {
			return err
		}
	}
	_, err = e.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(name),
		Layers:       want,
		RevisionId:   optional(aws.ToString(c.RevisionId)),
	})
	if isPrecondition(err) {
		return fmt.Errorf("%s changed after lambdas read it (RevisionId no longer matches): its layers were not changed; run lambdas plan and apply again: %w", name, err)
	}
	if err != nil {
		return fmt.Errorf("update the layers of %s: %w", name, err)
	}
	// The next update (the code) or PublishVersion would meet a 409 while
	// this one is in progress: wait first.
	if _, err := e.waitSettled(ctx, r, plan.StepAttachLayer); err != nil {
		return err
	}
	r.layerMsg = "layers: " + strings.Join(want, ", ")
	return nil
}

// ReplaceOwnLayers is the layer list a function gets: have with the
// project's dependency layers replaced by arn at the place of the first of
// them (every other layer kept, in its order), or arn appended.
func ReplaceOwnLayers(have []string, arn, project string) []string {
	out := make([]string, 0, len(have)+1)
	placed := false
	for _, h := range have {
		if plan.IsOwnLayer(project, h) {
			if !placed {
				out = append(out, arn)
				placed = true
			}
			continue
		}
		out = append(out, h)
	}
	if !placed {
		out = append(out, arn)
	}
	return out
}

// keepDescriptors stores the descriptor files of a released function as
// the previous release's, for the next plan's descriptor diff: at
// <prefix>/<label>/latest/<file name> in the artifacts bucket, or in the
// state without one. A failure is a warning: the release is done.
func (e *Executor) keepDescriptors(ctx context.Context, r *release) {
	l := layerStep(r)
	if l == nil || r.plan.Step(plan.StepAttachLayer) == nil {
		return
	}
	files := map[string]string{}
	for _, f := range append([]string{l.Descriptor}, nonEmpty(l.Lockfile)...) {
		data, err := os.ReadFile(filepath.Join(e.manifest.RepoRoot, filepath.FromSlash(f)))
		if err != nil {
			e.report(r, plan.StepAttachLayer, EventWarn, fmt.Sprintf("keep %s for the next plan's diff: %v", f, err))
			return
		}
		files[path.Base(f)] = string(data)
	}
	ctx = context.WithoutCancel(ctx)
	if loc := e.manifest.Project.Artifacts; loc != nil {
		for _, name := range sortedKeys(files) {
			key := labelKey(loc, r.fn.Label, "latest/"+name)
			if _, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(key), Body: strings.NewReader(files[name]),
				ContentType: aws.String("text/plain")}); err != nil {
				e.report(r, plan.StepAttachLayer, EventWarn, fmt.Sprintf("keep %s at s3://%s/%s for the next plan's diff: %v", name, loc.Bucket, key, err))
			}
		}
		return
	}
	if err := e.state.Update(ctx, func(d *state.Document) error {
		if d.Descriptors == nil {
			d.Descriptors = map[string]map[string]string{}
		}
		d.Descriptors[r.fn.Label] = files
		return nil
	}); err != nil {
		e.report(r, plan.StepAttachLayer, EventWarn, fmt.Sprintf("keep the descriptor in the state: %v", err))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func prefixed(loc *manifest.S3Location, rest string) string {
	if loc.Prefix == "" {
		return rest
	}
	return loc.Prefix + "/" + rest
}

func depsKey(loc *manifest.S3Location, fingerprint, name string) string {
	return prefixed(loc, "deps/"+fingerprint+"/"+name)
}

func labelKey(loc *manifest.S3Location, label, rest string) string {
	return prefixed(loc, label+"/"+rest)
}

// putIfMissing uploads a zip, encrypted (SSE-S3) and with metadata,
// unless the key exists already (keys are content hashes); exists says
// it did.
func (e *Executor) putIfMissing(ctx context.Context, bucket, key, file string, size int64, metadata map[string]string) (exists bool, err error) {
	_, err = e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err == nil {
		return true, nil
	}
	if !isS3NotFound(err) {
		return false, fmt.Errorf("check s3://%s/%s: %w", bucket, key, err)
	}
	f, err := os.Open(file)
	if err != nil {
		return false, err
	}
	defer f.Close()
	if _, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: f, ContentLength: aws.Int64(size),
		ContentType: aws.String("application/zip"), Metadata: metadata, ServerSideEncryption: s3types.ServerSideEncryptionAes256}); err != nil {
		return false, fmt.Errorf("upload s3://%s/%s: %w", bucket, key, err)
	}
	return false, nil
}

// S3Getter is what reading the layer cache from S3 needs.
type S3Getter interface {
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// getObject reads a small object; ok is false when it does not exist.
func getObject(ctx context.Context, c S3Getter, bucket, key string) ([]byte, bool, error) {
	// Small objects lambdas wrote itself: no response checksum to check
	// (an emulator sends none, and the SDK logs a line about it).
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}, func(o *s3.Options) {
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	if err != nil {
		if isS3NotFound(err) || strings.Contains(err.Error(), "NoSuchKey") {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, 4<<20))
	if err != nil {
		return nil, false, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	return data, true, nil
}

// layerRecord reads the cache's record of a fingerprint.
func (e *Executor) layerRecord(ctx context.Context, fp string) (plan.LayerRecord, bool, error) {
	if loc := e.manifest.Project.Artifacts; loc != nil {
		g, ok := e.s3.(S3Getter)
		if !ok {
			return plan.LayerRecord{}, false, nil
		}
		recs, err := ReadLayerRecords(ctx, g, loc, nil, []string{fp})
		if err != nil {
			return plan.LayerRecord{}, false, err
		}
		rec, ok := recs[fp]
		return rec, ok, nil
	}
	doc := e.state.Snapshot()
	if rec := doc.Layers[fp]; rec != nil {
		return *rec, true, nil
	}
	return plan.LayerRecord{}, false, nil
}

func (e *Executor) writeLayerRecord(ctx context.Context, rec plan.LayerRecord) error {
	ctx = context.WithoutCancel(ctx)
	if loc := e.manifest.Project.Artifacts; loc != nil {
		data, err := json.MarshalIndent(rec, "", "  ")
		if err != nil {
			return err
		}
		key := depsKey(loc, rec.DepsFingerprint, "layer.json")
		_, err = e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(key), Body: bytes.NewReader(data), ContentType: aws.String("application/json")})
		return err
	}
	return e.state.Update(ctx, func(d *state.Document) error {
		if d.Layers == nil {
			d.Layers = map[string]*plan.LayerRecord{}
		}
		r := rec
		d.Layers[rec.DepsFingerprint] = &r
		return nil
	})
}

// ReadLayerRecords reads the layer cache's records of fingerprints: from
// the artifacts bucket (<prefix>/deps/<fingerprint>/layer.json) when loc
// is set, else from the state document. A fingerprint without a record is
// left out.
func ReadLayerRecords(ctx context.Context, c S3Getter, loc *manifest.S3Location, doc *state.Document, fps []string) (map[string]plan.LayerRecord, error) {
	out := map[string]plan.LayerRecord{}
	if loc == nil {
		for _, fp := range fps {
			if doc != nil && doc.Layers[fp] != nil {
				out[fp] = *doc.Layers[fp]
			}
		}
		return out, nil
	}
	for _, fp := range fps {
		data, ok, err := getObject(ctx, c, loc.Bucket, depsKey(loc, fp, "layer.json"))
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		var rec plan.LayerRecord
		if err := json.Unmarshal(data, &rec); err != nil || rec.DepsFingerprint != fp {
			continue // not ours, or damaged: built again
		}
		out[fp] = rec
	}
	return out, nil
}

// ReadDescriptors reads the descriptor files kept for a function's last
// release (file name → content): <prefix>/<label>/latest/<name> in the
// artifacts bucket, or the state. A file not kept is left out.
func ReadDescriptors(ctx context.Context, c S3Getter, loc *manifest.S3Location, doc *state.Document, label string, names []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	if loc == nil {
		if doc != nil {
			for _, n := range names {
				if v, ok := doc.Descriptors[label][n]; ok {
					out[n] = []byte(v)
				}
			}
		}
		return out, nil
	}
	for _, n := range names {
		data, ok, err := getObject(ctx, c, loc.Bucket, labelKey(loc, label, "latest/"+n))
		if err != nil {
			return nil, err
		}
		if ok {
			out[n] = data
		}
	}
	return out, nil
}

// DeleteLayerRecord forgets a fingerprint's layer version once prune
// deleted it (arn): only a record that names that version, since another
// version published for the same fingerprint may be the recorded one.
func DeleteLayerRecord(ctx context.Context, c interface {
	S3Getter
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}, loc *manifest.S3Location, sm *state.Manager, fp, arn string) error {
	if loc != nil {
		recs, err := ReadLayerRecords(ctx, c, loc, nil, []string{fp})
		if err != nil {
			return err
		}
		if rec, ok := recs[fp]; !ok || rec.LayerVersionArn != arn {
			return nil
		}
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(depsKey(loc, fp, "layer.json"))})
		return err
	}
	return sm.Update(ctx, func(d *state.Document) error {
		if rec := d.Layers[fp]; rec != nil && rec.LayerVersionArn == arn {
			delete(d.Layers, fp)
		}
		return nil
	})
}

// short is the 12-character form of a fingerprint.
func short(fp string) string {
	if len(fp) > 12 {
		return fp[:12]
	}
	return fp
}
