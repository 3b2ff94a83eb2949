package testenv

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// moto 5 runs a function's code in Docker when it is invoked, and without
// Docker (use_docker false) it echoes the payload: neither runs the code.
// With SetLocalInvoke(true) the proxy answers Invoke itself, as Lambda
// would, by running the handler of the invoked version from its zip with
// the python3 or node installed here:
//
//   - the zips come from the CreateFunction and UpdateFunctionCode requests
//     that pass through the proxy (ZipFile, or S3Bucket/S3Key read back from
//     moto's S3), kept by CodeSha256; a version runs the zip of its
//     CodeSha256 (moto shares $LATEST's code record between versions, so
//     its Code.Location cannot be trusted);
//   - an alias qualifier is resolved as Lambda routes it: its version, or
//     its additional version with the weight's probability
//     (X-Amz-Executed-Version says which);
//   - runtimes python3.x (module.function) and nodejs* (file.export, .mjs,
//     .js or .cjs, CommonJS or ESM, async or callback); the function's
//     environment, timeout (Sandbox.Timedout), AWS_LAMBDA_FUNCTION_NAME and
//     AWS_LAMBDA_FUNCTION_VERSION; a thrown error is FunctionError
//     "Unhandled" with Lambda's {"errorType","errorMessage","stackTrace"};
//     LogType Tail gives X-Amz-Log-Result;
//   - the output goes to moto's CloudWatch Logs as Lambda writes it: log
//     group /aws/lambda/NAME, stream YYYY/MM/DD/[VERSION]id, START RequestId:
//     … Version: N, the lines, END, REPORT.
//
// Other runtimes (provided.*) answer 500 ServiceException.

// SetLocalInvoke makes the proxy answer Invoke by running the handler
// locally (see above). The zips of functions created or updated before it
// was set are not known.
func (p *FaultProxy) SetLocalInvoke(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on && p.invoker == nil {
		p.invoker = &localInvoker{target: p.target.String(), zips: map[string][]byte{}, dirs: map[string]string{}, streams: map[string]string{}}
	}
	if !on && p.invoker != nil {
		p.invoker.close()
		p.invoker = nil
	}
}

func (p *FaultProxy) localInvoker() *localInvoker {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.invoker
}

type localInvoker struct {
	target string

	mu      sync.Mutex
	zips    map[string][]byte // CodeSha256 → zip
	dirs    map[string]string // CodeSha256 → extracted folder
	streams map[string]string // "function:version" → log stream
	root    string
}

func (li *localInvoker) close() {
	li.mu.Lock()
	defer li.mu.Unlock()
	if li.root != "" {
		_ = os.RemoveAll(li.root)
	}
}

func (li *localInvoker) config(region string) aws.Config {
	if region == "" {
		region = DefaultRegion
	}
	return aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""), BaseEndpoint: aws.String(li.target)}
}

// capture keeps the zip of a CreateFunction or UpdateFunctionCode request
// (before it is forwarded).
func (li *localInvoker) capture(r *http.Request, info reqInfo) {
	body, ok := readBody(r, maxInspectBody)
	if !ok || len(body) == 0 {
		return
	}
	var req struct {
		ZipFile         []byte
		S3Bucket, S3Key string
		Code            *struct {
			ZipFile         []byte
			S3Bucket, S3Key string
		}
	}
	if json.Unmarshal(body, &req) != nil {
		return
	}
	if c := req.Code; c != nil {
		req.ZipFile, req.S3Bucket, req.S3Key = c.ZipFile, c.S3Bucket, c.S3Key
	}
	data := req.ZipFile
	if len(data) == 0 && req.S3Bucket != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := s3.NewFromConfig(li.config(info.region), func(o *s3.Options) { o.UsePathStyle, o.DisableLogOutputChecksumValidationSkipped = true, true }).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(req.S3Bucket), Key: aws.String(req.S3Key)})
		if err != nil {
			return
		}
		defer out.Body.Close()
		if data, err = io.ReadAll(io.LimitReader(out.Body, maxInspectBody)); err != nil {
			return
		}
	}
	if len(data) == 0 {
		return
	}
	sum := sha256.Sum256(data)
	li.mu.Lock()
	li.zips[base64.StdEncoding.EncodeToString(sum[:])] = data
	li.mu.Unlock()
}

