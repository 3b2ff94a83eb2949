package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Rule makes the proxy answer matching requests itself instead of moto.
// Empty match fields match anything.
type Rule struct {
	Service   string // SigV4 service: "lambda", "s3", "iam", "monitoring", "logs", ...
	Operation string // e.g. "PublishVersion", "UpdateFunctionCode", "PutObject", "CreateRole"
	Function  string // Lambda function name; an ARN is reduced to the name

	// Times is how many matching requests the rule applies to; 0 means every
	// one until Reset or the remove func that Inject returned.
	Times int

	// Status, if not 0, is the HTTP status to answer with, as an AWS error of
	// the service's wire shape (Lambda: X-Amzn-ErrorType + {"Type","message"}).
	Status  int
	Code    string // error code; default from Status (409 → ResourceConflictException, 5xx → ServiceException, ...)
	Message string // default: a fitting AWS message

	// Drop closes the connection without an answer; moto never sees the
	// request. The SDK sees a network error.
	Drop bool
	// DropResponse forwards the request to moto and then closes the connection
	// instead of answering: the change is made but the client does not know.
	DropResponse bool
	// HoldResponse forwards the request to moto and holds the answer this
	// long before sending it (or until the client goes): the change is
	// made and recorded (AliasMoves) while the client still waits, which
	// is where a test kills it to crash between a call and its record.
	HoldResponse time.Duration

	// Delay waits before acting (answering, dropping or forwarding). A rule
	// with only a Delay slows matching requests down.
	Delay time.Duration
}

// Request is one request seen by the proxy.
type Request struct {
	Time      time.Time // arrival
	Method    string
	Path      string
	Service   string
	Region    string
	Operation string // "" if not recognised
	Function  string // Lambda function name, "" if none
	Qualifier string
	Mutating  bool   // a Lambda request that is not a GET (nor an Invoke)
	Bucket    string // Lambda quota bucket (BucketControlPlane, ...); "" for Invoke and non-Lambda requests
	Status    int    // final status sent; 0 if the connection was dropped
	Injected  bool   // answered or dropped by the proxy rather than moto
	Code      string // the error code the proxy injected, if Injected
	Duration  time.Duration
}

// Counts summarises the requests since the start or the last Reset.
type Counts struct {
	Total int `json:"total_requests"`
	// Mutating counts mutating Lambda requests received, rejected ones included.
	Mutating int `json:"mutating_requests"`
	// MutatingForwarded counts those that reached moto.
	MutatingForwarded   int            `json:"mutating_forwarded"`
	MutatingByOperation map[string]int `json:"mutating_by_operation"`
	// InjectedByCode counts answers made by the proxy, by error code ("drop"
	// for dropped connections).
	InjectedByCode map[string]int `json:"injected_by_code"`
	// Throttled counts the 429s answered by a ceiling: a bucket's quota
	// (SetQuota) or the mutating ceiling. 429s injected by rules are not in
	// it (they are in InjectedByCode).
	Throttled int `json:"throttled_429"`
	// MaxMutatingPerSecond is the most mutating requests forwarded to moto
	// within any 1-second window, timed when they passed the ceilings.
	MaxMutatingPerSecond int `json:"max_mutating_in_1s"`

	// Buckets has one entry per quota bucket (all of QuotaBuckets, counted
	// whether or not a quota is set).
	Buckets map[string]BucketCounts `json:"buckets"`
	// ByOperation counts every Lambda request received, by operation
	// ("METHOD /path" when not recognised), rejected ones included.
	ByOperation map[string]int `json:"by_operation"`
}

// BucketCounts are the counts of one quota bucket.
type BucketCounts struct {
	// Requests received, rejected ones included.
	Requests int `json:"requests"`
	// Forwarded: those that reached moto (not throttled, not answered by a
	// rule, a 409 window or a strict check).
	Forwarded int `json:"forwarded"`
	// Throttled: the 429s answered because this bucket's quota was full.
	Throttled int `json:"throttled_429"`
	// MaxPerSecond is the most forwarded requests within any 1-second window
	// (t-1s, t], timed when they passed the ceilings. With a quota of rps it
	// never exceeds rps.
	MaxPerSecond int `json:"max_in_1s"`
}

