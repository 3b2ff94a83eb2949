package iampolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
)

// JSON returns the policy document, indented, ending in a newline.
func (p *Policy) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Terraform returns the policy as an aws_iam_policy_document data source
// named name, formatted as terraform fmt formats it; header lines become
// comments above it.
func (p *Policy) Terraform(name string, header ...string) []byte {
	var b bytes.Buffer
	for _, h := range header {
		fmt.Fprintf(&b, "# %s\n", h)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "# Note: %s\n", n)
	}
	fmt.Fprintf(&b, "data \"aws_iam_policy_document\" %s {\n", hclString(name))
	for i, s := range p.Statement {
		if i > 0 {
			b.WriteString("\n")
		}
		if s.why != "" {
			fmt.Fprintf(&b, "# %s\n", s.why)
		}
		b.WriteString("statement {\n")
		fmt.Fprintf(&b, "sid = %s\n", hclString(s.Sid))
		fmt.Fprintf(&b, "effect = %s\n", hclString(s.Effect))
		writeList(&b, "actions", s.Action)
		writeList(&b, "resources", s.Resource)
		ops := make([]string, 0, len(s.Condition))
		for op := range s.Condition {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		for _, op := range ops {
			keys := make([]string, 0, len(s.Condition[op]))
			for k := range s.Condition[op] {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				b.WriteString("condition {\n")
				fmt.Fprintf(&b, "test = %s\n", hclString(op))
				fmt.Fprintf(&b, "variable = %s\n", hclString(k))
				writeList(&b, "values", s.Condition[op][k])
				b.WriteString("}\n")
			}
		}
		b.WriteString("}\n")
	}
	b.WriteString("}\n")
	return hclwrite.Format(b.Bytes())
}

func writeList(b *bytes.Buffer, name string, items []string) {
	if len(items) == 1 {
		fmt.Fprintf(b, "%s = [%s]\n", name, hclString(items[0]))
		return
	}
	fmt.Fprintf(b, "%s = [\n", name)
	for _, it := range items {
		fmt.Fprintf(b, "%s,\n", hclString(it))
	}
	b.WriteString("]\n")
}

// hclString quotes s as an HCL string literal: Go's quoting, with the
// template sequences ${ and %{ escaped so that Terraform reads them as text
// (an IAM policy variable such as ${aws:username} stays one).
func hclString(s string) string {
	q := strconv.Quote(s)
	q = strings.ReplaceAll(q, "${", "$${")
	return strings.ReplaceAll(q, "%{", "%%{")
}
