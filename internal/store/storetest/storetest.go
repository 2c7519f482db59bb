// Package storetest runs the store's contract tests against every
// backend: each test written with Each runs once per backend, on a fresh,
// migrated, empty database, so that a rule the store promises is checked
// where it must hold.
//
// PostgreSQL comes from DEPLOYTRAIL_TEST_DATABASE_URL, a superuser's URL
// (scripts/postgres.sh starts a throwaway server and prints it). Each
// test gets a database of its own, copied from a migrated template and
// dropped when the test ends. Without the URL the postgres subtests skip,
// saying why; under CI=true they fail instead, so that CI cannot pass
// without them.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/deploytrail/deploytrail/internal/store"
)

// URLVariable names the environment variable with the test server's URL.
const URLVariable = "DEPLOYTRAIL_TEST_DATABASE_URL"

// Each runs fn as one subtest per backend, named after it, each with a
// database of its own.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// EachDSN runs fn as one subtest per backend with the name of a fresh,
// migrated database (a SQLite file's path or a PostgreSQL URL), for tests
// that open it themselves, such as several stores ("nodes") on one
// database.
func EachDSN(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "db.sqlite")) })
	t.Run("postgres", func(t *testing.T) { fn(t, PostgresURL(t)) })
}

// SQLite opens a fresh SQLite store in tb's temporary directory, closed
// when the test ends.
func SQLite(tb testing.TB) *store.DB {
	tb.Helper()
	return OpenTB(tb, filepath.Join(tb.TempDir(), "db.sqlite"))
}

// Postgres opens a store on a fresh PostgreSQL database (PostgresURL),
// closed when the test ends.
func Postgres(tb testing.TB) *store.DB {
	tb.Helper()
	return OpenTB(tb, PostgresURL(tb))
}

// OpenTB opens the store at dsn, closed when the test ends.
func OpenTB(tb testing.TB, dsn string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// PostgresURL creates an empty, migrated PostgreSQL database for tb and
// returns its URL; the database is dropped when the test ends (after the
// cleanups registered later, such as closing the stores on it). Without
// DEPLOYTRAIL_TEST_DATABASE_URL it skips tb (fails it under CI=true).
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	return newPostgres(tb, true)
}

// EmptyPostgresURL is PostgresURL's database before any migration, for
// tests of migrating.
func EmptyPostgresURL(tb testing.TB) string {
	tb.Helper()
	return newPostgres(tb, false)
}

func newPostgres(tb testing.TB, migrated bool) string {
	tb.Helper()
	base := os.Getenv(URLVariable)
	if base == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set: CI must run the PostgreSQL contract tests (scripts/postgres.sh starts a server)", URLVariable)
		}
		tb.Skipf("%s is not set: PostgreSQL tests skipped (eval \"$(scripts/postgres.sh start DIR)\" to run them)", URLVariable)
	}
	admin, err := adminDB(base)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := "template0"
	if migrated {
		if tmpl, err = template(base, admin); err != nil {
			tb.Fatal(err)
		}
	}
	name := "dt_test_" + randomHex()
	if _, err := admin.Exec(`CREATE DATABASE ` + name + ` TEMPLATE ` + tmpl); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			tb.Errorf("drop test database: %v", err)
		}
	})
	return withDatabase(base, name)
}

var (
	adminOnce sync.Once
	admin     *sql.DB
	adminErr  error

	templateMu sync.Mutex
	templates  = map[string]bool{}
)

// adminDB is the process's connection pool to the server's maintenance
// database, for creating and dropping the test databases.
func adminDB(base string) (*sql.DB, error) {
	adminOnce.Do(func() {
		admin, adminErr = sql.Open("pgx", base)
		if adminErr == nil {
			admin.SetMaxOpenConns(4)
			adminErr = admin.Ping()
		}
		if adminErr != nil {
			adminErr = fmt.Errorf("connect to %s: %w", URLVariable, adminErr)
		}
	})
	return admin, adminErr
}

// template returns the name of a database holding the migrated schema of
// this binary's migrations, creating it once per server: test processes
// running side by side take turns under an advisory lock, and a template
// is renamed into place only once fully migrated.
func template(base string, admin *sql.DB) (string, error) {
	name := "dt_template_" + store.SchemaID()[:16]
	templateMu.Lock()
	defer templateMu.Unlock()
	if templates[name] {
		return name, nil
	}
	ctx := context.Background()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	const lockKey = 0x64747465737473 // "dttests": the suite's own, not the store's
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockKey); err != nil {
		return "", err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, lockKey)
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		return "", err
	}
	if n == 0 {
		if err := buildTemplate(ctx, conn, base, name); err != nil {
			return "", fmt.Errorf("build template database: %w", err)
		}
	}
	templates[name] = true
	return name, nil
}

func buildTemplate(ctx context.Context, conn *sql.Conn, base, name string) error {
	building := name + "_building"
	if _, err := conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+building+` WITH (FORCE)`); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+building); err != nil {
		return err
	}
	if _, err := store.Migrate(ctx, withDatabase(base, building)); err != nil {
		return err
	}
	_, err := conn.ExecContext(ctx, `ALTER DATABASE `+building+` RENAME TO `+name)
	return err
}

// withDatabase returns base naming the database name instead.
func withDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		// adminDB connected with base, so it parses; keep the secret out
		// of any message regardless.
		panic("storetest: the database URL does not parse")
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