// AliasMove is a successful CreateAlias or UpdateAlias, as moto answered it.
type AliasMove struct {
	Time                     time.Time
	Operation                string // CreateAlias or UpdateAlias
	Function                 string
	Alias                    string
	FunctionVersion          string
	AdditionalVersionWeights map[string]float64
	// CodeSha256 of FunctionVersion as moto reports it (GetFunction with
	// Qualifier=FunctionVersion, right after the move); "" if that failed.
	CodeSha256 string
	// PendingVersions are those of FunctionVersion and the additional
	// version that the proxy still reported as Pending when the alias moved
	// (SetVersionPendingPolls); nil if none. The proxy does not refuse such a
	// move, it records it: a tool should wait for Active first.
	PendingVersions []string
}

// FaultProxy is a reverse proxy in front of moto that injects what moto does
// not simulate. All methods are safe for concurrent use and may be called
// while requests are in flight.
type FaultProxy struct {
	target    *url.URL
	rp        *httputil.ReverseProxy
	transport *http.Transport
	srv       *http.Server
	url       string
	now       func() time.Time

	mu           sync.Mutex
	latency      time.Duration
	mutCeil      ceiling             // SetMutatingCeiling
	quotas       map[string]*ceiling // bucket → SetQuota
	mutPeak      peak                // forwarded mutating requests, for MaxMutatingPerSecond
	peaks        map[string]*peak    // bucket → forwarded requests, for MaxPerSecond
	polls        int
	versionPolls int
	strict       bool
	rules        []*ruleState
	windows      map[string]*updateWindow // function name → Pending/InProgress window
	versions     map[string]int           // "function:version" → Pending polls left
	funcRev      map[string]string        // strict: function name → RevisionId of $LATEST
	aliasRev     map[string]string        // strict: "function/alias" → RevisionId
	keepLog      bool
	log          []Request
	counts       Counts
	moves        []AliasMove
	invoker      *localInvoker // SetLocalInvoke (invoke.go)
}

type ruleState struct {
	Rule
	left int // -1: unlimited
}

type updateWindow struct {
	pending bool // after CreateFunction: State Pending; else LastUpdateStatus InProgress
	left    int  // polls still to rewrite
	arn     string
}

// NewFaultProxy starts a FaultProxy on a free loopback port in front of
// target (moto's endpoint) and closes it in t.Cleanup.
func NewFaultProxy(t testing.TB, target string) *FaultProxy {
	t.Helper()
	p, err := ListenFaultProxy("127.0.0.1:0", target)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// ListenFaultProxy starts a FaultProxy listening on addr (host:port) in front
// of target. Use it outside tests (cmd/faultproxy); Close stops it.
func ListenFaultProxy(addr, target string) (*FaultProxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("fault proxy: target %q is not an absolute URL", target)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fault proxy: %w", err)
	}
	p := &FaultProxy{
		target: u,
		// No proxy from the environment, and no transparent gzip: the
		// proxy rewrites some answers and forwards the rest byte for byte.
		transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true,
		},
		url: "http://" + ln.Addr().String(),
	}
	p.init()
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			// Keep the Host the client signed. moto does not check
			// signatures, but a proxy must not break them.
			pr.Out.Host = pr.In.Host
		},
		Transport:      p.transport,
		FlushInterval:  -1, // stream answers as they come (event streams, large GETs)
		ModifyResponse: p.modifyResponse,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "testenv fault proxy: %v", err)
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 30 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// init sets up the state of a new proxy (not its server).
func (p *FaultProxy) init() {
	p.now = time.Now
	p.windows = map[string]*updateWindow{}
	p.versions = map[string]int{}
	p.funcRev = map[string]string{}
	p.aliasRev = map[string]string{}
	p.keepLog = true
	p.quotas = map[string]*ceiling{}
	p.peaks = map[string]*peak{}
	for _, b := range QuotaBuckets() {
		p.quotas[b] = &ceiling{}
		p.peaks[b] = &peak{}
	}
	p.counts = newCounts()
}

func newCounts() Counts {
	c := Counts{
		MutatingByOperation: map[string]int{}, InjectedByCode: map[string]int{},
		Buckets: map[string]BucketCounts{}, ByOperation: map[string]int{},
	}
	for _, b := range QuotaBuckets() {
		c.Buckets[b] = BucketCounts{}
	}
	return c
}

// URL is the proxy's base URL, http://127.0.0.1:PORT: use it as BaseEndpoint.
func (p *FaultProxy) URL() string { return p.url }

