package main

import (
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
)

// The text of the generated files: small, plausible Python, JavaScript,
// Markdown and dependency descriptors. None of it is meant to run; it only
// has to look and weigh like a real repository's files.

var (
	nouns = []string{"order", "invoice", "customer", "payment", "refund", "cart", "item", "price", "tax",
		"address", "session", "token", "report", "export", "queue", "retry", "cache", "client", "mapper",
		"schema", "parser", "format", "audit", "ledger", "shipment", "coupon", "account", "webhook"}
	verbs = []string{"load", "save", "build", "check", "parse", "render", "compute", "merge", "split",
		"fetch", "send", "apply", "resolve", "normalize", "validate", "encode", "decode", "publish"}
	packages = []string{"handlers", "models", "services", "adapters", "util", "events", "storage",
		"auth", "billing", "search", "reports", "notify"}
	keys       = []string{"id", "status", "amount", "currency", "created_at", "items", "email", "region", "attempt", "total"}
	pyPackages = []string{"requests", "python-dateutil", "pydantic", "boto3-stubs", "orjson", "attrs",
		"structlog", "tenacity", "jmespath", "pyyaml"}
	npmPackages = []string{"ms", "uuid", "zod", "dayjs", "lodash.merge", "p-limit", "nanoid", "yaml",
		"fast-json-stable-stringify", "undici"}
)

func pick(r *rand.Rand, words []string) string { return words[r.IntN(len(words))] }

func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func pyFunc(b *strings.Builder, r *rand.Rand) {
	verb, noun, key := pick(r, verbs), pick(r, nouns), pick(r, keys)
	fmt.Fprintf(b, "\n\ndef %s_%s(doc: dict, *, limit: int = %d) -> dict:\n", verb, noun, 10+r.IntN(990))
	fmt.Fprintf(b, "    \"\"\"%s the %s of a %s.\"\"\"\n", title(verb), noun, pick(r, nouns))
	fmt.Fprintf(b, "    value = doc.get(%q)\n", key)
	fmt.Fprintf(b, "    if value is None:\n        raise ValueError(\"%s: missing %s\")\n", noun, key)
	for range r.IntN(4) {
		k := pick(r, keys)
		fmt.Fprintf(b, "    %s = doc.get(%q, %d)\n", k, k, r.IntN(100))
	}
	fmt.Fprintf(b, "    log.debug(\"%s %s\", extra={\"%s\": value})\n", verb, noun, key)
	fmt.Fprintf(b, "    return {%q: value, \"limit\": limit, \"version\": %d}\n", key, r.IntN(50))
}

func pyModule(r *rand.Rand, what string, handler bool) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "\"\"\"%s.\"\"\"\n\nfrom __future__ import annotations\n\nimport json\nimport logging\n\n", what)
	b.WriteString("log = logging.getLogger(__name__)\n\n")
	fmt.Fprintf(&b, "MAX_%s = %d\n", strings.ToUpper(pick(r, nouns)), r.IntN(10000))
	for range 1 + r.IntN(4) {
		pyFunc(&b, r)
	}
	if handler {
		b.WriteString("\n\ndef handler(event, context):\n    body = json.loads(event.get(\"body\") or \"{}\")\n")
		fmt.Fprintf(&b, "    return {\"statusCode\": 200, \"body\": json.dumps({%q: body.get(%q)})}\n",
			pick(r, keys), pick(r, keys))
	}
	return []byte(b.String())
}

func pyTest(r *rand.Rand, what string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "\"\"\"Tests of %s.\"\"\"\n\nimport pytest\n", what)
	for i := range 1 + r.IntN(4) {
		k := pick(r, keys)
		fmt.Fprintf(&b, "\n\ndef test_%s_%s_%d():\n    doc = {%q: %d}\n    assert doc[%q] == %d\n",
			pick(r, verbs), pick(r, nouns), i, k, i, k, i)
	}
	return []byte(b.String())
}

func jsFunc(b *strings.Builder, r *rand.Rand) {
	verb, noun, key := pick(r, verbs), title(pick(r, nouns)), pick(r, keys)
	fmt.Fprintf(b, "\n/** %s the %s of a %s. */\n", title(verb), strings.ToLower(noun), pick(r, nouns))
	fmt.Fprintf(b, "export function %s%s(doc, { limit = %d } = {}) {\n", verb, noun, 10+r.IntN(990))
	fmt.Fprintf(b, "  const value = doc?.%s;\n", key)
	fmt.Fprintf(b, "  if (value === undefined) throw new Error('%s: missing %s');\n", noun, key)
	for range r.IntN(4) {
		k := pick(r, keys)
		fmt.Fprintf(b, "  const %s = doc.%s ?? %d;\n", strings.ReplaceAll(k, "_", "")+"V", k, r.IntN(100))
	}
	fmt.Fprintf(b, "  return { %s: value, limit, version: %d };\n}\n", key, r.IntN(50))
}

