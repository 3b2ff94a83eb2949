package state

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// ErrConflict is what Store.WriteIf wraps when the stored state is no
// longer the version it was asked to replace: another run wrote it since.
var ErrConflict = errors.New("the state was changed by another run since it was read")

// Store is the state as a Manager reads and writes it: one blob with a
// version, replaced only by a conditional write (compare and swap), so that
// two runs writing at once never lose each other's records. LocalFile and
// S3 are Stores.
type Store interface {
	// Read returns the stored document and its version; ErrNotExist when
	// nothing is stored yet.
	Read(ctx context.Context) (data []byte, version string, err error)
	// WriteIf stores data if the stored version is still version ("": only
	// if nothing is stored), and returns the new version. When it is not,
	// the error wraps ErrConflict and nothing is written.
	WriteIf(ctx context.Context, data []byte, version string) (string, error)
	// String names the location for messages.
	String() string
}

// Options tune a Manager.
type Options struct {
	// Batch keeps changes in memory until Flush, instead of writing after
	// every Update: for S3, where a write is a round trip, one write per
	// finished function is plenty.
	Batch bool
	// MaxAttempts bounds the writes tried when other runs keep changing the
	// state in between (default 20).
	MaxAttempts int
}

// Manager reads the state once and writes it back, after every change or
// (Options.Batch) at each Flush. It is safe for the concurrent workers of an
// apply. Writes are optimistic: each replaces the version last read or
// written; when another run wrote in between, the Manager reads the state
// again, puts this run's changes to the records it owns (the functions it
// changed, which this run holds the locks of, and the layer cache and
// descriptor records it wrote) on top, and tries again, a
// bounded number of times. The lineage must stay the same and the serial
// never go back.
type Manager struct {
	store Store
	opts  Options

	wmu sync.Mutex // one write at a time; held across the round trips

	mu      sync.Mutex // guards what follows
	doc     *Document  // the stored document with this run's changes on top
	version string     // of the stored document doc is based on; "" when none
	owned   map[string]bool
	lineage string // given at the first write when the state is new
	staged  uint64 // changes made
	written uint64 // changes stored
}

// Load reads the state from the store; a missing state is a new, empty one.
func Load(ctx context.Context, s Store) (*Manager, error) {
	return LoadWith(ctx, s, Options{})
}

// LoadWith is Load with options.
func LoadWith(ctx context.Context, s Store, o Options) (*Manager, error) {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 20
	}
	m := &Manager{store: s, opts: o, owned: map[string]bool{}}
	data, version, err := s.Read(ctx)
	switch {
	case errors.Is(err, ErrNotExist):
		m.doc = NewDocument()
		return m, nil
	case err != nil:
		return nil, fmt.Errorf("read state %s: %w", s, err)
	}
	doc, err := Decode(data, s.String())
	if err != nil {
		return nil, err
	}
	m.doc, m.version = doc, version
	return m, nil
}

// Snapshot returns a copy of the current document: what was read, what other
// runs wrote since (as far as a conflicting write has seen), and this run's
// changes.
func (m *Manager) Snapshot() *Document {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.doc.Clone()
}

// Location names the store.
func (m *Manager) Location() string { return m.store.String() }

// Update changes the document. Without Options.Batch the change is written
// at once and rolled back in memory when the write fails; with it, the
// change waits for the next Flush. The serial is bumped by each write.
func (m *Manager) Update(ctx context.Context, change func(*Document) error) error {
	if m.opts.Batch {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.stage(change)
	}
	m.wmu.Lock()
	defer m.wmu.Unlock()
	m.mu.Lock()
	prevDoc, prevVersion, prevOwned := m.doc, m.version, copySet(m.owned)
	if err := m.stage(change); err != nil {
		m.mu.Unlock()
		return err
	}
	m.mu.Unlock()
	if err := m.write(ctx); err != nil {
		m.mu.Lock()
		m.doc, m.version, m.owned, m.staged = prevDoc, prevVersion, prevOwned, m.written
		m.mu.Unlock()
		return err
	}
	return nil
}

// Flush writes the changes not written yet (none: nothing happens). Several
// workers' changes go in one write: a Flush that waited for another's write
// finds its own change written by it.
func (m *Manager) Flush(ctx context.Context) error {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	return m.write(ctx)
}

// Pending reports whether changes wait for a Flush.
func (m *Manager) Pending() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.staged != m.written
}

// stage applies change to a copy of the document and keeps it, noting the
// records it changed as this run's (m.mu held).
func (m *Manager) stage(change func(*Document) error) error {
	next := m.doc.Clone()
	if err := change(next); err != nil {
		return err
	}
	for key := range changedKeys(m.doc, next) {
		m.owned[key] = true
	}
	m.doc = next
	m.staged++
	return nil
}

// The records a run can own, as keys of Manager.owned: a function's
// record, a layer cache record, a function's kept descriptors.
const (
	ownFunction   = "functions/"
	ownLayer      = "layers/"
	ownDescriptor = "descriptors/"
)

