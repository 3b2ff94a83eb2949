package testenv

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestLocalInvoke(t *testing.T) {
	moto := StartMoto(t)
	p := NewFaultProxy(t, moto.Endpoint)
	p.SetLocalInvoke(true)
	cfg := AWSConfig(t, p.URL())
	role := CreateRole(t, cfg, "invoke-test")
	lc := lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Retryer = aws.NopRetryer{} })
	ctx := context.Background()

	py := uniq(t, "py")
	v1 := MakeZip(t, map[string]string{"app.py": "import os\ndef handler(event, context):\n    print('hello from', context.function_version)\n    return {'ok': True, 'echo': event, 'stage': os.environ['STAGE']}\n"})
	if _, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(py), Runtime: types.RuntimePython312, Role: aws.String(role),
		Handler: aws.String("app.handler"), Code: &types.FunctionCode{ZipFile: v1}, Publish: true,
		Environment: &types.Environment{Variables: map[string]string{"STAGE": "qa"}}}); err != nil {
		t.Fatal(err)
	}
	// Version 2 fails; it comes from S3, as lambdas uploads it.
	CreateBucket(t, cfg, "invoke-code")
	v2 := MakeZip(t, map[string]string{"app.py": "def handler(event, context):\n    raise ValueError('boom')\n"})
	if _, err := S3Client(cfg).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("invoke-code"), Key: aws.String("v2.zip"), Body: strings.NewReader(string(v2))}); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(py), S3Bucket: aws.String("invoke-code"), S3Key: aws.String("v2.zip"), Publish: true}); err != nil {
		t.Fatal(err)
	}

	out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(py), Qualifier: aws.String("1"), Payload: []byte(`{"n":1}`), LogType: types.LogTypeTail})
	if err != nil {
		t.Fatal(err)
	}
	if out.FunctionError != nil || string(out.Payload) != `{"ok": true, "echo": {"n": 1}, "stage": "qa"}` || aws.ToString(out.ExecutedVersion) != "1" {
		t.Errorf("version 1: error %v, payload %s, executed %s", aws.ToString(out.FunctionError), out.Payload, aws.ToString(out.ExecutedVersion))
	}
	if tail, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult)); !strings.Contains(string(tail), "hello from 1") {
		t.Errorf("log tail: %q", tail)
	}
	out, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(py), Qualifier: aws.String("2"), Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), `"errorType":"ValueError"`) || !strings.Contains(string(out.Payload), "boom") {
		t.Errorf("version 2: error %q, payload %s", aws.ToString(out.FunctionError), out.Payload)
	}

	// An alias routes by its weights.
	if _, err := lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(py), Name: aws.String("live"), FunctionVersion: aws.String("1"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.5}}}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for range 40 {
		out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(py), Qualifier: aws.String("live"), Payload: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		seen[aws.ToString(out.ExecutedVersion)]++
	}
	if seen["1"] == 0 || seen["2"] == 0 || seen["1"]+seen["2"] != 40 {
		t.Errorf("executed versions through the weighted alias: %v", seen)
	}

	// Node, ESM with an import of a sibling module.
	node := uniq(t, "node")
	nz := MakeZip(t, map[string]string{"index.mjs": "import { greet } from './lib/greet.mjs';\nexport const handler = async (event) => ({ statusCode: 200, body: greet(event.name) });\n",
		"lib/greet.mjs": "export const greet = (n) => { console.log('greeting', n); return 'hi ' + n; };\n"})
	if _, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(node), Runtime: types.RuntimeNodejs22x, Role: aws.String(role),
		Handler: aws.String("index.handler"), Code: &types.FunctionCode{ZipFile: nz}, Publish: true}); err != nil {
		t.Fatal(err)
	}
	out, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(node), Qualifier: aws.String("1"), Payload: []byte(`{"name":"ann"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if out.FunctionError != nil || string(out.Payload) != `{"statusCode":200,"body":"hi ann"}` {
		t.Errorf("node: error %v, payload %s", aws.ToString(out.FunctionError), out.Payload)
	}

	// The lines are in CloudWatch Logs, marked with their version.
	logs := cloudwatchlogs.NewFromConfig(cfg)
	got, err := logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/" + node), StartTime: aws.Int64(time.Now().Add(-time.Minute).UnixMilli())})
	if err != nil {
		t.Fatal(err)
	}
	var text []string
	for _, e := range got.Events {
		text = append(text, aws.ToString(e.Message))
		if !strings.Contains(aws.ToString(e.LogStreamName), "/[1]") {
			t.Errorf("stream %s does not name version 1", aws.ToString(e.LogStreamName))
		}
	}
	joined := strings.Join(text, "\n")
	if !strings.Contains(joined, "Version: 1") || !strings.Contains(joined, "greeting ann") || !strings.Contains(joined, "REPORT RequestId") {
		t.Errorf("log lines:\n%s", joined)
	}
}
