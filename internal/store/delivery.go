package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/delivery"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// Delivery is the delivery.Store of a DB: the trail_delivery rows (cursor,
// pending intent, status) beside the trails and the events they deliver.
type Delivery struct{ *DB }

var _ delivery.Store = Delivery{}

func (s Delivery) Targets(ctx context.Context) ([]*delivery.Target, error) {
	return collect(ctx, s.q(ctx), scanTarget, `SELECT d.arn, COALESCE(d.trail, t.data), d.cursor, COALESCE(d.until_seq, 0),
		COALESCE(d.intent, ''), COALESCE(d.skips, ''), d.latest_delivery, d.latest_digest, d.failures, d.retry_at
		FROM trail_delivery d LEFT JOIN trails t ON t.arn = d.arn
		WHERE (d.trail IS NOT NULL OR t.arn IS NOT NULL)
		AND (d.intent IS NOT NULL OR d.until_seq IS NULL OR d.cursor < d.until_seq) ORDER BY d.arn`)
}

func scanTarget(rows rowScanner) (*delivery.Target, error) {
	var data, intent, skips string
	var delivered, digested, retryAt int64
	tg := &delivery.Target{Trail: &cloudtrail.Trail{}}
	if err := rows.Scan(&tg.Key, &data, &tg.Cursor, &tg.Until, &intent, &skips, &delivered, &digested, &tg.Failures, &retryAt); err != nil {
		return nil, err
	}
	tg.RetryAt = fromNanos(retryAt)
	if err := json.Unmarshal([]byte(data), tg.Trail); err != nil {
		return nil, fmt.Errorf("decode trail: %w", err)
	}
	tg.Trail.Status.Delivery.LatestDelivery, tg.Trail.Status.Delivery.LatestDigest = fromNanos(delivered), fromNanos(digested)
	var err error
	if tg.Skips, err = decodeSkips(skips); err != nil {
		return nil, err
	}
	if intent != "" {
		tg.Intent = &delivery.Intent{}
		if err := json.Unmarshal([]byte(intent), tg.Intent); err != nil {
			return nil, fmt.Errorf("decode intent: %w", err)
		}
		tg.Intent.TrailARN = tg.Key // the row was renamed if the trail was deleted since
	}
	return tg, nil
}

func (s Delivery) Events(ctx context.Context, q *delivery.Query) ([]*delivery.Event, error) {
	query, args := deliveryEventsSQL(q)
	return collect(ctx, s.q(ctx), scanDeliveryEvent, query, args...)
}

// deliveryEventsSQL is Events' query. It must walk events by seq (the
// primary key) from q.After: with an index on account it would read every
// event of the account and sort them for each batch, which made delivery
// of a large backlog quadratic (TestDeliveryEventsSQL_WalksSeq).
func deliveryEventsSQL(q *delivery.Query) (string, []any) {
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
	query := `SELECT seq, event_id, account, region, source, name, read_only, time, category, record FROM events WHERE ` +
		strings.Join(where, " AND ") + ` ORDER BY seq`
	if q.Limit > 0 {
		query, args = query+" LIMIT ?", append(args, q.Limit)
	}
	return query, args
}

func scanDeliveryEvent(r rowScanner) (*delivery.Event, error) {
	e := &delivery.Event{}
	var t int64
	if err := r.Scan(&e.Seq, &e.EventID, &e.Account, &e.Region, &e.Source, &e.Name, &e.ReadOnly, &t, &e.Category, &e.Record); err != nil {
		return nil, err
	}
	e.Time = fromNanos(t).Truncate(time.Second) // eventTime has whole seconds
	if e.Category == trail.CategoryManagement {
		return e, nil
	}
	// Data selectors look at members no column holds.
	var rec struct {
		Resources    []trail.Resource `json:"resources"`
		UserIdentity struct {
			ARN string `json:"arn"`
		} `json:"userIdentity"`
	}
	if err := json.Unmarshal([]byte(e.Record), &rec); err != nil {
		return nil, fmt.Errorf("decode event %d: %w", e.Seq, err)
	}
	e.Resources, e.UserARN = rec.Resources, rec.UserIdentity.ARN
	return e, nil
}

