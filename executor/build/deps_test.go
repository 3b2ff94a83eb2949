package build

import (
	"context"
	"debug/elf"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/google/go-cmp/cmp"
)

// These tests run the real pip and npm against the real package indexes
// (PyPI and npm are reachable from the project's machines), and the Docker
// builder against a real engine with a locally made image (scripts/docker.sh).

func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not on PATH, and CI=true: the dependency builder tests must run", name)
		}
		t.Skipf("%s is not on PATH", name)
	}
}

// depsRepo writes files into a fresh repository folder and returns it.
func depsRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	repo := t.TempDir()
	writeFiles(t, repo, files)
	return repo
}

// wheelTags reads the Tag lines of every *.dist-info/WHEEL under dir,
// by distribution.
func wheelTags(t *testing.T, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.dist-info", "WHEEL"))
	for _, m := range matches {
		data, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		dist := strings.SplitN(filepath.Base(filepath.Dir(m)), "-", 2)[0]
		for _, line := range strings.Split(string(data), "\n") {
			if tag, ok := strings.CutPrefix(line, "Tag: "); ok {
				out[strings.ToLower(dist)] = append(out[strings.ToLower(dist)], strings.TrimSpace(tag))
			}
		}
	}
	return out
}

// elfMachines is the machine of every shared object under dir.
func elfMachines(t *testing.T, dir string) map[elf.Machine]int {
	t.Helper()
	out := map[elf.Machine]int{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".so") {
			return err
		}
		f, err := elf.Open(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		out[f.Machine]++
		f.Close()
		return nil
	})
	return out
}

func TestBuildDepsLocalPython(t *testing.T) {
	requireTool(t, "python3")
	cases := []struct {
		name, arch, requirements string
		wantTag                  map[string]string // distribution → a substring of its wheel tag
		wantMachine              elf.Machine       // of the .so files; 0: pure Python
		wantFiles                []string
	}{
		{name: "pure python x86_64", arch: "x86_64", requirements: "python-dateutil==2.9.0.post0\n",
			wantTag: map[string]string{"python_dateutil": "py3-none-any", "six": "py3-none-any"}, wantFiles: []string{"python/dateutil/parser/_parser.py", "python/six.py"}},
		{name: "binary wheel x86_64", arch: "x86_64", requirements: "-r base.txt\n",
			wantTag: map[string]string{"markupsafe": "cp312-cp312-manylinux"}, wantMachine: elf.EM_X86_64},
		{name: "binary wheel arm64", arch: "arm64", requirements: "-c constraints.txt\nmarkupsafe\n",
			wantTag: map[string]string{"markupsafe": "aarch64"}, wantMachine: elf.EM_AARCH64},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			repo := depsRepo(t, map[string]string{
				"fn/requirements.txt": tc.requirements,
				"fn/base.txt":         "markupsafe==3.0.2\n",
				"fn/constraints.txt":  "markupsafe==3.0.2\n",
			})
			var log lines
			res, err := BuildDeps(t.Context(), DepsSpec{Function: "fn", RepoRoot: repo, Descriptor: "fn/requirements.txt", Runtime: "python3.12",
				Architecture: tc.arch, Builder: BuilderLocal, WorkDir: t.TempDir(), Log: &log, Timeout: 5 * time.Minute})
			if err != nil {
				t.Fatalf("%v\nlog:\n%s", err, log.String())
			}
			site := filepath.Join(res.Dir, "python")
			tags := wheelTags(t, site)
			for dist, want := range tc.wantTag {
				if got := strings.Join(tags[dist], " "); !strings.Contains(got, want) {
					t.Errorf("%s: wheel tags %q, want %q in them (all: %v)", dist, got, want, tags)
				}
			}
			machines := elfMachines(t, site)
			if tc.wantMachine == 0 && len(machines) > 0 {
				t.Errorf("pure Python layer has shared objects: %v", machines)
			}
			if tc.wantMachine != 0 && (machines[tc.wantMachine] == 0 || len(machines) != 1) {
				t.Errorf("shared objects by machine: %v, want only %v", machines, tc.wantMachine)
			}
			for _, f := range tc.wantFiles {
				if _, err := os.Stat(filepath.Join(res.Dir, filepath.FromSlash(f))); err != nil {
					t.Errorf("layer lacks %s: %v", f, err)
				}
			}
			// Nothing tied to the building machine: no bin/, no bytecode.
			for _, bad := range []string{"bin", "__pycache__"} {
				_ = filepath.WalkDir(res.Dir, func(p string, d fs.DirEntry, err error) error {
					if err == nil && d.Name() == bad {
						t.Errorf("layer has %s", p)
					}
					return err
				})
			}
			if !strings.Contains(log.String(), "Successfully installed") {
				t.Errorf("pip's log was not streamed:\n%s", log.String())
			}
		})
	}
}

