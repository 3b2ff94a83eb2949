// Package state holds the record of what lambdas released: per function the
// commit, fingerprints, CodeSha256, version and alias of the last release,
// and the steps of a release under way so that a rerun resumes it.
//
// Storage is a dumb blob Backend (Get, Put, Delete) plus an optional Locker,
// as Terraform's statemgr does, so that an S3 backend slots in beside the
// local file.
package state

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lambdas-dev/lambdas/planner/plan"
)

// FormatVersion is the version of the state document's JSON shape.
const FormatVersion = 1

// ErrNotExist is returned by Backend.Get when no state was stored yet.
var ErrNotExist = errors.New("state does not exist")

// Backend stores the state document as one blob.
type Backend interface {
	Get(ctx context.Context) ([]byte, error)
	Put(ctx context.Context, data []byte) error
	Delete(ctx context.Context) error
	// String names the location for messages, e.g. ".lambdas/state.json".
	String() string
}

// Locker guards a backend against concurrent runs.
type Locker interface {
	// Lock takes the lock, waiting up to the context's deadline. The error
	// of a held lock is a *LockedError naming the holder.
	Lock(ctx context.Context, info LockInfo) (unlock func() error, err error)
}

// LockInfo says who holds a lock, for the message another run shows.
type LockInfo struct {
	ID        string    `json:"id"`
	Operation string    `json:"operation"`
	Who       string    `json:"who"`
	Host      string    `json:"host,omitempty"`
	Created   time.Time `json:"created"`
}

// LockedError is returned when another run holds the lock.
type LockedError struct {
	Location string
	Holder   LockInfo
	// Function is the label whose lock is held, for per-function locks
	// ("" for the lock of the whole state).
	Function string
	// Age is how old the holder's lock was when it was found held (0 when
	// not known).
	Age time.Duration
}

