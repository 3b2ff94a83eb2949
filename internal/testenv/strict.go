package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"
)

// strictCheck refuses what AWS refuses and moto accepts (see SetStrict).
// When the proxy cannot tell (unreadable body, moto lookup failed) it lets
// the request through for moto to answer.
func (p *FaultProxy) strictCheck(r *http.Request, info reqInfo) (apiError, bool) {
	switch info.operation {
	case "PublishVersion":
		return p.checkPublish(r, info)
	case "UpdateFunctionCode", "UpdateFunctionConfiguration":
		body, ok := readBody(r, maxInspectBody)
		if !ok {
			return apiError{}, false
		}
		var in struct{ RevisionId string }
		if json.Unmarshal(body, &in) != nil {
			return apiError{}, false
		}
		return p.checkFunctionRev(info.function, in.RevisionId)
	case "CreateAlias", "UpdateAlias":
		return p.checkAlias(r, info)
	case "DeleteFunction":
		return p.checkDeleteVersion(r, info)
	}
	return apiError{}, false
}

// revisionMismatch is AWS's answer to a stale RevisionId.
func revisionMismatch() (apiError, bool) {
	return apiError{
		Status:  http.StatusPreconditionFailed,
		Code:    CodePreconditionFailed,
		Message: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
	}, true
}

// checkFunctionRev compares a RevisionId sent for $LATEST with the one the
// proxy issued last (moto has none).
func (p *FaultProxy) checkFunctionRev(function, given string) (apiError, bool) {
	if given == "" || given == p.functionRev(function, false) {
		return apiError{}, false
	}
	return revisionMismatch()
}

// functionRev returns the RevisionId of a function's $LATEST that strict
// mode keeps, issuing a new one when renew is set (after a create or an
// update) or when it has none yet.
func (p *FaultProxy) functionRev(function string, renew bool) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if rev, ok := p.funcRev[function]; ok && !renew {
		return rev
	}
	rev := newRequestID()
	p.funcRev[function] = rev
	return rev
}

// aliasRevision returns the RevisionId of an alias that strict mode keeps:
// a new one when renew is set (after a create or an update; moto keeps the
// first one forever), else the one kept, else moto's (adopted), else a new one.
func (p *FaultProxy) aliasRevision(function, alias, moto string, renew bool) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := function + "/" + alias
	if rev, ok := p.aliasRev[key]; ok && !renew {
		return rev
	}
	rev := moto
	if renew || rev == "" {
		rev = newRequestID()
	}
	p.aliasRev[key] = rev
	return rev
}

// checkDeleteVersion refuses to delete a version that an alias points to,
// as AWS does and moto does not.
func (p *FaultProxy) checkDeleteVersion(r *http.Request, info reqInfo) (apiError, bool) {
	if info.qualifier == "" || info.qualifier == "$LATEST" {
		return apiError{}, false
	}
	u := *p.target
	u.Path = strings.TrimRight(p.target.Path, "/") + "/2015-03-31/functions/" + info.function + "/aliases"
	u.RawPath, u.RawQuery = "", ""
	var out struct {
		Aliases []struct {
			Name            string
			FunctionVersion string
			RoutingConfig   *struct{ AdditionalVersionWeights map[string]float64 }
		}
	}
	if err := p.getJSON(r, u, &out); err != nil {
		return apiError{}, false
	}
	var refs []string
	for _, a := range out.Aliases {
		extra := false
		if a.RoutingConfig != nil {
			_, extra = a.RoutingConfig.AdditionalVersionWeights[info.qualifier]
		}
		if a.FunctionVersion == info.qualifier || extra {
			refs = append(refs, a.Name)
		}
	}
	if len(refs) == 0 {
		return apiError{}, false
	}
	return apiError{
		Status:  http.StatusConflict,
		Code:    CodeResourceConflict,
		Message: fmt.Sprintf("Unable to delete version because the following aliases reference it: %v", refs),
	}, true
}

func (p *FaultProxy) checkPublish(r *http.Request, info reqInfo) (apiError, bool) {
	body, ok := readBody(r, 1<<20)
	if !ok {
		return apiError{}, false
	}
	var in struct{ CodeSha256, RevisionId string }
	if json.Unmarshal(body, &in) != nil {
		return apiError{}, false
	}
	if in.CodeSha256 == "" {
		return p.checkFunctionRev(info.function, in.RevisionId)
	}
	cur, err := p.lookupConfig(r, info.function, "")
	if err != nil || cur.CodeSha256 == in.CodeSha256 {
		return p.checkFunctionRev(info.function, in.RevisionId)
	}
	return apiError{
		Status: http.StatusPreconditionFailed,
		Code:   CodePreconditionFailed,
		Message: fmt.Sprintf("CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again with the current CodeSHA256.",
			in.CodeSha256, cur.CodeSha256),
	}, true
}

