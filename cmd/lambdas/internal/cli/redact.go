package cli

import (
	"io"
	"strings"
)

// redacted is what a secret is shown as.
const redacted = "(redacted)"

// redactor replaces the manifest's secrets (see manifest.Secrets) in
// everything written through it: the last line of defence behind code that
// never prints them. A secret split across two writes is not seen; the
// views write whole lines.
type redactor struct {
	w io.Writer
	r *strings.Replacer
}

func (r redactor) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, r.r.Replace(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// redact makes the command's output go through a redactor of secrets
// (once: a command loads one manifest).
func (g *globals) redact(secrets []string) {
	if len(secrets) == 0 {
		return
	}
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, s, redacted)
	}
	r := strings.NewReplacer(pairs...)
	if _, done := g.stdout.(redactor); !done {
		g.stdout = redactor{g.stdout, r}
	}
	if _, done := g.stderr.(redactor); !done {
		g.stderr = redactor{g.stderr, r}
	}
}

// unwrapWriter is the writer under a redactor, for terminal checks.
func unwrapWriter(stream any) any {
	if r, ok := stream.(redactor); ok {
		return r.w
	}
	return stream
}
