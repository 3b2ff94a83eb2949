package manifest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadRollouts(t *testing.T) {
	body := func(label, deploy string) string {
		return "function \"" + label + "\" {\n  source  = \"functions/orders-api\"\n  runtime = \"python3.12\"\n  handler = \"app.handler\"\n" + deploy + "\n}\n"
	}
	tests := []struct {
		name   string
		deploy string
		want   Deploy
	}{{
		name:   "canary preset",
		deploy: `deploy { strategy = "Canary10Percent5Minutes" }`,
		want:   Deploy{Strategy: "canary", Preset: "Canary10Percent5Minutes", Steps: []float64{10, 100}, Interval: 5 * time.Minute},
	}, {
		name:   "CodeDeploy's own name",
		deploy: `deploy { strategy = "CodeDeployDefault.LambdaCanary10Percent30Minutes" }`,
		want:   Deploy{Strategy: "canary", Preset: "CodeDeployDefault.LambdaCanary10Percent30Minutes", Steps: []float64{10, 100}, Interval: 30 * time.Minute},
	}, {
		name:   "linear preset",
		deploy: `deploy { strategy = "Linear10PercentEvery1Minute" }`,
		want: Deploy{Strategy: "linear", Preset: "Linear10PercentEvery1Minute", Steps: []float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100},
			Interval: time.Minute},
	}, {
		name:   "all at once preset",
		deploy: `deploy { strategy = "AllAtOnce" }`,
		want:   Deploy{Strategy: "all-at-once", Preset: "AllAtOnce", Steps: []float64{100}},
	}, {
		name:   "linear step",
		deploy: "deploy {\n strategy = \"linear\"\n step = 30\n interval = \"2s\"\n}",
		want:   Deploy{Strategy: "linear", Steps: []float64{30, 60, 90, 100}, Interval: 2 * time.Second},
	}, {
		name: "canary with alarms and a smoke test",
		deploy: `deploy {
  strategy = "canary"
  steps    = [10, 50, 100]
  interval = "1m"
  alarms   = ["orders-5xx"]
  smoke_test {
    payload = file("config/smoke.json")
    expect  = "\"ok\":\\s*true"
  }
}
`,
		want: Deploy{Strategy: "canary", Steps: []float64{10, 50, 100}, Interval: time.Minute, Alarms: []string{"orders-5xx"},
			SmokeTest: &SmokeTest{Payload: "{\"ping\": true}\n", Expect: `"ok":\s*true`}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := makeRepo(t)
			writeFile(t, repo+"/config/smoke.json", "{\"ping\": true}\n")
			t.Chdir(repo)
			writeFile(t, "lambdas.hcl", project+body("a", tt.deploy))
			m, diags := Load("lambdas.hcl", Options{LookupEnv: fakeEnv(nil)})
			if diags.HasErrors() {
				t.Fatalf("Load: %s", diags.Error())
			}
			if diff := cmp.Diff(tt.want, m.Functions[0].Deploy, ignoreRanges); diff != "" {
				t.Errorf("deploy (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadRolloutGroup(t *testing.T) {
	src := project + `
defaults {
  runtime       = "python3.12"
  handler       = "app.handler"
  source        = "functions/orders-api"
  rollout_group = "checkout"
  deploy {
    strategy = "canary"
    steps    = [10, 100]
    interval = "1m"
  }
}
function "a" {
  deploy { alarms = ["a-errors"] }
}
function "b" {
  deploy { alarms = ["b-errors"] }
}
function "c" {
  rollout_group = "" # leaves the defaults' group
  deploy { strategy = "all-at-once" }
}
`
	m, _ := load(t, src, Options{})
	got := map[string]string{}
	for _, f := range m.Functions {
		got[f.Label] = f.RolloutGroup
	}
	if diff := cmp.Diff(map[string]string{"a": "checkout", "b": "checkout", "c": ""}, got); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
}
