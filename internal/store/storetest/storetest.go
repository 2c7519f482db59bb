// Package storetest runs the store's contract tests against every
// backend: each test written with Each runs once per backend, on a fresh,
// migrated, empty database, so that a rule the store promises is checked
// where it must hold.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/deploytrail/deploytrail/internal/store"
)

// Each runs fn as one subtest per backend, named after it, each with a
// database of its own.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
}

// SQLite opens a fresh SQLite store in tb's temporary directory, closed
// when the test ends.
func SQLite(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "db.sqlite"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
