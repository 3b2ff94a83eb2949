package manifest

import "sort"

// minSecretLen is the shortest value treated as a secret everywhere in the
// output: shorter ones ("info", "1") would blank out ordinary words. No code
// path prints an environment value; the redaction is the second line of
// defence, for what an error from elsewhere (AWS, the SDK) might echo.
const minSecretLen = 6

// Secrets are the values lambdas must never show: the values of every
// function's create { environment = { ... } } (tokens, connection
// strings). Longest first, so that a secret containing another is replaced
// whole.
func (m *Manifest) Secrets() []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range m.Functions {
		if f.Create == nil {
			continue
		}
		for _, v := range f.Create.Environment {
			if len(v) >= minSecretLen && !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) > len(out[j])
		}
		return out[i] < out[j]
	})
	return out
}
