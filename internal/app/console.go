package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/deploytrail/deploytrail/internal/console"
	"github.com/deploytrail/deploytrail/internal/iam"
	"github.com/deploytrail/deploytrail/internal/server"
	"github.com/deploytrail/deploytrail/internal/store"
)

// RootPasswordFile is where the first start writes the root user's
// console password, beside the root key's credentials file (0600).
const RootPasswordFile = "console-password"

// consoleSweepInterval is how often ended console sessions are deleted.
const consoleSweepInterval = 10 * time.Minute

// newConsole builds the web console and mounts it on srv: its actions are
// requests to srv itself.
func newConsole(cfg Config, iamSvc *iam.Service, db *store.DB, srv *server.Server, logger *slog.Logger) *console.Console {
	c := console.New(iamSvc, store.Console{DB: db}, store.Events{DB: db}, srv)
	c.Logger = logger.With("component", "console")
	c.SourceIP = srv.SourceIP
	c.Idle, c.MaxAge = cfg.ConsoleIdle, cfg.ConsoleMaxAge
	srv.Console = c
	return c
}

// newRootPassword sets a random console password for the root user (on
// the first start, or reset). It meets the password policy: it has upper-
// and lower-case letters, a digit and a symbol.
func newRootPassword(ctx context.Context, iamSvc *iam.Service, account string) (string, error) {
	b := make([]byte, 18)
	rand.Read(b) // crypto/rand.Read never fails
	password := "Dt1-" + base64.RawURLEncoding.EncodeToString(b)
	if err := iamSvc.SetRootPassword(ctx, account, password); err != nil {
		return "", fmt.Errorf("set root console password: %w", err)
	}
	return password, nil
}

// writeRootPassword writes the root user's first console password to a
// 0600 file in the data directory; it is never printed or logged.
func writeRootPassword(data, password string) error {
	if password == "" {
		return nil
	}
	if err := os.WriteFile(filepath.Join(data, RootPasswordFile), []byte(password+"\n"), 0o600); err != nil {
		return fmt.Errorf("write root console password: %w", err)
	}
	return nil
}

// ResetRootPassword gives the management account's root user a new random
// console password and writes it to the data directory's
// RootPasswordFile (0600), for `deploytrail console password`; it returns
// the file's path. It opens the store directly: a server may be running.
func ResetRootPassword(ctx context.Context, cfg Config) (string, error) {
	db, err := store.Open(ctx, cfg.Database())
	if err != nil {
		return "", err
	}
	defer db.Close()
	iamSvc := iam.New(store.IAM{DB: db})
	account, err := iamSvc.ManagementAccount(ctx)
	if err != nil {
		return "", fmt.Errorf("no management account in %s (has a server run there?): %w", cfg.Data, err)
	}
	password, err := newRootPassword(ctx, iamSvc, account)
	if err != nil {
		return "", err
	}
	if err := writeRootPassword(cfg.Data, password); err != nil {
		return "", err
	}
	return filepath.Join(cfg.Data, RootPasswordFile), nil
}
