package state

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/lambdas-dev/lambdas/internal/testenv"
	"github.com/lambdas-dev/lambdas/planner/plan"
)

// One suite for every backend: the local file, S3 on the emulator (moto),
// and an in-process S3 (gofakes3) whose conditional writes are atomic under
// races, as S3's are. moto checks conditions but not atomically: two writes
// racing can both pass, so the race tests run on the atomic ones only.

// backendUnderTest is everything a state backend is.
type backendUnderTest interface {
	Backend
	Store
	FunctionLocker
}

type backendKind struct {
	name string
	// atomic: conditional writes are atomic under races.
	atomic bool
	// new returns a fresh, empty backend; twin returns another value for the
	// same location (another process's view of it).
	new func(t *testing.T) (b, twin backendUnderTest)
}

var bucketSeq atomic.Int64

func backendKinds() []backendKind {
	s3Backend := func(t *testing.T, client *s3.Client, create func(bucket string)) (backendUnderTest, backendUnderTest) {
		bucket := fmt.Sprintf("state-%d-%d", time.Now().UnixNano()%1e9, bucketSeq.Add(1))
		create(bucket)
		key := "envs/qa/lambdas.json"
		return &S3{Client: client, Bucket: bucket, Key: key}, &S3{Client: client, Bucket: bucket, Key: key}
	}
	return []backendKind{
		{name: "local", atomic: true, new: func(t *testing.T) (backendUnderTest, backendUnderTest) {
			path := filepath.Join(t.TempDir(), ".lambdas", "state.json")
			return &LocalFile{Path: path}, &LocalFile{Path: path}
		}},
		{name: "gofakes3", atomic: true, new: func(t *testing.T) (backendUnderTest, backendUnderTest) {
			mem := s3mem.New()
			srv := httptest.NewServer(gofakes3.New(mem).Server())
			t.Cleanup(srv.Close)
			client := testenv.S3Client(testenv.AWSConfig(t, srv.URL))
			return s3Backend(t, client, func(bucket string) {
				if err := mem.CreateBucket(bucket); err != nil {
					t.Fatal(err)
				}
			})
		}},
		{name: "moto", new: func(t *testing.T) (backendUnderTest, backendUnderTest) {
			moto := testenv.StartMoto(t)
			cfg := testenv.AWSConfig(t, moto.Endpoint)
			return s3Backend(t, testenv.S3Client(cfg), func(bucket string) { testenv.CreateBucket(t, cfg, bucket) })
		}},
	}
}

// forEachBackend runs test against every backend kind (atomicOnly: those
// whose conditional writes are atomic under races).
func forEachBackend(t *testing.T, atomicOnly bool, test func(t *testing.T, b, twin backendUnderTest)) {
	for _, k := range backendKinds() {
		if atomicOnly && !k.atomic {
			continue
		}
		t.Run(k.name, func(t *testing.T) {
			b, twin := k.new(t)
			test(t, b, twin)
		})
	}
}

