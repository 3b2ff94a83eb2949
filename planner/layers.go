package planner

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner/plan"
)

// Builder resolves a function's builder: "docker" or "local", and the
// image for Docker (the local builder has none). builder = "auto" is Docker
// when an engine answered (docker), else local: the plan says which, and
// the choice is part of the dependency fingerprint, so a machine without
// Docker does not reuse a layer built in a container as if it were its own
// build (and vice versa).
func Builder(f *manifest.Function, docker bool) (builder, image string) {
	switch f.Builder {
	case "docker":
		return "docker", f.BuildImage
	case "local":
		return "local", ""
	}
	if docker {
		return "docker", f.BuildImage
	}
	return "local", ""
}

// layerBuilder is the builder a plan's layer steps use ("" without them).
func layerBuilder(fp *plan.FunctionPlan) string {
	for _, s := range fp.Steps {
		if s.Layer != nil {
			return s.Layer.Builder
		}
	}
	return ""
}

// layerSteps are the steps that give a function the layer of its
// dependency fingerprint: build-dependencies and publish-layer when no
// layer version exists for it yet, then attach-layer. A plan refreshed
// from the cache (ApplyLayerCache) knows the version: its parameters are
// kept when the steps are made again (drift).
func layerSteps(m *manifest.Manifest, f *manifest.Function, fp plan.FunctionPlan, docker bool) []plan.Step {
	var layer *plan.LayerParams
	if s := fp.Step(plan.StepAttachLayer); s != nil && s.Layer != nil {
		cp := *s.Layer
		layer = &cp
	} else {
		builder, image := Builder(f, docker)
		layer = &plan.LayerParams{Descriptor: f.Dependencies, DepsFingerprint: fp.DepsFingerprint, Lockfile: f.Lockfile, Included: f.Included,
			Builder: builder, Image: image, LayerName: plan.LayerName(m.Project.Name, f.Runtime, f.Architecture)}
	}
	var out []plan.Step
	if layer.LayerVersionArn == "" {
		how := "with pip for Lambda's platform (local builder)"
		if strings.HasPrefix(f.Runtime, "nodejs") {
			how = "with npm for Lambda's platform (local builder)"
		}
		if layer.Builder == "docker" {
			how = "in a container of " + layer.Image + " (docker builder)"
		}
		if f.Builder == "auto" {
			how += fmt.Sprintf("; builder = \"auto\": %s", map[bool]string{true: "a Docker engine answers", false: "no Docker engine answers"}[layer.Builder == "docker"])
		}
		out = append(out,
			plan.Step{Name: plan.StepBuildDependencies, Reason: fmt.Sprintf("%s for %s %s, %s", path.Base(f.Dependencies), f.Runtime, f.Architecture, how), Layer: layer},
			plan.Step{Name: plan.StepPublishLayer, Reason: fmt.Sprintf("publish a version of layer %s for dependency fingerprint %s (none exists yet)", layer.LayerName, short(fp.DepsFingerprint)), Layer: layer})
	}
	reason := "point " + f.Name + " at the new layer version, keeping its other layers in their places"
	if layer.LayerVersionArn != "" {
		reason = fmt.Sprintf("point %s at %s, published before for this dependency fingerprint (nothing to build), keeping its other layers in their places", f.Name, layer.LayerVersionArn)
	}
	return append(out, plan.Step{Name: plan.StepAttachLayer, Reason: reason, Layer: layer})
}

// ApplyLayerCache folds what the layer cache knows (records by dependency
// fingerprint) into the plan: dependencies count as changed only when no
// layer exists yet for the fingerprint, so a function whose fingerprint has
// a layer version (published for another function, or before) loses its
// build-dependencies and publish-layer steps and attaches that version.
// It is a pure function of its inputs.
func ApplyLayerCache(p *plan.Plan, records map[string]plan.LayerRecord) {
	cached := 0
	for i := range p.Functions {
		fp := &p.Functions[i]
		rec, ok := records[fp.DepsFingerprint]
		if !ok || rec.LayerVersionArn == "" || !fp.HasStep(plan.StepBuildDependencies) {
			continue
		}
		var steps []plan.Step
		for _, s := range fp.Steps {
			switch s.Name {
			case plan.StepBuildDependencies, plan.StepPublishLayer:
				continue
			case plan.StepAttachLayer:
				l := *s.Layer
				l.LayerVersionArn, l.UnzippedSize = rec.LayerVersionArn, rec.UnzippedSize
				s.Layer = &l
				s.Reason = fmt.Sprintf("point %s at %s, published before for this dependency fingerprint (nothing to build), keeping its other layers in their places", fp.FunctionName, rec.LayerVersionArn)
			}
			steps = append(steps, s)
		}
		fp.Steps = steps
		cached++
	}
	if cached > 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("layer cache: %d %s a layer version for their dependency fingerprint already; nothing to build for them", cached, plural(cached, "function has", "functions have")))
	}
}

