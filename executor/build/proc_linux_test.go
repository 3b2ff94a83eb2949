package build

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// When lambdas dies without a chance to clean up (SIGKILL), the kernel
// kills the build's main process (Pdeathsig). The test runs a build in a
// copy of the test binary, kills that copy, and checks the build is gone.
func TestBuildDiesWithLambdas(t *testing.T) {
	if dir := os.Getenv("BUILD_TEST_HELPER_DIR"); dir != "" {
		// The helper: a build that would run for 1000 s; exec makes the
		// sleep the main process itself.
		_, err := Run(context.Background(), Spec{
			Function: "helper", RepoRoot: dir, Source: dir,
			Command: `echo $$ > build.pid; exec sleep 1000`, Output: "dist",
		})
		t.Fatalf("the build returned: %v", err)
	}
	dir := t.TempDir()
	helper := exec.Command(os.Args[0], "-test.run=^TestBuildDiesWithLambdas$")
	helper.Env = append(os.Environ(), "BUILD_TEST_HELPER_DIR="+dir)
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(dir, "build.pid")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(pidFile); err == nil && len(b) > 0 && b[len(b)-1] == '\n' {
			break
		}
		if time.Now().After(deadline) {
			helper.Process.Kill()
			helper.Wait()
			t.Fatal("the helper's build did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := helper.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	helper.Wait()
	waitGone(t, readPid(t, pidFile))
}
