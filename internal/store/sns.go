package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/deploytrail/deploytrail/internal/sns"
)

// SNS is the sns.Store of a DB.
type SNS struct{ *DB }

var _ sns.Store = SNS{}

func snsErr(err error) error {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return sns.ErrNotFound
	case isUnique(err):
		return sns.ErrExists
	}
	return err
}

func (s SNS) Topic(ctx context.Context, arn string) (*sns.Topic, error) {
	t, err := one[sns.Topic](ctx, s.q(ctx), `SELECT data FROM sns_topics WHERE arn = ?`, arn)
	return t, snsErr(err)
}

func (s SNS) Topics(ctx context.Context, account, region string) ([]string, error) {
	return collect(ctx, s.q(ctx), scanString, `SELECT arn FROM sns_topics WHERE account = ? AND region = ? ORDER BY arn`, account, region)
}

func (s SNS) InsertTopic(ctx context.Context, t *sns.Topic) error {
	return s.put(ctx, `INSERT INTO sns_topics (data, arn, account, region) VALUES (?, ?, ?, ?)`, t, t.ARN, t.Account, t.Region)
}

func (s SNS) UpdateTopic(ctx context.Context, t *sns.Topic) error {
	return s.put(ctx, `UPDATE sns_topics SET data = ? WHERE arn = ?`, t, t.ARN)
}

func (s SNS) DeleteTopic(ctx context.Context, arn string) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		return s.exec(ctx,
			stmt{`DELETE FROM sns_outbox WHERE subscription_arn IN (SELECT arn FROM sns_subscriptions WHERE topic_arn = ?)`, []any{arn}},
			stmt{`DELETE FROM sns_subscriptions WHERE topic_arn = ?`, []any{arn}},
			stmt{`DELETE FROM sns_topics WHERE arn = ?`, []any{arn}})
	})
}

func (s SNS) Subscription(ctx context.Context, arn string) (*sns.Subscription, error) {
	sub, err := one[sns.Subscription](ctx, s.q(ctx), `SELECT data FROM sns_subscriptions WHERE arn = ?`, arn)
	return sub, snsErr(err)
}

func (s SNS) Subscriptions(ctx context.Context, account, region, topicARN string) ([]*sns.Subscription, error) {
	if topicARN != "" {
		return all[sns.Subscription](ctx, s.q(ctx), `SELECT data FROM sns_subscriptions WHERE topic_arn = ? ORDER BY arn`, topicARN)
	}
	return all[sns.Subscription](ctx, s.q(ctx), `SELECT data FROM sns_subscriptions WHERE owner = ? AND region = ? ORDER BY arn`, account, region)
}

func (s SNS) InsertSubscription(ctx context.Context, sub *sns.Subscription) error {
	return s.put(ctx, `INSERT INTO sns_subscriptions (data, arn, topic_arn, owner, region) VALUES (?, ?, ?, ?, ?)`,
		sub, sub.ARN, sub.TopicARN, sub.Owner, sub.Region)
}

func (s SNS) UpdateSubscription(ctx context.Context, sub *sns.Subscription) error {
	return s.put(ctx, `UPDATE sns_subscriptions SET data = ? WHERE arn = ?`, sub, sub.ARN)
}

func (s SNS) DeleteSubscription(ctx context.Context, arn string) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		return s.exec(ctx, stmt{`DELETE FROM sns_outbox WHERE subscription_arn = ?`, []any{arn}},
			stmt{`DELETE FROM sns_subscriptions WHERE arn = ?`, []any{arn}})
	})
}

func (s SNS) Enqueue(ctx context.Context, envs ...*sns.Envelope) error {
	if len(envs) == 0 {
		return nil
	}
	return s.Tx(ctx, func(ctx context.Context) error {
		for _, e := range envs {
			data, err := doc(e)
			if err != nil {
				return err
			}
			err = s.w(ctx).QueryRowContext(ctx, `INSERT INTO sns_outbox (subscription_arn, next, data) VALUES (?, ?, ?) RETURNING id`,
				e.SubscriptionARN, nanos(e.Next), data).Scan(&e.ID)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (s SNS) Due(ctx context.Context, now time.Time, limit int) ([]*sns.Envelope, error) {
	return collect(ctx, s.q(ctx), func(r rowScanner) (*sns.Envelope, error) {
		var id int64
		var data string
		if err := r.Scan(&id, &data); err != nil {
			return nil, err
		}
		e, err := decode[sns.Envelope](data)
		if e != nil {
			e.ID = id
		}
		return e, err
	}, `SELECT id, data FROM sns_outbox WHERE next <= ? ORDER BY next, id LIMIT ?`, nanos(now), limit)
}

func (s SNS) Sent(ctx context.Context, id int64) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		return s.exec(ctx, stmt{`DELETE FROM sns_outbox WHERE id = ?`, []any{id}})
	})
}

func (s SNS) Retry(ctx context.Context, e *sns.Envelope) error {
	data, err := doc(e)
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(ctx context.Context) error {
		return s.exec(ctx, stmt{`UPDATE sns_outbox SET next = ?, data = ? WHERE id = ?`, []any{nanos(e.Next), data, e.ID}})
	})
}

// put writes v as the data column (the first argument) of query.
func (s SNS) put(ctx context.Context, query string, v any, args ...any) error {
	data, err := doc(v)
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(ctx context.Context) error {
		_, err := s.wTry(ctx).ExecContext(ctx, query, append([]any{data}, args...)...)
		return snsErr(err)
	})
}

// OutboxDepth returns the number of envelopes waiting to be sent.
func (s SNS) OutboxDepth(ctx context.Context) (int, error) {
	var n int
	err := s.q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM sns_outbox`).Scan(&n)
	return n, err
}
