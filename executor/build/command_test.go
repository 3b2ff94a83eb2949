//go:build unix

package build

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// commandSpec is a command build of a fresh function folder inside a fresh
// repository.
func commandSpec(t *testing.T, command, output string) Spec {
	t.Helper()
	root := t.TempDir()
	src := filepath.Join(root, "functions", "fn")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	return Spec{
		Function: "fn", RepoRoot: root, Source: src,
		Command: command, Output: output,
		Runtime: "python3.12", Architecture: "arm64", Handler: "app.handler",
		Timeout: 30 * time.Second,
	}
}

func TestCommandBuild(t *testing.T) {
	s := commandSpec(t, `mkdir -p dist && printf 'print(1)\n' > dist/app.py
echo "built $LAMBDAS_FUNCTION for $LAMBDAS_RUNTIME on $LAMBDAS_ARCHITECTURE into $LAMBDAS_OUTPUT"
echo "to stderr" >&2`, "dist")
	log := &lines{}
	s.Log = log
	res, err := Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(s.Source, "dist")
	if res.Dir != want {
		t.Errorf("Dir = %s, want %s", res.Dir, want)
	}
	if res.Inputs != nil {
		t.Errorf("Inputs = %q, want nil: a command's inputs are unknown", res.Inputs)
	}
	if b, err := os.ReadFile(filepath.Join(res.Dir, "app.py")); err != nil || string(b) != "print(1)\n" {
		t.Errorf("dist/app.py = %q, %v", b, err)
	}
	wantLog := []string{"built fn for python3.12 on arm64 into " + want + "\n", "to stderr\n"}
	if got := log.writes; !equal(got, wantLog) {
		t.Errorf("log writes = %q, want %q (one Write per line, stdout and stderr merged)", got, wantLog)
	}
}

func equal(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00") && len(a) == len(b)
}

func TestCommandFailureCarriesTail(t *testing.T) {
	s := commandSpec(t, `i=1; while [ $i -le 100 ]; do echo "line $i"; i=$((i+1)); done; echo oops >&2; exit 2`, "dist")
	_, err := Run(context.Background(), s)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	prefix := "fn: build: `i=1; while [ $i -le 100 ]; do echo \"line $i\"; i=$((i+1)); do ...` exited with status 2:\nline 52\n"
	if !strings.HasPrefix(msg, prefix) {
		t.Errorf("error starts %q, want %q", msg[:min(len(msg), len(prefix))], prefix)
	}
	if !strings.HasSuffix(msg, "\nline 100\noops") {
		t.Errorf("error does not end with the last lines: %q", msg[max(0, len(msg)-40):])
	}
	if n := strings.Count(msg, "\n"); n != TailLines {
		t.Errorf("error holds %d lines of output, want %d", n, TailLines)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Errorf("errors.As(*exec.ExitError) = %v", ee)
	}
}

func TestCommandTimeoutKillsProcessGroup(t *testing.T) {
	// The sleep is a child of sh: killing sh alone would leave it running.
	s := commandSpec(t, `sleep 1000 & echo $! > sleep.pid; echo started; wait`, "dist")
	s.Timeout = 1500 * time.Millisecond // time enough for sh to start, even on a loaded machine
	start := time.Now()
	_, err := Run(context.Background(), s)
	if err == nil {
		t.Fatal("no error")
	}
	if took := time.Since(start); took > s.Timeout+killGrace {
		t.Errorf("Run took %s", took)
	}
	if want := "fn: build: `sleep 1000 & echo $! > sleep.pid; echo started; wait` timed out after 1.5s:\nstarted"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(ErrTimeout, DeadlineExceeded) = %v, %v", errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded))
	}
	waitGone(t, readPid(t, filepath.Join(s.Source, "sleep.pid")))
}

func TestCommandIgnoringSIGTERMIsKilled(t *testing.T) {
	defer func(d time.Duration) { killGrace = d }(killGrace)
	killGrace = 300 * time.Millisecond
	// An ignored signal stays ignored across exec: sleep ignores it too.
	s := commandSpec(t, `trap '' TERM; sleep 1000 & echo $! > sleep.pid; echo started; wait`, "dist")
	ctx, cancel := context.WithCancel(context.Background())
	s.Log = &lines{onLine: func(l string) {
		if l == "started\n" {
			cancel()
		}
	}}
	start := time.Now()
	_, err := Run(ctx, s)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want canceled", err)
	}
	if took := time.Since(start); took < killGrace {
		t.Errorf("Run returned after %s, before the SIGKILL was due: did SIGTERM work?", took)
	}
	waitGone(t, readPid(t, filepath.Join(s.Source, "sleep.pid")))
}

func TestCommandCanceled(t *testing.T) {
	s := commandSpec(t, `sleep 1000 & echo $! > sleep.pid; echo started; wait`, "dist")
	ctx, cancel := context.WithCancel(context.Background())
	log := &lines{onLine: func(l string) {
		if l == "started\n" {
			cancel()
		}
	}}
	s.Log = log
	_, err := Run(ctx, s)
	if want := "fn: build: `sleep 1000 & echo $! > sleep.pid; echo started; wait` was canceled:\nstarted"; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("errors.Is(err, context.Canceled) = false")
	}
	waitGone(t, readPid(t, filepath.Join(s.Source, "sleep.pid")))

	// Already canceled: nothing runs.
	s = commandSpec(t, `touch ran; mkdir dist`, "dist")
	if _, err := Run(ctx, s); !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(s.Source, "ran")); err == nil {
		t.Error("the command ran under a canceled context")
	}
}

