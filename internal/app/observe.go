package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/deploytrail/deploytrail/internal/delivery"
	"github.com/deploytrail/deploytrail/internal/metrics"
	"github.com/deploytrail/deploytrail/internal/server"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/version"
)

// observe connects the components' hooks to the metrics and the health
// check.
func (a *App) observe() {
	m := metrics.New()
	a.Metrics = m
	a.started = time.Now()
	a.storeHealth = &storeHealth{db: a.DB, logger: a.Logger.With("component", "store")}
	a.Server.Health = a.health
	a.Server.Observe = func(r server.RequestReport) {
		m.Request(r.Service, r.Operation, r.ErrorCode, r.Duration)
		if r.AuthFailure != "" {
			m.AuthFailure(r.AuthFailure)
		}
		if r.Recorded {
			m.EventRecorded()
		}
	}
	a.DB.ObserveCommits(func(r store.CommitReport) {
		m.Commit(r.Units, r.Duration, r.Err)
		a.storeHealth.observe(r.Err)
	})
	a.Delivery.OnDelivery = func(r delivery.DeliveryReport) {
		if r.ErrorCode != "" {
			m.DeliveryFailed(r.Trail, r.ErrorCode)
			return
		}
		m.Delivered(r.Trail, r.Files, r.Events, r.Bytes)
	}
	a.Delivery.OnDigest = func(r delivery.DigestReport) {
		if r.ErrorCode != "" {
			m.DeliveryFailed(r.Trail, r.ErrorCode)
			return
		}
		m.Digested(r.Trail)
	}
	a.dispatcher.OnAttempt = m.SNSAttempt
	a.Leases.OnChange = m.LeaseHeld
	m.Watch(storeState{a}, time.Now)
}

// storeState is what the metrics read from the store at scrape time.
type storeState struct{ a *App }

func (s storeState) Trails(ctx context.Context) ([]metrics.TrailState, error) {
	trails, err := s.a.Delivery.Trails(ctx)
	out := make([]metrics.TrailState, len(trails))
	for i, t := range trails {
		out[i] = metrics.TrailState{ARN: t.ARN, Lag: t.Lag, LatestDelivery: t.LatestDelivery, LatestDigest: t.LatestDigest}
	}
	return out, err
}

func (s storeState) OutboxDepth(ctx context.Context) (int, error) {
	return store.SNS{DB: s.a.DB}.OutboxDepth(ctx)
}

// trailsTTL is how long the trails' part of a health answer is reused:
// it reads the store, and anyone may ask for it.
const trailsTTL = time.Second

// health adds to the health check the version, the uptime, whether the
// store answers and commits (503 when not: a load balancer then sends no
// calls here, and takes them again when it does) and each logging
// trail's delivery lag.
func (a *App) health(ctx context.Context) (map[string]any, bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeTimeout)
	defer cancel()
	v := version.Get()
	fields := map[string]any{"version": v.Version, "uptime_seconds": int64(time.Since(a.started).Seconds()), "store": "ok"}
	if v.Commit != "" {
		fields["commit"] = v.Commit
	}
	ok := a.storeHealth.check(ctx)
	if !ok {
		// The trails' lag would be one more read of a store that cannot
		// answer, for every health check.
		fields["store"], fields["trails"] = "cannot commit", "unavailable"
		return fields, false
	}
	fields["trails"] = a.trailsHealth(ctx)
	fields["node"], fields["leases"] = a.Leases.Holder, a.Leases.Held()
	return fields, ok
}

// trailHealth is a logging trail in the health check.
type trailHealth struct {
	Trail             string     `json:"trail"`
	DeliveryLagSecond float64    `json:"delivery_lag_seconds"`
	LatestDelivery    *time.Time `json:"latest_delivery,omitempty"`
}

