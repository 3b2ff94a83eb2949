package executor

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/google/go-cmp/cmp"
)

type fakeLogs struct{ pages [][]logtypes.FilteredLogEvent }

func (f *fakeLogs) FilterLogEvents(_ context.Context, in *cloudwatchlogs.FilterLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	page := 0
	if in.NextToken != nil {
		page = int((*in.NextToken)[0] - '0')
	}
	out := &cloudwatchlogs.FilterLogEventsOutput{Events: f.pages[page]}
	if page+1 < len(f.pages) {
		out.NextToken = aws.String(string(rune('0' + page + 1)))
	}
	return out, nil
}

func ev(id, stream string, ms int64, msg string) logtypes.FilteredLogEvent {
	return logtypes.FilteredLogEvent{EventId: aws.String(id), LogStreamName: aws.String(stream), Timestamp: aws.Int64(ms), Message: aws.String(msg)}
}

func TestLogLinesOfAVersion(t *testing.T) {
	const s2, s3, sx = "2026/01/01/[2]aaa", "2026/01/01/[3]bbb", "2026/01/01/odd-stream"
	f := &fakeLogs{pages: [][]logtypes.FilteredLogEvent{{
		ev("1", s2, 1, "START RequestId: r1 Version: 2\n"), ev("2", s2, 2, "old line"),
		ev("3", s3, 3, "START RequestId: r2 Version: 3"), ev("4", s3, 4, "new line"),
	}, {
		ev("5", sx, 5, "before any START"), ev("6", sx, 6, "START RequestId: r3 Version: 3"), ev("7", sx, 7, "new line, by its START"),
		ev("4", s3, 4, "new line"), // a duplicate, as a follow's next poll may give
	}}}
	var got []string
	err := newLogs(f, RetryPolicy{MaxAttempts: 1}).Lines(context.Background(), LogQuery{Function: "web", Version: "3", Since: time.UnixMilli(0)}, func(l LogLine) {
		got = append(got, l.Version+" "+l.Message)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"3 START RequestId: r2 Version: 3", "3 new line", "3 START RequestId: r3 Version: 3", "3 new line, by its START"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

func TestCloudWatchProtocol(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
		bad  bool
	}{
		{env: map[string]string{}, want: "cbor"},
		{env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}, want: "query"},
		{env: map[string]string{"AWS_ENDPOINT_URL_CLOUDWATCH": "http://127.0.0.1:5000"}, want: "query"},
		{env: map[string]string{"AWS_ENDPOINT_URL": "http://x", "LAMBDAS_CLOUDWATCH_PROTOCOL": "cbor"}, want: "cbor"},
		{env: map[string]string{"LAMBDAS_CLOUDWATCH_PROTOCOL": "query"}, want: "query"},
		{env: map[string]string{"LAMBDAS_CLOUDWATCH_PROTOCOL": "json"}, bad: true},
	}
	for _, tt := range tests {
		got, err := CloudWatchProtocol(func(k string) string { return tt.env[k] })
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("%v: %q, %v; want %q", tt.env, got, err, tt.want)
		}
	}
}