// A successful build's leftovers (a background job, holding the output
// pipe or not) are killed when its main process ends, and do not hold the
// build up.
func TestCommandLeftoversAreKilled(t *testing.T) {
	for name, cmd := range map[string]string{
		"holding the pipe": `sleep 1000 & echo $! > sleep.pid; mkdir dist`,
		"detached output":  `sleep 1000 >/dev/null 2>&1 & echo $! > sleep.pid; mkdir dist`,
	} {
		t.Run(name, func(t *testing.T) {
			s := commandSpec(t, cmd, "dist")
			start := time.Now()
			if _, err := Run(context.Background(), s); err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took > pipeGrace {
				t.Errorf("Run took %s: it waited for the leftover", took)
			}
			waitGone(t, readPid(t, filepath.Join(s.Source, "sleep.pid")))
		})
	}
}

func TestCommandOutputChecks(t *testing.T) {
	outside := t.TempDir()
	for _, tc := range []struct {
		name, cmd, output, want string
	}{
		{"missing", `echo nothing to see`, "dist", "fn: build: `echo nothing to see` succeeded but left no output folder dist in "},
		{"a file", `echo x > dist`, "dist", "fn: build: output dist in "},
		{"link out of the source", `ln -s ` + outside + ` dist`, "dist", "fn: build: output dist leads to " + outside},
		{"the source itself", `true`, ".", `fn: build: output "." is the source folder itself`},
		{"above the source", `true`, "../x", `fn: build: output "../x" leaves the source folder`},
		{"absolute", `true`, "/tmp", `fn: build: output "/tmp" must be relative`},
		{"none", `true`, "", "fn: build: a build command needs an output folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(context.Background(), commandSpec(t, tc.cmd, tc.output))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to start with %q", err, tc.want)
			}
		})
	}
}

func TestCommandHasNoStdin(t *testing.T) {
	s := commandSpec(t, `if read line; then echo "read: $line"; else echo "stdin is empty"; fi; mkdir dist`, "dist")
	log := &lines{}
	s.Log = log
	if _, err := Run(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if got := log.String(); got != "stdin is empty\n" {
		t.Errorf("log = %q", got)
	}
}

// Lines reach Log while the build runs: the command waits for a file the
// test writes when it sees the first line.
func TestCommandLogStreams(t *testing.T) {
	s := commandSpec(t, `echo first; while [ ! -f go ]; do sleep 0.02; done; echo second; mkdir dist`, "dist")
	s.Timeout = 10 * time.Second
	log := &lines{onLine: func(l string) {
		if l == "first\n" {
			os.WriteFile(filepath.Join(s.Source, "go"), nil, 0o644)
		}
	}}
	s.Log = log
	if _, err := Run(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if got := log.String(); got != "first\nsecond\n" {
		t.Errorf("log = %q", got)
	}
}

func TestSpecChecks(t *testing.T) {
	base := commandSpec(t, "true", "dist")
	for _, tc := range []struct {
		name   string
		change func(*Spec)
		want   string
	}{
		{"relative source", func(s *Spec) { s.Source = "functions/fn" }, "must be absolute"},
		{"source outside", func(s *Spec) { s.Source = t.TempDir() }, "is outside the repository"},
		{"missing source", func(s *Spec) { s.Source = filepath.Join(s.RepoRoot, "nope") }, "source: "},
		{"nothing", func(s *Spec) { s.Command = "" }, "nothing to build"},
		{"unknown preset", func(s *Spec) { s.Command, s.Output, s.Preset = "", "", "rust" }, `unknown preset "rust"`},
		{"preset and command", func(s *Spec) { s.Preset = "go" }, `preset "go" takes no command or output`},
		{"work folder in source", func(s *Spec) {
			s.Command, s.Output, s.Preset, s.WorkDir = "", "", "go", filepath.Join(s.Source, "build")
		}, "is inside the source"},
		{"relative work folder", func(s *Spec) { s.Command, s.Output, s.Preset, s.WorkDir = "", "", "go", "w" }, "must be an absolute path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			tc.change(&s)
			_, err := Run(context.Background(), s)
			if err == nil || !strings.HasPrefix(err.Error(), "fn: build: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want fn: build: ...%s...", err, tc.want)
			}
		})
	}
}

func TestTail(t *testing.T) {
	tl := newTail(3)
	if got := tl.String(); got != "" {
		t.Errorf("empty tail = %q", got)
	}
	for i := 1; i <= 5; i++ {
		tl.add([]byte("l" + strconv.Itoa(i) + "\r\n"))
	}
	if got := tl.String(); got != "l3\nl4\nl5" {
		t.Errorf("tail = %q", got)
	}
	tl.add([]byte(strings.Repeat("x", 5000) + "\n"))
	if got := tl.String(); !strings.HasSuffix(got, "\n"+strings.Repeat("x", maxTailLine)+" [...]") {
		t.Errorf("long line not cut: %d bytes", len(got))
	}
}

// A line longer than the reader's buffer comes in pieces; the last line
// gets its newline.
func TestReadLines(t *testing.T) {
	long := strings.Repeat("y", 100<<10)
	log := &lines{}
	readLines(strings.NewReader("a\n"+long+"\nb"), log, newTail(TailLines))
	if got := log.String(); got != "a\n"+long+"\nb\n" {
		t.Errorf("log differs (%d bytes)", len(got))
	}
	if n := len(log.writes); n != 4 {
		t.Errorf("%d writes, want 4 (a, two pieces, b)", n)
	}
}

// readPid reads the process id a test command wrote to file.
func readPid(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// waitGone fails the test unless process pid is gone within a few seconds.
// A zombie counts as gone: it is dead, only not yet reaped by its new
// parent (PID 1 of a container may never reap it).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) || isZombie(pid) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d is still running after the build returned", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false // gone (then kill said so) or no /proc on this system
	}
	// "pid (comm) state ...": comm may hold spaces and parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}
