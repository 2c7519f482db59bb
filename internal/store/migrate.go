package store

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// migrations holds each dialect's schema changes, migrations/<dialect>/
// NNNN_name.sql, applied in version order. PostgreSQL's start at
// 0016_baseline.sql, the schema SQLite has after its 0016; from 0017 on
// every version exists in both directories (TestMigrationVersionsMatch).
//
//go:embed migrations
var migrations embed.FS

// migration is one schema change of the dialect.
type migration struct {
	version int
	file    string
}

// Migrate opens the database named by dsn, applies its pending
// migrations and returns their versions, oldest first.
func Migrate(ctx context.Context, dsn string) ([]int, error) {
	db, err := open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return db.migrate(ctx)
}

// PendingMigrations returns the versions of the migrations the database
// named by dsn has not applied yet, changing nothing.
func PendingMigrations(ctx context.Context, dsn string) ([]int, error) {
	db, err := open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	all, err := db.migrations()
	if err != nil {
		return nil, err
	}
	applied, err := db.appliedMigrations(ctx)
	if err != nil {
		return nil, err
	}
	var pending []int
	for _, m := range all {
		if !applied[m.version] {
			pending = append(pending, m.version)
		}
	}
	return pending, nil
}

// migrations lists the dialect's migrations in version order.
func (db *DB) migrations() ([]migration, error) {
	files, err := fs.Glob(migrations, "migrations/"+db.dialect.name+"/*.sql")
	if err != nil {
		return nil, err
	}
	out := make([]migration, 0, len(files))
	for _, file := range files {
		version, err := strconv.Atoi(strings.SplitN(path.Base(file), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: file name must start with a version number", path.Base(file))
		}
		out = append(out, migration{version: version, file: file})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// appliedMigrations reads schema_migrations, empty when the database has
// none yet.
func (db *DB) appliedMigrations(ctx context.Context) (map[int]bool, error) {
	var exists int
	if err := db.q(ctx).QueryRowContext(ctx, db.dialect.tableExists, "schema_migrations").Scan(&exists); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	applied := map[int]bool{}
	if exists == 0 {
		return applied, nil
	}
	versions, err := collect(ctx, db.q(ctx), func(r rowScanner) (int, error) {
		var v int
		return v, r.Scan(&v)
	}, `SELECT version FROM schema_migrations`)
	for _, v := range versions {
		applied[v] = true
	}
	return applied, err
}

// migrate applies the migrations that have not run yet, each in its own
// transaction together with its version record, and returns their
// versions. Every transaction is a commit batch, which on PostgreSQL
// holds the batch lock first: nodes starting together take turns, and
// each finds what the others applied (each migration runs once).
func (db *DB) migrate(ctx context.Context) ([]int, error) {
	err := db.Tx(ctx, func(ctx context.Context) error {
		_, err := db.w(ctx).ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied BIGINT NOT NULL)`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	all, err := db.migrations()
	if err != nil {
		return nil, err
	}
	var applied []int
	for _, m := range all {
		ran, err := db.migrateOne(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", path.Base(m.file), err)
		}
		if ran {
			applied = append(applied, m.version)
		}
	}
	return applied, nil
}

// migrateOne applies m unless it is recorded as applied, and says whether
// it ran.
func (db *DB) migrateOne(ctx context.Context, m migration) (ran bool, err error) {
	err = db.Tx(ctx, func(ctx context.Context) error {
		ran = false // a retried batch runs this again
		var n int
		if err := db.q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil || n > 0 {
			return err
		}
		body, err := migrations.ReadFile(m.file)
		if err != nil {
			return err
		}
		if err := db.execMigration(ctx, string(body)); err != nil {
			return err
		}
		ran = true
		_, err = db.w(ctx).ExecContext(ctx, `INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`, m.version, time.Now().UnixNano())
		return err
	})
	return ran, err
}

// execMigration runs a migration's body. On SQLite it runs with temporary
// storage in files: the connections keep temp_store(MEMORY) for the units'
// savepoint journals, but a migration that indexes or rewrites a large
// table (events) would hold its whole sorter in RAM (hundreds of MB at a
// million events). The pragma is per connection and takes effect inside
// the open transaction.
func (db *DB) execMigration(ctx context.Context, body string) error {
	w := db.w(ctx)
	if db.dialect.name != "sqlite" {
		_, err := w.ExecContext(ctx, body)
		return err
	}
	if _, err := w.ExecContext(ctx, `PRAGMA temp_store = FILE`); err != nil {
		return err
	}
	_, err := w.ExecContext(ctx, body)
	_, restore := w.ExecContext(ctx, `PRAGMA temp_store = MEMORY`)
	return errors.Join(err, restore)
}

// SchemaID is a digest of the embedded migrations of every dialect: two
// databases migrated by binaries with the same SchemaID have the same
// schema (tests keep migrated template databases under it).
func SchemaID() string {
	h := sha256.New()
	fs.WalkDir(migrations, "migrations", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := migrations.ReadFile(name)
		fmt.Fprintf(h, "%s %d\n", name, len(body))
		h.Write(body)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))
}
