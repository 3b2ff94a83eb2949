package iampolicy

import "strings"

// Resource kinds: what a call acts on.
const (
	OnFunction      = "function"             // arn:…:function:NAME ($LATEST)
	OnVersion       = "version"              // arn:…:function:NAME:7
	OnAlias         = "alias"                // arn:…:function:NAME:live
	OnCreated       = "function with create" // a function with a create block
	OnWithDeps      = "function with dependencies"
	OnRole          = "create role"       // a create block's role
	OnLayer         = "layer"             // arn:…:layer:lambdas-PROJECT-LABEL
	OnLayerVersion  = "layer version"     // …:layer:lambdas-PROJECT-LABEL:3
	OnAlarm         = "alarm"             // a deploy block's alarm
	OnLogGroup      = "log group"         // /aws/lambda/NAME
	OnLogStream     = "log stream"        // /aws/lambda/NAME:log-stream:…
	OnArtifact      = "artifact"          // s3://bucket/prefix/LABEL/SHA/app.zip, …/latest/app.zip
	OnArtifactsList = "artifacts bucket"  // ListBucket, for 404s
	OnState         = "state object"      // s3://bucket/key
	OnStateLock     = "state lock object" // s3://bucket/key.locks/LABEL
	OnStateList     = "state bucket"      // ListBucket, for 404s
)

// Call is one AWS API call lambdas makes (or will make once the open work
// lands), and the IAM actions it needs on the resource of kind On.
type Call struct {
	Service   string // the SigV4 service name: lambda, s3, monitoring, logs, iam
	Operation string
	Actions   []string
	On        string
	By        string // what makes it
}

// Calls is every call lambdas makes, by whom. The first group is what
// this version calls (ARCHITECTURE.md's call budget; executor/*.go); the
// others are the calls of the open issues: dependency layers (8), traffic
// shifting (9) and the S3 state backend (10), written against their
// designs. The policy is tested against this table, and the apply test
// checks that every request it sees is in it.
var Calls = []Call{
	// Today: apply, plan --refresh, status.
	{"lambda", "GetFunction", []string{"lambda:GetFunction"}, OnFunction, "apply, plan --refresh, status: $LATEST"},
	{"lambda", "GetFunction", []string{"lambda:GetFunction"}, OnVersion, "apply: verify the published version"},
	{"lambda", "GetFunction", []string{"lambda:GetFunction"}, OnAlias, "refresh, status: the alias's version"},
	{"lambda", "GetAlias", []string{"lambda:GetAlias"}, OnFunction, "apply (first release, a moved alias), status: weights"},
	{"lambda", "GetAlias", []string{"lambda:GetAlias"}, OnAlias, "the same, if AWS names the alias ARN"},
	{"lambda", "CreateFunction", []string{"lambda:CreateFunction"}, OnCreated, "apply: a missing function with a create block"},
	{"iam", "PassRole", []string{"iam:PassRole"}, OnRole, "CreateFunction passes the role to lambda.amazonaws.com"},
	{"lambda", "UpdateFunctionCode", []string{"lambda:UpdateFunctionCode"}, OnFunction, "apply: update-code with Publish"},
	{"lambda", "PublishVersion", []string{"lambda:PublishVersion"}, OnFunction, "apply: publish-version, resume"},
	{"lambda", "CreateAlias", []string{"lambda:CreateAlias"}, OnFunction, "apply: first release"},
	{"lambda", "CreateAlias", []string{"lambda:CreateAlias"}, OnAlias, "the same, if AWS names the alias ARN"},
	{"lambda", "UpdateAlias", []string{"lambda:UpdateAlias"}, OnFunction, "apply: move-alias"},
	{"lambda", "UpdateAlias", []string{"lambda:UpdateAlias"}, OnAlias, "the same, if AWS names the alias ARN"},
	{"s3", "HeadObject", []string{"s3:GetObject"}, OnArtifact, "apply: upload, is it stored?"},
	{"s3", "HeadObject", []string{"s3:ListBucket"}, OnArtifactsList, "apply: upload, a missing zip answers 404"},
	{"s3", "PutObject", []string{"s3:PutObject"}, OnArtifact, "apply: upload"},
	{"s3", "CopyObject", []string{"s3:GetObject", "s3:PutObject"}, OnArtifact, "apply: upload, latest/app.zip"},
	{"s3", "GetObject", []string{"s3:GetObject"}, OnArtifact, "Lambda reads the zip with the caller's rights (CreateFunction, UpdateFunctionCode)"},

	// Dependency layers (issue 8): build-dependencies, publish-layer,
	// attach-layer, prune.
	{"lambda", "PublishLayerVersion", []string{"lambda:PublishLayerVersion"}, OnLayer, "publish-layer"},
	{"lambda", "ListLayerVersions", []string{"lambda:ListLayerVersions"}, OnLayer, "publish-layer, prune"},
	{"lambda", "GetLayerVersion", []string{"lambda:GetLayerVersion"}, OnLayerVersion, "publish-layer (reuse), attach-layer"},
	{"lambda", "DeleteLayerVersion", []string{"lambda:DeleteLayerVersion"}, OnLayerVersion, "prune"},
	{"lambda", "UpdateFunctionConfiguration", []string{"lambda:UpdateFunctionConfiguration"}, OnWithDeps, "attach-layer"},
	{"lambda", "ListVersionsByFunction", []string{"lambda:ListVersionsByFunction"}, OnFunction, "prune"},
	{"lambda", "ListAliases", []string{"lambda:ListAliases"}, OnFunction, "prune: the versions an alias serves are kept"},
	{"lambda", "DeleteFunction", []string{"lambda:DeleteFunction"}, OnVersion, "prune: old versions, never the function"},

	// Traffic shifting (issue 9): canary and linear rollouts, smoke tests,
	// promote, rollback, logs.
	{"lambda", "Invoke", []string{"lambda:InvokeFunction"}, OnVersion, "smoke test of the new version"},
	{"lambda", "UpdateAlias", []string{"lambda:UpdateAlias"}, OnAlias, "weights, promote, rollback"},
	{"monitoring", "DescribeAlarms", []string{"cloudwatch:DescribeAlarms"}, OnAlarm, "alarms gating a rollout"},
	{"logs", "FilterLogEvents", []string{"logs:FilterLogEvents"}, OnLogGroup, "lambdas logs"},
	{"logs", "GetLogEvents", []string{"logs:GetLogEvents"}, OnLogStream, "lambdas logs"},

	// The S3 state backend (issue 10).
	{"s3", "GetObject", []string{"s3:GetObject"}, OnState, "load the state"},
	{"s3", "PutObject", []string{"s3:PutObject"}, OnState, "write the state"},
	{"s3", "DeleteObject", []string{"s3:DeleteObject"}, OnState, "state rm"},
	{"s3", "HeadObject", []string{"s3:ListBucket"}, OnStateList, "no state yet answers 404"},
	{"s3", "PutObject", []string{"s3:PutObject"}, OnStateLock, "take a lock (If-None-Match: *)"},
	{"s3", "GetObject", []string{"s3:GetObject"}, OnStateLock, "read who holds a lock"},
	{"s3", "DeleteObject", []string{"s3:DeleteObject"}, OnStateLock, "release a lock"},
}

// CallsFor returns the entries of Calls for an API operation of a service
// (SigV4 service names: lambda, s3, monitoring, logs): one per kind of
// resource it may act on. None means lambdas does not make that call.
func CallsFor(service, operation string) []Call {
	var out []Call
	for _, c := range Calls {
		if c.Service == service && strings.EqualFold(c.Operation, operation) {
			out = append(out, c)
		}
	}
	return out
}
