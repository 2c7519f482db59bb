package validate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/digest"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// countingBucket counts the reads of each key.
type countingBucket struct {
	objstore.Bucket
	mu    sync.Mutex
	reads map[string]int
}

func (b *countingBucket) Get(ctx context.Context, key string) (*objstore.Object, error) {
	b.mu.Lock()
	b.reads[key]++
	b.mu.Unlock()
	return b.Bucket.Get(ctx, key)
}

// The digests read ahead and the log files hashed during the walk are
// each read once: nothing is fetched twice, nothing listed is skipped.
func TestRun_ReadsEachObjectOnce(t *testing.T) {
	f := newFixture(t, 12, 5)
	b := &countingBucket{Bucket: f.bucket, reads: map[string]int{}}
	cfg := f.config()
	cfg.Bucket, cfg.Concurrency = b, 32
	rep, err := Run(t.Context(), cfg)
	if err != nil || !rep.Summary.OK() || rep.Summary.ValidLogFiles != 60 {
		t.Fatalf("err=%v Summary=%+v\n%s", err, rep.Summary, dump(rep))
	}
	want := map[string]int{}
	for i, keys := range f.logs {
		want[f.digestKey(i)] = 1
		for _, k := range keys {
			want[k] = 1
		}
	}
	if fmt.Sprint(b.reads) != fmt.Sprint(want) {
		t.Fatalf("reads per key:\n%v\nwant one each of:\n%v", b.reads, want)
	}
}

// Reading ahead and hashing in parallel do not change what is reported
// nor its order, also for a chain with a deleted and a corrupted digest
// (a gap, unreferenced files), a tampered and a missing log file.
func TestRun_SameReportAtAnyConcurrency(t *testing.T) {
	f := newFixture(t, 10, 4)
	f.delete(f.digestKey(7))
	f.put(f.digestKey(4), digest.Gzip([]byte(`{"not":"a digest"}`)), f.digests[4].Metadata())
	f.put(f.logs[2][1], digest.Gzip([]byte(`{"Records":[]}`)), nil)
	f.delete(f.logs[8][0])
	var first string
	for _, n := range []int{1, 2, 32, MaxConcurrency} {
		cfg := f.config()
		cfg.Concurrency = n
		rep, err := Run(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		got := dump(rep)
		if rep.Summary.OK() {
			t.Fatalf("concurrency %d: a tampered chain passed:\n%s", n, got)
		}
		if first == "" {
			first = got
		} else if got != first {
			t.Fatalf("concurrency %d reports\n%s\nconcurrency 1 reports\n%s", n, got, first)
		}
	}
}

// failingListBucket fails the listing of log files (the search for
// unreferenced ones) and makes each log file's read slow.
type failingListBucket struct {
	objstore.Bucket
	logReads atomic.Int32
}

func (b *failingListBucket) List(ctx context.Context, prefix, startAfter string, max int) ([]objstore.ObjectInfo, error) {
	if _, region, _ := strings.Cut(prefix, "/CloudTrail/"); region != "" {
		return nil, errors.New("listing refused")
	}
	return b.Bucket.List(ctx, prefix, startAfter, max)
}

func (b *failingListBucket) Get(ctx context.Context, key string) (*objstore.Object, error) {
	if strings.Contains(key, "/CloudTrail/") {
		b.logReads.Add(1)
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return b.Bucket.Get(ctx, key)
}

// A run that fails stops hashing the log files still queued: their
// verdicts would be dropped, and the error would wait for all of them.
func TestRun_FailureStopsHashing(t *testing.T) {
	f := newFixture(t, 12, 5)
	b := &failingListBucket{Bucket: f.bucket}
	cfg := f.config()
	cfg.Bucket, cfg.Concurrency = b, 1
	start := time.Now()
	_, err := Run(t.Context(), cfg)
	if err == nil || !strings.Contains(err.Error(), "listing refused") {
		t.Fatalf("err = %v", err)
	}
	if took, reads := time.Since(start), b.logReads.Load(); reads >= 60 || took > time.Second {
		t.Fatalf("the failed run read %d of 60 log files and took %v", reads, took)
	}
}
