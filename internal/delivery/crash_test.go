package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/delivery"
	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/objstore/fs"
	"github.com/deploytrail/deploytrail/internal/store"
)

var errCrash = errors.New("simulated crash")

// faultyProvider hands out buckets whose Put fails with err once
// failAfter puts have succeeded (never when failAfter < 0).
type faultyProvider struct {
	objstore.Provider
	mu        sync.Mutex
	puts      int
	failAfter int
	err       error
}

func (p *faultyProvider) Bucket(name string) (objstore.Bucket, error) {
	b, err := p.Provider.Bucket(name)
	return &faultyBucket{Bucket: b, p: p}, err
}

func (p *faultyProvider) set(failAfter int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.puts, p.failAfter, p.err = 0, failAfter, err
}

type faultyBucket struct {
	objstore.Bucket
	p *faultyProvider
}

func (b *faultyBucket) Put(ctx context.Context, key string, body []byte, opts objstore.PutOptions) error {
	b.p.mu.Lock()
	if b.p.failAfter >= 0 && b.p.puts >= b.p.failAfter {
		b.p.mu.Unlock()
		return fmt.Errorf("put: %w", b.p.err)
	}
	b.p.puts++
	b.p.mu.Unlock()
	return b.Bucket.Put(ctx, key, body, opts)
}

// crashingStore loses FinishDelivery: the process died after writing
// every file but before advancing the cursor.
type crashingStore struct{ delivery.Store }

func (crashingStore) FinishDelivery(context.Context, *delivery.Intent, time.Time) error {
	return errCrash
}

func TestDeliver_ExactlyOnceAcrossCrash(t *testing.T) {
	tests := []struct {
		name      string
		failAfter int  // puts that succeed before the crash; -1: all
		lostAck   bool // the crash comes after the files, before the cursor moves
	}{
		{"AfterIntent", 0, false},
		{"AfterSomeFiles", 2, false},
		{"AfterAllFiles", -1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			base, err := fs.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			faulty := &faultyProvider{Provider: base, failAfter: -1}
			e := newEnv(t, faulty)
			e.trail("main", func(t *cloudtrail.Trail) { t.Config.IsMultiRegionTrail = true })
			var ids []string
			for i := range 12 { // 3 regions, several files each
				ids = append(ids, e.record(acct, []string{east, west, "eu-west-1"}[i%3], cdSrc, fmt.Sprintf("Op%d", i), false))
			}
			faulty.set(tt.failAfter, errCrash)
			first := e.deliverer()
			first.MaxFileBytes = 1000
			if tt.lostAck {
				first = delivery.New(crashingStore{store.Delivery{DB: e.db}}, faulty, e.policies)
				first.MaxFileBytes, first.Now = 1000, func() time.Time { return e.now }
			}
			if err := first.Deliver(context.Background()); !errors.Is(err, errCrash) {
				t.Fatalf("Deliver=%v, want the crash", err)
			}
			written := map[string][]byte{}
			for _, f := range e.files() {
				written[f.Key] = mustGet(t, base, f.Key)
			}
			// Events keep coming while the process is down.
			for i := range 3 {
				ids = append(ids, e.record(acct, east, cdSrc, fmt.Sprintf("Late%d", i), false))
			}
			e.now = e.now.Add(time.Minute)
			faulty.set(-1, nil)
			e.deliver(e.deliverer()) // the restarted process
			files := e.files()
			wantOnce(t, files, ids...)
			for key, body := range written {
				if got := mustGet(t, base, key); string(got) != string(body) {
					t.Errorf("file %s was rewritten with other bytes", key)
				}
			}
			late := 0
			for _, f := range files {
				if _, ok := written[f.Key]; !ok && strings.HasPrefix(f.Records[0]["eventName"].(string), "Late") {
					late++
				}
			}
			if late != 1 {
				t.Errorf("%d new files hold the late events, want them in one file of their own", late)
			}
		})
	}
}

func mustGet(tb testing.TB, p objstore.Provider, key string) []byte {
	tb.Helper()
	b, _ := p.Bucket(bucket)
	obj, err := b.Get(context.Background(), key)
	if err != nil {
		tb.Fatalf("get %s: %v", key, err)
	}
	return obj.Body
}

