package testenv

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestMain(m *testing.M) { os.Exit(RunTests(m)) }

// noRetries makes the SDK surface the first error it meets.
func noRetries(o *lambda.Options) { o.Retryer = aws.NopRetryer{} }

// newFunction creates a python function named name with the given zip and
// returns its configuration.
func newFunction(t *testing.T, c *lambda.Client, role, name string, zip []byte) *lambda.CreateFunctionOutput {
	t.Helper()
	out, err := c.CreateFunction(t.Context(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      types.RuntimePython312,
		Role:         aws.String(role),
		Handler:      aws.String("app.handler"),
		Code:         &types.FunctionCode{ZipFile: zip},
	})
	if err != nil {
		t.Fatalf("CreateFunction %s: %v", name, err)
	}
	return out
}

// uniq makes names unique per test run in the shared moto.
func uniq(t *testing.T, base string) string {
	return base + "-" + strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())) + "-" + time.Now().Format("150405.000000")[7:]
}

// TestMotoLambdaBehaviour pins down, through the real SDK, what moto 5.2.1
// does for the calls the apply code makes, including its quirks (see
// README.md). If an assertion here starts failing after a moto upgrade, update
// the README too.
func TestMotoLambdaBehaviour(t *testing.T) {
	m := StartMoto(t)
	cfg := AWSConfig(t, m.Endpoint)
	c := lambda.NewFromConfig(cfg, noRetries)
	ctx := t.Context()
	role := CreateRole(t, cfg, "lambda-exec")
	if !strings.HasPrefix(role, "arn:aws:iam::"+AccountID+":role/") {
		t.Fatalf("role ARN = %s", role)
	}

	// CreateFunction refuses a role that does not exist.
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(uniq(t, "norole")),
		Runtime:      types.RuntimePython312,
		Role:         aws.String("arn:aws:iam::" + AccountID + ":role/missing"),
		Handler:      aws.String("app.handler"),
		Code:         &types.FunctionCode{ZipFile: MakeZip(t, map[string]string{"app.py": "x"})},
	})
	var invalid *types.InvalidParameterValueException
	if !errors.As(err, &invalid) {
		t.Errorf("CreateFunction with a missing role: err = %v, want InvalidParameterValueException", err)
	}

	name := uniq(t, "fn")
	zip1 := MakeZip(t, map[string]string{"app.py": "def handler(e, c):\n    return 1\n"})
	created := newFunction(t, c, role, name, zip1)
	if got, want := aws.ToString(created.CodeSha256), CodeSha256(zip1); got != want {
		t.Errorf("CreateFunction CodeSha256 = %s, want base64(sha256(zip)) %s", got, want)
	}
	if created.State != types.StateActive {
		t.Errorf("CreateFunction State = %q, want Active (moto never reports Pending)", created.State)
	}
	if created.LastUpdateStatus != "" {
		t.Errorf("CreateFunction LastUpdateStatus = %q, want empty (as AWS)", created.LastUpdateStatus)
	}
	if aws.ToString(created.Version) != "$LATEST" {
		t.Errorf("CreateFunction Version = %q", aws.ToString(created.Version))
	}

	got, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if got.Configuration.State != types.StateActive || got.Configuration.LastUpdateStatus != types.LastUpdateStatusSuccessful {
		t.Errorf("GetFunction State/LastUpdateStatus = %q/%q, want Active/Successful", got.Configuration.State, got.Configuration.LastUpdateStatus)
	}
	if aws.ToString(got.Configuration.CodeSha256) != CodeSha256(zip1) {
		t.Errorf("GetFunction CodeSha256 = %s", aws.ToString(got.Configuration.CodeSha256))
	}
	if got.Configuration.RevisionId != nil {
		t.Errorf("moto now returns a function RevisionId (%s): update README", aws.ToString(got.Configuration.RevisionId))
	}

	// The first PublishVersion creates version 1; another one with nothing
	// changed returns version 1 again, as AWS does.
	v1, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name), CodeSha256: aws.String(CodeSha256(zip1))})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(v1.Version) != "1" {
		t.Fatalf("first PublishVersion = %q, want 1", aws.ToString(v1.Version))
	}
	again, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(again.Version) != "1" {
		t.Errorf("PublishVersion with no change = %q, want 1", aws.ToString(again.Version))
	}

	// UpdateFunctionCode, then PublishVersion with a wrong CodeSha256: moto
	// accepts it (AWS answers 412). FaultProxy's strict mode adds the check.
	zip2 := MakeZip(t, map[string]string{"app.py": "def handler(e, c):\n    return 2\n"})
	upd, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), ZipFile: zip2})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(upd.CodeSha256) != CodeSha256(zip2) || upd.LastUpdateStatus != types.LastUpdateStatusSuccessful {
		t.Errorf("UpdateFunctionCode answer: CodeSha256 %s LastUpdateStatus %q", aws.ToString(upd.CodeSha256), upd.LastUpdateStatus)
	}
	v2, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name), CodeSha256: aws.String("wrong")})
	if err != nil {
		t.Fatalf("moto now checks CodeSha256 on PublishVersion (%v): update README", err)
	}
	if aws.ToString(v2.Version) != "2" || aws.ToString(v2.CodeSha256) != CodeSha256(zip2) {
		t.Errorf("second version = %q %s", aws.ToString(v2.Version), aws.ToString(v2.CodeSha256))
	}

	// Versions keep their own CodeSha256.
	gv1, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name), Qualifier: aws.String("1")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(gv1.Configuration.CodeSha256) != CodeSha256(zip1) || aws.ToString(gv1.Configuration.Version) != "1" {
		t.Errorf("GetFunction Qualifier=1: CodeSha256 %s Version %s", aws.ToString(gv1.Configuration.CodeSha256), aws.ToString(gv1.Configuration.Version))
	}

	// UpdateFunctionConfiguration counts as a change for PublishVersion.
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(name),
		Environment:  &types.Environment{Variables: map[string]string{"A": "1"}},
	}); err != nil {
		t.Fatal(err)
	}
	v3, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(v3.Version) != "3" {
		t.Errorf("PublishVersion after a configuration change = %q, want 3", aws.ToString(v3.Version))
	}

	// Aliases with weighted routing.
	al, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{
		FunctionName:    aws.String(name),
		Name:            aws.String("live"),
		FunctionVersion: aws.String("1"),
		RoutingConfig:   &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(al.FunctionVersion) != "1" || al.RoutingConfig == nil || al.RoutingConfig.AdditionalVersionWeights["2"] != 0.1 {
		t.Errorf("CreateAlias answer = %+v", al)
	}
	if al.RevisionId == nil {
		t.Errorf("CreateAlias: no RevisionId")
	}
	// moto accepts a weight of 1.5 (AWS refuses); strict FaultProxy refuses.
	if _, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{
		FunctionName:  aws.String(name),
		Name:          aws.String("live"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 1.5}},
	}); err != nil {
		t.Errorf("moto now validates weights (%v): update README", err)
	}
	// Finish a shift: new version, empty weights.
	ua, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{
		FunctionName:    aws.String(name),
		Name:            aws.String("live"),
		FunctionVersion: aws.String("2"),
		RoutingConfig:   &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(ua.FunctionVersion) != "2" || (ua.RoutingConfig != nil && len(ua.RoutingConfig.AdditionalVersionWeights) != 0) {
		t.Errorf("UpdateAlias answer: version %s routing %+v", aws.ToString(ua.FunctionVersion), ua.RoutingConfig)
	}
	if aws.ToString(ua.RevisionId) != aws.ToString(al.RevisionId) {
		t.Logf("moto now changes the alias RevisionId on update: update README")
	}
	ga, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(name), Name: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(ga.FunctionVersion) != "2" {
		t.Errorf("GetAlias FunctionVersion = %s", aws.ToString(ga.FunctionVersion))
	}
	// An alias to a version that does not exist is refused.
	_, err = c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), FunctionVersion: aws.String("99")})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("UpdateAlias to version 99: err = %v, want ResourceNotFoundException", err)
	}
	// GetFunction through the alias qualifier answers the aliased version.
	viaAlias, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name), Qualifier: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(viaAlias.CodeSha256) != CodeSha256(zip2) {
		t.Errorf("GetFunctionConfiguration Qualifier=live: CodeSha256 %s, want version 2's", aws.ToString(viaAlias.CodeSha256))
	}
	// A function ARN works as FunctionName.
	if _, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: created.FunctionArn}); err != nil {
		t.Errorf("GetFunction by ARN: %v", err)
	}

	// Code from S3.
	bucket := strings.ToLower(uniq(t, "code"))
	CreateBucket(t, cfg, bucket)
	zip3 := MakeZip(t, map[string]string{"app.py": "def handler(e, c):\n    return 3\n"})
	if _, err := S3Client(cfg).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("fn.zip"), Body: strings.NewReader(string(zip3))}); err != nil {
		t.Fatal(err)
	}
	s3name := uniq(t, "s3fn")
	s3fn, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(s3name),
		Runtime:      types.RuntimePython312,
		Role:         aws.String(role),
		Handler:      aws.String("app.handler"),
		Code:         &types.FunctionCode{S3Bucket: aws.String(bucket), S3Key: aws.String("fn.zip")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(s3fn.CodeSha256) != CodeSha256(zip3) {
		t.Errorf("S3 code CodeSha256 = %s, want %s", aws.ToString(s3fn.CodeSha256), CodeSha256(zip3))
	}
	upd3, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(s3name), S3Bucket: aws.String(bucket), S3Key: aws.String("fn.zip")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(upd3.CodeSha256) != CodeSha256(zip3) {
		t.Errorf("UpdateFunctionCode from S3: CodeSha256 = %s", aws.ToString(upd3.CodeSha256))
	}
	// A missing S3 object is accepted (AWS refuses it).
	if _, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(s3name), S3Bucket: aws.String(bucket), S3Key: aws.String("missing.zip")}); err != nil {
		t.Logf("moto refuses a missing S3 object now (%v): update README", err)
	}

	// Layers.
	layer, err := c.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{
		LayerName:          aws.String(uniq(t, "deps")),
		Content:            &types.LayerVersionContentInput{ZipFile: MakeZip(t, map[string]string{"python/x.py": "x"})},
		CompatibleRuntimes: []types.Runtime{types.RuntimePython312},
	})
	if err != nil {
		t.Fatal(err)
	}
	if layer.Version != 1 || aws.ToString(layer.LayerVersionArn) == "" {
		t.Errorf("PublishLayerVersion = %d %s", layer.Version, aws.ToString(layer.LayerVersionArn))
	}
	withLayer, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name), Layers: []string{aws.ToString(layer.LayerVersionArn)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(withLayer.Layers) != 1 || aws.ToString(withLayer.Layers[0].Arn) != aws.ToString(layer.LayerVersionArn) {
		t.Errorf("UpdateFunctionConfiguration Layers = %+v", withLayer.Layers)
	}
}

