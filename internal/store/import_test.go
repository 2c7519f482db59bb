package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// importHistory is a history that crosses Import's statement boundaries:
// management events naming resources (some none, one more than an INSERT
// takes), data events (not indexed), two accounts and regions, events
// sharing a second.
func importHistory() []*trail.Event {
	const acct, other = "111122223333", "444455556666"
	cd, iamSrc := "codedeploy.amazonaws.com", "iam.amazonaws.com"
	var out []*trail.Event
	for i := range 1300 {
		account, region := acct, "us-east-1"
		if i%10 == 0 {
			account = other
		}
		if i%7 == 0 {
			region = "us-west-2"
		}
		user := fmt.Sprintf("user-%d", i%5)
		var ev *trail.Event
		switch i % 4 {
		case 0:
			ev = testEvent(fmt.Sprintf("e%d", i), account, region, cd, "GetApplication", user, i/3, true, map[string]any{"applicationName": fmt.Sprintf("app-%d", i%9)})
		case 1:
			ev = testEvent(fmt.Sprintf("e%d", i), account, region, iamSrc, "CreateUser", user, i/3, false, map[string]any{"userName": fmt.Sprintf("u-%d", i)})
		case 2:
			ev = testEvent(fmt.Sprintf("e%d", i), account, region, cd, "ListApplications", user, i/3, true, nil)
		default:
			ev = testEvent(fmt.Sprintf("e%d", i), account, region, "s3.amazonaws.com", "GetObject", user, i/3, true, nil)
			ev.EventCategory = trail.CategoryData
		}
		out = append(out, ev)
	}
	names := make([]any, 1200)
	for i := range names {
		names[i] = fmt.Sprintf("i-%d", i)
	}
	out[640] = testEvent("many", acct, "us-east-1", cd, "BatchGetOnPremisesInstances", "bob", 640/3, true, map[string]any{"instanceNames": names})
	return out
}

// TestEvents_ImportStoresWhatRecordStores imports a history into one
// database and records it event by event into another: both hold the same
// rows (positions, records, resource index) and look up the same.
func TestEvents_ImportStoresWhatRecordStores(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		history := importHistory()
		recorded, imported := storetest.OpenTB(t, dsn), storetest.OpenTB(t, anotherDatabase(t, dsn))
		mustRecord(t, recorded, history[:100]...)
		for _, ev := range history[100:] {
			mustRecord(t, recorded, ev)
		}
		ctx := context.Background()
		// Three imports: each takes its positions where the clock stands.
		for _, part := range [][]*trail.Event{history[:100], history[100:1100], history[1100:]} {
			if err := (store.Events{DB: imported}).Import(ctx, part); err != nil {
				t.Fatal(err)
			}
		}
		for _, table := range []string{
			`SELECT seq, event_id, account, region, time, source, name, read_only, username, access_key, category, record FROM events ORDER BY seq`,
			`SELECT seq, type, name, account, region, time FROM event_resources ORDER BY seq, type, name`,
			`SELECT seq FROM event_clock`,
		} {
			want, got := dump(t, recorded, table), dump(t, imported, table)
			if len(want) < 2 && !strings.Contains(table, "event_clock") {
				t.Fatalf("%s: %d rows recorded", table, len(want))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%s (-recorded +imported):\n%s", table, diff)
			}
		}
		for _, q := range []cloudtrail.Query{
			{Account: "111122223333", Region: "us-east-1", Limit: 50},
			{Account: "111122223333", Region: "us-east-1", Limit: 50, Attributes: []cloudtrail.Attribute{{Key: cloudtrail.AttrResourceName, Value: "app-3"}}},
			{Account: "111122223333", Region: "us-east-1", Limit: 50, Attributes: []cloudtrail.Attribute{{Key: cloudtrail.AttrResourceName, Value: "i-1199"}}},
			{Account: "444455556666", Region: "us-west-2", Limit: 50, Attributes: []cloudtrail.Attribute{{Key: cloudtrail.AttrUsername, Value: "user-0"}}},
		} {
			want := ids(t, store.Events{DB: recorded}, q)
			if len(want) == 0 {
				t.Fatalf("%+v: nothing recorded", q)
			}
			if diff := cmp.Diff(want, ids(t, store.Events{DB: imported}, q)); diff != "" {
				t.Fatalf("%+v (-recorded +imported):\n%s", q, diff)
			}
		}
	})
}

// TestEvents_ImportBounded refuses more than MaxImport events at once,
// storing none of them.
func TestEvents_ImportBounded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		many := make([]*trail.Event, store.MaxImport+1)
		for i := range many {
			many[i] = testEvent(fmt.Sprintf("e%d", i), "111122223333", "us-east-1", "sts.amazonaws.com", "GetCallerIdentity", "bob", 0, true, nil)
		}
		if err := (store.Events{DB: db}).Import(context.Background(), many); err == nil {
			t.Fatal("Import took more than MaxImport events")
		}
		if rows := dump(t, db, `SELECT seq FROM events`); len(rows) != 0 {
			t.Fatalf("%d events stored", len(rows))
		}
	})
}

// anotherDatabase is a fresh, migrated database on dsn's backend.
func anotherDatabase(t *testing.T, dsn string) string {
	if strings.HasPrefix(dsn, "postgres") {
		return storetest.PostgresURL(t)
	}
	return filepath.Join(t.TempDir(), "other.sqlite")
}

// dump returns query's rows, each column as text.
func dump(t *testing.T, db *store.DB, query string) [][]string {
	t.Helper()
	rows, err := store.Query(context.Background(), db, query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		row := make([]string, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
