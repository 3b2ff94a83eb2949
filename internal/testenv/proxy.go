package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
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
	// Throttled counts the 429s answered by the mutating ceiling.
	Throttled int `json:"throttled_429"`
	// MaxMutatingPerSecond is the most mutating requests forwarded to moto
	// within any 1-second window, timed when they passed the ceiling.
	MaxMutatingPerSecond int `json:"max_mutating_in_1s"`
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

	mu         sync.Mutex
	latency    time.Duration
	ceilN      int           // 0 = no ceiling
	ceilWindow time.Duration // ceilN requests per ceilWindow
	admitted   []time.Time   // admission times within the ceiling window
	polls      int
	strict     bool
	rules      []*ruleState
	windows    map[string]*updateWindow // function name → Pending/InProgress window
	funcRev    map[string]string        // strict: function name → RevisionId of $LATEST
	aliasRev   map[string]string        // strict: "function/alias" → RevisionId
	keepLog    bool
	log        []Request
	counts     Counts
	forwarded  []time.Time // admission times of forwarded mutating requests, last second
	moves      []AliasMove
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
		url:      "http://" + ln.Addr().String(),
		now:      time.Now,
		windows:  map[string]*updateWindow{},
		funcRev:  map[string]string{},
		aliasRev: map[string]string{},
		keepLog:  true,
	}
	p.counts = newCounts()
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

func newCounts() Counts {
	return Counts{MutatingByOperation: map[string]int{}, InjectedByCode: map[string]int{}}
}

// URL is the proxy's base URL, http://127.0.0.1:PORT: use it as BaseEndpoint.
func (p *FaultProxy) URL() string { return p.url }

