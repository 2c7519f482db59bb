package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
)

// LastSeq implements cloudtrail.FeedStore: the seq of the newest event
// committed, 0 when there is none. Events commit in seq order (the event
// clock), so every event up to it is visible.
func (s Events) LastSeq(ctx context.Context) (int64, error) { return s.newest(ctx) }

// EventSeq implements cloudtrail.FeedStore: the seq of a management event
// of the account in the region, cloudtrail.ErrNoEvent if it has none by
// that id.
func (s Events) EventSeq(ctx context.Context, account, region, eventID string) (int64, error) {
	var seq int64
	err := s.q(ctx).QueryRowContext(ctx, `SELECT seq FROM events WHERE event_id = ? AND account = ? AND region = ? AND category = 'Management'`,
		eventID, account, region).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, cloudtrail.ErrNoEvent
	}
	return seq, err
}

// FollowEvents implements cloudtrail.FeedStore: at most q.Limit
// management events (the stream is event history's: no data events) of
// q's account and region matching q's attributes and start, with after <
// seq <= upTo, in seq (commit) order. It walks the events table by its
// primary key from after (on SQLite, NOT INDEXED keeps the planner off the
// per-account time indexes; PostgreSQL's planner weighs the two by its
// statistics), so a poll reads only the rows committed since the last.
func (s Events) FollowEvents(ctx context.Context, q *cloudtrail.Query, after, upTo int64) ([]*cloudtrail.Record, error) {
	where := []string{"e.seq > ? AND e.seq <= ? AND e.account = ? AND e.region = ? AND e.category = 'Management' AND e.time >= ?"}
	lower, _ := timeBounds(q)
	args := []any{after, upTo, q.Account, q.Region, lower}
	attributeConds(q.Attributes, 0, func(cond string, vals ...any) {
		where = append(where, cond)
		args = append(args, vals...)
	})
	query := `SELECT e.seq, e.time, e.event_id, e.name, e.source, e.read_only, e.username, e.access_key, e.record
		FROM events e` + s.dialect.primaryKeyScan + ` WHERE ` + strings.Join(where, " AND ") + ` ORDER BY e.seq LIMIT ?`
	recs, err := collect(ctx, s.q(ctx), scanRecord, query, append(args, q.Limit)...)
	if err != nil {
		return nil, err
	}
	return recs, s.loadResources(ctx, recs)
}

// scanRecord reads the columns LookupEvents and FollowEvents select.
func scanRecord(row rowScanner) (*cloudtrail.Record, error) {
	r := &cloudtrail.Record{}
	var at int64
	err := row.Scan(&r.Seq, &at, &r.EventID, &r.EventName, &r.EventSource, &r.ReadOnly, &r.Username, &r.AccessKeyID, &r.JSON)
	r.Time = time.Unix(0, at).UTC()
	return r, err
}
