package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
)

// TestLookupSQL_UsesIndexes checks with EXPLAIN QUERY PLAN that every
// lookup walks an index in the listing's order: never a scan of events,
// never a sort, so that a page costs about as many rows as it returns.
//
// SQLite only: it reads SQLite's EXPLAIN QUERY PLAN (PostgreSQL plans by
// its statistics).
func TestLookupSQL_UsesIndexes(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	after := &cloudtrail.Cursor{Time: time.Unix(1700000000, 0), Seq: 42}
	user, bob := attr(cloudtrail.AttrResourceType, "AWS::IAM::User"), attr(cloudtrail.AttrResourceName, "bob")
	for _, tt := range []struct {
		name  string
		attrs []cloudtrail.Attribute
		index string // what the plan must name
	}{
		{"None", nil, "events_time"},
		{"EventId", attr(cloudtrail.AttrEventID, "e-1"), "sqlite_autoindex_events_1"},
		{"EventName", attr(cloudtrail.AttrEventName, "CreateUser"), "events_name"},
		{"ReadOnly", attr(cloudtrail.AttrReadOnly, "true"), "events_read_only"},
		{"Username", attr(cloudtrail.AttrUsername, "bob"), "events_user"},
		{"EventSource", attr(cloudtrail.AttrEventSource, "iam.amazonaws.com"), "events_source"},
		{"AccessKeyId", attr(cloudtrail.AttrAccessKeyID, "AKIA"), "events_key"},
		// Resource lookups walk event_resources and fetch each event by
		// its primary key.
		{"ResourceType", user, "event_resources_type (account=? AND region=? AND type=?"},
		{"ResourceName", bob, "event_resources_name (account=? AND region=? AND name=?"},
		{"ResourceTypeAndName", append(user, bob...), "event_resources_name (account=? AND region=? AND name=?"},
		{"ResourceNameAndEventName", append(bob, attr(cloudtrail.AttrEventName, "CreateUser")...), "event_resources_name"},
		{"ResourceTypeAndEventId", append(user, attr(cloudtrail.AttrEventID, "e-1")...), "sqlite_autoindex_events_1"},
		{"NameAndUser", append(attr(cloudtrail.AttrEventName, "CreateUser"), attr(cloudtrail.AttrUsername, "bob")...), "events_"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, cursor := range []*cloudtrail.Cursor{nil, after} {
				q := &cloudtrail.Query{Account: "111122223333", Region: "us-east-1", Attributes: tt.attrs,
					Start: time.Unix(1600000000, 0), End: time.Unix(1800000000, 0), After: cursor, Limit: 51}
				plan := queryPlan(t, db, q)
				if !strings.Contains(plan, tt.index) || scansEvents(plan) || strings.Contains(plan, "TEMP B-TREE") {
					t.Fatalf("plan does not walk %s without sorting (cursor %v):\n%s", tt.index, cursor != nil, plan)
				}
				if strings.HasPrefix(tt.index, "event_resources") && !strings.Contains(plan, "SEARCH e USING INTEGER PRIMARY KEY") {
					t.Fatalf("plan does not find events by primary key (cursor %v):\n%s", cursor != nil, plan)
				}
			}
		})
	}
}

// scansEvents reports whether a plan reads events other than through an
// index search or by primary key.
func scansEvents(plan string) bool {
	for _, line := range strings.Split(plan, "\n") {
		if strings.HasPrefix(line, "SCAN e ") || line == "SCAN e" {
			return true
		}
	}
	return false
}

func attr(key, value string) []cloudtrail.Attribute {
	return []cloudtrail.Attribute{{Key: key, Value: value}}
}

// queryPlan returns EXPLAIN QUERY PLAN's details for q's query, one line
// per step.
func queryPlan(t *testing.T, db *DB, q *cloudtrail.Query) string {
	t.Helper()
	query, args := lookupSQL(sqliteDialect, q)
	return explain(t, db, query, args...)
}

// explain returns EXPLAIN QUERY PLAN's details for query, one line per
// step.
func explain(t *testing.T, db *DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.read.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "\n")
}
