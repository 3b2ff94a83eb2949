package iampolicy

import (
	"strings"
)

// Request is one authorization question: may the role perform Action on
// Resource, with these request context keys (iam:PassedToService)?
type Request struct {
	Action   string
	Resource string
	Context  map[string]string
}

// Allows reports whether some statement of the policy allows r, as IAM
// evaluates an identity policy made of Allow statements only: the action
// matches one of the statement's (case-insensitive, * and ? wildcards),
// the resource one of its resources (ARN by ARN component, * and ?
// wildcards, case-sensitive), and every condition holds (StringEquals,
// StringLike; a key the request lacks fails its condition).
func (p *Policy) Allows(r Request) bool {
	for _, s := range p.Statement {
		if s.Effect == "Allow" && s.allows(r) {
			return true
		}
	}
	return false
}

func (s Statement) allows(r Request) bool {
	ok := false
	for _, a := range s.Action {
		if glob(strings.ToLower(a), strings.ToLower(r.Action)) {
			ok = true
			break
		}
	}
	if !ok {
		return false
	}
	ok = false
	for _, res := range s.Resource {
		if arnMatch(res, r.Resource) {
			ok = true
			break
		}
	}
	if !ok {
		return false
	}
	for op, keys := range s.Condition {
		for k, values := range keys {
			got, present := r.Context[k]
			if !present {
				return false
			}
			match := false
			for _, v := range values {
				switch op {
				case "StringEquals":
					match = match || got == v
				case "StringLike":
					match = match || glob(v, got)
				default:
					return false // an operator this evaluator does not know never allows
				}
			}
			if !match {
				return false
			}
		}
	}
	return true
}

// arnMatch matches an ARN against a pattern as IAM does: the first five
// components (arn, partition, service, region, account) one by one, the
// rest (the resource, which may hold ":" and "/") as one; "*" alone
// matches anything.
func arnMatch(pattern, arn string) bool {
	if pattern == "*" {
		return true
	}
	pp := strings.SplitN(pattern, ":", 6)
	ap := strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return glob(pattern, arn)
	}
	for i := range pp {
		if !glob(pp[i], ap[i]) {
			return false
		}
	}
	return true
}

// glob matches s against a pattern where * is any run of characters and ?
// any one character.
func glob(pattern, s string) bool {
	// Iterative matching with backtracking to the last star.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
