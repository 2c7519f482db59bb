package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deploytrail/deploytrail/internal/delivery"
)

// TestDeliveryEventsSQL_WalksSeq checks with EXPLAIN QUERY PLAN that
// delivery reads a trail's next batch by walking seq from its cursor,
// whatever else scopes it: a plan through an account index reads every
// event of the account and sorts them, for every batch (delivery of a
// million-event backlog ran at a fifth of gzip's speed that way).
//
// SQLite only: it reads SQLite's EXPLAIN QUERY PLAN.
func TestDeliveryEventsSQL_WalksSeq(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tt := range []struct {
		name string
		q    delivery.Query
	}{
		{"AllAccounts", delivery.Query{After: 10, Limit: 10000}},
		{"Account", delivery.Query{After: 10, UpTo: 900000, Account: "111122223333", Limit: 10000}},
		{"AccountRegion", delivery.Query{After: 10, UpTo: 900000, Account: "111122223333", Region: "us-east-1", Limit: 10000}},
		{"Organization", delivery.Query{After: 10, Account: "111122223333", OrgID: "o-exampleorgid", Limit: 10000}},
		{"Redo", delivery.Query{After: 10, UpTo: 20000}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			query, args := deliveryEventsSQL(&tt.q)
			plan := explain(t, db, query, args...)
			if !strings.Contains(plan, "SEARCH events USING INTEGER PRIMARY KEY (rowid>?") || strings.Contains(plan, "TEMP B-TREE") {
				t.Fatalf("plan does not walk events by seq without sorting:\n%s", plan)
			}
		})
	}
}
