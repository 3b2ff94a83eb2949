package pack

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWriteZipsExactlyTheList: Write packs the files it is given, under the
// names it is given, whatever else the folder holds.
func TestWriteZipsExactlyTheList(t *testing.T) {
	dir := t.TempDir()
	a := writeTemp(t, dir, "a.py", "print('a')\n")
	b := writeTemp(t, dir, "lib/b.py", "print('b')\n")
	writeTemp(t, dir, "secret.env", "TOKEN=x\n") // not listed: never packed
	files := []File{
		{Name: "shared/b.py", Path: b, Size: 11},
		{Name: "app.py", Path: a, Size: 11, Exec: true},
	}
	res, err := Write(context.Background(), "fn", files, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := zipEntries(t, res.Path)
	want := []string{"app.py 755", "shared/b.py 644"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("entries = %q, want %q", got, want)
	}
	// The same list gives the same bytes.
	again, err := Write(context.Background(), "fn", files, t.TempDir(), Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if again.CodeSha256 != res.CodeSha256 {
		t.Errorf("second Write: CodeSha256 %s, first %s", again.CodeSha256, res.CodeSha256)
	}
}

func TestWriteRefuses(t *testing.T) {
	dir := t.TempDir()
	a := writeTemp(t, dir, "a.py", "print('a')\n")
	fi, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	lfs := writeTemp(t, dir, "model.bin", "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n")
	lfsSize := int64(len("version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n"))
	tests := []struct {
		name  string
		files []File
		kind  error
		want  string
	}{
		{"backslash", []File{{Name: `..\evil.py`, Path: a, Size: 11}}, ErrName, "contains a backslash"},
		{"dot dot", []File{{Name: "../evil.py", Path: a, Size: 11}}, ErrName, `has an empty, "." or ".." part`},
		{"absolute", []File{{Name: "/etc/evil", Path: a, Size: 11}}, ErrName, "is absolute"},
		{"empty part", []File{{Name: "a//b", Path: a, Size: 11}}, ErrName, "empty"},
		{"duplicate", []File{{Name: "x.py", Path: a, Size: 11, Display: "src/a.py"}, {Name: "x.py", Path: a, Size: 11, Display: "lib/a.py"}}, ErrName, "src/a.py and lib/a.py both land on x.py"},
		{"size changed", []File{{Name: "a.py", Path: a, Size: 12, Display: "fn/a.py"}}, ErrChanged, "fn/a.py changed since the plan (11 bytes, planned 12)"},
		{"mtime changed", []File{{Name: "a.py", Path: a, Size: 11, ModTime: fi.ModTime().Add(-time.Hour).UnixNano()}}, ErrChanged, "changed since the plan (modified"},
		{"gone", []File{{Name: "gone.py", Path: filepath.Join(dir, "gone.py"), Size: 1}}, ErrChanged, "plan again"},
		{"named pipe", []File{{Name: "pipe", Path: fifo, Size: 0}}, ErrChanged, "is not a regular file now"},
		{"LFS pointer", []File{{Name: "model.bin", Path: lfs, Size: lfsSize}}, ErrLFSPointer, "git lfs pull"},
		{"nothing", nil, ErrNoFiles, "no files to pack"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			_, err := Write(context.Background(), "fn", tt.files, out, Options{})
			if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "fn: package: ") {
				t.Errorf("Write: %v, want %v containing %q", err, tt.kind, tt.want)
			}
			if ents, _ := os.ReadDir(out); len(ents) != 0 {
				t.Errorf("a failed Write left %d files behind", len(ents))
			}
		})
	}
}

func writeTemp(t *testing.T, dir, rel, content string) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// zipEntries lists "name mode" for each entry of the zip at path.
func zipEntries(t *testing.T, path string) []string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out []string
	for _, f := range zr.File {
		out = append(out, fmt.Sprintf("%s %o", f.Name, f.Mode().Perm()))
	}
	return out
}