// TestMotoCloudWatchQueryProtocol checks that moto understands CloudWatch
// through the awsQuery protocol, and that alarms can be forced to ALARM.
func TestMotoCloudWatchQueryProtocol(t *testing.T) {
	m := StartMoto(t)
	cw := cloudwatch.NewFromConfig(AWSConfig(t, m.Endpoint), CloudWatchQueryProtocol)
	ctx := t.Context()
	alarm := uniq(t, "errors")
	_, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(alarm),
		Namespace:          aws.String("AWS/Lambda"),
		MetricName:         aws.String("Errors"),
		Statistic:          cwtypes.StatisticSum,
		Period:             aws.Int32(60),
		EvaluationPeriods:  aws.Int32(1),
		Threshold:          aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
	})
	if err != nil {
		t.Fatalf("PutMetricAlarm: %v", err)
	}
	if _, err := cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(alarm), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("test")}); err != nil {
		t.Fatalf("SetAlarmState: %v", err)
	}
	out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{alarm}})
	if err != nil {
		t.Fatalf("DescribeAlarms: %v", err)
	}
	if len(out.MetricAlarms) != 1 || out.MetricAlarms[0].StateValue != cwtypes.StateValueAlarm {
		t.Fatalf("DescribeAlarms = %+v", out.MetricAlarms)
	}
}

