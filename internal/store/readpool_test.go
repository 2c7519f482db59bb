package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
)

// Concurrent reads reuse the read pool's connections: none is closed for
// want of an idle slot and reopened (each open runs the pragmas and reads
// the schema, and loses the connection's prepared statements).
func TestReadPoolKeepsIdleConnections(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 50 {
				var n int
				if err := store.QueryRow(ctx, db, `SELECT COUNT(*) FROM settings`).Scan(&n); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	st := store.ReadPoolStats(db)
	if st.MaxIdleClosed != 0 || st.MaxLifetimeClosed != 0 || st.MaxIdleTimeClosed != 0 {
		t.Errorf("read pool closed connections it could have kept: %+v", st)
	}
	if st.OpenConnections > 8 {
		t.Errorf("read pool has %d connections, want at most 8", st.OpenConnections)
	}
}
