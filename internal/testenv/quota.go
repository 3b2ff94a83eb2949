package testenv

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

// Lambda's API request quotas (Lambda developer guide, "Lambda quotas", API
// requests). None of them can be raised. Every Lambda request belongs to at
// most one bucket; QuotaBucket says which.
const (
	// BucketControlPlane is shared by every Lambda control-plane request
	// other than GetFunction and GetPolicy, reads (GetAlias,
	// GetFunctionConfiguration, ListVersionsByFunction, GetLayerVersion, …)
	// as well as writes: 15 requests per second per account and Region.
	BucketControlPlane = "control-plane"
	// BucketGetFunction is GetFunction's own: 100 requests per second.
	BucketGetFunction = "get-function"
	// BucketGetPolicy is GetPolicy's own: 15 requests per second.
	BucketGetPolicy = "get-policy"
)

// The quotas of an AWS account, for SetAWSQuotas.
const (
	AWSControlPlaneRPS = 15
	AWSGetFunctionRPS  = 100
	AWSGetPolicyRPS    = 15
)

// QuotaBuckets returns the bucket names, in a stable order.
func QuotaBuckets() []string {
	return []string{BucketControlPlane, BucketGetFunction, BucketGetPolicy}
}

// QuotaBucket returns the bucket of a request to service with the given
// operation: "" for non-Lambda requests and for Invoke, InvokeAsync and
// InvokeWithResponseStream, which are not control plane. A Lambda request the
// proxy does not recognise (operation "") counts as control plane: it is an
// API call all the same, and counting it errs on the strict side.
func QuotaBucket(service, operation string) string {
	if service != "lambda" {
		return ""
	}
	switch operation {
	case "GetFunction":
		return BucketGetFunction
	case "GetPolicy":
		return BucketGetPolicy
	case "Invoke", "InvokeAsync", "InvokeWithResponseStream":
		return ""
	}
	return BucketControlPlane
}

func isBucket(b string) bool { return slices.Contains(QuotaBuckets(), b) }

// SetQuota limits the requests of one bucket (BucketControlPlane,
// BucketGetFunction or BucketGetPolicy), from all clients together, to rps per
// second; 0 removes the limit. Requests over it get 429
// TooManyRequestsException (Reason CallerRateLimitExceeded), as AWS answers.
// It panics on an unknown bucket: a misspelt name would silently test nothing.
//
// The limit is a sliding window, not a token bucket: a request passes if
// fewer than rps requests of the bucket passed in the last second. So a client
// that never sees a 429 never had more than rps requests of the bucket in any
// 1-second window, the figure BucketCounts.MaxPerSecond reports; a token bucket
// with burst = rps would let up to 2×rps through in some second. Stricter than
// AWS, never laxer: a client limiter at exactly rps may see a 429 from timing
// jitter (leave a margin, e.g. 14/s against 15). For a fractional rps the
// window is floor(rps)/rps seconds long and holds floor(rps) requests (at
// least one).
//
// A request passes only if every limit that applies to it has room (its
// bucket's and, if set, the mutating ceiling); a refused request takes no
// room in any of them.
func (p *FaultProxy) SetQuota(bucket string, rps float64) {
	if !isBucket(bucket) {
		panic(fmt.Sprintf("testenv: SetQuota: unknown bucket %q (want one of %v)", bucket, QuotaBuckets()))
	}
	p.mu.Lock()
	p.quotas[bucket].set(rps)
	p.mu.Unlock()
}

// SetAWSQuotas sets the quotas of an AWS account: control plane 15/s,
// GetFunction 100/s, GetPolicy 15/s.
func (p *FaultProxy) SetAWSQuotas() {
	p.SetQuota(BucketControlPlane, AWSControlPlaneRPS)
	p.SetQuota(BucketGetFunction, AWSGetFunctionRPS)
	p.SetQuota(BucketGetPolicy, AWSGetPolicyRPS)
}

// ceiling is a sliding-window limit: at most n admissions per window.
type ceiling struct {
	n        int           // 0 = no limit
	window   time.Duration // n requests per window
	admitted []time.Time   // admission times within the window
}

func (c *ceiling) set(rps float64) {
	if rps <= 0 || math.IsNaN(rps) || math.IsInf(rps, 0) {
		c.n, c.window = 0, 0
		return
	}
	c.n = max(int(math.Floor(rps)), 1)
	c.window = time.Duration(float64(c.n) / rps * float64(time.Second))
}

// full reports whether c has no room at now, forgetting admissions that left
// the window.
func (c *ceiling) full(now time.Time) bool {
	if c.n == 0 {
		return false
	}
	c.admitted = trimBefore(c.admitted, now.Add(-c.window))
	return len(c.admitted) >= c.n
}

func (c *ceiling) take(now time.Time) {
	if c.n > 0 {
		c.admitted = append(c.admitted, now)
	}
}

// peak tracks the most events within any 1-second window (t-1s, t].
type peak struct {
	recent []time.Time // the last second of events, sorted
	max    int
}

func (pk *peak) note(at time.Time) {
	// Concurrent requests may get here out of admission order: keep the
	// slice sorted, and recount the windows that end at or after the new one.
	i, _ := slices.BinarySearchFunc(pk.recent, at, time.Time.Compare)
	pk.recent = slices.Insert(pk.recent, i, at)
	for j := i; j < len(pk.recent); j++ {
		cutoff := pk.recent[j].Add(-time.Second)
		lo := sort.Search(j+1, func(k int) bool { return pk.recent[k].After(cutoff) })
		pk.max = max(pk.max, j-lo+1)
	}
	pk.recent = trimBefore(pk.recent, at.Add(-time.Second))
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

// admission is the outcome of the limits for one request.
type admission struct {
	at      time.Time
	ok      bool
	byQuota bool // refused by its bucket's quota (else, if !ok, by the mutating ceiling)
}

// admit applies the bucket quota and the mutating ceiling to a request, all
// or nothing.
func (p *FaultProxy) admit(info reqInfo) admission {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	var q *ceiling
	if info.bucket != "" {
		q = p.quotas[info.bucket]
	}
	quotaFull := q != nil && q.full(now)
	mutFull := info.mutating && p.mutCeil.full(now)
	if quotaFull || mutFull {
		return admission{at: now, byQuota: quotaFull}
	}
	if q != nil {
		q.take(now)
	}
	if info.mutating {
		p.mutCeil.take(now)
	}
	return admission{at: now, ok: true}
}

// noteForwarded counts a request that reaches moto, timed at its admission,
// for the forwarded counts and the 1-second maxima.
func (p *FaultProxy) noteForwarded(info reqInfo, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if info.mutating {
		p.counts.MutatingForwarded++
		p.mutPeak.note(at)
		p.counts.MaxMutatingPerSecond = p.mutPeak.max
	}
	if info.bucket != "" {
		pk := p.peaks[info.bucket]
		pk.note(at)
		bc := p.counts.Buckets[info.bucket]
		bc.Forwarded++
		bc.MaxPerSecond = pk.max
		p.counts.Buckets[info.bucket] = bc
	}
}
