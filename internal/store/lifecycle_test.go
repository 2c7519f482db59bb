package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/deploytrail/deploytrail/internal/lifecycle"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
)

const lifecycleRules = `{"Rules":[{"ID":"logs","Status":"Enabled","Filter":{"Prefix":"AWSLogs/"},"Expiration":{"Days":365}}]}`

// TestLifecycle_Rules: put, replace, get, list and delete a bucket's
// rules; a put in a transaction that rolls back leaves nothing.
func TestLifecycle_Rules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.Lifecycle{DB: db}
		if _, err := s.Get(ctx, "trail-logs"); !errors.Is(err, lifecycle.ErrNoSuchConfiguration) {
			t.Fatalf("Get before Put: %v, want ErrNoSuchConfiguration", err)
		}
		cfg, err := lifecycle.Parse([]byte(lifecycleRules))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range []string{"trail-logs", "audit-logs", "audit.example"} {
			if err := s.Put(ctx, b, cfg); err != nil {
				t.Fatal(err)
			}
		}
		replaced := *cfg
		replaced.Rules = append(slices.Clone(cfg.Rules), cfg.Rules[0])
		replaced.Rules[1].ID = "more"
		if err := s.Put(ctx, "trail-logs", &replaced); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "trail-logs")
		if err != nil || len(got.Rules) != 2 || got.Rules[1].ID != "more" || got.Rules[0].Expiration == nil {
			t.Fatalf("Get=%+v, %v; want the replacing rules", got, err)
		}
		if names, err := s.Buckets(ctx); err != nil || !slices.Equal(names, []string{"audit-logs", "audit.example", "trail-logs"}) {
			t.Fatalf("Buckets=%q, %v", names, err)
		}
		failed := errors.New("the call's event could not be stored")
		err = db.Tx(ctx, func(ctx context.Context) error {
			if err := s.Delete(ctx, "audit-logs"); err != nil {
				return err
			}
			return failed
		})
		if !errors.Is(err, failed) {
			t.Fatalf("Tx=%v", err)
		}
		if _, err := s.Get(ctx, "audit-logs"); err != nil {
			t.Fatalf("Get after a rolled back Delete: %v, want the rules kept", err)
		}
		for range 2 { // deleting twice is fine
			if err := s.Delete(ctx, "audit-logs"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Get(ctx, "audit-logs"); !errors.Is(err, lifecycle.ErrNoSuchConfiguration) {
			t.Fatalf("Get after Delete: %v", err)
		}
	})
}

// TestLifecycle_SharedByNodes: rules one node puts are the rules another
// node on the same database reads and enforces.
func TestLifecycle_SharedByNodes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.sqlite")
	var nodes [2]store.Lifecycle
	for i := range nodes {
		db, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		nodes[i] = store.Lifecycle{DB: db}
	}
	cfg, _ := lifecycle.Parse([]byte(lifecycleRules))
	if err := nodes[0].Put(t.Context(), "trail-logs", cfg); err != nil {
		t.Fatal(err)
	}
	if got, err := nodes[1].Get(t.Context(), "trail-logs"); err != nil || got.Rules[0].ID != "logs" {
		t.Fatalf("the other node's Get=%+v, %v", got, err)
	}
	if err := nodes[1].Delete(t.Context(), "trail-logs"); err != nil {
		t.Fatal(err)
	}
	if names, err := nodes[0].Buckets(t.Context()); err != nil || len(names) != 0 {
		t.Fatalf("Buckets after the other node's Delete=%q, %v", names, err)
	}
}
