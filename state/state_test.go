package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func newLocal(t *testing.T) *LocalFile {
	t.Helper()
	return &LocalFile{Path: filepath.Join(t.TempDir(), ".lambdas", "state.json"), Display: ".lambdas/state.json"}
}

func mustLoad(t *testing.T, b Store) *Manager {
	t.Helper()
	m, err := Load(context.Background(), b)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return m
}

// readDoc decodes what the backend holds now, bypassing any Manager.
func readDoc(t *testing.T, b Store) *Document {
	t.Helper()
	data, _, err := b.Read(context.Background())
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	d, err := Decode(data, b.String())
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return d
}

func addFunction(label string) func(*Document) error {
	return func(d *Document) error {
		d.Functions[label] = &Function{FunctionName: label, Commit: "c-" + label, Version: "1", Alias: "live"}
		return nil
	}
}

func TestLoadMissingFileIsEmpty(t *testing.T) {
	b := newLocal(t)
	m := mustLoad(t, b)
	got := m.Snapshot()
	want := &Document{FormatVersion: FormatVersion, Lineage: "", Serial: 0, Functions: map[string]*Function{}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("empty state (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(b.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load created %s (err %v); reading must not write", b.Path, err)
	}
	if m.Location() != ".lambdas/state.json" {
		t.Errorf("Location() = %q, want the Display name", m.Location())
	}
}

func TestUpdateAssignsLineageAndBumpsSerial(t *testing.T) {
	ctx := context.Background()
	b := newLocal(t)
	m := mustLoad(t, b)

	if err := m.Update(ctx, addFunction("api")); err != nil {
		t.Fatalf("first Update: %v", err)
	}
	first := m.Snapshot()
	if first.Serial != 1 {
		t.Errorf("serial after first Update = %d, want 1", first.Serial)
	}
	if len(first.Lineage) != 32 {
		t.Errorf("lineage after first Update = %q, want 32 hex characters", first.Lineage)
	}

	for i, label := range []string{"worker", "cron", "webhook"} {
		if err := m.Update(ctx, addFunction(label)); err != nil {
			t.Fatalf("Update %s: %v", label, err)
		}
		got := m.Snapshot()
		if want := int64(i + 2); got.Serial != want {
			t.Errorf("serial after Update %s = %d, want %d", label, got.Serial, want)
		}
		if got.Lineage != first.Lineage {
			t.Errorf("lineage changed from %q to %q; it is given once", first.Lineage, got.Lineage)
		}
	}

	// What is on disk is what the manager holds, and a new manager reads it back.
	onDisk := readDoc(t, b)
	if diff := cmp.Diff(m.Snapshot(), onDisk); diff != "" {
		t.Errorf("file differs from memory (-memory +file):\n%s", diff)
	}
	again := mustLoad(t, b).Snapshot()
	if diff := cmp.Diff(onDisk, again); diff != "" {
		t.Errorf("reloaded state differs (-file +reloaded):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"api", "cron", "webhook", "worker"}, again.Labels()); diff != "" {
		t.Errorf("Labels (-want +got):\n%s", diff)
	}
}

func TestLineageOfALoadedStateIsKept(t *testing.T) {
	ctx := context.Background()
	b := newLocal(t)
	doc := NewDocument()
	doc.Lineage, doc.Serial = "feedface", 41
	data, err := doc.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, data); err != nil {
		t.Fatal(err)
	}
	m := mustLoad(t, b)
	if err := m.Update(ctx, addFunction("api")); err != nil {
		t.Fatal(err)
	}
	got := readDoc(t, b)
	if got.Lineage != "feedface" || got.Serial != 42 {
		t.Errorf("after Update: lineage %q serial %d, want feedface 42", got.Lineage, got.Serial)
	}
}

func TestFailingChangeLeavesDocumentUnchanged(t *testing.T) {
	ctx := context.Background()
	b := newLocal(t)
	m := mustLoad(t, b)
	if err := m.Update(ctx, addFunction("api")); err != nil {
		t.Fatal(err)
	}
	before := m.Snapshot()
	fileBefore, err := os.ReadFile(b.Path)
	if err != nil {
		t.Fatal(err)
	}

	boom := errors.New("boom")
	err = m.Update(ctx, func(d *Document) error {
		// Scribble over the document before failing: none of it may stick.
		d.Functions["api"].Version = "99"
		d.Functions["worker"] = &Function{FunctionName: "worker"}
		d.Lineage = "other"
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v, want the change func's error", err)
	}
	if diff := cmp.Diff(before, m.Snapshot()); diff != "" {
		t.Errorf("document changed by a failed Update (-before +after):\n%s", diff)
	}
	fileAfter, err := os.ReadFile(b.Path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(fileBefore), string(fileAfter)); diff != "" {
		t.Errorf("file changed by a failed Update (-before +after):\n%s", diff)
	}
}

// failingPut is a backend whose writes fail.
type failingPut struct{ LocalFile }

func (f *failingPut) WriteIf(context.Context, []byte, string) (string, error) {
	return "", errors.New("disk full")
}

func TestFailingWriteLeavesDocumentUnchanged(t *testing.T) {
	ctx := context.Background()
	b := &failingPut{LocalFile{Path: filepath.Join(t.TempDir(), "state.json")}}
	m := mustLoad(t, b)
	err := m.Update(ctx, addFunction("api"))
	if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "write state") {
		t.Fatalf("Update error = %v, want a write error naming the cause", err)
	}
	got := m.Snapshot()
	if got.Serial != 0 || got.Lineage != "" || len(got.Functions) != 0 {
		t.Errorf("after a failed write: serial %d lineage %q functions %v; want the empty state", got.Serial, got.Lineage, got.Functions)
	}
}

