package operation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/lambdas-dev/lambdas/manifest"
	"github.com/lambdas-dev/lambdas/planner"
	"github.com/lambdas-dev/lambdas/planner/plan"
)

// Ref is where HEAD is, for the release rules and the release label: the
// branch checked out and the tags at HEAD, with what the CI system says
// about the same commit (a CI checkout is often a detached HEAD: a tag
// build, a branch build by commit).
type Ref struct {
	Head   string
	Branch string   // "" when detached and no CI variable names one
	Tags   []string // sorted
	// From says where Branch and Tags came from, for messages: "git", or
	// the CI variables read too.
	From string
}

// CurrentRef reads the ref from the repository and, when it names the same
// commit, the CI system's variables: GitHub Actions (GITHUB_SHA,
// GITHUB_REF), GitLab CI (CI_COMMIT_SHA, CI_COMMIT_BRANCH, CI_COMMIT_TAG),
// AWS CodeBuild (CODEBUILD_RESOLVED_SOURCE_VERSION,
// CODEBUILD_WEBHOOK_HEAD_REF). getenv is os.LookupEnv or a test's.
func CurrentRef(repo *planner.Repo, getenv func(string) (string, bool)) (Ref, error) {
	head := repo.Head.String()
	tags, err := repo.TagsAtHead()
	if err != nil {
		return Ref{}, err
	}
	ref := Ref{Head: head, Branch: repo.Branch, Tags: tags, From: "git"}
	env := func(k string) string { v, _ := getenv(k); return v }
	addRef := func(full, from string) {
		switch {
		case strings.HasPrefix(full, "refs/heads/"):
			if ref.Branch == "" {
				ref.Branch = strings.TrimPrefix(full, "refs/heads/")
			}
		case strings.HasPrefix(full, "refs/tags/"):
			t := strings.TrimPrefix(full, "refs/tags/")
			if !slices.Contains(ref.Tags, t) {
				ref.Tags = append(ref.Tags, t)
			}
		default:
			return
		}
		ref.From = "git and " + from
	}
	if env("GITHUB_SHA") == head {
		addRef(env("GITHUB_REF"), "GITHUB_REF")
	}
	if env("CI_COMMIT_SHA") == head {
		if b := env("CI_COMMIT_BRANCH"); b != "" {
			addRef("refs/heads/"+b, "CI_COMMIT_BRANCH")
		}
		if t := env("CI_COMMIT_TAG"); t != "" {
			addRef("refs/tags/"+t, "CI_COMMIT_TAG")
		}
	}
	if env("CODEBUILD_RESOLVED_SOURCE_VERSION") == head {
		addRef(env("CODEBUILD_WEBHOOK_HEAD_REF"), "CODEBUILD_WEBHOOK_HEAD_REF")
	}
	return ref, nil
}

// matchingTag is the last (sorted) tag at HEAD that the glob matches.
func matchingTag(glob string, tags []string) string {
	found := ""
	for _, t := range tags {
		if ok, _ := doublestar.Match(glob, t); ok {
			found = t
		}
	}
	return found
}

// CheckRelease refuses a release the manifest's rule does not allow from
// here, naming the rule and the current ref. No rule: anything goes.
func CheckRelease(m *manifest.Manifest, ref Ref) error {
	r := m.Project.Release
	if r == nil {
		return nil
	}
	where := fmt.Sprintf("%s (%s line %d)", r.Where, shortPath(m, r.Range.Filename), r.Range.Start.Line)
	head := plan.ShortHash(ref.Head)
	if r.Branch != "" {
		if ok, _ := doublestar.Match(r.Branch, ref.Branch); ok && ref.Branch != "" {
			return nil
		}
		on := fmt.Sprintf("is on branch %q", ref.Branch)
		if ref.Branch == "" {
			on = "is on no branch (a detached HEAD)"
		}
		return fmt.Errorf("the release rule %s of %s refuses this apply: HEAD %s %s (from %s); release from %s, or pass --force to release anyway", r, where, head, on, ref.From, r.Branch)
	}
	if matchingTag(r.Tag, ref.Tags) != "" {
		return nil
	}
	tags := "no tag"
	if len(ref.Tags) > 0 {
		tags = "only the tags " + strings.Join(ref.Tags, ", ")
	}
	return fmt.Errorf("the release rule %s of %s refuses this apply: HEAD %s has %s matching %q (from %s); tag the commit (git tag v1.2.3 && git push --tags) and release the tag, or pass --force to release anyway", r, where, head, tags, r.Tag, ref.From)
}

// ReleaseLabel names a release in the version and alias descriptions, the
// S3 object metadata and the state: the tag at HEAD (the one the release
// rule matched; else the last, sorted), or else the commit. A release of
// uncommitted changes says so.
func ReleaseLabel(m *manifest.Manifest, ref Ref, dirty bool) string {
	label := ""
	if r := m.Project.Release; r != nil && r.Tag != "" {
		label = matchingTag(r.Tag, ref.Tags)
	}
	if label == "" && len(ref.Tags) > 0 {
		label = ref.Tags[len(ref.Tags)-1]
	}
	if label == "" {
		label = ref.Head
		if len(label) > 12 {
			label = label[:12]
		}
	}
	if dirty {
		label += "+dirty"
	}
	return label
}

func shortPath(m *manifest.Manifest, file string) string {
	if file == "" {
		return "lambdas.hcl"
	}
	return file
}