// Close stops the proxy and drops open connections.
func (p *FaultProxy) Close() {
	p.SetLocalInvoke(false)
	_ = p.srv.Close()
	p.transport.CloseIdleConnections()
}

// Inject adds a rule. Rules are tried in the order they were added; the first
// that matches and has Times left is used. The returned func removes it.
func (p *FaultProxy) Inject(r Rule) (remove func()) {
	if r.Function != "" {
		r.Function, _ = splitFunction(r.Function)
	}
	rs := &ruleState{Rule: r, left: r.Times}
	if r.Times <= 0 {
		rs.left = -1
	}
	p.mu.Lock()
	p.rules = append(p.rules, rs)
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.rules = slices.DeleteFunc(p.rules, func(x *ruleState) bool { return x == rs })
	}
}

// SetLatency adds d to every request (before anything else happens to it).
func (p *FaultProxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	p.latency = d
	p.mu.Unlock()
}

// SetMutatingCeiling limits mutating Lambda requests (not GETs, not
// Invokes), from all clients together, to rps per second; 0 removes the
// limit. Requests over it get 429 TooManyRequestsException (Reason
// CallerRateLimitExceeded). Same sliding window as SetQuota, and it applies
// on top of the bucket quotas.
//
// Deprecated: AWS has no quota on mutating calls: reads and writes share the
// control-plane bucket. Use SetQuota or SetAWSQuotas; this stays for the
// callers and benchmarks written against the old model.
func (p *FaultProxy) SetMutatingCeiling(rps float64) {
	p.mu.Lock()
	p.mutCeil.set(rps)
	p.mu.Unlock()
}

// SetInProgressPolls makes updates take time, as on AWS: after each
// successful CreateFunction, UpdateFunctionCode or UpdateFunctionConfiguration
// of a function, its next n GetFunction / GetFunctionConfiguration answers
// ($LATEST) say State Pending (after a create) or LastUpdateStatus InProgress
// (after an update), and meanwhile UpdateFunctionCode,
// UpdateFunctionConfiguration and PublishVersion of it get 409
// ResourceConflictException. The create/update answers themselves say
// Pending/InProgress too. n = 0 turns this off.
func (p *FaultProxy) SetInProgressPolls(n int) {
	p.mu.Lock()
	p.polls = max(n, 0)
	if n <= 0 {
		clear(p.windows)
	}
	p.mu.Unlock()
}

// SetStrict turns on the checks AWS makes and moto does not:
//   - PublishVersion whose CodeSha256 differs from $LATEST's: 412
//     PreconditionFailedException (the current one is read from moto);
//   - CreateAlias/UpdateAlias whose RoutingConfig has a weight outside
//     [0, 1], more than one additional version, an additional version that is
//     not a version number or equals the primary one, or whose primary
//     version is $LATEST while it has routing: 400
//     InvalidParameterValueException. (An alias on $LATEST without routing is
//     legal on AWS and passes; AliasMoves shows it.)
//   - RevisionId: moto returns none for functions and never changes an
//     alias's. The proxy keeps its own: a new one after every successful
//     create/update of a function ($LATEST) or alias, written into the answers
//     of those calls and of GetFunction, GetFunctionConfiguration, GetAlias and
//     ListAliases. A RevisionId sent with UpdateFunctionCode,
//     UpdateFunctionConfiguration, PublishVersion or UpdateAlias that is not
//     the latest: 412 PreconditionFailedException.
//   - DeleteFunction of a version that an alias points to (also as the
//     additional version): 409 ResourceConflictException.
func (p *FaultProxy) SetStrict(on bool) {
	p.mu.Lock()
	p.strict = on
	p.mu.Unlock()
}

// SetRequestLog turns the per-request log on (the default) or off; Counts
// are kept either way. Long benchmarks turn it off to bound memory.
func (p *FaultProxy) SetRequestLog(on bool) {
	p.mu.Lock()
	p.keepLog = on
	p.mu.Unlock()
}

// Reset clears the request log, the counts, the rules, the alias moves, the
// ceilings' windows and any Pending/InProgress windows. Settings (latency,
// quotas, ceiling, polls, strict) stay, and so do the RevisionIds of strict
// mode: they are the state of the emulated world, like moto's.
func (p *FaultProxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
	p.log = nil
	p.counts = newCounts()
	p.mutPeak = peak{}
	p.mutCeil.admitted = nil
	for _, b := range QuotaBuckets() {
		p.quotas[b].admitted = nil
		p.peaks[b] = &peak{}
	}
	p.moves = nil
	clear(p.windows)
	clear(p.versions)
}

