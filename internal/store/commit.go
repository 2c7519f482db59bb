package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// maxBatch bounds how many units one commit carries, so that a unit waits
// for at most that many others.
const maxBatch = 128

// maxAttempts bounds how often a batch runs when it fails in a way that
// certainly did not commit (dialect.retryable); retryPause is the wait
// before the second attempt, doubled before each later one.
const (
	maxAttempts = 4
	retryPause  = 50 * time.Millisecond
)

// ErrClosed is returned by Tx after Close.
var ErrClosed = errors.New("store: closed")

// unit is one Tx's work, waiting for the committer.
type unit struct {
	ctx  context.Context
	fn   func(ctx context.Context) error
	done chan error
	// after runs once the unit's work is committed (afterCommit).
	after []func()
}

type unitKey struct{}

// committer owns the write connection for transactions. It takes the units
// waiting when it becomes free, runs each inside its own SAVEPOINT of one
// transaction and commits once: many calls share one fsync (group commit),
// while a failing unit rolls back only its own changes.
type committer struct {
	db      *sql.DB
	dialect *dialect
	// batchLimit is maxBatch, or 1 in the benchmark of one commit per unit.
	batchLimit int
	units      chan *unit
	quit       chan struct{}
	done       chan struct{}
	// observer, when set, is told about every commit.
	observer atomic.Pointer[func(CommitReport)]
}

// CommitReport describes one group commit.
type CommitReport struct {
	// Units is the number of transactions that shared the commit.
	Units    int
	Duration time.Duration
	// Err is set when the commit failed: none of its units is durable.
	Err error
}

func newCommitter(db *sql.DB, d *dialect) *committer {
	c := &committer{db: db, dialect: d, batchLimit: maxBatch, units: make(chan *unit), quit: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// submit hands fn to the committer and waits for its outcome, which is
// final: nil means committed.
func (c *committer) submit(ctx context.Context, fn func(ctx context.Context) error) error {
	u := &unit{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case c.units <- u:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.quit:
		return ErrClosed
	}
	return <-u.done
}

// close stops the committer after the batch in progress.
func (c *committer) close() {
	close(c.quit)
	<-c.done
}

func (c *committer) run() {
	defer close(c.done)
	for {
		select {
		case u := <-c.units:
			c.commit(c.gather(u))
		case <-c.quit:
			return
		}
	}
}

// gather adds to first the units already waiting.
func (c *committer) gather(first *unit) []*unit {
	batch := []*unit{first}
	for len(batch) < c.batchLimit {
		select {
		case u := <-c.units:
			batch = append(batch, u)
		default:
			return batch
		}
	}
	return batch
}

// commit runs a batch in one transaction and tells every unit its outcome.
// A batch that certainly did not commit for a passing reason (a lost
// connection, a deadlock) runs again from the start, a bounded number of
// times; one whose COMMIT's outcome is unknown is reported as failed.
func (c *committer) commit(batch []*unit) {
	start := time.Now()
	results, err, again := c.attempt(batch)
	for n, pause := 1, retryPause; again && n < maxAttempts; n, pause = n+1, pause*2 {
		time.Sleep(pause)
		results, err, again = c.attempt(batch)
	}
	if observe := c.observer.Load(); observe != nil {
		(*observe)(CommitReport{Units: len(batch), Duration: time.Since(start), Err: err})
	}
	for i, u := range batch {
		if results[i] == nil && err != nil {
			results[i] = fmt.Errorf("commit: %w", err)
		}
		if results[i] == nil {
			for _, fn := range u.after {
				fn()
			}
		}
		u.done <- results[i]
	}
}

// attempt runs the batch once: the dialect's batch lock, then each unit in
// its savepoint, then COMMIT. err is the batch's failure (none of its
// units committed), again whether the batch may run again.
func (c *committer) attempt(batch []*unit) (results []error, err error, again bool) {
	bg := context.Background()
	results = make([]error, len(batch))
	for _, u := range batch {
		u.after = nil // hooks of an attempt that rolled back
	}
	tx, err := c.db.BeginTx(bg, nil)
	if err != nil {
		return results, err, c.dialect.retryable(err)
	}
	if c.dialect.batchLock != "" {
		if _, err := tx.ExecContext(bg, c.dialect.batchLock); err != nil {
			tx.Rollback()
			return results, fmt.Errorf("batch lock: %w", err), c.dialect.retryable(err)
		}
	}
	for i, u := range batch {
		results[i] = runUnit(tx, u)
		if c.dialect.retryable(results[i]) {
			// The transaction is gone (or chosen as a deadlock's victim):
			// the other units' work went with it.
			tx.Rollback()
			return results, results[i], true
		}
	}
	if err := tx.Commit(); err != nil {
		if c.dialect.serverRolledBack(err) {
			return results, err, true
		}
		if lostConnection(err) {
			err = fmt.Errorf("outcome unknown, the connection was lost during COMMIT: %w", err)
		}
		return results, err, false
	}
	return results, nil, false
}

// runUnit runs one unit inside a savepoint. Its work is not cancelled with
// its request: interrupting a statement would roll back the whole shared
// transaction, and a call that reached the store finishes, as in AWS.
func runUnit(tx *sql.Tx, u *unit) (err error) {
	bg := context.Background()
	if _, err := tx.ExecContext(bg, `SAVEPOINT unit`); err != nil {
		return err
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic in transaction: %v", v)
		}
		if err != nil {
			_, rbErr := tx.ExecContext(bg, `ROLLBACK TO unit`)
			err = errors.Join(err, rbErr)
		}
		if _, relErr := tx.ExecContext(bg, `RELEASE unit`); relErr != nil {
			err = errors.Join(err, relErr)
		}
	}()
	ctx := context.WithValue(context.WithValue(context.WithoutCancel(u.ctx), txKey{}, tx), unitKey{}, u)
	return u.fn(ctx)
}

// afterCommit runs fn once the transaction in ctx has committed, and not
// at all if it rolls back; outside a transaction (a write that committed
// by itself) it runs fn at once. fn runs on the committer: it must not
// block.
func afterCommit(ctx context.Context, fn func()) {
	if u, ok := ctx.Value(unitKey{}).(*unit); ok {
		u.after = append(u.after, fn)
		return
	}
	fn()
}

// AfterCommit runs fn once the transaction in ctx has committed, and not
// at all if it rolls back (afterCommit), for the domain packages' side
// effects, such as waking a worker to read what was written.
func (db *DB) AfterCommit(ctx context.Context, fn func()) { afterCommit(ctx, fn) }

// ObserveCommits makes the store report every group commit to fn (for
// metrics and health); fn runs on the committer and must not block.
func (db *DB) ObserveCommits(fn func(CommitReport)) { db.commits.observer.Store(&fn) }

// Probe commits a one-row write and reads it back, to learn whether the
// store can commit and answer at all: the same paths (group commit,
// fsync; the read pool) as the calls'.
func (db *DB) Probe(ctx context.Context) error {
	_, err := db.exec1(ctx, `INSERT INTO settings (key, value) VALUES ('store_probe', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return err
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM settings WHERE key = 'store_probe'`).Scan(&n); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if n != 1 {
		return errors.New("read: the probe's committed row is missing")
	}
	return nil
}
