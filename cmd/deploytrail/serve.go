package main

import (
	"context"
	"io"
	"net"
	"os"

	"github.com/deploytrail/deploytrail/internal/app"
)

// serve runs the server until ctx ends, holding the data directory's lock.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, os.Getenv)
	if err != nil {
		return err
	}
	unlock, err := lockDataDir(cfg.Data) // before Open, which migrates and bootstraps
	if err != nil {
		return err
	}
	defer unlock()
	cfg.DataDirLocked = true
	a, err := app.Open(ctx, cfg, app.NewLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	if err := a.Announce(cfg, ln.Addr().String(), stdout); err != nil {
		return err
	}
	return a.Serve(ctx, ln)
}
