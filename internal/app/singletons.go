package app

import (
	"context"
	"sync"

	"github.com/deploytrail/deploytrail/internal/iam"
	"github.com/deploytrail/deploytrail/internal/objstore/fs"
)

// The leases of the singleton workers: of all the nodes sharing a
// database, only the holder of a worker's lease runs it (docs/
// ARCHITECTURE.md, Leases). API calls and the agents' polls are served by
// every node.
const (
	LeaseDelivery            = "delivery" // log files, digests and their notifications
	LeaseSNSDispatcher       = "sns-dispatcher"
	LeaseEngine              = "deployment-engine"
	LeaseLifecycle           = "lifecycle"
	LeaseSTSSessionSweep     = "sts-session-sweep"
	LeaseConsoleSessionSweep = "console-session-sweep"
)

// singletons are the workers this app runs under leases, by lease name.
func (a *App) singletons() map[string]func(ctx context.Context) {
	work := map[string]func(ctx context.Context){
		LeaseSTSSessionSweep: func(ctx context.Context) {
			every(ctx, iam.SessionSweepInterval, a.IAM.SweepSessions, a.Logger, "sweep STS sessions")
		},
		LeaseConsoleSessionSweep: func(ctx context.Context) {
			every(ctx, consoleSweepInterval, a.Console.Sweep, a.Logger, "sweep console sessions")
		},
		LeaseDelivery:      func(ctx context.Context) { a.Delivery.Run(ctx) },
		LeaseSNSDispatcher: func(ctx context.Context) { a.dispatcher.Run(ctx) },
	}
	if !a.noEngine {
		work[LeaseEngine] = func(ctx context.Context) { a.Engine.Run(ctx) }
	}
	if _, ok := a.Buckets.(*fs.Store); ok && a.Lifecycle != nil {
		work[LeaseLifecycle] = func(ctx context.Context) { a.Lifecycle.Run(ctx) }
	}
	return work
}

// runSingletons starts each singleton worker under its lease until ctx
// ends; a worker's context carries its lease, so that the store refuses
// its writes once another node has taken over.
func (a *App) runSingletons(ctx context.Context, wg *sync.WaitGroup) {
	for name, work := range a.singletons() {
		a.Metrics.LeaseHeld(name, false)
		wg.Go(func() { a.Leases.Run(ctx, name, work) })
	}
}