// Requests returns the requests seen so far, in order of arrival.
func (p *FaultProxy) Requests() []Request {
	p.mu.Lock()
	out := slices.Clone(p.log)
	p.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// Counts returns a summary of the requests seen so far.
func (p *FaultProxy) Counts() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.counts
	c.MutatingByOperation = cloneMap(p.counts.MutatingByOperation)
	c.InjectedByCode = cloneMap(p.counts.InjectedByCode)
	c.Buckets = cloneMap(p.counts.Buckets)
	c.ByOperation = cloneMap(p.counts.ByOperation)
	return c
}

// AliasMoves returns the successful CreateAlias/UpdateAlias calls, in order.
// Recorded whether or not strict mode is on.
func (p *FaultProxy) AliasMoves() []AliasMove {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := slices.Clone(p.moves)
	for i := range out {
		out[i].AdditionalVersionWeights = cloneMap(out[i].AdditionalVersionWeights)
		out[i].PendingVersions = slices.Clone(out[i].PendingVersions)
	}
	return out
}

func cloneMap[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// ctxKey carries the request's reqInfo to modifyResponse.
type ctxKey struct{}

// ServeHTTP handles one request: latency, ceiling, rules, in-progress
// conflicts, strict checks, then forwarding. Exported so the proxy can be
// mounted in another server.
func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := p.now()
	info := classify(r)
	entry := Request{
		Time: start, Method: r.Method, Path: r.URL.Path,
		Service: info.service, Region: info.region, Operation: info.operation,
		Function: info.function, Qualifier: info.qualifier, Mutating: info.mutating,
		Bucket: info.bucket,
	}
	var adm admission
	// The request is logged as soon as its status is sent, before the body:
	// a client that has its answer finds the request in Requests() and
	// Counts(). Dropped and abandoned requests are logged on the way out.
	var once sync.Once
	finish := func(status int) {
		once.Do(func() {
			entry.Status = status
			entry.Duration = p.now().Sub(start)
			p.record(entry, adm)
		})
	}
	rec := &statusRecorder{ResponseWriter: w, onStatus: finish}
	defer finish(0)

	p.mu.Lock()
	latency, strict := p.latency, p.strict
	p.mu.Unlock()
	if !sleep(r.Context(), latency) {
		return
	}

	if adm = p.admit(info); !adm.ok {
		entry.Injected, entry.Code = true, CodeTooManyRequests
		apiError{Status: http.StatusTooManyRequests, Code: CodeTooManyRequests, Message: "Rate exceeded", Reason: "CallerRateLimitExceeded"}.write(rec, info.proto)
		return
	}

	dropAfter, hold := false, time.Duration(0)
	if rule, ok := p.matchRule(info); ok {
		if !sleep(r.Context(), rule.Delay) {
			return
		}
		switch {
		case rule.Drop:
			entry.Injected, entry.Code = true, CodeDropped
			finish(0)
			dropConn(rec)
			return
		case rule.Status != 0:
			e := apiError{Status: rule.Status, Code: rule.Code, Message: rule.Message}
			if e.Code == "" {
				e.Code = defaultCode(e.Status)
			}
			if e.Message == "" {
				e.Message = defaultMessage(e.Code)
			}
			if e.Code == CodeTooManyRequests {
				e.Reason = "CallerRateLimitExceeded"
			}
			entry.Injected, entry.Code = true, e.Code
			e.write(rec, info.proto)
			return
		}
		dropAfter, hold = rule.DropResponse, rule.HoldResponse
	}

	if info.service == "lambda" {
		if e, busy := p.conflict(info); busy {
			entry.Injected, entry.Code = true, e.Code
			e.write(rec, info.proto)
			return
		}
		if strict {
			if e, bad := p.strictCheck(r, info); bad {
				entry.Injected, entry.Code = true, e.Code
				e.write(rec, info.proto)
				return
			}
		}
	}

	if li := p.localInvoker(); li != nil && info.service == "lambda" { // invoke.go
		switch info.operation {
		case "Invoke":
			li.serve(rec, r, info)
			return
		case "CreateFunction", "UpdateFunctionCode":
			li.capture(r, info)
		}
	}
	if info.service == "lambda" && info.operation == "PublishVersion" {
		// Whether PublishVersion makes a new version (Pending) or returns
		// the last one (nothing changed) shows only against the versions
		// there were before.
		info.before = p.versionsBefore(r, info)
	}
	p.noteForwarded(info, adm.at)
	if needsBody(info) {
		// The answer is read and maybe rewritten: ask for it uncompressed.
		r.Header.Del("Accept-Encoding")
	}
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, info))
	if dropAfter {
		p.rp.ServeHTTP(&discardWriter{h: http.Header{}}, r)
		entry.Injected, entry.Code = true, CodeDropped
		finish(0)
		dropConn(rec)
		return
	}
	if hold > 0 {
		held := &heldWriter{h: http.Header{}}
		p.rp.ServeHTTP(held, r)
		if !sleep(r.Context(), hold) {
			return
		}
		held.sendTo(rec)
		return
	}
	p.rp.ServeHTTP(rec, r)
}

