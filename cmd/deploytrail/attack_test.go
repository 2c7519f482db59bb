package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/sigv4"
)

// rootKey reads the root key the first start wrote to the credentials file.
func (p *process) rootKey(t *testing.T) sigv4.Credentials {
	t.Helper()
	path := strings.TrimPrefix(p.env[1], "AWS_SHARED_CREDENTIALS_FILE=")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	id := regexp.MustCompile(`aws_access_key_id = (\S+)`).FindSubmatch(raw)
	secret := regexp.MustCompile(`aws_secret_access_key = (\S+)`).FindSubmatch(raw)
	if id == nil || secret == nil {
		t.Fatal("no key in the credentials file")
	}
	return sigv4.Credentials{AccessKeyID: string(id[1]), SecretAccessKey: string(secret[1])}
}

// peakRSS is the process's resident set high-water mark, in bytes.
func (p *process) peakRSS(t *testing.T) int64 {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(raw)
	if m == nil {
		t.Skip("no VmHWM in /proc/<pid>/status")
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb << 10
}

// signedPost signs one request; send sends it as often as wanted.
func (p *process) signedPost(t *testing.T, creds sigv4.Credentials, service, target string, body []byte) *http.Request {
	t.Helper()
	req, _ := http.NewRequest("POST", p.endpoint+"/", bytes.NewReader(body))
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	} else {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if err := sigv4.Sign(req, body, creds, "us-east-1", service, time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

func send(t *testing.T, signed *http.Request, body []byte) (int, []byte) {
	status, raw, err := post(signed, body)
	if err != nil {
		t.Errorf("send: %v", err)
	}
	return status, raw
}

// post sends body with signed's URL and headers.
func post(signed *http.Request, body []byte) (int, []byte, error) {
	req, _ := http.NewRequest("POST", signed.URL.String(), bytes.NewReader(body))
	req.Header = signed.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, nil
}

// refusedUnread reports whether a client met a connection reset (or a
// broken pipe) while it was still sending: the server answers an
// oversized body with 413 before reading it and stops reading, so a
// client that has not finished sending may see the reset rather than
// the answer. Either way the body was refused.
func refusedUnread(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// codeDeployBodyLimit is CodeDeploy's body limit (internal/server/limits.go).
const codeDeployBodyLimit = 1 << 20

// TestMemoryAttackRSS is issue 10's memory attack on the real binary,
// bounded: 40 concurrent 4 MB CreateApplication bodies, then 60 of 1 MB
// (the largest CodeDeploy takes). The server's resident set stays under
// 200 MB, no answer repeats the input, and a normal call succeeds
// meanwhile.
func TestMemoryAttackRSS(t *testing.T) {
	p := startBinary(t, t.TempDir())
	root := p.rootKey(t)
	identity := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	normal := p.signedPost(t, root, "sts", "", identity)
	for _, attack := range []struct{ n, size int }{{40, 4 << 20}, {60, 1_000_000}} {
		body := []byte(`{"applicationName":"` + strings.Repeat("a", attack.size-23) + `"}`)
		signed := p.signedPost(t, root, "codedeploy", "CodeDeploy_20141006.CreateApplication", body)
		var wg sync.WaitGroup
		for range attack.n {
			wg.Go(func() {
				status, raw, err := post(signed, body)
				switch {
				case err != nil && attack.size > codeDeployBodyLimit && refusedUnread(err):
				case err != nil:
					t.Errorf("attack: %v", err)
				case status < 400 || status >= 500 || len(raw) > 4<<10:
					t.Errorf("attack answered %d with %d bytes", status, len(raw))
				}
			})
		}
		if status, raw := send(t, normal, identity); status != http.StatusOK {
			t.Errorf("a normal call during the attack: %d %s", status, raw)
		}
		wg.Wait()
	}
	rss := p.peakRSS(t)
	t.Logf("peak RSS %d MB", rss>>20)
	if rss > 200<<20 {
		t.Fatalf("peak RSS %d MB under the attack, want under 200 MB", rss>>20)
	}
}
