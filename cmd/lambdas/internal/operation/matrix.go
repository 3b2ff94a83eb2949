package operation

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/lambdas-dev/lambdas/planner/plan"
)

// Shards: where a monorepo outgrows one CI runner, its release is spread
// over the CI system's runners (a GitHub Actions matrix), each applying one
// shard, the S3 state and its per-function locks keeping them consistent.
//
// `lambdas plan --format github-matrix --shards N` and `lambdas apply
// --shard i/N` must agree on which functions shard i holds, although the
// shards do not start at the same moment: shard 1 may have released its
// functions before shard 3 plans. So the split is made over a set that the
// shards' own releases do not change — the functions the plan changes, and
// those already released at HEAD with these fingerprints (released by a
// shard of this commit that ran first) — and it depends on each function's
// weight, which comes from the manifest and the tree, never from the state.
// A function moves from "changed" to "released at HEAD" when a shard
// releases it, and stays in the set.

// Shard is one shard of a split: Index of Count, 1-based.
type Shard struct{ Index, Count int }

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// ParseShard reads "i/N".
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return Shard{}, fmt.Errorf("--shard %q: write i/N with 1 <= i <= N, e.g. --shard 2/4 (as lambdas plan --format github-matrix --shards 4 prints it)", s)
	}
	if n > maxShards {
		return Shard{}, fmt.Errorf("--shard %q: at most %d shards", s, maxShards)
	}
	return Shard{Index: i, Count: n}, nil
}

// maxShards bounds N (a GitHub matrix has at most 256 jobs).
const maxShards = 256

// inSplit reports whether a function belongs to the set the shards split.
func inSplit(p *plan.Plan, f *plan.FunctionPlan) bool {
	if len(f.Steps) > 0 && f.Change != plan.Unchanged {
		return true
	}
	return f.Change == plan.Unchanged && f.Previous != nil && f.Previous.Commit == p.Head
}

// weight estimates a function's share of an apply's work from what the
// manifest and the tree say, never the state: a release (two Lambda calls,
// an upload, a state write), plus a build, plus the zip's size.
func weight(f *plan.FunctionPlan) int64 {
	w := int64(4)
	if pk := f.Package; pk != nil {
		if pk.Build != nil {
			w += 6
		}
		var size int64
		for _, e := range pk.Entries {
			size += e.Size
		}
		for _, e := range pk.Inputs {
			size += e.Size
		}
		w += size >> 22 // one per 4 MiB
	}
	return w
}

// Split groups the plan's split set into n shards of about equal weight
// (the heaviest first, each to the lightest shard so far; ties by label
// and shard number): the labels of each shard, sorted.
func Split(p *plan.Plan, n int) [][]string {
	type item struct {
		label string
		w     int64
	}
	var items []item
	for i := range p.Functions {
		if f := &p.Functions[i]; inSplit(p, f) {
			items = append(items, item{f.Name, weight(f)})
		}
	}
	sort.Slice(items, func(i, j int) bool {
		if items[i].w != items[j].w {
			return items[i].w > items[j].w
		}
		return items[i].label < items[j].label
	})
	shards := make([][]string, n)
	load := make([]int64, n)
	for _, it := range items {
		best := 0
		for s := 1; s < n; s++ {
			if load[s] < load[best] {
				best = s
			}
		}
		shards[best] = append(shards[best], it.label)
		load[best] += it.w
	}
	for _, s := range shards {
		sort.Strings(s)
	}
	return shards
}

// Restrict keeps only the named functions in the plan.
func Restrict(p *plan.Plan, labels []string) {
	keep := map[string]bool{}
	for _, l := range labels {
		keep[l] = true
	}
	out := p.Functions[:0]
	for _, f := range p.Functions {
		if keep[f.Name] {
			out = append(out, f)
		}
	}
	p.Functions = out
	p.Recount()
}

// MatrixEntry is one job of a GitHub Actions matrix: `lambdas apply --shard
// <shard>` releases its targets (or `--target` each of them).
type MatrixEntry struct {
	Shard   string   `json:"shard"`
	Targets []string `json:"targets"`
}

// Matrix is a GitHub Actions strategy.matrix: {"include": [...]}, one entry
// per shard with something to release (none: an empty include, which a
// workflow guards with `if: fromJSON(...).include[0] != null`).
type Matrix struct {
	Include []MatrixEntry `json:"include"`
}

// GitHubMatrix splits the plan into n shards and lists, for each shard, the
// functions it changes.
func GitHubMatrix(p *plan.Plan, n int) (Matrix, error) {
	if n < 1 || n > maxShards {
		return Matrix{}, fmt.Errorf("--shards %d: give 1 to %d", n, maxShards)
	}
	changes := map[string]bool{}
	for _, f := range p.Functions {
		if f.Change != plan.Unchanged && len(f.Steps) > 0 {
			changes[f.Name] = true
		}
	}
	m := Matrix{Include: []MatrixEntry{}}
	for i, labels := range Split(p, n) {
		var targets []string
		for _, l := range labels {
			if changes[l] {
				targets = append(targets, l)
			}
		}
		if len(targets) > 0 {
			m.Include = append(m.Include, MatrixEntry{Shard: Shard{i + 1, n}.String(), Targets: targets})
		}
	}
	return m, nil
}
