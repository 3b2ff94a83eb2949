package manifest

import (
	"fmt"
	"strings"
)

// editDistance is the optimal-string-alignment distance between a and b,
// in runes: insertions, deletions, substitutions and swaps of neighbours
// ("stgae" → "stage") each cost 1.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
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
// didYouMeanRef is didYouMean for references: " Did you mean var.env?".
func didYouMeanRef(root, s string, candidates []string) string {
	if c := suggest(s, candidates); c != "" && c != s {
		return fmt.Sprintf(" Did you mean %s.%s?", root, c)
	}
	return ""
}
