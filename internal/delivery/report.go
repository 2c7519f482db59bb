package delivery

import (
	"context"
	"time"
)

// DeliveryReport describes one delivery of a trail's log files, or a
// failed attempt.
type DeliveryReport struct {
	// Trail is the trail's ARN (for a deleted trail's last delivery, the
	// key of its delivery state).
	Trail         string
	Files, Events int
	// Bytes is the size of the files as written (gzip).
	Bytes int64
	// Lag is how long the oldest delivered event waited for its file.
	Lag time.Duration
	// ErrorCode is set for a failed attempt: the trail's
	// LatestDeliveryError.
	ErrorCode string
}

// DigestReport describes a digest file written, or a failed attempt.
type DigestReport struct {
	Trail, Key string
	// ErrorCode is set for a failed attempt.
	ErrorCode string
}

// reportDelivery logs a successful delivery at info level (a failure is
// logged where the pass ends) and tells OnDelivery.
func (d *Deliverer) reportDelivery(r DeliveryReport) {
	if r.ErrorCode == "" {
		d.Logger.Info("delivered", "trail", r.Trail, "files", r.Files, "events", r.Events, "bytes", r.Bytes,
			"lag_ms", r.Lag.Milliseconds())
	}
	if d.OnDelivery != nil {
		d.OnDelivery(r)
	}
}

// reportDigest logs a digest written at info level and tells OnDigest.
func (d *Deliverer) reportDigest(r DigestReport) {
	if r.ErrorCode == "" {
		d.Logger.Info("digest written", "trail", r.Trail, "key", r.Key)
	}
	if d.OnDigest != nil {
		d.OnDigest(r)
	}
}

// TrailState is a trail's delivery state, for health and metrics.
type TrailState struct {
	ARN     string
	Logging bool
	// Lag is the age of the oldest event the trail has yet to deliver;
	// 0 when it is up to date.
	Lag time.Duration
	// LatestDelivery and LatestDigest are the last successful writes of
	// a log file and of a digest file; zero if none.
	LatestDelivery, LatestDigest time.Time
}

// Trails returns the delivery state of the trails with work: logging
// trails, and stopped ones with events left to deliver.
func (d *Deliverer) Trails(ctx context.Context) ([]TrailState, error) {
	targets, err := d.store.Targets(ctx)
	if err != nil {
		return nil, err
	}
	var out []TrailState
	for _, tg := range targets {
		if tg.Key != tg.Trail.ARN {
			continue // a deleted trail's last delivery: no longer a trail
		}
		lag, err := d.lag(ctx, tg)
		if err != nil {
			return nil, err
		}
		st := tg.Trail.Status
		out = append(out, TrailState{ARN: tg.Key, Logging: st.IsLogging, Lag: lag,
			LatestDelivery: st.Delivery.LatestDelivery, LatestDigest: st.Delivery.LatestDigest})
	}
	return out, nil
}

// lag is the age of tg's oldest event still to deliver: the first event
// after its cursor that is neither in a skip nor past its stop point.
func (d *Deliverer) lag(ctx context.Context, tg *Target) (time.Duration, error) {
	after := tg.Cursor
	for {
		if skip := nextSkip(tg, after); skip != nil && skip.After <= after {
			after = skip.UpTo
			continue
		}
		events, err := d.store.Events(ctx, &Query{After: after, UpTo: tg.Until, Limit: 1})
		if err != nil || len(events) == 0 {
			return 0, err
		}
		e := events[0]
		if skip := nextSkip(tg, after); skip != nil && skip.Contains(e.Seq) {
			after = skip.UpTo
			continue
		}
		return max(d.Now().Sub(e.Time), 0), nil
	}
}