func (e *LockedError) Error() string {
	h := e.Holder
	if e.Function == "" {
		return fmt.Sprintf("state %s is locked by %s (%s, since %s, lock id %s); wait for that run to finish",
			e.Location, orUnknown(h.Who), orUnknown(h.Operation), h.Created.Format(time.RFC3339), orUnknown(h.ID))
	}
	who := orUnknown(h.Who)
	if h.Host != "" && !strings.Contains(who, h.Host) {
		who += " on " + h.Host
	}
	age := ""
	if e.Age > 0 {
		age = ", " + e.Age.Round(time.Second).String() + " ago"
	}
	return fmt.Sprintf("function %s is locked in state %s by %s (%s, since %s%s, lock id %s); wait for that run to finish (--lock-timeout waits), or, if it is gone (a crashed or cancelled job), run lambdas force-unlock %s",
		e.Function, e.Location, who, orUnknown(h.Operation), h.Created.Format(time.RFC3339), age, orUnknown(h.ID), orUnknown(h.ID))
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// Document is the whole state.
type Document struct {
	FormatVersion int                  `json:"format_version"`
	Lineage       string               `json:"lineage"`
	Serial        int64                `json:"serial"`
	Functions     map[string]*Function `json:"functions"` // keyed by manifest label
	// Layers and Descriptors are the layer cache when the project has no
	// artifacts bucket (with one, they live in S3): the layer version
	// published for each dependency fingerprint, and each function's
	// descriptor files as last released (label → file name → content),
	// for the plan's descriptor diff.
	Layers      map[string]*plan.LayerRecord `json:"layers,omitempty"`
	Descriptors map[string]map[string]string `json:"descriptors,omitempty"`
}

// Function is what was last released for one function.
type Function struct {
	FunctionName    string `json:"function_name"`
	Commit          string `json:"commit"`
	Dirty           bool   `json:"dirty,omitempty"`
	CodeFingerprint string `json:"code_fingerprint"`
	DepsFingerprint string `json:"deps_fingerprint,omitempty"`
	CodeSha256      string `json:"code_sha256"`
	Artifact        string `json:"artifact,omitempty"` // s3://bucket/key of the uploaded zip
	Version         string `json:"version"`
	Alias           string `json:"alias"`
	// AliasRevisionID is the alias's RevisionId after lambdas last moved it
	// (or read it): the next move is guarded by it, so that it needs no read
	// first, and a move made by someone else since shows as a 412.
	AliasRevisionID string `json:"alias_revision_id,omitempty"`
	// Region and Account are where the release went (the account from the
	// function's ARN).
	Region     string    `json:"region,omitempty"`
	Account    string    `json:"account,omitempty"`
	ReleasedAt time.Time `json:"released_at"`
	// ReleaseLabel names the release: the tag at HEAD, or the commit.
	ReleaseLabel string `json:"release_label,omitempty"`
	// InFlight is a release under way: each finished step is recorded so a
	// rerun after a crash resumes instead of redoing it.
	InFlight *Release `json:"in_flight,omitempty"`
	// PreviousVersion is the version the alias served before this release:
	// what lambdas rollback goes back to (rollout.go).
	PreviousVersion string `json:"previous_version,omitempty"`
	// Rollout is the weighted rollout under way, or the last one to end
	// (rollout.go); nil for releases that moved the alias at once.
	Rollout *Rollout `json:"rollout,omitempty"`
}

// Release is a release under way.
type Release struct {
	Commit          string `json:"commit"`
	Dirty           bool   `json:"dirty,omitempty"`
	CodeFingerprint string `json:"code_fingerprint"`
	DepsFingerprint string `json:"deps_fingerprint,omitempty"`
	CodeSha256      string `json:"code_sha256,omitempty"`
	Artifact        string `json:"artifact,omitempty"`
	// Version is the version this release published, recorded as soon as
	// Lambda answered (before it was verified Active): a rerun verifies it
	// and moves the alias to it instead of publishing again.
	Version         string            `json:"version,omitempty"`
	AliasRevisionID string            `json:"alias_revision_id,omitempty"` // after this release moved the alias
	Region          string            `json:"region,omitempty"`
	Account         string            `json:"account,omitempty"`
	ReleaseLabel    string            `json:"release_label,omitempty"`
	Done            map[string]string `json:"done,omitempty"` // step name -> when (RFC 3339)
	StartedAt       time.Time         `json:"started_at"`
}

// NewDocument returns an empty state. Its lineage is given at its first
// write, so that plans made before any state exists all agree on it ("").
func NewDocument() *Document {
	return &Document{FormatVersion: FormatVersion, Functions: map[string]*Function{}}
}

func newLineage() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Clone returns a deep copy.
func (d *Document) Clone() *Document {
	data, err := json.Marshal(d)
	if err != nil {
		panic(fmt.Sprintf("state: clone: %v", err)) // plain data: cannot fail
	}
	var c Document
	if err := json.Unmarshal(data, &c); err != nil {
		panic(fmt.Sprintf("state: clone: %v", err))
	}
	if c.Functions == nil {
		c.Functions = map[string]*Function{}
	}
	return &c
}

// Encode renders the document as stable, indented JSON.
func (d *Document) Encode() ([]byte, error) {
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// Decode parses a stored state.
func Decode(data []byte, location string) (*Document, error) {
	var d Document
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("state %s is not valid JSON: %w; restore it from a backup or remove it to start over", location, err)
	}
	if d.FormatVersion > FormatVersion {
		return nil, fmt.Errorf("state %s has format_version %d, newer than this lambdas understands (%d); upgrade lambdas", location, d.FormatVersion, FormatVersion)
	}
	if d.Lineage == "" {
		return nil, fmt.Errorf("state %s has no lineage; it was not written by lambdas", location)
	}
	if d.Functions == nil {
		d.Functions = map[string]*Function{}
	}
	return &d, nil
}

// Labels returns the recorded function labels, sorted.
func (d *Document) Labels() []string {
	out := make([]string, 0, len(d.Functions))
	for k := range d.Functions {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
