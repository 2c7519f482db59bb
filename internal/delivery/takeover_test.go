package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/delivery"
	"github.com/deploytrail/deploytrail/internal/lease"
	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/objstore/mem"
	"github.com/deploytrail/deploytrail/internal/store"
)

// stallingProvider hands out buckets whose first Put waits for resume:
// a node that stalls (GC pause, lost network) mid-delivery.
type stallingProvider struct {
	objstore.Provider
	once    sync.Once
	stalled chan struct{} // closed when the first Put waits
	resume  chan struct{}
}

func (p *stallingProvider) Bucket(name string) (objstore.Bucket, error) {
	b, err := p.Provider.Bucket(name)
	return &stallingBucket{Bucket: b, p: p}, err
}

type stallingBucket struct {
	objstore.Bucket
	p *stallingProvider
}

func (b *stallingBucket) Put(ctx context.Context, key string, body []byte, opts objstore.PutOptions) error {
	b.p.once.Do(func() {
		close(b.p.stalled)
		<-b.p.resume
	})
	return b.Bucket.Put(ctx, key, body, opts)
}

// TestDeliver_ExactlyOnceAcrossTakeover: node A stalls after committing
// its intent, its lease expires and node B takes over delivery. B
// finishes A's intent; A, waking, writes the same files with the same
// bytes but cannot move the cursor. Every event is delivered exactly
// once, the later ones by B.
func TestDeliver_ExactlyOnceAcrossTakeover(t *testing.T) {
	shared := mem.New()
	e := newEnv(t, shared)
	e.trail("main", func(t *cloudtrail.Trail) { t.Config.IsMultiRegionTrail = true })
	var ids []string
	for i := range 12 {
		ids = append(ids, e.record(acct, []string{east, west, "eu-west-1"}[i%3], cdSrc, fmt.Sprintf("Op%d", i), false))
	}
	dbB, err := store.Open(context.Background(), e.dbPath) // node B's handle on the shared database
	if err != nil {
		t.Fatal(err)
	}
	defer dbB.Close()
	leasesA, leasesB := store.Leases{DB: e.db}, store.Leases{DB: dbB}
	const ttl = time.Second // A commits its intent well within it
	tokenA, err := leasesA.Acquire(context.Background(), "delivery", "node-a", ttl)
	if err != nil {
		t.Fatal(err)
	}
	ctxA := lease.With(context.Background(), lease.Held{Name: "delivery", Holder: "node-a", Token: tokenA})

	stall := &stallingProvider{Provider: shared, stalled: make(chan struct{}), resume: make(chan struct{})}
	nodeA := delivery.New(store.Delivery{DB: e.db}, stall, e.policies)
	nodeA.MaxFileBytes, nodeA.Now = 1000, func() time.Time { return e.now }
	errA := make(chan error, 1)
	go func() { errA <- nodeA.Deliver(ctxA) }()
	select {
	case <-stall.stalled: // A's intent is committed; A writes nothing more for now
	case err := <-errA:
		t.Fatalf("node-a Deliver ended before writing a file: %v", err)
	}

	time.Sleep(ttl + 100*time.Millisecond)
	tokenB, err := leasesB.Acquire(context.Background(), "delivery", "node-b", time.Minute)
	if err != nil {
		t.Fatalf("node-b takes over: %v", err)
	}
	ctxB := lease.With(context.Background(), lease.Held{Name: "delivery", Holder: "node-b", Token: tokenB})
	nodeB := delivery.New(store.Delivery{DB: dbB}, shared, e.policies)
	nodeB.MaxFileBytes, nodeB.Now, nodeB.MinBackoff = 1000, func() time.Time { return e.now }, 0
	if err := nodeB.Deliver(ctxB); err != nil {
		t.Fatalf("node-b Deliver: %v", err)
	}
	written := map[string]string{}
	for _, f := range e.files() {
		written[f.Key] = string(mustGet(t, shared, f.Key))
	}

	close(stall.resume)
	if err := <-errA; !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("deposed node-a Deliver=%v, want ErrLeaseLost", err)
	}
	for key, body := range written {
		if got := mustGet(t, shared, key); string(got) != body {
			t.Errorf("file %s rewritten with other bytes by the deposed node", key)
		}
	}
	if len(e.files()) != len(written) {
		t.Errorf("the deposed node wrote %d files of its own", len(e.files())-len(written))
	}
	for i := range 3 {
		ids = append(ids, e.record(acct, east, cdSrc, fmt.Sprintf("Late%d", i), false))
	}
	e.now = e.now.Add(time.Minute)
	if err := nodeB.Deliver(ctxB); err != nil {
		t.Fatalf("node-b Deliver: %v", err)
	}
	wantOnce(t, e.files(), ids...)
}
