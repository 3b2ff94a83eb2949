package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3API is what the S3 backend calls; *s3.Client satisfies it.
type S3API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// S3 stores the state in one S3 object, s3://Bucket/Key. Every write is
// conditional: If-Match on the ETag last read, If-None-Match: * for the
// first one, so that a write over another run's is refused (412) instead of
// losing it. Each function's lock is an object of its own,
// <Key>.locks/<label>, created with If-None-Match: * and holding the
// holder's LockInfo; it is deleted (If-Match its ETag) when released, and a
// crashed holder's stays until `lambdas force-unlock ID`: it is reported
// with its age, never taken over. Every object is written with server-side
// encryption (SSE-KMS with KMSKeyID, else SSE-S3) and, with
// ExpectedBucketOwner, only to a bucket of that account.
type S3 struct {
	Client S3API
	Bucket string
	Key    string
	// ExpectedBucketOwner is the account that must own the bucket ("": not
	// checked). S3 refuses every request to a bucket of another account.
	ExpectedBucketOwner string
	// KMSKeyID encrypts with SSE-KMS under this key (ID, ARN or alias);
	// "" encrypts with SSE-S3 (AES256).
	KMSKeyID string
}

func (s *S3) String() string { return "s3://" + s.Bucket + "/" + s.Key }

func (s *S3) owner() *string {
	if s.ExpectedBucketOwner == "" {
		return nil
	}
	return aws.String(s.ExpectedBucketOwner)
}

// put writes an object with the backend's encryption and owner check.
func (s *S3) put(ctx context.Context, key string, data []byte, ifMatch, ifNoneMatch string) (*s3.PutObjectOutput, error) {
	in := &s3.PutObjectInput{
		Bucket:               aws.String(s.Bucket),
		Key:                  aws.String(key),
		Body:                 bytes.NewReader(data),
		ContentLength:        aws.Int64(int64(len(data))),
		ContentType:          aws.String("application/json"),
		ExpectedBucketOwner:  s.owner(),
		ServerSideEncryption: s3types.ServerSideEncryptionAes256,
	}
	if s.KMSKeyID != "" {
		in.ServerSideEncryption, in.SSEKMSKeyId = s3types.ServerSideEncryptionAwsKms, aws.String(s.KMSKeyID)
	}
	if ifMatch != "" {
		in.IfMatch = aws.String(ifMatch)
	}
	if ifNoneMatch != "" {
		in.IfNoneMatch = aws.String(ifNoneMatch)
	}
	return s.Client.PutObject(ctx, in)
}

func (s *S3) get(ctx context.Context, key string) ([]byte, string, error) {
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key), ExpectedBucketOwner: s.owner()})
	if isNoSuchKey(err) {
		return nil, "", ErrNotExist
	}
	if err != nil {
		return nil, "", err
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, "", fmt.Errorf("read s3://%s/%s: %w", s.Bucket, key, err)
	}
	return data, aws.ToString(out.ETag), nil
}

// Get reads the state object.
func (s *S3) Get(ctx context.Context) ([]byte, error) {
	data, _, err := s.get(ctx, s.Key)
	return data, err
}

// Read reads the state object; its version is the ETag.
func (s *S3) Read(ctx context.Context) ([]byte, string, error) {
	data, etag, err := s.get(ctx, s.Key)
	if err == nil && etag == "" {
		return nil, "", fmt.Errorf("read %s: S3 answered without an ETag, which conditional writes need", s)
	}
	return data, etag, err
}

// Put replaces the state object unconditionally.
func (s *S3) Put(ctx context.Context, data []byte) error {
	_, err := s.put(ctx, s.Key, data, "", "")
	return err
}

// WriteIf replaces the state object if its ETag is still version, or
// creates it if version is "" and there is none.
func (s *S3) WriteIf(ctx context.Context, data []byte, version string) (string, error) {
	ifNoneMatch := ""
	if version == "" {
		ifNoneMatch = "*"
	}
	out, err := s.put(ctx, s.Key, data, version, ifNoneMatch)
	if isConditionFailed(err) {
		return "", fmt.Errorf("%s: %w", s, ErrConflict)
	}
	if err != nil {
		return "", err
	}
	etag := aws.ToString(out.ETag)
	if etag == "" {
		return "", fmt.Errorf("write %s: S3 answered without an ETag, which conditional writes need", s)
	}
	return etag, nil
}

// Delete removes the state object.
func (s *S3) Delete(ctx context.Context) error {
	_, err := s.Client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.Key), ExpectedBucketOwner: s.owner()})
	if isNoSuchKey(err) {
		return nil
	}
	return err
}

func (s *S3) lockPrefix() string { return s.Key + ".locks/" }

// LockFunctions takes each function's lock object.
func (s *S3) LockFunctions(ctx context.Context, labels []string, info LockInfo, wait time.Duration) (func(context.Context) error, error) {
	return acquire(ctx, s3Slots{s}, labels, info, wait)
}

