package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
)

// BenchmarkGroupCommit measures audited writes: writers concurrent
// callers, each committing one event per Tx, with group commit ("batched")
// and with one transaction per unit ("each"), on each backend. It reports
// committed events per second. The PostgreSQL cases need
// DEPLOYTRAIL_TEST_DATABASE_URL.
//
//	go test -run '^$' -bench GroupCommit -benchtime 2000x ./internal/store/
func BenchmarkGroupCommit(b *testing.B) {
	backends := map[string]func(testing.TB) *store.DB{"sqlite": storetest.SQLite, "postgres": storetest.Postgres}
	for _, backend := range []string{"sqlite", "postgres"} {
		for _, mode := range []string{"batched", "each"} {
			for _, writers := range []int{1, 16, 64} {
				b.Run(fmt.Sprintf("%s/%s/writers=%d", backend, mode, writers), func(b *testing.B) {
					db := backends[backend](b)
					if mode == "each" {
						store.CommitEachUnit(db)
					}
					benchWriters(b, db, writers)
				})
			}
		}
	}
}

// benchWriters commits b.N events from writers goroutines.
func benchWriters(b *testing.B, db *store.DB, writers int) {
	events := store.Events{DB: db}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range writers {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				ev := testEvent(fmt.Sprintf("ev-%d", i), "111122223333", "us-east-1", "iam.amazonaws.com", "GetUser", "alice", int(i%3600), true, nil)
				err := db.Tx(context.Background(), func(ctx context.Context) error { return events.Record(ctx, ev) })
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
