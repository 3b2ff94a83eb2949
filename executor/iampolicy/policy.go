// Package iampolicy derives from a manifest the least-privilege IAM policy
// that the role running lambdas (a CI role) needs: the Lambda actions the
// executor calls on exactly the manifest's functions (and their versions and
// aliases), the artifacts bucket and prefix, the S3 state object and its
// lock keys, the layers lambdas publishes, the alarms and log groups it
// reads, and iam:PassRole on the roles of create blocks. No action is a
// wildcard, and no resource is "*" where AWS allows anything narrower.
//
// Calls lists every AWS call lambdas makes (today's, and those the layers,
// traffic-shifting and S3-state work add) with the IAM actions each needs,
// so that the policy and the tool are checked against one table: the tests
// run an apply through the fault proxy and check that every request it saw
// is allowed (Policy.Allows).
package iampolicy

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
)

// StateLockInfix is where the S3 state backend keeps its per-function lock
// objects: <state key> + StateLockInfix + <label>.
const StateLockInfix = ".locks/"

// lambdaService is the principal that assumes a function's execution role:
// iam:PassRole is allowed only towards it.
const lambdaService = "lambda.amazonaws.com"

// Options say where the functions live. An empty Account or Region becomes
// "*" in the ARNs, with a note: lambdas cannot know them without AWS.
type Options struct {
	Account string // 12 digits
	Region  string // e.g. eu-west-1
	// ReadOnly leaves only what plan, plan --refresh, status and logs
	// read: the functions and aliases, the alarms and logs, the S3 state
	// (GetObject). For the role of pull-request plans.
	ReadOnly bool
}

// readOnly lists, per statement, the actions a read-only policy keeps.
var readOnly = map[string][]string{
	"ReadFunctions":  {"lambda:GetFunction", "lambda:GetAlias"},
	"ReadAlarms":     {"cloudwatch:DescribeAlarms"},
	"FilterLogs":     {"logs:FilterLogEvents"},
	"ReadLogStreams": {"logs:GetLogEvents"},
	"StateObjects":   {"s3:GetObject"},
	"ListBuckets":    {"s3:ListBucket"},
}

// Policy is an IAM policy document. Notes are what the reader should know
// about it (an account left as "*"); they are not part of the document.
type Policy struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
	Notes     []string    `json:"-"`
}

// Statement is one Allow statement.
type Statement struct {
	Sid       string    `json:"Sid"`
	Effect    string    `json:"Effect"`
	Action    []string  `json:"Action"`
	Resource  []string  `json:"Resource"`
	Condition Condition `json:"Condition,omitempty"`
	// why says what the statement is for, in the Terraform output.
	why string
}

// Condition is an IAM condition block: operator → key → values.
type Condition map[string]map[string][]string

var accountRe = regexp.MustCompile(`^[0-9]{12}$`)

