package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/trail"
)

// Events is the audit trail's store: it records events in the transaction
// carried by ctx, so a call's changes and its event commit together.
type Events struct{ *DB }

// Record stores one event, in the transaction of ctx (or in one of its
// own): its position, row and resource index commit together.
func (s Events) Record(ctx context.Context, ev *trail.Event) error {
	return s.Tx(ctx, func(ctx context.Context) error { return s.record(ctx, ev) })
}

func (s Events) record(ctx context.Context, ev *trail.Event) error {
	record, err := ev.JSON()
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	at, err := time.Parse(time.RFC3339, ev.EventTime)
	if err != nil {
		return fmt.Errorf("event time %q: %w", ev.EventTime, err)
	}
	seq, err := s.nextSeq(ctx)
	if err != nil {
		return err
	}
	readOnly := ev.ReadOnly != nil && *ev.ReadOnly
	_, err = s.w(ctx).ExecContext(ctx, `INSERT INTO events (seq, event_id, account, region, time, source, name, read_only, username, access_key, category, record)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, seq, ev.EventID, ev.RecipientAccountID, ev.AWSRegion, at.UnixNano(),
		ev.EventSource, ev.EventName, readOnly, ev.Username(), ev.AccessKeyID(), category(ev), string(record))
	if err != nil {
		return err
	}
	if category(ev) != trail.CategoryManagement {
		return nil // event history never shows it: nothing to index
	}
	return s.recordResources(ctx, seq, ev, at, ev.LookupResources())
}

// nextSeq takes the next event position from the clock, in the
// transaction of ctx: it is given back if the transaction rolls back, and
// the clock's row lock keeps a later transaction from taking one until
// this one ends, so positions are gap-free and committed in their order.
func (db *DB) nextSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := db.w(ctx).QueryRowContext(ctx, `UPDATE event_clock SET seq = seq + 1 WHERE id = 1 RETURNING seq`).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("take an event position: %w", err)
	}
	return seq, nil
}

// category is ev's eventCategory; a record without one is a management
// event, as every record was before data events.
func category(ev *trail.Event) string {
	if ev.EventCategory == "" {
		return trail.CategoryManagement
	}
	return ev.EventCategory
}

// resourcesPerInsert bounds the rows of one INSERT INTO event_resources.
const resourcesPerInsert = 500

// recordResources indexes the resources of the event seq for LookupEvents,
// in statements of at most resourcesPerInsert rows: a failed call's
// requestParameters may name thousands, more than SQLite takes variables.
func (s Events) recordResources(ctx context.Context, seq int64, ev *trail.Event, at time.Time, resources []trail.LookupResource) error {
	for len(resources) > 0 {
		n := min(len(resources), resourcesPerInsert)
		query := `INSERT INTO event_resources (seq, type, name, account, region, time) VALUES (?, ?, ?, ?, ?, ?)` +
			strings.Repeat(", (?, ?, ?, ?, ?, ?)", n-1)
		args := make([]any, 0, 6*n)
		for _, r := range resources[:n] {
			args = append(args, seq, r.Type, r.Name, ev.RecipientAccountID, ev.AWSRegion, at.UnixNano())
		}
		if _, err := s.w(ctx).ExecContext(ctx, query, args...); err != nil {
			return fmt.Errorf("index resources: %w", err)
		}
		resources = resources[n:]
	}
	return nil
}

// Latest returns the newest management records of an account in a
// region, newest first.
func (s Events) Latest(ctx context.Context, account, region string, limit int) ([]string, error) {
	return collect(ctx, s.q(ctx), scanString, `SELECT record FROM events WHERE account = ? AND region = ? AND category = 'Management'
		ORDER BY time DESC, seq DESC LIMIT ?`, account, region, limit)
}
