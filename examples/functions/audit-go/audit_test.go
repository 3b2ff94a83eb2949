package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func loadStream(t *testing.T) events.DynamoDBEvent {
	t.Helper()
	b, err := os.ReadFile("testdata/stream.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestHandle runs a batch through the handler as Lambda would and checks
// the audit trail line by line.
func TestHandle(t *testing.T) {
	var out bytes.Buffer
	log.SetOutput(&bytes.Buffer{}) // the failure it logs is checked below
	defer log.SetOutput(os.Stderr)
	a := &Auditor{Ignore: ParseIgnore(" updated_at, ,version"), Out: &out}

	resp, err := a.Handle(context.Background(), loadStream(t))
	if err != nil {
		t.Fatal(err)
	}
	// The KEYS_ONLY record cannot be audited: Lambda retries from it.
	want := []events.DynamoDBBatchItemFailure{{ItemIdentifier: "400"}}
	if !reflect.DeepEqual(resp.BatchItemFailures, want) {
		t.Errorf("batch item failures = %+v, want %+v", resp.BatchItemFailures, want)
	}

	// Record 3 changed only updated_at, which is ignored: no line.
	wantLines := []string{
		`{"table":"orders","key":{"order_id":"ord_1"},"action":"insert","at":"2026-01-01T00:00:00Z","changes":[` +
			`{"attribute":"order_id","new":"ord_1"},{"attribute":"status","new":"created"},{"attribute":"total_cents","new":599}],"event_id":"1"}`,
		`{"table":"orders","key":{"order_id":"ord_1"},"action":"modify","at":"2026-01-01T00:01:00Z","changes":[` +
			`{"attribute":"coupon","old":"WELCOME10"},{"attribute":"paid","new":true},{"attribute":"status","old":"created","new":"paid"}],"event_id":"2"}`,
		`{"table":"orders","key":{"order_id":"ord_1"},"action":"expire","at":"2026-01-01T00:04:00Z","changes":[` +
			`{"attribute":"lines","old":[{"qty":2,"sku":"tea"}]},{"attribute":"note","old":null},{"attribute":"order_id","old":"ord_1"},{"attribute":"status","old":"paid"}],"event_id":"5"}`,
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if !reflect.DeepEqual(got, wantLines) {
		t.Errorf("audit trail:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLines, "\n"))
	}
}

func TestAuditValues(t *testing.T) {
	var ev events.DynamoDBEvent
	doc := `{"Records": [{"eventName": "MODIFY", "eventSourceARN": "arn:aws:dynamodb:eu-west-1:1:table/t/stream/x",
	  "dynamodb": {"Keys": {"id": {"N": "7"}},
	    "OldImage": {"id": {"N": "7"}, "price": {"N": "10.50"}, "sizes": {"NS": ["2", "10"]}, "blob": {"B": "AAE="}, "flags": {"BS": ["AQ==", "AA=="]}},
	    "NewImage": {"id": {"N": "7"}, "price": {"N": "10.5"}, "sizes": {"NS": ["10", "2"]}, "blob": {"B": "AAI="}, "flags": {"BS": ["AA==", "AQ=="]}}}}]}`
	if err := json.Unmarshal([]byte(doc), &ev); err != nil {
		t.Fatal(err)
	}
	e, err := Audit(ev.Records[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(e.Changes)
	// Numbers keep their text (DynamoDB normalises them, so "10.50" and
	// "10.5" only differ in a hand-made event); sets compare without order.
	want := `[{"attribute":"blob","old":"AAE=","new":"AAI="},{"attribute":"price","old":10.50,"new":10.5}]`
	if string(b) != want {
		t.Errorf("changes = %s, want %s", b, want)
	}
	if e.Table != "t" || !reflect.DeepEqual(e.Key, map[string]any{"id": json.Number("7")}) {
		t.Errorf("table %q key %v", e.Table, e.Key)
	}
}

func TestAuditErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  events.DynamoDBEventRecord
		want string
	}{
		{"no keys", events.DynamoDBEventRecord{EventName: "INSERT"}, "the record has no keys"},
		{"keys only", events.DynamoDBEventRecord{EventName: "INSERT", Change: events.DynamoDBStreamRecord{
			Keys: map[string]events.DynamoDBAttributeValue{"id": events.NewStringAttribute("a")}}}, ErrNoImages.Error()},
		{"unknown event", events.DynamoDBEventRecord{EventName: "TRUNCATE", Change: events.DynamoDBStreamRecord{
			Keys: map[string]events.DynamoDBAttributeValue{"id": events.NewStringAttribute("a")}}}, `unknown event name "TRUNCATE"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Audit(tc.rec, nil)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error = %v, want %q", err, tc.want)
			}
			if tc.want == ErrNoImages.Error() && !errors.Is(err, ErrNoImages) {
				t.Error("not ErrNoImages")
			}
		})
	}
}

func TestTableName(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000": "orders",
		"arn:aws:dynamodb:us-east-1:123456789012:table/orders":                                "orders",
		"": "",
	} {
		if got := tableName(arn); got != want {
			t.Errorf("tableName(%q) = %q, want %q", arn, got, want)
		}
	}
}
