package lease_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/lease"
	"github.com/deploytrail/deploytrail/internal/store"
)

// errDown is what a node that has crashed, or lost the database, gets.
var errDown = errors.New("node down")

// node is one deploytrail process's lease runner, on its own store handle
// of a shared database file (two handles on one SQLite file stand in for
// two nodes on one PostgreSQL). down makes its store calls fail, as if
// the process had died or lost the network.
type node struct {
	name   string
	runner *lease.Runner
	down   atomic.Bool
	leases store.Leases
}

func (n *node) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (int64, error) {
	if n.down.Load() {
		return 0, errDown
	}
	return n.leases.Acquire(ctx, name, holder, ttl)
}

func (n *node) Renew(ctx context.Context, h lease.Held, ttl time.Duration) error {
	if n.down.Load() {
		return errDown
	}
	return n.leases.Renew(ctx, h, ttl)
}

func (n *node) Release(ctx context.Context, h lease.Held) error {
	if n.down.Load() {
		return errDown
	}
	return n.leases.Release(ctx, h)
}

func newNode(t *testing.T, path, name string, ttl time.Duration) *node {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	n := &node{name: name, leases: store.Leases{DB: db}}
	n.runner = lease.NewRunner(n)
	n.runner.Holder, n.runner.TTL, n.runner.Retry = name, ttl, 50*time.Millisecond
	n.runner.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	return n
}

// testWriter sends the runners' logs to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// singleton is work that notes who runs it and fails the test if two
// nodes run it at once.
type singleton struct {
	t       *testing.T
	running atomic.Int32
	mu      sync.Mutex
	started map[string]time.Time // node → when its work last started
}

func (s *singleton) work(node string) func(ctx context.Context) {
	return func(ctx context.Context) {
		if n := s.running.Add(1); n > 1 {
			s.t.Errorf("%s: %d nodes run the singleton at once", node, n)
		}
		defer s.running.Add(-1)
		s.mu.Lock()
		s.started[node] = time.Now()
		s.mu.Unlock()
		<-ctx.Done()
	}
}

func (s *singleton) startedAt(node string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.started[node]
	return at, ok
}

