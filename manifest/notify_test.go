package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const notifyFunction = `
function "orders-api" {
  source  = "functions/orders-api"
  runtime = "python3.12"
  handler = "app.handler"
}
`

func TestLoadNotify(t *testing.T) {
	env := map[string]string{
		"SLACK_WEBHOOK_URL":   "https://hooks.slack.com/services/T0/B0/secret",
		"RELEASE_WEBHOOK_URL": "http://127.0.0.1:8080/hook",
	}
	tests := []struct {
		name, src string
		want      []Notify
	}{
		{"none", "", nil},
		{"slack, both outcomes by default", `notify "slack" { webhook_url = env("SLACK_WEBHOOK_URL") }`,
			[]Notify{{Kind: NotifySlack, URL: env["SLACK_WEBHOOK_URL"], On: []string{"success", "failure"}}}},
		{"webhook on failure, to loopback over http", `notify "webhook" {
  url = env("RELEASE_WEBHOOK_URL")
  on  = ["failure"]
}`, []Notify{{Kind: NotifyWebhook, URL: env["RELEASE_WEBHOOK_URL"], On: []string{"failure"}}}},
		{"an optional URL left unset", `notify "slack" { webhook_url = env("UNSET_SLACK_URL", "") }`,
			[]Notify{{Kind: NotifySlack, URL: "", On: []string{"success", "failure"}}}},
		{"several, in order", `notify "webhook" { url = env("RELEASE_WEBHOOK_URL") }
notify "slack" {
  webhook_url = env("SLACK_WEBHOOK_URL")
  on          = ["success"]
}`, []Notify{
			{Kind: NotifyWebhook, URL: env["RELEASE_WEBHOOK_URL"], On: []string{"success", "failure"}},
			{Kind: NotifySlack, URL: env["SLACK_WEBHOOK_URL"], On: []string{"success"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := load(t, project+notifyFunction+tt.src, Options{LookupEnv: fakeEnv(env)})
			if diff := cmp.Diff(tt.want, m.Notify, ignoreRanges); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// A webhook URL is a secret: no rendering of a notify block or of its
// diagnostics shows it, whatever went wrong.
func TestNotifyURLIsNeverShown(t *testing.T) {
	const secret = "s3cr3t-token"
	env := map[string]string{
		"BAD":   "ftp://hooks.example.com/" + secret,
		"PLAIN": "http://hooks.example.com/" + secret,
		"GOOD":  "https://hooks.example.com/" + secret,
	}
	srcs := []string{
		`notify "slack" { webhook_url = env("BAD") }`,
		`notify "webhook" { url = env("PLAIN") }` + "\n" + `function "x" {}`, // a warning among errors
		`variable "u" { default = "https://hooks.example.com/s3cr3t-token" }
notify "webhook" { url = "${var.u}" + 1 }`, // an evaluation error over a variable
		`notify "webhook" { url = ["https://hooks.example.com/s3cr3t-token"] }`, // the wrong type
	}
	for i, src := range srcs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			repo := makeRepo(t)
			t.Chdir(repo)
			writeFile(t, "lambdas.hcl", project+notifyFunction+src)
			_, diags := Load("lambdas.hcl", Options{LookupEnv: fakeEnv(env)})
			if len(diags.Diags) == 0 {
				t.Fatalf("no diagnostics")
			}
			var text bytes.Buffer
			if err := diags.WriteText(&text, 0, false); err != nil {
				t.Fatal(err)
			}
			js, _ := json.Marshal(diags.JSON())
			var gh bytes.Buffer
			_ = diags.WriteGitHub(&gh, nil)
			for what, out := range map[string]string{"text": text.String(), "json": string(js), "error": diags.Error(), "github": gh.String()} {
				// The source line itself may hold a literal (cases 2, 3): only
				// the evaluated value must never be shown.
				out = strings.ReplaceAll(out, `"https://hooks.example.com/s3cr3t-token"`, "LITERAL")
				out = strings.ReplaceAll(out, `\"https://hooks.example.com/s3cr3t-token\"`, "LITERAL")
				if strings.Contains(out, secret) {
					t.Errorf("%s output shows the URL:\n%s", what, out)
				}
			}
		})
	}
	n := Notify{Kind: NotifySlack, URL: env["GOOD"], On: []string{"failure"}}
	js, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	for what, out := range map[string]string{"%v": fmt.Sprintf("%v", n), "%+v": fmt.Sprintf("%+v", n), "%#v": fmt.Sprintf("%#v", n), "%s": fmt.Sprintf("%s", n), "json": string(js)} {
		if strings.Contains(out, secret) {
			t.Errorf("%s shows the URL: %s", what, out)
		}
	}
	if got := n.String(); got != "webhook slack (URL hidden)" {
		t.Errorf("String() = %q", got)
	}
}

// The URLs a notify block reads do not make a saved plan stale: the plan
// of a pull request, made without the secret, still applies with it.
func TestNotifyURLNotInHash(t *testing.T) {
	src := project + notifyFunction + `notify "slack" { webhook_url = env("SLACK_WEBHOOK_URL", "") }
`
	hash := func(env map[string]string) string {
		m, _ := load(t, src, Options{LookupEnv: fakeEnv(env)})
		return m.Hash
	}
	without := hash(nil)
	with := hash(map[string]string{"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/x"})
	other := hash(map[string]string{"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/y"})
	if without != with || with != other {
		t.Errorf("the manifest hash follows the webhook URL: %s, %s, %s", without, with, other)
	}
	// What the functions read still counts.
	fnSrc := project + `
function "orders-api" {
  function_name = env("NAME", "orders-api")
  source        = "functions/orders-api"
  runtime       = "python3.12"
  handler       = "app.handler"
}
notify "slack" { webhook_url = env("HOOK", "") }
`
	m1, _ := load(t, fnSrc, Options{LookupEnv: fakeEnv(nil)})
	m2, _ := load(t, fnSrc, Options{LookupEnv: fakeEnv(map[string]string{"NAME": "orders"})})
	if m1.Hash == m2.Hash {
		t.Errorf("an env() a function reads no longer changes the hash")
	}
}
