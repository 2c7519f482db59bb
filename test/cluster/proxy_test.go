package cluster_test

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// proxy is the agents' load balancer: `deploytrail agent` takes one
// endpoint, so each agent talks to this TCP proxy, which hands every new
// connection to the next node that accepts it, round-robin. A connection
// to a node that dies breaks, as behind any load balancer; the agent's
// next call reaches a live node.
type proxy struct {
	ln    net.Listener
	nodes []*node
	next  atomic.Uint64
	conns sync.WaitGroup
}

// startProxy listens on loopback until the test ends.
func startProxy(t *testing.T, nodes []*node) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, nodes: nodes}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.conns.Wait() })
	return p
}

func (p *proxy) endpoint() string { return "http://" + p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.conns.Go(func() { p.relay(c) })
	}
}

// relay connects c to the first node, in round-robin order, that
// accepts, and copies both ways until either side closes.
func (p *proxy) relay(c net.Conn) {
	defer c.Close()
	var up net.Conn
	for range p.nodes {
		n := p.nodes[p.next.Add(1)%uint64(len(p.nodes))]
		var err error
		if up, err = net.DialTimeout("tcp", n.addr, time.Second); err == nil {
			break
		}
	}
	if up == nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
}
