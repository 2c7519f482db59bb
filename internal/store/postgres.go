package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL's pools: the committer's connection (one batch at a time,
// like SQLite's), and the readers' beside it.
const (
	postgresReaders        = 16
	postgresConnectTimeout = 10 * time.Second
)

// openPostgres connects to the PostgreSQL database at url through pgx's
// database/sql driver. url may hold a password: no error here repeats it
// (pgx's own errors name the user, host and database, never the password).
func openPostgres(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, errors.New("store: the PostgreSQL URL does not parse")
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = postgresConnectTimeout
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "deploytrail"
	}
	write := stdlib.OpenDB(*cfg)
	write.SetMaxOpenConns(1)
	read := stdlib.OpenDB(*readerConfig(cfg))
	read.SetMaxOpenConns(postgresReaders)
	read.SetMaxIdleConns(postgresReaders)
	if err := read.PingContext(ctx); err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("store: connect to PostgreSQL: %w", err)
	}
	return newDB(write, read, newPostgresDialect()), nil
}

// readerConfig is cfg for the readers' pool: PostgreSQL plans each of
// their statements for its own arguments (plan_cache_mode), unless the
// URL says otherwise. pgx prepares and caches statements, and after five
// runs PostgreSQL may switch one to a generic plan, blind to the
// arguments: for a LookupEvents by a resource name it guessed one row,
// and sorted all of a common name's rows instead of walking the index
// (1-2 s a page at 10 M events, against 2 ms planned for the name).
func readerConfig(cfg *pgx.ConnConfig) *pgx.ConnConfig {
	read := cfg.Copy()
	if _, ok := read.RuntimeParams["plan_cache_mode"]; !ok {
		read.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	return read
}
