package app

import (
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// TestLimitListener: a full listener waits for a slot, asks for slots to
// be freed meanwhile, gives the slot of a closed connection to the next
// one, and stops waiting when closed.
func TestLimitListener(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var asked atomic.Int64
	ln := newLimitListener(inner, 1, func() { asked.Add(1) })
	for range 2 {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	first, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Close()
		}
		accepted <- err
	}()
	select {
	case <-accepted:
		t.Fatal("a second connection was accepted while the only slot was taken")
	case <-time.After(3 * shedInterval):
	}
	if asked.Load() == 0 {
		t.Fatal("the full listener did not ask for slots to be freed")
	}
	first.Close()
	first.Close() // a second Close must not free a second slot
	if err := <-accepted; err != nil {
		t.Fatalf("Accept after a slot was freed: %v", err)
	}
	go func() { _, err := ln.Accept(); accepted <- err }()
	time.Sleep(shedInterval)
	ln.Close()
	if err := <-accepted; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept on a closed full listener: %v, want net.ErrClosed", err)
	}
}