func (p *FaultProxy) checkAlias(r *http.Request, info reqInfo) (apiError, bool) {
	body, ok := readBody(r, 1<<20)
	if !ok {
		return apiError{}, false
	}
	var in struct {
		Name            string
		RevisionId      string
		FunctionVersion *string
		RoutingConfig   *struct {
			// any: the SDK sends NaN and ±Inf as strings.
			AdditionalVersionWeights map[string]any
		}
	}
	if json.Unmarshal(body, &in) != nil {
		return apiError{}, false
	}
	bad := func(format string, args ...any) (apiError, bool) {
		return apiError{Status: http.StatusBadRequest, Code: CodeInvalidParameter, Message: fmt.Sprintf(format, args...)}, true
	}
	if in.RevisionId != "" && info.operation == "UpdateAlias" {
		p.mu.Lock()
		kept, known := p.aliasRev[info.function+"/"+info.alias]
		p.mu.Unlock()
		if !known {
			// First sight of this alias: adopt moto's RevisionId.
			cur, err := p.lookupAlias(r, info.function, info.alias)
			if err != nil {
				return apiError{}, false // let moto answer, e.g. 404
			}
			kept = p.aliasRevision(info.function, info.alias, cur.RevisionId, false)
		}
		if in.RevisionId != kept {
			return revisionMismatch()
		}
	}
	if in.RoutingConfig == nil || len(in.RoutingConfig.AdditionalVersionWeights) == 0 {
		return apiError{}, false
	}
	weights := in.RoutingConfig.AdditionalVersionWeights
	if len(weights) > 1 {
		return bad("Number of items in AdditionalVersionWeights cannot be greater than 1, got %d.", len(weights))
	}
	var extra string
	for v, w := range weights {
		extra = v
		f, isNum := w.(float64)
		if !isNum || math.IsNaN(f) || f < 0 || f > 1 {
			return bad("1 validation error detected: Value '%v' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Member must have value between 0.0 and 1.0", w)
		}
		if !isVersionNumber(v) {
			return bad("1 validation error detected: Value '%s' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9]+", v)
		}
	}
	primary := ""
	if in.FunctionVersion != nil {
		primary = *in.FunctionVersion
	} else if info.operation == "UpdateAlias" {
		cur, err := p.lookupAlias(r, info.function, info.alias)
		if err != nil {
			return apiError{}, false
		}
		primary = cur.FunctionVersion
	}
	if primary == "$LATEST" {
		return bad("$LATEST is not supported for an alias pointing to more than 1 version")
	}
	if primary == extra {
		return bad("Invalid function version %s. Function version %s is already included in routing configuration.", extra, extra)
	}
	return apiError{}, false
}

func isVersionNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// liveAlias is what the proxy reads of an alias.
type liveAlias struct{ FunctionVersion, RevisionId string }

// lookupAlias asks moto for an alias.
func (p *FaultProxy) lookupAlias(orig *http.Request, function, alias string) (liveAlias, error) {
	u := *p.target
	u.Path = strings.TrimRight(p.target.Path, "/") + "/2015-03-31/functions/" + function + "/aliases/" + alias
	u.RawPath, u.RawQuery = "", ""
	var out liveAlias
	err := p.getJSON(orig, u, &out)
	return out, err
}

// getJSON GETs u from moto with the client's Authorization header, so that
// moto routes it to the same service, account and region. These lookups skip
// the proxy's rules and are not logged. Numbers in generic values are kept
// as json.Number, as in the answers the proxy rewrites.
func (p *FaultProxy) getJSON(orig *http.Request, u url.URL, out any) error {
	return p.send(orig, http.MethodGet, u, out)
}

// send makes a request to moto as getJSON does, decoding the answer into out
// unless it is nil.
func (p *FaultProxy) send(orig *http.Request, method string, u url.URL, out any) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(orig.Context()), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return err
	}
	for _, h := range []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token"} {
		if v := orig.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	resp, err := p.transport.RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 { // moto answers GetAlias with 201
		return fmt.Errorf("%s %s: %s", method, strings.TrimPrefix(u.Path, "/2015-03-31"), resp.Status)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	d := json.NewDecoder(resp.Body)
	d.UseNumber()
	return d.Decode(out)
}

// snapshotFields are the parts of a version's configuration that differ
// between versions even when the code and configuration they were published
// from are the same.
var snapshotFields = []string{
	"FunctionArn", "Version", "LastModified", "RevisionId",
	"State", "StateReason", "StateReasonCode",
	"LastUpdateStatus", "LastUpdateStatusReason", "LastUpdateStatusReasonCode",
}

// sameSnapshot says whether two version configurations (as moto answers
// them) hold the same code and configuration.
func sameSnapshot(a, b map[string]any) bool {
	strip := func(m map[string]any) map[string]any {
		c := maps.Clone(m)
		for _, k := range snapshotFields {
			delete(c, k)
		}
		return c
	}
	return reflect.DeepEqual(strip(a), strip(b))
}

// reusePublished models, for UpdateFunctionCode with Publish=true, that AWS
// does not publish a version when neither code nor configuration changed
// since the last one: it returns that one. moto publishes anyway. m is moto's
// answer, the version it just made. If the version published before it has
// the same CodeSha256 and configuration, the new one is deleted from moto (so
// the next version gets the number AWS would give it, and no extra version
// shows) and the earlier one's configuration is the answer. When anything
// fails, moto's answer stands.
func (p *FaultProxy) reusePublished(orig *http.Request, function string, m map[string]any) (map[string]any, bool) {
	made, _ := m["Version"].(string)
	list, err := p.listVersions(orig, function)
	if err != nil {
		return nil, false
	}
	i := slices.IndexFunc(list, func(v map[string]any) bool { return v["Version"] == made })
	if i < 0 {
		return nil, false
	}
	var prev map[string]any
	for j := i - 1; j >= 0; j-- {
		if v, _ := list[j]["Version"].(string); isVersionNumber(v) {
			prev = list[j]
			break
		}
	}
	if prev == nil || !sameSnapshot(prev, m) {
		return nil, false
	}
	if p.deleteVersion(orig, function, made) != nil {
		return nil, false
	}
	return prev, true
}
