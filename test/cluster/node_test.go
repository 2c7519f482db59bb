package cluster_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// node is one `deploytrail serve` process: its own data directory and
// port, kept across restarts, so that a restarted node is the same
// address to clients and to the agents' proxy.
type node struct {
	name, dir, addr string
	env             []string
	log             *lockedBuffer // every run's stderr, for failures
	cmd             *exec.Cmd
	exited          chan struct{} // closed once cmd has been waited for
}

// newNode makes a node named name under root, with a free port, that
// runs with env (besides the caller's environment without DEPLOYTRAIL_*).
func newNode(t *testing.T, root, name string, env []string) *node {
	t.Helper()
	return &node{name: name, dir: filepath.Join(root, name), addr: freeAddr(t), env: env, log: &lockedBuffer{}}
}

func (n *node) endpoint() string { return "http://" + n.addr }

// start runs the node and waits until its health check answers 200
// (ready: migrated, bootstrapped, its store reachable). The process is
// killed when the test ends, also when it fails.
func (n *node) start(t *testing.T) {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--listen", n.addr, "--data", n.dir)
	cmd.Env = append(cleanEnv(), n.env...)
	cmd.Stderr = n.log
	cmd.Stdout = n.log // the announcement: paths and the endpoint, never a secret
	fmt.Fprintf(n.log, "--- %s start at %s\n", n.name, time.Now().Format(time.StampMilli))
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", n.name, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	n.cmd, n.exited = cmd, exited
	for deadline := time.Now().Add(60 * time.Second); !n.healthy(); time.Sleep(50 * time.Millisecond) {
		select {
		case <-exited:
			t.Fatalf("%s exited during startup:\n%s", n.name, n.log.tail(4000))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not healthy 60s after start:\n%s", n.name, n.log.tail(4000))
		}
	}
}

var healthClient = &http.Client{Timeout: 2 * time.Second}

// healthy reports whether the node's health check answers 200.
func (n *node) healthy() bool {
	resp, err := healthClient.Get(n.endpoint() + "/_deploytrail/health")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// leases are the singleton leases the node says it holds.
func (n *node) leases() []string {
	resp, err := healthClient.Get(n.endpoint() + "/_deploytrail/health")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var doc struct{ Leases []string }
	json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc)
	return doc.Leases
}

// kill ends the node with SIGKILL, as a lost machine would, and waits
// until it is gone.
func (n *node) kill(t *testing.T) {
	t.Helper()
	n.cmd.Process.Kill()
	select {
	case <-n.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s still running 10s after SIGKILL", n.name)
	}
	fmt.Fprintf(n.log, "--- %s killed at %s\n", n.name, time.Now().Format(time.StampMilli))
}

// stop sends SIGTERM and expects a clean exit: its final delivery pass
// runs then.
func (n *node) stop(t *testing.T) {
	t.Helper()
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
		if !n.cmd.ProcessState.Success() {
			t.Errorf("%s: exit after SIGTERM: %v\n%s", n.name, n.cmd.ProcessState, n.log.tail(4000))
		}
	case <-time.After(40 * time.Second):
		t.Errorf("%s: no exit 40s after SIGTERM", n.name)
	}
}

// cleanEnv is the environment without DEPLOYTRAIL_* variables, so that
// a setting of the caller's (a stray S3 endpoint) cannot change a node.
func cleanEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "DEPLOYTRAIL_") })
}

// freeAddr is a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// problems is the last n lines logged at WARN or ERROR, and the starts
// and kills, for failure messages.
func (l *lockedBuffer) problems(n int) string {
	var lines []string
	for line := range strings.Lines(l.String()) {
		if strings.Contains(line, `"level":"ERROR"`) || strings.Contains(line, `"level":"WARN"`) || strings.HasPrefix(line, "--- ") {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines[max(0, len(lines)-n):], "")
}

// tail is the last n bytes written, for failure messages.
func (l *lockedBuffer) tail(n int) string {
	s := l.String()
	return s[max(0, len(s)-n):]
}
