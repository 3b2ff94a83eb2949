package executor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// upload stores the zip at <prefix>/<function>/<sha256>/app.zip, once, and
// copies it to <prefix>/<function>/latest/app.zip.
func (e *Executor) upload(ctx context.Context, r *release) error {
	loc := e.manifest.Project.Artifacts
	if loc == nil {
		return skip("no project.artifacts: the zip goes to Lambda directly")
	}
	key := labelKey(loc, r.fn.Label, fmt.Sprintf("%x", r.zip.SHA256)+"/app.zip")
	latest := labelKey(loc, r.fn.Label, "latest/app.zip")
	r.artifactBucket, r.artifactKey = loc.Bucket, key
	exists, err := e.putIfMissing(ctx, loc.Bucket, key, r.zip.Path, r.zip.Size, r.objectMetadata())
	if err != nil {
		return err
	}
	// latest/ says which release it is: the metadata is replaced (the
	// content-hash key keeps that of the release that first stored it).
	_, err = e.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(latest), CopySource: aws.String(loc.Bucket + "/" + key),
		MetadataDirective: s3types.MetadataDirectiveReplace, Metadata: r.objectMetadata(), ContentType: aws.String("application/zip"),
		ServerSideEncryption: s3types.ServerSideEncryptionAes256})
	if err != nil {
		return fmt.Errorf("copy to s3://%s/%s: %w", loc.Bucket, latest, err)
	}
	if exists {
		return skip("s3://%s/%s already stored (latest/ updated)", loc.Bucket, key)
	}
	return nil
}

// objectMetadata is the S3 metadata of an uploaded zip: its CodeSha256, the
// commit and the release label.
func (r *release) objectMetadata() map[string]string {
	md := map[string]string{"code-sha256": r.zip.CodeSha256, "commit": r.head}
	if r.label != "" {
		md["release-label"] = r.label
	}
	return md
}

func isS3NotFound(err error) bool {
	var nf *s3types.NotFound
	var nsk *s3types.NoSuchKey
	if errors.As(err, &nf) || errors.As(err, &nsk) {
		return true
	}
	return strings.Contains(err.Error(), "StatusCode: 404")
}

func (r *release) artifactURL() string { return "s3://" + r.artifactBucket + "/" + r.artifactKey }

// code is where Lambda takes the package from: the uploaded artifact, or
// the zip itself when there is no artifacts bucket.
func (r *release) code() (*types.FunctionCode, error) {
	if r.artifactKey != "" {
		return &types.FunctionCode{S3Bucket: aws.String(r.artifactBucket), S3Key: aws.String(r.artifactKey)}, nil
	}
	data, err := os.ReadFile(r.zip.Path)
	if err != nil {
		return nil, err
	}
	return &types.FunctionCode{ZipFile: data}, nil
}
