package operation

import (
	"testing"

	"github.com/lambdas-dev/lambdas/executor"
)

// TestShardsShareEveryQuota: a shard of N paces Lambda's buckets and
// CloudWatch's DescribeAlarms at 1/N, since N shards run at once against
// one account's quotas.
func TestShardsShareEveryQuota(t *testing.T) {
	c := &awsConn{share: 4}
	if got := c.shared(executor.DescribeAlarmsRate); got != 2.25 {
		t.Errorf("DescribeAlarms for a shard of 4: %g/s, want 2.25", got)
	}
	if got := c.shared(15); got != 3.75 {
		t.Errorf("control plane for a shard of 4: %g/s, want 3.75", got)
	}
	if got := (&awsConn{}).shared(15); got != 15 {
		t.Errorf("control plane without shards: %g/s, want 15", got)
	}
}
