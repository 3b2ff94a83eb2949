package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdas-dev/lambdas/manifest"
)

// loadAWS builds the SDK configuration from the default chain (environment,
// profiles, SSO, web identity, instance roles). The standard
// AWS_ENDPOINT_URL points every client at an emulator; S3 then needs
// path-style addressing.
func loadAWS(ctx context.Context, m *manifest.Manifest) (aws.Config, []func(*s3.Options), error) {
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
