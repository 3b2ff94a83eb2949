package executor

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambdas-dev/lambdas/planner/plan"
)

// PruneTarget is a function prune reads: Keep > 0 deletes its versions
// older than the newest Keep that no alias points to; Keep = 0 keeps all
// of them, and the function is read only for the layers its versions use.
type PruneTarget struct {
	Label, FunctionName string
	Keep                int
}

// PrunedVersion is a function version prune deletes (or would).
type PrunedVersion struct {
	Label        string `json:"name"`
	FunctionName string `json:"function_name"`
	Version      string `json:"version"`
	Why          string `json:"why"`
}

// PrunedLayer is a layer version prune deletes (or would).
type PrunedLayer struct {
	LayerName       string `json:"layer_name"`
	Version         int64  `json:"version"`
	LayerVersionArn string `json:"layer_version_arn"`
	DepsFingerprint string `json:"deps_fingerprint,omitempty"`
	Why             string `json:"why"`
}

// PrunePlan is what prune deletes: function versions first, then the
// layer versions that no kept function version uses.
type PrunePlan struct {
	Versions []PrunedVersion `json:"versions"`
	Layers   []PrunedLayer   `json:"layers"`
	// Kept counts the versions read and kept, for the summary.
	Kept int `json:"kept"`
}

// SelectVersions picks the versions to delete of one function: published
// versions (numbers; $LATEST never) older than the newest keep, that no
// alias points to (aliased: primary or additional version). It is a pure
// function; the result is sorted by number.
func SelectVersions(versions []string, aliased map[string]bool, keep int) (del, kept []string) {
	var nums []int
	for _, v := range versions {
		if n, err := strconv.Atoi(v); err == nil {
			nums = append(nums, n)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(nums)))
	for i, n := range nums {
		v := strconv.Itoa(n)
		if i < keep || aliased[v] || keep <= 0 {
			kept = append(kept, v)
			continue
		}
		del = append(del, v)
	}
	sort.Slice(del, func(i, j int) bool { a, _ := strconv.Atoi(del[i]); b, _ := strconv.Atoi(del[j]); return a < b })
	return del, kept
}

// maxPages bounds the pages of one listing.
const maxPages = 200

// PlanPrune reads the functions (ListVersionsByFunction, ListAliases) and
// the project's layers (ListLayerVersions), every call in the
// control-plane bucket, and works out what prune deletes. withLayers
// leaves the layers out when false. A function that does not exist is
// skipped.
func (c *Lambda) PlanPrune(ctx context.Context, project string, targets []PruneTarget, layerNames []string, withLayers bool) (*PrunePlan, error) {
	out := &PrunePlan{Versions: []PrunedVersion{}, Layers: []PrunedLayer{}}
	used := map[string]bool{}
	names := map[string]bool{}
	for _, n := range layerNames {
		names[n] = true
	}
	for _, t := range targets {
		versions, layersOf, err := c.listVersions(ctx, t.FunctionName)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: prune: list versions of %s: %w", t.Label, t.FunctionName, err)
		}
		aliased := map[string]bool{}
		if t.Keep > 0 {
			if aliased, err = c.aliasedVersions(ctx, t.FunctionName); err != nil {
				return nil, fmt.Errorf("%s: prune: list aliases of %s: %w", t.Label, t.FunctionName, err)
			}
		}
		del, kept := SelectVersions(versions, aliased, t.Keep)
		out.Kept += len(kept)
		for _, v := range del {
			out.Versions = append(out.Versions, PrunedVersion{Label: t.Label, FunctionName: t.FunctionName, Version: v,
				Why: fmt.Sprintf("older than the newest %d, and no alias points at it", t.Keep)})
		}
		deleted := map[string]bool{}
		for _, v := range del {
			deleted[v] = true
		}
		for v, arns := range layersOf {
			if deleted[v] {
				continue
			}
			for _, a := range arns {
				used[a] = true
				if plan.IsOwnLayer(project, a) {
					names[plan.LayerArnName(a)] = true
				}
			}
		}
	}
	if !withLayers {
		return out, nil
	}
	var sorted []string
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, name := range sorted {
		var marker *string
		for page := 0; page < maxPages; page++ {
			res, err := c.ListLayerVersions(ctx, &lambda.ListLayerVersionsInput{LayerName: aws.String(name), Marker: marker})
			if isNotFound(err) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("prune: list versions of layer %s: %w", name, err)
			}
			for _, lv := range res.LayerVersions {
				arn := aws.ToString(lv.LayerVersionArn)
				if used[arn] {
					continue
				}
				out.Layers = append(out.Layers, PrunedLayer{LayerName: name, Version: lv.Version, LayerVersionArn: arn,
					DepsFingerprint: LayerFingerprint(aws.ToString(lv.Description)), Why: "no kept function version uses it"})
			}
			if marker = res.NextMarker; marker == nil || *marker == "" {
				break
			}
		}
	}
	sort.Slice(out.Layers, func(i, j int) bool {
		a, b := out.Layers[i], out.Layers[j]
		return a.LayerName < b.LayerName || (a.LayerName == b.LayerName && a.Version < b.Version)
	})
	return out, nil
}

