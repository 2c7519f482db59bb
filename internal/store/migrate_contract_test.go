package store_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
)

// TestNodesMigrateTogether: nodes starting together on a new database
// each open it and migrate; they take turns, every one succeeds, and
// every migration is applied once, by one of them.
func TestNodesMigrateTogether(t *testing.T) {
	backends := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "db.sqlite") },
		"postgres": func(t *testing.T) string { return storetest.EmptyPostgresURL(t) },
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			dsn := backends[name](t)
			all, err := store.PendingMigrations(context.Background(), dsn)
			if err != nil || len(all) == 0 {
				t.Fatalf("pending on a new database: %v, %v", all, err)
			}
			const nodes = 4
			applied := make([][]int, nodes)
			errs := make([]error, nodes)
			var wg sync.WaitGroup
			for i := range nodes {
				wg.Go(func() { applied[i], errs[i] = store.Migrate(context.Background(), dsn) })
			}
			wg.Wait()
			seen := map[int]int{}
			for i := range nodes {
				if errs[i] != nil {
					t.Fatalf("node %d: %v", i, errs[i])
				}
				for _, v := range applied[i] {
					seen[v]++
				}
			}
			pending, err := store.PendingMigrations(context.Background(), dsn)
			if err != nil || len(pending) != 0 {
				t.Fatalf("pending after migrating: %v, %v", pending, err)
			}
			for _, v := range all {
				if seen[v] != 1 {
					t.Errorf("migration %04d applied %d times, want once", v, seen[v])
				}
			}
		})
	}
}
