package manifest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// The value rules below are pure functions: they return nil, or a problem
// that the loader turns into a diagnostic at the range of the value.

type problem struct {
	summary, detail string
}

func newProblem(summary, format string, args ...any) *problem {
	return &problem{summary: summary, detail: fmt.Sprintf(format, args...)}
}

// Runtimes lambdas can build and release, newest first within a family so
// that a "did you mean" prefers them on a tie.
var supportedRuntimes = []string{
	"python3.13", "python3.14", "python3.12", "python3.11", "python3.10",
	"nodejs22.x", "nodejs24.x", "nodejs20.x",
	"provided.al2023", "provided.al2",
}

// deprecatedRuntimes are runtimes AWS no longer lets you create or update
// functions with (or soon will not). The value is the runtime to move to.
var deprecatedRuntimes = map[string]string{
	"python2.7": "python3.13", "python3.6": "python3.13", "python3.7": "python3.13",
	"python3.8": "python3.13", "python3.9": "python3.13",
	"nodejs": "nodejs22.x", "nodejs4.3": "nodejs22.x", "nodejs4.3-edge": "nodejs22.x",
	"nodejs6.10": "nodejs22.x", "nodejs8.10": "nodejs22.x", "nodejs10.x": "nodejs22.x",
	"nodejs12.x": "nodejs22.x", "nodejs14.x": "nodejs22.x", "nodejs16.x": "nodejs22.x",
	"nodejs18.x": "nodejs22.x",
	"go1.x":      "provided.al2023", "provided": "provided.al2023",
	"java8": "", "dotnetcore1.0": "", "dotnetcore2.0": "", "dotnetcore2.1": "",
	"dotnetcore3.1": "", "dotnet5.0": "", "dotnet6": "", "dotnet7": "",
	"ruby2.5": "", "ruby2.7": "", "ruby3.2": "",
}

// otherAWSRuntimes are live AWS runtimes that lambdas does not build.
var otherAWSRuntimes = map[string]bool{
	"java8.al2": true, "java11": true, "java17": true, "java21": true, "java25": true,
	"dotnet8": true, "dotnet10": true, "ruby3.3": true, "ruby3.4": true,
}

func isSupportedRuntime(r string) bool {
	for _, s := range supportedRuntimes {
		if s == r {
			return true
		}
	}
	return false
}

func runtimeFamily(r string) string {
	switch {
	case strings.HasPrefix(r, "python"):
		return "python"
	case strings.HasPrefix(r, "nodejs"):
		return "nodejs"
	}
	return "provided"
}

func checkRuntime(r string) *problem {
	accepted := "lambdas accepts " + strings.Join(sortedCopy(supportedRuntimes), ", ") + "."
	switch {
	case isSupportedRuntime(r):
		return nil
	case r == "":
		return newProblem("Empty runtime", "Set runtime to one of the supported runtimes: %s", accepted)
	}
	if to, ok := deprecatedRuntimes[r]; ok {
		if to == "" {
			return newProblem("Deprecated runtime",
				"%q is deprecated by AWS, and lambdas builds only Python, Node.js and custom (provided) runtimes. %s", r, accepted)
		}
		how := "then test the function with it"
		if to == "provided.al2023" {
			how = "with the program built as an executable named bootstrap (handler \"bootstrap\")"
		}
		return newProblem("Deprecated runtime",
			"%q is deprecated by AWS: Lambda no longer creates or updates functions with it. Use %s instead, %s.", r, to, how)
	}
	if otherAWSRuntimes[r] {
		return newProblem("Unsupported runtime",
			"%q is an AWS runtime, but lambdas builds only Python, Node.js and custom (provided) runtimes. %s", r, accepted)
	}
	hint := didYouMean(r, supportedRuntimes)
	if hint == "" {
		// "python3", "node22": the family is clear, the version is not.
		switch lr := strings.ToLower(r); {
		case strings.HasPrefix(lr, "py"):
			hint = ` Did you mean "python3.13"?`
		case strings.HasPrefix(lr, "node"):
			hint = ` Did you mean "nodejs22.x"?`
		}
	}
	return newProblem("Unknown runtime", "%q is not a Lambda runtime that lambdas knows.%s %s", r, hint, accepted)
}

func checkArchitecture(a string) *problem {
	switch a {
	case "x86_64", "arm64":
		return nil
	case "amd64", "x64", "x86-64", "x86", "intel":
		return newProblem("Invalid architecture", "Lambda calls this architecture \"x86_64\". Write architecture = \"x86_64\" (the default) or \"arm64\".")
	case "aarch64", "arm", "graviton", "arm64v8":
		return newProblem("Invalid architecture", "Lambda calls this architecture \"arm64\". Write architecture = \"arm64\", or \"x86_64\" (the default).")
	}
	return newProblem("Invalid architecture", "%q is not a Lambda architecture; use \"x86_64\" (the default) or \"arm64\".%s",
		a, didYouMean(a, []string{"x86_64", "arm64"}))
}

