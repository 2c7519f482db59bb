package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/deploytrail/deploytrail/internal/delivery"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// TestEventClock_FollowerMissesNothing records events from many
// transactions on two handles at once (as two nodes would), a fifth of
// them rolling back after recording, while a follower reads what the
// deliverer reads: the events after its cursor up to Newest, then moves
// its cursor to Newest. The follower must see every committed event
// exactly once and no rolled-back one, and the positions must be 1…n
// without a gap: an event that commits after a later position became
// visible would be skipped for good.
func TestEventClock_FollowerMissesNothing(t *testing.T) {
	storetest.EachShared(t, func(t *testing.T, a, b *store.DB) {
		const writers, txPerWriter = 8, 25
		refused := errors.New("refused")
		var committed sync.Map
		var wg sync.WaitGroup
		for w := range writers {
			db := []*store.DB{a, b}[w%2]
			wg.Go(func() {
				for i := range txPerWriter {
					evs := []*trail.Event{clockEvent(fmt.Sprintf("w%d-t%d-a", w, i)), clockEvent(fmt.Sprintf("w%d-t%d-b", w, i))}
					fail := i%5 == 3
					err := recordTx(db, evs[:1+i%2], fail, refused)
					if fail && !errors.Is(err, refused) || !fail && err != nil {
						t.Errorf("writer %d tx %d: %v", w, i, err)
					}
					if err == nil {
						for _, ev := range evs[:1+i%2] {
							committed.Store(ev.EventID, true)
						}
					}
				}
			})
		}
		var done atomic.Bool
		seen := map[string]int64{}
		var follow sync.WaitGroup
		follow.Go(func() {
			var cursor int64
			for last := false; !last; {
				last = done.Load()
				cursor = followOnce(t, a, cursor, seen)
			}
		})
		wg.Wait()
		done.Store(true)
		follow.Wait()

		want := 0
		committed.Range(func(id, _ any) bool {
			want++
			if _, ok := seen[id.(string)]; !ok {
				t.Errorf("the follower never saw committed event %s", id)
			}
			return true
		})
		if len(seen) != want {
			t.Errorf("the follower saw %d events, want the %d committed", len(seen), want)
		}
		mustBeGapFree(t, a, seen)
	})
}

// recordTx records evs in one transaction, which then fails with refused
// if fail is set.
func recordTx(db *store.DB, evs []*trail.Event, fail bool, refused error) error {
	return db.Tx(context.Background(), func(ctx context.Context) error {
		for _, ev := range evs {
			if err := (store.Events{DB: db}).Record(ctx, ev); err != nil {
				return err
			}
		}
		if fail {
			return refused
		}
		return nil
	})
}

// followOnce reads, as a delivery pass does, the events after cursor up
// to the newest committed, adds them to seen and returns the new cursor.
// The positions it reads must follow the cursor without a gap.
func followOnce(t *testing.T, db *store.DB, cursor int64, seen map[string]int64) int64 {
	ctx := context.Background()
	newest, err := store.Delivery{DB: db}.Newest(ctx)
	if err != nil {
		t.Error(err)
		return cursor
	}
	if newest == cursor {
		return cursor // UpTo 0 would mean no bound
	}
	evs, err := store.Delivery{DB: db}.Events(ctx, &delivery.Query{After: cursor, UpTo: newest, Limit: 1 << 20})
	if err != nil {
		t.Error(err)
		return cursor
	}
	for i, ev := range evs {
		if ev.Seq != cursor+int64(i)+1 {
			t.Errorf("after cursor %d the follower read seq %d at %d: a gap", cursor, ev.Seq, i)
		}
		if prev, ok := seen[ev.EventID]; ok {
			t.Errorf("event %s read twice (seq %d, then %d)", ev.EventID, prev, ev.Seq)
		}
		seen[ev.EventID] = ev.Seq
	}
	if int64(len(evs)) != newest-cursor {
		t.Errorf("between %d and newest %d the follower read %d events", cursor, newest, len(evs))
	}
	return newest
}

// mustBeGapFree checks that the events seen hold positions 1…len(seen)
// and that the clock stands at the last.
func mustBeGapFree(t *testing.T, db *store.DB, seen map[string]int64) {
	t.Helper()
	bySeq := map[int64]string{}
	for id, seq := range seen {
		bySeq[seq] = id
	}
	for seq := int64(1); seq <= int64(len(seen)); seq++ {
		if _, ok := bySeq[seq]; !ok {
			t.Errorf("no event holds position %d", seq)
		}
	}
	newest, err := store.Delivery{DB: db}.Newest(context.Background())
	if err != nil || newest != int64(len(seen)) {
		t.Errorf("Newest=%d, %v, want %d", newest, err, len(seen))
	}
}

func clockEvent(id string) *trail.Event {
	return testEvent(id, "111122223333", "us-east-1", "iam.amazonaws.com", "CreateUser", "bob", 1, false, nil)
}

// TestEventClock_LastSeqIsTheClock: a data event that is stored takes
// the next position like any other (delivery reads both), and
// LastSeq (the --follow stream's start) is the clock, data events
// included, so a stream never resumes before an event it has passed.
func TestEventClock_LastSeqIsTheClock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.Events{DB: db}
		if n, err := s.LastSeq(ctx); err != nil || n != 0 {
			t.Fatalf("LastSeq of an empty store=%d, %v, want 0", n, err)
		}
		data := clockEvent("d-1")
		data.EventCategory = trail.CategoryData
		mustRecord(t, db, clockEvent("m-1"), data, clockEvent("m-2"))
		if n, err := s.LastSeq(ctx); err != nil || n != 3 {
			t.Fatalf("LastSeq=%d, %v, want 3", n, err)
		}
		for id, want := range map[string]int64{"m-1": 1, "m-2": 3} {
			if seq, err := s.EventSeq(ctx, "111122223333", "us-east-1", id); err != nil || seq != want {
				t.Errorf("EventSeq(%s)=%d, %v, want %d", id, seq, err, want)
			}
		}
	})
}
