package app

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// DefaultMaxConnections caps open client connections, so that a flood of
// connections makes new clients wait for a free slot instead of
// exhausting file descriptors (accept: too many open files) and failing
// everything else. It is lowered to half the process's descriptor limit
// where that is smaller (defaultMaxConnections).
const DefaultMaxConnections = 4096

// defaultMaxConnections is DefaultMaxConnections, or half the descriptor
// limit if that is less: the other half is for the database, bucket
// files and the server's own outgoing connections (S3, SNS subscribers).
func defaultMaxConnections() int {
	if n := fileLimit() / 2; n > 0 && n < DefaultMaxConnections {
		return max(n, 16)
	}
	return DefaultMaxConnections
}

// limitListener accepts at most max connections at a time: Accept waits
// for one to close. Stalled connections are freed by the server's
// timeouts (headers, bodies, idle) and, while all slots are taken, by
// shedding idle connections and bodies that have stalled for
// stalledAfter, so that a flood costs a waiting client a few rounds of
// stalledAfter, not of the body or idle timeout.
type limitListener struct {
	net.Listener
	slots chan struct{}
	done  chan struct{}
	// full is called every shedInterval while Accept waits for a slot,
	// to free slots held by stalled clients.
	full      func()
	closeOnce sync.Once
}

// shedInterval is how often a full listener asks for slots to be freed.
const shedInterval = 100 * time.Millisecond

func newLimitListener(ln net.Listener, max int, full func()) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, max), done: make(chan struct{}), full: full}
}

// Accept waits for a free slot, then for a connection.
func (l *limitListener) Accept() (net.Conn, error) {
	if err := l.waitSlot(); err != nil {
		return nil, err
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, free: func() { <-l.slots }}, nil
}

// waitSlot takes a slot, asking for slots to be freed while there is none.
func (l *limitListener) waitSlot() error {
	select {
	case l.slots <- struct{}{}:
		return nil
	default:
	}
	tick := time.NewTicker(shedInterval)
	defer tick.Stop()
	for {
		l.full()
		select {
		case l.slots <- struct{}{}:
			return nil
		case <-l.done:
			return net.ErrClosed
		case <-tick.C:
		}
	}
}

// Close stops Accept, also while it waits for a slot.
func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitConn gives its slot back when it is closed, once.
type limitConn struct {
	net.Conn
	once sync.Once
	free func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.free)
	return err
}

// stalledAfter is how long a body read may last before a full listener
// sheds it: far longer than a small body takes on any working network.
const stalledAfter = 500 * time.Millisecond

// limit caps ln's open connections at MaxConnections. While all are
// taken, hs sheds idle keep-alive connections and bodies stalled for
// stalledAfter.
func (a *App) limit(ln net.Listener, hs *http.Server) net.Listener {
	n := a.MaxConnections
	if n <= 0 {
		n = defaultMaxConnections()
	}
	return newLimitListener(ln, n, func() {
		a.Server.ShedStalledBodies(stalledAfter)
		// Turning keep-alives off closes the idle connections; clients
		// reconnect when they need to.
		hs.SetKeepAlivesEnabled(false)
		hs.SetKeepAlivesEnabled(true)
	})
}
