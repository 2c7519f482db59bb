package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TrailState is a trail's delivery state as the store has it.
type TrailState struct {
	ARN string
	// Lag is the age of the oldest event the trail has yet to deliver;
	// 0 when it is up to date.
	Lag time.Duration
	// LatestDelivery and LatestDigest are the last successful writes of a
	// log file and of a digest file; zero if none.
	LatestDelivery, LatestDigest time.Time
}

// State is what the metrics read from the store at scrape time.
type State interface {
	// Trails returns the state of the trails that deliver.
	Trails(ctx context.Context) ([]TrailState, error)
	// OutboxDepth returns the number of SNS messages waiting to be sent.
	OutboxDepth(ctx context.Context) (int, error)
}

// Watch makes every scrape read s. The reads are bounded by the scrape's
// timeout; a failing read is reported as a scrape error while the other
// metrics are still served.
func (m *Metrics) Watch(s State, now func() time.Time) {
	m.registry.MustRegister(&stateCollector{state: s, now: now})
}

var (
	lagDesc = prometheus.NewDesc(namespace+"_trail_delivery_lag_seconds",
		"Age of the oldest event the trail has yet to deliver; 0 when it is up to date.", []string{"trail"}, nil)
	lastDeliveryDesc = prometheus.NewDesc(namespace+"_trail_last_delivery_timestamp_seconds",
		"When the trail last delivered a log file (Unix time).", []string{"trail"}, nil)
	digestAgeDesc = prometheus.NewDesc(namespace+"_trail_digest_age_seconds",
		"Time since the trail's last digest file was written.", []string{"trail"}, nil)
	outboxDesc = prometheus.NewDesc(namespace+"_sns_outbox_depth",
		"SNS messages waiting to be sent (new or retrying).", nil, nil)
)

type stateCollector struct {
	state State
	now   func() time.Time
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- lagDesc
	ch <- lastDeliveryDesc
	ch <- digestAgeDesc
	ch <- outboxDesc
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	if depth, err := c.state.OutboxDepth(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(outboxDesc, err)
	} else {
		ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(depth))
	}
	trails, err := c.state.Trails(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(lagDesc, err)
		return
	}
	now := c.now()
	for _, t := range trails {
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, t.Lag.Seconds(), t.ARN)
		if !t.LatestDelivery.IsZero() {
			ch <- prometheus.MustNewConstMetric(lastDeliveryDesc, prometheus.GaugeValue, unixSeconds(t.LatestDelivery), t.ARN)
		}
		if !t.LatestDigest.IsZero() {
			ch <- prometheus.MustNewConstMetric(digestAgeDesc, prometheus.GaugeValue, now.Sub(t.LatestDigest).Seconds(), t.ARN)
		}
	}
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
