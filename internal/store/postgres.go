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
	read := stdlib.OpenDB(*cfg)
	read.SetMaxOpenConns(postgresReaders)
	read.SetMaxIdleConns(postgresReaders)
	if err := read.PingContext(ctx); err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("store: connect to PostgreSQL: %w", err)
	}
	return newDB(write, read, newPostgresDialect()), nil
}