func TestDeliver_BucketOutage(t *testing.T) {
	faulty := &faultyProvider{failAfter: -1}
	e := newEnv(t, nil)
	faulty.Provider = e.buckets
	e.buckets = faulty
	tr := e.trail("main", nil)
	ids := []string{e.record(acct, east, cdSrc, "CreateApplication", false)}
	faulty.set(0, objstore.ErrNoBucket)
	d := e.deliverer()
	d.MinBackoff = 10 * time.Second
	if err := d.Deliver(context.Background()); !errors.Is(err, objstore.ErrNoBucket) {
		t.Fatalf("Deliver=%v, want ErrNoBucket", err)
	}
	st := e.status(tr)
	if st.LatestError != "NoSuchBucket" || st.LatestAttemptSucceeded || !st.LatestAttempt.Equal(e.now) || !st.LatestDelivery.IsZero() {
		t.Errorf("status=%+v, want a failed attempt with NoSuchBucket", st)
	}
	ids = append(ids, e.record(acct, east, cdSrc, "DeleteApplication", false))
	faulty.set(-1, nil)
	e.deliver(d) // still backing off: no attempt
	// Another node taking delivery over keeps the backoff: it is in the
	// store, not in the deliverer that failed.
	other := e.deliverer()
	other.MinBackoff = 10 * time.Second
	e.deliver(other)
	if n := len(e.files()); n != 0 {
		t.Fatalf("files=%d during the backoff, want 0", n)
	}
	e.now = e.now.Add(11 * time.Second)
	e.deliver(other)
	wantOnce(t, e.files(), ids...)
	if st := e.status(tr); st.LatestError != "" || !st.LatestAttemptSucceeded || !st.LatestDelivery.Equal(e.now) {
		t.Errorf("status=%+v, want delivered with the error cleared", st)
	}
}

// TestDeliver_BackoffGrowsAndResets: each failure doubles the wait (up to
// MaxBackoff), counted across deliverers (nodes); a delivery that works
// starts the next outage's backoff from MinBackoff again.
func TestDeliver_BackoffGrowsAndResets(t *testing.T) {
	faulty := &faultyProvider{failAfter: -1}
	e := newEnv(t, nil)
	faulty.Provider = e.buckets
	e.buckets = faulty
	e.trail("main", nil)
	faulty.set(0, objstore.ErrNoBucket)
	node := func() *delivery.Deliverer { // a fresh deliverer each time: nothing kept in memory
		d := e.deliverer()
		d.MinBackoff, d.MaxBackoff = 10*time.Second, 35*time.Second
		return d
	}
	start := e.now
	for _, wait := range []time.Duration{10 * time.Second, 20 * time.Second, 35 * time.Second, 35 * time.Second} {
		e.record(acct, east, cdSrc, "CreateApplication", false)
		if err := node().Deliver(context.Background()); !errors.Is(err, objstore.ErrNoBucket) {
			t.Fatalf("Deliver=%v, want ErrNoBucket", err)
		}
		e.now = e.now.Add(wait - time.Second)
		if err := node().Deliver(context.Background()); err != nil {
			t.Fatalf("Deliver %v after a failure=%v, want no attempt (backing off %v)", e.now.Sub(start), err, wait)
		}
		e.now = e.now.Add(time.Second)
	}
	faulty.set(-1, nil)
	e.deliver(node())
	if n := len(e.files()); n == 0 {
		t.Fatal("no files after the bucket came back")
	}
	faulty.set(0, objstore.ErrNoBucket)
	e.record(acct, east, cdSrc, "DeleteApplication", false)
	node().Deliver(context.Background())
	e.now = e.now.Add(10 * time.Second)
	if err := node().Deliver(context.Background()); !errors.Is(err, objstore.ErrNoBucket) {
		t.Fatalf("Deliver 10 s after a new outage's first failure=%v, want an attempt (ErrNoBucket)", err)
	}
}

func TestDeliverer_Run(t *testing.T) {
	e := newEnv(t, nil)
	e.trail("main", nil)
	id := e.record(acct, east, cdSrc, "CreateApplication", false)
	d := e.deliverer()
	d.Interval = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Run's passes fail; its final flush still delivers
	if err := d.Run(ctx); err != nil {
		t.Fatalf("Run=%v", err)
	}
	wantOnce(t, e.files(), id)
}