func TestConformanceBlob(t *testing.T) {
	forEachBackend(t, false, func(t *testing.T, b, _ backendUnderTest) {
		ctx := context.Background()
		if _, err := b.Get(ctx); !errors.Is(err, ErrNotExist) {
			t.Fatalf("Get of nothing: %v, want ErrNotExist", err)
		}
		if _, _, err := b.Read(ctx); !errors.Is(err, ErrNotExist) {
			t.Fatalf("Read of nothing: %v, want ErrNotExist", err)
		}
		if err := b.Delete(ctx); err != nil {
			t.Fatalf("Delete of nothing: %v", err)
		}
		for _, data := range []string{`{"a":1}` + "\n", `{"b":2}` + "\n"} {
			if err := b.Put(ctx, []byte(data)); err != nil {
				t.Fatalf("Put: %v", err)
			}
			got, err := b.Get(ctx)
			if err != nil || string(got) != data {
				t.Fatalf("Get after Put = %q, %v; want %q", got, err, data)
			}
		}
		if err := b.Delete(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Get(ctx); !errors.Is(err, ErrNotExist) {
			t.Errorf("Get after Delete: %v, want ErrNotExist", err)
		}
	})
}

func TestConformanceConditionalWrites(t *testing.T) {
	forEachBackend(t, false, func(t *testing.T, b, twin backendUnderTest) {
		ctx := context.Background()
		v1, err := b.WriteIf(ctx, []byte("one"), "")
		if err != nil || v1 == "" {
			t.Fatalf("first WriteIf: %q, %v", v1, err)
		}
		if _, err := twin.WriteIf(ctx, []byte("other first"), ""); !errors.Is(err, ErrConflict) {
			t.Fatalf("a second create-only write: %v, want ErrConflict", err)
		}
		data, v, err := twin.Read(ctx)
		if err != nil || string(data) != "one" || v != v1 {
			t.Fatalf("Read = %q %q %v, want %q %q", data, v, err, "one", v1)
		}
		v2, err := twin.WriteIf(ctx, []byte("two"), v1)
		if err != nil || v2 == v1 {
			t.Fatalf("WriteIf on the version read: %q, %v", v2, err)
		}
		if _, err := b.WriteIf(ctx, []byte("lost"), v1); !errors.Is(err, ErrConflict) {
			t.Fatalf("WriteIf on a stale version: %v, want ErrConflict", err)
		}
		if got, _ := b.Get(ctx); string(got) != "two" {
			t.Errorf("after a refused write the state is %q, want %q", got, "two")
		}
		if _, err := b.WriteIf(ctx, []byte("three"), v2); err != nil {
			t.Errorf("WriteIf on the current version: %v", err)
		}
	})
}

// TestConformanceManagersNeverLoseRecords: two runs load the same state,
// each changes its own functions, and both write: the second one's write is
// refused, it reads again, puts its records on top, and writes.
func TestConformanceManagersNeverLoseRecords(t *testing.T) {
	forEachBackend(t, false, func(t *testing.T, b, twin backendUnderTest) {
		ctx := context.Background()
		seed := mustLoad(t, b)
		if err := seed.Update(ctx, addFunction("shared")); err != nil {
			t.Fatal(err)
		}
		lineage := seed.Snapshot().Lineage
		m1, m2 := mustLoad(t, b), mustLoad(t, twin)
		if err := m1.Update(ctx, addFunction("api")); err != nil {
			t.Fatal(err)
		}
		if err := m2.Update(ctx, addFunction("worker")); err != nil {
			t.Fatalf("second run's write: %v", err)
		}
		if err := m1.Update(ctx, func(d *Document) error { d.Functions["api"].Version = "2"; return nil }); err != nil {
			t.Fatalf("first run's second write: %v", err)
		}
		got := readDoc(t, b)
		if diff := cmp.Diff([]string{"api", "shared", "worker"}, got.Labels()); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
		if got.Functions["api"].Version != "2" || got.Lineage != lineage || got.Serial != 4 {
			t.Errorf("api version %q, lineage %q (want %q), serial %d (want 4)", got.Functions["api"].Version, got.Lineage, lineage, got.Serial)
		}
		// Each run sees the other's records after its rebase.
		if s := m1.Snapshot(); s.Functions["worker"] == nil {
			t.Errorf("the first run does not see worker after rebasing: %v", s.Labels())
		}
	})
}

func TestConformanceRefusesAnotherLineage(t *testing.T) {
	forEachBackend(t, false, func(t *testing.T, b, twin backendUnderTest) {
		ctx := context.Background()
		m := mustLoad(t, b)
		if err := m.Update(ctx, addFunction("api")); err != nil {
			t.Fatal(err)
		}
		other := NewDocument()
		other.Lineage, other.Serial = "someone-else", 9
		data, _ := other.Encode()
		if err := twin.Put(ctx, data); err != nil {
			t.Fatal(err)
		}
		err := m.Update(ctx, addFunction("worker"))
		if err == nil || !strings.Contains(err.Error(), "replaced by a different state (lineage someone-else") {
			t.Fatalf("write over a replaced state: %v, want a lineage error", err)
		}
		if got := readDoc(t, b); got.Lineage != "someone-else" || len(got.Functions) != 0 {
			t.Errorf("the other state was written over: %+v", got)
		}
	})
}

func TestConformanceRefusesASerialGoingBack(t *testing.T) {
	forEachBackend(t, false, func(t *testing.T, b, twin backendUnderTest) {
		ctx := context.Background()
		m := mustLoad(t, b)
		for _, l := range []string{"a", "b", "c"} {
			if err := m.Update(ctx, addFunction(l)); err != nil {
				t.Fatal(err)
			}
		}
		old := m.Snapshot()
		old.Serial = 1
		data, _ := old.Encode()
		if err := twin.Put(ctx, data); err != nil {
			t.Fatal(err)
		}
		err := m.Update(ctx, addFunction("d"))
		if err == nil || !strings.Contains(err.Error(), "serial went back from 3 to 1") {
			t.Fatalf("write after a restore of an older copy: %v", err)
		}
	})
}

func TestConformanceBatchedWrites(t *testing.T) {
	forEachBackend(t, false, func(t *testing.T, b, _ backendUnderTest) {
		ctx := context.Background()
		m, err := LoadWith(ctx, b, Options{Batch: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range []string{"a", "b", "c"} {
			if err := m.Update(ctx, addFunction(l)); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := b.Read(ctx); !errors.Is(err, ErrNotExist) || !m.Pending() {
			t.Fatalf("batched updates were written before Flush (%v, pending %v)", err, m.Pending())
		}
		if err := m.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := m.Flush(ctx); err != nil { // nothing left: no write
			t.Fatal(err)
		}
		got := readDoc(t, b)
		if got.Serial != 1 || len(got.Functions) != 3 || m.Pending() {
			t.Errorf("after Flush: serial %d (want 1: one write), %d functions, pending %v", got.Serial, len(got.Functions), m.Pending())
		}
	})
}

// TestConformanceConcurrentRuns races several runs on one state, each
// writing its own functions many times, each with a layer cache record and
// kept descriptors (the state's layer cache, without an artifacts bucket):
// with atomic conditional writes no record is lost.
func TestConformanceConcurrentRuns(t *testing.T) {
	forEachBackend(t, true, func(t *testing.T, b, twin backendUnderTest) {
		ctx := context.Background()
		const runs, perRun = 6, 8
		var wg sync.WaitGroup
		errs := make([]error, runs)
		var want []string
		for r := range runs {
			for i := range perRun {
				want = append(want, fmt.Sprintf("r%d-fn%d", r, i))
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				store := Store(b)
				if r%2 == 1 {
					store = twin
				}
				m, err := LoadWith(ctx, store, Options{Batch: r%3 == 0, MaxAttempts: 200})
				if err != nil {
					errs[r] = err
					return
				}
				for i := range perRun {
					label := fmt.Sprintf("r%d-fn%d", r, i)
					err := m.Update(ctx, func(d *Document) error {
						if d.Layers == nil {
							d.Layers = map[string]*plan.LayerRecord{}
						}
						if d.Descriptors == nil {
							d.Descriptors = map[string]map[string]string{}
						}
						d.Layers["fp-"+label] = &plan.LayerRecord{DepsFingerprint: "fp-" + label, LayerVersionArn: "arn:layer:" + label}
						d.Descriptors[label] = map[string]string{"requirements.txt": label + "==1\n"}
						return addFunction(label)(d)
					})
					if err != nil {
						errs[r] = err
						return
					}
					if err := m.Flush(ctx); err != nil {
						errs[r] = err
						return
					}
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		sort.Strings(want)
		got := readDoc(t, b)
		if diff := cmp.Diff(want, got.Labels()); diff != "" {
			t.Errorf("records after %d concurrent runs (-want +got):\n%s", runs, diff)
		}
		var layers, descriptors []string
		for fp := range got.Layers {
			layers = append(layers, strings.TrimPrefix(fp, "fp-"))
		}
		for label := range got.Descriptors {
			descriptors = append(descriptors, label)
		}
		sort.Strings(layers)
		sort.Strings(descriptors)
		if diff := cmp.Diff(want, layers); diff != "" {
			t.Errorf("layer cache records after %d concurrent runs (-want +got):\n%s", runs, diff)
		}
		if diff := cmp.Diff(want, descriptors); diff != "" {
			t.Errorf("kept descriptors after %d concurrent runs (-want +got):\n%s", runs, diff)
		}
		if got.Serial != runs*perRun {
			t.Errorf("serial = %d, want %d (one per write)", got.Serial, runs*perRun)
		}
	})
}

func lockInfo(id string) LockInfo {
	return LockInfo{ID: id, Operation: "apply", Who: "run " + id, Host: "ci-runner", Created: time.Now().UTC().Add(-90 * time.Second)}
}

func TestConformanceFunctionLocks(t *testing.T) {
	forEachBackend(t, false, func(t *testing.T, b, twin backendUnderTest) {
		ctx := context.Background()
		unlock, err := b.LockFunctions(ctx, []string{"orders", "billing"}, lockInfo("first"), 0)
		if err != nil {
			t.Fatalf("first lock: %v", err)
		}
		// Disjoint functions: at once.
		other, err := twin.LockFunctions(ctx, []string{"thumbs", "webhook"}, lockInfo("disjoint"), 0)
		if err != nil {
			t.Fatalf("lock of other functions: %v", err)
		}
		// One function in common: refused after the wait, naming the holder.
		start := time.Now()
		_, err = twin.LockFunctions(ctx, []string{"orders", "zeta"}, lockInfo("second"), 300*time.Millisecond)
		var le *LockedError
		if !errors.As(err, &le) {
			t.Fatalf("lock of a held function: %v, want a *LockedError", err)
		}
		if waited := time.Since(start); waited < 300*time.Millisecond {
			t.Errorf("gave up after %s, before --lock-timeout", waited)
		}
		if le.Function != "orders" || le.Holder.ID != "first" || le.Holder.Who != "run first" || le.Holder.Host != "ci-runner" || le.Age < 90*time.Second {
			t.Errorf("LockedError = %+v", le)
		}
		for _, s := range []string{"function orders is locked", "by run first on ci-runner (apply, since ", "1m3", "s ago, lock id first)", "lambdas force-unlock first"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("message %q does not contain %q", err, s)
			}
		}
		// The refused run released what it had taken (zeta sorts after
		// orders, so it took nothing; billing is still the first run's).
		if u, err := twin.LockFunctions(ctx, []string{"zeta"}, lockInfo("third"), 0); err != nil {
			t.Errorf("zeta after the refused run: %v", err)
		} else {
			_ = u(ctx)
		}
		// A waiter gets the lock once it is released.
		got := make(chan error, 1)
		go func() {
			u, err := twin.LockFunctions(ctx, []string{"billing"}, lockInfo("waiter"), 20*time.Second)
			if err == nil {
				err = u(ctx)
			}
			got <- err
		}()
		time.Sleep(300 * time.Millisecond)
		select {
		case err := <-got:
			t.Fatalf("waiter returned while the lock was held: %v", err)
		default:
		}
		if err := unlock(ctx); err != nil {
			t.Fatalf("unlock: %v", err)
		}
		if err := <-got; err != nil {
			t.Fatalf("waiter: %v", err)
		}
		if err := other(ctx); err != nil {
			t.Fatal(err)
		}
		// All free again.
		u, err := b.LockFunctions(ctx, []string{"orders", "billing", "thumbs", "webhook"}, lockInfo("again"), 0)
		if err != nil {
			t.Fatalf("after every unlock: %v", err)
		}
		if err := u(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestConformanceLockRace: many runs want one function at once; with
// atomic conditional writes exactly one gets it.
func TestConformanceLockRace(t *testing.T) {
	forEachBackend(t, true, func(t *testing.T, b, twin backendUnderTest) {
		ctx := context.Background()
		const n = 12
		var wg sync.WaitGroup
		var won atomic.Int32
		var unlocks sync.Map
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l := FunctionLocker(b)
				if i%2 == 1 {
					l = twin
				}
				u, err := l.LockFunctions(ctx, []string{"a", "orders"}, lockInfo(fmt.Sprint(i)), 0)
				var le *LockedError
				switch {
				case err == nil:
					won.Add(1)
					unlocks.Store(i, u)
				case errors.As(err, &le):
				default:
					t.Errorf("run %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if got := won.Load(); got != 1 {
			t.Errorf("%d runs got the lock of one function, want exactly 1", got)
		}
		unlocks.Range(func(_, u any) bool { _ = u.(func(context.Context) error)(ctx); return true })
	})
}

// TestConformanceOppositeOrders: runs that name the same functions in
// opposite orders take them in one order, so neither waits for the other in
// a circle: the second simply waits for the first.
func TestConformanceOppositeOrders(t *testing.T) {
	forEachBackend(t, true, func(t *testing.T, b, twin backendUnderTest) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, labels := range [][]string{{"a", "b", "c"}, {"c", "b", "a"}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l := FunctionLocker(b)
				if i == 1 {
					l = twin
				}
				u, err := l.LockFunctions(ctx, labels, lockInfo(fmt.Sprint(i)), 20*time.Second)
				if err == nil {
					time.Sleep(50 * time.Millisecond)
					err = u(ctx)
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
	})
}

// TestConformanceStaleLockIsReportedNotStolen: on S3 a holder that died
// leaves its lock object; the next run reports it with its age and the way
// out, and force-unlock frees it. (A local lock is a flock, which dies with
// its process: TestLocalFunctionLockOfADeadProcessIsFree.)
func TestConformanceStaleLockIsReportedNotStolen(t *testing.T) {
	forEachBackend(t, false, func(t *testing.T, b, twin backendUnderTest) {
		if _, ok := b.(*LocalFile); ok {
			t.Skip("a local lock ends with its process; see TestLocalFunctionLockOfADeadProcessIsFree")
		}
		ctx := context.Background()
		crashed := lockInfo("crashed-run")
		crashed.Created = time.Now().UTC().Add(-3 * time.Hour)
		if _, err := b.LockFunctions(ctx, []string{"orders", "thumbs"}, crashed, 0); err != nil {
			t.Fatal(err)
		} // never unlocked: the process died
		_, err := twin.LockFunctions(ctx, []string{"orders"}, lockInfo("next"), 200*time.Millisecond)
		var le *LockedError
		if !errors.As(err, &le) || le.Holder.ID != "crashed-run" || le.Age < 3*time.Hour {
			t.Fatalf("lock of a crashed run's function: %v (%+v)", err, le)
		}
		if !strings.Contains(err.Error(), "3h0m") || !strings.Contains(err.Error(), "lambdas force-unlock crashed-run") {
			t.Errorf("message %q does not give the age and the way out", err)
		}
		if _, err := twin.ForceUnlock(ctx, "no-such-id"); err == nil || !strings.Contains(err.Error(), "no lock with id no-such-id") {
			t.Errorf("force-unlock of an unknown id: %v", err)
		}
		freed, err := twin.ForceUnlock(ctx, "crashed-run")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"orders", "thumbs"}, freed); diff != "" {
			t.Errorf("freed (-want +got):\n%s", diff)
		}
		u, err := twin.LockFunctions(ctx, []string{"orders", "thumbs"}, lockInfo("next"), 0)
		if err != nil {
			t.Fatalf("after force-unlock: %v", err)
		}
		_ = u(ctx)
	})
}

// TestS3ObjectsAreEncrypted checks on the emulator that the state and the
// lock objects are written with server-side encryption, and that
// ExpectedBucketOwner is sent.
func TestS3ObjectsAreEncrypted(t *testing.T) {
	moto := testenv.StartMoto(t)
	cfg := testenv.AWSConfig(t, moto.Endpoint)
	client := testenv.S3Client(cfg)
	bucket := fmt.Sprintf("state-sse-%d", time.Now().UnixNano()%1e9)
	testenv.CreateBucket(t, cfg, bucket)
	ctx := context.Background()
	for _, tc := range []struct {
		name, kms, want string
	}{
		{name: "SSE-S3", want: "AES256"},
		{name: "SSE-KMS", kms: "alias/lambdas-state", want: "aws:kms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &S3{Client: client, Bucket: bucket, Key: tc.name + "/state.json", KMSKeyID: tc.kms, ExpectedBucketOwner: testenv.AccountID}
			m := mustLoad(t, s)
			if err := m.Update(ctx, addFunction("api")); err != nil {
				t.Fatal(err)
			}
			u, err := s.LockFunctions(ctx, []string{"api"}, lockInfo("x"), 0)
			if err != nil {
				t.Fatal(err)
			}
			defer u(ctx)
			for _, key := range []string{s.Key, s.Key + ".locks/api"} {
				h, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
				if err != nil {
					t.Fatal(err)
				}
				if string(h.ServerSideEncryption) != tc.want {
					t.Errorf("%s: ServerSideEncryption %q, want %q", key, h.ServerSideEncryption, tc.want)
				}
			}
		})
	}
}
