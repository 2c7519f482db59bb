package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/iam"
	"github.com/deploytrail/deploytrail/internal/server"
	"github.com/deploytrail/deploytrail/internal/sigv4"
	"github.com/deploytrail/deploytrail/internal/store"
)

// faulty is a service whose operations fail in the ways a bug would.
func faulty() *awsproto.Service {
	svc := &awsproto.Service{Name: "organizations", Protocol: awsproto.JSON, Model: awsproto.MustLoadModel("organizations"), ValidationCode: "InvalidInputException"}
	awsproto.Handle(svc, "DescribeOrganization", func(context.Context, *struct{}) (*struct{}, error) {
		panic("nil map write in /home/dev/secret/path.go")
	})
	awsproto.Handle(svc, "ListAccounts", func(context.Context, *struct{}) (*struct{}, error) {
		return nil, errors.New("open /var/lib/deploytrail/deploytrail.db: permission denied")
	})
	return svc
}

func startFaulty(t *testing.T) (*httptest.Server, sigv4.Credentials, *bytes.Buffer) {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ids := iam.New(store.IAM{DB: db})
	root, err := ids.Bootstrap(context.Background(), iam.Root{})
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(ids, store.Events{DB: db}, faulty())
	logs := &bytes.Buffer{}
	srv.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return hs, sigv4.Credentials{AccessKeyID: root.AccessKeyID, SecretAccessKey: root.SecretAccessKey}, logs
}

func call(t *testing.T, url string, creds sigv4.Credentials, op string) (*http.Response, map[string]string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128."+op)
	if err := sigv4.Sign(req, []byte("{}"), creds, "us-east-1", "organizations", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body map[string]string
	json.Unmarshal(raw, &body)
	return resp, body
}

func TestInternalFailuresDoNotLeak(t *testing.T) {
	hs, creds, logs := startFaulty(t)
	for _, op := range []string{"DescribeOrganization", "ListAccounts"} {
		t.Run(op, func(t *testing.T) {
			resp, body := call(t, hs.URL, creds, op)
			if resp.StatusCode != 500 || body["__type"] != "InternalFailure" {
				t.Fatalf("got %d %v, want 500 InternalFailure", resp.StatusCode, body)
			}
			if strings.Contains(body["Message"]+body["message"], "/") {
				t.Fatalf("message leaks internals: %v", body)
			}
			id := resp.Header.Get("X-Amzn-Requestid")
			if !strings.Contains(logs.String(), id) {
				t.Fatalf("request %s not in the log", id)
			}
		})
	}
	// The server still serves after a panic.
	if resp, _ := call(t, hs.URL, creds, "ListAccounts"); resp.StatusCode != 500 {
		t.Fatalf("after a panic: %d", resp.StatusCode)
	}
}

func TestHealthBeforeReady(t *testing.T) {
	hs, _, _ := startFaulty(t)
	resp, err := http.Get(hs.URL + server.HealthPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("health before SetReady=%d, want 503", resp.StatusCode)
	}
}

func TestAuthFailuresCountedAndSummarized(t *testing.T) {
	hs, creds, logs := startFaulty(t)
	creds.SecretAccessKey = "wrong-wrong-wrong-wrong-wrong-wrong-wron"
	for range 5 {
		if resp, body := call(t, hs.URL, creds, "ListAccounts"); resp.StatusCode != 403 || body["__type"] != "InvalidSignatureException" {
			t.Fatalf("got %d %v", resp.StatusCode, body)
		}
	}
	resp, err := http.Get(hs.URL + server.HealthPath)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(raw), `"auth_failures":5`) {
		t.Fatalf("health=%s, want 5 failures counted", raw)
	}
	if n := strings.Count(logs.String(), "requests failed authentication"); n != 1 {
		t.Fatalf("%d summary lines for 5 failures within the interval, want 1", n)
	}
	if strings.Contains(logs.String(), creds.SecretAccessKey) || strings.Contains(logs.String(), creds.AccessKeyID) {
		t.Fatalf("credentials in the log")
	}
}