func (s Delivery) BeginDelivery(ctx context.Context, in *delivery.Intent) error {
	data, err := doc(in)
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(ctx context.Context) error {
		st, err := s.state(ctx, in.TrailARN)
		if err != nil || st.pending || st.cursor != in.From || !st.owes(in) {
			return fmt.Errorf("begin delivery of %s: %w", in.TrailARN, orConflict(noRowsConflict(err)))
		}
		_, err = s.w(ctx).ExecContext(ctx, `UPDATE trail_delivery SET intent = ? WHERE arn = ?`, data, in.TrailARN)
		return err
	})
}

func noRowsConflict(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return delivery.ErrConflict
	}
	return err
}

func orConflict(err error) error {
	if err != nil {
		return err
	}
	return delivery.ErrConflict
}

func (s Delivery) FinishDelivery(ctx context.Context, in *delivery.Intent, at time.Time) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		_, err := s.w(ctx).ExecContext(ctx, `UPDATE trail_delivery SET cursor = CASE WHEN cursor > ? THEN cursor ELSE ? END, intent = NULL
			WHERE arn = ?`, in.To, in.To, in.TrailARN)
		if err != nil {
			return err
		}
		// The bucket works: a later failure backs off from the start.
		_, err = s.w(ctx).ExecContext(ctx, `UPDATE trail_delivery SET failures = 0, retry_at = 0 WHERE arn = ? AND failures > 0`,
			in.TrailARN)
		if err != nil {
			return err
		}
		// A deleted trail is forgotten once its last events are delivered.
		_, err = s.w(ctx).ExecContext(ctx, `DELETE FROM trail_delivery WHERE arn = ? AND trail IS NOT NULL AND cursor >= until_seq`,
			in.TrailARN)
		if err != nil || len(in.Files) == 0 {
			return err // a batch of no selected events is no delivery
		}
		if err := s.record(ctx, in.Records); err != nil {
			return err
		}
		if err := s.addDigestFiles(ctx, in); err != nil {
			return err
		}
		_, err = s.w(ctx).ExecContext(ctx, `UPDATE trail_delivery SET latest_delivery = ?, latest_attempt = ?,
			latest_attempt_ok = 1, latest_error = '' WHERE arn = ?`, nanos(at), nanos(at), in.TrailARN)
		return err
	})
}

// record stores the data events of CloudTrail's own writes in the
// transaction of ctx.
func (s Delivery) record(ctx context.Context, records []*trail.Event) error {
	for _, ev := range records {
		if err := (Events{s.DB}).Record(ctx, ev); err != nil {
			return fmt.Errorf("record %s: %w", ev.EventName, err)
		}
	}
	return nil
}

func (s Delivery) FailDelivery(ctx context.Context, arn, code string, at, retryAt time.Time) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		_, err := s.w(ctx).ExecContext(ctx, `UPDATE trail_delivery SET latest_attempt = ?, latest_attempt_ok = 0, latest_error = ?,
			failures = failures + 1, retry_at = ? WHERE arn = ?`, nanos(at), code, nanos(retryAt), arn)
		return err
	})
}

func (s Delivery) NoteNotification(ctx context.Context, arn, code string, at time.Time) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		_, err := s.w(ctx).ExecContext(ctx, `UPDATE trail_delivery SET latest_notification_attempt = ?,
			latest_notification = CASE WHEN ? = '' THEN ? ELSE latest_notification END, latest_notification_error = ?
			WHERE arn = ?`, nanos(at), code, nanos(at), code, arn)
		return err
	})
}

// loadDelivery fills in the delivery status of trails.
func (s CloudTrail) loadDelivery(ctx context.Context, trails ...*cloudtrail.Trail) error {
	for _, t := range trails {
		var delivered, attempt, notified, notifyAttempt, digested int64
		d := &t.Status.Delivery
		err := s.q(ctx).QueryRowContext(ctx, `SELECT latest_delivery, latest_attempt, latest_attempt_ok, latest_error,
			latest_notification, latest_notification_attempt, latest_notification_error, latest_digest, latest_digest_error
			FROM trail_delivery WHERE arn = ?`, t.ARN).Scan(&delivered, &attempt, &d.LatestAttemptSucceeded, &d.LatestError,
			&notified, &notifyAttempt, &d.LatestNotificationError, &digested, &d.LatestDigestError)
		if err != nil && err != sql.ErrNoRows {
			return fmt.Errorf("load delivery status: %w", err)
		}
		d.LatestDelivery, d.LatestAttempt = fromNanos(delivered), fromNanos(attempt)
		d.LatestNotification, d.LatestNotificationAttempt = fromNanos(notified), fromNanos(notifyAttempt)
		d.LatestDigest = fromNanos(digested)
	}
	return nil
}
