package apptest_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/deploytrail/deploytrail/internal/app"
	"github.com/deploytrail/deploytrail/internal/apptest"
	"github.com/deploytrail/deploytrail/internal/sigv4"
)

const createApplication = "CodeDeploy_20141006.CreateApplication"

// appBody is a CreateApplication body whose name makes it n bytes long.
func appBody(n int) string {
	const frame = `{"applicationName":""}`
	return `{"applicationName":"` + strings.Repeat("a", n-len(frame)) + `"}`
}

// signedJSON signs a CodeDeploy request with c.
func signedJSON(t *testing.T, srv *apptest.Server, c apptest.Creds, target, body string) *http.Request {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	return signWith(t, req, []byte(body), c, "codedeploy")
}

// TestOversizedBodyRefusedUnread: a body announced larger than the
// service takes is refused from its headers, before a byte of it is read:
// the answer comes although the body is never sent.
func TestOversizedBodyRefusedUnread(t *testing.T) {
	srv := apptest.Start(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	fatalIf(t, err)
	defer conn.Close()
	req := signedJSON(t, srv, srv.Root, createApplication, appBody(4<<20))
	head := fmt.Sprintf("POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", req.Host, req.ContentLength)
	for k, v := range req.Header {
		head += k + ": " + v[0] + "\r\n"
	}
	fmt.Fprint(conn, head+"\r\n")
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the body was sent: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "RequestEntityTooLargeException") {
		t.Fatalf("got %d %s, want 413 RequestEntityTooLargeException", resp.StatusCode, body)
	}
}

// TestServiceBodyLimits: each service takes bodies up to its own limit;
// a Query body under the old 4 MiB cap but over IAM's 1 MiB is refused.
func TestServiceBodyLimits(t *testing.T) {
	srv := apptest.Start(t)
	big := "Action=ListUsers&Version=2010-05-08&Pad=" + strings.Repeat("x", 2<<20)
	if res := rawQuery(t, srv, &srv.Root, "iam", big, time.Now()); res.status != 413 || res.code != "RequestEntityTooLarge" {
		t.Fatalf("2 MiB IAM body: got %d %s, want 413 RequestEntityTooLarge", res.status, res.code)
	}
	// A 1,000,000-character policy document fits: the model's own limit
	// (131,072) answers it, as AWS does.
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:List*","Resource":"*","Sid":"` + strings.Repeat("a", 900_000) + `"}]}`
	form := "Action=CreatePolicy&Version=2010-05-08&PolicyName=p&PolicyDocument=" + doc
	if res := rawQuery(t, srv, &srv.Root, "iam", form, time.Now()); res.status != 400 || res.code != "ValidationError" {
		t.Fatalf("large policy: got %d %s, want 400 ValidationError", res.status, res.code)
	}
}

// heapSampler records the peak of the heap in use while it runs.
type heapSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	done chan struct{}
}

func sampleHeap() *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > h.peak.Load() {
				h.peak.Store(ms.HeapInuse)
			}
			select {
			case <-h.stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return h
}

func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	<-h.done
	return h.peak.Load()
}

// TestBodyMemoryAttack is issue 10's attack, bounded: 100 concurrent 1 MB
// CreateApplication bodies (the largest CodeDeploy takes) from a user with
// no permissions. The heap stays bounded by the body budget, no answer
// repeats the name, and another client's call succeeds meanwhile.
func TestBodyMemoryAttack(t *testing.T) {
	srv := apptest.Start(t)
	mallory := newUser(t, srv, "mallory", "")
	// One signed request, sent 100 times: the attack's own memory (the
	// client's, in this process too) stays one body.
	signed := signedJSON(t, srv, mallory, createApplication, appBody(1000_000))
	body, _ := io.ReadAll(signed.Body)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	heap := sampleHeap()
	var wg sync.WaitGroup
	codes := map[string]int{}
	var mu sync.Mutex
	for range 100 {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", signed.URL.String(), bytes.NewReader(body))
			req.Header = signed.Header.Clone()
			res, err := sendRawErr(req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && refusedUnread(err) {
				codes[resetWhileSending]++
				return
			}
			if err != nil {
				t.Errorf("send: %v", err)
				return
			}
			codes[fmt.Sprint(res.status, " ", res.code)]++
			if len(res.body) > 4<<10 {
				t.Errorf("a %d-byte answer repeats the input", len(res.body))
			}
		})
	}
	_, err := srv.STS(srv.Root).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wg.Wait()
	peak := heap.Stop()
	fatalIf(t, err)
	growth := int64(peak) - int64(before.HeapInuse)
	t.Logf("answers %v; heap in use %d MB before, peak %d MB", codes, before.HeapInuse>>20, peak>>20)
	if growth > 100<<20 {
		t.Errorf("heap grew by %d MB under the attack, want at most 100 MB", growth>>20)
	}
	for code := range codes {
		if code != "400 AccessDeniedException" && code != "400 ThrottlingException" && code != resetWhileSending {
			t.Errorf("answer %s, want AccessDeniedException or ThrottlingException", code)
		}
	}
}

