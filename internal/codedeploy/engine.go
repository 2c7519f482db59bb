package codedeploy

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// The deployment engine (spec Appendix C). Engine.Run scans the
// deployments that have not ended and steps each one: Created ones start
// (targets, plan, instance order), InProgress ones advance (timeouts,
// next lifecycle events, new instances by the §5.3 rule, the outcome).
// Every step is one store transaction that first claims the deployment's
// lease, so that engines sharing a database never drive one deployment at
// once, and everything a step decides is in the store: a restarted or
// different engine goes on where the last one stopped. The steps of a
// pass run side by side, to share group commits.

// Defaults of an Engine's knobs.
const (
	DefaultEngineInterval = 500 * time.Millisecond
	DefaultLeaseTTL       = 30 * time.Second
	// wakeRecheck is when a woken engine looks again.
	wakeRecheck = 50 * time.Millisecond
	// maxActivePerPass bounds how many deployments one pass steps.
	maxActivePerPass = 1000
	// stepsInFlight bounds the steps of a pass waiting for the store at
	// once: half of a group commit (store's maxBatch), the rest left to
	// API calls.
	stepsInFlight = 64
)

// Engine drives deployments. Set the knobs before Run.
type Engine struct {
	svc *Service
	// Owner names this engine in leases; unique per engine.
	Owner string
	// Interval is how often Run scans when nothing wakes it.
	Interval time.Duration
	// LeaseTTL is how long a claimed deployment stays this engine's
	// without a step renewing it.
	LeaseTTL time.Duration
	Logger   *slog.Logger
}

// NewEngine returns an engine driving s's deployments.
func NewEngine(s *Service) *Engine {
	return &Engine{svc: s, Owner: "engine-" + newCommandID()[:16], Interval: DefaultEngineInterval,
		LeaseTTL: DefaultLeaseTTL, Logger: slog.Default()}
}

// Wake asks the engines of this service to scan now (a new deployment, a
// completed command, a stop); it never blocks.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run steps deployments until ctx ends, then gives up its leases so that
// another engine can take over at once.
func (e *Engine) Run(ctx context.Context) error {
	defer e.release(ctx)
	tick := time.NewTicker(e.Interval)
	defer tick.Stop()
	var soon <-chan time.Time
	for {
		if err := e.Pass(ctx); err != nil && ctx.Err() == nil {
			e.Logger.Error("deployment engine pass", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-e.svc.wake:
			// The change that woke us may commit only after the caller's
			// transaction (and its audit event) does: look again shortly.
			soon = time.After(wakeRecheck)
			continue
		case <-soon:
		case <-tick.C:
		}
		soon = nil
	}
}

func (e *Engine) release(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := e.svc.store.ReleaseDeployments(ctx, e.Owner); err != nil {
		e.Logger.Error("release deployment leases", "err", err)
	}
}

// Pass steps every deployment that has not ended once. The steps run up
// to stepsInFlight at a time: each is its own transaction, and together
// they wait for one group commit (one fsync) instead of one each, so that
// the engine keeps up with deployments created by many clients at once.
func (e *Engine) Pass(ctx context.Context) error {
	ids, err := e.svc.store.ActiveDeployments(ctx, maxActivePerPass)
	if err != nil {
		return err
	}
	errs := make([]error, len(ids))
	slots := make(chan struct{}, stepsInFlight)
	var wg sync.WaitGroup
	for i, id := range ids {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			errs[i] = e.step(ctx, id)
			if errs[i] != nil {
				e.Logger.Error("deployment engine step", "deployment_id", id, "err", errs[i])
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// step claims a deployment and moves it on. A deployment whose state the
// engine cannot move on (an illegal transition: a bug, or a record changed
// by hand) fails with INTERNAL_ERROR rather than staying stuck.
func (e *Engine) step(ctx context.Context, id string) error {
	err := e.advance(ctx, id)
	if !errors.Is(err, ErrIllegalTransition) {
		return err
	}
	failErr := e.svc.store.Tx(ctx, func(ctx context.Context) error {
		now := e.svc.now()
		held, err := e.svc.store.ClaimDeployment(ctx, id, e.Owner, now, now.Add(e.LeaseTTL))
		if err != nil || !held {
			return err
		}
		return e.svc.CompleteDeployment(ctx, id, StatusFailed, &ErrorInformation{Code: "INTERNAL_ERROR",
			Message: "The deployment failed because of an internal error in the deployment engine."})
	})
	return errors.Join(err, failErr)
}

func (e *Engine) advance(ctx context.Context, id string) error {
	return e.svc.store.Tx(ctx, func(ctx context.Context) error {
		now := e.svc.now()
		held, err := e.svc.store.ClaimDeployment(ctx, id, e.Owner, now, now.Add(e.LeaseTTL))
		if err != nil || !held {
			return err
		}
		d, err := e.svc.loadDeployment(ctx, id)
		if err != nil {
			return err
		}
		if d.Info.Status == StatusCreated || d.Info.Status == StatusQueued {
			if err := e.svc.startRun(ctx, d); err != nil {
				return err
			}
		}
		return e.svc.advance(ctx, id)
	})
}
