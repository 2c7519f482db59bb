package apptest_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"

	_ "modernc.org/sqlite" // to hold the database's lock from outside

	"github.com/deploytrail/deploytrail/internal/apptest"
	"github.com/deploytrail/deploytrail/internal/store"
)

// health GETs the health check: its status code and fields.
func health(tb testing.TB, srv *apptest.Server) (int, map[string]any) {
	tb.Helper()
	resp, err := http.Get(srv.URL + "/_deploytrail/health")
	fatalIf(tb, err)
	defer resp.Body.Close()
	var body map[string]any
	fatalIf(tb, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

func TestHealthFields(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.WithDeliveryInterval(time.Second))
	createBucket(t, srv, trailBucket)
	ct := srv.CloudTrail(srv.Root)
	arn := aws.ToString(createTrail(t, ct, "main", false).TrailARN)
	createTrail(t, ct, "stopped", false)
	noErr(t)(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")}))

	status, body := health(t, srv)
	if status != http.StatusOK || body["status"] != "ok" || body["store"] != "ok" {
		t.Fatalf("health %d %v, want 200, status and store ok", status, body)
	}
	if v, _ := body["version"].(string); v == "" {
		t.Errorf("health version=%v, want the build's version", body["version"])
	}
	if up, ok := body["uptime_seconds"].(float64); !ok || up < 0 {
		t.Errorf("health uptime_seconds=%v, want a number of seconds", body["uptime_seconds"])
	}
	if node, _ := body["node"].(string); node == "" {
		t.Errorf("health node=%v, want this node's lease holder name", body["node"])
	}
	// Alone on its database, the node runs every singleton worker.
	leases, _ := body["leases"].([]any)
	if got := fmt.Sprint(leases); got != "[console-session-sweep delivery deployment-engine lifecycle sns-dispatcher sts-session-sweep]" {
		t.Errorf("health leases=%s, want every singleton", got)
	}
	trails, _ := body["trails"].([]any)
	if len(trails) != 1 {
		t.Fatalf("health trails=%v, want the logging trail only", body["trails"])
	}
	tr := trails[0].(map[string]any)
	if lag, ok := tr["delivery_lag_seconds"].(float64); tr["trail"] != arn || !ok || lag < 0 || lag > 60 {
		t.Errorf("health trail %v, want %s with its delivery lag", tr, arn)
	}
}

// TestHealthStoreCannotCommit makes the database's writes fail as on a
// full disk: the file size limit (RLIMIT_FSIZE) makes every write past
// the first byte of any file fail with EFBIG, the same failed write(2)
// that ENOSPC is to SQLite. It changes a limit of the whole test process,
// so it is not parallel (parallel tests wait until it ends).
func TestHealthStoreCannotCommit(t *testing.T) {
	if f := flag.Lookup("test.testlogfile"); f != nil && f.Value.String() != "" {
		// go test writes its cache log from this process: the limit would
		// fail those writes too, and with them the package.
		t.Skip("skipped: go test is caching this run (its log file would hit the file size limit); run with -count=1, as make test does")
	}
	srv := apptest.Start(t)
	if srv.OnPostgres() {
		t.Skip("the file size limit fails SQLite's commits only; PostgreSQL's server writes its own files")
	}
	cd := srv.CodeDeploy(srv.Root)
	noErr(t)(cd.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("before")}))
	if status, body := health(t, srv); status != http.StatusOK {
		t.Fatalf("health before %d %v, want 200", status, body)
	}

	var limit syscall.Rlimit
	fatalIf(t, syscall.Getrlimit(syscall.RLIMIT_FSIZE, &limit))
	full := limit
	full.Cur = 1
	fatalIf(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &full))
	restored := false
	restore := func() {
		if !restored {
			restored = true
			fatalIf(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limit))
		}
	}
	defer restore()

	for _, name := range []string{"during1", "during2", "during3"} {
		_, err := cd.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String(name)})
		wantCode(t, err, "InternalFailure")
	}
	for range 2 {
		status, body := health(t, srv)
		if status != http.StatusServiceUnavailable || body["status"] != "failing" || body["store"] != "cannot commit" {
			t.Errorf("health on a full disk %d %v, want 503, failing, store cannot commit", status, body)
		}
		time.Sleep(1100 * time.Millisecond) // past the health answer's reuse
	}
	restore()

	if n := len(logLines(t, srv.Logs(), "the store cannot commit: every call fails with InternalFailure until it can")); n != 1 {
		t.Errorf("%d log lines saying the store cannot commit, want 1", n)
	}
	var status int
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if status, _ = health(t, srv); status == http.StatusOK {
			break
		}
	}
	if status != http.StatusOK {
		t.Fatalf("health after the disk has room again: %d, want 200", status)
	}
	if !strings.Contains(srv.Logs(), `"msg":"the store commits again"`) {
		t.Errorf("no log line saying the store commits again")
	}
	noErr(t)(cd.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("after")}))
	list, err := cd.ListApplications(ctx, &codedeploy.ListApplicationsInput{})
	fatalIf(t, err)
	if got := strings.Join(list.Applications, ","); got != "after,before" {
		t.Errorf("applications %s, want after,before: the failed calls changed nothing", got)
	}
}

