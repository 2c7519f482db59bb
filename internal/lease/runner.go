package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of a Runner's knobs.
const (
	// DefaultTTL lets another node take a dead holder's lease within
	// seconds, while renewals (every TTL/3) survive a slow commit.
	DefaultTTL = 6 * time.Second
	// DefaultRetry is how often a node tries to take a lease another has.
	DefaultRetry = time.Second
	// releaseTimeout bounds the release at the end of a tenure.
	releaseTimeout = 5 * time.Second
)

// Store keeps the leases (store.Leases).
type Store interface {
	// Acquire takes a free or expired lease, or extends the holder's
	// own, and returns its token; a *HeldError when another holds it.
	Acquire(ctx context.Context, name, holder string, ttl time.Duration) (int64, error)
	// Renew extends a lease h still holds; ErrLost when it does not.
	Renew(ctx context.Context, h Held, ttl time.Duration) error
	// Release ends h's lease at once.
	Release(ctx context.Context, h Held) error
}

// NodeID names this process as a lease holder: host name, process id and
// a random suffix (a restarted process on the same host with the same
// pid is still another holder). Made once per process.
var NodeID = sync.OnceValue(func() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	suffix := make([]byte, 4)
	rand.Read(suffix)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(suffix))
})

// Runner runs this node's share of the singleton work: each Run takes
// one lease when it can and runs its work while it holds it. Set the
// knobs before the first Run.
type Runner struct {
	Store  Store
	Holder string
	TTL    time.Duration
	Retry  time.Duration
	Logger *slog.Logger
	// OnChange, when set, learns each time this node takes or gives up a
	// lease (for metrics); it must not block.
	OnChange func(name string, held bool)

	mu   sync.Mutex
	held map[string]int64 // name → token, of the leases held now
}

// runners counts the runners made in this process.
var runners atomic.Int64

// NewRunner returns a runner for this node with the default knobs. Its
// holder is NodeID, with "#n" after it for the n-th runner of the
// process, so that two apps in one process (tests) are two holders.
func NewRunner(s Store) *Runner {
	holder := NodeID()
	if n := runners.Add(1); n > 1 {
		holder += "#" + strconv.FormatInt(n, 10)
	}
	return &Runner{Store: s, Holder: holder, TTL: DefaultTTL, Retry: DefaultRetry, Logger: slog.Default()}
}

// Run runs work under the lease name until ctx ends: it tries to take the
// lease every Retry; while it holds it, it runs work with a context that
// carries the lease (so the store fences work's transactions) and renews
// it every TTL/3. work's context ends when ctx does or when the lease is
// lost; work must then return. The lease is renewed until work returns
// (a final flush stays fenced and covered), then released, so that
// another node starts at once. After a loss Run tries again.
func (r *Runner) Run(ctx context.Context, name string, work func(ctx context.Context)) {
	for {
		if h, since, ok := r.acquire(ctx, name); ok {
			r.hold(ctx, h, since, work)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(r.Retry):
		}
	}
}

// acquire tries once to take the lease; since is when the attempt began,
// the earliest the lease can have started.
func (r *Runner) acquire(ctx context.Context, name string) (h Held, since time.Time, ok bool) {
	since = time.Now()
	actx, cancel := context.WithTimeout(ctx, r.TTL/3)
	defer cancel()
	token, err := r.Store.Acquire(actx, name, r.Holder, r.TTL)
	var busy *HeldError
	switch {
	case err == nil:
		h = Held{Name: name, Holder: r.Holder, Token: token}
		r.Logger.Info("lease acquired", "lease", name, "token", token, "holder", r.Holder)
		return h, since, true
	case errors.As(err, &busy):
		r.Logger.Debug("lease held by another node", "lease", name, "holder", busy.Holder, "until", busy.Until)
	case ctx.Err() == nil:
		r.Logger.Warn("acquire lease", "lease", name, "err", err)
	}
	return Held{}, since, false
}

// hold runs work under h, renewing h until work returns, then releases
// h unless it was lost.
func (r *Runner) hold(ctx context.Context, h Held, since time.Time, work func(ctx context.Context)) {
	r.note(h, true)
	defer r.note(h, false)
	workCtx, cancel := context.WithCancelCause(With(ctx, h))
	defer cancel(nil)
	stop := make(chan struct{})
	var lost error
	var wg sync.WaitGroup
	wg.Go(func() { lost = r.keep(h, since, stop, cancel) })
	work(workCtx)
	close(stop)
	wg.Wait()
	if lost != nil {
		return
	}
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer rcancel()
	if err := r.Store.Release(rctx, h); err != nil {
		r.Logger.Warn("release lease", "lease", h.Name, "err", err)
		return
	}
	r.Logger.Info("lease released", "lease", h.Name, "token", h.Token)
}

// keep renews h every TTL/3 until stop closes. When the store says the
// lease is lost, or no renewal has worked for a TTL (it has expired, as
// far as this node can tell), it cancels work and returns why.
func (r *Runner) keep(h Held, renewed time.Time, stop <-chan struct{}, cancel context.CancelCauseFunc) error {
	tick := time.NewTicker(r.TTL / 3)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return nil
		case <-tick.C:
		}
		start := time.Now()
		err := r.renew(h)
		switch {
		case err == nil:
			renewed = start
			continue
		case !errors.Is(err, ErrLost) && time.Since(renewed) < r.TTL:
			r.Logger.Warn("renew lease", "lease", h.Name, "err", err)
			continue
		case !errors.Is(err, ErrLost):
			err = fmt.Errorf("%w: not renewed for %v: %w", ErrLost, r.TTL, err)
		}
		r.Logger.Warn("lease lost", "lease", h.Name, "token", h.Token, "err", err)
		r.note(h, false)
		cancel(err)
		return err
	}
}

func (r *Runner) renew(h Held) error {
	ctx, cancel := context.WithTimeout(context.Background(), r.TTL/3)
	defer cancel()
	return r.Store.Renew(ctx, h, r.TTL)
}

// note records whether this node holds h now.
func (r *Runner) note(h Held, held bool) {
	r.mu.Lock()
	token, had := r.held[h.Name]
	changed := held != (had && token == h.Token)
	if held {
		if r.held == nil {
			r.held = map[string]int64{}
		}
		r.held[h.Name] = h.Token
	} else if had && token == h.Token {
		delete(r.held, h.Name)
	}
	r.mu.Unlock()
	if changed && r.OnChange != nil {
		r.OnChange(h.Name, held)
	}
}

// Held lists the names of the leases this node holds now, sorted.
func (r *Runner) Held() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.held))
	for name := range r.held {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
