package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
)

// TestTxNests checks that a Tx inside a Tx joins it: both roll back together.
func TestTxNests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		settings := store.IAM{DB: db}
		err := db.Tx(ctx, func(ctx context.Context) error {
			if err := db.Tx(ctx, func(ctx context.Context) error { return settings.PutSetting(ctx, "inner", "v") }); err != nil {
				return err
			}
			return errors.New("outer fails")
		})
		if err == nil {
			t.Fatal("Tx=nil, want the outer error")
		}
		if _, err := settings.Setting(ctx, "inner"); err == nil {
			t.Fatal("the inner write survived the outer rollback")
		}
	})
}

func TestTxAfterClose(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		if err := db.Tx(context.Background(), func(context.Context) error { return nil }); !errors.Is(err, store.ErrClosed) {
			t.Fatalf("Tx after Close=%v, want ErrClosed", err)
		}
	})
}

// TestObserveCommits: every group commit is reported with its size, and
// Probe commits through the same path.
func TestObserveCommits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		reports := make(chan store.CommitReport, 10)
		db.ObserveCommits(func(r store.CommitReport) { reports <- r })
		ctx := context.Background()
		if err := db.Probe(ctx); err != nil {
			t.Fatalf("Probe: %v", err)
		}
		r := <-reports
		if r.Units != 1 || r.Err != nil || r.Duration <= 0 {
			t.Fatalf("report %+v, want one unit committed", r)
		}
		var v string
		if err := store.QueryRow(ctx, db, `SELECT value FROM settings WHERE key = 'store_probe'`).Scan(&v); err != nil || v == "" {
			t.Fatalf("probe row %q, %v: want it committed", v, err)
		}
	})
}

// TestWritesGoThroughTx: a store method called outside a transaction
// commits through the committer (it opens one of its own), and a write
// made with no transaction at all is refused with ErrNoTx and changes
// nothing.
func TestWritesGoThroughTx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		reports := make(chan store.CommitReport, 10)
		db.ObserveCommits(func(r store.CommitReport) { reports <- r })
		if err := (store.IAM{DB: db}).PutSetting(ctx, "k", "v"); err != nil {
			t.Fatal(err)
		}
		if r := <-reports; r.Units != 1 || r.Err != nil {
			t.Fatalf("PutSetting outside a Tx: commit report %+v, want one unit committed", r)
		}
		if _, err := store.Exec(ctx, db, `UPDATE settings SET value = 'changed' WHERE key = 'k'`); !errors.Is(err, store.ErrNoTx) {
			t.Fatalf("a write outside a Tx: err=%v, want ErrNoTx", err)
		}
		if v, err := (store.IAM{DB: db}).Setting(ctx, "k"); err != nil || v != "v" {
			t.Fatalf("setting=%q, %v after the refused write, want v", v, err)
		}
	})
}
