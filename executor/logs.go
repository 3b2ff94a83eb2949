package executor

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// CloudWatch Logs has its own quotas too: FilterLogEvents is 5 requests
// per second per account and Region (lambdas logs is one reader, polling
// once a second while it follows).
const (
	BucketLogs          = "logs"
	FilterLogEventsRate = 5
)

type logsAPI interface {
	FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

// Logs reads a function's log lines from CloudWatch Logs, paced against
// FilterLogEvents' quota, through our bounded retry.
type Logs struct {
	api   logsAPI
	retry RetryPolicy
	b     *bucket
}

// NewLogs returns the paced CloudWatch Logs client for cfg.
func NewLogs(cfg aws.Config, pol RetryPolicy) *Logs {
	return newLogs(cloudwatchlogs.NewFromConfig(cfg), pol)
}

func newLogs(api logsAPI, pol RetryPolicy) *Logs {
	if pol.MaxAttempts <= 0 {
		pol = DefaultRetry
	}
	return &Logs{api: api, retry: pol, b: &bucket{name: BucketLogs, lim: NewLimiter(FilterLogEventsRate)}}
}

// LogLine is one line of a function's log.
type LogLine struct {
	Time    time.Time `json:"time"`
	Stream  string    `json:"stream"`
	Version string    `json:"version,omitempty"` // "" when not known
	Message string    `json:"message"`
}

// LogQuery says which lines to read.
type LogQuery struct {
	Function string // the Lambda name: the log group is /aws/lambda/<name>
	// Version keeps the lines of that version only; "" keeps all.
	Version string
	Since   time.Time
	// Follow goes on reading new lines, every Poll (default 1 s), until
	// the context ends or For (default 1 h) has passed.
	Follow bool
	For    time.Duration
	Poll   time.Duration
}

// Lambda names each log stream YYYY/MM/DD/[VERSION]id, and starts each
// invocation with START RequestId: … Version: N.
var (
	streamVersionRe = regexp.MustCompile(`\[([^\]]+)\]`)
	startVersionRe  = regexp.MustCompile(`^START RequestId: \S+ Version: (\S+)`)
)

// ErrNoLogGroup says the function has not logged anything yet.
var ErrNoLogGroup = errors.New("no log group")

// Lines reads the function's log lines since q.Since and calls emit for
// those of q.Version, in time order: a stream's version comes from its
// name and, line by line, from the START lines in it.
func (c *Logs) Lines(ctx context.Context, q LogQuery, emit func(LogLine)) error {
	group := "/aws/lambda/" + q.Function
	poll, follow := q.Poll, q.For
	if poll <= 0 {
		poll = time.Second
	}
	if follow <= 0 {
		follow = time.Hour
	}
	end := time.Now().Add(follow)
	seen := map[string]bool{}
	versions := map[string]string{} // stream → version of its current invocation
	start := q.Since
	for {
		events, err := c.read(ctx, group, start)
		switch {
		case errors.Is(err, ErrNoLogGroup) && q.Follow:
			// not invoked yet: wait for its first lines
		case err != nil:
			return err
		}
		for _, ev := range events {
			id := aws.ToString(ev.EventId)
			if seen[id] {
				continue
			}
			seen[id] = true
			stream, msg := aws.ToString(ev.LogStreamName), strings.TrimRight(aws.ToString(ev.Message), "\n")
			v, ok := versions[stream]
			if !ok {
				if m := streamVersionRe.FindStringSubmatch(stream); m != nil {
					v = m[1]
				}
			}
			if m := startVersionRe.FindStringSubmatch(msg); m != nil {
				v = m[1]
			}
			versions[stream] = v
			t := time.UnixMilli(aws.ToInt64(ev.Timestamp))
			if t.After(start) {
				start = t // the next poll starts here (same-millisecond events are deduplicated)
			}
			if q.Version == "" || v == q.Version {
				emit(LogLine{Time: t, Stream: stream, Version: v, Message: msg})
			}
		}
		if !q.Follow {
			return nil
		}
		if time.Now().After(end) {
			return nil // followed for as long as asked
		}
		if err := sleep(ctx, poll); err != nil {
			return nil // Ctrl-C ends a follow: not an error
		}
	}
}

// read returns the events since start, every page (at most 1000), sorted by
// time then stream then event.
func (c *Logs) read(ctx context.Context, group string, start time.Time) ([]logtypes.FilteredLogEvent, error) {
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group), StartTime: aws.Int64(start.UnixMilli())}
	var out []logtypes.FilteredLogEvent
	for page := 0; ; page++ {
		if page == 1000 {
			return nil, fmt.Errorf("read log group %s: more than 1000 pages; narrow it with --since", group)
		}
		resp, err := callWithRetry(ctx, c.b.lim, c.retry, "FilterLogEvents", nil, func(ctx context.Context) (*cloudwatchlogs.FilterLogEventsOutput, error) {
			c.b.calls.Add(1)
			return c.api.FilterLogEvents(ctx, in, func(o *cloudwatchlogs.Options) { o.Retryer = aws.NopRetryer{} })
		})
		var nf *logtypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return nil, fmt.Errorf("%w: log group %s does not exist (the function has not logged anything yet)", ErrNoLogGroup, group)
		}
		if err != nil {
			return nil, fmt.Errorf("read log group %s: %w", group, err)
		}
		out = append(out, resp.Events...)
		next := aws.ToString(resp.NextToken)
		if next == "" || (in.NextToken != nil && next == *in.NextToken) {
			break
		}
		in.NextToken = aws.String(next)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ta, tb := aws.ToInt64(a.Timestamp), aws.ToInt64(b.Timestamp); ta != tb {
			return ta < tb
		}
		if sa, sb := aws.ToString(a.LogStreamName), aws.ToString(b.LogStreamName); sa != sb {
			return sa < sb
		}
		return aws.ToString(a.EventId) < aws.ToString(b.EventId)
	})
	return slices.Clip(out), nil
}
