package executor

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// layerAPI is the part of the Lambda client that layers and pruning use:
// every call in the control-plane bucket (15/s).
type layerAPI interface {
	PublishLayerVersion(context.Context, *lambda.PublishLayerVersionInput, ...func(*lambda.Options)) (*lambda.PublishLayerVersionOutput, error)
	GetLayerVersion(context.Context, *lambda.GetLayerVersionInput, ...func(*lambda.Options)) (*lambda.GetLayerVersionOutput, error)
	ListLayerVersions(context.Context, *lambda.ListLayerVersionsInput, ...func(*lambda.Options)) (*lambda.ListLayerVersionsOutput, error)
	DeleteLayerVersion(context.Context, *lambda.DeleteLayerVersionInput, ...func(*lambda.Options)) (*lambda.DeleteLayerVersionOutput, error)
	UpdateFunctionConfiguration(context.Context, *lambda.UpdateFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error)
	ListVersionsByFunction(context.Context, *lambda.ListVersionsByFunctionInput, ...func(*lambda.Options)) (*lambda.ListVersionsByFunctionOutput, error)
	ListAliases(context.Context, *lambda.ListAliasesInput, ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error)
	DeleteFunction(context.Context, *lambda.DeleteFunctionInput, ...func(*lambda.Options)) (*lambda.DeleteFunctionOutput, error)
}

var _ layerAPI = (*Lambda)(nil)

// errNoLayerAPI: the wrapped client cannot make layer calls (a test fake
// that does not implement them).
var errNoLayerAPI = errors.New("the Lambda client does not support layer and version calls")

func (c *Lambda) layers() (layerAPI, error) {
	l, ok := c.api.(layerAPI)
	if !ok {
		return nil, errNoLayerAPI
	}
	return l, nil
}

// The calls below count against the control-plane bucket, as every Lambda
// call but GetFunction does, and go through the bounded retry.

func (c *Lambda) PublishLayerVersion(ctx context.Context, in *lambda.PublishLayerVersionInput, opts ...func(*lambda.Options)) (*lambda.PublishLayerVersionOutput, error) {
	l, err := c.layers()
	if err != nil {
		return nil, err
	}
	return do(ctx, c, c.control, "PublishLayerVersion", true, func(ctx context.Context) (*lambda.PublishLayerVersionOutput, error) {
		return l.PublishLayerVersion(ctx, in, sdk(opts)...)
	})
}

func (c *Lambda) GetLayerVersion(ctx context.Context, in *lambda.GetLayerVersionInput, opts ...func(*lambda.Options)) (*lambda.GetLayerVersionOutput, error) {
	l, err := c.layers()
	if err != nil {
		return nil, err
	}
	return do(ctx, c, c.control, "GetLayerVersion", false, func(ctx context.Context) (*lambda.GetLayerVersionOutput, error) {
		return l.GetLayerVersion(ctx, in, sdk(opts)...)
	})
}

func (c *Lambda) ListLayerVersions(ctx context.Context, in *lambda.ListLayerVersionsInput, opts ...func(*lambda.Options)) (*lambda.ListLayerVersionsOutput, error) {
	l, err := c.layers()
	if err != nil {
		return nil, err
	}
	return do(ctx, c, c.control, "ListLayerVersions", false, func(ctx context.Context) (*lambda.ListLayerVersionsOutput, error) {
		return l.ListLayerVersions(ctx, in, sdk(opts)...)
	})
}

func (c *Lambda) DeleteLayerVersion(ctx context.Context, in *lambda.DeleteLayerVersionInput, opts ...func(*lambda.Options)) (*lambda.DeleteLayerVersionOutput, error) {
	l, err := c.layers()
	if err != nil {
		return nil, err
	}
	return do(ctx, c, c.control, "DeleteLayerVersion", true, func(ctx context.Context) (*lambda.DeleteLayerVersionOutput, error) {
		return l.DeleteLayerVersion(ctx, in, sdk(opts)...)
	})
}

func (c *Lambda) UpdateFunctionConfiguration(ctx context.Context, in *lambda.UpdateFunctionConfigurationInput, opts ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	l, err := c.layers()
	if err != nil {
		return nil, err
	}
	return do(ctx, c, c.control, "UpdateFunctionConfiguration", true, func(ctx context.Context) (*lambda.UpdateFunctionConfigurationOutput, error) {
		return l.UpdateFunctionConfiguration(ctx, in, sdk(opts)...)
	})
}

func (c *Lambda) ListVersionsByFunction(ctx context.Context, in *lambda.ListVersionsByFunctionInput, opts ...func(*lambda.Options)) (*lambda.ListVersionsByFunctionOutput, error) {
	l, err := c.layers()
	if err != nil {
		return nil, err
	}
	return do(ctx, c, c.control, "ListVersionsByFunction", false, func(ctx context.Context) (*lambda.ListVersionsByFunctionOutput, error) {
		return l.ListVersionsByFunction(ctx, in, sdk(opts)...)
	})
}

func (c *Lambda) ListAliases(ctx context.Context, in *lambda.ListAliasesInput, opts ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error) {
	l, err := c.layers()
	if err != nil {
		return nil, err
	}
	return do(ctx, c, c.control, "ListAliases", false, func(ctx context.Context) (*lambda.ListAliasesOutput, error) {
		return l.ListAliases(ctx, in, sdk(opts)...)
	})
}

func (c *Lambda) DeleteFunction(ctx context.Context, in *lambda.DeleteFunctionInput, opts ...func(*lambda.Options)) (*lambda.DeleteFunctionOutput, error) {
	l, err := c.layers()
	if err != nil {
		return nil, err
	}
	return do(ctx, c, c.control, "DeleteFunction", true, func(ctx context.Context) (*lambda.DeleteFunctionOutput, error) {
		return l.DeleteFunction(ctx, in, sdk(opts)...)
	})
}