// TestErrorsDoNotEchoLargeValues: a long name comes back cut, as AWS
// cuts the values its messages repeat.
func TestErrorsDoNotEchoLargeValues(t *testing.T) {
	srv := apptest.Start(t)
	mallory := newUser(t, srv, "mallory", "")
	name := strings.Repeat("n", 100_000)
	for _, c := range []apptest.Creds{srv.Root, mallory} {
		_, err := srv.CodeDeploy(c).CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String(name)})
		_, msg := apiError(t, err)
		if len(msg) > 1<<10 || !strings.Contains(msg, "...") {
			t.Errorf("message of %d bytes (%.80s…), want the name cut", len(msg), msg)
		}
	}
}

// sendRaw sends a signed request and reads the answer.
func sendRaw(t *testing.T, req *http.Request) rawResult {
	res, err := sendRawErr(req)
	if err != nil {
		t.Errorf("send: %v", err)
	}
	return res
}

func sendRawErr(req *http.Request) (rawResult, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return rawResult{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return rawResult{status: resp.StatusCode, body: string(raw), code: resp.Header.Get("X-Amzn-Errortype")}, nil
}

// resetWhileSending counts the answers of a body refused unread (the
// memory budget spent: Throttling) that the client met as a connection
// reset while still sending: the server stops reading such a body, so
// the reset may come before the answer. The body was refused either way.
const resetWhileSending = "connection reset while sending (refused unread)"

func refusedUnread(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// TestStalledBodies is issue 10's second attack, bounded: 150 connections
// send their headers and 10 bytes of body, then nothing. Half announce
// small bodies, half large ones, of which most find the body memory
// budget spent and are refused unread. The server holds at most its
// connection cap open, ends every stalled connection, and serves another
// client, who waits behind the flood, long before the body timeout
// would free the slots round by round (stalled bodies are shed while all
// connections are taken).
func TestStalledBodies(t *testing.T) {
	const maxConns, stalled, bodyTimeout = 40, 150, 5 * time.Second
	srv := apptest.Start(t, func(c *app.Config) {
		c.MaxConnections, c.BodyTimeout, c.MaxBodyMemory = maxConns, bodyTimeout, 200_000
	})
	fdsBefore := openFiles(t)
	addr := strings.TrimPrefix(srv.URL, "http://")
	var closed atomic.Int64
	var wg sync.WaitGroup
	for i := range stalled {
		conn, err := net.Dial("tcp", addr)
		fatalIf(t, err)
		defer conn.Close()
		size := []int{1000, 100_000}[i%2]
		fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: %s\r\nX-Amz-Target: %s\r\nContent-Length: %d\r\n\r\n0123456789", addr, createApplication, size)
		wg.Go(func() {
			conn.SetReadDeadline(time.Now().Add(30 * time.Second))
			if _, err := io.Copy(io.Discard, conn); err == nil {
				closed.Add(1) // the server answered and hung up
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	// Our side holds `stalled` sockets; the server at most maxConns more.
	if held := openFiles(t) - fdsBefore; held > stalled+maxConns+10 {
		t.Errorf("%d descriptors open for %d stalled connections, want the server to hold at most %d", held, stalled, maxConns)
	}
	start := time.Now()
	_, err := srv.STS(srv.Root).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	fatalIf(t, err)
	took := time.Since(start)
	t.Logf("a normal call took %v under the attack", took)
	if took > bodyTimeout/2 {
		t.Errorf("a normal call took %v, want less than half the body timeout (%v)", took, bodyTimeout)
	}
	wg.Wait()
	if closed.Load() != stalled {
		t.Fatalf("the server closed %d of %d stalled connections, want all", closed.Load(), stalled)
	}
}

// openFiles counts this process's open descriptors (server and clients).
func openFiles(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(entries)
}

func signWith(t *testing.T, req *http.Request, body []byte, c apptest.Creds, service string) *http.Request {
	t.Helper()
	creds := sigv4.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
	if err := sigv4.Sign(req, body, creds, apptest.Region, service, time.Now()); err != nil {
		t.Fatalf("sign: %v", err)
	}
	return req
}

// TestIdleConnectionsGiveWay: clients that hold every connection open,
// idle after a request, give way to a new client at once, not after the
// idle timeout (2 minutes).
func TestIdleConnectionsGiveWay(t *testing.T) {
	const maxConns = 20
	srv := apptest.Start(t, func(c *app.Config) { c.MaxConnections = maxConns })
	addr := strings.TrimPrefix(srv.URL, "http://")
	for range maxConns {
		conn, err := net.Dial("tcp", addr)
		fatalIf(t, err)
		defer conn.Close()
		fmt.Fprintf(conn, "GET /_deploytrail/health HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		fatalIf(t, err)
		io.Copy(io.Discard, resp.Body) // the connection stays open, idle
	}
	start := time.Now()
	_, err := srv.STS(srv.Root).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	fatalIf(t, err)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("a new client waited %v behind idle connections", took)
	}
}
