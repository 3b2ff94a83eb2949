package testenv

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"sort"
	"testing"
	"time"
)

// MakeZip returns a zip of the given files (path → content), byte-identical
// for the same input: sorted names, fixed timestamps.
func MakeZip(t testing.TB, files map[string]string) []byte {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{
			Name:     n,
			Method:   zip.Deflate,
			Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC),
		})
		if err != nil {
			t.Fatalf("testenv: zip %s: %v", n, err)
		}
		if _, err := w.Write([]byte(files[n])); err != nil {
			t.Fatalf("testenv: zip %s: %v", n, err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatalf("testenv: zip: %v", err)
	}
	return buf.Bytes()
}

// CodeSha256 is Lambda's CodeSha256 of a deployment package:
// base64(SHA-256(zip bytes)).
func CodeSha256(zipBytes []byte) string {
	sum := sha256.Sum256(zipBytes)
	return base64.StdEncoding.EncodeToString(sum[:])
}
