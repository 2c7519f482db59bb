package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/deploytrail/deploytrail/internal/store"
)

// migrateCmd is `deploytrail migrate [--check]`: it applies the pending
// schema migrations to the configured database (DEPLOYTRAIL_DATABASE_URL,
// else the data directory's SQLite file) and prints their versions; with
// --check it applies nothing and exits 1 if any is pending. serve migrates
// on start as well; this lets an operator migrate a shared database once,
// before upgrading the nodes.
func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var check bool
	c, err := baseConfigFlags("migrate", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&check, "check", false, "apply nothing: list the pending migrations, exit 1 if there are any")
	})
	if err != nil {
		return err
	}
	if len(c.args) > 0 {
		return &exitError{status: 2, err: fmt.Errorf("migrate: unexpected argument %q", c.args[0])}
	}
	cfg := c.config
	if cfg.DatabaseURL != "" && !store.IsPostgresURL(cfg.DatabaseURL) {
		return &exitError{status: 2, err: errors.New("migrate: the database URL must be postgres://user:password@host:port/database")}
	}
	if cfg.DatabaseURL == "" {
		if err := checkDataDir(cfg.Data, false); err != nil {
			return err
		}
	}
	if check {
		pending, err := store.PendingMigrations(ctx, cfg.Database())
		if err != nil {
			return err
		}
		if len(pending) > 0 {
			fmt.Fprintf(stdout, "pending migrations: %s\n", versions(pending))
			return &exitError{status: 1, err: fmt.Errorf("%d migrations pending", len(pending))}
		}
		fmt.Fprintln(stdout, "no pending migrations")
		return nil
	}
	applied, err := store.Migrate(ctx, cfg.Database())
	if len(applied) > 0 {
		fmt.Fprintf(stdout, "applied migrations: %s\n", versions(applied))
	} else if err == nil {
		fmt.Fprintln(stdout, "no pending migrations")
	}
	return err
}

// versions formats migration versions as their files number them.
func versions(vs []int) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmt.Sprintf("%04d", v)
	}
	return strings.Join(out, " ")
}
