// Package pack turns a function's source folder into a deterministic zip
// archive, ready to upload to AWS Lambda.
//
// The same files give the same bytes, whatever the machine, the checkout
// time, the umask, the order files were created in or the number of workers.
// That lets the release tool compare the archive's CodeSha256 with what a
// live function already runs before uploading anything. The zip is built as
// follows:
//
//   - Entries are the regular files under Source (symlinks followed while
//     they stay inside the repository), named by their slash path relative
//     to Source and sorted by the bytes of that path. There are no directory
//     entries: extractors, Lambda's included, create parent folders on
//     their own, and leaving them out means empty folders are dropped.
//   - Every entry has the zip epoch as its time (1980-01-01 00:00:00 in the
//     MS-DOS fields, no extended timestamp), mode 0644, or 0755 when the
//     file has any executable bit (Lambda needs it for bootstrap files),
//     "made by Unix, version 2.0", "needs version 2.0", no extra fields and
//     no comments. Names that are valid, non-ASCII UTF-8 get the UTF-8 flag.
//   - Files are compressed with deflate at level 6 (Level) by
//     github.com/klauspost/compress/flate, in 1 MiB pieces: each piece is
//     compressed on its own, primed with the 32 KiB before it, and ends on a
//     byte boundary, so the pieces concatenate into one valid deflate stream
//     and the bytes depend on the content alone. A file is stored instead
//     when deflate would not make it smaller (empty files, for instance).
//     The output is tied to the version of the compressor in go.mod:
//     upgrading it may change the bytes, and so the CodeSha256, once.
//   - Folders and files named .git, at any depth, are never packed, nor is
//     the output folder when it lies inside Source.
//   - A symlink is packed as what it points to (a file's content and mode,
//     a folder's files) when its fully resolved target is inside RepoRoot;
//     one that leaves the repository, is broken or makes a cycle is an
//     error (ErrSymlink), unless Include/Exclude leave it out. A folder
//     link is checked even when no include matches it, since only walking
//     it tells what it holds.
//
// Compression runs on a pool of workers; a single writer then adds the
// pieces to the zip in order with archive/zip's CreateRaw. Memory stays
// bounded: a few pieces per worker are in flight, and the compressed data of
// a file larger than one piece is spooled (to a temporary file in the output
// folder once it passes 4 MiB) until its CRC and sizes are known.
package pack

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Level is the deflate level every archive is compressed with. It is fixed
// so that the archive is a function of the files alone.
const Level = 6

// DefaultMaxUnzipped is Lambda's limit on the unzipped size of a function
// and its layers together: 250 MB (262,144,000 bytes).
const DefaultMaxUnzipped int64 = 262144000

// Errors that Build wraps, for callers that need to tell them apart with
// errors.Is. The messages carry the details.
var (
	// ErrTooLarge: the files add up to more than Options.MaxUnzipped.
	ErrTooLarge = errors.New("unzipped size over the limit")
	// ErrNoFiles: nothing is left to pack after include and exclude.
	ErrNoFiles = errors.New("no files to pack")
	// ErrSymlink: a symlink leaves the repository, is broken or makes a cycle.
	ErrSymlink = errors.New("bad symlink")
	// ErrPattern: an include or exclude pattern is malformed.
	ErrPattern = errors.New("bad pattern")
	// ErrName: an archive name is not one to put in a zip (absolute,
	// "..", a backslash, a duplicate).
	ErrName = errors.New("bad archive name")
	// ErrChanged: a file is not what the list says (size, mtime, kind).
	ErrChanged = errors.New("file changed since it was listed")
	// ErrLFSPointer: a file is a git LFS pointer, not its content.
	ErrLFSPointer = errors.New("git LFS pointer")
)

// File is one entry of an archive that Write packs.
type File struct {
	Name string // path inside the archive, slash-separated, relative
	Path string // absolute OS path of the file to read
	// Display names the file in messages (a repository path); Name when empty.
	Display string
	Exec    bool  // packed as 0755, else 0644
	Size    int64 // the size it must have
	// ModTime, when not 0, is the mtime (Unix ns) the file must still have:
	// a file that changed since it was listed is an error, never a zip of
	// something else than what was planned.
	ModTime int64
}

