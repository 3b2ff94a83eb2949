package manifest

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// The gohcl shapes of lambdas.hcl. Every argument is a *hcl.Attribute rather
// than a Go value: evaluation happens later, by hand, so that each value can
// be type-checked with a message that says what was expected, the defaults
// block can be merged under functions before evaluation, and every
// diagnostic can point at the exact expression.
//
// Blocks keep their content in a remain body that is decoded separately
// (decodeBody), so that an unknown argument is reported together with the
// list of what that particular block accepts.

type rootSchema struct {
	Variables []*variableBlock `hcl:"variable,block"`
	Locals    []*localsBlock   `hcl:"locals,block"`
	Projects  []*plainBlock    `hcl:"project,block"`
	Defaults  []*plainBlock    `hcl:"defaults,block"`
	Functions []*functionBlock `hcl:"function,block"`
	Notify    []*notifyBlock   `hcl:"notify,block"` // notify.go
	// Environments: see environment.go.
	Environments []*environmentBlock `hcl:"environment,block"`
}

type variableBlock struct {
	Name        string         `hcl:"name,label"`
	NameRange   hcl.Range      `hcl:"name,label_range"`
	Default     *hcl.Attribute `hcl:"default,optional"`
	Description *hcl.Attribute `hcl:"description,optional"`
	DefRange    hcl.Range      `hcl:",def_range"`
}

type localsBlock struct {
	Attrs hcl.Attributes `hcl:",remain"`
}

// plainBlock is a block without labels whose body is decoded later.
type plainBlock struct {
	Body     hcl.Body  `hcl:",remain"`
	DefRange hcl.Range `hcl:",def_range"`
}

type functionBlock struct {
	Label      string    `hcl:"label,label"`
	LabelRange hcl.Range `hcl:"label,label_range"`
	Body       hcl.Body  `hcl:",remain"`
	DefRange   hcl.Range `hcl:",def_range"`
}

type projectAttrs struct {
	Name         *hcl.Attribute `hcl:"name,optional"`
	Region       *hcl.Attribute `hcl:"region,optional"`
	Artifacts    *hcl.Attribute `hcl:"artifacts,optional"`
	State        *hcl.Attribute `hcl:"state,optional"`
	APIRateLimit *hcl.Attribute `hcl:"api_rate_limit,optional"`
	// GetFunctionRateLimit paces GetFunction, which has its own quota.
	GetFunctionRateLimit *hcl.Attribute `hcl:"get_function_rate_limit,optional"`
	// The S3 state's settings and the release rule: see environment.go.
	StateRegion      *hcl.Attribute `hcl:"state_region,optional"`
	StateKMSKey      *hcl.Attribute `hcl:"state_kms_key,optional"`
	StateBucketOwner *hcl.Attribute `hcl:"state_bucket_owner,optional"`
	Release          *plainBlock    `hcl:"release,block"`
}

// functionAttrs is the body of a function block, and of the defaults block.
type functionAttrs struct {
	FunctionName *hcl.Attribute `hcl:"function_name,optional"`
	Source       *hcl.Attribute `hcl:"source,optional"`
	Include      *hcl.Attribute `hcl:"include,optional"`
	Exclude      *hcl.Attribute `hcl:"exclude,optional"`
	Watch        *hcl.Attribute `hcl:"watch,optional"`
	Runtime      *hcl.Attribute `hcl:"runtime,optional"`
	Architecture *hcl.Attribute `hcl:"architecture,optional"`
	Handler      *hcl.Attribute `hcl:"handler,optional"`
	Dependencies *hcl.Attribute `hcl:"dependencies,optional"`
	BuildImage   *hcl.Attribute `hcl:"build_image,optional"` // deprecated: builder_image
	// Builder, BuilderImage, BuilderTimeout: how the dependency layer is
	// built (layers.go). KeepVersions: how many versions prune keeps.
	Builder        *hcl.Attribute `hcl:"builder,optional"`
	BuilderImage   *hcl.Attribute `hcl:"builder_image,optional"`
	BuilderTimeout *hcl.Attribute `hcl:"builder_timeout,optional"`
	KeepVersions   *hcl.Attribute `hcl:"keep_versions,optional"`
	Alias          *hcl.Attribute `hcl:"alias,optional"`
	// DefaultBundles = false leaves out the defaults block's bundles
	// (functions only).
	DefaultBundles *hcl.Attribute `hcl:"default_bundles,optional"`
	RolloutGroup   *hcl.Attribute `hcl:"rollout_group,optional"`
	Deploy         *plainBlock    `hcl:"deploy,block"`
	Create         *plainBlock    `hcl:"create,block"`
	Build          *plainBlock    `hcl:"build,block"`
	Bundles        []*plainBlock  `hcl:"bundle,block"`
}

