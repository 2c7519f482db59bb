package storetest

import (
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
		fn(t, openSQLite(t, path), openSQLite(t, path))
	})
}