func TestBuildDepsLocalPythonErrors(t *testing.T) {
	requireTool(t, "python3")
	cases := []struct {
		name, requirements, arch string
		timeout                  time.Duration
		want                     []string
		is                       error
	}{
		{name: "no such package", arch: "x86_64", requirements: "lambdas-test-no-such-package-7f3a==1.0\n",
			want: []string{"fn: build-dependencies: pip found no installable lambdas-test-no-such-package-7f3a==1.0 for manylinux2014_x86_64 (Python 3.12)", "exists on the package index"}},
		// docopt 0.6.2 is published as a source distribution only: the
		// local builder, which installs wheels only, cannot use it.
		{name: "no wheel for arm64", arch: "arm64", requirements: "docopt==0.6.2\n",
			want: []string{"docopt==0.6.2 for manylinux2014_aarch64", `use builder = "docker"`}},
		{name: "past its timeout", arch: "x86_64", requirements: "python-dateutil==2.9.0.post0\n", timeout: 300 * time.Millisecond,
			want: []string{"pip install timed out after 300ms"}, is: ErrTimeout},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			repo := depsRepo(t, map[string]string{"fn/requirements.txt": tc.requirements})
			work := t.TempDir()
			_, err := BuildDeps(t.Context(), DepsSpec{Function: "fn", RepoRoot: repo, Descriptor: "fn/requirements.txt", Runtime: "python3.12",
				Architecture: tc.arch, Builder: BuilderLocal, WorkDir: work, Timeout: tc.timeout})
			if err == nil {
				t.Fatal("build succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(err, %v) is false: %v", tc.is, err)
			}
		})
	}
}

// msLock is the lockfile of {"dependencies": {"ms": "2.1.3"}}.
const msLock = `{
  "name": "fn",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "fn",
      "version": "1.0.0",
      "dependencies": {
        "ms": "2.1.3"
      }
    },
    "node_modules/ms": {
      "version": "2.1.3",
      "resolved": "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz",
      "integrity": "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA=="
    }
  }
}
`

// msDevPkg and msDevLock add a devDependency, which the layer leaves out.
const msDevPkg = `{"name": "fn", "version": "1.0.0", "dependencies": {"ms": "2.1.3"}, "devDependencies": {"left-pad": "1.3.0"}}`

var msDevLock = strings.Replace(strings.Replace(msLock, `"dependencies": {
        "ms": "2.1.3"
      }`, `"dependencies": {
        "ms": "2.1.3"
      },
      "devDependencies": {
        "left-pad": "1.3.0"
      }`, 1), `    "node_modules/ms": {`, `    "node_modules/left-pad": {
      "version": "1.3.0",
      "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
      "integrity": "sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQGinBN9yTQT3bFlCBy/aVx2HrNcqQGsdot8ghrjyrvMCoEA==",
      "dev": true,
      "license": "WTFPL"
    },
    "node_modules/ms": {`, 1)