// invokeResult is what the runner writes.
type invokeResult struct {
	OK           bool            `json:"ok"`
	Result       json.RawMessage `json:"result"`
	ErrorType    string          `json:"errorType"`
	ErrorMessage string          `json:"errorMessage"`
	StackTrace   []string        `json:"stackTrace"`
}

// serve answers an Invoke.
func (li *localInvoker) serve(w http.ResponseWriter, r *http.Request, info reqInfo) {
	ctx := r.Context()
	payload, ok := readBody(r, 6<<20+1)
	if !ok || len(payload) > 6<<20 {
		apiError{Status: 413, Code: "RequestTooLargeException", Message: "Request must be smaller than 6291456 bytes for the InvokeFunction operation"}.write(w, info.proto)
		return
	}
	cfg := li.config(info.region)
	lc := lambda.NewFromConfig(cfg)
	qualifier := info.qualifier
	if qualifier == "" {
		qualifier = "$LATEST"
	}
	if qualifier != "$LATEST" && !isVersionNumber(qualifier) {
		a, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(info.function), Name: aws.String(qualifier)})
		if err != nil {
			apiError{Status: 404, Code: CodeResourceNotFound, Message: fmt.Sprintf("Function not found: %s:%s", info.function, qualifier)}.write(w, info.proto)
			return
		}
		qualifier = aws.ToString(a.FunctionVersion)
		if rc := a.RoutingConfig; rc != nil {
			for v, weight := range rc.AdditionalVersionWeights {
				if mrand.Float64() < weight {
					qualifier = v
				}
			}
		}
	}
	got, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(info.function), Qualifier: aws.String(qualifier)})
	if err != nil || got.Configuration == nil {
		apiError{Status: 404, Code: CodeResourceNotFound, Message: fmt.Sprintf("Function not found: %s:%s", info.function, qualifier)}.write(w, info.proto)
		return
	}
	c := got.Configuration
	version := aws.ToString(c.Version)
	dir, err := li.codeDir(aws.ToString(c.CodeSha256))
	if err != nil {
		apiError{Status: 500, Code: "ServiceException", Message: "testenv local invoke: " + err.Error()}.write(w, info.proto)
		return
	}
	reqID := newUUID()
	start := time.Now()
	res, logs, err := run(ctx, dir, c, version, reqID, payload)
	if err != nil {
		apiError{Status: 500, Code: "ServiceException", Message: "testenv local invoke: " + err.Error()}.write(w, info.proto)
		return
	}
	took := time.Since(start)
	li.writeLogs(cfg, info.function, version, reqID, logs, took)

	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amz-Executed-Version", version)
	h.Set("X-Amzn-Requestid", reqID)
	body := []byte(res.Result)
	if !res.OK {
		h.Set("X-Amz-Function-Error", "Unhandled")
		body, _ = json.Marshal(map[string]any{"errorType": res.ErrorType, "errorMessage": res.ErrorMessage, "stackTrace": res.StackTrace})
	}
	if len(body) == 0 {
		body = []byte("null")
	}
	if r.Header.Get("X-Amz-Log-Type") == "Tail" {
		tail := strings.Join(logs, "\n")
		if len(tail) > 4096 {
			tail = tail[len(tail)-4096:]
		}
		h.Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString([]byte(tail)))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// codeDir extracts the zip of sha once.
func (li *localInvoker) codeDir(sha string) (string, error) {
	li.mu.Lock()
	defer li.mu.Unlock()
	if d, ok := li.dirs[sha]; ok {
		return d, nil
	}
	data, ok := li.zips[sha]
	if !ok {
		return "", fmt.Errorf("no code for CodeSha256 %s: the proxy runs only code created or updated through it after SetLocalInvoke", sha)
	}
	if li.root == "" {
		root, err := os.MkdirTemp("", "testenv-invoke-")
		if err != nil {
			return "", err
		}
		li.root = root
	}
	sum := sha256.Sum256([]byte(sha))
	dir := filepath.Join(li.root, hex.EncodeToString(sum[:8]))
	if err := unzipTo(data, dir); err != nil {
		return "", fmt.Errorf("unzip the code of %s: %w", sha, err)
	}
	li.dirs[sha] = dir
	return dir, nil
}

