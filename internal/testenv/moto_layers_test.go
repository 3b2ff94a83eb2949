package testenv

import (
	"testing"

	"bytes"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestMotoLayers pins what moto 5.2.1 does with the layer calls lambdas
// makes (publish from S3, attach, versions keep their layers, list,
// delete), so that a moto upgrade that changes it is seen here first.
func TestMotoLayers(t *testing.T) {
	m := StartMoto(t)
	cfg := AWSConfig(t, m.Endpoint)
	c := lambda.NewFromConfig(cfg, noRetries)
	ctx := t.Context()
	role := CreateRole(t, cfg, "lambda-exec")
	bucket := "moto-layers"
	CreateBucket(t, cfg, bucket)
	zip := MakeZip(t, map[string]string{"python/mod.py": "X = 1\n"})
	if _, err := S3Client(cfg).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("layer.zip"), Body: bytes.NewReader(zip)}); err != nil {
		t.Fatal(err)
	}
	layer := uniq(t, "layer")
	publish := func() *lambda.PublishLayerVersionOutput {
		t.Helper()
		out, err := c.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String(layer), Description: aws.String("lambdas deps fp"),
			Content:            &types.LayerVersionContentInput{S3Bucket: aws.String(bucket), S3Key: aws.String("layer.zip")},
			CompatibleRuntimes: []types.Runtime{types.RuntimePython312}, CompatibleArchitectures: []types.Architecture{types.ArchitectureArm64}})
		if err != nil {
			t.Fatalf("PublishLayerVersion from S3: %v", err)
		}
		return out
	}
	v1, v2 := publish(), publish()
	if v1.Version != 1 || v2.Version != 2 || aws.ToString(v2.Description) != "lambdas deps fp" {
		t.Errorf("layer versions %d, %d (%q)", v1.Version, v2.Version, aws.ToString(v2.Description))
	}

	name := uniq(t, "fn")
	newFunction(t, c, role, name, MakeZip(t, map[string]string{"app.py": "x"}))
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name), Layers: []string{aws.ToString(v1.LayerVersionArn)}}); err != nil {
		t.Fatal(err)
	}
	p1, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name), Layers: []string{aws.ToString(v2.LayerVersionArn)}}); err != nil {
		t.Fatal(err)
	}
	// A version keeps the layers it was published with; GetFunction with
	// the version as qualifier and ListVersionsByFunction say which.
	got, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name), Qualifier: p1.Version})
	if err != nil || len(got.Configuration.Layers) != 1 || aws.ToString(got.Configuration.Layers[0].Arn) != aws.ToString(v1.LayerVersionArn) {
		t.Errorf("version %s's layers: %v (%v)", aws.ToString(p1.Version), got, err)
	}
	list, err := c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(name)})
	if err != nil || len(list.Versions) != 2 {
		t.Fatalf("ListVersionsByFunction: %v", err)
	}
	for _, v := range list.Versions {
		want := v2.LayerVersionArn // $LATEST
		if aws.ToString(v.Version) == "1" {
			want = v1.LayerVersionArn
		}
		if len(v.Layers) != 1 || aws.ToString(v.Layers[0].Arn) != aws.ToString(want) {
			t.Errorf("ListVersionsByFunction: version %s has layers %v", aws.ToString(v.Version), v.Layers)
		}
	}
	// ListLayerVersions lists every version with its description;
	// DeleteLayerVersion removes one (a function using it keeps working
	// on AWS; moto does not check either way).
	lv, err := c.ListLayerVersions(ctx, &lambda.ListLayerVersionsInput{LayerName: aws.String(layer)})
	if err != nil || len(lv.LayerVersions) != 2 {
		t.Fatalf("ListLayerVersions: %v, %v", lv, err)
	}
	if _, err := c.DeleteLayerVersion(ctx, &lambda.DeleteLayerVersionInput{LayerName: aws.String(layer), VersionNumber: aws.Int64(1)}); err != nil {
		t.Fatal(err)
	}
	if lv, _ = c.ListLayerVersions(ctx, &lambda.ListLayerVersionsInput{LayerName: aws.String(layer)}); len(lv.LayerVersions) != 1 {
		t.Errorf("after DeleteLayerVersion: %d versions", len(lv.LayerVersions))
	}
	// CreateFunction takes Layers.
	created, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(uniq(t, "created")), Runtime: types.RuntimePython312, Role: aws.String(role),
		Handler: aws.String("app.handler"), Code: &types.FunctionCode{ZipFile: MakeZip(t, map[string]string{"app.py": "x"})}, Layers: []string{aws.ToString(v2.LayerVersionArn)}, Publish: true})
	if err != nil || len(created.Layers) != 1 {
		t.Errorf("CreateFunction with a layer: %v, %v", created, err)
	}
}
