package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
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
	case "CreateAlias", "UpdateAlias":
		return p.checkAlias(r, info)
	}
	return apiError{}, false
}

func (p *FaultProxy) checkPublish(r *http.Request, info reqInfo) (apiError, bool) {
	body, ok := readBody(r, 1<<20)
	if !ok {
		return apiError{}, false
	}
	var in struct{ CodeSha256 string }
	if json.Unmarshal(body, &in) != nil || in.CodeSha256 == "" {
		return apiError{}, false
	}
	cur, err := p.lookupConfig(r, info.function, "")
	if err != nil || cur.CodeSha256 == in.CodeSha256 {
		return apiError{}, false
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
		primary = cur
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

// lookupAlias asks moto which version an alias points to.
func (p *FaultProxy) lookupAlias(orig *http.Request, function, alias string) (string, error) {
	u := *p.target
	u.Path = strings.TrimRight(p.target.Path, "/") + "/2015-03-31/functions/" + function + "/aliases/" + alias
	u.RawPath, u.RawQuery = "", ""
	var out struct{ FunctionVersion string }
	if err := p.getJSON(orig, u, &out); err != nil {
		return "", err
	}
	return out.FunctionVersion, nil
}

// getJSON GETs u from moto with the client's Authorization header, so that
// moto routes it to the same service, account and region. These lookups skip
// the proxy's rules and are not logged.
func (p *FaultProxy) getJSON(orig *http.Request, u url.URL, out any) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(orig.Context()), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
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
		return fmt.Errorf("GET %s: %s", strings.TrimPrefix(u.Path, "/2015-03-31"), resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