func TestBuildDepsLocalNode(t *testing.T) {
	requireTool(t, "npm")
	const pkg = `{"name": "fn", "version": "1.0.0", "dependencies": {"ms": "2.1.3"}}`
	cases := []struct {
		name, arch, lock, pkg string
		wantWarn              bool
	}{
		{name: "npm ci from the lockfile, x86_64", arch: "x86_64", lock: msLock},
		{name: "devDependencies left out", arch: "x86_64", lock: msDevLock, pkg: msDevPkg},
		{name: "npm ci from the lockfile, arm64", arch: "arm64", lock: msLock},
		{name: "no lockfile: npm install, with a warning", arch: "x86_64", wantWarn: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"fn/package.json": pkg}
			if tc.pkg != "" {
				files["fn/package.json"] = tc.pkg
			}
			lockfile := ""
			if tc.lock != "" {
				files["fn/package-lock.json"] = tc.lock
				lockfile = "fn/package-lock.json"
			}
			repo := depsRepo(t, files)
			var warnings []string
			res, err := BuildDeps(t.Context(), DepsSpec{Function: "fn", RepoRoot: repo, Descriptor: "fn/package.json", Lockfile: lockfile, Runtime: "nodejs22.x",
				Architecture: tc.arch, Builder: BuilderLocal, WorkDir: t.TempDir(), Warn: func(m string) { warnings = append(warnings, m) }})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			_ = filepath.WalkDir(res.Dir, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					rel, _ := filepath.Rel(res.Dir, p)
					got = append(got, filepath.ToSlash(rel))
				}
				return err
			})
			sort.Strings(got)
			want := []string{"nodejs/node_modules/.package-lock.json", "nodejs/node_modules/ms/index.js", "nodejs/node_modules/ms/license.md", "nodejs/node_modules/ms/package.json", "nodejs/node_modules/ms/readme.md"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("layer files (-want +got): no devDependencies, nothing but node_modules:\n%s", diff)
			}
			if tc.wantWarn != (len(warnings) > 0) || (tc.wantWarn && !strings.Contains(warnings[0], "not reproducible")) {
				t.Errorf("warnings: %q", warnings)
			}
		})
	}
}

func TestBuildDepsLocalNodeRefused(t *testing.T) {
	requireTool(t, "npm")
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{name: "a version that does not exist", files: map[string]string{"fn/package.json": `{"name": "fn", "dependencies": {"ms": "99.99.99"}}`},
			want: "npm could not find a dependency of fn/package.json"},
		{name: "lockfile out of sync", files: map[string]string{"fn/package.json": `{"name": "fn", "version": "1.0.0", "dependencies": {"ms": "2.1.2"}}`, "fn/package-lock.json": msLock},
			want: "not in sync"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			repo := depsRepo(t, tc.files)
			lock := ""
			if _, ok := tc.files["fn/package-lock.json"]; ok {
				lock = "fn/package-lock.json"
			}
			_, err := BuildDeps(t.Context(), DepsSpec{Function: "fn", RepoRoot: repo, Descriptor: "fn/package.json", Lockfile: lock, Runtime: "nodejs22.x",
				Architecture: "x86_64", Builder: BuilderLocal, WorkDir: t.TempDir()})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "fn: build-dependencies: ") {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestBuildDepsDockerWithoutEngine(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-docker.sock"))
	repo := depsRepo(t, map[string]string{"fn/requirements.txt": "six\n"})
	_, err := BuildDeps(t.Context(), DepsSpec{Function: "fn", RepoRoot: repo, Descriptor: "fn/requirements.txt", Runtime: "python3.12",
		Architecture: "x86_64", Builder: BuilderDocker, Image: "img", WorkDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), `builder = "docker", but no Docker engine answers`) || !strings.Contains(err.Error(), `builder = "local"`) {
		t.Errorf("err = %v", err)
	}
	if ok, _ := DockerAnswers(t.Context()); ok {
		t.Errorf("DockerAnswers with a socket that does not exist")
	}
}

// testImage is the local build image (scripts/docker.sh makes it); the
// test skips without an engine or the image, and fails with CI=true.
func testImage(t *testing.T) string {
	t.Helper()
	img := os.Getenv("LAMBDAS_TEST_BUILD_IMAGE")
	if img == "" {
		img = "lambdas-test/build-python3.11:local"
	}
	fail := t.Skipf
	if os.Getenv("CI") == "true" {
		fail = t.Fatalf
	}
	if ok, err := DockerAnswers(t.Context()); !ok {
		fail("no Docker engine answers (%v): start one with `. scripts/docker.sh; ensure_docker`", err)
	}
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ImageInspect(t.Context(), img); err != nil {
		fail("the test build image %s is missing (%v): make it with `. scripts/docker.sh; ensure_test_build_image`", img, err)
	}
	return img
}

// buildContainers lists the containers the Docker builder made for function.
func buildContainers(t *testing.T, function string) []string {
	t.Helper()
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	list, err := c.ContainerList(t.Context(), container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", "dev.lambdas.function="+function))})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ct := range list {
		ids = append(ids, ct.ID)
	}
	return ids
}

// stallingIndex points pip in the build container at a package index that
// takes connections and never answers (on the Docker bridge's gateway), so
// a build lasts until it is stopped, however fast PyPI is today.
func stallingIndex(t *testing.T) {
	t.Helper()
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	bridge, err := c.NetworkInspect(t.Context(), "bridge", network.InspectOptions{})
	if err != nil || len(bridge.IPAM.Config) == 0 || bridge.IPAM.Config[0].Gateway == "" {
		t.Fatalf("the Docker bridge network's gateway: %v %+v", err, bridge.IPAM)
	}
	gw := bridge.IPAM.Config[0].Gateway
	ln, err := net.Listen("tcp", net.JoinHostPort(gw, "0"))
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, conn)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, conn := range held {
			_ = conn.Close()
		}
	})
	url := "http://" + ln.Addr().String() + "/simple"
	t.Setenv("PIP_INDEX_URL", url)
	t.Setenv("PIP_TRUSTED_HOST", gw)
	t.Setenv("PIP_DEFAULT_TIMEOUT", "600")
}

