package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
	"github.com/deploytrail/deploytrail/internal/trail"
)

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
	for _, callers := range []int{1, 32} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			db := storetest.SQLite(b)
			events := store.Events{DB: db}
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
						ev := readEvent(i)
						if err := db.Tx(context.Background(), func(ctx context.Context) error { return events.Record(ctx, ev) }); err != nil {
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