// Spec says what to pack.
type Spec struct {
	// RepoRoot is the absolute path of the repository. Symlinks are
	// followed only while their targets stay inside it.
	RepoRoot string
	// Source is the folder to pack, relative to RepoRoot, slash-separated.
	// Archive names are relative to it.
	Source string
	// Include holds doublestar globs relative to Source; empty means every
	// file. Exclude holds globs for files to leave out. A pattern matches
	// the whole slash path relative to Source ("*.pyc" matches only at the
	// top, "**/*.pyc" at any depth), and a pattern that matches a folder
	// covers everything beneath it ("tests" or "tests/" excludes the folder
	// tests). A trailing "/" and a leading "./" are ignored. A file is
	// packed when it is included and not excluded.
	Include []string
	Exclude []string
	// Function names the function in errors ("orders-api: package: ...").
	Function string
}

// Options tune Build. The zero value is ready to use.
type Options struct {
	// Workers is the number of files (or 1 MiB pieces) compressed at once;
	// 0 means runtime.GOMAXPROCS(0). It never changes the output.
	Workers int
	// MaxUnzipped is the largest total of uncompressed file sizes allowed;
	// 0 means DefaultMaxUnzipped. Pass less when the function's layers take
	// part of Lambda's limit.
	MaxUnzipped int64
}

// Result describes a written archive.
type Result struct {
	Path         string // the zip file: <dir>/<hex sha256>.zip
	Size         int64  // zipped bytes
	UnzippedSize int64  // sum of uncompressed file sizes
	SHA256       []byte // raw sha256 of the zip bytes
	CodeSha256   string // base64 (standard) of SHA256: what Lambda reports
	Files        int    // number of entries
}

// Build packs spec into a zip file in dir (created when missing) and
// returns its Result. The file is named after the hex SHA-256 of its bytes,
// so the same content always lands at the same path; it is written under a
// temporary name and renamed, so a reader never sees half an archive.
// Errors name the function: "<function>: package: ...".
func Build(ctx context.Context, spec Spec, dir string, opt Options) (*Result, error) {
	res, err := build(ctx, spec, dir, opt)
	if err != nil {
		if spec.Function == "" {
			return nil, fmt.Errorf("package: %w", err)
		}
		return nil, fmt.Errorf("%s: package: %w", spec.Function, err)
	}
	return res, nil
}

func build(ctx context.Context, spec Spec, dir string, opt Options) (*Result, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// The walk leaves out the output folder, should it be inside the
	// source: last build's zip must not end up in this one.
	outReal, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	// Everything that can fail cheaply (patterns, symlinks, size, empty
	// source) fails here, before a byte is compressed.
	files, _, err := collect(ctx, spec, outReal)
	if err != nil {
		return nil, err
	}
	return write(ctx, files, dir, opt)
}

// Collect walks spec's folder as Build does and returns the files it would
// pack, for callers that add files of their own before Write.
func Collect(ctx context.Context, spec Spec) ([]File, error) {
	files, _, err := collect(ctx, spec, "")
	if err != nil {
		if spec.Function == "" {
			return nil, fmt.Errorf("package: %w", err)
		}
		return nil, fmt.Errorf("%s: package: %w", spec.Function, err)
	}
	out := make([]File, len(files))
	for i, f := range files {
		out[i] = File{Name: f.name, Path: f.path, Display: f.display, Exec: f.exec, Size: f.size}
	}
	return out, nil
}

// Write packs exactly files into a zip in dir (created when missing), named
// after its SHA-256 like Build's. Names are checked (relative, no "..", no
// backslash, no duplicates) and every file must still have the size (and
// mtime, when given) listed: what is zipped is what was listed. function
// names the function in errors ("<function>: package: ...").
func Write(ctx context.Context, function string, files []File, dir string, opt Options) (*Result, error) {
	fs := make([]file, len(files))
	for i, f := range files {
		d := f.Display
		if d == "" {
			d = f.Name
		}
		fs[i] = file{name: f.Name, path: f.Path, display: d, size: f.Size, exec: f.Exec, modTime: f.ModTime}
	}
	res, err := func() (*Result, error) {
		if err := checkFiles(fs); err != nil {
			return nil, err
		}
		return write(ctx, fs, dir, opt)
	}()
	if err != nil {
		if function == "" {
			return nil, fmt.Errorf("package: %w", err)
		}
		return nil, fmt.Errorf("%s: package: %w", function, err)
	}
	return res, nil
}

