package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strings"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
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

// PostgresLookupPlan returns PostgreSQL's plan of q's lookup query (EXPLAIN
// COSTS OFF, one line per node), made with sequential scans priced out
// and, unless sorts is set, sorts and hash aggregation too, so that it
// sorts only where no index yields the listing's order.
func PostgresLookupPlan(ctx context.Context, db *DB, q *cloudtrail.Query, sorts bool) (string, error) {
	conn, err := db.read.Conn(ctx)
	if err != nil {
		return "", err
	}
	// The settings stay on this connection: close it rather than return it
	// to the pool.
	defer func() {
		conn.Raw(func(any) error { return driver.ErrBadConn })
		conn.Close()
	}()
	off := []string{"enable_seqscan", "enable_bitmapscan"}
	if !sorts {
		off = append(off, "enable_sort", "enable_incremental_sort", "enable_hashagg")
	}
	for _, off := range off {
		if _, err := conn.ExecContext(ctx, "SET "+off+" = off"); err != nil {
			return "", err
		}
	}
	query, args := lookupSQL(db.dialect, q)
	var lines []string
	rows, err := db.dialect.wrap(conn).QueryContext(ctx, "EXPLAIN (COSTS OFF) "+query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n"), rows.Err()
}

// LookupPlanCase, LookupPlanCases and ForEachLookupShape are the lookups
// the plan tests plan.
type LookupPlanCase = lookupPlanCase

var LookupPlanCases, ForEachLookupShape = lookupPlanCases, forEachLookupShape

// ReadPoolStats is the read pool's connection statistics.
func ReadPoolStats(db *DB) sql.DBStats { return db.read.Stats() }
