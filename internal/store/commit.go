package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// maxBatch bounds how many units one commit carries, so that a unit waits
// for at most that many others.
const maxBatch = 128

// ErrClosed is returned by Tx after Close.
var ErrClosed = errors.New("store: closed")

// unit is one Tx's work, waiting for the committer.
type unit struct {
	ctx  context.Context
	fn   func(ctx context.Context) error
	done chan error
}

// committer owns the write connection for transactions. It takes the units
// waiting when it becomes free, runs each inside its own SAVEPOINT of one
// transaction and commits once: many calls share one fsync (group commit),
// while a failing unit rolls back only its own changes.
type committer struct {
	db    *sql.DB
	units chan *unit
	quit  chan struct{}
	done  chan struct{}
}

func newCommitter(db *sql.DB) *committer {
	c := &committer{db: db, units: make(chan *unit), quit: make(chan struct{}), done: make(chan struct{})}
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
	for len(batch) < maxBatch {
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
func (c *committer) commit(batch []*unit) {
	results := make([]error, len(batch))
	tx, err := c.db.BeginTx(context.Background(), nil)
	if err == nil {
		for i, u := range batch {
			results[i] = runUnit(tx, u)
		}
		err = tx.Commit()
	}
	for i, u := range batch {
		if results[i] == nil && err != nil {
			results[i] = fmt.Errorf("commit: %w", err)
		}
		u.done <- results[i]
	}
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
	return u.fn(context.WithValue(context.WithoutCancel(u.ctx), txKey{}, tx))
}
