package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// reportCPU starts counting this process's CPU time and returns the func
// that reports it per op: on a machine other work shares, the CPU a call
// costs is steadier than its wall time (ns/op). Signing, outside the
// timer, is in it too (a few µs).
func reportCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() { b.ReportMetric(float64((cpu()-start).Microseconds())/float64(b.N), "cpu-µs/op") }
}

// BenchmarkBaselineCall is the request path's cost on one core: the
// baseline server's handler (SigV4 verification, IAM, decoding and
// validation, the CodeDeploy call and its SQL reads, the answer and the
// request log line; no audit, no network) answering signed calls one at a
// time, so cpu-µs/op is the server's CPU per call. Compare two commits with
//
//	go test -run '^$' -bench BaselineCall -benchtime 2000x -count 6 ./cmd/deploytrail-bench/
//
// (-count 6 runs share one database: 2000 CreateApplications a run keep
// within the regions' 1000 applications each.)
func BenchmarkBaselineCall(b *testing.B) {
	ctx := context.Background()
	dir, err := os.MkdirTemp(tmpfsDir(), "deploytrail-reqpath") // as the baseline's
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	srv, db, err := newBaseline(ctx, dir, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	call := func(region, op, body string) *http.Request {
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:1/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "CodeDeploy_20141006."+op)
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: benchKeyID, SecretAccessKey: benchSecret}
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "codedeploy", region, time.Now()); err != nil {
			b.Fatal(err)
		}
		return req
	}
	serve := func(req *http.Request, body string) {
		req.Body = io.NopCloser(strings.NewReader(body))
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", req.Header.Get("X-Amz-Target"), w.Code, w.Body)
		}
	}
	const read = `{"applicationName":"bench-read"}`
	serve(call("us-east-1", "CreateApplication", read), read)

	b.Run("GetApplication", func(b *testing.B) {
		req := call("us-east-1", "GetApplication", read)
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			serve(req, read)
		}
	})
	created := 0 // across the runs of the sub-benchmark: regions fill up
	b.Run("CreateApplication", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			if created >= perRegion*len(regions) {
				b.Fatalf("%d applications: the regions are full; use a smaller -benchtime", created)
			}
			b.StopTimer() // signing is the client's work
			body := fmt.Sprintf(`{"applicationName":"bench-w-%d"}`, created)
			req := call(regions[created/perRegion], "CreateApplication", body)
			b.StartTimer()
			serve(req, body)
			created++
		}
	})
}