// TestMotoQuirks pins down where moto 5.2.1 differs from AWS in ways the apply
// code could trip over (README.md lists them). A failure here after a moto
// upgrade means a quirk is gone: update the README.
func TestMotoQuirks(t *testing.T) {
	m := StartMoto(t)
	cfg := AWSConfig(t, m.Endpoint)
	c := lambda.NewFromConfig(cfg, noRetries)
	ctx := t.Context()
	role := CreateRole(t, cfg, "lambda-exec")
	name := uniq(t, "fn")
	zip1 := MakeZip(t, map[string]string{"app.py": "1"})
	newFunction(t, c, role, name, zip1)
	publish := func() string {
		t.Helper()
		out, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Version)
	}
	publish() // 1

	// 1. Any UpdateFunctionCode, even with the same zip, makes the next
	// PublishVersion publish a new version (AWS returns the existing one).
	if _, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), ZipFile: zip1}); err != nil {
		t.Fatal(err)
	}
	if v := publish(); v != "2" {
		t.Errorf("publish after a same-code update = %s; moto used to publish 2", v)
	}

	// 2. Version numbers are len(versions)+1: after deleting version 2 of
	// [1 2], the next version is numbered 2 again (AWS: 3, never reused).
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name), Qualifier: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name), Description: aws.String("d")}); err != nil {
		t.Fatal(err)
	}
	if v := publish(); v != "2" {
		t.Errorf("publish after deleting version 2 = %s; moto used to reuse 2", v)
	}

	// 3. Deleting a version an alias points to is allowed (AWS: 409).
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name), Qualifier: aws.String("1")}); err != nil {
		t.Errorf("moto now refuses to delete an aliased version: %v", err)
	}

	// 4. UpdateAlias ignores RevisionId; an alias on $LATEST is fine (as on AWS).
	if _, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), FunctionVersion: aws.String("$LATEST"), RevisionId: aws.String("garbage")}); err != nil {
		t.Errorf("moto now checks the alias RevisionId: %v", err)
	}

	// 5. Code that is not a zip is accepted; a missing S3 object too, with
	// CodeSha256 "" and CodeSize 0; a missing bucket is a 500 with an HTML
	// body, which the SDK reports as a deserialization error.
	if _, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), ZipFile: []byte("not a zip")}); err != nil {
		t.Errorf("moto now refuses a non-zip: %v", err)
	}
	bucket := strings.ToLower(uniq(t, "quirks"))
	CreateBucket(t, cfg, bucket)
	out, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), S3Bucket: aws.String(bucket), S3Key: aws.String("missing.zip")})
	if err != nil || aws.ToString(out.CodeSha256) != "" || out.CodeSize != 0 {
		t.Errorf("missing S3 object: %v, CodeSha256 %q", err, aws.ToString(out.CodeSha256))
	}
	_, err = c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), S3Bucket: aws.String(bucket + "-missing"), S3Key: aws.String("x.zip")})
	if httpStatus(err) != 500 {
		t.Errorf("missing S3 bucket: %v, want HTTP 500", err)
	}

	// 6. Environment variables over 4 KB are accepted (AWS: 400).
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name),
		Environment: &types.Environment{Variables: map[string]string{"BIG": strings.Repeat("x", 5000)}}}); err != nil {
		t.Errorf("moto now limits environment size: %v", err)
	}
}
