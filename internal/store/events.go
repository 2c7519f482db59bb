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
	return s.Tx(ctx, func(ctx context.Context) error { return s.insert(ctx, []*trail.Event{ev}) })
}

// MaxImport bounds the events of one Import.
const MaxImport = 10_000

// Import stores events in the transaction of ctx (or in one of its own)
// exactly as Record would store each in turn (the same rows, positions
// taken from the clock in their order), in multi-row statements: the
// bulk load of a large history, a thousandfold fewer statements.
func (s Events) Import(ctx context.Context, events []*trail.Event) error {
	if len(events) > MaxImport {
		return fmt.Errorf("import %d events: at most %d at a time", len(events), MaxImport)
	}
	if len(events) == 0 {
		return nil
	}
	return s.Tx(ctx, func(ctx context.Context) error { return s.insert(ctx, events) })
}

// eventRowColumns are the columns of an events row, in eventRow's order.
const eventRowColumns = `seq, event_id, account, region, time, source, name, read_only, username, access_key, category, record`

// eventRow is the events row of ev at position seq.
func eventRow(seq int64, ev *trail.Event) ([]any, error) {
	record, err := ev.JSON()
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	at, err := eventTime(ev)
	if err != nil {
		return nil, err
	}
	readOnly := ev.ReadOnly != nil && *ev.ReadOnly
	return []any{seq, ev.EventID, ev.RecipientAccountID, ev.AWSRegion, at.UnixNano(),
		ev.EventSource, ev.EventName, readOnly, ev.Username(), ev.AccessKeyID(), category(ev), string(record)}, nil
}

func eventTime(ev *trail.Event) (time.Time, error) {
	at, err := time.Parse(time.RFC3339, ev.EventTime)
	if err != nil {
		return time.Time{}, fmt.Errorf("event time %q: %w", ev.EventTime, err)
	}
	return at, nil
}

// eventsPerInsert bounds the rows of one INSERT INTO events (12 variables
// each, well under SQLite's and PostgreSQL's limits).
const eventsPerInsert = 500

// insert writes events at the next len(events) positions of the clock,
// in ctx's transaction: the events rows, then the resource index of the
// management events (event history never shows the others).
func (s Events) insert(ctx context.Context, events []*trail.Event) error {
	last, err := s.takeSeqs(ctx, len(events))
	if err != nil {
		return err
	}
	first := last - int64(len(events)) + 1
	var resources []resourceRow
	rows := make([][]any, 0, len(events))
	for i, ev := range events {
		row, err := eventRow(first+int64(i), ev)
		if err != nil {
			return err
		}
		rows = append(rows, row)
		if category(ev) == trail.CategoryManagement {
			resources = appendResources(resources, first+int64(i), ev, row[4].(int64))
		}
	}
	for len(rows) > 0 {
		n := min(len(rows), eventsPerInsert)
		if err := s.insertRows(ctx, `INSERT INTO events (`+eventRowColumns+`) VALUES `, rows[:n]); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return s.recordResources(ctx, resources)
}

// insertRows runs prefix with one (?, …) tuple per row.
func (s Events) insertRows(ctx context.Context, prefix string, rows [][]any) error {
	tuple := "(" + strings.Repeat("?, ", len(rows[0])-1) + "?)"
	args := make([]any, 0, len(rows)*len(rows[0]))
	for _, r := range rows {
		args = append(args, r...)
	}
	query := prefix + tuple + strings.Repeat(", "+tuple, len(rows)-1)
	_, err := s.w(ctx).ExecContext(ctx, query, args...)
	return err
}

// takeSeqs takes the next n event positions from the clock, in the
// transaction of ctx, and returns the last: they are given back if the
// transaction rolls back, and the clock's row lock keeps a later
// transaction from taking one until this one ends, so positions are
// gap-free and committed in their order.
func (db *DB) takeSeqs(ctx context.Context, n int) (int64, error) {
	var seq int64
	err := db.w(ctx).QueryRowContext(ctx, `UPDATE event_clock SET seq = seq + ? WHERE id = 1 RETURNING seq`, int64(n)).Scan(&seq)
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

// resourceRow is one event_resources row: (seq, type, name, account,
// region, time).
type resourceRow = []any

// appendResources adds the resource index rows of the event seq.
func appendResources(rows []resourceRow, seq int64, ev *trail.Event, at int64) []resourceRow {
	for _, r := range ev.LookupResources() {
		rows = append(rows, resourceRow{seq, r.Type, r.Name, ev.RecipientAccountID, ev.AWSRegion, at})
	}
	return rows
}

// resourcesPerInsert bounds the rows of one INSERT INTO event_resources.
const resourcesPerInsert = 500

// recordResources writes resource index rows for LookupEvents, in
// statements of at most resourcesPerInsert rows: a failed call's
// requestParameters may name thousands, more than SQLite takes variables.
func (s Events) recordResources(ctx context.Context, rows []resourceRow) error {
	for len(rows) > 0 {
		n := min(len(rows), resourcesPerInsert)
		if err := s.insertRows(ctx, `INSERT INTO event_resources (seq, type, name, account, region, time) VALUES `, rows[:n]); err != nil {
			return fmt.Errorf("index resources: %w", err)
		}
		rows = rows[n:]
	}
	return nil
}

// Latest returns the newest management records of an account in a
// region, newest first.
func (s Events) Latest(ctx context.Context, account, region string, limit int) ([]string, error) {
	return collect(ctx, s.q(ctx), scanString, `SELECT record FROM events WHERE account = ? AND region = ? AND category = 'Management'
		ORDER BY time DESC, seq DESC LIMIT ?`, account, region, limit)
}
