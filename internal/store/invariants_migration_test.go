package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/deploytrail/deploytrail/internal/trail"
)

// TestMigration_EventClock upgrades a database written before migration
// 0017 whose newest event was removed: the clock starts at the highest
// position ever given out, so the next event takes a new one (a trail's
// cursor may already stand at the removed event's).
func TestMigration_EventClock(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	record := func(db *DB, id string) {
		t.Helper()
		ev := &trail.Event{EventVersion: trail.EventVersion, EventID: id, RecipientAccountID: "111122223333", AWSRegion: "us-east-1",
			EventTime: "2026-01-02T03:04:05Z", EventSource: "iam.amazonaws.com", EventName: "CreateUser"}
		if err := db.Tx(ctx, func(ctx context.Context) error { return Events{db}.Record(ctx, ev) }); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"e-1", "e-2", "e-3"} {
		record(db, id)
	}
	// The schema and data as the previous release left them, less event 3.
	for _, stmt := range []string{
		`DROP TABLE event_clock`,
		`DROP INDEX cd_deployments_one_active`,
		`DELETE FROM events WHERE seq = 3`,
		`DELETE FROM schema_migrations WHERE version = 17`,
	} {
		if _, err := db.write.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = Open(ctx, path); err != nil {
		t.Fatalf("open after the upgrade: %v", err)
	}
	defer db.Close()
	if n, err := db.newest(ctx); err != nil || n != 3 {
		t.Fatalf("newest after the upgrade=%d, %v, want 3", n, err)
	}
	record(db, "e-4")
	if seq, err := (Events{db}).EventSeq(ctx, "111122223333", "us-east-1", "e-4"); err != nil || seq != 4 {
		t.Fatalf("the first event after the upgrade got seq %d, %v, want 4", seq, err)
	}
}