// checkFiles validates a given list: names, order, and each file's stat
// against what the list says. It sorts files by name.
func checkFiles(files []file) error {
	slices.SortFunc(files, func(a, b file) int { return strings.Compare(a.name, b.name) })
	for i, f := range files {
		if why := badName(f.name); why != "" {
			return kindErr(ErrName, "%s: archive name %q %s", f.display, f.name, why)
		}
		if i > 0 && files[i-1].name == f.name {
			return kindErr(ErrName, "%s and %s both land on %s in the archive", files[i-1].display, f.display, f.name)
		}
		fi, err := os.Lstat(f.path)
		if err != nil {
			return kindErr(ErrChanged, "%s: %v (it was there when the plan was made: plan again)", f.display, err)
		}
		switch {
		case !fi.Mode().IsRegular():
			return kindErr(ErrChanged, "%s is not a regular file now (%s); lambdas never opens pipes, sockets or devices", f.display, fi.Mode().Type())
		case fi.Size() != f.size:
			return kindErr(ErrChanged, "%s changed since the plan (%d bytes, planned %d): make the plan again", f.display, fi.Size(), f.size)
		case f.modTime != 0 && fi.ModTime().UnixNano() != f.modTime:
			return kindErr(ErrChanged, "%s changed since the plan (modified %s): make the plan again", f.display, fi.ModTime().UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// badName says what is wrong with an archive name, "" when nothing: some
// extractors write "..", absolute and backslash paths where they say
// (zip slip).
func badName(name string) string {
	switch {
	case name == "":
		return "is empty"
	case strings.Contains(name, `\`):
		return "contains a backslash, which some unzip tools take for a folder separator (a zip-slip risk); rename the file"
	case strings.HasPrefix(name, "/"):
		return "is absolute"
	case strings.ContainsRune(name, 0):
		return "contains a NUL byte"
	}
	for _, part := range strings.Split(name, "/") {
		switch part {
		case "", ".", "..":
			return "has an empty, \".\" or \"..\" part"
		}
	}
	return ""
}

func write(ctx context.Context, files []file, dir string, opt Options) (_ *Result, err error) {
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.MaxUnzipped <= 0 {
		opt.MaxUnzipped = DefaultMaxUnzipped
	}
	if len(files) == 0 {
		return nil, kindErr(ErrNoFiles, "no files to pack")
	}
	var total int64
	for _, f := range files {
		total += f.size
	}
	if total > opt.MaxUnzipped {
		return nil, kindErr(ErrTooLarge, "unzipped size %s (%d bytes) exceeds the limit of %s (%d bytes)",
			mb(total), total, mb(opt.MaxUnzipped), opt.MaxUnzipped)
	}
	if total >= 1<<32-1 {
		// archive/zip's CreateRaw writes no zip64 local headers; far
		// beyond Lambda's limits anyway.
		return nil, kindErr(ErrTooLarge, "unzipped size %s: archives of 4 GiB or more are not supported", mb(total))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, ".pack-*.zip.tmp")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	h := sha256.New()
	size, err := writeZip(ctx, io.MultiWriter(tmp, h), files, dir, opt.Workers)
	if err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	sum := h.Sum(nil)
	path := filepath.Join(dir, hex.EncodeToString(sum)+".zip")
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, err
	}
	return &Result{
		Path:         path,
		Size:         size,
		UnzippedSize: total,
		SHA256:       sum,
		CodeSha256:   base64.StdEncoding.EncodeToString(sum),
		Files:        len(files),
	}, nil
}

// mb formats n bytes in the MB Lambda's documentation means (MiB: its
// 250 MB limit is 262,144,000 bytes).
func mb(n int64) string {
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// kindError carries a message and one of the package's sentinel errors, so
// that errors.Is finds the sentinel without it cluttering the message.
type kindError struct {
	err  error
	kind error
}

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.err, e.kind} }

func kindErr(kind error, format string, args ...any) error {
	return &kindError{err: fmt.Errorf(format, args...), kind: kind}
}
