package store_test

import (
	"bytes"
	"context"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
)

// TestCommitOutcomeUnknown: when the connection is lost after COMMIT was
// sent and before its answer came, the store cannot know whether the
// batch committed, and says it failed: never a success it cannot vouch
// for. (Here the server did commit.) The next Tx works on a new
// connection. PostgreSQL only: SQLite has no connection to lose.
func TestCommitOutcomeUnknown(t *testing.T) {
	direct := storetest.PostgresURL(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	p := startCutter(t, u.Host)
	u.Host = p.addr
	db := storetest.OpenTB(t, u.String())
	ctx := context.Background()
	settings := store.IAM{DB: db}

	p.armed.Store(true)
	err = db.Tx(ctx, func(ctx context.Context) error { return settings.PutSetting(ctx, "unknown", "v") })
	p.armed.Store(false)
	if err == nil || !strings.Contains(err.Error(), "outcome unknown") {
		t.Fatalf("Tx whose COMMIT's answer was lost = %v, want a failure saying the outcome is unknown", err)
	}
	if v, err := (store.IAM{DB: storetest.OpenTB(t, direct)}).Setting(ctx, "unknown"); err != nil || v != "v" {
		t.Fatalf("the row: %q, %v; the server committed it", v, err)
	}
	if err := db.Tx(ctx, func(ctx context.Context) error { return settings.PutSetting(ctx, "after", "v") }); err != nil {
		t.Fatalf("the next Tx: %v", err)
	}
}

// cutter is a TCP proxy to PostgreSQL that, while armed, forwards a
// client's COMMIT and then cuts the connection before the answer.
type cutter struct {
	addr  string
	armed atomic.Bool
}

func startCutter(t *testing.T, target string) *cutter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutter{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			wg.Go(func() { p.relay(client, server) })
		}
	})
	return p
}

// relay copies both ways until either side closes, or until a COMMIT
// passes while armed: from then on nothing reaches the client, and both
// connections close.
func (p *cutter) relay(client, server net.Conn) {
	var cut atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer client.Close() // the server hung up: so does the client's side
		buf := make([]byte, 32<<10)
		for {
			n, err := server.Read(buf)
			if n > 0 && !cut.Load() {
				client.Write(buf[:n])
			}
			if err != nil || cut.Load() {
				return
			}
		}
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := client.Read(buf)
		if n > 0 {
			if p.armed.Load() && bytes.Contains(bytes.ToLower(buf[:n]), []byte("commit\x00")) {
				cut.Store(true)
				server.Write(buf[:n])
				break
			}
			server.Write(buf[:n])
		}
		if err != nil {
			break
		}
	}
	server.Close()
	client.Close()
	<-done
}