// waitStart waits up to limit for node's work to start after since.
func (s *singleton) waitStart(t *testing.T, node string, since time.Time, limit time.Duration) time.Duration {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if at, ok := s.startedAt(node); ok && at.After(since) {
			return at.Sub(since)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s did not take over within %v", node, limit)
	return 0
}

// TestRunner_TakeoverAfterCrash: of two nodes, one runs the work; when it
// dies without releasing its lease, the other runs the work within
// ttl + a second, and never both at once.
func TestRunner_TakeoverAfterCrash(t *testing.T) {
	const ttl = time.Second
	path := filepath.Join(t.TempDir(), "shared.db")
	a, b := newNode(t, path, "node-a", ttl), newNode(t, path, "node-b", ttl)
	s := &singleton{t: t, started: map[string]time.Time{}}
	ctxA, crashA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stopB()
	wg.Go(func() { a.runner.Run(ctxA, "delivery", s.work("node-a")) })
	s.waitStart(t, "node-a", time.Time{}, 5*time.Second)
	wg.Go(func() { b.runner.Run(ctxB, "delivery", s.work("node-b")) })
	time.Sleep(2 * ttl) // b tries all along; a renews
	if _, ok := s.startedAt("node-b"); ok {
		t.Fatal("node-b ran the work while node-a held the lease")
	}
	if got := a.runner.Held(); !slices.Equal(got, []string{"delivery"}) {
		t.Errorf("node-a holds %v, want [delivery]", got)
	}

	a.down.Store(true) // dies: no release, no renewal
	crashed := time.Now()
	crashA()
	took := s.waitStart(t, "node-b", crashed, ttl+time.Second)
	t.Logf("takeover after a crash: %v (ttl %v)", took, ttl)
	if got := b.runner.Held(); !slices.Equal(got, []string{"delivery"}) {
		t.Errorf("node-b holds %v, want [delivery]", got)
	}
}

// TestRunner_ReleaseHandsOverAtOnce: a node that stops gracefully
// releases its lease, so that another starts without waiting out the ttl.
func TestRunner_ReleaseHandsOverAtOnce(t *testing.T) {
	const ttl = time.Minute
	path := filepath.Join(t.TempDir(), "shared.db")
	a, b := newNode(t, path, "node-a", ttl), newNode(t, path, "node-b", ttl)
	s := &singleton{t: t, started: map[string]time.Time{}}
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stopB()
	wg.Go(func() { a.runner.Run(ctxA, "engine", s.work("node-a")) })
	s.waitStart(t, "node-a", time.Time{}, 5*time.Second)
	wg.Go(func() { b.runner.Run(ctxB, "engine", s.work("node-b")) })
	stopped := time.Now()
	stopA()
	took := s.waitStart(t, "node-b", stopped, 2*time.Second)
	t.Logf("handover after a release: %v", took)
	if got := a.runner.Held(); len(got) != 0 {
		t.Errorf("node-a still holds %v after stopping", got)
	}
}

// TestRunner_DeposedWorkIsFenced: a node cut off from the database keeps
// running its work for a while; once another node has taken the lease,
// the cut-off node's transactions fail with ErrLeaseLost and its work's
// context ends, while the new holder's transactions commit.
func TestRunner_DeposedWorkIsFenced(t *testing.T) {
	const ttl = 600 * time.Millisecond
	path := filepath.Join(t.TempDir(), "shared.db")
	a, b := newNode(t, path, "node-a", ttl), newNode(t, path, "node-b", ttl)
	settings := store.IAM{DB: a.leases.DB}
	put := func(ctx context.Context, v string) error {
		return a.leases.Tx(ctx, func(ctx context.Context) error { return settings.PutSetting(ctx, "owner", v) })
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	aCtx := make(chan context.Context, 1)
	aDone := make(chan error, 1)
	bStarted := make(chan struct{})
	wg.Go(func() {
		a.runner.Run(ctx, "sns", func(ctx context.Context) {
			aCtx <- ctx
			<-ctx.Done()
			<-bStarted
			// Work slow to stop still tries to commit after the takeover.
			aDone <- put(context.WithoutCancel(ctx), "node-a late")
			stop() // one tenure is enough for this node
		})
	})
	workA := <-aCtx
	if err := put(workA, "node-a"); err != nil {
		t.Fatalf("holder's write: %v", err)
	}
	a.down.Store(true) // renewals fail from now on: the lease runs out
	bCtx, stopB := context.WithCancel(context.Background())
	defer stopB()
	wg.Go(func() {
		b.runner.Run(bCtx, "sns", func(ctx context.Context) {
			if err := put(ctx, "node-b"); err != nil {
				t.Errorf("new holder's write: %v", err)
			}
			close(bStarted)
			<-ctx.Done()
		})
	})
	select {
	case <-bStarted:
	case <-time.After(ttl + 2*time.Second):
		t.Fatal("node-b did not take over")
	}
	if err := <-aDone; !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("deposed node's write: err=%v, want ErrLeaseLost", err)
	}
	if cause := context.Cause(workA); !errors.Is(cause, lease.ErrLost) {
		t.Errorf("deposed work's context ended with %v, want ErrLost", cause)
	}
	if v, err := settings.Setting(context.Background(), "owner"); err != nil || v != "node-b" {
		t.Fatalf("owner=%q, %v; want node-b", v, err)
	}
	stopB()
}

// TestRunner_TakeoverTime measures how long the lease takes to move when
// its holder dies: DEPLOYTRAIL_LEASE_TAKEOVER_ROUNDS rounds (3 unless
// set) at DEPLOYTRAIL_LEASE_TTL (1s unless set), the successor trying
// every lease.DefaultRetry as in production; p50 and max in the log.
func TestRunner_TakeoverTime(t *testing.T) {
	rounds, ttl := 3, time.Second
	if v, err := strconv.Atoi(os.Getenv("DEPLOYTRAIL_LEASE_TAKEOVER_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	if v, err := time.ParseDuration(os.Getenv("DEPLOYTRAIL_LEASE_TTL")); err == nil && v > 0 {
		ttl = v
	}
	path := filepath.Join(t.TempDir(), "shared.db")
	var took []time.Duration
	for i := range rounds {
		took = append(took, takeover(t, path, fmt.Sprint(i), ttl))
	}
	slices.Sort(took)
	t.Logf("lease takeover after a crash, %d rounds, ttl %v, retry %v: p50 %v, max %v", rounds, ttl, lease.DefaultRetry,
		took[len(took)/2], took[len(took)-1])
}

// takeover starts two nodes on one lease, crashes the holder at a random
// point of its renewal cycle and returns how long the other took to run
// the work.
func takeover(t *testing.T, path, round string, ttl time.Duration) time.Duration {
	a, b := newNode(t, path, "a"+round, ttl), newNode(t, path, "b"+round, ttl)
	b.runner.Retry = lease.DefaultRetry
	s := &singleton{t: t, started: map[string]time.Time{}}
	ctxA, crashA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stopB()
	wg.Go(func() { a.runner.Run(ctxA, "bench", s.work(a.name)) })
	s.waitStart(t, a.name, time.Time{}, 2*ttl+time.Second)
	wg.Go(func() { b.runner.Run(ctxB, "bench", s.work(b.name)) })
	time.Sleep(ttl/3 + time.Duration(time.Now().UnixNano()%int64(ttl/3)))
	a.down.Store(true)
	crashed := time.Now()
	crashA()
	return s.waitStart(t, b.name, crashed, ttl+lease.DefaultRetry+time.Second)
}
