package store_test

import (
	"context"
	"testing"

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
