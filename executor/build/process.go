package build

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	// TailLines is how many of the last output lines of a failing build its
	// error carries.
	TailLines = 50
	// maxTailLine caps each of those lines, so that the tail stays small
	// whatever the build prints (a minified file in a compiler error...).
	maxTailLine = 1024
	// pipeGrace is how long the output pipes may stay open once the build's
	// process group has been killed: only a process that left the group
	// (setsid) can hold them, and it must not hold up the build.
	pipeGrace = 2 * time.Second
)

// killGrace is how long a build has to exit after SIGTERM, on timeout or
// cancellation, before its process group gets SIGKILL. A variable for the
// tests.
var killGrace = 5 * time.Second

// process is one child process of a build.
type process struct {
	what   string // how errors name it: "`make dist`", "go build"
	path   string // the executable
	args   []string
	dir    string
	env    []string  // the whole environment; PWD is set to dir
	log    io.Writer // output lines (stdout and stderr merged, unless stdout is set)
	stdout io.Writer // when set, stdout goes here, unlogged, and only stderr is logged
}

// procError is the error of a child process that failed or was stopped.
type procError struct {
	what string // "`make dist`"
	how  string // "exited with status 2", "timed out after 1s", "was canceled", ...
	tail string // its last lines of output
	err  error  // what errors.Is can find: ErrTimeout, context.Canceled, *exec.ExitError
}

func (e *procError) Error() string {
	if e.tail == "" {
		return e.what + " " + e.how
	}
	return e.what + " " + e.how + ":\n" + e.tail
}

func (e *procError) Unwrap() error { return e.err }

// run runs p until it ends or ctx is done, and returns a *procError when it
// fails. Whatever happens, no process of its group is left running when run
// returns.
func (p *process) run(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return p.stopped(context.Cause(ctx), "")
	}
	cmd := exec.Command(p.path, p.args...)
	cmd.Dir = p.dir
	cmd.Env = append(p.env[:len(p.env):len(p.env)], "PWD="+p.dir)
	// cmd.Stdin stays nil: the child reads /dev/null, and a build that
	// asks a question fails instead of hanging.
	setGroup(cmd)

	// Our own pipes, not exec's: cmd.Wait then returns as soon as the main
	// process exits, even when a process it left behind holds the pipes,
	// and the cleanup below can kill that process.
	logR, logW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("%s: %w", p.what, err)
	}
	defer logR.Close()
	defer logW.Close()
	cmd.Stdout, cmd.Stderr = logW, logW
	var outR, outW *os.File
	if p.stdout != nil {
		if outR, outW, err = os.Pipe(); err != nil {
			return fmt.Errorf("%s: %w", p.what, err)
		}
		defer outR.Close()
		defer outW.Close()
		cmd.Stdout = outW
	}

	// Start and Wait on one locked OS thread: on Linux the child is started
	// with Pdeathsig, which fires when the thread that forked it exits, so
	// that thread must live as long as the child does.
	started := make(chan error, 1)
	waited := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		waited <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start %s: %w", p.what, err)
	}
	// The child has its copies of the write ends; ours must go, or the
	// readers would never see the end of the output.
	logW.Close()
	if outW != nil {
		outW.Close()
	}

	tail := newTail(TailLines)
	var readers sync.WaitGroup
	readers.Go(func() { readLines(logR, p.log, tail) })
	if outR != nil {
		readers.Go(func() { io.Copy(p.stdout, outR) })
	}

	var stop error // why the build was stopped, if it was
	select {
	case err = <-waited:
	case <-ctx.Done():
		stop = context.Cause(ctx)
		signalGroup(cmd.Process, false)
		t := time.NewTimer(killGrace)
		select {
		case err = <-waited:
		case <-t.C:
			signalGroup(cmd.Process, true)
			err = <-waited
		}
		t.Stop()
	}
	// The main process is gone; what it left running in its group (a
	// daemon, a `cmd &`) goes with it.
	signalGroup(cmd.Process, true)

	readersDone := make(chan struct{})
	go func() { readers.Wait(); close(readersDone) }()
	select {
	case <-readersDone:
	case <-time.After(pipeGrace):
		// Closing the read ends wakes up the readers.
		logR.Close()
		if outR != nil {
			outR.Close()
		}
		<-readersDone
	}

	if stop != nil {
		return p.stopped(stop, tail.String())
	}
	if err == nil {
		return nil
	}
	how := "failed: " + err.Error()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		how = fmt.Sprintf("exited with status %d", ee.ExitCode())
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			how = fmt.Sprintf("was killed by signal %d (%v)", ws.Signal(), ws.Signal())
		}
	}
	return &procError{what: p.what, how: how, tail: tail.String(), err: err}
}

func (p *process) stopped(cause error, tail string) error {
	how := "was canceled"
	if errors.Is(cause, ErrTimeout) {
		how = cause.Error()
	}
	return &procError{what: p.what, how: how, tail: tail, err: cause}
}

// readLines passes r's lines to log, one Write each with its "\n", and keeps
// the last ones in tail. A line longer than the reader's buffer is passed on
// in pieces: memory stays bounded whatever the build prints.
func readLines(r io.Reader, log io.Writer, tail *tail) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			if line[len(line)-1] != '\n' && err != bufio.ErrBufferFull {
				// The last line, without its newline; the copy leaves the
				// reader's buffer alone.
				line = append(line[:len(line):len(line)], '\n')
			}
			log.Write(line)
			tail.add(line)
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}

// tail keeps the last n lines written to it, each cut to maxTailLine bytes.
type tail struct {
	lines [][]byte
	next  int
	full  bool
}

func newTail(n int) *tail { return &tail{lines: make([][]byte, n)} }

func (t *tail) add(line []byte) {
	line = bytes.TrimRight(line, "\r\n")
	if len(line) > maxTailLine {
		line = append(line[:maxTailLine:maxTailLine], " [...]"...)
	}
	t.lines[t.next] = append(t.lines[t.next][:0], line...)
	t.next = (t.next + 1) % len(t.lines)
	if t.next == 0 {
		t.full = true
	}
}

// String returns the kept lines, oldest first, without a final newline.
func (t *tail) String() string {
	var b strings.Builder
	emit := func(ls [][]byte) {
		for _, l := range ls {
			b.Write(l)
			b.WriteByte('\n')
		}
	}
	if t.full {
		emit(t.lines[t.next:])
	}
	emit(t.lines[:t.next])
	return strings.TrimRight(b.String(), "\n")
}

// environ returns this process's environment with the given "KEY=value"
// pairs set, replacing any earlier value of those keys.
func environ(set ...string) []string {
	drop := map[string]bool{}
	for _, kv := range set {
		k, _, _ := strings.Cut(kv, "=")
		drop[k] = true
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			env = append(env, kv)
		}
	}
	return append(env, set...)
}