// Close stops the proxy and drops open connections.
func (p *FaultProxy) Close() {
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

// SetMutatingCeiling limits mutating Lambda requests, from all clients
// together, to rps per second; 0 removes the limit. Requests over it get 429
// TooManyRequestsException (Reason CallerRateLimitExceeded), as AWS answers.
//
// The limit is a sliding window, not a token bucket: a request passes if
// fewer than rps requests passed in the last second. So a client that never
// sees a 429 never had more than rps mutating requests in any 1-second window,
// the very figure Counts.MaxMutatingPerSecond and the benchmarks report; a
// token bucket with burst = rps would let up to 2×rps through in some
// second. Stricter than AWS, never laxer. For a fractional rps the window is
// floor(rps)/rps seconds long and holds floor(rps) requests (at least one).
func (p *FaultProxy) SetMutatingCeiling(rps float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if rps <= 0 || math.IsNaN(rps) || math.IsInf(rps, 0) {
		p.ceilN, p.ceilWindow = 0, 0
		return
	}
	n := max(int(math.Floor(rps)), 1)
	p.ceilN = n
	p.ceilWindow = time.Duration(float64(n) / rps * float64(time.Second))
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

// Reset clears the request log, the counts, the rules, the alias moves and
// any Pending/InProgress windows. Settings (latency, ceiling, polls, strict)
// stay, and so do the RevisionIds of strict mode: they are the state of the
// emulated world, like moto's.
func (p *FaultProxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
	p.log = nil
	p.counts = newCounts()
	p.forwarded = nil
	p.admitted = nil
	p.moves = nil
	clear(p.windows)
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
	}
	throttled := false
	// The request is logged as soon as its status is sent, before the body:
	// a client that has its answer finds the request in Requests() and
	// Counts(). Dropped and abandoned requests are logged on the way out.
	var once sync.Once
	finish := func(status int) {
		once.Do(func() {
			entry.Status = status
			entry.Duration = p.now().Sub(start)
			p.record(entry, throttled)
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

	var admittedAt time.Time
	if info.mutating {
		var ok bool
		admittedAt, ok = p.admit()
		if !ok {
			throttled = true
			entry.Injected, entry.Code = true, CodeTooManyRequests
			apiError{Status: http.StatusTooManyRequests, Code: CodeTooManyRequests, Message: "Rate exceeded", Reason: "CallerRateLimitExceeded"}.write(rec, info.proto)
			return
		}
	}

	dropAfter := false
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
		dropAfter = rule.DropResponse
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

	if info.mutating {
		p.noteForwarded(admittedAt)
	}
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
	p.rp.ServeHTTP(rec, r)
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

// admit applies the mutating ceiling; it returns the admission time.
func (p *FaultProxy) admit() (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.ceilN == 0 {
		return now, true
	}
	p.admitted = trimBefore(p.admitted, now.Add(-p.ceilWindow))
	if len(p.admitted) >= p.ceilN {
		return now, false
	}
	p.admitted = append(p.admitted, now)
	return now, true
}

// noteForwarded records a mutating request that reaches moto, for
// MaxMutatingPerSecond: the most requests in any window (t-1s, t].
func (p *FaultProxy) noteForwarded(at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts.MutatingForwarded++
	// Concurrent requests may get here out of admission order: keep the
	// slice sorted, and recount the windows that end at or after the new one.
	cmp := func(a, b time.Time) int { return a.Compare(b) }
	i, _ := slices.BinarySearchFunc(p.forwarded, at, cmp)
	p.forwarded = slices.Insert(p.forwarded, i, at)
	for j := i; j < len(p.forwarded); j++ {
		cutoff := p.forwarded[j].Add(-time.Second)
		lo := sort.Search(j+1, func(k int) bool { return p.forwarded[k].After(cutoff) })
		p.counts.MaxMutatingPerSecond = max(p.counts.MaxMutatingPerSecond, j-lo+1)
	}
	p.forwarded = trimBefore(p.forwarded, at.Add(-time.Second))
}

// trimBefore drops the leading times that are not after cutoff.
func trimBefore(ts []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(cutoff) {
		i++
	}
	if i == 0 {
		return ts
	}
	return append(ts[:0], ts[i:]...)
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
		"GetFunction", "GetFunctionConfiguration",
		"CreateAlias", "UpdateAlias", "GetAlias", "ListAliases",
		"DeleteFunction", "DeleteAlias":
		return true
	}
	return false
}

// modifyResponse opens Pending/InProgress windows and rewrites the answers
// inside them, keeps RevisionIds in strict mode, and records alias moves. It
// runs before the client gets the answer, so what it records is there when
// the SDK call returns.
func (p *FaultProxy) modifyResponse(resp *http.Response) error {
	info, _ := resp.Request.Context().Value(ctxKey{}).(reqInfo)
	if !needsBody(info) || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil
	}
	p.mu.Lock()
	polls, strict := p.polls, p.strict
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
		if info.qualifier != "" && info.qualifier != "$LATEST" {
			return nil
		}
		cfg := m
		if info.operation == "GetFunction" {
			if cfg, _ = m["Configuration"].(map[string]any); cfg == nil {
				return nil
			}
		}
		if pending, busy := p.poll(info.function); busy {
			markBusy(cfg, pending)
			changed = true
		}
		if strict {
			cfg["RevisionId"] = p.functionRev(info.function, false)
			changed = true
		}
	case "CreateFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration":
		name := info.function
		if n, ok := m["FunctionName"].(string); ok && n != "" {
			name = n
		}
		if polls > 0 {
			arn, _ := m["FunctionArn"].(string)
			pending := info.operation == "CreateFunction"
			p.mu.Lock()
			p.windows[name] = &updateWindow{pending: pending, left: polls, arn: arn}
			p.mu.Unlock()
			markBusy(m, pending)
			changed = true
		}
		if strict {
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
	if qualifier != "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.windows, function)
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
	p.moves = append(p.moves, mv)
	p.mu.Unlock()
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
func (p *FaultProxy) record(e Request, throttled bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts.Total++
	if e.Mutating {
		p.counts.Mutating++
		op := e.Operation
		if op == "" {
			op = e.Method + " " + e.Path
		}
		p.counts.MutatingByOperation[op]++
	}
	if e.Injected {
		p.counts.InjectedByCode[e.Code]++
	}
	if throttled {
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
