package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/deploytrail/deploytrail/internal/codedeploy"
	"github.com/deploytrail/deploytrail/internal/iam"
	"github.com/deploytrail/deploytrail/internal/server"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// baselineReplaces says what the baseline server leaves out; it goes into
// the report beside the ratios.
const baselineReplaces = "same process layout, HTTP edge, request logging, SigV4 verification, IAM authorization, request decoding and " +
	"validation, CodeDeploy service and SQL store as the product; replaced: the Ledger (Tx runs the call directly, " +
	"Record discards the event: no audit transaction, no event row, no resource index), the database lives on tmpfs " +
	"(/dev/shm: fsync costs nothing), and there is no trail, no log delivery and no SNS dispatcher"

// noLedger is the baseline's Ledger: calls run outside any audit
// transaction and their events are dropped.
type noLedger struct{}

func (noLedger) Tx(ctx context.Context, fn func(ctx context.Context) error) error { return fn(ctx) }
func (noLedger) Record(context.Context, *trail.Event) error                       { return nil }

var _ server.Ledger = noLedger{}

// serveBaseline serves the baseline server (CodeDeploy only) on a free
// loopback port with its database in dir, announces the address on
// stdout and serves until ctx ends. Only this program builds it: the
// deploytrail binary cannot reach it.
func serveBaseline(ctx context.Context, dir string, stdout io.Writer) error {
	srv, db, err := newBaseline(ctx, dir, os.Stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		hs.Shutdown(shutdownCtx)
	}()
	fmt.Fprintf(stdout, "baseline: serving on http://%s\n", ln.Addr())
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newBaseline builds the baseline server with its database in dir,
// logging a line per request to logs as the product does.
func newBaseline(ctx context.Context, dir string, logs io.Writer) (*server.Server, *store.DB, error) {
	db, err := store.Open(ctx, filepath.Join(dir, "baseline.db"))
	if err != nil {
		return nil, nil, err
	}
	iamSvc := iam.New(store.IAM{DB: db})
	if _, err := iamSvc.Bootstrap(ctx, iam.Root{AccountID: benchAccount, AccessKeyID: benchKeyID, SecretAccessKey: benchSecret}); err != nil {
		db.Close()
		return nil, nil, err
	}
	key := make([]byte, 32)
	rand.Read(key)
	deploy := codedeploy.New(store.CodeDeploy{DB: db}, key)
	srv := server.New(iamSvc, noLedger{}, deploy.API)
	srv.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	srv.SetReady(true)
	return srv, db, nil
}
