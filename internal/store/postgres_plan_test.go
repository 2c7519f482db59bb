package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"

	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
)

// TestPostgres_ReadersPlanForTheirArguments: the readers' statements are
// planned for their arguments, never generically (see readerConfig).
func TestPostgres_ReadersPlanForTheirArguments(t *testing.T) {
	db := storetest.Postgres(t)
	var mode string
	if err := store.QueryRow(context.Background(), db, `SHOW plan_cache_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "force_custom_plan" {
		t.Fatalf("plan_cache_mode=%s", mode)
	}
}

// TestLookupSQL_PostgresWalksIndexes: on PostgreSQL too every lookup, its
// later pages included, is a walk down an index in the listing's order
// (time, seq newest first): with sorts, hash aggregation and sequential
// scans priced out, the plan still sorts nothing and scans events only
// through an index. Before the lookup indexes ended in seq (migration
// 0021), every plan sorted the events of each instant. A lookup by
// EventId is one event, however PostgreSQL finds it (sorting it is free).
func TestLookupSQL_PostgresWalksIndexes(t *testing.T) {
	db := storetest.Postgres(t)
	ctx := context.Background()
	for _, tt := range store.LookupPlanCases() {
		t.Run(tt.Name, func(t *testing.T) {
			store.ForEachLookupShape(tt.Attrs, func(shape string, q *cloudtrail.Query) {
				byID := tt.PostgresIndex == ""
				plan, err := store.PostgresLookupPlan(ctx, db, q, byID)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(plan, tt.PostgresIndex) || (!byID && strings.Contains(plan, "Sort")) ||
					strings.Contains(plan, "Seq Scan") || strings.Contains(plan, "HashAggregate") {
					t.Fatalf("plan does not walk %s without sorting (%s):\n%s", tt.PostgresIndex, shape, plan)
				}
			})
		})
	}
}
