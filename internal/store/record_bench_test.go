package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/codedeploy"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// BenchmarkRecordCreateApplication is BenchmarkRecordRead for a call that
// changes state: each Tx is CreateApplication's (count the scope's
// applications, insert one) and its event, as the audited server commits
// them together.
//
//	go test -run '^$' -bench RecordCreateApplication -count 6 ./internal/store/
func BenchmarkRecordCreateApplication(b *testing.B) {
	benchRecord(b, func(db *store.DB) func(i int64) error {
		events, apps := store.Events{DB: db}, store.CodeDeploy{DB: db}
		return func(i int64) error {
			ev := readEvent(i)
			name := fmt.Sprintf("bench-app-%d", i)
			ev.EventName, ev.ReadOnly = "CreateApplication", new(bool)
			ev.RequestParameters = map[string]any{"applicationName": name, "computePlatform": "Server"}
			ev.ResponseElements = map[string]any{"applicationId": fmt.Sprintf("3d1c2a0e-0000-4000-8000-%012d", i)}
			app := &codedeploy.Application{Scope: codedeploy.Scope{Account: ev.RecipientAccountID, Region: ev.AWSRegion},
				Info: codedeploy.ApplicationInfo{ApplicationID: ev.ResponseElements["applicationId"].(string), ApplicationName: name,
					CreateTime: time.Unix(1_764_000_000+i, 0).UTC(), ComputePlatform: "Server"}}
			return db.Tx(context.Background(), func(ctx context.Context) error {
				if _, err := apps.CountApplications(ctx, app.Scope); err != nil {
					return err
				}
				if err := apps.InsertApplication(ctx, app); err != nil {
					return err
				}
				return events.Record(ctx, ev)
			})
		}
	})
}

// BenchmarkRecordRead measures what auditing adds to a read: callers
// concurrent goroutines each committing the event of one GetApplication
// call per Tx through the group committer, on a SQLite file, as the
// server does after an audited read. Besides ns/op it reports the
// process's CPU time per event (user + system, from getrusage), the
// figure that bounds throughput on a busy machine; the callers do almost
// nothing else, so it is the committer's work per event; and the events
// each group commit carried.
//
//	go test -run '^$' -bench RecordRead -count 6 ./internal/store/
func BenchmarkRecordRead(b *testing.B) {
	benchRecord(b, func(db *store.DB) func(i int64) error {
		events := store.Events{DB: db}
		return func(i int64) error {
			ev := readEvent(i)
			return db.Tx(context.Background(), func(ctx context.Context) error { return events.Record(ctx, ev) })
		}
	})
}

// benchRecord runs b.N calls of the unit newUnit makes, from 1 and from 32
// concurrent callers, on a SQLite file, and reports the CPU time and the
// group commits they took.
func benchRecord(b *testing.B, newUnit func(db *store.DB) func(i int64) error) {
	for _, callers := range []int{1, 32} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			db := storetest.SQLite(b)
			unit := newUnit(db)
			var commits atomic.Int64
			db.ObserveCommits(func(store.CommitReport) { commits.Add(1) })
			var next atomic.Int64
			var wg sync.WaitGroup
			cpu := cpuTime(b)
			b.ResetTimer()
			for range callers {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						if err := unit(i); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64((cpuTime(b)-cpu).Microseconds())/float64(b.N), "cpu-µs/event")
			b.ReportMetric(float64(b.N)/float64(commits.Load()), "events/commit")
		})
	}
}

// readEvent is the event of an audited GetApplication, as the server
// builds it.
func readEvent(i int64) *trail.Event {
	readOnly, management := true, true
	return &trail.Event{
		EventVersion: trail.EventVersion,
		UserIdentity: &trail.UserIdentity{Type: "IAMUser", PrincipalID: "AIDAEXAMPLEBENCH", ARN: "arn:aws:iam::111122223333:user/bench",
			AccountID: "111122223333", AccessKeyID: "AKIAEXAMPLEBENCH", UserName: "bench"},
		EventTime:   time.Unix(1_764_000_000+i, 0).UTC().Format(time.RFC3339),
		EventSource: "codedeploy.amazonaws.com", EventName: "GetApplication", AWSRegion: "us-east-1",
		SourceIPAddress: "127.0.0.1", UserAgent: "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.26 api/codedeploy#1.28.0",
		RequestParameters: map[string]any{"applicationName": fmt.Sprintf("bench-app-%d", i%50)},
		RequestID:         fmt.Sprintf("6f1c2a0e-0000-4000-8000-%012d", i), EventID: fmt.Sprintf("0b7e9d3c-0000-4000-8000-%012d", i),
		ReadOnly: &readOnly, EventType: trail.EventTypeAPICall, ManagementEvent: &management,
		RecipientAccountID: "111122223333", EventCategory: trail.CategoryManagement,
		TLSDetails: &trail.TLSDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ClientProvidedHostHeader: "127.0.0.1"},
	}
}

// cpuTime is the process's CPU time so far, user and system.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
