package store

import (
	"context"
	"fmt"
	"time"

	"github.com/deploytrail/deploytrail/internal/trail"
)

// Events is the audit trail's store: it records events in the transaction
// carried by ctx, so a call's changes and its event commit together.
type Events struct{ *DB }

// Record stores one event.
func (s Events) Record(ctx context.Context, ev *trail.Event) error {
	record, err := ev.JSON()
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	at, err := time.Parse(time.RFC3339, ev.EventTime)
	if err != nil {
		return fmt.Errorf("event time %q: %w", ev.EventTime, err)
	}
	readOnly := ev.ReadOnly != nil && *ev.ReadOnly
	_, err = s.w(ctx).ExecContext(ctx, `INSERT INTO events (event_id, account, region, time, source, name, read_only, username, access_key, record)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ev.EventID, ev.RecipientAccountID, ev.AWSRegion, at.UnixNano(),
		ev.EventSource, ev.EventName, readOnly, ev.Username(), ev.AccessKeyID(), string(record))
	return err
}

// Latest returns the newest records of an account in a region, newest
// first.
func (s Events) Latest(ctx context.Context, account, region string, limit int) ([]string, error) {
	rows, err := s.q(ctx).QueryContext(ctx, `SELECT record FROM events WHERE account = ? AND region = ?
		ORDER BY time DESC, seq DESC LIMIT ?`, account, region, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