func unzipTo(data []byte, dir string) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	for _, f := range zr.File {
		name := filepath.FromSlash(f.Name)
		if strings.Contains(f.Name, "..") || filepath.IsAbs(name) {
			return fmt.Errorf("unsafe path %q in the zip", f.Name)
		}
		p := filepath.Join(dir, name)
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		b, err := io.ReadAll(io.LimitReader(rc, 256<<20))
		rc.Close()
		if err != nil {
			return err
		}
		if err := os.WriteFile(p, b, f.Mode().Perm()|0o600); err != nil {
			return err
		}
	}
	return nil
}

// run runs the handler in a child process: the event on stdin, the result
// in a file, stdout and stderr as the log lines.
func run(ctx context.Context, dir string, c *types.FunctionConfiguration, version, reqID string, payload []byte) (invokeResult, []string, error) {
	runtime := string(c.Runtime)
	var name, script string
	switch {
	case strings.HasPrefix(runtime, "python"):
		name, script = "python3", pythonRunner
	case strings.HasPrefix(runtime, "nodejs"):
		name, script = "node", nodeRunner
	default:
		return invokeResult{}, nil, fmt.Errorf("runtime %q cannot run locally (python3.x and nodejs only)", runtime)
	}
	tmp, err := os.MkdirTemp("", "testenv-run-")
	if err != nil {
		return invokeResult{}, nil, err
	}
	defer os.RemoveAll(tmp)
	runner := filepath.Join(tmp, "runner")
	if name == "node" {
		runner += ".cjs"
	} else {
		runner += ".py"
	}
	resultFile := filepath.Join(tmp, "result.json")
	if err := os.WriteFile(runner, []byte(script), 0o644); err != nil {
		return invokeResult{}, nil, err
	}
	timeout := 3 * time.Second
	if t := aws.ToInt32(c.Timeout); t > 0 {
		timeout = time.Duration(t) * time.Second
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(rctx, name, runner, dir, aws.ToString(c.Handler), resultFile)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(payload)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + tmp, "LANG=C.UTF-8",
		"AWS_LAMBDA_FUNCTION_NAME=" + aws.ToString(c.FunctionName), "AWS_LAMBDA_FUNCTION_VERSION=" + version,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(int(aws.ToInt32(c.MemorySize))), "LAMBDA_TASK_ROOT=" + dir,
		"AWS_REQUEST_ID=" + reqID, "PYTHONDONTWRITEBYTECODE=1", "PYTHONPATH=" + dir, "NODE_PATH=" + filepath.Join(dir, "node_modules")}
	if e := c.Environment; e != nil {
		for k, v := range e.Variables {
			env = append(env, k+"="+v)
		}
	}
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()
	logs := splitLines(out.String())
	if rctx.Err() == context.DeadlineExceeded {
		msg := fmt.Sprintf("Task timed out after %.2f seconds", timeout.Seconds())
		return invokeResult{ErrorType: "Sandbox.Timedout", ErrorMessage: msg}, append(logs, msg), nil
	}
	data, err := os.ReadFile(resultFile)
	if err != nil {
		why := "the runtime exited without an answer"
		if runErr != nil {
			why += ": " + runErr.Error()
		}
		return invokeResult{ErrorType: "Runtime.ExitError", ErrorMessage: why}, logs, nil
	}
	var res invokeResult
	if err := json.Unmarshal(data, &res); err != nil {
		return invokeResult{ErrorType: "Runtime.MarshalError", ErrorMessage: err.Error()}, logs, nil
	}
	return res, logs, nil
}

