package storetest

import (
	"testing"

	"github.com/deploytrail/deploytrail/internal/store"
)

// EachShared runs fn as one subtest per backend with two handles on one
// database, as two processes (or two nodes of a cluster) have: each with
// its own connections and committer, so that only the database keeps
// their writes apart.
func EachShared(t *testing.T, fn func(t *testing.T, a, b *store.DB)) {
	t.Helper()
	EachDSN(t, func(t *testing.T, dsn string) { fn(t, OpenTB(t, dsn), OpenTB(t, dsn)) })
}
