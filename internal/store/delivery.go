package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/delivery"
)

// Delivery is the delivery.Store of a DB: the trail_delivery rows (cursor,
// pending intent, status) beside the trails and the events they deliver.
type Delivery struct{ *DB }

var _ delivery.Store = Delivery{}

func (s Delivery) Targets(ctx context.Context) ([]*delivery.Target, error) {
	rows, err := s.q(ctx).QueryContext(ctx, `SELECT t.data, d.cursor, COALESCE(d.until_seq, 0), COALESCE(d.intent, '')
		FROM trail_delivery d JOIN trails t ON t.arn = d.arn
		WHERE d.intent IS NOT NULL OR d.until_seq IS NULL OR d.cursor < d.until_seq ORDER BY d.arn`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*delivery.Target
	for rows.Next() {
		var data, intent string
		tg := &delivery.Target{Trail: &cloudtrail.Trail{}}
		if err := rows.Scan(&data, &tg.Cursor, &tg.Until, &intent); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), tg.Trail); err != nil {
			return nil, fmt.Errorf("decode trail: %w", err)
		}
		if intent != "" {
			tg.Intent = &delivery.Intent{}
			if err := json.Unmarshal([]byte(intent), tg.Intent); err != nil {
				return nil, fmt.Errorf("decode intent: %w", err)
			}
		}
		out = append(out, tg)
	}
	return out, rows.Err()
}

func (s Delivery) Events(ctx context.Context, q *delivery.Query) ([]*delivery.Event, error) {
	where, args := []string{"seq > ?"}, []any{q.After}
	if q.UpTo > 0 {
		where, args = append(where, "seq <= ?"), append(args, q.UpTo)
	}
	switch {
	case q.OrgID != "":
		where = append(where, "(account = ? OR account IN (SELECT id FROM accounts WHERE org_id = ?))")
		args = append(args, q.Account, q.OrgID)
	case q.Account != "":
		where, args = append(where, "account = ?"), append(args, q.Account)
	}
	if q.Region != "" {
		where, args = append(where, "region = ?"), append(args, q.Region)
	}
	query := `SELECT seq, event_id, account, region, source, name, read_only, record FROM events WHERE ` +
		strings.Join(where, " AND ") + ` ORDER BY seq`
	if q.Limit > 0 {
		query, args = query+" LIMIT ?", append(args, q.Limit)
	}
	rows, err := s.q(ctx).QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*delivery.Event
	for rows.Next() {
		e := &delivery.Event{}
		if err := rows.Scan(&e.Seq, &e.EventID, &e.Account, &e.Region, &e.Source, &e.Name, &e.ReadOnly, &e.Record); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s Delivery) BeginDelivery(ctx context.Context, in *delivery.Intent) error {
	data, err := doc(in)
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(ctx context.Context) error {
		res, err := s.w(ctx).ExecContext(ctx, `UPDATE trail_delivery SET intent = ? WHERE arn = ? AND intent IS NULL AND cursor = ?`,
			data, in.TrailARN, in.From)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("begin delivery of %s: %w", in.TrailARN, orConflict(err))
		}
		return nil
	})
}

func orConflict(err error) error {
	if err != nil {
		return err
	}
	return delivery.ErrConflict
}

func (s Delivery) FinishDelivery(ctx context.Context, in *delivery.Intent, at time.Time) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		_, err := s.w(ctx).ExecContext(ctx, `UPDATE trail_delivery SET cursor = MAX(cursor, ?), intent = NULL WHERE arn = ?`,
			in.To, in.TrailARN)
		if err != nil || len(in.Files) == 0 {
			return err // a batch of no selected events is no delivery
		}
		_, err = s.w(ctx).ExecContext(ctx, `UPDATE trail_delivery SET latest_delivery = ?, latest_attempt = ?,
			latest_attempt_ok = 1, latest_error = '' WHERE arn = ?`, nanos(at), nanos(at), in.TrailARN)
		return err
	})
}

func (s Delivery) FailDelivery(ctx context.Context, arn, code string, at time.Time) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		_, err := s.w(ctx).ExecContext(ctx, `UPDATE trail_delivery SET latest_attempt = ?, latest_attempt_ok = 0, latest_error = ? WHERE arn = ?`,
			nanos(at), code, arn)
		return err
	})
}

// syncDelivery keeps t's delivery row in step with its logging state, in
// the transaction of the change: StartLogging sets the cursor to the
// newest event, so that delivery starts with the events after it (the
// StartLogging call's own event included, recorded next in the same
// transaction); StopLogging sets until_seq to the seq its own event is
// about to get, so that delivery ends with it. A restart while events
// before the stop are still undelivered skips them.
func (s CloudTrail) syncDelivery(ctx context.Context, t *cloudtrail.Trail) error {
	if t.Status.IsLogging {
		_, err := s.w(ctx).ExecContext(ctx, `INSERT INTO trail_delivery (arn, cursor, started)
			VALUES (?, (SELECT COALESCE(MAX(seq), 0) FROM events), ?)
			ON CONFLICT (arn) DO UPDATE SET cursor = MAX(cursor, excluded.cursor), until_seq = NULL, started = excluded.started
			WHERE started <> excluded.started OR until_seq IS NOT NULL`, t.ARN, nanos(t.Status.StartLoggingTime))
		return err
	}
	_, err := s.w(ctx).ExecContext(ctx, `UPDATE trail_delivery SET until_seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM events)
		WHERE arn = ? AND until_seq IS NULL`, t.ARN)
	return err
}

// loadDelivery fills in the delivery status of trails.
func (s CloudTrail) loadDelivery(ctx context.Context, trails ...*cloudtrail.Trail) error {
	for _, t := range trails {
		var delivered, attempt int64
		d := &t.Status.Delivery
		err := s.q(ctx).QueryRowContext(ctx, `SELECT latest_delivery, latest_attempt, latest_attempt_ok, latest_error
			FROM trail_delivery WHERE arn = ?`, t.ARN).Scan(&delivered, &attempt, &d.LatestAttemptSucceeded, &d.LatestError)
		if err != nil && err != sql.ErrNoRows {
			return fmt.Errorf("load delivery status: %w", err)
		}
		d.LatestDelivery, d.LatestAttempt = fromNanos(delivered), fromNanos(attempt)
	}
	return nil
}