type deployAttrs struct {
	Strategy *hcl.Attribute `hcl:"strategy,optional"`
	Steps    *hcl.Attribute `hcl:"steps,optional"`
	Interval *hcl.Attribute `hcl:"interval,optional"`
	Alarms   *hcl.Attribute `hcl:"alarms,optional"`
	// Step is linear's increment (step = 10: 10, 20, ... 100).
	Step      *hcl.Attribute `hcl:"step,optional"`
	SmokeTest *plainBlock    `hcl:"smoke_test,block"`
}

type smokeAttrs struct {
	Payload *hcl.Attribute `hcl:"payload,optional"`
	Expect  *hcl.Attribute `hcl:"expect,optional"`
}

type createAttrs struct {
	Role        *hcl.Attribute `hcl:"role,optional"`
	Memory      *hcl.Attribute `hcl:"memory,optional"`
	Timeout     *hcl.Attribute `hcl:"timeout,optional"`
	Environment *hcl.Attribute `hcl:"environment,optional"`
}

type buildAttrs struct {
	Preset  *hcl.Attribute `hcl:"preset,optional"`
	Command *hcl.Attribute `hcl:"command,optional"`
	Output  *hcl.Attribute `hcl:"output,optional"`
	Timeout *hcl.Attribute `hcl:"timeout,optional"`
}

type bundleAttrs struct {
	From *hcl.Attribute `hcl:"from,optional"`
	To   *hcl.Attribute `hcl:"to,optional"`
}

// bundleSpec is one decoded bundle block.
type bundleSpec struct {
	attrs bundleAttrs
	rng   hcl.Range
}

// fnSpec is a decoded function (or defaults) body with its nested blocks.
type fnSpec struct {
	attrs        functionAttrs
	deploy       deployAttrs
	deployRange  *hcl.Range // nil when there is no deploy block
	smoke        smokeAttrs
	smokeRange   *hcl.Range // nil when the deploy block has no smoke_test block
	create       createAttrs
	createRange  *hcl.Range // nil when there is no create block
	build        buildAttrs
	buildRange   *hcl.Range // nil when there is no build block
	bundles      []bundleSpec
	defRange     hcl.Range
	isDefaults   bool
	decodeFailed bool
	// typos are the names hcl suggested for unknown arguments ("runtme":
	// did you mean "runtime"?): a missing "runtime" is then not reported
	// again.
	typos map[string]bool
}

// decodeSpec decodes a function or defaults body, and its deploy and create
// blocks.
func decodeSpec(body hcl.Body, defRange hcl.Range, where string) (*fnSpec, hcl.Diagnostics) {
	s := &fnSpec{defRange: defRange, isDefaults: where == "defaults"}
	diags := nestedHints(decodeBody(body, &s.attrs, "In a "+where+" block"))
	if d := s.attrs.Deploy; d != nil {
		diags = append(diags, decodeBody(d.Body, &s.deploy, "In a deploy block")...)
		s.deployRange = &d.DefRange
		if st := s.deploy.SmokeTest; st != nil {
			diags = append(diags, decodeBody(st.Body, &s.smoke, "In a smoke_test block")...)
			s.smokeRange = &st.DefRange
		}
	}
	if c := s.attrs.Create; c != nil {
		diags = append(diags, decodeBody(c.Body, &s.create, "In a create block")...)
		s.createRange = &c.DefRange
	}
	if b := s.attrs.Build; b != nil {
		diags = append(diags, decodeBody(b.Body, &s.build, "In a build block")...)
		s.buildRange = &b.DefRange
	}
	for _, b := range s.attrs.Bundles {
		bs := bundleSpec{rng: b.DefRange}
		diags = append(diags, decodeBody(b.Body, &bs.attrs, "In a bundle block")...)
		s.bundles = append(s.bundles, bs)
	}
	s.decodeFailed = diags.HasErrors()
	s.typos = map[string]bool{}
	for _, d := range diags {
		if m := suggestionRe.FindStringSubmatch(d.Detail); m != nil && d.Summary == "Unsupported argument" {
			s.typos[m[1]] = true
		}
	}
	return s, diags
}

