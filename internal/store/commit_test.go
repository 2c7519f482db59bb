package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestTxNests checks that a Tx inside a Tx joins it: both roll back together.
func TestTxNests(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	err := db.Tx(ctx, func(ctx context.Context) error {
		if err := db.Tx(ctx, func(ctx context.Context) error { return IAM{db}.PutSetting(ctx, "inner", "v") }); err != nil {
			return err
		}
		return errors.New("outer fails")
	})
	if err == nil {
		t.Fatal("Tx=nil, want the outer error")
	}
	if _, err := (IAM{db}).Setting(ctx, "inner"); err == nil {
		t.Fatal("the inner write survived the outer rollback")
	}
}

func TestTxAfterClose(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := db.Tx(context.Background(), func(context.Context) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Tx after Close=%v, want ErrClosed", err)
	}
}

// TestObserveCommits: every group commit is reported with its size, and
// Probe commits through the same path.
func TestObserveCommits(t *testing.T) {
	db := openTest(t)
	reports := make(chan CommitReport, 10)
	db.ObserveCommits(func(r CommitReport) { reports <- r })
	if err := db.Probe(context.Background()); err != nil {
		t.Fatalf("Probe: %v", err)
	}
	r := <-reports
	if r.Units != 1 || r.Err != nil || r.Duration <= 0 {
		t.Fatalf("report %+v, want one unit committed", r)
	}
	var v string
	if err := db.read.QueryRow(`SELECT value FROM settings WHERE key = 'store_probe'`).Scan(&v); err != nil || v == "" {
		t.Fatalf("probe row %q, %v: want it committed", v, err)
	}
}
