// Package store persists every service's state in SQL: SQLite (embedded,
// the default, one file) or PostgreSQL (pgx; a database several nodes
// share). One SQL text serves both; the dialect rewrites placeholders,
// adapts arguments and tells the engines' errors apart (dialect.go).
//
// Each domain package declares the Store interface it needs; this package
// implements them and is the only one that speaks SQL. Calls made with a
// context from DB.Tx join that transaction, so a service can make several
// changes, and later the trail its audit event, commit together.
//
// The rules (docs/ARCHITECTURE.md, "Store rules"): every write goes
// through Tx, side effects in afterCommit hooks; one committer per node
// group-commits, and one batch at a time commits on the whole database
// (SQLite's write lock, PostgreSQL's advisory batch lock); a batch that
// certainly did not commit runs again, one whose outcome is unknown fails;
// keys, uniqueness and foreign keys are the database's to enforce.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// DB is a handle on the database.
type DB struct {
	// write is the committer's: one connection, since every batch holds
	// the database's single writer slot anyway (SQLite's write lock, or
	// the PostgreSQL batch lock), and queueing writers in the pool is
	// cheaper than retrying.
	write   *sql.DB
	read    *sql.DB
	dialect *dialect
	commits *committer
	// trailChanges counts the committed changes to trails (and
	// organization membership) this process made: the data event
	// filter's hint to look again at once (see DataTrails).
	trailChanges atomic.Uint64
}

// Open opens the database named by dsn and applies pending migrations.
// dsn is a postgres:// (or postgresql://) URL, or the path of a SQLite
// file, created 0600 if needed.
func Open(ctx context.Context, dsn string) (*DB, error) {
	db, err := open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// open connects without migrating.
func open(ctx context.Context, dsn string) (*DB, error) {
	if IsPostgresURL(dsn) {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(dsn)
}

// IsPostgresURL reports whether dsn names a PostgreSQL database rather
// than a SQLite file.
func IsPostgresURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

func openSQLite(path string) (*DB, error) {
	if err := ensureFile(path); err != nil {
		return nil, err
	}
	// synchronous(FULL): a committed transaction survives power loss, which
	// "no acknowledged call without a durable event" needs. temp_store(MEMORY)
	// keeps the statement journal of each unit's SAVEPOINT in RAM rather
	// than a temporary file written page by page (15 % of an audited call's
	// CPU); it only serves ROLLBACK TO within the open transaction, so
	// durability is the WAL's as before.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)&_txlock=immediate"
	connector, err := newCachingConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	write := sql.OpenDB(connector)
	write.SetMaxOpenConns(1)
	read := sql.OpenDB(connector)
	read.SetMaxOpenConns(sqliteReaders)
	// Idle readers stay open: the pool's default keeps two, so under more
	// concurrent reads it opened and closed connections all the time, each
	// open running the DSN's pragmas and reading the schema (issue 16:
	// ~10 % of an unaudited read's CPU), and dropping its prepared statements.
	read.SetMaxIdleConns(sqliteReaders)
	return newDB(write, read, sqliteDialect), nil
}

// sqliteReaders is the size of the SQLite read pool.
const sqliteReaders = 8

func newDB(write, read *sql.DB, d *dialect) *DB {
	return &DB{write: write, read: read, dialect: d, commits: newCommitter(write, d)}
}

// Dialect names the database engine: "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect.name }

// ensureFile creates the database file with owner-only permissions before
// SQLite does, because SQLite would create it world-readable; it holds
// secret keys.
func ensureFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	return f.Close()
}

// Close waits for the commit in progress and closes the database.
func (db *DB) Close() error {
	db.commits.close()
	return errors.Join(db.read.Close(), db.write.Close())
}

type txKey struct{}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx runs fn in a transaction: fn's writes (made with the ctx it gets)
// commit together, or none does when fn fails. A Tx inside a Tx joins the
// outer one, so that a service's changes and the audit event of its call
// commit as one. Transactions are group-committed (see committer): Tx
// returns once fn's work is durable. A ctx carrying a lease (lease.With)
// fences fn: it runs only while that lease holds, else Tx fails with
// ErrLeaseLost.
func (db *DB) Tx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return fn(ctx)
	}
	return db.commits.submit(ctx, db.fenced(ctx, fn))
}

// q returns the transaction in ctx, or the read pool outside one, each
// applying the dialect.
func (db *DB) q(ctx context.Context) querier {
	if tx, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return db.dialect.wrap(tx)
	}
	return db.dialect.wrap(db.read)
}

// wTry is w for a statement whose failure (a unique violation: "already
// exists") the caller may answer and then go on in the same transaction.
// SQLite's transaction survives a failed statement; PostgreSQL's is
// aborted by it, so there each such statement runs inside a savepoint of
// its own, rolled back when it fails.
func (db *DB) wTry(ctx context.Context) querier {
	w := db.w(ctx)
	if _, inTx := ctx.Value(txKey{}).(*sql.Tx); !inTx || db.dialect.name != "postgres" {
		return w
	}
	return savepointQuerier{w}
}

// w returns the transaction in ctx. Outside one it returns noTx, which
// refuses every statement: writes go through Tx (group commit, one writer,
// after-commit hooks), and one that does not is a bug to catch, not to run.
func (db *DB) w(ctx context.Context) querier {
	if tx, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return db.dialect.wrap(tx)
	}
	return noTx{}
}

// ErrNoTx is the error of a write made outside DB.Tx.
var ErrNoTx = errors.New("store: write outside a transaction")

// noTx is the writer outside a transaction: it refuses every statement.
type noTx struct{}

func (noTx) ExecContext(context.Context, string, ...any) (sql.Result, error) { return nil, ErrNoTx }

func (noTx) QueryContext(context.Context, string, ...any) (*sql.Rows, error) { return nil, ErrNoTx }

// QueryRowContext panics: a *sql.Row cannot carry an error of its own.
func (noTx) QueryRowContext(context.Context, string, ...any) *sql.Row { panic(ErrNoTx) }

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
