package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/deploytrail/deploytrail/internal/store"
)

// EachShared runs fn as one subtest per backend with two handles on one
// database, as two processes (or two nodes of a cluster) have: each with
// its own connections and committer, so that only the database keeps
// their writes apart.
func EachShared(t *testing.T, fn func(t *testing.T, a, b *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "db.sqlite")
		fn(t, openPath(t, path), openPath(t, path))
	})
}

// openPath opens the store at path, closed when the test ends.
func openPath(tb testing.TB, path string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
