package manifest

import (
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// One manifest, many environments: an environment block names one (qa,
// prod) and sets what differs there — its state (each environment has its
// own), region, artifacts, variable values and release rule:
//
//	environment "qa" {
//	  state     = "s3://shop-lambdas/qa/state.json"
//	  variables = { env = "qa" }
//	  release { branch = "main" }
//	}
//	environment "prod" {
//	  state     = "s3://shop-lambdas/prod/state.json"
//	  variables = { env = "prod" }
//	  release { tag = "v*" }
//	}
//
// --env NAME (or LAMBDAS_ENV) chooses one. Its variables are applied above
// the variables' defaults and below LAMBDAS_VAR_<name>, --var-file and
// --var; its other settings replace the project block's.

type environmentBlock struct {
	Name      string    `hcl:"name,label"`
	NameRange hcl.Range `hcl:"name,label_range"`
	Body      hcl.Body  `hcl:",remain"`
	DefRange  hcl.Range `hcl:",def_range"`
}

type environmentAttrs struct {
	Region           *hcl.Attribute `hcl:"region,optional"`
	Artifacts        *hcl.Attribute `hcl:"artifacts,optional"`
	State            *hcl.Attribute `hcl:"state,optional"`
	StateRegion      *hcl.Attribute `hcl:"state_region,optional"`
	StateKMSKey      *hcl.Attribute `hcl:"state_kms_key,optional"`
	StateBucketOwner *hcl.Attribute `hcl:"state_bucket_owner,optional"`
	Variables        *hcl.Attribute `hcl:"variables,optional"`
	Release          *plainBlock    `hcl:"release,block"`
}

type releaseAttrs struct {
	Branch *hcl.Attribute `hcl:"branch,optional"`
	Tag    *hcl.Attribute `hcl:"tag,optional"`
}

// ReleaseRule says from which git ref an apply may release: a branch or a
// tag, each a glob ("main", "release/*", "v*"). Apply refuses elsewhere
// unless --force.
type ReleaseRule struct {
	Branch string
	Tag    string
	Where  string // "the project block" or `environment "prod"`, for messages
	Range  hcl.Range
}

// String is the rule as written: release { tag = "v*" }.
func (r *ReleaseRule) String() string {
	if r.Tag != "" {
		return fmt.Sprintf("release { tag = %q }", r.Tag)
	}
	return fmt.Sprintf("release { branch = %q }", r.Branch)
}

// environment chooses the environment block named by Options.Environment
// and evaluates its variables (constants, like a var file's values).
// Without --env nothing is chosen: operations that need a state then
// refuse (see Manifest.Environments).
func (l *loader) environment(blocks []*environmentBlock) {
	l.envVars = map[string]cty.Value{}
	seen := map[string]*environmentBlock{}
	for _, b := range blocks {
		if prev, dup := seen[b.Name]; dup {
			l.errorAt(b.NameRange, "Duplicate environment",
				fmt.Sprintf("Environment %q is already declared at %s line %d. Remove one of them.", b.Name, prev.NameRange.Filename, prev.NameRange.Start.Line))
			continue
		}
		if !labelRe.MatchString(b.Name) {
			l.errorAt(b.NameRange, "Invalid environment name",
				fmt.Sprintf("%q cannot name an environment: use lowercase letters, digits, \"-\" and \"_\", starting with a letter or digit, e.g. \"prod\".", b.Name))
			continue
		}
		seen[b.Name] = b
		l.envNames = append(l.envNames, b.Name)
		var attrs environmentAttrs
		diags := decodeBody(b.Body, &attrs, "In an environment block")
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() {
			continue
		}
		if b.Name != l.opts.Environment {
			l.otherEnvs = append(l.otherEnvs, &envDecl{b, &attrs})
			continue
		}
		l.env, l.envAttrs = b, &attrs
		if a := attrs.Variables; a != nil {
			v, ok := l.eval(a.Expr, l.constCtx, refsNone, "The variables of an environment")
			switch {
			case !ok:
			case v.IsNull():
			case !v.Type().IsObjectType() && !v.Type().IsMapType():
				l.errorAt(a.Expr.Range(), "Incorrect value type",
					fmt.Sprintf("variables must be an object of variable values, e.g. variables = { env = %q }.", b.Name))
			default:
				for it := v.ElementIterator(); it.Next(); {
					k, val := it.Element()
					l.envVars[k.AsString()] = val
				}
			}
		}
	}
	if name := l.opts.Environment; name != "" && l.env == nil && seen[name] == nil {
		hint := "This manifest declares no environment block; remove --env (and LAMBDAS_ENV), or add environment " + fmt.Sprintf("%q", name) + " { ... }."
		if len(l.envNames) > 0 {
			hint = fmt.Sprintf("It declares %s.%s", strings.Join(l.envNames, ", "), didYouMean(name, l.envNames))
		}
		l.errorNoRange("Unknown environment", fmt.Sprintf("--env %s names no environment of %s. %s", name, l.base, hint))
	}
}

// checkEnvironmentVariables reports environment variables that no variable
// block declares (after the variables are declared).
func (l *loader) checkEnvironmentVariables() {
	if l.env == nil || l.envAttrs.Variables == nil {
		return
	}
	for _, name := range sortedKeys(l.envVars) {
		if _, ok := l.declared[name]; !ok {
			l.errorAt(l.envAttrs.Variables.Expr.Range(), "Undeclared variable",
				fmt.Sprintf("Environment %q sets variable %q, but %s declares no such variable.%s Declare it with variable %q {}, or remove it here.",
					l.env.Name, name, l.base, didYouMean(name, sortedKeys(l.declared)), name))
		}
	}
}

// envDecl is an environment block that was not chosen.
type envDecl struct {
	b     *environmentBlock
	attrs *environmentAttrs
}

// applyEnvironment puts the chosen environment's settings over the project
// block's. The other environments' settings are checked too (into a scratch
// project), so that a mistake in the prod block is found by a QA run.
func (l *loader) applyEnvironment(p *Project) {
	keep := l.stateRange
	for _, e := range l.otherEnvs {
		l.applyEnvironmentTo(&Project{}, e.b, e.attrs)
	}
	l.stateRange = keep
	if l.env != nil {
		l.applyEnvironmentTo(p, l.env, l.envAttrs)
	}
}

func (l *loader) applyEnvironmentTo(p *Project, env *environmentBlock, a *environmentAttrs) {
	if region := l.pick(a.Region); region.set() {
		if s, ok := l.asString(region, `"eu-west-1"`); ok && l.problemAt(region.rng(), checkRegion(s)) {
			p.Region = s
		}
	}
	if art := l.pick(a.Artifacts); art.set() {
		l.artifacts(art, p)
	}
	if st := l.pick(a.State); st.set() {
		if s, ok := l.asString(st, `"s3://my-bucket/`+env.Name+`/state.json"`); ok {
			p.StateS3, p.StateFile = nil, ""
			l.state(s, st.rng(), p)
		}
	}
	l.stateOptions(p, a.StateRegion, a.StateKMSKey, a.StateBucketOwner)
	if a.Release != nil {
		p.Release = l.release(a.Release, fmt.Sprintf("environment %q", env.Name))
	}
}

// stateOptions reads the S3 state's settings.
func (l *loader) stateOptions(p *Project, region, kms, owner *hcl.Attribute) {
	if r := l.pick(region); r.set() {
		if s, ok := l.asString(r, `"eu-west-1"`); ok && l.problemAt(r.rng(), checkRegion(s)) {
			p.StateRegion = s
		}
	}
	if k := l.pick(kms); k.set() {
		if s, ok := l.asString(k, `"alias/lambdas-state"`); ok {
			if strings.TrimSpace(s) == "" {
				l.errorAt(k.rng(), "Invalid state_kms_key", "state_kms_key names the KMS key that encrypts the state objects (SSE-KMS): a key ID, key ARN or alias such as \"alias/lambdas-state\". Leave it out for SSE-S3.")
			} else {
				p.StateKMSKey = s
			}
		}
	}
	if o := l.pick(owner); o.set() {
		if s, ok := l.asString(o, `"123456789012"`); ok {
			if len(s) != 12 || !digitsRe.MatchString(s) {
				l.errorAt(o.rng(), "Invalid state_bucket_owner", fmt.Sprintf("state_bucket_owner is the 12-digit AWS account that must own the state bucket (S3 refuses requests to a bucket of another account); %q is not one.", s))
			} else {
				p.StateBucketOwner = s
			}
		}
	}
}

// release reads a release block: exactly one of branch and tag, a glob.
func (l *loader) release(b *plainBlock, where string) *ReleaseRule {
	var ra releaseAttrs
	diags := decodeBody(b.Body, &ra, "In a release block")
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return nil
	}
	r := &ReleaseRule{Where: where, Range: b.DefRange}
	branch, tag := l.pick(ra.Branch), l.pick(ra.Tag)
	switch {
	case branch.set() && tag.set():
		l.errorAt(b.DefRange, "Invalid release rule", "A release block names a branch or a tag, not both: release { branch = \"main\" } releases from main (QA), release { tag = \"v*\" } from version tags (production).")
		return nil
	case !branch.set() && !tag.set():
		l.errorAt(b.DefRange, "Invalid release rule", "A release block names the branch or the tag apply may release from: release { branch = \"main\" }, or release { tag = \"v*\" }.")
		return nil
	}
	for _, a := range []struct {
		v   attrVal
		dst *string
		ex  string
	}{{branch, &r.Branch, `"main"`}, {tag, &r.Tag, `"v*"`}} {
		if !a.v.set() {
			continue
		}
		s, ok := l.asString(a.v, a.ex)
		if !ok {
			return nil
		}
		if s == "" || !doublestar.ValidatePattern(s) || strings.HasPrefix(s, "refs/") {
			l.errorAt(a.v.rng(), "Invalid release rule",
				fmt.Sprintf("%s = %q: give a branch or tag name, or a glob over names, without refs/ (e.g. \"main\", \"release/*\", \"v*\").", a.v.name(), s))
			return nil
		}
		*a.dst = s
	}
	return r
}
