package manifest

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// maxPayloadBytes is Lambda's limit on a synchronous invoke's payload.
const maxPayloadBytes = 6 * 1024 * 1024

// preset is a CodeDeploy deployment configuration for Lambda, by name:
// AllAtOnce, CanaryNPercentMMinutes, LinearNPercentEveryMMinutes (with or
// without "CodeDeployDefault.Lambda" in front, as CodeDeploy and SAM write
// them).
type preset struct {
	strategy string
	steps    []float64
	interval time.Duration
}

var presetRe = regexp.MustCompile(`^(?:CodeDeployDefault\.)?(?:Lambda)?(?:(AllAtOnce)|Canary(\d{1,2})Percent(\d{1,4})Minutes?|Linear(\d{1,2})PercentEvery(\d{1,4})Minutes?)$`)

// parsePreset reads a CodeDeploy configuration name.
func parsePreset(name string) (preset, bool) {
	m := presetRe.FindStringSubmatch(name)
	if m == nil {
		return preset{}, false
	}
	if m[1] != "" {
		return preset{strategy: "all-at-once", steps: []float64{100}}, true
	}
	num := func(s string) int { n, _ := strconv.Atoi(s); return n }
	if m[2] != "" {
		pct, minutes := num(m[2]), num(m[3])
		if pct < 1 || minutes < 1 {
			return preset{}, false
		}
		return preset{strategy: "canary", steps: []float64{float64(pct), 100}, interval: time.Duration(minutes) * time.Minute}, true
	}
	pct, minutes := num(m[4]), num(m[5])
	if pct < 1 || minutes < 1 {
		return preset{}, false
	}
	return preset{strategy: "linear", steps: linearSteps(float64(pct)), interval: time.Duration(minutes) * time.Minute}, true
}

// linearSteps is step, 2×step, ... below 100, then 100.
func linearSteps(step float64) []float64 {
	var out []float64
	for i := 1; float64(i)*step < 100; i++ {
		out = append(out, float64(i)*step)
	}
	return append(out, 100)
}

// presetDeploy takes steps and interval from a preset; steps, step or
// interval written beside it (in the block that names the preset, or in the
// function when the preset comes from defaults) are a contradiction.
func (l *loader) presetDeploy(fa, da *deployAttrs, ownStrategy bool, p preset, dep *Deploy) {
	check := []*hcl.Attribute{fa.Steps, fa.Step, fa.Interval}
	if !ownStrategy {
		check = append(check, da.Steps, da.Step, da.Interval)
	}
	for _, a := range check {
		if a == nil {
			continue
		}
		l.errorAt(a.Expr.Range(), "Preset with "+a.Name,
			fmt.Sprintf("strategy %q is a CodeDeploy preset: it sets the steps and the interval itself, so %s cannot be set beside it. Remove %s, or write strategy = %q with your own steps and interval.",
				dep.Preset, a.Name, a.Name, p.strategy))
	}
	dep.Steps, dep.Interval = p.steps, p.interval
}

// linearStep reads linear's step = N (N, 2N, ... 100). It returns the steps
// attribute still to read, or nothing when step made the steps.
func (l *loader) linearStep(step, steps attrVal, fa *deployAttrs, strategy string, known bool, dep *Deploy) attrVal {
	if steps.set() {
		sameBlock := (step.attr == fa.Step) == (steps.attr == fa.Steps)
		if sameBlock {
			l.errorAt(step.rng(), "Both step and steps",
				"step = N is linear's short form of steps = [N, 2N, ..., 100]; set one of them, not both.")
			return attrVal{}
		}
		if steps.attr == fa.Steps {
			return steps // the function's own steps win over the defaults' step
		}
	}
	if !known {
		return attrVal{}
	}
	if strategy != "linear" {
		l.errorAt(step.rng(), "step without linear",
			fmt.Sprintf("step = N is for strategy = \"linear\" (N%% more traffic every interval); strategy %q takes steps = [10, 100] instead.", strategy))
		return attrVal{}
	}
	n, ok := l.asNumber(step, "10")
	if !ok {
		return attrVal{}
	}
	f, _ := n.Float64()
	if n.Sign() <= 0 || f >= 100 {
		l.errorAt(step.rng(), "Invalid step",
			fmt.Sprintf("step is the percentage of traffic added every interval: above 0 and below 100, got %s. e.g. step = 10.", n.Text('g', 10)))
		return attrVal{}
	}
	dep.Steps = linearSteps(f)
	return attrVal{}
}

