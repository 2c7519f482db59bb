package store_test

import (
	"context"
	"strconv"
	"strings"
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

// Reads outside a transaction run as statements prepared once (SQLite;
// PostgreSQL's pgx prepares its own), give the same answers and errors as
// unprepared ones, and the prepared set stays bounded.
func TestPreparedReads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		onSQLite := db.Dialect() == "sqlite"
		want := func(n int) int {
			if onSQLite {
				return n
			}
			return 0
		}
		for i := range 5 {
			var got int
			if err := store.QueryRow(ctx, db, `SELECT ? + 1`, i).Scan(&got); err != nil || got != i+1 {
				t.Fatalf("SELECT %d + 1 = %d, %v", i, got, err)
			}
		}
		if got := store.PreparedReads(db); got != want(1) {
			t.Errorf("%d prepared reads after one statement run 5 times, want %d", got, want(1))
		}

		_, err := store.Query(ctx, db, `SELECT no_such_column FROM settings`)
		if err == nil || !strings.Contains(err.Error(), "no_such_column") {
			t.Errorf("a bad read's error = %v, want the database's, naming the column", err)
		}
		if got := store.PreparedReads(db); got != want(1) {
			t.Errorf("%d prepared reads after a failed prepare, want %d", got, want(1))
		}

		for i := range store.MaxReadStmts + 5 {
			var got string
			if err := store.QueryRow(ctx, db, `SELECT '`+strconv.Itoa(i)+`'`).Scan(&got); err != nil || got != strconv.Itoa(i) {
				t.Fatalf("statement %d: %q, %v", i, got, err)
			}
		}
		if got := store.PreparedReads(db); got != want(store.MaxReadStmts) {
			t.Errorf("%d prepared reads after %d statements, want the bound %d", got, store.MaxReadStmts+5, want(store.MaxReadStmts))
		}
	})
}
