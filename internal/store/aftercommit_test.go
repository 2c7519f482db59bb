package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// TestAfterCommit: the trails' change counter moves only once the change
// is durable, and never for a transaction that rolls back, so a filter
// that sees it move reads the change. SQLite only: it reads the store's
// internals (TestGroupCommit checks the hooks on both backends).
func TestAfterCommit(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	version := func() int64 {
		v, err := DataTrails{db}.TrailsVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	err = db.Tx(ctx, func(ctx context.Context) error {
		if err := db.trailsChanged(ctx); err != nil {
			return err
		}
		if n := db.trailChanges.Load(); n != 0 {
			t.Errorf("counter=%d before the commit, want 0", n)
		}
		return nil
	})
	if err != nil || db.trailChanges.Load() != 1 || version() != 1 {
		t.Fatalf("after a commit: err=%v counter=%d version=%d, want 1 and 1", err, db.trailChanges.Load(), version())
	}
	fail := errors.New("fail")
	err = db.Tx(ctx, func(ctx context.Context) error {
		if err := db.trailsChanged(ctx); err != nil {
			return err
		}
		return fail
	})
	if !errors.Is(err, fail) || db.trailChanges.Load() != 1 || version() != 1 {
		t.Fatalf("after a rollback: err=%v counter=%d version=%d, want 1 and 1", err, db.trailChanges.Load(), version())
	}
}
