package delivery_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/delivery"
)

// TestTrails_Lag: a trail's lag is the age of its oldest event still to
// deliver, 0 when it is up to date, and events it skips (recorded while it
// was stopped) never count.
func TestTrails_Lag(t *testing.T) {
	e := newEnv(t, nil)
	tr := e.trail("main", nil)
	d := e.deliverer()
	lag := func() delivery.TrailState {
		t.Helper()
		states, err := d.Trails(context.Background())
		if err != nil {
			t.Fatalf("Trails: %v", err)
		}
		if len(states) != 1 || states[0].ARN != tr.ARN {
			t.Fatalf("Trails=%+v, want %s only", states, tr.ARN)
		}
		return states[0]
	}
	if st := lag(); st.Lag != 0 || !st.Logging || !st.LatestDelivery.IsZero() {
		t.Fatalf("new trail: %+v, want logging, no lag, no delivery", st)
	}
	e.record(acct, east, cdSrc, "CreateApplication", false) // eventTime: testDay
	day, _ := time.Parse(time.RFC3339, testDay)
	e.now = day.Add(10 * time.Second)
	if st := lag(); st.Lag != 10*time.Second {
		t.Fatalf("one event pending: lag %v, want 10s", st.Lag)
	}
	e.deliver(d)
	if st := lag(); st.Lag != 0 || !st.LatestDelivery.Equal(e.now) {
		t.Fatalf("delivered: %+v, want no lag and the delivery at %v", st, e.now)
	}
	e.setLogging(tr, false)
	e.record(acct, east, cloudtrailSrc, "StopLogging", false) // StopLogging's own event: still owed
	e.record(acct, east, cdSrc, "DeleteApplication", false)   // while stopped: skipped
	e.setLogging(tr, true)
	e.now = day.Add(time.Hour)
	if st := lag(); st.Lag != time.Hour {
		t.Fatalf("StopLogging's event owed: lag %v, want 1h", st.Lag)
	}
	e.deliver(d)
	if st := lag(); st.Lag != 0 {
		t.Fatalf("owed event delivered, the rest skipped: lag %v, want 0", st.Lag)
	}
}

// TestDeliver_Reports: each delivery is logged at info level with its
// trail, files, events, bytes and lag, and reported to OnDelivery.
func TestDeliver_Reports(t *testing.T) {
	e := newEnv(t, nil)
	tr := e.trail("main", nil)
	e.record(acct, east, cdSrc, "CreateApplication", false)
	e.record(acct, east, cdSrc, "CreateDeploymentGroup", false)
	var logs strings.Builder
	d := e.deliverer()
	d.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	var reports []delivery.DeliveryReport
	d.OnDelivery = func(r delivery.DeliveryReport) { reports = append(reports, r) }
	e.deliver(d)
	files := e.files()
	var size int64
	for _, f := range files {
		size += f.Info.Size
	}
	if len(reports) != 1 || reports[0].Trail != tr.ARN || reports[0].Files != len(files) || reports[0].Events != 2 ||
		reports[0].Bytes != size || reports[0].Lag <= 0 {
		t.Fatalf("reports %+v, want one for %s with %d files, 2 events, %d bytes and a lag", reports, tr.ARN, len(files), size)
	}
	if !strings.Contains(logs.String(), "level=INFO msg=delivered trail="+tr.ARN+" files=1 events=2 bytes=") {
		t.Errorf("log %q, want an info line for the delivery", logs.String())
	}
}