// Derive returns the policy for the manifest's functions, as the manifest
// names them with its variables' values (so --var env=prod gives the
// production role's policy).
func Derive(m *manifest.Manifest, o Options) (*Policy, error) {
	if o.Account != "" && !accountRe.MatchString(o.Account) {
		return nil, fmt.Errorf("account %q: an AWS account ID is 12 digits", o.Account)
	}
	if len(m.Functions) == 0 {
		return nil, fmt.Errorf("the manifest lists no functions: there is nothing to grant")
	}
	p := &Policy{Version: "2012-10-17"}
	region, account := o.Region, o.Account
	if region == "" {
		region = "*"
		p.Notes = append(p.Notes, "the region is not known (no project.region, no AWS_REGION): the Lambda, CloudWatch and Logs ARNs name every region (\"*\"); set project.region or AWS_REGION to narrow them")
	}
	if account == "" {
		account = "*"
		p.Notes = append(p.Notes, "the account is not known: the Lambda, CloudWatch and Logs ARNs name any account (\"*\"); pass --account 123456789012 to narrow them")
	}
	a := arns{partition: partitionOf(o.Region), region: region, account: account}

	var all, unqualified, qualified, withCreate, withDeps, logGroups, logStreams, alarms, roles []string
	for _, f := range m.Functions {
		fn := a.function(f.Name)
		all = append(all, fn, fn+":*")
		unqualified = append(unqualified, fn)
		qualified = append(qualified, fn+":*")
		group := a.logGroup("/aws/lambda/" + f.Name)
		logGroups = append(logGroups, group, group+":*")
		logStreams = append(logStreams, group+":log-stream:*")
		if f.Create != nil {
			withCreate = append(withCreate, fn)
			roles = append(roles, f.Create.Role)
		}
		if f.Dependencies != "" {
			withDeps = append(withDeps, fn)
		}
		for _, al := range f.Deploy.Alarms {
			alarms = append(alarms, a.alarm(al))
		}
	}

	add := func(s Statement) {
		if o.ReadOnly {
			keep := readOnly[s.Sid]
			var actions []string
			for _, a := range s.Action {
				if slices.Contains(keep, a) {
					actions = append(actions, a)
				}
			}
			s.Action = actions
			if s.Sid == "StateObjects" {
				s.Resource = s.Resource[:1] // the state object, not its locks: plan takes none
			}
		}
		if len(s.Action) == 0 || len(s.Resource) == 0 {
			return
		}
		s.Effect = "Allow"
		s.Action = sortedUnique(s.Action)
		s.Resource = sortedUnique(s.Resource)
		p.Statement = append(p.Statement, s)
	}
	add(Statement{Sid: "ReadFunctions", why: "plan --refresh, status and apply read each function, its versions and its alias",
		Action: []string{"lambda:GetFunction", "lambda:GetAlias"}, Resource: all})
	add(Statement{Sid: "ReleaseCode", why: "update-code (with Publish) and publish-version act on $LATEST, and prune lists the versions and aliases: the unqualified function only",
		Action: []string{"lambda:UpdateFunctionCode", "lambda:PublishVersion", "lambda:ListVersionsByFunction", "lambda:ListAliases"}, Resource: unqualified})
	add(Statement{Sid: "MoveAliases", why: "move-alias, promote and rollback create and move the alias",
		Action: []string{"lambda:CreateAlias", "lambda:UpdateAlias"}, Resource: all})
	add(Statement{Sid: "InvokeVersions", why: "smoke tests invoke the new version (never $LATEST, never the unqualified function)",
		Action: []string{"lambda:InvokeFunction"}, Resource: qualified})
	add(Statement{Sid: "PruneVersions", why: "prune deletes old versions: qualified ARNs only, so the function itself can never be deleted",
		Action: []string{"lambda:DeleteFunction"}, Resource: qualified})
	add(Statement{Sid: "CreateFunctions", why: "only the functions with a create block, which lambdas creates when they are missing",
		Action: []string{"lambda:CreateFunction"}, Resource: withCreate})
	if len(roles) > 0 {
		add(Statement{Sid: "PassExecutionRoles", why: "CreateFunction hands the create block's role to Lambda, and to nothing else",
			Action: []string{"iam:PassRole"}, Resource: roles,
			Condition: Condition{"StringEquals": {"iam:PassedToService": {lambdaService}}}})
	}
	if len(withDeps) > 0 && !o.ReadOnly {
		layer := a.layer(plan.LayerNamePrefix(m.Project.Name) + "*")
		add(Statement{Sid: "AttachLayers", why: "attach-layer sets the dependency layer on the functions that declare dependencies",
			Action: []string{"lambda:UpdateFunctionConfiguration"}, Resource: withDeps})
		add(Statement{Sid: "PublishLayers", why: "publish-layer, and listing a layer's versions (prune)",
			Action: []string{"lambda:PublishLayerVersion", "lambda:ListLayerVersions"}, Resource: []string{layer}})
		add(Statement{Sid: "UseLayerVersions", why: "attaching a layer version needs GetLayerVersion on it; prune deletes old ones",
			Action: []string{"lambda:GetLayerVersion", "lambda:DeleteLayerVersion"}, Resource: []string{layer + ":*"}})
		p.Notes = append(p.Notes, "layers that a function keeps beside lambdas' own (attached by someone else) need lambda:GetLayerVersion on their version ARNs too; add them to the role yourself")
	}
	if len(alarms) > 0 {
		add(Statement{Sid: "ReadAlarms", why: "a weighted rollout watches the deploy block's alarms",
			Action: []string{"cloudwatch:DescribeAlarms"}, Resource: alarms})
		p.Notes = append(p.Notes, "composite alarms can only be read with cloudwatch:DescribeAlarms on \"*\" (an AWS rule); this policy names the alarms, which suffices for metric alarms")
	}
	add(Statement{Sid: "FilterLogs", why: "lambdas logs, and a failed smoke test's log lines: the functions' log groups",
		Action: []string{"logs:FilterLogEvents"}, Resource: logGroups})
	add(Statement{Sid: "ReadLogStreams", why: "lambdas logs: the streams of the functions' log groups",
		Action: []string{"logs:GetLogEvents"}, Resource: logStreams})

	if art := m.Project.Artifacts; art != nil {
		add(Statement{Sid: "ArtifactObjects", why: "upload: HeadObject (s3:GetObject), PutObject and CopyObject under the prefix; Lambda reads the zip with the caller's rights",
			Action: []string{"s3:GetObject", "s3:PutObject"}, Resource: []string{a.objects(art.Bucket, art.Prefix)}})
	}
	if st := m.Project.StateS3; st != nil {
		add(Statement{Sid: "StateObjects", why: "the S3 state object, and its per-function lock objects",
			Action:   []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"},
			Resource: []string{a.object(st.Bucket, st.Prefix), a.object(st.Bucket, st.Prefix+StateLockInfix+"*")}})
	}
	var buckets []string
	if art := m.Project.Artifacts; art != nil && !o.ReadOnly {
		buckets = append(buckets, a.bucket(art.Bucket))
	}
	if st := m.Project.StateS3; st != nil {
		buckets = append(buckets, a.bucket(st.Bucket))
	}
	// Without s3:ListBucket a missing object answers 403, not 404, and
	// lambdas could not tell "not uploaded yet" (or "no state yet, or no
	// lock") from "denied". The bucket is the narrowest resource
	// ListBucket takes.
	add(Statement{Sid: "ListBuckets", why: "so that a missing object answers 404 (not uploaded yet, no lock) instead of 403",
		Action: []string{"s3:ListBucket"}, Resource: buckets})
	return p, nil
}

// arns builds ARNs in one partition, region and account.
type arns struct{ partition, region, account string }

func (a arns) function(name string) string {
	return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", a.partition, a.region, a.account, name)
}
func (a arns) layer(name string) string {
	return fmt.Sprintf("arn:%s:lambda:%s:%s:layer:%s", a.partition, a.region, a.account, name)
}
func (a arns) logGroup(name string) string {
	return fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s", a.partition, a.region, a.account, name)
}
func (a arns) alarm(name string) string {
	return fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:%s", a.partition, a.region, a.account, name)
}
func (a arns) bucket(b string) string { return fmt.Sprintf("arn:%s:s3:::%s", a.partition, b) }
func (a arns) object(b, key string) string {
	return fmt.Sprintf("arn:%s:s3:::%s/%s", a.partition, b, key)
}

// objects is every key under prefix ("" is the whole bucket).
func (a arns) objects(b, prefix string) string {
	if prefix == "" {
		return a.object(b, "*")
	}
	return a.object(b, prefix+"/*")
}

// partitionOf is the ARN partition of a region.
func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

func sortedUnique(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	n := 0
	for i, s := range out {
		if i == 0 || s != out[n-1] {
			out[n] = s
			n++
		}
	}
	return out[:n]
}
