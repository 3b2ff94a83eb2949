package manifest

import (
	"fmt"
	"strings"
)

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// suggest returns the candidate closest to s when it is close enough to be
// a plausible typo, else "". Case is ignored; on a tie the earlier candidate
// wins, so callers list the preferred ones first.
func suggest(s string, candidates []string) string {
	if s == "" || len(s) > 256 {
		return ""
	}
	// A third of the length: "runtme" → "runtime", but "zz" suggests nothing.
	limit := max(1, len([]rune(s))/3)
	best, bestDist := "", limit+1
	ls := strings.ToLower(s)
	for _, c := range candidates {
		if d := editDistance(ls, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// didYouMean is suggest as a sentence to append to a detail, or "".
func didYouMean(s string, candidates []string) string {
	if c := suggest(s, candidates); c != "" && c != s {
		return fmt.Sprintf(" Did you mean %q?", c)
	}
	return ""
}

// quoteList renders ["a", "b"] as `"a", "b"`.
func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// didYouMeanRef is didYouMean for references: " Did you mean var.env?".
func didYouMeanRef(root, s string, candidates []string) string {
	if c := suggest(s, candidates); c != "" && c != s {
		return fmt.Sprintf(" Did you mean %s.%s?", root, c)
	}
	return ""
}