// heldWriter keeps moto's answer of a HoldResponse request until it is sent.
type heldWriter struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (w *heldWriter) Header() http.Header         { return w.h }
func (w *heldWriter) Write(b []byte) (int, error) { return w.body.Write(b) }
func (w *heldWriter) WriteHeader(status int)      { w.status = status }

func (w *heldWriter) sendTo(rw http.ResponseWriter) {
	for k, v := range w.h {
		rw.Header()[k] = v
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	rw.WriteHeader(w.status)
	_, _ = rw.Write(w.body.Bytes())
}

// sleep waits d or until ctx ends; false if ctx ended (client gone).
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (p *FaultProxy) matchRule(info reqInfo) (Rule, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, rs := range p.rules {
		if (rs.Service != "" && rs.Service != info.service) ||
			(rs.Operation != "" && rs.Operation != info.operation) ||
			(rs.Function != "" && rs.Function != info.function) {
			continue
		}
		if rs.left > 0 {
			rs.left--
			if rs.left == 0 {
				p.rules = slices.Delete(p.rules, i, i+1)
			}
		}
		return rs.Rule, true
	}
	return Rule{}, false
}

// conflict answers 409 to an update or publish of a function that is still
// Pending or InProgress.
func (p *FaultProxy) conflict(info reqInfo) (apiError, bool) {
	switch info.operation {
	case "UpdateFunctionCode", "UpdateFunctionConfiguration", "PublishVersion":
	default:
		return apiError{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	w := p.windows[info.function]
	if w == nil || w.left <= 0 {
		return apiError{}, false
	}
	msg := "The operation cannot be performed at this time. An update is in progress for resource: " + w.arn
	if w.pending {
		msg = "The operation cannot be performed at this time. The function is currently in the following state: Pending"
	}
	return apiError{Status: http.StatusConflict, Code: CodeResourceConflict, Message: msg}, true
}

// needsBody says whether modifyResponse reads the answer of this request.
func needsBody(info reqInfo) bool {
	if info.service != "lambda" {
		return false
	}
	switch info.operation {
	case "CreateFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration",
		"GetFunction", "GetFunctionConfiguration", "PublishVersion",
		"CreateAlias", "UpdateAlias", "GetAlias", "ListAliases",
		"DeleteFunction", "DeleteAlias":
		return true
	}
	return false
}

// modifyResponse opens Pending/InProgress windows and rewrites the answers
// inside them, keeps RevisionIds and answers no-op publishes in strict mode,
// and records alias moves. It runs before the client gets the answer, so what
// it records is there when the SDK call returns.
func (p *FaultProxy) modifyResponse(resp *http.Response) error {
	info, _ := resp.Request.Context().Value(ctxKey{}).(reqInfo)
	if !needsBody(info) || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil
	}
	p.mu.Lock()
	polls, versionPolls, strict := p.polls, p.versionPolls, p.strict
	p.mu.Unlock()

	switch info.operation {
	case "DeleteFunction":
		p.forget(info.function, info.qualifier)
		return nil
	case "DeleteAlias":
		p.mu.Lock()
		delete(p.aliasRev, info.function+"/"+info.alias)
		p.mu.Unlock()
		return nil
	}

	m, _, err := readJSON(resp)
	if err != nil {
		return nil // not JSON: leave it alone
	}
	changed := false
	switch info.operation {
	case "GetFunction", "GetFunctionConfiguration":
		cfg := m
		if info.operation == "GetFunction" {
			if cfg, _ = m["Configuration"].(map[string]any); cfg == nil {
				return nil
			}
		}
		if info.qualifier == "" || info.qualifier == "$LATEST" {
			if pending, busy := p.poll(info.function); busy {
				markBusy(cfg, pending)
				changed = true
			}
			if strict {
				cfg["RevisionId"] = p.functionRev(info.function, false)
				changed = true
			}
			break
		}
		// A version, or an alias: moto answers with the version it
		// resolves to.
		if v, _ := cfg["Version"].(string); isVersionNumber(v) && p.pollVersion(info.function, v) {
			markVersionPending(cfg)
			changed = true
		}
	case "PublishVersion":
		v, _ := m["Version"].(string)
		if versionPolls > 0 && isVersionNumber(v) && !info.before[v] {
			p.openVersionWindow(info.function, v, versionPolls)
			markVersionPending(m)
			changed = true
		}
	case "CreateFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration":
		name := info.function
		if n, ok := m["FunctionName"].(string); ok && n != "" {
			name = n
		}
		// UpdateFunctionCode with Publish answers with the published
		// version's configuration.
		version, _ := m["Version"].(string)
		published := info.operation == "UpdateFunctionCode" && isVersionNumber(version)
		if published && strict {
			if prev, reused := p.reusePublished(resp.Request, name, m); reused {
				m, published = prev, false
				changed = true
				if v, _ := m["Version"].(string); p.versionPending(name, v) {
					markVersionPending(m) // not a poll
				}
			}
		}
		if polls > 0 {
			arn, _ := m["FunctionArn"].(string)
			if v, _ := m["Version"].(string); isVersionNumber(v) {
				arn = strings.TrimSuffix(arn, ":"+v) // the update is of $LATEST
			}
			pending := info.operation == "CreateFunction"
			p.mu.Lock()
			p.windows[name] = &updateWindow{pending: pending, left: polls, arn: arn}
			p.mu.Unlock()
			markBusy(m, pending)
			changed = true
		}
		if published && versionPolls > 0 {
			p.openVersionWindow(name, version, versionPolls)
			markVersionPending(m)
			changed = true
		}
		if strict {
			// $LATEST changed, Publish or not. The proxy keeps no
			// RevisionIds of versions: the answer carries $LATEST's.
			m["RevisionId"] = p.functionRev(name, true)
			changed = true
		}
	case "CreateAlias", "UpdateAlias":
		if strict {
			name, _ := m["Name"].(string)
			m["RevisionId"] = p.aliasRevision(info.function, name, "", true)
			changed = true
		}
		p.recordMove(resp.Request, info, m)
	case "GetAlias":
		if strict {
			name, _ := m["Name"].(string)
			moto, _ := m["RevisionId"].(string)
			m["RevisionId"] = p.aliasRevision(info.function, name, moto, false)
			changed = true
		}
	case "ListAliases":
		if strict {
			list, _ := m["Aliases"].([]any)
			for _, a := range list {
				if am, ok := a.(map[string]any); ok {
					name, _ := am["Name"].(string)
					moto, _ := am["RevisionId"].(string)
					am["RevisionId"] = p.aliasRevision(info.function, name, moto, false)
					changed = true
				}
			}
		}
	}
	if !changed {
		return nil
	}
	return setJSON(resp, m)
}

// poll counts one poll of a function's $LATEST inside its window.
func (p *FaultProxy) poll(function string) (pending, busy bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w := p.windows[function]
	if w == nil || w.left <= 0 {
		return false, false
	}
	w.left--
	if w.left == 0 {
		delete(p.windows, function)
	}
	return w.pending, true
}

// forget drops what the proxy keeps about a deleted function (or version).
func (p *FaultProxy) forget(function, qualifier string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if qualifier != "" {
		delete(p.versions, versionKey(function, qualifier))
		return
	}
	delete(p.windows, function)
	for k := range p.versions {
		if strings.HasPrefix(k, function+":") {
			delete(p.versions, k)
		}
	}
	delete(p.funcRev, function)
	for k := range p.aliasRev {
		if strings.HasPrefix(k, function+"/") {
			delete(p.aliasRev, k)
		}
	}
}

// readJSON reads a JSON answer into a generic map (numbers kept exact).
func readJSON(resp *http.Response) (map[string]any, []byte, error) {
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, b, err
	}
	return m, b, nil
}

func setJSON(resp *http.Response, m map[string]any) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
	resp.Header.Del("Content-Encoding")
	return nil
}

