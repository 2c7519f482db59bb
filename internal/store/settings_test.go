package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/deploytrail/deploytrail/internal/iam"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
)

// TestDB_EnsureSetting: the first value stored under a key is the one
// every later and every concurrent EnsureSetting returns.
func TestDB_EnsureSetting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var got [8]string
		var errs [8]error
		var wg sync.WaitGroup
		for i := range got {
			wg.Go(func() { got[i], errs[i] = db.EnsureSetting(context.Background(), "k", fmt.Sprint("value ", i)) })
		}
		wg.Wait()
		for i := range got {
			if errs[i] != nil || got[i] != got[0] {
				t.Fatalf("EnsureSetting %d = %q, %v; want the one value %q", i, got[i], errs[i], got[0])
			}
		}
		if again, err := db.EnsureSetting(context.Background(), "k", "later"); err != nil || again != got[0] {
			t.Fatalf("EnsureSetting again = %q, %v; want %q", again, err, got[0])
		}
	})
}

// openNodes opens n handles on one SQLite database, as n servers sharing
// a database would.
func openNodes(t *testing.T, n int) []*store.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	dbs := make([]*store.DB, n)
	for i := range dbs {
		db, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs
}

// TestBootstrap_NodesTogether: servers starting together on an empty
// database make one management account between them, and each learns it.
func TestBootstrap_NodesTogether(t *testing.T) {
	nodes := openNodes(t, 3)
	roots := make([]*iam.Root, len(nodes))
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, db := range nodes {
		wg.Go(func() { roots[i], errs[i] = iam.New(store.IAM{DB: db}).Bootstrap(context.Background(), iam.Root{}) })
	}
	wg.Wait()
	created := 0
	for i, r := range roots {
		if errs[i] != nil {
			t.Fatalf("node %d: %v", i, errs[i])
		}
		if r.AccountID != roots[0].AccountID {
			t.Errorf("node %d's management account %s, node 0's %s: want one", i, r.AccountID, roots[0].AccountID)
		}
		if r.Created {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d nodes created the management account, want 1", created)
	}
	if _, err := (store.IAM{DB: nodes[1]}).Account(context.Background(), roots[0].AccountID); err != nil {
		t.Errorf("the management account on another node: %v", err)
	}
}