// trailsHealth lists the logging trails and their delivery lag, read at
// most once per trailsTTL; "unavailable" when the store cannot say.
func (a *App) trailsHealth(ctx context.Context) any {
	a.healthMu.Lock()
	defer a.healthMu.Unlock()
	if a.healthTrails != nil && time.Since(a.healthAt) < trailsTTL {
		return a.healthTrails
	}
	trails, err := a.Delivery.Trails(ctx)
	if err != nil {
		a.Logger.Warn("health: read trails", "err", err)
		return "unavailable"
	}
	list := []trailHealth{}
	for _, t := range trails {
		if !t.Logging {
			continue
		}
		th := trailHealth{Trail: t.ARN, DeliveryLagSecond: t.Lag.Seconds()}
		if !t.LatestDelivery.IsZero() {
			th.LatestDelivery = &t.LatestDelivery
		}
		list = append(list, th)
	}
	a.healthTrails, a.healthAt = list, time.Now()
	return list
}

// Store health: the outcome of the latest commit decides, and when there
// was none for probeEvery, a probe (a commit and a read) does. A health
// check waits at most probeWait for a probe; one still running then
// counts as a failure (a store that hangs cannot serve calls either), and
// later checks wait for that same probe rather than start another.
const (
	probeEvery   = 5 * time.Second
	probeWait    = 2 * time.Second
	probeTimeout = 5 * time.Second
)

// errProbeSlow is a probe that took longer than probeWait.
var errProbeSlow = errors.New("the store did not answer a probe within " + probeWait.String())

// storeHealth knows whether the store can commit. It learns from every
// commit, and logs when that changes: once when commits start failing,
// once when they work again.
type storeHealth struct {
	db     *store.DB
	logger *slog.Logger

	mu      sync.Mutex
	at      time.Time // of the latest outcome
	failing bool
	probing chan struct{}  // closed when the running probe ends; nil when none runs
	probes  sync.WaitGroup // the running probe, which Close waits for
}

// observe notes a commit's outcome (nil: it committed).
func (h *storeHealth) observe(err error) {
	h.mu.Lock()
	was := h.failing
	h.at, h.failing = time.Now(), err != nil
	h.mu.Unlock()
	switch {
	case err != nil && !was:
		h.logger.Error("the store cannot commit: every call fails with InternalFailure until it can", "err", err)
	case err == nil && was:
		h.logger.Info("the store commits again")
	}
}

// check reports whether the store can commit, probing it when no commit
// told recently; it waits at most probeWait (or until ctx ends).
func (h *storeHealth) check(ctx context.Context) bool {
	h.mu.Lock()
	if time.Since(h.at) < probeEvery {
		defer h.mu.Unlock()
		return !h.failing
	}
	done := h.probing
	if done == nil {
		done = make(chan struct{})
		h.probing = done
		h.probes.Go(func() { h.probe(done) })
	}
	h.mu.Unlock()
	wait := time.NewTimer(probeWait)
	defer wait.Stop()
	select {
	case <-done:
	case <-wait.C:
		h.observe(errProbeSlow)
	case <-ctx.Done():
		h.observe(errProbeSlow)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.failing
}

// probe asks the store to commit and answer, bounded by probeTimeout,
// notes a failure (a success is noted by the commit observer) and closes
// done.
func (h *storeHealth) probe(done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	err := h.db.Probe(ctx)
	if err != nil {
		// The commit itself may have worked while the probe's write or
		// read did not, or the probe never reached the committer.
		h.observe(err)
	} else {
		h.observe(nil) // also ends a failure noted for a slow probe
	}
	h.mu.Lock()
	h.probing = nil
	h.mu.Unlock()
	close(done)
}

// serveMetrics serves /metrics on the metrics listener until the returned
// function stops it.
func (a *App) serveMetrics() (stop func()) {
	mux := http.NewServeMux()
	mux.Handle(metrics.Path, a.Metrics.Handler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(a.Logger.Handler(), slog.LevelWarn)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(a.MetricsListener); !errors.Is(err, http.ErrServerClosed) {
			a.Logger.Error("metrics listener failed", "err", err)
		}
	}()
	a.Logger.Info("metrics listening", "addr", a.MetricsListener.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
		<-done
	}
}