func TestBuildDepsDocker(t *testing.T) {
	img := testImage(t)
	cases := []struct {
		name, requirements string
		timeout            time.Duration
		wantErr            string
		is                 error
		stall              bool // pip's index never answers: the build outlasts any timeout
	}{
		{name: "pip in the container, as the calling user", requirements: "-r base.txt\n"},
		{name: "a requirement that does not exist", requirements: "lambdas-test-no-such-package-7f3a==1.0\n", wantErr: "pip found no installable lambdas-test-no-such-package-7f3a==1.0"},
		{name: "past its timeout", requirements: "python-dateutil==2.9.0.post0\n", timeout: time.Second, wantErr: "timed out after 1s", is: ErrTimeout, stall: true},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.stall {
				stallingIndex(t)
			}
			function := "docker-test-" + string(rune('a'+i)) + "-" + time.Now().Format("150405.000")
			repo := depsRepo(t, map[string]string{"fn/requirements.txt": tc.requirements, "fn/base.txt": "python-dateutil==2.9.0.post0\n"})
			var log lines
			res, err := BuildDeps(t.Context(), DepsSpec{Function: function, RepoRoot: repo, Descriptor: "fn/requirements.txt", Runtime: "python3.11",
				Architecture: "x86_64", Builder: BuilderDocker, Image: img, WorkDir: t.TempDir(), Log: &log, Timeout: tc.timeout})
			if left := buildContainers(t, function); len(left) > 0 {
				t.Errorf("containers left behind: %v", left)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q\nlog:\n%s", err, tc.wantErr, log.String())
				}
				if tc.is != nil && !errors.Is(err, tc.is) {
					t.Errorf("errors.Is(err, %v) is false: %v", tc.is, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\nlog:\n%s", err, log.String())
			}
			if _, err := os.Stat(filepath.Join(res.Dir, "python", "dateutil", "parser", "_parser.py")); err != nil {
				t.Errorf("layer lacks dateutil: %v\nlog:\n%s", err, log.String())
			}
			if !strings.Contains(log.String(), "Successfully installed") {
				t.Errorf("the container's log was not streamed:\n%s", log.String())
			}
			// Every file belongs to the calling user.
			_ = filepath.WalkDir(res.Dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				fi, _ := d.Info()
				if st, ok := fi.Sys().(*syscall.Stat_t); ok && (int(st.Uid) != os.Getuid() || int(st.Gid) != os.Getgid()) {
					t.Errorf("%s is owned by %d:%d, not the calling user %d:%d", p, st.Uid, st.Gid, os.Getuid(), os.Getgid())
					return filepath.SkipAll
				}
				return nil
			})
		})
	}
}

// TestBuildDepsDockerCancel: an interrupted build stops its container and
// removes it.
func TestBuildDepsDockerCancel(t *testing.T) {
	img := testImage(t)
	stallingIndex(t)
	function := "docker-cancel-" + time.Now().Format("150405.000")
	repo := depsRepo(t, map[string]string{"fn/requirements.txt": "python-dateutil==2.9.0.post0\n"})
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(800*time.Millisecond, cancel)
	_, err := BuildDeps(ctx, DepsSpec{Function: function, RepoRoot: repo, Descriptor: "fn/requirements.txt", Runtime: "python3.11",
		Architecture: "x86_64", Builder: BuilderDocker, Image: img, WorkDir: t.TempDir()})
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want canceled", err)
	}
	if left := buildContainers(t, function); len(left) > 0 {
		t.Errorf("containers left behind: %v", left)
	}
}
