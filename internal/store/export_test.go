package store

import (
	"context"
	"database/sql"
)

// Hooks for the contract tests (package store_test) into what the store
// keeps to itself.

// QueryRow runs query through the dialect, in ctx's transaction if any.
func QueryRow(ctx context.Context, db *DB, query string, args ...any) *sql.Row {
	return db.q(ctx).QueryRowContext(ctx, query, args...)
}

// Exec runs a statement through the dialect, in ctx's transaction if any.
func Exec(ctx context.Context, db *DB, query string, args ...any) (sql.Result, error) {
	return db.w(ctx).ExecContext(ctx, query, args...)
}

// AfterCommit is afterCommit.
var AfterCommit = afterCommit

// CommitEachUnit makes db commit every Tx on its own, for the benchmark
// of group commit; set it before the first Tx.
func CommitEachUnit(db *DB) { db.commits.batchLimit = 1 }

// Query runs a query through the dialect, in ctx's transaction if any.
func Query(ctx context.Context, db *DB, query string, args ...any) (*sql.Rows, error) {
	return db.q(ctx).QueryContext(ctx, query, args...)
}

// ReadPoolStats is the read pool's connection statistics.
func ReadPoolStats(db *DB) sql.DBStats { return db.read.Stats() }

// PreparedReads is how many read statements db keeps prepared (SQLite).
func PreparedReads(db *DB) int {
	r, ok := db.reads.(*readStmts)
	if !ok {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.stmts)
}

// MaxReadStmts is maxReadStmts.
const MaxReadStmts = maxReadStmts