// Fingerprints are the dependency fingerprints the plan would build a
// layer for, sorted: what the cache is asked about.
func Fingerprints(p *plan.Plan) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range p.Functions {
		if f.HasStep(plan.StepBuildDependencies) && !seen[f.DepsFingerprint] {
			seen[f.DepsFingerprint] = true
			out = append(out, f.DepsFingerprint)
		}
	}
	sort.Strings(out)
	return out
}

// DescriptorChanges says what changed between the previous release's
// descriptor and this one: "requests 2.31.0 → 2.32.3", "+ idna 3.7",
// "- chardet 5.2.0", one per package, sorted by name. name is the file's
// name (requirements.txt, package.json, package-lock.json). Lines it
// cannot read as a pinned package are compared as lines.
func DescriptorChanges(name string, old, cur []byte) []string {
	var a, b map[string]string
	switch name {
	case "package-lock.json":
		a, b = lockPackages(old), lockPackages(cur)
	case "package.json":
		a, b = jsonDeps(old), jsonDeps(cur)
	default:
		a, b = requirementPins(old), requirementPins(cur)
	}
	names := map[string]bool{}
	for k := range a {
		names[k] = true
	}
	for k := range b {
		names[k] = true
	}
	sorted := make([]string, 0, len(names))
	for k := range names {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var out []string
	for _, k := range sorted {
		va, inA := a[k]
		vb, inB := b[k]
		switch {
		case inA && inB && va != vb:
			out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s → %s", k, orAny(va), orAny(vb))))
		case inA && !inB:
			out = append(out, strings.TrimSpace("- "+k+" "+va))
		case !inA && inB:
			out = append(out, strings.TrimSpace("+ "+k+" "+vb))
		}
	}
	return out
}

func orAny(v string) string {
	if v == "" {
		return "(any)"
	}
	return v
}

var pinRe = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)$`)

// nameSeparators are what PEP 503 normalises to "-" in a project name.
var nameSeparators = regexp.MustCompile(`[-_.]+`)

// requirementPins reads a requirements.txt as name → version specifier
// ("==" dropped), normalised as pip does (case, - _ .).
func requirementPins(data []byte) map[string]string {
	out := map[string]string{}
	for _, raw := range strings.Split(string(data), "\n") {
		line := raw
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "-") {
			out[line] = "" // an option line (-r, -c, --index-url) is compared whole
			continue
		}
		m := pinRe.FindStringSubmatch(line)
		if m == nil {
			out[line] = ""
			continue
		}
		name := strings.ToLower(nameSeparators.ReplaceAllString(m[1], "-"))
		spec := strings.TrimSpace(m[2])
		if i := strings.Index(spec, ";"); i >= 0 {
			spec = strings.TrimSpace(spec[:i])
		}
		out[name] = strings.TrimPrefix(spec, "==")
	}
	return out
}

// lockPackages reads package-lock.json's packages as name → version.
func lockPackages(data []byte) map[string]string {
	var doc struct {
		Packages map[string]struct {
			Version string `json:"version"`
			Dev     bool   `json:"dev"`
		} `json:"packages"`
	}
	out := map[string]string{}
	if json.Unmarshal(data, &doc) != nil {
		return out
	}
	for k, v := range doc.Packages {
		if k == "" || v.Dev {
			continue
		}
		name := k
		if i := strings.LastIndex(k, "node_modules/"); i >= 0 {
			name = k[i+len("node_modules/"):]
		}
		out[name] = v.Version
	}
	return out
}

// jsonDeps reads package.json's dependencies as name → range.
func jsonDeps(data []byte) map[string]string {
	var doc struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	out := map[string]string{}
	if json.Unmarshal(data, &doc) == nil {
		for k, v := range doc.Dependencies {
			out[k] = v
		}
	}
	return out
}
