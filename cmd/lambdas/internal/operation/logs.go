package operation

import (
	"context"
	"fmt"
	"time"

	"github.com/lambdas-dev/lambdas/executor"
	"github.com/lambdas-dev/lambdas/manifest"
)

// LogsOptions say which lines lambdas logs shows.
type LogsOptions struct {
	Function string // a label or a Lambda name
	// Version keeps one version's lines; "" picks the version a release
	// engineer watches: the new one of a rollout in flight, else the
	// released one ("all" keeps every version).
	Version string
	Since   time.Duration // default 10m
	Follow  bool
	For     time.Duration // how long a follow goes on (default 1 h)
}

// LogsInfo says what Logs reads, before the lines.
type LogsInfo struct {
	Name, FunctionName, Group, Version string
	Since                              time.Time
}

// Logs reads the function's lines from CloudWatch Logs.
func Logs(ctx context.Context, in Inputs, o LogsOptions, start func(LogsInfo), emit func(executor.LogLine)) error {
	m := in.Manifest
	var fn *manifest.Function
	for _, f := range m.Functions {
		if f.Label == o.Function || f.Name == o.Function {
			fn = f
		}
	}
	if fn == nil {
		return fmt.Errorf("no function %q in %s (give its label or its Lambda name)", o.Function, m.File)
	}
	version := o.Version
	if version == "" {
		sm, err := LoadState(ctx, m)
		if err != nil {
			return err
		}
		if rec := sm.Snapshot().Functions[fn.Label]; rec != nil {
			version = rec.Version
			if rec.Rollout.InProgress() {
				version = rec.Rollout.NewVersion
			}
		}
	}
	if version == "all" {
		version = ""
	}
	since := o.Since
	if since <= 0 {
		since = 10 * time.Minute
	}
	cfg, _, err := LoadAWS(ctx, m)
	if err != nil {
		return err
	}
	q := executor.LogQuery{Function: fn.Name, Version: version, Since: time.Now().Add(-since), Follow: o.Follow, For: o.For}
	if start != nil {
		start(LogsInfo{Name: fn.Label, FunctionName: fn.Name, Group: "/aws/lambda/" + fn.Name, Version: version, Since: q.Since})
	}
	return executor.NewLogs(cfg, executor.RetryPolicy{}).Lines(ctx, q, emit)
}
