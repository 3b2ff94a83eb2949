package manifest

import (
	"fmt"
	"math/big"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Builders are the values of builder.
var builders = []string{"auto", "docker", "local"}

const (
	defaultBuilderTimeout = 10 * time.Minute
	maxBuilderTimeout     = 2 * time.Hour
	// maxKeepVersions bounds keep_versions: Lambda keeps at most 75 GB of
	// code per Region, and a bigger number is a typo rather than a policy.
	maxKeepVersions = 1000
)

// DefaultBuilderImage is AWS SAM's build image for a runtime and
// architecture: what builder = "docker" uses without builder_image.
func DefaultBuilderImage(runtime, arch string) string {
	return fmt.Sprintf("public.ecr.aws/sam/build-%s:latest-%s", runtime, arch)
}

// layerSettings reads builder, builder_image (and its deprecated spelling
// build_image), builder_timeout and keep_versions.
//
// builder_image is the one name; build_image, which earlier versions
// accepted but never used, still works and says so with a warning. Both
// set in one block is an error: which one wins would be a guess.
func (l *loader) layerSettings(fn *Function, fa, da *functionAttrs) {
	for _, a := range []*functionAttrs{fa, da} {
		if a.BuildImage != nil && a.BuilderImage != nil {
			l.errorAt(a.BuildImage.NameRange, "Both build_image and builder_image",
				fmt.Sprintf("build_image is the old name of builder_image (%s); set builder_image only.", rangeLine(a.BuilderImage.NameRange)))
		} else if a.BuildImage != nil {
			l.warnAt(a.BuildImage.NameRange, "build_image is deprecated",
				"build_image is now called builder_image: rename it. It is still read, as builder_image.")
		}
	}
	pickImage := func(a *functionAttrs) *hcl.Attribute {
		if a.BuilderImage != nil {
			return a.BuilderImage
		}
		return a.BuildImage
	}
	if img := l.pick(pickImage(fa), pickImage(da)); img.set() {
		if s, ok := l.asString(img, `"public.ecr.aws/sam/build-python3.13:latest-arm64"`); ok {
			if strings.TrimSpace(s) == "" || strings.ContainsAny(s, " \t\n") {
				l.errorAt(img.rng(), "Invalid "+img.name(),
					fmt.Sprintf("%q is not a container image reference such as \"public.ecr.aws/sam/build-python3.13:latest-arm64\". Leave %s out to use the AWS SAM build image for the runtime and architecture.", s, img.name()))
			} else {
				fn.BuildImage = s
			}
		}
	} else if fn.Runtime != "" {
		fn.BuildImage = DefaultBuilderImage(fn.Runtime, fn.Architecture)
	}

	if fn.Dependencies != "" && path.Base(fn.Dependencies) == "requirements.txt" {
		fn.Included = l.requirementIncludes(fn.Dependencies)
	}

	fn.Builder = "auto"
	if b := l.pick(fa.Builder, da.Builder); b.set() {
		if s, ok := l.asString(b, `"docker"`); ok {
			if !slices.Contains(builders, s) {
				l.errorAt(b.rng(), "Invalid builder",
					fmt.Sprintf("builder is %q; it must be one of %s: \"docker\" builds the dependency layer in a Lambda-like container (builder_image), \"local\" with pip or npm on this machine for Lambda's platform, \"auto\" (the default) with Docker when an engine answers, else locally.%s",
						s, `"auto", "docker" or "local"`, didYouMean(s, builders)))
			} else {
				fn.Builder = s
			}
		}
	}

	fn.BuilderTimeout = defaultBuilderTimeout
	if t := l.pick(fa.BuilderTimeout, da.BuilderTimeout); t.set() {
		if d, raw, ok := l.duration(t, "a dependency build may run", "10m"); ok {
			if d > maxBuilderTimeout {
				l.errorAt(t.rng(), "Invalid builder_timeout",
					fmt.Sprintf("builder_timeout is at most \"2h\", got %q: a dependency build that takes longer is stuck, not slow.", raw))
			} else {
				fn.BuilderTimeout = d
			}
		}
	}

	if k := l.pick(fa.KeepVersions, da.KeepVersions); k.set() {
		if n, ok := l.asNumber(k, "5"); ok {
			if !n.IsInt() || n.Cmp(big.NewFloat(1)) < 0 || n.Cmp(big.NewFloat(maxKeepVersions)) > 0 {
				l.errorAt(k.rng(), "Invalid keep_versions",
					fmt.Sprintf("keep_versions is how many of the newest function versions lambdas prune keeps (besides every version an alias points to): a whole number from 1 to %d, got %s. Leave it out to keep every version.", maxKeepVersions, n.Text('g', 10)))
			} else {
				v, _ := n.Int64()
				fn.KeepVersions = int(v)
			}
		}
	}
}

// maxIncludes bounds the -r/-c files followed from one requirements.txt.
const maxIncludes = 100

// requirementIncludes follows the -r (--requirement) and -c (--constraint)
// lines of a requirements.txt, recursively, and returns the files they
// name, repo-relative. pip reads a relative path against the folder of the
// file that names it. A file that does not exist, is outside the
// repository or is a folder is an error at its line: the plan could not
// fingerprint it, so a change to it would not rebuild the layer.
func (l *loader) requirementIncludes(rel string) []string {
	var out []string
	seen := map[string]bool{rel: true}
	queue := []string{rel}
	for len(queue) > 0 && len(out) < maxIncludes {
		cur := queue[0]
		queue = queue[1:]
		data, err := os.ReadFile(filepath.Join(l.root, filepath.FromSlash(cur)))
		if err != nil {
			continue // the descriptor's own existence is checked with its path
		}
		for i, raw := range strings.Split(string(data), "\n") {
			line := strings.TrimSpace(raw)
			if j := strings.Index(line, " #"); j >= 0 {
				line = strings.TrimSpace(line[:j])
			}
			name := ""
			for _, opt := range []string{"--requirement", "--constraint", "-r", "-c"} {
				if rest, ok := strings.CutPrefix(line, opt); ok && (strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, "=") || (len(opt) == 2 && rest != "")) {
					name = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), "="))
					break
				}
			}
			if name == "" {
				continue
			}
			if strings.Contains(name, "://") {
				l.errorAt(l.descriptorRange(cur, data, i+1, 1), "Requirements file outside the repository",
					fmt.Sprintf("%s line %d names %q, a URL: lambdas fingerprints the files a layer is built from, and cannot see a change there. Copy it into the repository and name it by a relative path.", cur, i+1, name))
				continue
			}
			target := path.Clean(path.Join(path.Dir(cur), filepath.ToSlash(name)))
			if path.IsAbs(name) || target == ".." || strings.HasPrefix(target, "../") {
				l.errorAt(l.descriptorRange(cur, data, i+1, 1), "Requirements file outside the repository",
					fmt.Sprintf("%s line %d names %q, which is outside the repository: lambdas fingerprints the files a layer is built from, and cannot see a change there. Keep it in the repository, relative to %s.", cur, i+1, name, path.Dir(cur)))
				continue
			}
			fi, err := os.Stat(filepath.Join(l.root, filepath.FromSlash(target)))
			if err != nil || !fi.Mode().IsRegular() {
				l.errorAt(l.descriptorRange(cur, data, i+1, 1), "Missing requirements file",
					fmt.Sprintf("%s line %d names %q, but there is no file %s in the repository (pip reads it relative to %s).", cur, i+1, name, target, path.Dir(cur)))
				continue
			}
			if !seen[target] {
				seen[target] = true
				out = append(out, target)
				queue = append(queue, target)
			}
		}
	}
	return out
}
