package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/deploytrail/deploytrail/internal/lease"
)

// ErrLeaseLost fails a transaction made with a lease's context (see
// lease.With) when that lease has changed hands or expired: nothing of
// the transaction commits.
var ErrLeaseLost = lease.ErrLost

// Leases keeps the singleton workers' leases (lease.Runner). Times are
// the caller's clock: nodes sharing a database need synchronized clocks
// (NTP), and skew shortens a lease as another node sees it. Safety does
// not rest on the clocks: a takeover increments the token, and the
// fencing check compares the token.
type Leases struct{ *DB }

// acquireSQL takes a free or expired lease, or extends the holder's own.
// The token grows unless the holder extends a lease it still holds, so
// that every new tenure, even the same holder's after an expiry, has a
// token no earlier tenure had. Assignments read the row's old values.
const acquireSQL = `INSERT INTO leases (name, holder, token, expires) VALUES (?, ?, 1, ?)
	ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires,
		token = CASE WHEN leases.holder = excluded.holder AND leases.expires > ? THEN leases.token ELSE leases.token + 1 END
	WHERE leases.holder = excluded.holder OR leases.expires <= ?
	RETURNING token`

// Acquire takes the lease name for holder until ttl from now and returns
// its token; a *lease.HeldError when another holder has it.
func (s Leases) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (int64, error) {
	var token int64
	err := s.Tx(ctx, func(ctx context.Context) error {
		now := nanos(time.Now())
		err := s.w(ctx).QueryRowContext(ctx, acquireSQL, name, holder, now+ttl.Nanoseconds(), now, now).Scan(&token)
		if errors.Is(err, sql.ErrNoRows) {
			return s.heldBy(ctx, name)
		}
		return err
	})
	return token, err
}

// heldBy describes the holder of a lease Acquire could not take.
func (s Leases) heldBy(ctx context.Context, name string) error {
	e := &lease.HeldError{Name: name}
	var until int64
	if err := s.q(ctx).QueryRowContext(ctx, `SELECT holder, expires FROM leases WHERE name = ?`, name).Scan(&e.Holder, &until); err != nil {
		return err
	}
	e.Until = fromNanos(until)
	return e
}

// Renew extends a lease its holder still has (same token, not expired)
// until ttl from now; else lease.ErrLost.
func (s Leases) Renew(ctx context.Context, h lease.Held, ttl time.Duration) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		now := nanos(time.Now())
		res, err := s.w(ctx).ExecContext(ctx, `UPDATE leases SET expires = ? WHERE name = ? AND holder = ? AND token = ? AND expires > ?`,
			now+ttl.Nanoseconds(), h.Name, h.Holder, h.Token, now)
		if err != nil {
			return err
		}
		return leaseAffected(res, h)
	})
}

// Release ends a lease at once, so that another node takes it without
// waiting for it to expire. The row stays, with its token, so that tokens
// only grow. Releasing a lease already lost is not an error.
func (s Leases) Release(ctx context.Context, h lease.Held) error {
	_, err := s.exec1(ctx, `UPDATE leases SET expires = 0 WHERE name = ? AND holder = ? AND token = ?`, h.Name, h.Holder, h.Token)
	return err
}

// ExpireAll ends every lease at once (tokens kept). Only for a node that
// knows it is alone on the database, where every lease it finds is a
// dead predecessor's: it need not wait them out.
func (s Leases) ExpireAll(ctx context.Context) error {
	_, err := s.exec1(ctx, `UPDATE leases SET expires = 0 WHERE expires > 0`)
	return err
}

func leaseAffected(res sql.Result, h lease.Held) error {
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = lost(h)
	}
	return err
}

func lost(h lease.Held) error { return fmt.Errorf("%w: %s (token %d)", ErrLeaseLost, h.Name, h.Token) }

// fenced wraps fn, when ctx carries a lease, with the check that the
// lease still has that holder and token and has not expired, made inside
// the transaction before fn runs. Transactions commit one at a time
// (design rule 1), so a takeover commits either before the check, which
// then fails, or after the whole transaction.
func (db *DB) fenced(ctx context.Context, fn func(ctx context.Context) error) func(ctx context.Context) error {
	h, ok := lease.From(ctx)
	if !ok {
		return fn
	}
	return func(ctx context.Context) error {
		var n int
		err := db.q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM leases WHERE name = ? AND holder = ? AND token = ? AND expires > ?`,
			h.Name, h.Holder, h.Token, nanos(time.Now())).Scan(&n)
		if err != nil {
			return err
		}
		if n == 0 {
			return lost(h)
		}
		return fn(ctx)
	}
}