var (
	labelRe        = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	lambdaNameRe   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	aliasRe        = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	digitsRe       = regexp.MustCompile(`^[0-9]+$`)
	roleARNRe      = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`)
	bucketRe       = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	regionRe       = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	projectNameRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)
	envKeyRe       = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]+$`)
	ipv4LikeBucket = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$`)
)

func checkLabel(l string) *problem {
	if labelRe.MatchString(l) {
		return nil
	}
	fix := strings.Map(func(r rune) rune {
		switch {
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '-'
	}, l)
	fix = strings.TrimLeft(fix, "-_")
	hint := ""
	if fix != "" && labelRe.MatchString(fix) {
		hint = fmt.Sprintf(" For example %q.", fix)
	}
	return newProblem("Invalid function label",
		"%q cannot name a function: a label is lowercase letters, digits, \"-\" and \"_\", starting with a letter or digit.%s The label names the function in plans and state; set function_name when the Lambda function is called differently.", l, hint)
}

func checkLambdaName(n string, defaulted bool) *problem {
	if lambdaNameRe.MatchString(n) {
		return nil
	}
	why := "a Lambda function name is 1 to 64 letters, digits, \"-\" and \"_\""
	if len(n) > 64 {
		why = fmt.Sprintf("a Lambda function name is at most 64 characters, this one has %d", len(n))
	}
	if defaulted {
		return newProblem("Invalid function name",
			"function_name defaults to the label, and %q is not a valid Lambda function name: %s. Set function_name explicitly.", n, why)
	}
	return newProblem("Invalid function name", "%q is not a valid Lambda function name: %s.", n, why)
}

func checkAlias(a string) *problem {
	switch {
	case a == "$LATEST":
		return newProblem("Invalid alias", "An alias cannot be \"$LATEST\": $LATEST is the unpublished code, and lambdas moves the alias between published versions. Use a name such as \"live\" (the default).")
	case digitsRe.MatchString(a):
		return newProblem("Invalid alias", "%q is all digits, which Lambda reads as a version number; an alias name needs at least one letter, \"-\" or \"_\". For example \"live\".", a)
	case !aliasRe.MatchString(a):
		return newProblem("Invalid alias", "%q is not a valid alias name: use 1 to 128 letters, digits, \"-\" and \"_\", for example \"live\" (the default).", a)
	}
	return nil
}

func checkRoleARN(r string) *problem {
	if roleARNRe.MatchString(r) {
		return nil
	}
	hint := ""
	if !strings.HasPrefix(r, "arn:") {
		hint = " A role name alone is not enough: Lambda needs the full ARN."
	}
	return newProblem("Invalid role ARN",
		"%q does not look like an IAM role ARN such as \"arn:aws:iam::123456789012:role/lambda-exec\".%s", r, hint)
}

func checkRegion(r string) *problem {
	if regionRe.MatchString(r) {
		return nil
	}
	return newProblem("Invalid region",
		"%q is not an AWS region name such as \"eu-west-1\" or \"us-east-1\". Leave region out to take it from the AWS environment (AWS_REGION or the profile).", r)
}

func checkProjectName(n string) *problem {
	if projectNameRe.MatchString(n) {
		return nil
	}
	return newProblem("Invalid project name",
		"%q cannot name a project: use up to 100 letters, digits, \".\", \"-\" and \"_\", starting with a letter or digit, e.g. \"shop\".", n)
}

// parseS3URL parses s3://bucket[/prefix]. With needKey the part after the
// bucket is required and must not end with "/" (it names an object).
func parseS3URL(s string, needKey bool) (*S3Location, string) {
	example := "s3://my-bucket/lambdas"
	if needKey {
		example = "s3://my-bucket/lambdas/state.json"
	}
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		if strings.HasPrefix(strings.ToLower(s), "s3://") {
			return nil, fmt.Sprintf("write the scheme in lower case, as in %q", example)
		}
		if strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "arn:") {
			return nil, fmt.Sprintf("give an s3:// URL, not an HTTP URL or ARN, e.g. %q", example)
		}
		return nil, fmt.Sprintf("it must start with s3://, e.g. %q", example)
	}
	bucket, key, _ := strings.Cut(rest, "/")
	switch {
	case bucket == "":
		return nil, fmt.Sprintf("the bucket name is missing, e.g. %q", example)
	case !bucketRe.MatchString(bucket) || strings.Contains(bucket, "..") || ipv4LikeBucket.MatchString(bucket):
		return nil, fmt.Sprintf("%q is not a valid S3 bucket name (3 to 63 lower-case letters, digits, \".\" and \"-\", starting and ending with a letter or digit)", bucket)
	}
	if needKey {
		switch {
		case strings.Trim(key, "/") == "":
			return nil, fmt.Sprintf("the object key is missing after the bucket, e.g. %q", example)
		case strings.HasSuffix(key, "/"):
			return nil, fmt.Sprintf("the key must name a file, not end with \"/\", e.g. %q", example)
		}
		return &S3Location{Bucket: bucket, Prefix: strings.TrimLeft(key, "/")}, ""
	}
	return &S3Location{Bucket: bucket, Prefix: strings.Trim(key, "/")}, ""
}

// reservedEnvKeys are environment variables that Lambda sets itself and
// refuses in a function configuration.
var reservedEnvKeys = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_DEFAULT_REGION": true, "AWS_REGION": true,
	"AWS_EXECUTION_ENV": true, "AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true,
	"AWS_LAMBDA_FUNCTION_VERSION": true, "AWS_LAMBDA_INITIALIZATION_TYPE": true,
	"AWS_LAMBDA_LOG_GROUP_NAME": true, "AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_ACCESS_KEY": true,
	"AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true,
	"AWS_LAMBDA_RUNTIME_API": true, "LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}

func checkEnvKey(k string) *problem {
	switch {
	case reservedEnvKeys[k]:
		return newProblem("Reserved environment variable", "Lambda sets %s itself and refuses it in a function's environment. Remove it, or use another name.", k)
	case !envKeyRe.MatchString(k):
		return newProblem("Invalid environment variable name", "%q is not a valid Lambda environment variable name: use at least 2 letters, digits and \"_\", starting with a letter.", k)
	}
	return nil
}

func sortedCopy(s []string) []string {
	return slices.Sorted(slices.Values(s))
}
