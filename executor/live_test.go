package executor

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lambdas-dev/lambdas/planner/plan"
)

func TestReadLive(t *testing.T) {
	f := newFake()
	f.addFunction("orders-api", hotSha, []string{oldSha, pkgSha}, "live", "2")
	f.fns["orders-api"].aliases["live"].weights = map[string]float64{"1": 0.25}
	f.addFunction("no-alias", oldSha, []string{oldSha}, "", "")
	client := newLambda(f, "us-east-1", Quotas{ControlPlane: 10000, GetFunction: 10000}, RetryPolicy{MaxAttempts: 2, BaseDelay: 1, MaxDelay: 1})
	targets := []LiveTarget{
		{Label: "orders", FunctionName: "orders-api", Alias: "live"},
		{Label: "no-alias", FunctionName: "no-alias", Alias: "live"},
		{Label: "gone", FunctionName: "gone", Alias: "live"},
	}
	tests := []struct {
		weights bool
		want    map[string]plan.Live
		control int64
	}{
		{
			weights: false,
			want: map[string]plan.Live{
				"orders":   {Exists: true, Account: "123456789012", CodeSha256: hotSha, AliasExists: true, AliasVersion: "2", AliasCodeSha256: pkgSha},
				"no-alias": {Exists: true, Account: "123456789012", CodeSha256: oldSha},
				"gone":     {},
			},
		},
		{
			weights: true,
			want: map[string]plan.Live{
				"orders":   {Exists: true, Account: "123456789012", CodeSha256: hotSha, AliasExists: true, AliasVersion: "2", AliasCodeSha256: pkgSha, Weights: map[string]float64{"1": 0.25}, WeightsRead: true},
				"no-alias": {Exists: true, Account: "123456789012", CodeSha256: oldSha},
				"gone":     {},
			},
			control: 1, // GetAlias of orders; the others stop before (no alias, no function)
		},
	}
	for _, tt := range tests {
		before := client.Stats()[BucketControlPlane].Calls
		got := map[string]plan.Live{}
		for _, r := range client.ReadLive(context.Background(), targets, ReadOptions{Weights: tt.weights, Step: "refresh"}) {
			if r.Err != nil {
				t.Errorf("%s: %v", r.Label, r.Err)
			}
			got[r.Label] = r.Live
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("weights %v (-want +got):\n%s", tt.weights, diff)
		}
		if n := client.Stats()[BucketControlPlane].Calls - before; n != tt.control {
			t.Errorf("weights %v: %d control-plane calls, want %d", tt.weights, n, tt.control)
		}
	}

	// A read that keeps failing is an error naming the function.
	f.inject["GetFunction"] = repeatErr(tooMany(), 2)
	r := client.ReadLive(context.Background(), targets[:1], ReadOptions{Step: "status"})
	if r[0].Err == nil || !strings.Contains(r[0].Err.Error(), "orders: read function orders-api: GetFunction: gave up after 2 attempts") {
		t.Errorf("err = %v", r[0].Err)
	}
}
