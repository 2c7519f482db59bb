package store

import (
	"context"
	"database/sql"
	"sync"
)

// readStmts is the SQLite read pool with its statements prepared once:
// every call reads through it (the caller's access key and account, then
// the call's own rows), and without it SQLite parses each statement's
// text anew on every run, a quarter of an unaudited read's CPU (issue 16).
// A *sql.Stmt keeps one prepared statement per pool connection and
// prepares it on a connection the first time it runs there. PostgreSQL
// needs none of this: pgx caches its prepared statements per connection.
type readStmts struct {
	pool *sql.DB
	mu   sync.Mutex
	// stmts is by SQL text; at most maxReadStmts, after which further
	// texts run unprepared (statements built with varying IN lists would
	// otherwise grow it without bound).
	stmts map[string]*sql.Stmt
}

// maxReadStmts bounds the prepared reads, and so their memory (a prepared
// statement is a few KB on each of the pool's connections): the store has
// about a hundred read statements, plus variants of a few with IN lists.
const maxReadStmts = 256

func newReadStmts(pool *sql.DB) *readStmts {
	return &readStmts{pool: pool, stmts: map[string]*sql.Stmt{}}
}

// stmt is query prepared on the pool, or nil when it cannot be (the cache
// is full, or preparing failed: running it unprepared then gives the
// caller the statement's own error).
func (r *readStmts) stmt(ctx context.Context, query string) *sql.Stmt {
	r.mu.Lock()
	s, ok := r.stmts[query]
	full := len(r.stmts) >= maxReadStmts
	r.mu.Unlock()
	if ok || full {
		return s
	}
	// Prepared outside the lock: it may wait for a connection. A canceled
	// call must not fail a statement other calls go on to use, hence the
	// context without cancellation.
	s, err := r.pool.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if won, ok := r.stmts[query]; ok { // prepared meanwhile by another call
		s.Close()
		return won
	}
	r.stmts[query] = s
	return s
}

func (r *readStmts) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return r.pool.ExecContext(ctx, query, args...)
}

func (r *readStmts) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := r.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return r.pool.QueryContext(ctx, query, args...)
}

func (r *readStmts) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := r.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return r.pool.QueryRowContext(ctx, query, args...)
}

// close closes the prepared statements (before the pool).
func (r *readStmts) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for q, s := range r.stmts {
		s.Close()
		delete(r.stmts, q)
	}
}