func splitLines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// writeLogs puts an invocation's lines in moto's CloudWatch Logs as Lambda
// writes them (best effort: a failure loses the lines, not the answer).
func (li *localInvoker) writeLogs(cfg aws.Config, function, version, reqID string, lines []string, took time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lc := cloudwatchlogs.NewFromConfig(cfg)
	group := "/aws/lambda/" + function
	key := function + ":" + version
	li.mu.Lock()
	stream, ok := li.streams[key]
	li.mu.Unlock()
	if !ok {
		_, err := lc.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)})
		var exists *logtypes.ResourceAlreadyExistsException
		if err != nil && !errors.As(err, &exists) {
			return
		}
		var b [16]byte
		_, _ = rand.Read(b[:])
		stream = fmt.Sprintf("%s/[%s]%s", time.Now().UTC().Format("2006/01/02"), version, hex.EncodeToString(b[:]))
		if _, err := lc.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
			return
		}
		li.mu.Lock()
		li.streams[key] = stream
		li.mu.Unlock()
	}
	ms := math.Ceil(float64(took.Microseconds()) / 1000)
	msgs := append([]string{fmt.Sprintf("START RequestId: %s Version: %s", reqID, version)}, lines...)
	msgs = append(msgs, "END RequestId: "+reqID, fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %.0f ms", reqID, float64(took.Microseconds())/1000, ms))
	now := time.Now().UnixMilli()
	events := make([]logtypes.InputLogEvent, len(msgs))
	for i, m := range msgs {
		events[i] = logtypes.InputLogEvent{Message: aws.String(m), Timestamp: aws.Int64(now)}
	}
	_, _ = lc.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: events})
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

const pythonRunner = `import importlib, json, sys, time, traceback
code_dir, handler, result_path = sys.argv[1:4]
sys.path.insert(0, code_dir)
module, _, name = handler.rpartition(".")

class Context:
    def __init__(self):
        import os
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.aws_request_id = os.environ.get("AWS_REQUEST_ID")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self._start = time.time()
    def get_remaining_time_in_millis(self):
        return 3000

def write(obj):
    with open(result_path, "w") as f:
        json.dump(obj, f)

try:
    raw = sys.stdin.read()
    event = json.loads(raw) if raw else None
    fn = getattr(importlib.import_module(module.replace("/", ".")), name)
    result = fn(event, Context())
    try:
        out = json.dumps(result)
    except Exception as e:
        write({"ok": False, "errorType": "Runtime.MarshalError", "errorMessage": "Unable to marshal response: " + str(e)})
    else:
        with open(result_path, "w") as f:
            f.write('{"ok": true, "result": ' + out + '}')
except Exception as e:
    traceback.print_exc()
    write({"ok": False, "errorType": type(e).__name__, "errorMessage": str(e), "stackTrace": traceback.format_exc().splitlines()})
`

const nodeRunner = `'use strict';
const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');
const [codeDir, handler, resultPath] = process.argv.slice(2);
const dot = handler.lastIndexOf('.');
const modPath = handler.slice(0, dot);
const name = handler.slice(dot + 1);
const write = (o) => fs.writeFileSync(resultPath, JSON.stringify(o));
function find() {
  for (const ext of ['.mjs', '.js', '.cjs']) {
    const f = path.join(codeDir, modPath + ext);
    if (fs.existsSync(f)) return f;
  }
  const e = new Error("Cannot find module '" + modPath + "'");
  e.name = 'Runtime.ImportModuleError';
  throw e;
}
(async () => {
  try {
    const raw = fs.readFileSync(0, 'utf8');
    const event = raw ? JSON.parse(raw) : null;
    const mod = await import(pathToFileURL(find()).href);
    const fn = mod[name] ?? (mod.default && mod.default[name]);
    if (typeof fn !== 'function') {
      const e = new Error(modPath + '.' + name + ' is undefined or not exported');
      e.name = 'Runtime.HandlerNotFound';
      throw e;
    }
    const context = {
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      awsRequestId: process.env.AWS_REQUEST_ID,
      getRemainingTimeInMillis: () => 3000,
    };
    const result = await new Promise((resolve, reject) => {
      const r = fn(event, context, (err, res) => (err ? reject(err) : resolve(res)));
      if (r && typeof r.then === 'function') r.then(resolve, reject);
      else if (fn.length < 3) resolve(r);
    });
    write({ ok: true, result: result === undefined ? null : result });
  } catch (e) {
    console.error(e && e.stack ? e.stack : String(e));
    write({ ok: false, errorType: (e && e.name) || 'Error', errorMessage: (e && e.message) || String(e),
      stackTrace: String((e && e.stack) || '').split('\n') });
  }
})();
`