// listVersions lists a function's versions ($LATEST included) and the
// layers each has.
func (c *Lambda) listVersions(ctx context.Context, name string) ([]string, map[string][]string, error) {
	var versions []string
	layers := map[string][]string{}
	var marker *string
	for page := 0; page < maxPages; page++ {
		res, err := c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(name), Marker: marker})
		if err != nil {
			return nil, nil, err
		}
		for _, v := range res.Versions {
			ver := aws.ToString(v.Version)
			versions = append(versions, ver)
			for _, l := range v.Layers {
				layers[ver] = append(layers[ver], aws.ToString(l.Arn))
			}
		}
		if marker = res.NextMarker; marker == nil || *marker == "" {
			return versions, layers, nil
		}
	}
	return nil, nil, fmt.Errorf("more than %d pages of versions", maxPages)
}

// aliasedVersions are the versions a function's aliases point to, as
// primary or additional version.
func (c *Lambda) aliasedVersions(ctx context.Context, name string) (map[string]bool, error) {
	out := map[string]bool{}
	var marker *string
	for page := 0; page < maxPages; page++ {
		res, err := c.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String(name), Marker: marker})
		if err != nil {
			return nil, err
		}
		for _, a := range res.Aliases {
			out[aws.ToString(a.FunctionVersion)] = true
			if a.RoutingConfig != nil {
				for v := range a.RoutingConfig.AdditionalVersionWeights {
					out[v] = true
				}
			}
		}
		if marker = res.NextMarker; marker == nil || *marker == "" {
			return out, nil
		}
	}
	return nil, fmt.Errorf("more than %d pages of aliases", maxPages)
}

// Prune deletes what p lists: each function version (DeleteFunction with
// the version as qualifier), then each layer version, every call paced in
// the control-plane bucket. done is told of each deletion. A version that
// is gone already is not an error; any other failure stops the prune and
// says what was deleted until then.
func (c *Lambda) Prune(ctx context.Context, p *PrunePlan, done func(what string)) (int, error) {
	n := 0
	for _, v := range p.Versions {
		_, err := c.DeleteFunction(withCallSite(ctx, v.Label, "prune"), &lambda.DeleteFunctionInput{FunctionName: aws.String(v.FunctionName), Qualifier: aws.String(v.Version)})
		if err != nil && !isNotFound(err) {
			return n, fmt.Errorf("%s: prune: delete version %s of %s (%d deleted before): %w", v.Label, v.Version, v.FunctionName, n, err)
		}
		n++
		if done != nil {
			done(fmt.Sprintf("deleted version %s of %s", v.Version, v.FunctionName))
		}
	}
	for _, l := range p.Layers {
		_, err := c.DeleteLayerVersion(withCallSite(ctx, l.LayerName, "prune"), &lambda.DeleteLayerVersionInput{LayerName: aws.String(l.LayerName), VersionNumber: aws.Int64(l.Version)})
		if err != nil && !isNotFound(err) {
			return n, fmt.Errorf("prune: delete version %d of layer %s (%d deleted before): %w", l.Version, l.LayerName, n, err)
		}
		n++
		if done != nil {
			done(fmt.Sprintf("deleted version %d of layer %s", l.Version, l.LayerName))
		}
	}
	return n, nil
}
