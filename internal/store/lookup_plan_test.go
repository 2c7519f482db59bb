package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
)

// TestLookupSQL_UsesIndexes checks with EXPLAIN QUERY PLAN that every
// lookup walks an index in the listing's order: never a scan of events,
// never a sort, so that a page costs about as many rows as it returns.
// Each kind is planned as the service asks it: with the retention's
// StartTime alone and with a StartTime and an EndTime, for the first page
// and for a later one (a NextToken's position: keyset, never OFFSET).
//
// SQLite's EXPLAIN QUERY PLAN; TestLookupSQL_PostgresWalksIndexes checks
// PostgreSQL's.
func TestLookupSQL_UsesIndexes(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tt := range lookupPlanCases() {
		t.Run(tt.Name, func(t *testing.T) {
			forEachLookupShape(tt.Attrs, func(shape string, q *cloudtrail.Query) {
				plan := queryPlan(t, db, q)
				if !strings.Contains(plan, tt.Index) || scansEvents(plan) || strings.Contains(plan, "TEMP B-TREE") {
					t.Fatalf("plan does not walk %s without sorting (%s):\n%s", tt.Index, shape, plan)
				}
				if strings.HasPrefix(tt.Index, "event_resources") && !strings.Contains(plan, "SEARCH e USING INTEGER PRIMARY KEY") {
					t.Fatalf("plan does not find events by primary key (%s):\n%s", shape, plan)
				}
			})
		})
	}
}

// lookupPlanCase is a lookup and the index its plan must walk.
type lookupPlanCase struct {
	Name  string
	Attrs []cloudtrail.Attribute
	// Index is what SQLite's plan must name; PostgresIndex what
	// PostgreSQL's must, "" for a lookup by EventId, whose index
	// PostgreSQL picks by its statistics (on an empty table, events_time).
	Index, PostgresIndex string
}

// lookupPlanCases are the lookups of every kind, alone and combined.
func lookupPlanCases() []lookupPlanCase {
	user, bob := attr(cloudtrail.AttrResourceType, "AWS::IAM::User"), attr(cloudtrail.AttrResourceName, "bob")
	return []lookupPlanCase{
		{"TimeRangeOnly", nil, "events_time", "events_time"},
		{"EventId", attr(cloudtrail.AttrEventID, "e-1"), "sqlite_autoindex_events_1", ""},
		{"EventName", attr(cloudtrail.AttrEventName, "CreateUser"), "events_name", "events_name"},
		{"ReadOnly", attr(cloudtrail.AttrReadOnly, "true"), "events_read_only", "events_read_only"},
		{"Username", attr(cloudtrail.AttrUsername, "bob"), "events_user", "events_user"},
		{"EventSource", attr(cloudtrail.AttrEventSource, "iam.amazonaws.com"), "events_source", "events_source"},
		{"AccessKeyId", attr(cloudtrail.AttrAccessKeyID, "AKIA"), "events_key", "events_key"},
		// Resource lookups walk event_resources and fetch each event by
		// its primary key.
		{"ResourceType", user, "event_resources_type (account=? AND region=? AND type=?", "event_resources_type"},
		{"ResourceName", bob, "event_resources_name (account=? AND region=? AND name=?", "event_resources_name"},
		{"ResourceTypeAndName", append(user, bob...), "event_resources_name (account=? AND region=? AND name=?", "event_resources_name"},
		{"ResourceNameAndEventName", append(bob, attr(cloudtrail.AttrEventName, "CreateUser")...), "event_resources_name", "event_resources_name"},
		{"ResourceTypeAndEventId", append(user, attr(cloudtrail.AttrEventID, "e-1")...), "sqlite_autoindex_events_1", ""},
		{"NameAndUser", append(attr(cloudtrail.AttrEventName, "CreateUser"), attr(cloudtrail.AttrUsername, "bob")...), "events_", "events_"},
	}
}

// forEachLookupShape calls f with the query of attrs in each shape the
// service asks it: StartTime the retention's bound alone, or StartTime and
// EndTime; the first page, or a later page after a NextToken's position.
func forEachLookupShape(attrs []cloudtrail.Attribute, f func(shape string, q *cloudtrail.Query)) {
	start, end := time.Unix(1600000000, 0), time.Unix(1800000000, 0)
	after := &cloudtrail.Cursor{Time: time.Unix(1700000000, 0), Seq: 42}
	for _, ranged := range []bool{false, true} {
		for _, cursor := range []*cloudtrail.Cursor{nil, after} {
			q := &cloudtrail.Query{Account: "111122223333", Region: "us-east-1", Attributes: attrs,
				Start: start, After: cursor, Limit: 51}
			if ranged {
				q.End = end
			}
			f(fmt.Sprintf("EndTime %v, later page %v", ranged, cursor != nil), q)
		}
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
