package delivery_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/delivery"
	"github.com/deploytrail/deploytrail/internal/objstore/fs"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// backlogEvents is the backlog BenchmarkDeliver_Backlog delivers: five of
// the Deliverer's default batches.
const backlogEvents = 5 * delivery.DefaultBatchEvents

// BenchmarkDeliver_Backlog times one Deliver pass over a backlog of
// management events shaped like the server's (about 800 bytes of JSON
// each, two regions) into sealed log files on the directory backend, as
// the bench's throughput workload does, rewinding the trail's cursor
// between passes. MB/s is of the records' JSON; it also reports CPU
// seconds per pass (the whole process: store, compression, puts) and the
// log files' size over the JSON's.
func BenchmarkDeliver_Backlog(b *testing.B) {
	buckets, err := fs.Open(filepath.Join(b.TempDir(), "buckets"))
	if err != nil {
		b.Fatal(err)
	}
	e := newEnv(b, buckets)
	e.trail("backlog", nil)
	start := e.newestSeq()
	jsonBytes := e.recordBacklog(backlogEvents)
	d := e.deliverer()
	d.Logger = slog.New(slog.DiscardHandler)
	var written int64
	d.OnDelivery = func(r delivery.DeliveryReport) { written += r.Bytes }
	b.SetBytes(jsonBytes)
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		e.rewind(start)
		b.StartTimer()
		e.deliver(d)
	}
	b.StopTimer()
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(written)/float64(jsonBytes*int64(b.N)), "gzip/json")
	b.ReportMetric(float64(backlogEvents*b.N)/b.Elapsed().Seconds(), "events/s")
}

// recordBacklog stores n generated events in transactions of 10,000 and
// returns the size of their records.
func (e *env) recordBacklog(n int) int64 {
	e.tb.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	var size int64
	events := store.Events{DB: e.db}
	for first := 0; first < n; first += 10000 {
		err := e.db.Tx(context.Background(), func(ctx context.Context) error {
			for i := first; i < min(n, first+10000); i++ {
				ev := backlogEvent(r, i, e.now)
				rec, err := ev.JSON()
				if err != nil {
					return err
				}
				size += int64(len(rec)) + 1
				if err := events.Record(ctx, ev); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			e.tb.Fatalf("record backlog: %v", err)
		}
	}
	return size
}

// backlogEvent is the i-th event of a backlog: an IAM user's CodeDeploy
// call, a third of them in west.
func backlogEvent(r *rand.Rand, i int, at time.Time) *trail.Event {
	user, region, readOnly, mgmt := fmt.Sprintf("user-%d", r.IntN(50)), east, i%4 != 0, true
	if r.IntN(3) == 0 {
		region = west
	}
	return &trail.Event{EventVersion: trail.EventVersion, EventID: trail.NewEventID(), RequestID: trail.NewEventID(),
		RecipientAccountID: acct, AWSRegion: region, EventTime: at.Add(time.Duration(i) * time.Second).UTC().Format(time.RFC3339),
		EventSource: cdSrc, EventName: "GetApplication", ReadOnly: &readOnly, ManagementEvent: &mgmt,
		SourceIPAddress: "127.0.0.1", UserAgent: "aws-sdk-go-v2/1.48.0 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64",
		RequestParameters: map[string]any{"applicationName": fmt.Sprintf("app-%d", r.IntN(20)),
			"deploymentId": fmt.Sprintf("d-%09d", r.IntN(1e9)), "revision": map[string]any{"s3Location": map[string]any{
				"bucket": "artifacts", "key": fmt.Sprintf("v%d.zip", r.IntN(1e6)), "eTag": fmt.Sprintf("%016x", r.Uint64())}}},
		UserIdentity: &trail.UserIdentity{Type: "IAMUser", UserName: user, AccessKeyID: "AKIA" + user, AccountID: acct,
			PrincipalID: "AIDA" + user, ARN: "arn:aws:iam::" + acct + ":user/" + user},
		EventType: trail.EventTypeAPICall, EventCategory: trail.CategoryManagement,
		TLSDetails: &trail.TLSDetails{ClientProvidedHostHeader: "127.0.0.1:4590"}}
}

// newestSeq is the seq of the newest stored event.
func (e *env) newestSeq() int64 {
	e.tb.Helper()
	seq, err := store.Delivery{DB: e.db}.Newest(context.Background())
	if err != nil {
		e.tb.Fatal(err)
	}
	return seq
}

// rewind moves every trail's cursor back to seq, so that the next pass
// delivers the same events again (into new keys). The store has no such
// operation, so it is done in SQL on the database file.
func (e *env) rewind(seq int64) {
	e.tb.Helper()
	db, err := sql.Open("sqlite", "file:"+e.dbPath+"?_pragma=busy_timeout(10000)")
	if err != nil {
		e.tb.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE trail_delivery SET cursor = ?, intent = NULL`, seq); err != nil {
		e.tb.Fatalf("rewind: %v", err)
	}
}

// cpuSeconds is the CPU time this process has used, user and system.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
