package apptest_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/app"
	"github.com/deploytrail/deploytrail/internal/apptest"
	"github.com/deploytrail/deploytrail/internal/store"
)

// leftLeases leaves in dir's database the delivery lease of a server that
// died holding it for an hour more.
func leftLeases(t *testing.T, dir string) {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(dir, "deploytrail.db"))
	fatalIf(t, err)
	defer db.Close()
	_, err = store.Leases{DB: db}.Acquire(context.Background(), app.LeaseDelivery, "dead-node/1/0000", time.Hour)
	fatalIf(t, err)
}

// heldLeases reads the leases the server holds from its health check.
func heldLeases(t *testing.T, srv *apptest.Server) []string {
	t.Helper()
	_, body := health(t, srv)
	var names []string
	for _, v := range body["leases"].([]any) {
		names = append(names, v.(string))
	}
	return names
}

// TestLeasesOfACrashedPredecessor: a server that holds its data
// directory's lock (serve) is alone on its SQLite database, so it takes
// over the leases a crashed predecessor left at once; without the lock
// (a database other servers may share) it waits for them to expire.
func TestLeasesOfACrashedPredecessor(t *testing.T) {
	t.Parallel()
	for _, locked := range []bool{true, false} {
		dir := t.TempDir()
		leftLeases(t, dir)
		srv := apptest.StartIn(t, dir, func(c *app.Config) { c.DataDirLocked = locked })
		if srv.OnPostgres() {
			t.Skip("the leases left are in the data directory's SQLite file, which a server on PostgreSQL does not use; a shared database's leases are waited out (internal/lease tests)")
		}
		var held []string
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if held = heldLeases(t, srv); slices.Contains(held, app.LeaseEngine) && (!locked || slices.Contains(held, app.LeaseDelivery)) {
				break
			}
		}
		if got := slices.Contains(held, app.LeaseDelivery); got != locked {
			t.Errorf("locked=%v: holds delivery=%v (leases %v), want %v", locked, got, held, locked)
		}
		srv.Stop()
	}
}
