package testenv

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// DefaultRegion is the region AWSConfig uses when none is given.
const DefaultRegion = "us-east-1"

// AccountID is moto's default account: the one every ARN it returns names.
const AccountID = "123456789012"

// AWSConfig returns a config for the emulator at endpoint (moto, or a
// FaultProxy in front of it): dummy static credentials, region us-east-1 or
// the one given, BaseEndpoint = endpoint, and the SDK's default retryer.
//
// It is built by hand rather than by config.LoadDefaultConfig on purpose:
// nothing is read from the environment or ~/.aws (no AWS_PROFILE, no
// AWS_ENDPOINT_URL_*), so a developer's real setup can never leak into a test.
// S3 clients still need UsePathStyle = true (see S3Client).
func AWSConfig(t testing.TB, endpoint string, region ...string) aws.Config {
	t.Helper()
	if endpoint == "" {
		t.Fatalf("testenv.AWSConfig: empty endpoint")
	}
	r := DefaultRegion
	if len(region) > 0 && region[0] != "" {
		r = region[0]
	}
	return aws.Config{
		Region:       r,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

// S3Client returns an S3 client for cfg with path-style addressing, which
// moto needs (bucket.127.0.0.1 does not resolve).
func S3Client(cfg aws.Config, optFns ...func(*s3.Options)) *s3.Client {
	return s3.NewFromConfig(cfg, append([]func(*s3.Options){func(o *s3.Options) { o.UsePathStyle, o.DisableLogOutputChecksumValidationSkipped = true, true }}, optFns...)...)
}

// CloudWatchQueryProtocol is a cloudwatch client option that makes it speak
// the awsQuery protocol. Recent clients speak rpcv2-CBOR, which moto cannot
// parse (404 "unexpected minor value"); AWS itself still accepts awsQuery.
//
//	cloudwatch.NewFromConfig(cfg, testenv.CloudWatchQueryProtocol)
func CloudWatchQueryProtocol(o *cloudwatch.Options) {
	o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
}

// lambdaTrustPolicy lets the Lambda service assume the role.
const lambdaTrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// CreateRole creates an IAM role that Lambda may assume and returns its ARN.
// moto's CreateFunction refuses a role that does not exist. If the role
// already exists (a shared moto), its ARN is returned.
func CreateRole(t testing.TB, cfg aws.Config, name string) (arn string) {
	t.Helper()
	c := iam.NewFromConfig(cfg)
	out, err := c.CreateRole(t.Context(), &iam.CreateRoleInput{
		RoleName:                 aws.String(name),
		AssumeRolePolicyDocument: aws.String(lambdaTrustPolicy),
	})
	var exists *iamtypes.EntityAlreadyExistsException
	if errors.As(err, &exists) {
		got, gerr := c.GetRole(t.Context(), &iam.GetRoleInput{RoleName: aws.String(name)})
		if gerr != nil {
			t.Fatalf("testenv: get existing role %s: %v", name, gerr)
		}
		return aws.ToString(got.Role.Arn)
	}
	if err != nil {
		t.Fatalf("testenv: create role %s: %v", name, err)
	}
	return aws.ToString(out.Role.Arn)
}

// CreateBucket creates an S3 bucket (path-style) in cfg's region. A bucket
// that this account already owns is fine.
func CreateBucket(t testing.TB, cfg aws.Config, bucket string) {
	t.Helper()
	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	if cfg.Region != "" && cfg.Region != "us-east-1" {
		// us-east-1 refuses an explicit LocationConstraint; every other
		// region requires one.
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{
			LocationConstraint: s3types.BucketLocationConstraint(cfg.Region),
		}
	}
	_, err := S3Client(cfg).CreateBucket(t.Context(), in)
	var owned *s3types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		t.Fatalf("testenv: create bucket %s: %v", bucket, err)
	}
}
