package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/deploytrail/deploytrail/internal/console"
)

// Console is the console.Store of a DB.
type Console struct{ *DB }

var _ console.Store = Console{}

func (s Console) InsertConsoleSession(ctx context.Context, c *console.Session) error {
	who, err := json.Marshal(c.Principal)
	if err != nil {
		return err
	}
	_, err = s.exec1(ctx, `INSERT INTO console_sessions (id_hash, account, access_key_id, principal, sealed, reset_password, created, last_seen, expires)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.IDHash, c.Account, c.AccessKeyID, string(who), c.Sealed, c.ResetPassword,
		nanos(c.Created), nanos(c.LastSeen), nanos(c.Expires))
	return err
}

func (s Console) ConsoleSession(ctx context.Context, idHash string) (*console.Session, error) {
	c := console.Session{IDHash: idHash}
	var who string
	var created, seen, expires int64
	err := s.q(ctx).QueryRowContext(ctx, `SELECT account, access_key_id, principal, sealed, reset_password, created, last_seen, expires
		FROM console_sessions WHERE id_hash = ?`, idHash).Scan(&c.Account, &c.AccessKeyID, &who, &c.Sealed, &c.ResetPassword, &created, &seen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, console.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	c.Created, c.LastSeen, c.Expires = fromNanos(created), fromNanos(seen), fromNanos(expires)
	return &c, json.Unmarshal([]byte(who), &c.Principal)
}

func (s Console) TouchConsoleSession(ctx context.Context, idHash string, at time.Time) error {
	_, err := s.exec1(ctx, `UPDATE console_sessions SET last_seen = ? WHERE id_hash = ?`, nanos(at), idHash)
	return err
}

func (s Console) PasswordChanged(ctx context.Context, idHash string) error {
	_, err := s.exec1(ctx, `UPDATE console_sessions SET reset_password = 0 WHERE id_hash = ?`, idHash)
	return err
}

func (s Console) DeleteConsoleSession(ctx context.Context, idHash string) error {
	_, err := s.exec1(ctx, `DELETE FROM console_sessions WHERE id_hash = ?`, idHash)
	return err
}

func (s Console) DeleteConsoleSessionsBefore(ctx context.Context, t, idleBefore time.Time) error {
	_, err := s.exec1(ctx, `DELETE FROM console_sessions WHERE expires < ? OR last_seen < ?`, nanos(t), nanos(idleBefore))
	return err
}

// NoteSignInFailure counts a failure in one statement: a window that
// began before windowStart starts again at this failure.
func (s Console) NoteSignInFailure(ctx context.Context, key string, at, windowStart time.Time) (int, error) {
	var n int
	err := s.Tx(ctx, func(ctx context.Context) error {
		return s.w(ctx).QueryRowContext(ctx, `INSERT INTO console_signin_failures (key, count, first_at) VALUES (?, 1, ?)
			ON CONFLICT (key) DO UPDATE SET
				count = CASE WHEN first_at < ? THEN 1 ELSE count + 1 END,
				first_at = CASE WHEN first_at < ? THEN excluded.first_at ELSE first_at END
			RETURNING count`, key, nanos(at), nanos(windowStart), nanos(windowStart)).Scan(&n)
	})
	return n, err
}

func (s Console) SignInFailures(ctx context.Context, key string, windowStart time.Time) (int, error) {
	var n int
	err := s.q(ctx).QueryRowContext(ctx, `SELECT count FROM console_signin_failures WHERE key = ? AND first_at >= ?`,
		key, nanos(windowStart)).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

func (s Console) ClearSignInFailures(ctx context.Context, key string) error {
	_, err := s.exec1(ctx, `DELETE FROM console_signin_failures WHERE key = ?`, key)
	return err
}
