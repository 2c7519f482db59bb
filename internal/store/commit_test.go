package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
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

// TestGroupCommit runs many concurrent transactions, some failing and some
// panicking, and checks that exactly the successful ones are committed.
func TestGroupCommit(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	const n = 200
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = db.Tx(ctx, func(ctx context.Context) error {
				if _, err := db.w(ctx).ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, 'v')`, fmt.Sprint(i)); err != nil {
					return err
				}
				switch i % 10 {
				case 3:
					return errors.New("refused")
				case 7:
					panic("bug")
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		_, getErr := IAM{db}.Setting(ctx, fmt.Sprint(i))
		committed := getErr == nil
		if wantOK := i%10 != 3 && i%10 != 7; (err == nil) != wantOK || committed != wantOK {
			t.Fatalf("unit %d: err=%v committed=%v, want ok=%v", i, err, committed, wantOK)
		}
	}
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

// TestWritesGoThroughTx: a store method called outside a transaction
// commits through the committer (it opens one of its own), and a write
// made with no transaction at all is refused with ErrNoTx and changes
// nothing.
func TestWritesGoThroughTx(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	reports := make(chan CommitReport, 10)
	db.ObserveCommits(func(r CommitReport) { reports <- r })
	if err := (IAM{db}).PutSetting(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if r := <-reports; r.Units != 1 || r.Err != nil {
		t.Fatalf("PutSetting outside a Tx: commit report %+v, want one unit committed", r)
	}
	if _, err := db.w(ctx).ExecContext(ctx, `UPDATE settings SET value = 'changed' WHERE key = 'k'`); !errors.Is(err, ErrNoTx) {
		t.Fatalf("a write outside a Tx: err=%v, want ErrNoTx", err)
	}
	if v, err := (IAM{db}).Setting(ctx, "k"); err != nil || v != "v" {
		t.Fatalf("setting=%q, %v after the refused write, want v", v, err)
	}
}
