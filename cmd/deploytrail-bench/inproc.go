package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/deploytrail/deploytrail/internal/app"
)

// inproc is deploytrail run inside this program, for the workloads that
// need its store (bulk loading) or its deliverer.
type inproc struct {
	app    *app.App
	cfg    app.Config
	url    string
	cancel context.CancelFunc
	done   chan error
}

// openApp opens deploytrail on dir with the benchmark's root key;
// configure adjusts the configuration first.
func openApp(ctx context.Context, dir string, configure func(*app.Config)) (*inproc, error) {
	cfg := app.DefaultConfig()
	cfg.Data, cfg.Listen = dir, "127.0.0.1:0"
	cfg.AccountID, cfg.RootAccessKeyID, cfg.RootSecretAccessKey = benchAccount, benchKeyID, benchSecret
	if configure != nil {
		configure(&cfg)
	}
	a, err := app.Open(ctx, cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		return nil, err
	}
	return &inproc{app: a, cfg: cfg}, nil
}

// serve starts serving on a free loopback port.
func (p *inproc) serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", p.cfg.Listen)
	if err != nil {
		return err
	}
	ctx, p.cancel = context.WithCancel(ctx)
	p.done = make(chan error, 1)
	p.url = "http://" + ln.Addr().String()
	go func() { p.done <- p.app.Serve(ctx, ln) }()
	return nil
}

// stopServing ends Serve (which makes a last delivery) and waits for it.
func (p *inproc) stopServing() error {
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	p.cancel = nil
	select {
	case err := <-p.done:
		return err
	case <-time.After(time.Minute):
		return context.DeadlineExceeded
	}
}

func (p *inproc) close() error {
	err := p.stopServing()
	if cerr := p.app.Close(); err == nil {
		err = cerr
	}
	return err
}

func (p *inproc) target(clients int) *target {
	return newTarget(p.url, benchKeyID, benchSecret, clients)
}
