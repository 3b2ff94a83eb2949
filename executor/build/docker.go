package build

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	cerrdefs "github.com/containerd/errdefs"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// DockerAPI is the part of the Docker Engine client the Docker builder uses.
type DockerAPI interface {
	Ping(ctx context.Context) (types.Ping, error)
	ImageInspect(ctx context.Context, imageID string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
	ImagePull(ctx context.Context, ref string, options image.PullOptions) (io.ReadCloser, error)
	ContainerCreate(ctx context.Context, config *container.Config, hostConfig *container.HostConfig, networkingConfig *network.NetworkingConfig, platform *ocispec.Platform, containerName string) (container.CreateResponse, error)
	ContainerWait(ctx context.Context, containerID string, condition container.WaitCondition) (<-chan container.WaitResponse, <-chan error)
	ContainerStart(ctx context.Context, containerID string, options container.StartOptions) error
	ContainerLogs(ctx context.Context, containerID string, options container.LogsOptions) (io.ReadCloser, error)
	ContainerKill(ctx context.Context, containerID, signal string) error
	ContainerRemove(ctx context.Context, containerID string, options container.RemoveOptions) error
}

// NewDocker returns a client for the engine the environment names
// (DOCKER_HOST, DOCKER_API_VERSION, DOCKER_CERT_PATH...; the local socket
// by default), negotiating the API version with it.
func NewDocker() (DockerAPI, error) {
	return client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
}

// DockerAnswers reports whether a Docker engine answers a ping within a
// couple of seconds: what builder = "auto" decides by. err says why not.
func DockerAnswers(ctx context.Context) (bool, error) {
	c, err := NewDocker()
	if err != nil {
		return false, err
	}
	if cl, ok := c.(io.Closer); ok {
		defer cl.Close()
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := c.Ping(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// Where the Docker builder mounts things in the container.
const (
	containerSrc  = "/lambdas/src"  // the repository, read-only
	containerWork = "/lambdas/work" // the build's work folder, read-write
)

// passEnv are the variables passed from this environment into the build
// container when set: proxies and package registries, which corporate
// networks need (and a TLS-intercepting proxy's CA bundle, see caBundle).
var passEnv = []string{
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
	"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "PIP_DEFAULT_TIMEOUT",
	"NPM_CONFIG_REGISTRY", "npm_config_registry",
}

// caBundle is the host's CA bundle to give the container: LAMBDAS_CA_BUNDLE,
// or the file that PIP_CERT, SSL_CERT_FILE, REQUESTS_CA_BUNDLE or
// NODE_EXTRA_CA_CERTS names (the first set that exists); "" when none is
// set. It is mounted read-only at the same path and named to pip, npm,
// node and OpenSSL inside.
func caBundle() string {
	for _, v := range []string{"LAMBDAS_CA_BUNDLE", "PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"} {
		if p := os.Getenv(v); p != "" && filepath.IsAbs(p) {
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				return p
			}
		}
	}
	return ""
}

// dockerPlatform is the OCI platform of a Lambda architecture.
func dockerPlatform(arch string) *ocispec.Platform {
	if arch == "arm64" {
		return &ocispec.Platform{OS: "linux", Architecture: "arm64"}
	}
	return &ocispec.Platform{OS: "linux", Architecture: "amd64"}
}

// buildDepsDocker runs pip or npm in a container of s.Image: the image is
// inspected first and pulled only when missing; the repository is mounted
// read-only and the work folder read-write; the container runs as the
// calling user (no root-owned files left behind), with the proxy, registry
// and CA settings of this environment, under the build's timeout; its log
// is streamed and its tail kept for the error; it is removed in every case.
func buildDepsDocker(ctx context.Context, s DepsSpec, kind, layer string) error {
	if s.Image == "" {
		return errors.New("the docker builder needs an image (builder_image)")
	}
	d := s.Docker
	if d == nil {
		c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
		if err != nil {
			return fmt.Errorf("docker: %w", err)
		}
		defer c.Close()
		d = c
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, err := d.Ping(pctx)
	cancel()
	if err != nil {
		return fmt.Errorf("builder = \"docker\", but no Docker engine answers (%v): start Docker, or use builder = \"local\" (pip or npm on this machine, for Lambda's platform)", err)
	}
	platform := dockerPlatform(s.Architecture)
	if err := ensureImage(ctx, d, s, platform); err != nil {
		return err
	}

	script, err := dockerScript(s, kind)
	if err != nil {
		return err
	}
	repoReal, err := filepath.EvalSymlinks(s.RepoRoot)
	if err != nil {
		return err
	}
	workReal, err := filepath.EvalSymlinks(s.WorkDir)
	if err != nil {
		return err
	}
	env := []string{"HOME=/tmp", "PIP_NO_INPUT=1", "PYTHONDONTWRITEBYTECODE=1", "npm_config_update_notifier=false", "npm_config_cache=/tmp/.npm"}
	for _, k := range passEnv {
		if v, ok := os.LookupEnv(k); ok && v != "" {
			env = append(env, k+"="+v)
		}
	}
	mounts := []mount.Mount{
		{Type: mount.TypeBind, Source: repoReal, Target: containerSrc, ReadOnly: true},
		{Type: mount.TypeBind, Source: workReal, Target: containerWork},
	}
	if ca := caBundle(); ca != "" {
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: ca, Target: ca, ReadOnly: true})
		env = append(env, "PIP_CERT="+ca, "SSL_CERT_FILE="+ca, "REQUESTS_CA_BUNDLE="+ca, "NODE_EXTRA_CA_CERTS="+ca, "npm_config_cafile="+ca)
	}
	cfg := &container.Config{
		Image:      s.Image,
		Cmd:        []string{"/bin/sh", "-c", script},
		Env:        env,
		User:       fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid()),
		WorkingDir: containerWork,
		Labels:     map[string]string{"dev.lambdas.function": s.Function, "dev.lambdas.step": "build-dependencies"},
	}
	host := &container.HostConfig{Mounts: mounts}
	created, err := d.ContainerCreate(ctx, cfg, host, nil, platform, "")
	if err != nil {
		return fmt.Errorf("docker: create the build container from %s: %w", s.Image, err)
	}
	id := created.ID
	defer func() {
		// Removed in every case: success, failure, timeout, interruption.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = d.ContainerRemove(rctx, id, container.RemoveOptions{Force: true})
	}()
	// Wait is set up before Start, so that a container that ends at once is
	// not missed.
	waitC, waitErr := d.ContainerWait(context.WithoutCancel(ctx), id, container.WaitConditionNextExit)
	if err := d.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		return fmt.Errorf("docker: start the build container: %w", err)
	}
	logs, err := d.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: true})
	if err != nil {
		return fmt.Errorf("docker: read the build's log: %w", err)
	}
	tail := newTail(TailLines)
	pr, pw := io.Pipe()
	logsDone := make(chan struct{})
	go func() {
		defer close(logsDone)
		readLines(pr, s.Log, tail)
	}()
	copyDone := make(chan struct{})
	go func() {
		defer close(copyDone)
		_, _ = stdcopy.StdCopy(pw, pw, logs) // stdout and stderr, merged as for local builds
		pw.Close()
	}()
	what := fmt.Sprintf("%s in %s", map[string]string{"python": "pip install", "node": "npm " + npmArgs(s.Lockfile != "")[0]}[kind], s.Image)
	var code int64
	select {
	case w := <-waitC:
		code = w.StatusCode
		if w.Error != nil {
			return fmt.Errorf("docker: %s: %s", what, w.Error.Message)
		}
	case err := <-waitErr:
		return fmt.Errorf("docker: wait for %s: %w", what, err)
	case <-ctx.Done():
		kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		_ = d.ContainerKill(kctx, id, "KILL")
		cancel()
		logs.Close()
		<-copyDone
		<-logsDone
		return (&process{what: what}).stopped(context.Cause(ctx), tail.String())
	}
	// The log ends when the container does.
	select {
	case <-copyDone:
	case <-time.After(5 * time.Second):
		logs.Close()
		<-copyDone
	}
	<-logsDone
	logs.Close()
	if code != 0 {
		err := &procError{what: what, how: fmt.Sprintf("exited with status %d", code), tail: tail.String(), err: fmt.Errorf("exit status %d", code)}
		if kind == "python" {
			return explainPip(err, s, "the image's platform", "of the image")
		}
		return explainNpm(err, s)
	}
	return nil
}

