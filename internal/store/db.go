// Package store persists every service's state in SQL. SQLite (embedded,
// the default) is the first dialect; the SQL is kept portable so that a
// PostgreSQL dialect can follow without a redesign.
//
// Each domain package declares the Store interface it needs; this package
// implements them and is the only one that speaks SQL. Calls made with a
// context from DB.Tx join that transaction, so a service can make several
// changes, and later the trail its audit event, commit together.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations
var migrations embed.FS

// DB is a handle on the database.
type DB struct {
	// write has a single connection: SQLite has one writer at a time, and
	// queueing writers in the pool is cheaper than retrying SQLITE_BUSY.
	write   *sql.DB
	read    *sql.DB
	commits *committer
	path    string
	// trailChanges counts the committed changes to trails (and
	// organization membership) this process made: the data event
	// filter's hint to look again at once (see DataTrails).
	trailChanges atomic.Uint64
}

// Open opens (creating it 0600 if needed) the SQLite database at path and
// applies pending migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	if err := ensureFile(path); err != nil {
		return nil, err
	}
	// synchronous(FULL): a committed transaction survives power loss, which
	// "no acknowledged call without a durable event" needs.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
	write, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", dsn)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	read.SetMaxOpenConns(8)
	db := &DB{write: write, read: read, path: path, commits: newCommitter(write)}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

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

// migrate applies the embedded migrations that have not run yet, each in
// its own transaction together with its version record.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	files, err := fs.Glob(migrations, "migrations/sqlite/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, name := range files {
		if err := db.migrateFile(ctx, name); err != nil {
			return fmt.Errorf("migration %s: %w", filepath.Base(name), err)
		}
	}
	return nil
}

func (db *DB) migrateFile(ctx context.Context, name string) error {
	version, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
	if err != nil {
		return fmt.Errorf("file name must start with a version number")
	}
	return db.Tx(ctx, func(ctx context.Context) error {
		var n int
		if err := db.q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil || n > 0 {
			return err
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		if _, err := db.q(ctx).ExecContext(ctx, string(body)); err != nil {
			return err
		}
		_, err = db.q(ctx).ExecContext(ctx, `INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`, version, time.Now().UnixNano())
		return err
	})
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

// q returns the transaction in ctx, or the read pool outside one.
func (db *DB) q(ctx context.Context) querier {
	if tx, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return tx
	}
	return db.read
}

// w returns the transaction in ctx, or the writer outside one.
func (db *DB) w(ctx context.Context) querier {
	if tx, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return tx
	}
	return db.write
}

// isUnique reports whether err is a uniqueness violation.
func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

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