func jsModule(r *rand.Rand, what string, handler bool) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "// %s.\n\nconst MAX_%s = %d;\n", what, strings.ToUpper(pick(r, nouns)), r.IntN(10000))
	for range 1 + r.IntN(4) {
		jsFunc(&b, r)
	}
	if handler {
		fmt.Fprintf(&b, "\nexport async function handler(event) {\n  const body = JSON.parse(event.body ?? '{}');\n"+
			"  return { statusCode: 200, body: JSON.stringify({ %s: body.%s }) };\n}\n", pick(r, keys), pick(r, keys))
	}
	return []byte(b.String())
}

func jsTest(r *rand.Rand, what string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "// Tests of %s.\nimport { test } from 'node:test';\nimport assert from 'node:assert/strict';\n", what)
	for i := range 1 + r.IntN(4) {
		fmt.Fprintf(&b, "\ntest('%s %s %d', () => {\n  assert.equal(%d + %d, %d);\n});\n",
			pick(r, verbs), pick(r, nouns), i, i, i, 2*i)
	}
	return []byte(b.String())
}

func markdown(r *rand.Rand, heading string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", heading)
	for range 1 + r.IntN(3) {
		b.WriteString("\n")
		for j := range 3 + r.IntN(5) {
			if j > 0 {
				b.WriteString(" ")
			}
			fmt.Fprintf(&b, "%s %s the %s.", title(pick(r, nouns)), pick(r, verbs)+"s", pick(r, nouns))
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}

// edit changes a file as a small commit would: append a function or a
// paragraph, or rewrite one line.
func edit(r *rand.Rand, path string, old []byte) []byte {
	var b strings.Builder
	b.Write(old)
	switch {
	case strings.HasSuffix(path, ".md"):
		fmt.Fprintf(&b, "\n%s %s the %s.\n", title(pick(r, nouns)), pick(r, verbs)+"s", pick(r, nouns))
		return []byte(b.String())
	case r.IntN(2) == 0 && strings.HasSuffix(path, ".py"):
		pyFunc(&b, r)
		return []byte(b.String())
	case r.IntN(2) == 0 && strings.HasSuffix(path, ".mjs"):
		jsFunc(&b, r)
		return []byte(b.String())
	}
	lines := strings.Split(strings.TrimSuffix(string(old), "\n"), "\n")
	i := r.IntN(len(lines))
	comment := "#"
	if strings.HasSuffix(path, ".mjs") {
		comment = "//"
	}
	lines = append(lines[:i+1], lines[i:]...)
	lines[i] = fmt.Sprintf("%s %s: %s %s (%d)", strings.Repeat(" ", indent(lines[i+1])), comment,
		pick(r, verbs), pick(r, nouns), r.IntN(1000))
	return []byte(strings.Join(lines, "\n") + "\n")
}

func indent(line string) int { return len(line) - len(strings.TrimLeft(line, " ")) }

func (d dep) String() string {
	return fmt.Sprintf("%d.%d.%d", d.version[0], d.version[1], d.version[2])
}

func requirements(deps []dep) []byte {
	var b strings.Builder
	for _, d := range deps {
		fmt.Fprintf(&b, "%s==%s\n", d.name, d)
	}
	return []byte(b.String())
}

func packageJSON(name string, deps []dep) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "{\n  \"name\": %q,\n  \"version\": \"1.0.0\",\n  \"private\": true,\n  \"type\": \"module\",\n", name)
	b.WriteString("  \"dependencies\": {\n")
	for i, d := range deps {
		fmt.Fprintf(&b, "    %q: %q", d.name, d.String())
		if i < len(deps)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("  }\n}\n")
	return []byte(b.String())
}

// packageLock is a lockfileVersion 3 document for deps. The integrity values
// are digests of the name and version, not of real tarballs: the benchmark
// never installs anything.
func packageLock(name string, deps []dep) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "{\n  \"name\": %q,\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n", name)
	fmt.Fprintf(&b, "  \"packages\": {\n    \"\": {\n      \"name\": %q,\n      \"version\": \"1.0.0\",\n      \"dependencies\": {\n", name)
	for i, d := range deps {
		fmt.Fprintf(&b, "        %q: %q", d.name, d.String())
		if i < len(deps)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("      }\n    }")
	for _, d := range deps {
		sum := sha512.Sum512([]byte(d.name + "@" + d.String()))
		fmt.Fprintf(&b, ",\n    \"node_modules/%s\": {\n      \"version\": %q,\n      \"integrity\": \"sha512-%s\",\n      \"license\": \"MIT\"\n    }",
			d.name, d.String(), base64.StdEncoding.EncodeToString(sum[:]))
	}
	b.WriteString("\n  }\n}\n")
	return []byte(b.String())
}