// ensureImage inspects the image and pulls it only when it is missing.
func ensureImage(ctx context.Context, d DockerAPI, s DepsSpec, platform *ocispec.Platform) error {
	_, err := d.ImageInspect(ctx, s.Image)
	if err == nil {
		return nil
	}
	if !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("docker: inspect image %s: %w", s.Image, err)
	}
	fmt.Fprintf(s.Log, "pulling %s (not on this engine yet)\n", s.Image)
	rc, err := d.ImagePull(ctx, s.Image, image.PullOptions{Platform: platform.OS + "/" + platform.Architecture})
	if err != nil {
		return fmt.Errorf("docker: image %s is not on this engine and cannot be pulled: %w; pull or build it first, or set builder_image", s.Image, err)
	}
	defer rc.Close()
	// The pull's progress is JSON lines; an error shows up in one of them.
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var last string
	for sc.Scan() {
		var m struct {
			Status, Progress, ID string
			ErrorDetail          *struct{ Message string } `json:"errorDetail"`
		}
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		if m.ErrorDetail != nil {
			return fmt.Errorf("docker: pull %s: %s; pull or build it first, or set builder_image", s.Image, m.ErrorDetail.Message)
		}
		if line := strings.TrimSpace(m.ID + " " + m.Status); line != last && m.Progress == "" {
			fmt.Fprintln(s.Log, line)
			last = line
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("docker: pull %s: %w", s.Image, err)
	}
	return nil
}

// dockerScript is the shell command the container runs.
func dockerScript(s DepsSpec, kind string) (string, error) {
	switch kind {
	case "python":
		if _, err := PythonVersion(s.Runtime); err != nil {
			return "", err
		}
		req := containerSrc + "/" + s.Descriptor
		args := pipArgs(req, containerWork+"/layer/python")
		// The image's python3 is the runtime's (AWS SAM's images), so pip
		// picks wheels for it, and may compile what has none.
		return fmt.Sprintf("set -e; cd %s; if command -v python3 >/dev/null 2>&1; then PY=python3; else PY=python; fi; exec \"$PY\" -m pip %s",
			shellQuote(filepath.ToSlash(filepath.Dir(req))), shellJoin(args)), nil
	default:
		return fmt.Sprintf("set -e; cd %s; exec npm %s", containerWork+"/layer/nodejs", shellJoin(npmArgs(s.Lockfile != ""))), nil
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}
