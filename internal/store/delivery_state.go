package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/delivery"
)

// deliveryState is a trail_delivery row as the logging changes and
// BeginDelivery see it.
type deliveryState struct {
	cursor  int64
	until   sql.NullInt64
	started int64
	pending bool
	skips   []delivery.Range
}

// state reads the delivery row of key; sql.ErrNoRows when there is none.
func (db *DB) state(ctx context.Context, key string) (*deliveryState, error) {
	st := &deliveryState{}
	var skips string
	err := db.q(ctx).QueryRowContext(ctx, `SELECT cursor, until_seq, started, intent IS NOT NULL, COALESCE(skips, '')
		FROM trail_delivery WHERE arn = ?`, key).Scan(&st.cursor, &st.until, &st.started, &st.pending, &skips)
	if err != nil {
		return nil, err
	}
	st.skips, err = decodeSkips(skips)
	return st, err
}

// owes reports whether every event of in's files is still the trail's to
// deliver: none past its stop point, none in a gap.
func (st *deliveryState) owes(in *delivery.Intent) bool {
	for _, f := range in.Files {
		for _, seq := range f.Seqs {
			if st.until.Valid && seq > st.until.Int64 {
				return false
			}
			for _, r := range st.skips {
				if r.Contains(seq) {
					return false
				}
			}
		}
	}
	return true
}

func decodeSkips(s string) ([]delivery.Range, error) {
	if s == "" {
		return nil, nil
	}
	var out []delivery.Range
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("decode skips: %w", err)
	}
	return out, nil
}

// encodeSkips is the skips column of rs: NULL when empty.
func encodeSkips(rs []delivery.Range) (any, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	return doc(rs)
}

// Newest is the seq of the newest event, 0 if none.
func (s Delivery) Newest(ctx context.Context) (int64, error) { return s.newest(ctx) }

// newest reads the event clock: outside a transaction, the position of
// the newest committed event, with every event before it committed too;
// inside one, that of the last event it recorded or saw committed, so
// that the next event it records is newest + 1.
func (db *DB) newest(ctx context.Context) (int64, error) {
	var n int64
	err := db.q(ctx).QueryRowContext(ctx, `SELECT seq FROM event_clock WHERE id = 1`).Scan(&n)
	return n, err
}

// syncDelivery keeps t's delivery row in step with its logging state, in
// the transaction of the change. StopLogging sets until_seq to the seq
// its own event is about to get, so that delivery ends with it.
// StartLogging of a trail whose events are all delivered moves the cursor
// to the newest event, so that delivery starts with the events after it
// (the StartLogging call's own event included, recorded next in the same
// transaction). StartLogging while events up to the stop point are still
// owed keeps the cursor and records the events logged while stopped as a
// gap to skip.
func (s CloudTrail) syncDelivery(ctx context.Context, t *cloudtrail.Trail) error {
	if !t.Status.IsLogging {
		_, err := s.w(ctx).ExecContext(ctx, `UPDATE trail_delivery SET until_seq = (SELECT seq + 1 FROM event_clock WHERE id = 1)
			WHERE arn = ? AND until_seq IS NULL`, t.ARN)
		return err
	}
	newest, err := s.newest(ctx)
	if err != nil {
		return err
	}
	started := nanos(t.Status.StartLoggingTime)
	st, err := s.state(ctx, t.ARN)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = s.w(ctx).ExecContext(ctx, `INSERT INTO trail_delivery (arn, cursor, started) VALUES (?, ?, ?)`, t.ARN, newest, started)
		return err
	}
	if err != nil || !st.until.Valid {
		return err // already logging: nothing logged may be skipped
	}
	cursor, skips := max(st.cursor, newest), []delivery.Range(nil)
	if st.cursor < st.until.Int64 {
		cursor, skips = st.cursor, keepSkips(st.skips, st.cursor)
		if newest > st.until.Int64 {
			skips = append(skips, delivery.Range{After: st.until.Int64, UpTo: newest})
		}
	}
	col, err := encodeSkips(skips)
	if err != nil {
		return err
	}
	_, err = s.w(ctx).ExecContext(ctx, `UPDATE trail_delivery SET cursor = ?, until_seq = NULL, started = ?, skips = ? WHERE arn = ?`,
		cursor, started, col, t.ARN)
	return err
}

// keepSkips drops the skips behind cursor.
func keepSkips(rs []delivery.Range, cursor int64) []delivery.Range {
	var out []delivery.Range
	for _, r := range rs {
		if r.UpTo > cursor {
			out = append(out, r)
		}
	}
	return out
}

// deleteDelivery ends the delivery of the trail arn, about to be
// deleted. If it still owes events (it logs, and then DeleteTrail's own
// event, recorded next in the transaction, is its last; or it stopped
// with events undelivered) its row is kept under a key of its own with
// the trail as it was, for the deliverer to finish; otherwise it goes.
func (s CloudTrail) deleteDelivery(ctx context.Context, arn string) error {
	st, err := s.state(ctx, arn)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	stop := st.until.Int64
	if !st.until.Valid {
		newest, err := s.newest(ctx)
		if err != nil {
			return err
		}
		stop = newest + 1
	}
	if !st.pending && st.cursor >= stop {
		_, err := s.w(ctx).ExecContext(ctx, `DELETE FROM trail_delivery WHERE arn = ?`, arn)
		return err
	}
	_, err = s.w(ctx).ExecContext(ctx, `UPDATE trail_delivery SET arn = ?, until_seq = ?,
		trail = (SELECT data FROM trails WHERE arn = ?) WHERE arn = ?`, fmt.Sprintf("%s#deleted-%d", arn, stop), stop, arn, arn)
	return err
}
