package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Environment variables that change how StartMoto finds its emulator.
const (
	// EnvMotoEndpoint names an already running moto (e.g. http://127.0.0.1:5000)
	// to use instead of starting one. Reset then wipes that server.
	EnvMotoEndpoint = "LAMBDAS_MOTO_ENDPOINT"
	// EnvMotoCommand overrides the moto_server command (default "moto_server",
	// looked up in PATH).
	EnvMotoCommand = "LAMBDAS_MOTO_COMMAND"
)

// motoStartTimeout bounds how long we wait for moto_server to answer: it
// imports every service's backend at start, which takes a few seconds on a
// busy 2-core machine.
const motoStartTimeout = 60 * time.Second

// Moto is a running moto_server (or one named by LAMBDAS_MOTO_ENDPOINT).
type Moto struct {
	// Endpoint is the base URL, http://127.0.0.1:PORT.
	Endpoint string

	cmd      *exec.Cmd     // nil when the server is not ours
	exited   chan struct{} // closed when cmd has exited
	waitErr  error         // cmd.Wait's result, valid after exited is closed
	log      *tailBuffer
	stopOnce sync.Once
}

// errMotoMissing marks "moto is not installed here": a skip locally, a
// failure in CI.
type errMotoMissing struct{ reason string }

func (e errMotoMissing) Error() string { return e.reason }

var shared struct {
	once sync.Once
	mu   sync.Mutex
	moto *Moto
	err  error
}

// StartMoto returns the moto_server shared by every test of this test binary,
// starting it on a free loopback port at the first call and waiting until it
// answers. Sharing saves the 2-5 s that each moto start costs; tests therefore
// use unique resource names, or call Reset when they are sure to run alone.
// The shared server is stopped by StopSharedMoto (see RunTests for TestMain)
// and, on Linux, killed by the kernel when the test binary dies.
//
// If moto_server cannot be found, the test is skipped with the reason, except
// when CI=true, where it fails: integration tests never skip silently in CI.
func StartMoto(t testing.TB) *Moto {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.once.Do(func() {
		shared.moto, shared.err = launchMoto()
	})
	if shared.err != nil {
		skipOrFatal(t, shared.err)
	}
	if shared.moto == nil {
		t.Fatalf("testenv: the shared moto_server was already stopped (StopSharedMoto)")
	}
	return shared.moto
}

// NewMoto starts a moto_server for the calling test alone and stops it in
// t.Cleanup. Use it when a test must Reset or otherwise cannot share state.
func NewMoto(t testing.TB) *Moto {
	t.Helper()
	m, err := launchMoto()
	if err != nil {
		skipOrFatal(t, err)
	}
	t.Cleanup(m.stop)
	return m
}

// StopSharedMoto stops the shared moto_server if one was started. Safe to call
// more than once; StartMoto fails after it.
func StopSharedMoto() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.once.Do(func() {}) // a later StartMoto must not start a new one
	if shared.moto != nil {
		shared.moto.stop()
		shared.moto = nil
	}
}

// RunTests runs the tests and then stops the shared moto_server:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.RunTests(m)) }
func RunTests(m *testing.M) int {
	defer StopSharedMoto()
	return m.Run()
}

func skipOrFatal(t testing.TB, err error) {
	t.Helper()
	var missing errMotoMissing
	if errors.As(err, &missing) {
		if inCI() {
			t.Fatalf("testenv: %v (CI=true: integration tests must not skip; install with pip install 'moto[server]')", err)
		}
		t.Skipf("testenv: skipping, %v (install with pip install 'moto[server]')", err)
	}
	t.Fatalf("testenv: %v", err)
}

func inCI() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// Reset wipes all state of the server (POST /moto-api/reset): every resource of
// every test that shares it.
func (m *Moto) Reset(t testing.TB) {
	t.Helper()
	if err := resetMoto(t.Context(), m.Endpoint); err != nil {
		t.Fatalf("testenv: %v", err)
	}
}

func resetMoto(ctx context.Context, endpoint string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/moto-api/reset", nil)
	if err != nil {
		return err
	}
	resp, err := directClient.Do(req)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: status %s", resp.Status)
	}
	return nil
}

// directClient talks to moto without any proxy from the environment.
var directClient = &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16}}

func launchMoto() (*Moto, error) {
	if ep := os.Getenv(EnvMotoEndpoint); ep != "" {
		m := &Moto{Endpoint: strings.TrimRight(ep, "/")}
		ctx, cancel := context.WithTimeout(context.Background(), motoStartTimeout)
		defer cancel()
		if err := waitHTTP(ctx, m.Endpoint, nil); err != nil {
			return nil, fmt.Errorf("moto at %s=%s does not answer: %w", EnvMotoEndpoint, ep, err)
		}
		return m, nil
	}
	name := os.Getenv(EnvMotoCommand)
	if name == "" {
		name = "moto_server"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, errMotoMissing{reason: fmt.Sprintf("%s not found in PATH", name)}
	}
	// A port picked by listening on :0 can be taken by someone else before
	// moto binds it; try a few.
	var lastErr error
	for range 3 {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		m, err := spawnMoto(path, port)
		if err == nil {
			return m, nil
		}
		var missing errMotoMissing
		if errors.As(err, &missing) {
			return nil, err
		}
		lastErr = err
	}
	return nil, lastErr
}

func spawnMoto(path string, port int) (*Moto, error) {
	m := &Moto{
		Endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		log:      &tailBuffer{max: 16 << 10},
		exited:   make(chan struct{}),
	}
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout = m.log
	cmd.Stderr = m.log
	m.cmd = cmd
	if err := startChild(cmd); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	go func() {
		m.waitErr = cmd.Wait()
		close(m.exited)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), motoStartTimeout)
	defer cancel()
	if err := waitHTTP(ctx, m.Endpoint, m.exited); err != nil {
		m.stop()
		if cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == 127 {
			// pyenv shims exist for every installed version: 127 means the
			// command is not installed in the active Python.
			return nil, errMotoMissing{reason: fmt.Sprintf("%s exits 127 (not installed for this Python?): %s", path, m.log.String())}
		}
		return nil, fmt.Errorf("moto_server on port %d: %w; its output:\n%s", port, err, m.log.String())
	}
	return m, nil
}

// waitHTTP polls endpoint until any HTTP answer comes back, the context ends,
// or exited is closed.
func waitHTTP(ctx context.Context, endpoint string, exited <-chan struct{}) error {
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/moto-api/", nil)
		if err != nil {
			return err
		}
		resp, err := directClient.Do(req)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no answer after %s: %w", motoStartTimeout, err)
		case <-exited:
			return errors.New("moto_server exited before answering")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop ends our moto_server (the whole process group: the pyenv shim execs
// python, but be safe) and waits for it.
func (m *Moto) stop() {
	if m == nil || m.cmd == nil {
		return
	}
	m.stopOnce.Do(func() {
		signalGroup(m.cmd, false)
		select {
		case <-m.exited:
		case <-time.After(5 * time.Second):
			signalGroup(m.cmd, true)
			<-m.exited
		}
	})
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tailBuffer keeps the last max bytes written: moto logs every request, and
// only the end matters when it fails to start.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.max {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-b.max:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(bytes.TrimSpace(b.buf))
}
