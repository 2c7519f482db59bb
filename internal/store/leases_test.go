package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/lease"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
)

func mustAcquire(t *testing.T, l store.Leases, name, holder string, ttl time.Duration) lease.Held {
	t.Helper()
	token, err := l.Acquire(context.Background(), name, holder, ttl)
	if err != nil {
		t.Fatalf("Acquire(%s, %s): %v", name, holder, err)
	}
	return lease.Held{Name: name, Holder: holder, Token: token}
}

func TestLeases_Exclusive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l, ctx := store.Leases{DB: db}, context.Background()
		a := mustAcquire(t, l, "delivery", "node-a", time.Minute)
		if a.Token != 1 {
			t.Errorf("first token=%d, want 1", a.Token)
		}
		_, err := l.Acquire(ctx, "delivery", "node-b", time.Minute)
		var held *lease.HeldError
		if !errors.As(err, &held) || held.Holder != "node-a" || time.Until(held.Until) < 50*time.Second {
			t.Fatalf("Acquire by another holder: err=%v, want held by node-a for about a minute", err)
		}
		if again := mustAcquire(t, l, "delivery", "node-a", time.Minute); again.Token != a.Token {
			t.Errorf("holder's own Acquire: token=%d, want %d (a renewal)", again.Token, a.Token)
		}
		if other := mustAcquire(t, l, "engine", "node-b", time.Minute); other.Token != 1 {
			t.Errorf("another lease's token=%d, want 1: leases are independent", other.Token)
		}
	})
}

func TestLeases_TokenGrowsWithEachHolder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l, ctx := store.Leases{DB: db}, context.Background()
		var tokens []int64
		for _, holder := range []string{"node-a", "node-b", "node-a", "node-a"} {
			h := mustAcquire(t, l, "engine", holder, time.Minute)
			tokens = append(tokens, h.Token)
			if err := l.Release(ctx, h); err != nil {
				t.Fatal(err)
			}
		}
		// Even the same holder taking the lease again after a release
		// starts a new tenure: a worker of the old one cannot commit.
		want := []int64{1, 2, 3, 4}
		for i := range want {
			if tokens[i] != want[i] {
				t.Fatalf("tokens=%v, want %v", tokens, want)
			}
		}
	})
}

func TestLeases_Expiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l, ctx := store.Leases{DB: db}, context.Background()
		a := mustAcquire(t, l, "sns", "node-a", 50*time.Millisecond)
		time.Sleep(100 * time.Millisecond)
		b := mustAcquire(t, l, "sns", "node-b", time.Minute)
		if b.Token != a.Token+1 {
			t.Errorf("takeover token=%d, want %d", b.Token, a.Token+1)
		}
		if err := l.Renew(ctx, a, time.Minute); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("deposed holder's Renew: err=%v, want ErrLeaseLost", err)
		}
	})
}

func TestLeases_RenewByHolderOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l, ctx := store.Leases{DB: db}, context.Background()
		// Long enough for the refused renewals to run first, also on a
		// loaded machine.
		a := mustAcquire(t, l, "sweep", "node-a", time.Second)
		for _, bad := range []lease.Held{{Name: "sweep", Holder: "node-b", Token: a.Token}, {Name: "sweep", Holder: "node-a", Token: a.Token + 1}} {
			if err := l.Renew(ctx, bad, time.Minute); !errors.Is(err, store.ErrLeaseLost) {
				t.Errorf("Renew(%+v): err=%v, want ErrLeaseLost", bad, err)
			}
		}
		if err := l.Renew(ctx, a, time.Minute); err != nil {
			t.Fatalf("holder's Renew: %v", err)
		}
		time.Sleep(1200 * time.Millisecond) // past the first ttl: the renewal holds
		if _, err := l.Acquire(ctx, "sweep", "node-b", time.Minute); err == nil {
			t.Fatal("another holder took a renewed lease")
		}
	})
}

func TestLeases_Release(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l, ctx := store.Leases{DB: db}, context.Background()
		a := mustAcquire(t, l, "delivery", "node-a", time.Hour)
		if err := l.Release(ctx, lease.Held{Name: "delivery", Holder: "node-b", Token: a.Token}); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Acquire(ctx, "delivery", "node-b", time.Hour); err == nil {
			t.Fatal("a release by another holder freed the lease")
		}
		if err := l.Release(ctx, a); err != nil {
			t.Fatal(err)
		}
		if b := mustAcquire(t, l, "delivery", "node-b", time.Hour); b.Token != a.Token+1 {
			t.Errorf("token after release=%d, want %d", b.Token, a.Token+1)
		}
		if err := l.Renew(ctx, a, time.Hour); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("Renew after release: err=%v, want ErrLeaseLost", err)
		}
	})
}

// TestLeases_Fencing: once a lease has moved, a transaction made with the
// old holder's context fails before its work runs and commits nothing,
// while the new holder's commits.
func TestLeases_Fencing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l, settings, ctx := store.Leases{DB: db}, store.IAM{DB: db}, context.Background()
		put := func(h lease.Held, value string) (ran bool, err error) {
			err = db.Tx(lease.With(ctx, h), func(ctx context.Context) error {
				ran = true
				return settings.PutSetting(ctx, "fenced", value)
			})
			return ran, err
		}
		a := mustAcquire(t, l, "delivery", "node-a", 500*time.Millisecond)
		if _, err := put(a, "a1"); err != nil {
			t.Fatalf("holder's write: %v", err)
		}
		time.Sleep(600 * time.Millisecond)
		if ran, err := put(a, "a-expired"); !errors.Is(err, store.ErrLeaseLost) || ran {
			t.Fatalf("write under an expired lease: ran=%v err=%v, want ErrLeaseLost before the work", ran, err)
		}
		b := mustAcquire(t, l, "delivery", "node-b", time.Minute)
		if ran, err := put(a, "a2"); !errors.Is(err, store.ErrLeaseLost) || ran {
			t.Fatalf("deposed holder's write: ran=%v err=%v, want ErrLeaseLost before the work", ran, err)
		}
		if _, err := put(b, "b1"); err != nil {
			t.Fatalf("new holder's write: %v", err)
		}
		if v, err := settings.Setting(ctx, "fenced"); err != nil || v != "b1" {
			t.Fatalf("setting=%q, %v; want b1", v, err)
		}
		// A write without a lease is not fenced.
		if err := settings.PutSetting(ctx, "fenced", "free"); err != nil {
			t.Fatal(err)
		}
	})
}
