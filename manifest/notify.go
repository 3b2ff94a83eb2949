package manifest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/url"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Notify is a notify block: where to post the outcome of each apply.
//
//	notify "slack" {
//	  webhook_url = env("SLACK_WEBHOOK_URL")
//	  on          = ["success", "failure"]
//	}
//	notify "webhook" {
//	  url = env("RELEASE_WEBHOOK_URL")
//	}
//
// The URL is a secret (a Slack webhook URL is all it takes to post to the
// channel): String, GoString and MarshalJSON leave it out, and no
// diagnostic shows it.
type Notify struct {
	Kind string // NotifySlack or NotifyWebhook
	// URL is where to post; "" (an optional env("X", "") that is unset)
	// means this notification is skipped, with a note.
	URL string
	// On lists the outcomes that post: NotifyOnSuccess, NotifyOnFailure
	// (both by default).
	On    []string
	Range hcl.Range
}

// Notification kinds and outcomes.
const (
	NotifySlack     = "slack"
	NotifyWebhook   = "webhook"
	NotifyOnSuccess = "success"
	NotifyOnFailure = "failure"
)

var notifyKinds = []string{NotifySlack, NotifyWebhook}
var notifyOutcomes = []string{NotifyOnSuccess, NotifyOnFailure}

// String names the notification without its URL: "webhook slack (URL hidden)".
func (n Notify) String() string { return "webhook " + n.Kind + " (URL hidden)" }

// GoString is String, so that %#v does not print the URL either.
func (n Notify) GoString() string { return n.String() }

// MarshalJSON leaves the URL out.
func (n Notify) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Kind string   `json:"kind"`
		On   []string `json:"on"`
		URL  string   `json:"url"`
	}{n.Kind, n.On, "(hidden)"})
}

// Wants reports whether the outcome (NotifyOnSuccess, NotifyOnFailure) posts.
func (n Notify) Wants(outcome string) bool {
	for _, o := range n.On {
		if o == outcome {
			return true
		}
	}
	return false
}

type notifyBlock struct {
	Kind      string    `hcl:"kind,label"`
	KindRange hcl.Range `hcl:"kind,label_range"`
	Body      hcl.Body  `hcl:",remain"`
	DefRange  hcl.Range `hcl:",def_range"`
}

type notifyAttrs struct {
	WebhookURL *hcl.Attribute `hcl:"webhook_url,optional"`
	URL        *hcl.Attribute `hcl:"url,optional"`
	On         *hcl.Attribute `hcl:"on,optional"`
}

// notifications decodes the notify blocks.
func (l *loader) notifications(blocks []*notifyBlock) []Notify {
	// What env() and file() read for a notify block stays out of
	// Manifest.Hash: a URL is a secret, and a plan saved where it is unset
	// (a pull request) is still current where it is set (the apply).
	// Notify blocks are decoded last, so every other read is already in.
	saved := maps.Clone(l.reads)
	defer func() { l.reads = saved }()
	var out []Notify
	for _, b := range blocks {
		n := Notify{Kind: b.Kind, Range: b.DefRange}
		known := b.Kind == NotifySlack || b.Kind == NotifyWebhook
		if !known {
			l.errorAt(b.KindRange, "Unknown notification",
				fmt.Sprintf("notify %q is not a kind of notification lambdas sends.%s Use notify \"slack\" { webhook_url = ... } for a Slack incoming webhook, or notify \"webhook\" { url = ... } for a JSON POST to any URL.",
					b.Kind, didYouMean(b.Kind, notifyKinds)))
		}
		var na notifyAttrs
		diags := decodeBody(b.Body, &na, fmt.Sprintf("In a notify %q block", b.Kind))
		for _, d := range diags { // the hint lists only this kind's URL argument
			if b.Kind == NotifySlack {
				d.Detail = strings.Replace(d.Detail, "the arguments on, url, webhook_url", "the arguments on, webhook_url", 1)
			} else {
				d.Detail = strings.Replace(d.Detail, "the arguments on, url, webhook_url", "the arguments on, url", 1)
			}
		}
		l.diags = append(l.diags, diags...)
		if !known || diags.HasErrors() {
			continue
		}
		urlAttr, urlName, other := na.WebhookURL, "webhook_url", na.URL
		example := `webhook_url = env("SLACK_WEBHOOK_URL")`
		if b.Kind == NotifyWebhook {
			urlAttr, urlName, other = na.URL, "url", na.WebhookURL
			example = `url = env("RELEASE_WEBHOOK_URL")`
		}
		if other != nil {
			l.errorAt(other.NameRange, "Wrong URL argument",
				fmt.Sprintf("A notify %q block takes its URL as %s, not %s: %s.", b.Kind, urlName, other.Name, example))
			continue
		}
		if urlAttr == nil {
			l.errorAt(b.DefRange, "Missing notification URL",
				fmt.Sprintf("A notify %q block needs %s, read from the environment because it is a secret: %s (env(\"NAME\", \"\") makes it optional: an empty URL skips the notification).", b.Kind, urlName, example))
			continue
		}
		u, ok := l.secretString(urlAttr, example)
		if !ok {
			continue
		}
		if l.checkNotifyURL(u, urlAttr, urlName) {
			n.URL = u
		} else {
			continue
		}
		n.On = []string{NotifyOnSuccess, NotifyOnFailure}
		if on := l.pick(na.On); on.set() {
			list, ok := l.asStringList(on, `["failure"]`)
			if !ok {
				continue
			}
			if len(list) == 0 {
				l.errorAt(on.rng(), "No outcome to notify",
					"on = [] never posts anything. List the outcomes that post, [\"success\", \"failure\"] (the default), or remove the notify block.")
				continue
			}
			seen := map[string]bool{}
			good := true
			for i, o := range list {
				switch {
				case o != NotifyOnSuccess && o != NotifyOnFailure:
					l.errorAt(elemRange(on.expr(), i), "Unknown outcome",
						fmt.Sprintf("%q is not an outcome of an apply.%s on lists \"success\" (the apply released every function it started) and \"failure\" (a function failed or did not start, or the apply stopped).", o, didYouMean(o, notifyOutcomes)))
					good = false
				case seen[o]:
					l.errorAt(elemRange(on.expr(), i), "Duplicate outcome", fmt.Sprintf("%q is listed twice in on; list it once.", o))
					good = false
				}
				seen[o] = true
			}
			if !good {
				continue
			}
			n.On = list
		}
		out = append(out, n)
	}
	return out
}

// secretString evaluates a string that must never be shown: the
// diagnostics of its evaluation lose the values that Terraform-style
// rendering would print ("with var.url as ..."), and the type error names
// the type only.
func (l *loader) secretString(attr *hcl.Attribute, example string) (string, bool) {
	before := len(l.diags)
	v := l.pick(attr)
	s, ok := l.asString(v, example)
	for _, d := range l.diags[before:] {
		d.Expression, d.EvalContext = nil, nil
	}
	return s, ok
}

// checkNotifyURL checks a webhook URL without ever quoting it.
func (l *loader) checkNotifyURL(s string, attr *hcl.Attribute, name string) bool {
	if s == "" {
		return true // skipped at apply time, with a note
	}
	rng := attr.Expr.Range()
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		l.errorAt(rng, "Invalid notification URL",
			fmt.Sprintf("%s must be an https:// URL (it is not shown here: it is a secret). Check the environment variable it is read from.", name))
		return false
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		l.warnAt(rng, "Notification URL is not https",
			fmt.Sprintf("%s is an http:// URL: the release report, and the URL's own secret, would cross the network in clear text. Use https://.", name))
	}
	return true
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