// deployGates reads the smoke_test block: the function's own, or else the
// defaults block's, as a whole.
func (l *loader) deployGates(s, d *fnSpec, fa, da *deployAttrs, dep *Deploy) {
	spec := s
	if s.smokeRange == nil {
		spec = d
	}
	if spec.smokeRange == nil {
		return
	}
	st := &SmokeTest{Range: *spec.smokeRange}
	good := true
	if p := l.pick(spec.smoke.Payload); !p.set() {
		l.errorAt(*spec.smokeRange, "Missing payload",
			"A smoke_test block needs payload: the event sent to the new version before it takes traffic, e.g. payload = file(\"functions/orders-api/tests/smoke.json\").")
		good = false
	} else if v, ok := l.asString(p, `file("tests/smoke.json")`); ok {
		switch {
		case len(v) > maxPayloadBytes:
			l.errorAt(p.rng(), "Payload too large", fmt.Sprintf("The smoke test's payload is %d bytes; Lambda takes at most %d in a synchronous invoke.", len(v), maxPayloadBytes))
			good = false
		case !json.Valid([]byte(v)):
			l.errorAt(p.rng(), "Invalid payload",
				"The smoke test's payload must be JSON (Lambda refuses anything else), e.g. \"{}\" or file(\"tests/smoke.json\").")
			good = false
		default:
			st.Payload = v
		}
	} else {
		good = false
	}
	if e := l.pick(spec.smoke.Expect); e.set() {
		if v, ok := l.asString(e, `"\"statusCode\":200"`); ok {
			if _, err := regexp.Compile(v); err != nil {
				l.errorAt(e.rng(), "Invalid expect",
					fmt.Sprintf("expect is a regular expression (RE2) the answer must match: %v. Escape special characters with \\\\ to match them literally.", strings.TrimPrefix(err.Error(), "error parsing regexp: ")))
				good = false
			} else if v == "" {
				l.errorAt(e.rng(), "Invalid expect", "expect is empty, which matches any answer; leave it out instead.")
				good = false
			} else {
				st.Expect = v
			}
		} else {
			good = false
		}
	}
	if good {
		dep.SmokeTest = st
	}
}

var groupNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// rolloutGroup reads rollout_group.
func (l *loader) rolloutGroup(s, d *fnSpec) (string, hcl.Range) {
	a := l.pick(s.attrs.RolloutGroup, d.attrs.RolloutGroup)
	if !a.set() {
		return "", hcl.Range{}
	}
	v, ok := l.asString(a, `"checkout"`)
	if !ok {
		return "", hcl.Range{}
	}
	if v == "" {
		return "", hcl.Range{} // leaves the defaults block's group
	}
	if !groupNameRe.MatchString(v) {
		l.errorAt(a.rng(), "Invalid rollout_group",
			fmt.Sprintf("%q is not a group name: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63 characters, e.g. \"checkout\".", v))
		return "", hcl.Range{}
	}
	return v, a.rng()
}

// checkGroups refuses a rollout group whose members would not move
// together: every member takes the same steps at the same interval (each
// member keeps its own alarms and smoke test).
func (l *loader) checkGroups(fns []*Function) {
	first := map[string]*Function{}
	for _, f := range fns {
		g := f.RolloutGroup
		if g == "" {
			continue
		}
		ref, ok := first[g]
		if !ok {
			first[g] = f
			continue
		}
		if ref.Deploy.Strategy == f.Deploy.Strategy && slices.Equal(ref.Deploy.Steps, f.Deploy.Steps) && ref.Deploy.Interval == f.Deploy.Interval {
			continue
		}
		l.errorAt(f.RolloutGroupRange, "Rollout group members differ",
			fmt.Sprintf("Function %q is in rollout group %q with %q (%s line %d), but their deploy settings differ: %s against %s. The members of a group shift traffic together, step by step: give them the same strategy, steps and interval (e.g. in the defaults block).",
				f.Label, g, ref.Label, ref.RolloutGroupRange.Filename, ref.RolloutGroupRange.Start.Line, describeDeploy(f.Deploy), describeDeploy(ref.Deploy)))
	}
}

func describeDeploy(d Deploy) string {
	if d.Strategy == "all-at-once" || d.Strategy == "" {
		return "all-at-once"
	}
	parts := make([]string, len(d.Steps))
	for i, s := range d.Steps {
		parts[i] = big.NewFloat(s).Text('g', 10)
	}
	return fmt.Sprintf("%s [%s] every %s", d.Strategy, strings.Join(parts, ", "), d.Interval)
}
