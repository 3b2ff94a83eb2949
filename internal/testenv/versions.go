package testenv

import (
	"net/http"
	"net/url"
	"strings"
)

// SetVersionPendingPolls makes new versions take time to become Active, as on
// AWS, where a tool must wait for a version to be Active before it points an
// alias at it: after a PublishVersion that makes a new version, or an
// UpdateFunctionCode with Publish=true, the answer says State Pending, and so
// do the next n GetFunction / GetFunctionConfiguration answers with that
// version (or an alias that moto resolves to it) as Qualifier. Poll n+1 sees
// Active. A PublishVersion that returns the last version because nothing
// changed opens no window: that version is Active already. Moves of an alias
// to a version still Pending are not refused but show in
// AliasMove.PendingVersions. n = 0 turns this off.
//
// Independent of SetInProgressPolls, which is about $LATEST: after
// UpdateFunctionCode with Publish=true both windows run, $LATEST's update
// (polled without a qualifier) and the new version's.
func (p *FaultProxy) SetVersionPendingPolls(n int) {
	p.mu.Lock()
	p.versionPolls = max(n, 0)
	if n <= 0 {
		clear(p.versions)
	}
	p.mu.Unlock()
}

func versionKey(function, version string) string { return function + ":" + version }

func (p *FaultProxy) openVersionWindow(function, version string, polls int) {
	p.mu.Lock()
	p.versions[versionKey(function, version)] = polls
	p.mu.Unlock()
}

// pollVersion counts one poll of a version inside its window; false once the
// version is Active.
func (p *FaultProxy) pollVersion(function, version string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := versionKey(function, version)
	left := p.versions[k]
	if left <= 0 {
		return false
	}
	if left == 1 {
		delete(p.versions, k)
	} else {
		p.versions[k] = left - 1
	}
	return true
}

// versionPending says whether a version is inside its window, without
// counting a poll.
func (p *FaultProxy) versionPending(function, version string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.versions[versionKey(function, version)] > 0
}

// markVersionPending rewrites a version's configuration to say Pending, in
// the words AWS uses for a function being created.
func markVersionPending(cfg map[string]any) {
	cfg["State"] = "Pending"
	cfg["StateReason"] = "The function is being created."
	cfg["StateReasonCode"] = "Creating"
}

// versionsBefore returns the version numbers moto has for the function of a
// PublishVersion about to be forwarded, when new versions are made Pending;
// nil if that is off or the lookup failed (then a version in the answer
// counts as new: the strict side).
func (p *FaultProxy) versionsBefore(orig *http.Request, info reqInfo) map[string]bool {
	p.mu.Lock()
	on := p.versionPolls > 0
	p.mu.Unlock()
	if !on {
		return nil
	}
	list, err := p.listVersions(orig, info.function)
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	for _, v := range list {
		if n, _ := v["Version"].(string); isVersionNumber(n) {
			seen[n] = true
		}
	}
	return seen
}

// listVersions asks moto for a function's versions ($LATEST first, then in
// the order they were published; moto does not paginate them).
func (p *FaultProxy) listVersions(orig *http.Request, function string) ([]map[string]any, error) {
	u := *p.target
	u.Path = strings.TrimRight(p.target.Path, "/") + "/2015-03-31/functions/" + function + "/versions"
	u.RawPath, u.RawQuery = "", ""
	var out struct{ Versions []map[string]any }
	if err := p.getJSON(orig, u, &out); err != nil {
		return nil, err
	}
	return out.Versions, nil
}

// deleteVersion deletes a version from moto directly (not logged, no rules).
func (p *FaultProxy) deleteVersion(orig *http.Request, function, version string) error {
	u := *p.target
	u.Path = strings.TrimRight(p.target.Path, "/") + "/2015-03-31/functions/" + function
	u.RawPath = ""
	u.RawQuery = url.Values{"Qualifier": {version}}.Encode()
	return p.send(orig, http.MethodDelete, u, nil)
}