// changedKeys are the records that differ between a and b (owned keys).
func changedKeys(a, b *Document) map[string]bool {
	out := map[string]bool{}
	diffKeys(out, ownFunction, a.Functions, b.Functions)
	diffKeys(out, ownLayer, a.Layers, b.Layers)
	diffKeys(out, ownDescriptor, a.Descriptors, b.Descriptors)
	return out
}

// diffKeys adds to out, under prefix, the keys whose values differ between
// a and b (present in one only, or not the same JSON).
func diffKeys[V any](out map[string]bool, prefix string, a, b map[string]V) {
	for k, va := range a {
		if vb, ok := b[k]; !ok || !sameJSON(va, vb) {
			out[prefix+k] = true
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out[prefix+k] = true
		}
	}
}

func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// carryOwned puts this run's value of each owned key of one map (prefix)
// from mine onto remote: set, or deleted where this run deleted it.
func carryOwned[V any](owned map[string]bool, prefix string, mine map[string]V, remote *map[string]V) {
	for key := range owned {
		k, ok := strings.CutPrefix(key, prefix)
		if !ok {
			continue
		}
		if v, ok := mine[k]; ok {
			if *remote == nil {
				*remote = map[string]V{}
			}
			(*remote)[k] = v
		} else {
			delete(*remote, k)
		}
	}
}

// write stores the document, rebasing this run's records onto what another
// run wrote meanwhile when the conditional write finds it changed (m.wmu
// held).
func (m *Manager) write(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		m.mu.Lock()
		if m.staged == m.written {
			m.mu.Unlock()
			return nil
		}
		next := m.doc.Clone()
		staged, version := m.staged, m.version
		if next.Lineage == "" {
			if m.lineage == "" {
				m.lineage = newLineage()
			}
			next.Lineage = m.lineage
		}
		m.mu.Unlock()
		next.Serial++
		data, err := next.Encode()
		if err != nil {
			return fmt.Errorf("encode state: %w", err)
		}
		v, err := m.store.WriteIf(ctx, data, version)
		if err == nil {
			m.mu.Lock()
			m.version, m.written = v, staged
			m.doc.Serial, m.doc.Lineage = next.Serial, next.Lineage
			m.mu.Unlock()
			return nil
		}
		if !errors.Is(err, ErrConflict) {
			return fmt.Errorf("write state %s: %w", m.store, err)
		}
		if attempt >= m.opts.MaxAttempts {
			return fmt.Errorf("write state %s: other runs changed it before each of %d writes; this run's changes are not stored (its finished steps are found again by a rerun): %w", m.store, attempt, err)
		}
		if err := m.rebase(ctx); err != nil {
			return err
		}
		// Full jitter, 10 ms doubling to 1 s: writers that collided do not
		// collide again in step.
		d := min(10*time.Millisecond<<min(attempt-1, 7), time.Second)
		if err := sleepCtx(ctx, rand.N(d)+time.Millisecond); err != nil {
			return fmt.Errorf("write state %s: %w", m.store, err)
		}
	}
}

// rebase reads the stored state and puts this run's records on top of it.
func (m *Manager) rebase(ctx context.Context) error {
	data, version, err := m.store.Read(ctx)
	var remote *Document
	switch {
	case errors.Is(err, ErrNotExist):
		m.mu.Lock()
		had := m.version
		m.mu.Unlock()
		if had != "" {
			return fmt.Errorf("write state %s: it was deleted by another run while this one was writing it; nothing was written (restore it, then run again)", m.store)
		}
		remote, version = NewDocument(), ""
	case err != nil:
		return fmt.Errorf("read state %s again after a conflicting write: %w", m.store, err)
	default:
		if remote, err = Decode(data, m.store.String()); err != nil {
			return err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.doc.Lineage != "" && remote.Lineage != m.doc.Lineage {
		return fmt.Errorf("write state %s: it was replaced by a different state (lineage %s, this run read %s) while this run was writing it; nothing was written", m.store, remote.Lineage, m.doc.Lineage)
	}
	if remote.Serial < m.doc.Serial {
		return fmt.Errorf("write state %s: its serial went back from %d to %d (an older copy was restored?) while this run was writing it; nothing was written", m.store, m.doc.Serial, remote.Serial)
	}
	carryOwned(m.owned, ownFunction, m.doc.Functions, &remote.Functions)
	carryOwned(m.owned, ownLayer, m.doc.Layers, &remote.Layers)
	carryOwned(m.owned, ownDescriptor, m.doc.Descriptors, &remote.Descriptors)
	m.doc, m.version = remote, version
	return nil
}

func copySet(s map[string]bool) map[string]bool {
	out := make(map[string]bool, len(s))
	for k, v := range s {
		out[k] = v
	}
	return out
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Revision identifies a function's record (its release and any release
// under way): a saved plan keeps it for each function it covers, and is
// stale when it changed. "" for no record.
func Revision(f *Function) string {
	if f == nil {
		return ""
	}
	data, err := json.Marshal(f)
	if err != nil {
		panic(fmt.Sprintf("state: revision: %v", err)) // plain data: cannot fail
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:12])
}
