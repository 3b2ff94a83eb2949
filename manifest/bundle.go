package manifest

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// placedBundle is a checked bundle with what its messages need.
type placedBundle struct {
	Bundle
	toRng        hcl.Range
	fromDefaults bool
}

// bundlesOf evaluates the bundle blocks of a function: the defaults
// block's first (unless the function says default_bundles = false), then
// its own. Each lands on its own path of the zip, which neither another
// bundle, nor the source folder, nor a preset's output has.
func (l *loader) bundlesOf(s, d *fnSpec, fn *Function) []Bundle {
	useDefaults := true
	if a := l.pick(s.attrs.DefaultBundles); a.set() {
		if v, ok := l.asBool(a, "false"); ok {
			useDefaults = v
		}
	}
	var placed []placedBundle
	add := func(specs []bundleSpec, fromDefaults bool) {
		for _, bs := range specs {
			if b, ok := l.bundle(bs, fn); ok {
				b.fromDefaults = fromDefaults
				placed = append(placed, b)
			}
		}
	}
	if useDefaults {
		add(d.bundles, true)
	}
	add(s.bundles, false)

	outputs := buildOutputs(fn.Build, fn)
	var out []Bundle
	for j, b := range placed {
		good := true
		for _, a := range placed[:j] {
			if !overlaps(a.To, b.To) {
				continue
			}
			good = false
			optOut := ""
			if a.fromDefaults != b.fromDefaults {
				optOut = " One of them comes from the defaults block: set default_bundles = false in the function to leave the defaults' bundles out."
			}
			if a.To == b.To {
				l.errorAt(b.toRng, "Two bundles at one path",
					fmt.Sprintf("This bundle and the one at %s both put their files at %q in the zip. Give each bundle a path of its own.%s", rangeLine(a.toRng), b.To, optOut))
			} else {
				l.errorAt(b.toRng, "Bundles overlap",
					fmt.Sprintf("This bundle puts its files at %q in the zip, and the one at %s at %q: one is inside the other, so their files would mix. Give each a path of its own, side by side.%s",
						b.To, rangeLine(a.toRng), a.To, optOut))
			}
		}
		for _, o := range outputs {
			if overlaps(o, b.To) {
				l.errorAt(b.toRng, "Bundle lands on the build's output",
					fmt.Sprintf("preset %q puts %s in the zip of function %q, and this bundle would put files at %q: one would overwrite the other. Choose another to.",
						fn.Build.Preset, o, fn.Label, b.To))
				good = false
				break
			}
		}
		// With a build block (even one with mistakes) the source folder is
		// not what is zipped.
		if s.buildRange == nil && d.buildRange == nil && !l.bundleFitsSource(b, fn) {
			good = false
		}
		if good {
			out = append(out, b.Bundle)
		}
	}
	return out
}

// bundle checks one bundle block.
func (l *loader) bundle(bs bundleSpec, fn *Function) (placedBundle, bool) {
	b := placedBundle{Bundle: Bundle{Range: bs.rng}}
	good := true

	from := l.pick(bs.attrs.From)
	if !from.set() {
		l.errorAt(bs.rng, "Missing from",
			"A bundle block needs from: the file or folder (relative to the folder of "+l.base+") that is added to the zip, e.g. from = \"libs/shared\".")
		good = false
	} else if p, ok := l.asString(from, `"libs/shared"`); !ok {
		good = false
	} else if rel, ok := l.repoPath(p, from.rng(), "from", kindBundle); !ok {
		good = false
	} else {
		b.From = rel
		if fn.Source != "" && (fn.Source == "." || rel == fn.Source || strings.HasPrefix(rel, fn.Source+"/")) {
			l.errorAt(from.rng(), "Bundle inside the source folder",
				fmt.Sprintf("%q is inside the source folder %q of function %q, whose files are packaged already. Bundle only what lives outside it, or leave this bundle out.", p, fn.Source, fn.Label))
			good = false
		}
	}

	to := l.pick(bs.attrs.To)
	if !to.set() {
		l.errorAt(bs.rng, "Missing to",
			"A bundle block needs to: the path in the zip where the files land, e.g. to = \"shared\" (a folder's files go below it; a file gets that name).")
		good = false
	} else if p, ok := l.asString(to, `"shared"`); !ok {
		good = false
	} else if clean, why := cleanInnerPath(p); why != "" {
		l.errorAt(to.rng(), "Invalid bundle path",
			fmt.Sprintf("to is where the bundle lands in the zip, a path relative to its root such as \"shared\", and %q %s.", p, why))
		good = false
	} else if skipped := skippedComponent(clean); skipped != "" {
		l.errorAt(to.rng(), "Invalid bundle path",
			fmt.Sprintf("%q goes through a folder named %s, which lambdas never packages: the bundle would be left out of the zip. Choose another to.", p, skipped))
		good = false
	} else {
		b.To = clean
		b.toRng = to.rng()
	}
	return b, good
}

// bundleFitsSource checks that the source folder (zipped as it is: no
// build) has nothing at the bundle's path. A folder on the way is fine
// (to = "vendor/shared" beside other files in vendor), a file is not.
func (l *loader) bundleFitsSource(b placedBundle, fn *Function) bool {
	if fn.Source == "" {
		return true
	}
	src := filepath.Join(l.root, filepath.FromSlash(fn.Source))
	p := b.To
	for {
		fi, err := os.Lstat(filepath.Join(src, filepath.FromSlash(p)))
		if err == nil && (p == b.To || !fi.IsDir()) {
			what := "a folder"
			if !fi.IsDir() {
				what = "a file"
			}
			l.errorAt(b.toRng, "Bundle lands on source files",
				fmt.Sprintf("The source folder of function %q already has %s %q, and this bundle (from %q) would put files at %q in the zip, where they would collide. Choose another to, or move %q.",
					fn.Label, what, path.Join(fn.Source, p), b.From, b.To, path.Join(fn.Source, p)))
			return false
		}
		if p = path.Dir(p); p == "." {
			return true
		}
	}
}

// overlaps reports whether two zip paths are one or one is inside the
// other.
func overlaps(a, b string) bool {
	return a == b || strings.HasPrefix(b, a+"/") || strings.HasPrefix(a, b+"/")
}

// skippedComponent returns ".git" or ".lambdas" when a slash path goes
// through a folder of that name, which the packager skips.
func skippedComponent(p string) string {
	for part := range strings.SplitSeq(p, "/") {
		switch strings.ToLower(part) {
		case ".git", ".lambdas":
			return part
		}
	}
	return ""
}

func (l *loader) asBool(a attrVal, example string) (bool, bool) {
	if !a.usable() {
		return false, false
	}
	v, err := convert.Convert(a.val, cty.Bool)
	if err != nil || v.IsNull() || !v.IsKnown() {
		l.typeError(a.rng(), a.name(), "a bool", example, a.val)
		return false, false
	}
	return v.True(), true
}