// markBusy rewrites a function configuration to say Pending or InProgress,
// in the words AWS uses.
func markBusy(cfg map[string]any, pending bool) {
	if pending {
		cfg["State"] = "Pending"
		cfg["StateReason"] = "The function is being created."
		cfg["StateReasonCode"] = "Creating"
		delete(cfg, "LastUpdateStatus") // AWS reports none before the create ends
		return
	}
	cfg["LastUpdateStatus"] = "InProgress"
	cfg["LastUpdateStatusReason"] = "The function is being updated."
	cfg["LastUpdateStatusReasonCode"] = "Updating"
}

// recordMove notes a successful alias create or update from moto's answer m.
func (p *FaultProxy) recordMove(orig *http.Request, info reqInfo, m map[string]any) {
	mv := AliasMove{Time: p.now(), Operation: info.operation, Function: info.function, AdditionalVersionWeights: map[string]float64{}}
	mv.Alias, _ = m["Name"].(string)
	mv.FunctionVersion, _ = m["FunctionVersion"].(string)
	if rc, ok := m["RoutingConfig"].(map[string]any); ok {
		if wts, ok := rc["AdditionalVersionWeights"].(map[string]any); ok {
			for v, w := range wts {
				if n, ok := w.(json.Number); ok {
					f, _ := n.Float64()
					mv.AdditionalVersionWeights[v] = f
				}
			}
		}
	}
	if cfg, err := p.lookupConfig(orig, info.function, mv.FunctionVersion); err == nil {
		mv.CodeSha256 = cfg.CodeSha256
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	targets := []string{mv.FunctionVersion}
	for v := range mv.AdditionalVersionWeights {
		targets = append(targets, v)
	}
	for _, v := range targets {
		if p.versions[versionKey(info.function, v)] > 0 {
			mv.PendingVersions = append(mv.PendingVersions, v)
		}
	}
	p.moves = append(p.moves, mv)
}

// liveConfig is what the proxy reads of a function configuration.
type liveConfig struct {
	CodeSha256  string
	Version     string
	FunctionArn string
}

// lookupConfig asks moto for a function's configuration (qualifier "" =
// $LATEST).
func (p *FaultProxy) lookupConfig(orig *http.Request, function, qualifier string) (liveConfig, error) {
	u := *p.target
	u.Path = strings.TrimRight(p.target.Path, "/") + "/2015-03-31/functions/" + function + "/configuration"
	u.RawPath, u.RawQuery = "", ""
	if qualifier != "" {
		u.RawQuery = url.Values{"Qualifier": {qualifier}}.Encode()
	}
	var c liveConfig
	err := p.getJSON(orig, u, &c)
	return c, err
}

// record appends the request to the log and the counts.
func (p *FaultProxy) record(e Request, adm admission) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts.Total++
	op := e.Operation
	if op == "" {
		op = e.Method + " " + e.Path
	}
	if e.Service == "lambda" {
		p.counts.ByOperation[op]++
	}
	if e.Mutating {
		p.counts.Mutating++
		p.counts.MutatingByOperation[op]++
	}
	if e.Bucket != "" {
		bc := p.counts.Buckets[e.Bucket]
		bc.Requests++
		if adm.byQuota {
			bc.Throttled++
		}
		p.counts.Buckets[e.Bucket] = bc
	}
	if e.Injected {
		p.counts.InjectedByCode[e.Code]++
	}
	// A request that ends before the ceilings (client gone during latency)
	// has a zero admission: not throttled.
	if !adm.ok && !adm.at.IsZero() {
		p.counts.Throttled++
	}
	if p.keepLog {
		p.log = append(p.log, e)
	}
}

// statusRecorder reports the final status before it is sent to the client.
type statusRecorder struct {
	http.ResponseWriter
	onStatus func(int)
	status   int
}

func (s *statusRecorder) WriteHeader(code int) {
	if code >= 200 && s.status == 0 {
		s.status = code
		s.onStatus(code)
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and Hijack.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) Flush() {
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}

// discardWriter swallows moto's answer of a DropResponse request.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// dropConn closes the client connection without an answer.
func dropConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
		return
	}
	if errors.Is(err, http.ErrNotSupported) {
		panic(http.ErrAbortHandler) // HTTP/2: the server resets the stream
	}
}
