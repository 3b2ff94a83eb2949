package state

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// lockHolderEnv switches the test binary into a helper process that takes
// the lock on the file it names, says "locked" and waits to be killed.
const lockHolderEnv = "LAMBDAS_STATE_TEST_LOCK_HOLDER"

// fnLockHolderEnv does the same with the per-function lock of "orders".
const fnLockHolderEnv = "LAMBDAS_STATE_TEST_FUNCTION_LOCK_HOLDER"

func TestMain(m *testing.M) {
	if path := os.Getenv(lockHolderEnv); path != "" {
		os.Exit(holdLock(path))
	}
	if path := os.Getenv(fnLockHolderEnv); path != "" {
		os.Exit(holdFunctionLock(path))
	}
	os.Exit(m.Run())
}

func holdLock(path string) int {
	l := &LocalFile{Path: path}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := l.Lock(ctx, LockInfo{ID: "child-lock", Operation: "apply", Who: fmt.Sprintf("child-%d", os.Getpid()), Created: time.Now()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "lock:", err)
		return 1
	}
	fmt.Println("locked")
	// Wait for SIGKILL; if the test dies first its end of stdin closes and we
	// leave, never unlocking ourselves.
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

func holdFunctionLock(path string) int {
	l := &LocalFile{Path: path}
	_, err := l.LockFunctions(context.Background(), []string{"orders"}, LockInfo{ID: "child-lock", Operation: "apply", Who: fmt.Sprintf("child-%d", os.Getpid()), Host: "here", Created: time.Now()}, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lock:", err)
		return 1
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

func TestLocalGetMissing(t *testing.T) {
	l := newLocal(t)
	if _, err := l.Get(context.Background()); !errors.Is(err, ErrNotExist) {
		t.Fatalf("Get of a missing file: %v, want ErrNotExist", err)
	}
	if err := l.Delete(context.Background()); err != nil {
		t.Errorf("Delete of a missing file: %v", err)
	}
}

func TestLocalPutIsAtomic(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t) // its folder does not exist yet
	dir := filepath.Dir(l.Path)
	long := []byte(`{"format_version":1,"lineage":"abc","serial":1,"functions":{"a-rather-long-label":{}}}` + "\n")
	short := []byte(`{"format_version":1,"lineage":"abc","serial":2}` + "\n")
	for _, data := range [][]byte{long, short} {
		if err := l.Put(ctx, data); err != nil {
			t.Fatalf("Put: %v", err)
		}
		got, err := l.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("Get after Put = %q, want %q (no bytes of the older, longer file)", got, data)
		}
		if !json.Valid(got) {
			t.Errorf("file is not valid JSON: %q", got)
		}
		if diff := cmp.Diff([]string{"state.json"}, dirNames(t, dir)); diff != "" {
			t.Errorf("files in the state folder (-want +got); a temp file was left:\n%s", diff)
		}
	}
	if err := l.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Get(ctx); !errors.Is(err, ErrNotExist) {
		t.Errorf("Get after Delete: %v, want ErrNotExist", err)
	}
}

func TestLocalFailedPutLeavesNoTempFile(t *testing.T) {
	dir := t.TempDir()
	// A folder where the file should be: the rename fails.
	target := filepath.Join(dir, "state.json")
	if err := os.MkdirAll(filepath.Join(target, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	l := &LocalFile{Path: target}
	if err := l.Put(context.Background(), []byte(`{}`)); err == nil {
		t.Fatal("Put over a folder succeeded")
	}
	if diff := cmp.Diff([]string{"state.json"}, dirNames(t, dir)); diff != "" {
		t.Errorf("files left after a failed Put (-want +got):\n%s", diff)
	}
}

// TestLocalReadersNeverSeeHalfAFile reads while another goroutine replaces
// the file: every read must be one whole version, never a mix or a prefix.
func TestLocalReadersNeverSeeHalfAFile(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	a := bytes.Repeat([]byte("a"), 256<<10)
	b := bytes.Repeat([]byte("b"), 128<<10)
	if err := l.Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var bad []string
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			got, err := l.Get(ctx)
			if err != nil {
				bad = append(bad, err.Error())
				continue
			}
			if !bytes.Equal(got, a) && !bytes.Equal(got, b) {
				bad = append(bad, fmt.Sprintf("read %d bytes, neither version", len(got)))
			}
		}
	}()
	for i := range 100 {
		data := a
		if i%2 == 0 {
			data = b
		}
		if err := l.Put(ctx, data); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if len(bad) > 0 {
		t.Errorf("%d torn reads, first: %s", len(bad), bad[0])
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func lockWithin(l *LocalFile, d time.Duration, info LockInfo) (func() error, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return l.Lock(ctx, info)
}

func TestLockHeldReturnsLockedError(t *testing.T) {
	l := newLocal(t)
	created := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	holder := LockInfo{ID: "lock-1", Operation: "apply", Who: "ana@laptop", Created: created}
	unlock, err := lockWithin(l, time.Second, holder)
	if err != nil {
		t.Fatalf("first Lock: %v", err)
	}

	// The lock file tells a waiter who holds it.
	data, err := os.ReadFile(l.Path + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	var onDisk LockInfo
	if err := json.Unmarshal(data, &onDisk); err != nil {
		t.Fatalf("lock file %q: %v", data, err)
	}
	if diff := cmp.Diff(holder, onDisk); diff != "" {
		t.Errorf("lock file (-want +got):\n%s", diff)
	}

	// A second Lock on the same file (another open file description, as
	// another process would have) waits out its deadline and names the holder.
	second := &LocalFile{Path: l.Path, Display: "the state"}
	_, err = lockWithin(second, 250*time.Millisecond, LockInfo{Who: "bob", Operation: "plan"})
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second Lock: %v, want a *LockedError", err)
	}
	want := &LockedError{Location: "the state", Holder: holder}
	if diff := cmp.Diff(want, le); diff != "" {
		t.Errorf("LockedError (-want +got):\n%s", diff)
	}
	if msg := err.Error(); !strings.Contains(msg, "ana@laptop") || !strings.Contains(msg, "apply") {
		t.Errorf("message %q does not name the holder and operation", msg)
	}

	if err := unlock(); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	if data, _ := os.ReadFile(l.Path + ".lock"); len(data) != 0 {
		t.Errorf("lock file after unlock = %q, want empty", data)
	}
	unlock2, err := lockWithin(second, time.Second, LockInfo{Who: "bob"})
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	if err := unlock2(); err != nil {
		t.Fatal(err)
	}
}

func TestLockWaiterGetsLockWhenReleased(t *testing.T) {
	l := newLocal(t)
	unlock, err := lockWithin(l, time.Second, LockInfo{Who: "first"})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		unlock func() error
		err    error
	}
	got := make(chan result, 1)
	go func() {
		// A generous deadline: the waiter must get the lock once it is
		// released, long before this runs out.
		u, err := lockWithin(&LocalFile{Path: l.Path}, 30*time.Second, LockInfo{Who: "second"})
		got <- result{u, err}
	}()
	select {
	case r := <-got:
		t.Fatalf("second Lock returned while the lock was held: %v", r.err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.err != nil {
		t.Fatalf("waiting Lock: %v", r.err)
	}
	var info LockInfo
	data, _ := os.ReadFile(l.Path + ".lock")
	if err := json.Unmarshal(data, &info); err != nil || info.Who != "second" {
		t.Errorf("lock file = %q (%v), want the new holder", data, err)
	}
	if err := r.unlock(); err != nil {
		t.Fatal(err)
	}
}

func TestLockOfADeadProcessIsFree(t *testing.T) {
	l := newLocal(t)
	if err := os.MkdirAll(filepath.Dir(l.Path), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockHolderEnv+"="+l.Path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper said %q (%v); stderr: %s", line, err, stderr.String())
	}

	// While the child lives, the lock is its.
	_, err = lockWithin(l, 200*time.Millisecond, LockInfo{Who: "parent"})
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Lock while the child holds it: %v, want a *LockedError", err)
	}
	if want := fmt.Sprintf("child-%d", cmd.Process.Pid); le.Holder.Who != want || le.Holder.Operation != "apply" {
		t.Errorf("holder = %+v, want Who %s, Operation apply", le.Holder, want)
	}

	// SIGKILL: no deferred unlock runs; the kernel drops the flock.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed = true
	_ = cmd.Wait()

	unlock, err := lockWithin(l, 10*time.Second, LockInfo{Who: "parent"})
	if err != nil {
		t.Fatalf("Lock after the holder died: %v", err)
	}
	defer unlock()
	var info LockInfo
	data, _ := os.ReadFile(l.Path + ".lock")
	if err := json.Unmarshal(data, &info); err != nil || info.Who != "parent" {
		t.Errorf("lock file = %q (%v), want the new holder's info, not the dead one's", data, err)
	}
}

// startHolder runs this test binary as a helper that holds a lock (env
// names which) until it is killed.
func startHolder(t *testing.T, env, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close() })
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper said %q (%v); stderr: %s", line, err, stderr.String())
	}
	return cmd
}

// TestLocalFunctionLockOfADeadProcessIsFree: a per-function lock held by a
// live process is refused naming it; once the process is SIGKILLed the
// kernel has dropped its flock, and the next run takes the lock (there is
// no stale lock to report: a flock cannot outlive its process). force-unlock
// refuses to take a live process's lock.
func TestLocalFunctionLockOfADeadProcessIsFree(t *testing.T) {
	l := newLocal(t)
	cmd := startHolder(t, fnLockHolderEnv, l.Path)
	ctx := context.Background()
	_, err := l.LockFunctions(ctx, []string{"billing", "orders"}, LockInfo{ID: "parent", Who: "parent"}, 200*time.Millisecond)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("lock while the child holds it: %v, want a *LockedError", err)
	}
	if want := fmt.Sprintf("child-%d", cmd.Process.Pid); le.Holder.Who != want || le.Function != "orders" || le.Holder.ID != "child-lock" {
		t.Errorf("LockedError = %+v, want orders held by %s", le, want)
	}
	// billing was taken before orders was found held: it was released.
	if u, err := l.LockFunctions(ctx, []string{"billing"}, LockInfo{ID: "p2"}, 0); err != nil {
		t.Errorf("billing after the refused lock: %v", err)
	} else {
		_ = u(ctx)
	}
	if _, err := l.ForceUnlock(ctx, "child-lock"); err == nil || !strings.Contains(err.Error(), "held by a running process") {
		t.Errorf("force-unlock of a live process's lock: %v", err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	u, err := l.LockFunctions(ctx, []string{"billing", "orders"}, LockInfo{ID: "parent", Who: "parent"}, 10*time.Second)
	if err != nil {
		t.Fatalf("lock after the holder died: %v", err)
	}
	data, _ := os.ReadFile(filepath.Join(l.Path+".locks", "orders"))
	var info LockInfo
	if err := json.Unmarshal(data, &info); err != nil || info.ID != "parent" {
		t.Errorf("lock file = %q (%v), want the new holder's info", data, err)
	}
	if err := u(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestLocalFilesArePrivate: the state, its locks and a plan file hold
// what was released where; they are written 0600.
func TestLocalFilesArePrivate(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	m := mustLoad(t, l)
	if err := m.Update(ctx, addFunction("api")); err != nil {
		t.Fatal(err)
	}
	u, err := l.LockFunctions(ctx, []string{"api"}, LockInfo{ID: "x"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer u(ctx)
	for _, p := range []string{l.Path, l.Path + ".lock", filepath.Join(l.Path+".locks", "api")} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(p), perm)
		}
	}
}
