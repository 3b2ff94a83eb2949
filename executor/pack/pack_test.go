package pack

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/flate"
)

// entry describes a file of a test tree: content and mode, or a symlink.
type entry struct {
	data string
	mode fs.FileMode // 0 means 0644
	link string      // when set, a symlink with this target
}

// writeTree creates files under root in the given order of names.
func writeTree(t *testing.T, root string, tree map[string]entry, names []string) {
	t.Helper()
	for _, name := range names {
		e := tree[name]
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if e.link != "" {
			if err := os.Symlink(e.link, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		if err := os.WriteFile(p, []byte(e.data), mode); err != nil {
			t.Fatal(err)
		}
		// WriteFile's mode passes through the umask: set it exactly.
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
}

func sortedNames(tree map[string]entry) []string {
	names := make([]string, 0, len(tree))
	for n := range tree {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// randomBytes is deterministic incompressible data.
func randomBytes(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return string(b)
}

// textBytes is deterministic, compressible text.
func textBytes(seed uint64, n int) string {
	words := []string{"lambda", "handler", "event", "context", "import", "return", "def", "async", "await", "json", "\n", "    "}
	r := rand.New(rand.NewPCG(seed, 2))
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		b.WriteByte(' ')
	}
	return b.String()[:n]
}

// sampleTree covers the cases of the format: nested folders, names whose
// byte order differs from walk order, an executable, an empty file,
// a UTF-8 name, files of several pieces (compressible and not).
func sampleTree() map[string]entry {
	return map[string]entry{
		"handler.py":              {data: "def handler(event, context):\n    return {'ok': True}\n"},
		"bootstrap":               {data: "#!/bin/sh\nexec ./app\n", mode: 0o755},
		"bin/tool":                {data: "#!/bin/sh\necho tool\n", mode: 0o700},
		"empty.txt":               {data: ""},
		"lib/a-b/x.py":            {data: "x = 1\n"},
		"lib/a/x.py":              {data: "x = 2\n"},
		"lib/a.py":                {data: "a = 3\n"},
		"données/é.txt":           {data: "bonjour\n"},
		"data/big.txt":            {data: textBytes(1, 3*pieceSize+12345)},
		"data/random.bin":         {data: randomBytes(2, 2*pieceSize+77)},
		"data/exact.bin":          {data: textBytes(3, pieceSize)},
		"data/mixed.bin":          {data: randomBytes(4, pieceSize/2) + textBytes(5, pieceSize) + randomBytes(6, 1000)},
		"node_modules/m/index.js": {data: "module.exports = 1\n"},
	}
}

func pack(t *testing.T, root, source string, opt Options, inc, exc []string) *Result {
	t.Helper()
	res, err := Build(context.Background(), Spec{RepoRoot: root, Source: source, Include: inc, Exclude: exc, Function: "fn"}, t.TempDir(), opt)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDeterministic(t *testing.T) {
	tree := sampleTree()
	names := sortedNames(tree)

	rootA := t.TempDir()
	writeTree(t, filepath.Join(rootA, "functions/a"), tree, names)
	first := pack(t, rootA, "functions/a", Options{}, nil, nil)
	again := pack(t, rootA, "functions/a", Options{}, nil, nil)
	if !bytes.Equal(readFile(t, first.Path), readFile(t, again.Path)) {
		t.Fatal("packing the same tree twice gave different bytes")
	}

	// Another checkout: files created in reverse order, other
	// permissions with the same executable-ness, other times, another
	// folder name, and .git noise.
	rootB := t.TempDir()
	other := map[string]entry{}
	for n, e := range tree {
		switch e.mode {
		case 0:
			e.mode = 0o600
		case 0o755:
			e.mode = 0o711
		case 0o700:
			e.mode = 0o750
		}
		other[n] = e
	}
	rev := slices.Clone(names)
	slices.Reverse(rev)
	writeTree(t, filepath.Join(rootB, "elsewhere/b"), other, rev)
	r := rand.New(rand.NewPCG(9, 9))
	for _, n := range names {
		mt := time.Unix(int64(r.IntN(2_000_000_000)), 0)
		if err := os.Chtimes(filepath.Join(rootB, "elsewhere/b", n), mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	writeTree(t, filepath.Join(rootB, "elsewhere/b/.git"), map[string]entry{"HEAD": {data: "ref"}}, []string{"HEAD"})

	for _, workers := range []int{1, 2, 8} {
		res := pack(t, rootB, "elsewhere/b", Options{Workers: workers}, nil, nil)
		if res.CodeSha256 != first.CodeSha256 {
			t.Errorf("workers=%d, other checkout: CodeSha256 %s, want %s", workers, res.CodeSha256, first.CodeSha256)
		}
	}
}

// goldenSha256 pins the bytes of sampleTree's archive. If it changes, the
// archive format changed (the compressor was upgraded, a header field
// moved): every function would get a new CodeSha256 and a new version, so
// that must be a deliberate choice. Update it then, and say so.
const goldenSha256 = "88252306f36b980c94358a7821135cc081ee3d2c23640b04795cd331b3f8ef4d"

func TestGolden(t *testing.T) {
	root := t.TempDir()
	tree := sampleTree()
	writeTree(t, root, tree, sortedNames(tree))
	res := pack(t, root, ".", Options{}, nil, nil)
	if got := hex.EncodeToString(res.SHA256); got != goldenSha256 {
		t.Errorf("archive sha256 = %s, want %s (see goldenSha256)", got, goldenSha256)
	}
}

func TestZipContents(t *testing.T) {
	root := t.TempDir()
	tree := sampleTree()
	writeTree(t, root, tree, sortedNames(tree))
	dir := t.TempDir()
	res, err := Build(context.Background(), Spec{RepoRoot: root, Source: ".", Function: "fn"}, dir, Options{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}

	data := readFile(t, res.Path)
	sum := sha256.Sum256(data)
	if want := base64.StdEncoding.EncodeToString(sum[:]); res.CodeSha256 != want {
		t.Errorf("CodeSha256 = %s, want %s", res.CodeSha256, want)
	}
	if !bytes.Equal(res.SHA256, sum[:]) {
		t.Errorf("SHA256 = %x, want %x", res.SHA256, sum)
	}
	if want := filepath.Join(dir, hex.EncodeToString(sum[:])+".zip"); res.Path != want {
		t.Errorf("Path = %s, want %s", res.Path, want)
	}
	if res.Size != int64(len(data)) {
		t.Errorf("Size = %d, want %d", res.Size, len(data))
	}
	var unzipped int64
	for _, e := range tree {
		unzipped += int64(len(e.data))
	}
	if res.UnzippedSize != unzipped || res.Files != len(tree) {
		t.Errorf("UnzippedSize, Files = %d, %d; want %d, %d", res.UnzippedSize, res.Files, unzipped, len(tree))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".pack-*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}

	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	epoch := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range zr.File {
		names = append(names, f.Name)
		e := tree[f.Name]
		wantMode := fs.FileMode(0o644)
		if e.mode&0o111 != 0 {
			wantMode = 0o755
		}
		if f.Mode() != wantMode {
			t.Errorf("%s: mode %v, want %v", f.Name, f.Mode(), wantMode)
		}
		if !f.Modified.Equal(epoch) || f.ModifiedDate != 0x21 || f.ModifiedTime != 0 {
			t.Errorf("%s: time %v (%#x %#x), want %v", f.Name, f.Modified, f.ModifiedDate, f.ModifiedTime, epoch)
		}
		if len(f.Extra) != 0 || f.Comment != "" {
			t.Errorf("%s: extra %x, comment %q; want none", f.Name, f.Extra, f.Comment)
		}
		if f.CreatorVersion != 3<<8|20 || f.ReaderVersion != 20 {
			t.Errorf("%s: versions %#x %d", f.Name, f.CreatorVersion, f.ReaderVersion)
		}
		if f.Flags&0x8 != 0 {
			t.Errorf("%s: has a data descriptor", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc) // checks the CRC too
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if string(got) != e.data {
			t.Errorf("%s: content differs (%d bytes, want %d)", f.Name, len(got), len(e.data))
		}
	}
	if diff := cmp.Diff(sortedNames(tree), names); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	for _, f := range zr.File {
		switch f.Name {
		case "empty.txt", "data/random.bin":
			if f.Method != zip.Store {
				t.Errorf("%s: method %d, want stored", f.Name, f.Method)
			}
		case "données/é.txt":
			if f.Flags&0x800 == 0 {
				t.Errorf("%s: UTF-8 flag not set", f.Name)
			}
		case "data/big.txt":
			if f.Method != zip.Deflate || f.CompressedSize64 >= f.UncompressedSize64/2 {
				t.Errorf("%s: method %d, %d of %d bytes", f.Name, f.Method, f.CompressedSize64, f.UncompressedSize64)
			}
		}
	}
	if zr.Comment != "" {
		t.Errorf("archive comment %q", zr.Comment)
	}
}

// TestExternalTools has the archive checked and extracted by other
// implementations than Go's.
func TestExternalTools(t *testing.T) {
	root := t.TempDir()
	tree := sampleTree()
	writeTree(t, root, tree, sortedNames(tree))
	res := pack(t, root, ".", Options{}, nil, nil)

	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 not found; it is part of the development machines")
	}
	if out, err := exec.Command(py, "-m", "zipfile", "-t", res.Path).CombinedOutput(); err != nil {
		t.Errorf("python3 -m zipfile -t: %v\n%s", err, out)
	}

	unzip, err := exec.LookPath("unzip")
	if err != nil {
		t.Log("unzip not installed: skipping its checks")
		return
	}
	if out, err := exec.Command(unzip, "-t", res.Path).CombinedOutput(); err != nil || !strings.Contains(string(out), "No errors detected") {
		t.Errorf("unzip -t: %v\n%s", err, out)
	}
	dst := t.TempDir()
	if out, err := exec.Command(unzip, "-q", res.Path, "-d", dst).CombinedOutput(); err != nil {
		t.Fatalf("unzip: %v\n%s", err, out)
	}
	for name, e := range tree {
		p := filepath.Join(dst, filepath.FromSlash(name))
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("unzip: %v", err)
			continue
		}
		if isExec := fi.Mode()&0o100 != 0; isExec != (e.mode&0o111 != 0) {
			t.Errorf("unzip: %s has mode %v", name, fi.Mode())
		}
		if got := readFile(t, p); string(got) != e.data {
			t.Errorf("unzip: %s: content differs", name)
		}
	}
}

func zipNames(t *testing.T, p string) []string {
	t.Helper()
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	return names
}

func TestIncludeExclude(t *testing.T) {
	tree := map[string]entry{
		"app.py":                       {data: "app"},
		"util.py":                      {data: "util"},
		"README.md":                    {data: "readme"},
		"requirements.txt":             {data: "boto3"},
		"pkg/mod.py":                   {data: "mod"},
		"pkg/mod.pyc":                  {data: "pyc"},
		"pkg/__pycache__/mod.cpython":  {data: "cache"},
		"tests/test_app.py":            {data: "test"},
		"tests/data/x.json":            {data: "{}"},
		"node_modules/left/index.js":   {data: "js"},
		"node_modules/left/README.md":  {data: "md"},
		".git/config":                  {data: "git"},
		"pkg/.git":                     {data: "gitdir: ../.git/modules/pkg"},
		"pkg/sub/.git/HEAD":            {data: "ref"},
		"pkg/sub/keep.py":              {data: "keep"},
		"pkg/.github/workflows/ci.yml": {data: "ci"},
	}
	root := t.TempDir()
	writeTree(t, root, tree, sortedNames(tree))
	all := []string{
		"README.md", "app.py", "node_modules/left/README.md", "node_modules/left/index.js",
		"pkg/.github/workflows/ci.yml", "pkg/__pycache__/mod.cpython", "pkg/mod.py", "pkg/mod.pyc", "pkg/sub/keep.py",
		"requirements.txt", "tests/data/x.json", "tests/test_app.py", "util.py",
	}

	cases := []struct {
		name     string
		inc, exc []string
		want     []string
	}{
		{name: "everything but .git", want: all},
		{name: "top-level glob", inc: []string{"*.py"}, want: []string{"app.py", "util.py"}},
		{name: "any depth", inc: []string{"**/*.py"}, want: []string{"app.py", "pkg/mod.py", "pkg/sub/keep.py", "tests/test_app.py", "util.py"}},
		{name: "folder covers its content", inc: []string{"pkg"}, want: []string{"pkg/.github/workflows/ci.yml", "pkg/__pycache__/mod.cpython", "pkg/mod.py", "pkg/mod.pyc", "pkg/sub/keep.py"}},
		{name: "include several", inc: []string{"app.py", "requirements.txt", "node_modules/**"}, want: []string{"app.py", "node_modules/left/README.md", "node_modules/left/index.js", "requirements.txt"}},
		{name: "exclude folders", exc: []string{"tests/", "node_modules", "**/__pycache__", "**/.github"}, want: []string{"README.md", "app.py", "pkg/mod.py", "pkg/mod.pyc", "pkg/sub/keep.py", "requirements.txt", "util.py"}},
		{name: "exclude by extension at any depth", exc: []string{"**/*.md", "**/*.pyc", "./tests/**"}, want: []string{"app.py", "node_modules/left/index.js", "pkg/.github/workflows/ci.yml", "pkg/__pycache__/mod.cpython", "pkg/mod.py", "pkg/sub/keep.py", "requirements.txt", "util.py"}},
		{name: "exclude wins over include", inc: []string{"**/*.py"}, exc: []string{"tests", "pkg/sub/**"}, want: []string{"app.py", "pkg/mod.py", "util.py"}},
		{name: "alternatives and classes", inc: []string{"{app,util}.py", "tests/data/?.json", "pkg/mod.py[c]"}, want: []string{"app.py", "pkg/mod.pyc", "tests/data/x.json", "util.py"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := pack(t, root, ".", Options{}, tc.inc, tc.exc)
			if diff := cmp.Diff(tc.want, zipNames(t, res.Path)); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPatternErrors(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]entry{"a.py": {data: "a"}}, []string{"a.py"})
	cases := []struct {
		inc, exc []string
		want     string
	}{
		{inc: []string{"[a-"}, want: `fn: package: include pattern "[a-" is malformed`},
		{exc: []string{"{a,b"}, want: `fn: package: exclude pattern "{a,b" is malformed`},
		{exc: []string{"/abs/*.py"}, want: `fn: package: exclude pattern "/abs/*.py" must be relative to the source folder`},
		{inc: []string{"../other/**"}, want: `fn: package: include pattern "../other/**" points outside the source folder`},
		{inc: []string{""}, want: `fn: package: include pattern "" is empty`},
	}
	for _, tc := range cases {
		_, err := Build(context.Background(), Spec{RepoRoot: root, Source: ".", Include: tc.inc, Exclude: tc.exc, Function: "fn"}, t.TempDir(), Options{})
		if err == nil || err.Error() != tc.want || !errors.Is(err, ErrPattern) {
			t.Errorf("include %q exclude %q: error %v, want %q (ErrPattern)", tc.inc, tc.exc, err, tc.want)
		}
	}
}

func TestSymlinks(t *testing.T) {
	root := t.TempDir()
	tree := map[string]entry{
		"shared/lib/util.py":      {data: "util"},
		"shared/lib/tool":         {data: "#!/bin/sh\n", mode: 0o755},
		"shared/config.json":      {data: "{}"},
		"functions/a/handler.py":  {data: "handler"},
		"functions/a/config.json": {link: "../../shared/config.json"},
		"functions/a/lib":         {link: "../../shared/lib"},
		"functions/a/abs.json":    {link: filepath.Join(root, "shared/config.json")},
		"functions/a/chain":       {link: "config.json"},
	}
	writeTree(t, root, tree, sortedNames(tree))

	res := pack(t, root, "functions/a", Options{}, nil, nil)
	want := []string{"abs.json", "chain", "config.json", "handler.py", "lib/tool", "lib/util.py"}
	if diff := cmp.Diff(want, zipNames(t, res.Path)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	zr, err := zip.OpenReader(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == "lib/tool" && f.Mode() != 0o755 {
			t.Errorf("lib/tool through a folder link: mode %v, want 0755", f.Mode())
		}
		if f.Name == "config.json" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			if string(b) != "{}" {
				t.Errorf("config.json: %q, want the target's content", b)
			}
		}
	}

	// The repository root itself reached through a symlink works too.
	linkedRoot := filepath.Join(t.TempDir(), "repo")
	if err := os.Symlink(root, linkedRoot); err != nil {
		t.Fatal(err)
	}
	if res2 := pack(t, linkedRoot, "functions/a", Options{}, nil, nil); res2.CodeSha256 != res.CodeSha256 {
		t.Errorf("through a linked root: %s, want %s", res2.CodeSha256, res.CodeSha256)
	}
}

func TestSymlinkErrors(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]entry{"secret": {data: "s"}, "dir/x": {data: "x"}}, []string{"secret", "dir/x"})

	cases := []struct {
		name     string
		link     string // target of functions/a/x
		inc, exc []string
		want     string // the whole message, or a prefix ending in "..."
	}{
		{name: "escapes to a file", link: "/etc/passwd", want: "fn: package: symlink functions/a/x -> /etc/passwd leaves the repository"},
		{name: "escapes relatively", link: "{rel}/secret",
			want: "fn: package: symlink functions/a/x -> {rel}/secret leaves the repository"},
		{name: "escapes through another link", link: "../out/secret",
			want: "fn: package: symlink functions/a/x -> ../out/secret leaves the repository (resolves to " + filepath.Join(outside, "secret") + ")"},
		{name: "escapes to a folder", link: filepath.Join(outside, "dir"), want: "fn: package: symlink functions/a/x -> " + filepath.Join(outside, "dir") + " leaves the repository"},
		{name: "folder escape even when not included", link: filepath.Join(outside, "dir"), inc: []string{"*.py"}, want: "fn: package: symlink functions/a/x -> " + filepath.Join(outside, "dir") + " leaves the repository"},
		{name: "broken", link: "missing.txt", want: "fn: package: symlink functions/a/x -> missing.txt is broken: ..."},
		{name: "self loop", link: "x", want: "fn: package: symlink functions/a/x -> x cannot be resolved: ..."},
		{name: "cycle to parent", link: "..", want: "fn: package: symlink functions/a/x -> .. makes a cycle: functions/a/x/a is functions/a again"},
		{name: "cycle to itself", link: ".", want: "fn: package: symlink functions/a/x -> . makes a cycle: functions/a/x is functions/a again"},
		{name: "cycle through the repository root", link: "../..", want: "fn: package: symlink functions/a/x -> ../.. makes a cycle: functions/a/x/functions/a is functions/a again"},
		{name: "excluded escape is ignored", link: "/etc/passwd", exc: []string{"x"}},
		{name: "escaping file not included is ignored", link: "/etc/passwd", inc: []string{"*.py"}},
		{name: "broken link not included is ignored", link: "missing", inc: []string{"*.py"}},
		{name: "excluded cycle is ignored", link: "..", exc: []string{"x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			// {rel} is the way from functions/a to outside, relatively.
			rel, err := filepath.Rel(filepath.Join(root, "functions/a"), outside)
			if err != nil {
				t.Fatal(err)
			}
			tc.link = strings.ReplaceAll(tc.link, "{rel}", rel)
			tc.want = strings.ReplaceAll(tc.want, "{rel}", rel)
			writeTree(t, root, map[string]entry{
				"functions/a/handler.py": {data: "h"},
				"functions/a/x":          {link: tc.link},
				"functions/out":          {link: outside}, // never walked
			}, []string{"functions/a/handler.py", "functions/a/x", "functions/out"})
			_, err = Build(context.Background(), Spec{RepoRoot: root, Source: "functions/a", Include: tc.inc, Exclude: tc.exc, Function: "fn"}, t.TempDir(), Options{})
			switch {
			case tc.want == "":
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
			case err == nil:
				t.Fatalf("no error, want %q", tc.want)
			case !errors.Is(err, ErrSymlink):
				t.Errorf("error %v is not ErrSymlink", err)
			case strings.HasSuffix(tc.want, "..."):
				if !strings.HasPrefix(err.Error(), strings.TrimSuffix(tc.want, "...")) {
					t.Errorf("error %q, want %q", err, tc.want)
				}
			case err.Error() != tc.want:
				t.Errorf("error %q\nwant     %q", err, tc.want)
			}
		})
	}
}

func TestSizeLimit(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]entry{"a.bin": {data: strings.Repeat("a", 3<<20)}, "b.txt": {data: "b"}}, []string{"a.bin", "b.txt"})
	dir := t.TempDir()
	_, err := Build(context.Background(), Spec{RepoRoot: root, Source: ".", Function: "orders-api"}, dir, Options{MaxUnzipped: 2 << 20})
	want := "orders-api: package: unzipped size 3.0 MB (3145729 bytes) exceeds the limit of 2.0 MB (2097152 bytes)"
	if err == nil || err.Error() != want || !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want %q (ErrTooLarge)", err, want)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("files left in the output folder: %v", left)
	}
	// Excluded files do not count.
	if _, err := Build(context.Background(), Spec{RepoRoot: root, Source: ".", Exclude: []string{"*.bin"}, Function: "orders-api"}, dir, Options{MaxUnzipped: 2 << 20}); err != nil {
		t.Fatal(err)
	}
}

func TestSpecErrors(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]entry{
		"functions/a/only.md":                    {data: "doc"},
		"functions/a/.git/x":                     {data: "git"},
		"functions/file":                         {data: "f"},
		"functions/empty/.gitkeep-dir/.git/HEAD": {data: "ref"},
	}, []string{"functions/a/only.md", "functions/a/.git/x", "functions/file", "functions/empty/.gitkeep-dir/.git/HEAD"})
	cases := []struct {
		spec Spec
		want string
		is   error
	}{
		{Spec{RepoRoot: root, Source: "functions/empty"}, "f: package: no files to pack in functions/empty", ErrNoFiles},
		{Spec{RepoRoot: root, Source: "functions/a", Include: []string{"*.py"}}, `f: package: no files to pack in functions/a after include ["*.py"] and exclude []`, ErrNoFiles},
		{Spec{RepoRoot: root, Source: "functions/a", Exclude: []string{"**"}}, `f: package: no files to pack in functions/a after include [] and exclude ["**"]`, ErrNoFiles},
		{Spec{RepoRoot: root, Source: "functions/missing"}, "f: package: source folder functions/missing: ...", fs.ErrNotExist},
		{Spec{RepoRoot: root, Source: "functions/file"}, "f: package: source functions/file is not a folder", nil},
		{Spec{RepoRoot: root, Source: "../x"}, `f: package: source "../x" must be a folder inside the repository, relative to its root`, nil},
		{Spec{RepoRoot: "relative", Source: "x"}, `f: package: repository root "relative" is not an absolute path`, nil},
	}
	for _, tc := range cases {
		tc.spec.Function = "f"
		_, err := Build(context.Background(), tc.spec, t.TempDir(), Options{})
		if err == nil {
			t.Errorf("%+v: no error", tc.spec)
			continue
		}
		if p, ok := strings.CutSuffix(tc.want, "..."); ok && !strings.HasPrefix(err.Error(), p) || !ok && err.Error() != tc.want {
			t.Errorf("error %q\nwant     %q", err, tc.want)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("error %v is not %v", err, tc.is)
		}
	}

	// Without a function name the prefix is just "package: ".
	_, err := Build(context.Background(), Spec{RepoRoot: root, Source: "functions/empty"}, t.TempDir(), Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "package: no files") {
		t.Errorf("error %v", err)
	}
}

func TestCancelled(t *testing.T) {
	root := t.TempDir()
	tree := sampleTree()
	writeTree(t, root, tree, sortedNames(tree))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	_, err := Build(ctx, Spec{RepoRoot: root, Source: ".", Function: "fn"}, dir, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("files left in the output folder: %v", left)
	}
}

// TestChangedWhilePacking: a file whose size differs from what the walk
// saw is an error, not a corrupt entry.
func TestChangedWhilePacking(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ real, seen int }{{10, 11}, {10, 9}, {3*pieceSize + 5, 3*pieceSize + 4}, {2 * pieceSize, 2*pieceSize + 1}} {
		p := filepath.Join(dir, fmt.Sprint("f", tc.real, "-", tc.seen))
		if err := os.WriteFile(p, []byte(textBytes(1, tc.real)), 0o644); err != nil {
			t.Fatal(err)
		}
		files := []file{{name: "f", path: p, display: "src/f", size: int64(tc.seen)}}
		_, err := writeZip(context.Background(), io.Discard, files, dir, 2)
		if err == nil || !strings.Contains(err.Error(), "src/f changed while it was being packed") {
			t.Errorf("real %d, seen %d: error %v", tc.real, tc.seen, err)
		}
	}
}

// TestPiecesAreIndependent checks what the determinism rests on: a reused
// flate writer gives the same bytes as a fresh one, and pieces concatenate
// into a stream that inflates to the input.
func TestPiecesAreIndependent(t *testing.T) {
	inputs := []string{"", "a", textBytes(7, 100_000), randomBytes(8, 70_000), textBytes(9, 3000) + randomBytes(10, 3000)}
	reused, err := flate.NewWriter(nil, Level)
	if err != nil {
		t.Fatal(err)
	}
	compress := func(fw *flate.Writer, dict, data string, last bool) []byte {
		var b bytes.Buffer
		fw.ResetDict(&b, []byte(dict))
		fw.Write([]byte(data))
		if last {
			fw.Close()
		} else {
			fw.Flush()
		}
		return b.Bytes()
	}
	for round := range 3 {
		for i, in := range inputs {
			dict := inputs[(i+round)%len(inputs)]
			for _, last := range []bool{true, false} {
				fresh, _ := flate.NewWriter(nil, Level)
				want := compress(fresh, dict, in, last)
				if got := compress(reused, dict, in, last); !bytes.Equal(got, want) {
					t.Fatalf("round %d input %d last %v: reused writer differs from a fresh one", round, i, last)
				}
			}
		}
	}

	// Split a stream in pieces as writeZip does, and inflate it.
	data := textBytes(11, 200_000) + randomBytes(12, 50_000) + textBytes(13, 60_000)
	const size = 64 << 10
	var stream []byte
	for off := 0; off < len(data); off += size {
		end := min(off+size, len(data))
		stream = append(stream, compress(reused, data[max(0, off-dictSize):off], data[off:end], end == len(data))...)
	}
	got, err := io.ReadAll(flate.NewReader(bytes.NewReader(stream)))
	if err != nil || string(got) != data {
		t.Fatalf("inflating the pieces: %v (%d bytes, want %d)", err, len(got), len(data))
	}
}

// TestOutputInsideSource: an output folder inside the source is not
// packed, so earlier archives never end up in the next one.
func TestOutputInsideSource(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]entry{"functions/a/app.py": {data: "app"}}, []string{"functions/a/app.py"})
	spec := Spec{RepoRoot: root, Source: "functions/a", Function: "fn"}
	out := filepath.Join(root, "functions/a/.build")
	var sums []string
	for range 2 {
		res, err := Build(context.Background(), spec, out, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if names := zipNames(t, res.Path); !slices.Equal(names, []string{"app.py"}) {
			t.Errorf("entries %q, want [app.py]", names)
		}
		sums = append(sums, res.CodeSha256)
	}
	if sums[0] != sums[1] {
		t.Errorf("second build differs: %v", sums)
	}
	_, err := Build(context.Background(), spec, filepath.Join(root, "functions/a"), Options{})
	if want := "fn: package: the output folder must not be the source folder functions/a"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

// BenchmarkBuild packs a 20 MB tree (2,000 small files and a few large
// ones); bench/pack/run.sh measures the full 200 MB case against zip.
func BenchmarkBuild(b *testing.B) {
	root := b.TempDir()
	for i := range 2000 {
		p := filepath.Join(root, fmt.Sprintf("pkg%02d/file%04d.js", i%40, i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(textBytes(uint64(i), 500+i*3)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for i, data := range []string{textBytes(1, 8<<20), randomBytes(2, 4<<20), randomBytes(3, 300_000)} {
		if err := os.WriteFile(filepath.Join(root, fmt.Sprint("big", i)), []byte(data), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprint("workers=", workers), func(b *testing.B) {
			out := b.TempDir()
			var res *Result
			for b.Loop() {
				var err error
				res, err = Build(context.Background(), Spec{RepoRoot: root, Source: "."}, out, Options{Workers: workers})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(res.UnzippedSize)
		})
	}
}