type s3Slots struct{ s *S3 }

func (l s3Slots) String() string { return l.s.String() }

func (l s3Slots) tryLock(ctx context.Context, label string, info LockInfo) (func(context.Context) error, *LockInfo, error) {
	if err := checkLabel(label); err != nil {
		return nil, nil, err
	}
	s := l.s
	key := s.lockPrefix() + label
	data, err := json.Marshal(info)
	if err != nil {
		return nil, nil, err
	}
	// Two attempts: a lock found held that is gone when read was released
	// in between, and is tried once more at once.
	for range 2 {
		out, err := s.put(ctx, key, data, "", "*")
		if err == nil {
			etag := aws.ToString(out.ETag)
			return func(ctx context.Context) error { return s.releaseLock(ctx, label, key, etag) }, nil, nil
		}
		if !isConditionFailed(err) {
			return nil, nil, fmt.Errorf("create s3://%s/%s: %w", s.Bucket, key, err)
		}
		held, _, err := s.get(ctx, key)
		if errors.Is(err, ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read the holder of s3://%s/%s: %w", s.Bucket, key, err)
		}
		var holder LockInfo
		if err := json.Unmarshal(held, &holder); err != nil {
			holder.Who = fmt.Sprintf("an unreadable lock object (%v)", err)
		}
		return nil, &holder, nil
	}
	return nil, &LockInfo{Who: "a run that keeps taking and releasing it"}, nil
}

// releaseLock deletes a lock object if it is still the one this run wrote
// (If-Match its ETag): a lock force-unlocked and taken by another run since
// is left to that run.
func (s *S3) releaseLock(ctx context.Context, label, key, etag string) error {
	in := &s3.DeleteObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key), ExpectedBucketOwner: s.owner()}
	if etag != "" {
		in.IfMatch = aws.String(etag)
	}
	_, err := s.Client.DeleteObject(ctx, in)
	switch {
	case err == nil, isNoSuchKey(err):
		return nil
	case isConditionFailed(err):
		return fmt.Errorf("the lock of function %s (s3://%s/%s) was force-unlocked and taken by another run while this one held it; left to that run", label, s.Bucket, key)
	}
	return fmt.Errorf("release the lock of function %s (s3://%s/%s): %w", label, s.Bucket, key, err)
}

// Locks lists the lock objects: label → holder.
func (s *S3) Locks(ctx context.Context) (map[string]LockInfo, map[string]string, error) {
	out := map[string]LockInfo{}
	etags := map[string]string{}
	var token *string
	for page := 0; ; page++ {
		if page >= 1000 {
			return nil, nil, fmt.Errorf("list the locks of %s: more than 1000 pages", s)
		}
		res, err := s.Client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket), Prefix: aws.String(s.lockPrefix()), ContinuationToken: token, ExpectedBucketOwner: s.owner()})
		if err != nil {
			return nil, nil, fmt.Errorf("list the locks of %s: %w", s, err)
		}
		for _, o := range res.Contents {
			key := aws.ToString(o.Key)
			label := strings.TrimPrefix(key, s.lockPrefix())
			data, etag, err := s.get(ctx, key)
			if errors.Is(err, ErrNotExist) {
				continue // released meanwhile
			}
			if err != nil {
				return nil, nil, err
			}
			var info LockInfo
			_ = json.Unmarshal(data, &info)
			out[label], etags[label] = info, etag
		}
		if !aws.ToBool(res.IsTruncated) || res.NextContinuationToken == nil {
			return out, etags, nil
		}
		token = res.NextContinuationToken
	}
}

// ForceUnlock deletes the lock objects with the ID.
func (s *S3) ForceUnlock(ctx context.Context, id string) ([]string, error) {
	locks, etags, err := s.Locks(ctx)
	if err != nil {
		return nil, err
	}
	var freed []string
	for label, info := range locks {
		if info.ID != id {
			continue
		}
		if err := s.releaseLock(ctx, label, s.lockPrefix()+label, etags[label]); err != nil {
			return freed, err
		}
		freed = append(freed, label)
	}
	if len(freed) == 0 {
		return nil, fmt.Errorf("no lock with id %s in state %s", id, s)
	}
	sort.Strings(freed)
	return freed, nil
}

func isNoSuchKey(err error) bool {
	if err == nil {
		return false
	}
	var nsk *s3types.NoSuchKey
	var nf *s3types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchKey" || ae.ErrorCode() == "NotFound") {
		return true
	}
	return httpStatus(err) == http.StatusNotFound
}

// isConditionFailed reports a conditional write refused: 412
// PreconditionFailed, or 409 ConditionalRequestConflict (another
// conditional write of the key was under way).
func isConditionFailed(err error) bool {
	if err == nil {
		return false
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "PreconditionFailed", "ConditionalRequestConflict":
			return true
		}
	}
	return httpStatus(err) == http.StatusPreconditionFailed
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
