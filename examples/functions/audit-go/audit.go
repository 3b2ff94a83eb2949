package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Entry is one line of the audit trail.
type Entry struct {
	Table   string         `json:"table"`
	Key     map[string]any `json:"key"`
	Action  string         `json:"action"` // insert, modify, remove, or expire (deleted by TTL)
	At      time.Time      `json:"at"`     // when DynamoDB wrote the change (seconds)
	Changes []Change       `json:"changes"`
	EventID string         `json:"event_id"`
}

// Change is one attribute that changed. Old is missing for an attribute
// that was added, New for one that was removed.
type Change struct {
	Attribute string `json:"attribute"`
	Old       any    `json:"old,omitempty"`
	New       any    `json:"new,omitempty"`
}

// ErrNoImages: the stream does not carry the item images an audit needs.
var ErrNoImages = errors.New("the record has no item images: set the stream's view type to NEW_AND_OLD_IMAGES")

// Auditor writes the audit trail of stream batches to Out.
type Auditor struct {
	Ignore map[string]bool // attributes whose changes are not audited (updated_at, version...)
	Out    io.Writer
}

// ParseIgnore reads AUDIT_IGNORE: attribute names separated by commas.
func ParseIgnore(s string) map[string]bool {
	ignore := map[string]bool{}
	for _, name := range strings.Split(s, ",") {
		if name = strings.TrimSpace(name); name != "" {
			ignore[name] = true
		}
	}
	return ignore
}

// Handle audits a batch. A record that cannot be audited is logged and
// reported as a batch item failure; the others are written.
func (a *Auditor) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	enc := json.NewEncoder(a.Out)
	for _, rec := range ev.Records {
		entry, err := Audit(rec, a.Ignore)
		if err == nil && entry != nil {
			err = enc.Encode(entry)
		}
		if err != nil {
			log.Printf("record %s (event %s): %v", rec.Change.SequenceNumber, rec.EventID, err)
			resp.BatchItemFailures = append(resp.BatchItemFailures,
				events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
		}
	}
	return resp, nil
}

// Audit returns the audit entry of one stream record, or nil when nothing
// but ignored attributes changed.
func Audit(rec events.DynamoDBEventRecord, ignore map[string]bool) (*Entry, error) {
	c := rec.Change
	if len(c.Keys) == 0 {
		return nil, errors.New("the record has no keys")
	}
	e := &Entry{
		Table:   tableName(rec.EventSourceArn),
		Key:     plainMap(c.Keys),
		At:      c.ApproximateCreationDateTime.UTC(),
		EventID: rec.EventID,
		Changes: []Change{},
	}
	var before, after map[string]events.DynamoDBAttributeValue
	switch rec.EventName {
	case "INSERT":
		e.Action, after = "insert", c.NewImage
		if after == nil {
			return nil, ErrNoImages
		}
	case "MODIFY":
		e.Action, before, after = "modify", c.OldImage, c.NewImage
		if before == nil || after == nil {
			return nil, ErrNoImages
		}
	case "REMOVE":
		e.Action, before = "remove", c.OldImage
		if before == nil {
			return nil, ErrNoImages
		}
		// Items deleted by Time to Live are removed by DynamoDB itself.
		if u := rec.UserIdentity; u != nil && u.Type == "Service" && u.PrincipalID == "dynamodb.amazonaws.com" {
			e.Action = "expire"
		}
	default:
		return nil, fmt.Errorf("unknown event name %q", rec.EventName)
	}

	names := map[string]bool{}
	for n := range before {
		names[n] = true
	}
	for n := range after {
		names[n] = true
	}
	for _, n := range slices.Sorted(maps.Keys(names)) {
		if ignore[n] {
			continue
		}
		ov, hadOld := before[n]
		nv, hasNew := after[n]
		var ch Change
		ch.Attribute = n
		if hadOld {
			ch.Old = plain(ov)
		}
		if hasNew {
			ch.New = plain(nv)
		}
		if hadOld && hasNew && reflect.DeepEqual(ch.Old, ch.New) {
			continue
		}
		e.Changes = append(e.Changes, ch)
	}
	if e.Action == "modify" && len(e.Changes) == 0 {
		return nil, nil
	}
	return e, nil
}

// tableName is the table of a stream ARN:
// arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000 -> orders.
func tableName(arn string) string {
	_, rest, ok := strings.Cut(arn, ":table/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

// plain turns a DynamoDB attribute value into what encoding/json writes
// as the value itself: numbers keep their exact decimal text (json.Number),
// binaries become base64, sets are sorted (they have no order, and a
// fixed one makes equal sets compare equal), NULL is JSON null.
func plain(v events.DynamoDBAttributeValue) any {
	switch v.DataType() {
	case events.DataTypeString:
		return v.String()
	case events.DataTypeNumber:
		return json.Number(v.Number())
	case events.DataTypeBoolean:
		return v.Boolean()
	case events.DataTypeNull:
		// Not nil, which omitempty would drop: a NULL that was removed
		// shows as "old": null, unlike an attribute that was never there.
		return jsonNull
	case events.DataTypeBinary:
		return base64.StdEncoding.EncodeToString(v.Binary())
	case events.DataTypeStringSet:
		return sortedAny(v.StringSet())
	case events.DataTypeNumberSet:
		ns := slices.Clone(v.NumberSet())
		slices.Sort(ns)
		out := make([]any, len(ns))
		for i, n := range ns {
			out[i] = json.Number(n)
		}
		return out
	case events.DataTypeBinarySet:
		var bs []string
		for _, b := range v.BinarySet() {
			bs = append(bs, base64.StdEncoding.EncodeToString(b))
		}
		return sortedAny(bs)
	case events.DataTypeList:
		out := []any{}
		for _, item := range v.List() {
			out = append(out, plain(item))
		}
		return out
	case events.DataTypeMap:
		return plainMap(v.Map())
	}
	return nil
}

var jsonNull = json.RawMessage("null")

func plainMap(m map[string]events.DynamoDBAttributeValue) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = plain(v)
	}
	return out
}

func sortedAny(ss []string) []any {
	ss = slices.Clone(ss)
	slices.Sort(ss)
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
