package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// The ceiling server answers the API workloads' calls with canned,
// well-formed answers and does no other work: no signature check, no
// decoding beyond draining the body, no state. Its figures are what the
// bench's clients and the loopback HTTP stack alone allow on this
// machine, the ceiling any real server's calls a second stay under.

// ceilingCanned is the answer body by X-Amz-Target operation.
var ceilingCanned = map[string]string{
	"CreateApplication": `{"applicationId":"00000000-0000-0000-0000-000000000001"}`,
	"GetApplication": `{"application":{"applicationId":"00000000-0000-0000-0000-000000000001",` +
		`"applicationName":"bench-read","createTime":1.764892800E9,"linkedToGitHub":false,"computePlatform":"Server"}}`,
}

// ceilingConnsPath answers how many TCP connections the server accepted:
// with a pool that keeps every worker's connection idle between calls it
// stays at about the number of workers.
const ceilingConnsPath = "/ceiling/connections"

// maxCeilingBody bounds what the ceiling server reads of a request.
const maxCeilingBody = 1 << 20

// ceilingHandler answers canned calls and the connection count in conns.
func ceilingHandler(conns *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == ceilingConnsPath {
			fmt.Fprint(w, conns.Load())
			return
		}
		io.Copy(io.Discard, io.LimitReader(r.Body, maxCeilingBody))
		target := r.Header.Get("X-Amz-Target")
		body, ok := ceilingCanned[target[strings.LastIndexByte(target, '.')+1:]]
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Requestid", "00000000-0000-0000-0000-000000000000")
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			body = `{"__type":"UnknownOperationException","message":"the ceiling server answers only the bench's calls"}`
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		io.WriteString(w, body)
	})
}

// serveCeiling serves the ceiling server on a free loopback port,
// announces the address on stdout and serves until ctx ends.
func serveCeiling(ctx context.Context, stdout io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var conns atomic.Int64
	hs := &http.Server{Handler: ceilingHandler(&conns), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		}}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	fmt.Fprintf(stdout, "ceiling: serving on http://%s\n", ln.Addr())
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

var ceilingLine = regexp.MustCompile(`^ceiling: serving on (\S+)$`)

// startCeiling runs this program again as the ceiling server, in its own
// process so that its CPU is told apart from the clients'.
func (e *env) startCeiling() (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	c, stdout, err := e.start(exec.Command(self, "-serve-ceiling"), filepath.Join(e.dir, "ceiling.log"))
	if err != nil {
		return nil, err
	}
	return c, c.awaitLine(stdout, ceilingLine)
}

// countingClient opens one connection per request, so that a count's
// own connection is known: exactly one.
var countingClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}

// ceilingConnections asks the ceiling server at url how many connections
// it has accepted.
func ceilingConnections(ctx context.Context, hc *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+ceilingConnsPath, nil)
	if err != nil {
		return 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// callCosts are the CPU figures of one measurement: what the bench's
// clients and the server each spent per successful call, and for the
// ceiling server the connections the clients opened.
type callCosts struct {
	ClientCPUus    *float64 `json:"client_cpu_us_per_call,omitempty"`
	ServerCPUus    *float64 `json:"server_cpu_us_per_call,omitempty"`
	NewConnections *int     `json:"new_connections,omitempty"`
}

// measureCosts runs load against t and adds its CPU costs to the result:
// this process's CPU (the clients: nothing else runs in it during an API
// measurement) and the server process's, each ÷ successful calls.
func measureCosts(ctx context.Context, t *target, load func() *loadResult) *loadResult {
	conns0, connsErr := t.connections(ctx)
	client0, server0 := processCPU(os.Getpid()), t.cpuSeconds()
	r := load()
	client1, server1 := processCPU(os.Getpid()), t.cpuSeconds()
	if r.Requests == 0 {
		return r
	}
	perCall := func(s float64) *float64 { v := round(s * 1e6 / float64(r.Requests)); return &v }
	r.ClientCPUus = perCall(client1 - client0)
	if t.proc != nil {
		r.ServerCPUus = perCall(server1 - server0)
	}
	if conns1, err := t.connections(ctx); connsErr == nil && err == nil {
		n := conns1 - conns0 - 1 // the count's own request's connection
		r.NewConnections = &n
	}
	return r
}

func (t *target) cpuSeconds() float64 {
	if t.proc == nil {
		return 0
	}
	return t.proc.cpuSeconds()
}

// connections is the ceiling server's count of accepted connections; other
// servers do not count them.
func (t *target) connections(ctx context.Context) (int, error) {
	if !t.canned {
		return 0, errors.New("not counted")
	}
	return ceilingConnections(ctx, countingClient, t.url)
}