// TestHealthStoreHangs holds the database's write lock from outside, as a
// stuck or unreachable database would: the health check turns 503 within
// its bound instead of hanging, a flood of checks shares one probe and
// answers at once, and the check turns 200 again once the store commits.
func TestHealthStoreHangs(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t)
	if status, body := health(t, srv); status != http.StatusOK {
		t.Fatalf("health before %d %v, want 200", status, body)
	}
	// Another client holds the lock every commit waits for: SQLite's
	// database, or the advisory lock of PostgreSQL's commit batches.
	lock, err := srv.SQL(t).Conn(ctx)
	fatalIf(t, err)
	defer lock.Close()
	if srv.OnPostgres() {
		_, err = lock.ExecContext(ctx, "BEGIN")
		if err == nil {
			_, err = lock.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(store.BatchLockKey))
		}
	} else {
		_, err = lock.ExecContext(ctx, "BEGIN EXCLUSIVE")
	}
	fatalIf(t, err)
	locked := true
	unlock := func() {
		if locked {
			locked = false
			_, err := lock.ExecContext(ctx, "ROLLBACK")
			fatalIf(t, err)
		}
	}
	defer unlock()

	time.Sleep(5100 * time.Millisecond) // past the latest commit's word on the store
	start := time.Now()
	status, body := health(t, srv)
	if took := time.Since(start); status != http.StatusServiceUnavailable || body["store"] != "cannot commit" || took > 3*time.Second {
		t.Fatalf("health while the store hangs: %d %v after %v, want 503, store cannot commit, within 3 s", status, body, took)
	}
	start = time.Now()
	var wg sync.WaitGroup
	var failing atomic.Int32
	for range 50 {
		wg.Go(func() {
			if status, _ := health(t, srv); status == http.StatusServiceUnavailable {
				failing.Add(1)
			}
		})
	}
	wg.Wait()
	if took := time.Since(start); failing.Load() != 50 || took > 2*time.Second {
		t.Errorf("a flood of 50 health checks: %d said 503 within %v, want all at once (the probe's answer kept)", failing.Load(), took)
	}

	unlock()
	var recovered bool
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && !recovered; time.Sleep(250 * time.Millisecond) {
		status, _ = health(t, srv)
		recovered = status == http.StatusOK
	}
	if !recovered {
		t.Fatalf("health after the store answers again: %d, want 200", status)
	}
	if n := len(logLines(t, srv.Logs(), "the store cannot commit: every call fails with InternalFailure until it can")); n != 1 {
		t.Errorf("%d log lines saying the store cannot commit, want 1", n)
	}
}