// decodeBody is gohcl.DecodeBody with better messages for unknown arguments
// and blocks: when hcl has no "did you mean" to offer, the detail lists what
// the block accepts. where starts the sentence, e.g. "In a deploy block".
func decodeBody(body hcl.Body, target any, where string) hcl.Diagnostics {
	diags := gohcl.DecodeBody(body, nil, target)
	var schema *hcl.BodySchema // only for the messages: reflection is not free
	for _, d := range diags {
		switch d.Summary {
		case "Unsupported argument", "Unsupported block type":
			if !strings.Contains(d.Detail, "Did you mean") {
				if schema == nil {
					schema, _ = gohcl.ImpliedBodySchema(target)
				}
				d.Detail += " " + acceptsHint(schema, where)
			}
		}
	}
	return diags
}

func acceptsHint(schema *hcl.BodySchema, where string) string {
	var attrs, blocks []string
	for _, a := range schema.Attributes {
		attrs = append(attrs, a.Name)
	}
	for _, b := range schema.Blocks {
		blocks = append(blocks, b.Type)
	}
	sort.Strings(attrs)
	sort.Strings(blocks)
	var parts []string
	if len(attrs) > 0 {
		parts = append(parts, "the arguments "+strings.Join(attrs, ", "))
	}
	if len(blocks) > 0 {
		parts = append(parts, "the blocks "+strings.Join(blocks, ", "))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%s nothing can be set.", where)
	}
	return fmt.Sprintf("%s you can use %s.", where, strings.Join(parts, ", and "))
}

// nestedArgs are the arguments of the nested blocks, with an example, for
// a hint when one is written directly in the function.
var nestedArgs = map[string][2]string{
	"strategy": {"deploy", `strategy = "canary"`}, "steps": {"deploy", "steps = [10, 100]"},
	"interval": {"deploy", `interval = "5m"`}, "alarms": {"deploy", `alarms = ["orders-5xx"]`},
	"step": {"deploy", "step = 10"},
	"role": {"create", `role = "arn:aws:iam::123456789012:role/lambda-exec"`}, "memory": {"create", "memory = 256"},
	"timeout": {"create", "timeout = 30"}, "environment": {"create", `environment = { LOG_LEVEL = "info" }`},
	"preset": {"build", `preset = "go"`}, "command": {"build", `command = "make dist"`}, "output": {"build", `output = "dist"`},
	"from": {"bundle", `from = "libs/shared"`}, "to": {"bundle", `to = "shared"`},
}

// nestedWhy says what each nested block is for.
var nestedWhy = map[string]string{
	"deploy": "It only applies when traffic moves to a new version.",
	"create": "It only applies when lambdas creates the function.",
	"build":  "A build block says how the function is built before it is zipped.",
	"bundle": "A bundle block adds a file or folder from elsewhere in the repository to the zip; a function may have several.",
}

var suggestionRe = regexp.MustCompile(`Did you mean "([^"]+)"\?`)

var argNameRe = regexp.MustCompile(`^An argument named "([^"]+)" is not expected here\.`)

// nestedHints turns "argument timeout is not expected here" into "timeout
// belongs in the create block".
func nestedHints(diags hcl.Diagnostics) hcl.Diagnostics {
	for _, d := range diags {
		if d.Summary != "Unsupported argument" {
			continue
		}
		m := argNameRe.FindStringSubmatch(d.Detail)
		if m == nil {
			continue
		}
		if n, ok := nestedArgs[m[1]]; ok {
			d.Detail = fmt.Sprintf("%s belongs in the %s block of the function: %s { %s }. (%s)",
				m[1], n[0], n[0], n[1], nestedWhy[n[0]])
		}
	}
	return diags
}
