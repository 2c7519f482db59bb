package delivery_test

import (
	"context"
	"testing"

	"github.com/deploytrail/deploytrail/internal/store"
)

func TestDeliver_Restart(t *testing.T) {
	for _, batch := range []int{1, 2, 1000} {
		e := newEnv(t, nil)
		tr := e.trail("main", nil)
		d := e.deliverer()
		d.BatchEvents = batch
		want := []string{e.record(acct, east, cdSrc, "Op1", false)}
		e.deliver(d) // the cursor is past Op1
		want = append(want, e.record(acct, east, cdSrc, "Op2", false))
		for range 2 { // two stop/start cycles, nothing delivered in between
			e.setLogging(tr, false)
			want = append(want, e.record(acct, east, cloudtrailSrc, "StopLogging", false))
			e.record(acct, east, cdSrc, "WhileStopped", false) // never delivered
			e.record(acct, east, cdSrc, "WhileStopped", false)
			e.setLogging(tr, true)
			want = append(want, e.record(acct, east, cloudtrailSrc, "StartLogging", false),
				e.record(acct, east, cdSrc, "Op3", false))
		}
		e.deliver(d)
		wantOnce(t, e.files(), want...)
		want = append(want, e.record(acct, east, cdSrc, "Op4", false))
		e.deliver(d)
		wantOnce(t, e.files(), want...)
	}
}

func TestDeliver_DeleteTrail(t *testing.T) {
	ctx := context.Background()
	t.Run("Logging", func(t *testing.T) {
		e := newEnv(t, nil)
		tr := e.trail("main", nil)
		d := e.deliverer()
		want := []string{e.record(acct, east, cdSrc, "Op1", false)}
		e.deliver(d)
		want = append(want, e.record(acct, east, cdSrc, "Op2", false))
		if err := (store.CloudTrail{Events: store.Events{DB: e.db}}).DeleteTrail(ctx, tr.ARN); err != nil {
			t.Fatal(err)
		}
		want = append(want, e.record(acct, east, cloudtrailSrc, "DeleteTrail", false)) // its own event
		e.record(acct, east, cdSrc, "AfterDelete", false)                              // never delivered
		e.deliver(d)
		wantOnce(t, e.files(), want...)
		if tgs, err := (store.Delivery{DB: e.db}).Targets(ctx); err != nil || len(tgs) != 0 {
			t.Fatalf("Targets=%d, %v after the final delivery, want none", len(tgs), err)
		}
		tr = e.trail("main", nil) // the same name again starts afresh
		want = append(want, e.record(acct, east, cdSrc, "Op3", false))
		e.deliver(d)
		wantOnce(t, e.files(), want...)
	})

	t.Run("Stopped", func(t *testing.T) {
		e := newEnv(t, nil)
		tr := e.trail("main", nil)
		want := []string{e.record(acct, east, cdSrc, "Op1", false)}
		e.setLogging(tr, false)
		want = append(want, e.record(acct, east, cloudtrailSrc, "StopLogging", false))
		e.record(acct, east, cdSrc, "WhileStopped", false)
		if err := (store.CloudTrail{Events: store.Events{DB: e.db}}).DeleteTrail(ctx, tr.ARN); err != nil {
			t.Fatal(err)
		}
		e.record(acct, east, cloudtrailSrc, "DeleteTrail", false)
		d := e.deliverer()
		e.deliver(d)
		e.deliver(d)
		wantOnce(t, e.files(), want...)
	})
}