func TestSnapshotIsACopy(t *testing.T) {
	ctx := context.Background()
	m := mustLoad(t, newLocal(t))
	if err := m.Update(ctx, func(d *Document) error {
		d.Functions["api"] = &Function{FunctionName: "api", InFlight: &Release{Done: map[string]string{"upload": "t"}}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s := m.Snapshot()
	s.Functions["api"].FunctionName = "changed"
	s.Functions["api"].InFlight.Done["package"] = "t"
	delete(s.Functions, "api")
	got := m.Snapshot()
	if got.Functions["api"] == nil || got.Functions["api"].FunctionName != "api" || len(got.Functions["api"].InFlight.Done) != 1 {
		t.Errorf("changing a snapshot changed the manager's document: %+v", got.Functions["api"])
	}
}

func TestConcurrentUpdates(t *testing.T) {
	ctx := context.Background()
	b := newLocal(t)
	m := mustLoad(t, b)
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = m.Update(ctx, addFunction(fmt.Sprintf("fn-%02d", i)))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("Update: %v", err)
	}
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("fn-%02d", i))
	}
	for _, doc := range []*Document{m.Snapshot(), readDoc(t, b)} {
		if doc.Serial != n {
			t.Errorf("serial = %d, want %d", doc.Serial, n)
		}
		if diff := cmp.Diff(want, doc.Labels()); diff != "" {
			t.Errorf("functions (-want +got):\n%s", diff)
		}
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		wantErr []string // substrings of the error; nil means no error
	}{
		{name: "valid", data: `{"format_version":1,"lineage":"abc","serial":3,"functions":{"api":{"function_name":"api"}}}`},
		{name: "no functions key", data: `{"format_version":1,"lineage":"abc","serial":3}`},
		{name: "older format", data: `{"format_version":0,"lineage":"abc","serial":3}`},
		{name: "not JSON", data: `{"format_version":1,`, wantErr: []string{"state s3://bucket/state.json is not valid JSON", "remove it to start over"}},
		{name: "not an object", data: `[1,2]`, wantErr: []string{"s3://bucket/state.json is not valid JSON"}},
		{name: "wrong type", data: `{"format_version":"1","lineage":"abc"}`, wantErr: []string{"s3://bucket/state.json is not valid JSON"}},
		{name: "newer format", data: `{"format_version":2,"lineage":"abc","serial":3}`, wantErr: []string{"state s3://bucket/state.json has format_version 2", "upgrade lambdas"}},
		{name: "no lineage", data: `{"format_version":1,"serial":3}`, wantErr: []string{"state s3://bucket/state.json has no lineage"}},
		{name: "empty lineage", data: `{"format_version":1,"lineage":"","serial":3}`, wantErr: []string{"s3://bucket/state.json has no lineage"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Decode([]byte(tt.data), "s3://bucket/state.json")
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if d.Functions == nil {
					t.Errorf("Functions is nil; want an empty map")
				}
				return
			}
			if err == nil {
				t.Fatalf("Decode accepted %s", tt.data)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestLoadRejectsBadFileNamingIt(t *testing.T) {
	b := newLocal(t)
	if err := os.MkdirAll(filepath.Dir(b.Path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b.Path, []byte("not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(context.Background(), b)
	if err == nil || !strings.Contains(err.Error(), "state .lambdas/state.json is not valid JSON") {
		t.Fatalf("Load error = %v, want one naming .lambdas/state.json", err)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	released := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	d := &Document{FormatVersion: FormatVersion, Lineage: "abc", Serial: 7, Functions: map[string]*Function{
		"api": {FunctionName: "orders-api", Commit: "c1", Dirty: true, CodeFingerprint: "cf", DepsFingerprint: "df", CodeSha256: "sha", Artifact: "s3://b/k", Version: "3", Alias: "live", ReleasedAt: released,
			InFlight: &Release{Commit: "c2", CodeFingerprint: "cf2", Done: map[string]string{"upload": "2026-01-02T03:04:05Z"}, StartedAt: released}},
	}}
	data, err := d.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(data) || !strings.HasSuffix(string(data), "}\n") {
		t.Errorf("Encode gave %q, want indented JSON ending in a newline", data)
	}
	got, err := Decode(data, "x")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(d, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(d, d.Clone()); diff != "" {
		t.Errorf("Clone (-want +got):\n%s", diff)
	}
}

func TestLockedErrorMessage(t *testing.T) {
	created := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	e := &LockedError{Location: ".lambdas/state.json", Holder: LockInfo{ID: "x1", Operation: "apply", Who: "ana@ci", Created: created}}
	want := "state .lambdas/state.json is locked by ana@ci (apply, since 2026-03-04T05:06:07Z, lock id x1); wait for that run to finish"
	if diff := cmp.Diff(want, e.Error()); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
	e = &LockedError{Location: "s"}
	if got := e.Error(); !strings.Contains(got, "locked by unknown (unknown,") || !strings.Contains(got, "lock id unknown") {
		t.Errorf("message for an unknown holder = %q", got)
	}
}
