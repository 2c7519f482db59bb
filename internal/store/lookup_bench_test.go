package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// benchEvents is the history BenchmarkLookupEvents searches.
const benchEvents = 200_000

// benchCall is one kind of call of the generated history.
type benchCall struct {
	source, name string
	readOnly     bool
	params       func(r *rand.Rand, i int) map[string]any
}

var benchCalls = []benchCall{
	{"codedeploy.amazonaws.com", "CreateDeployment", false, func(r *rand.Rand, i int) map[string]any {
		return map[string]any{"applicationName": fmt.Sprintf("app-%d", r.IntN(20)), "deploymentGroupName": "prod",
			"deploymentConfigName": "CodeDeployDefault.OneAtATime"}
	}},
	{"codedeploy.amazonaws.com", "GetDeployment", true, func(r *rand.Rand, i int) map[string]any {
		return map[string]any{"deploymentId": fmt.Sprintf("d-%09d", r.IntN(benchEvents/100))}
	}},
	{"codedeploy.amazonaws.com", "GetApplication", true, func(r *rand.Rand, i int) map[string]any {
		return map[string]any{"applicationName": fmt.Sprintf("app-%d", r.IntN(20))}
	}},
	{"codedeploy.amazonaws.com", "ListApplications", true, func(*rand.Rand, int) map[string]any { return nil }},
	{"codedeploy.amazonaws.com", "BatchGetOnPremisesInstances", true, func(r *rand.Rand, i int) map[string]any {
		return map[string]any{"instanceNames": []any{fmt.Sprintf("web-%d", r.IntN(200)), fmt.Sprintf("web-%d", r.IntN(200))}}
	}},
	{"iam.amazonaws.com", "GetUser", true, func(r *rand.Rand, i int) map[string]any {
		return map[string]any{"userName": fmt.Sprintf("user-%d", r.IntN(50))}
	}},
	{"iam.amazonaws.com", "CreateUser", false, func(r *rand.Rand, i int) map[string]any {
		return map[string]any{"userName": fmt.Sprintf("new-%d", i)}
	}},
	{"iam.amazonaws.com", "ListUsers", true, func(*rand.Rand, int) map[string]any { return nil }},
}

// benchHistory records benchEvents events over the last 60 days in two
// accounts (90 % in the first) and two regions, in one transaction.
func benchHistory(b *testing.B, db *store.DB) {
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Now().Add(-60 * 24 * time.Hour)
	step := 60 * 24 * time.Hour / benchEvents
	err := db.Tx(context.Background(), func(ctx context.Context) error {
		for i := range benchEvents {
			c := benchCalls[r.IntN(len(benchCalls))]
			account, region := "111122223333", "us-east-1"
			if r.IntN(10) == 0 {
				account = "444455556666"
			}
			if c.source != "iam.amazonaws.com" && r.IntN(3) == 0 {
				region = "us-west-2"
			}
			ev := testEvent(fmt.Sprintf("ev-%d", i), account, region, c.source, c.name, fmt.Sprintf("user-%d", r.IntN(50)), 0, c.readOnly, c.params(r, i))
			ev.EventTime = start.Add(time.Duration(i) * step).UTC().Format(time.RFC3339)
			if err := (store.Events{DB: db}).Record(ctx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkLookupEvents measures the first page (50 events) of a lookup by
// each attribute in a history of benchEvents events, as LookupEvents asks
// for it (one more than a page).
func BenchmarkLookupEvents(b *testing.B) {
	db := storetest.SQLite(b)
	t0 := time.Now()
	benchHistory(b, db)
	b.Logf("recorded %d events in %v", benchEvents, time.Since(t0).Round(time.Millisecond))
	s := store.Events{DB: db}
	for _, bb := range []struct {
		name, key, value string
	}{
		{"None", "", ""},
		{"EventId", cloudtrail.AttrEventID, "ev-123456"},
		{"EventName", cloudtrail.AttrEventName, "CreateDeployment"},
		{"EventNameRare", cloudtrail.AttrEventName, "DeleteApplication"},
		{"ReadOnly", cloudtrail.AttrReadOnly, "false"},
		{"Username", cloudtrail.AttrUsername, "user-7"},
		{"EventSource", cloudtrail.AttrEventSource, "iam.amazonaws.com"},
		{"AccessKeyId", cloudtrail.AttrAccessKeyID, "AKIAuser-7"},
		{"ResourceType", cloudtrail.AttrResourceType, trail.TypeApplication},
		{"ResourceName", cloudtrail.AttrResourceName, "app-3"},
		{"ResourceTypeNone", cloudtrail.AttrResourceType, trail.TypeIAMGroup},
		{"ResourceNameRare", cloudtrail.AttrResourceName, "d-000000042"},
	} {
		q := cloudtrail.Query{Account: "111122223333", Region: "us-east-1", Start: time.Now().Add(-cloudtrail.DefaultRetention), Limit: 51}
		if bb.key != "" {
			q.Attributes = []cloudtrail.Attribute{{Key: bb.key, Value: bb.value}}
		}
		b.Run(bb.name, func(b *testing.B) {
			var n int
			for b.Loop() {
				recs, err := s.LookupEvents(context.Background(), &q)
				if err != nil {
					b.Fatal(err)
				}
				n = len(recs)
			}
			b.ReportMetric(float64(n), "events/op")
		})
	}
}
